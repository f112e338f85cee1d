/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model.c - names, parsers and destructors of the data model (model.h).
 * Verdict words and errno names come from include/iommulab_record.h, the
 * list the agent writes records with.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "iommulab_record.h"
#include "model.h"
#include "names.h"

/* the shared list and the enum must agree: append to both */
_Static_assert(LAB_RECORD_NVERDICTS == LAB_VERDICT_LAST + 1,
	       "include/iommulab_record.h's verdicts and enum lab_verdict differ");

#define MAX_ERRNO 4095

const char *lab_job_state_name(enum lab_job_state s)
{
	switch (s) {
	case LAB_JOB_QUEUED: return "queued";
	case LAB_JOB_SCHEDULED: return "scheduled";
	case LAB_JOB_RUNNING: return "running";
	case LAB_JOB_COMPLETE: return "complete";
	case LAB_JOB_INCOMPLETE: return "incomplete";
	case LAB_JOB_CANCELED: return "canceled";
	}
	return "unknown";
}

int lab_job_state_parse(const char *s, enum lab_job_state *out)
{
	for (int i = LAB_JOB_QUEUED; i <= LAB_JOB_CANCELED; i++) {
		if (s && strcmp(s, lab_job_state_name(i)) == 0) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *lab_verdict_name(enum lab_verdict v)
{
	const char *w = lab_record_verdict_word((int)v);

	return w ? w : "unknown";
}

const char *lab_judged_by_name(enum lab_judged_by b)
{
	switch (b) {
	case LAB_JUDGED_NONE: return NULL;
	case LAB_JUDGED_CONTRACT: return "contract";
	case LAB_JUDGED_AGENT: return "agent";
	case LAB_JUDGED_RECORD: return "record";
	}
	return NULL;
}

int lab_verdict_parse(const char *s, enum lab_verdict *out)
{
	int v = lab_record_verdict_number(s);

	if (v < 0)
		return -EINVAL;
	*out = (enum lab_verdict)v;
	return 0;
}

/* the shared list first (the agent's names); glibc names the rest */
const char *lab_errno_name(int e)
{
	const char *n;

	if (e == 0)
		return "OK";
	if (e < 0 || e > MAX_ERRNO)
		return "E?";
	n = lab_record_errno_name(e);
	if (!n)
		n = strerrorname_np(e);
	return n ? n : "E?";
}

bool lab_case_id_valid(const char *id)
{
	return lab_name_ok(LAB_NAME_CASE, id);	/* the one name rule (names.h) */
}

bool lab_case_is_boot(const char *id)
{
	return id && !strcmp(id, LAB_CASE_BOOT);
}

void lab_kernel_clear(struct lab_kernel *k)
{
	if (!k)
		return;
	free(k->name); free(k->release); free(k->version); free(k->arch);
	free(k->source); free(k->source_ref); free(k->image_path);
	free(k->modules_path); free(k->headers_path); free(k->sha256);
	memset(k, 0, sizeof(*k));
}

void lab_target_clear(struct lab_target *t)
{
	if (!t)
		return;
	free(t->name); free(t->arch); free(t->backend); free(t->vendor);
	free(t->driver); free(t->device_type); free(t->definition);
	free(t->tags); free(t->health);
	memset(t, 0, sizeof(*t));
}

void lab_job_clear(struct lab_job *j)
{
	if (!j)
		return;
	free(j->case_filter); free(j->backend); free(j->backend_job_id);
	free(j->log_path); free(j->reason);
	memset(j, 0, sizeof(*j));
}

void lab_result_clear(struct lab_result *r)
{
	if (!r)
		return;
	free(r->case_id); free(r->driver); free(r->iommu); free(r->steps_json);
	free(r->contract); free(r->reason); free(r->verified);
	free(r->kernel_kind); free(r->kernel_excerpt);
	memset(r, 0, sizeof(*r));
}

/* uname -m -> the lab's arch name, where the two differ (Debian's names) */
static const struct { const char *machine, *lab; } arch_names[] = {
	{ "aarch64", "arm64" },
	{ "amd64", "x86_64" },
};

const char *lab_arch_lab_name(const char *arch)
{
	for (size_t i = 0; arch && i < sizeof(arch_names) / sizeof(arch_names[0]); i++)
		if (strcmp(arch, arch_names[i].machine) == 0)
			return arch_names[i].lab;
	return arch;
}

bool lab_arch_same(const char *a, const char *b)
{
	a = lab_arch_lab_name(a);
	b = lab_arch_lab_name(b);
	return a && b && strcmp(a, b) == 0;
}
