/*
 * case.c - result helpers and the assembled catalogue (see case.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "case.h"

const char *lab_outcome_name(enum lab_outcome o)
{
	switch (o) {
	case LAB_OUTCOME_JUDGE: return "judge";
	case LAB_OUTCOME_SKIP: return "skip";
	case LAB_OUTCOME_ERROR: return "error";
	case LAB_OUTCOME_FAIL: return "fail";
	}
	return "error";
}

const char *lab_verified_name(enum lab_verified v)
{
	switch (v) {
	case LAB_VERIFIED_NONE: return "none";
	case LAB_VERIFIED_CORE: return "core";
	case LAB_VERIFIED_DMA: return "dma";
	}
	return "none";
}

void lab_result_init(struct lab_result *res, const struct lab_env *env)
{
	const struct lab_iommu *u = lab_env_iommu_of(env, NULL);

	memset(res, 0, sizeof(*res));
	snprintf(res->driver, sizeof(res->driver), "%s", u ? u->driver : "none");
	snprintf(res->iommu, sizeof(res->iommu), "%s", u ? u->name : "");
	res->reused = -1;
	res->verified = LAB_VERIFIED_NONE;
	res->outcome = LAB_OUTCOME_ERROR;
}

void lab_result_device(struct lab_result *res, const struct lab_env *env,
		       const struct lab_pcidev *dev)
{
	snprintf(res->device, sizeof(res->device), "%s", dev->bdf);
	if (dev->iommu[0]) {
		const struct lab_iommu *u = lab_env_iommu_of(env, dev);

		snprintf(res->iommu, sizeof(res->iommu), "%s", dev->iommu);
		if (u)
			snprintf(res->driver, sizeof(res->driver), "%s", u->driver);
	}
}

enum lab_outcome lab_case_pick_single(const struct lab_env *env, struct lab_result *res,
				      const struct lab_pcidev **dev)
{
	char why[LAB_REASON_LEN];

	if (lab_env_pick_single(env, dev, why, sizeof(why)))
		return lab_result_out(res, LAB_OUTCOME_SKIP, "%s", why);
	lab_result_device(res, env, *dev);
	return 0;
}

static int stream_fd = -1;

void lab_result_stream(int fd)
{
	stream_fd = fd;
}

int lab_result_step(struct lab_result *res, const char *name, int err)
{
	if (err < 0)
		err = -err;
	if (res->nsteps < LAB_STEPS_MAX) {
		struct lab_step *s = &res->steps[res->nsteps++];

		snprintf(s->name, sizeof(s->name), "%s", name);
		s->err = err;
	}
	if (stream_fd >= 0) {
		struct lab_result snap = *res;

		snap.partial = 1;
		/* < PIPE_BUF: one atomic write; the parent reads them while the case runs */
		if (write(stream_fd, &snap, sizeof(snap)) < 0) {
			/* the parent reads the final result anyway */
		}
	}
	return err;
}

enum lab_outcome lab_result_out(struct lab_result *res, enum lab_outcome o, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
	res->outcome = o;
	return o;
}

const struct lab_case *const *lab_cases_all(int *n)
{
	static const struct lab_case *all[64];
	static int count = -1;
	const struct lab_case *const *areas[] = { lab_cases_kmod, lab_cases_vfio,
						  lab_cases_iommufd, lab_cases_arch,
						  lab_cases_virtio, NULL };
	int a, i;

	if (count < 0) {
		count = 0;
		for (a = 0; areas[a]; a++)
			for (i = 0; areas[a][i] && count < 63; i++)
				all[count++] = areas[a][i];
		all[count] = NULL;
	}
	*n = count;
	return all;
}
