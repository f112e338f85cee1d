/*
 * cases_iommufd.c - IOMMUFD cases (iommufd.*): automatic domain selection
 * for an IOAS, HWPT_ALLOC, and domain replace, through VFIO device cdevs.
 *
 * They need /dev/iommu and /dev/vfio/devices (CONFIG_IOMMUFD,
 * CONFIG_VFIO_DEVICE_CDEV); Debian's stock kernels have neither, so there
 * the cases SKIP with that reason. When the probe module is loaded the
 * attached domain is also checked with DOMAIN_IDENT (verified "core").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "case.h"
#include "errnames.h"
#include "iommufd.h"
#include "probe.h"
#include "vfio.h"

/* a device bound to vfio-pci, opened as a cdev and bound to the iommufd */
struct cdev {
	struct lab_vfio_binding b;
	int fd;
	uint32_t dev_id;
};

static enum lab_outcome cdev_open(const struct lab_env *env, struct lab_result *r,
				  const struct lab_pcidev *d, int ifd, struct cdev *c,
				  const char *tag)
{
	char step[32];
	int ret;

	c->fd = -1;
	ret = lab_vfio_bind(env, d, &c->b);
	if (ret == -ENOENT)
		return lab_result_out(r, LAB_OUTCOME_SKIP, "vfio-pci driver not available");
	snprintf(step, sizeof(step), "bind_vfio_pci%s", tag);
	lab_result_step(r, step, ret);
	if (ret)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "binding %s to vfio-pci: %s", d->bdf,
				      lab_errname(ret));
	ret = lab_vfio_cdev_open(env, d, &c->fd);
	snprintf(step, sizeof(step), "cdev_open%s", tag);
	lab_result_step(r, step, ret);
	if (ret)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "VFIO cdev of %s: %s", d->bdf,
				      lab_errname(ret));
	ret = lab_iommufd_bind_device(c->fd, ifd, &c->dev_id);
	snprintf(step, sizeof(step), "bind_iommufd%s", tag);
	lab_result_step(r, step, ret);
	if (ret)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "VFIO_DEVICE_BIND_IOMMUFD: %s",
				      lab_errname(ret));
	return 0;
}

static void cdev_close(const struct lab_env *env, struct cdev *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	lab_vfio_unbind(env, &c->b);
}

static enum lab_outcome open_ioas(const struct lab_env *env, struct lab_result *r, int *ifd,
				  uint32_t *ioas)
{
	int ret = lab_iommufd_open(env, ifd);

	lab_result_step(r, "iommufd_open", ret);
	if (ret)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "/dev/iommu: %s", lab_errname(ret));
	ret = lab_iommufd_ioas_alloc(*ifd, ioas);
	lab_result_step(r, "ioas_alloc", ret);
	if (ret)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "IOMMU_IOAS_ALLOC: %s", lab_errname(ret));
	return 0;
}

/* domain identity via the probe module when present; 0 = unknown */
static uint64_t ident_of(const struct lab_env *env, const char *bdf)
{
	struct lab_domain cur = { 0 };
	struct lab_probe p;
	int kres = 0;

	if (!env->has_probe || lab_probe_open(&p, env->root))
		return 0;
	if (lab_probe_domain_ident(&p, bdf, &cur, &kres) || kres)
		cur.ident = 0;
	lab_probe_close(&p);
	return cur.ident;
}

/* ---- iommufd.ioas.two_devices_reuse ---- */
static enum lab_outcome run_two_devices(const struct lab_env *env, struct lab_result *r)
{
	struct cdev ca = { .fd = -1 }, cb = { .fd = -1 };
	const struct lab_pcidev *a, *b;
	char why[LAB_REASON_LEN];
	uint32_t ioas = 0, pta, ptb;
	enum lab_outcome o;
	int ifd = -1, err;

	if (lab_env_pick_two_single(env, &a, &b, why, sizeof(why)))
		return lab_result_out(r, LAB_OUTCOME_SKIP, "%s", why);
	lab_result_device(r, env, a);
	if ((o = open_ioas(env, r, &ifd, &ioas)) ||
	    (o = cdev_open(env, r, a, ifd, &ca, ".a")) ||
	    (o = cdev_open(env, r, b, ifd, &cb, ".b")))
		goto out_close;
	pta = ptb = ioas;
	err = lab_result_step(r, "attach_ioas.a", lab_iommufd_attach_pt(ca.fd, &pta));
	if (!err)
		err = lab_result_step(r, "attach_ioas.b", lab_iommufd_attach_pt(cb.fd, &ptb));
	r->observed = err;
	if (!err) {
		uint64_t ia = ident_of(env, a->bdf), ib = ident_of(env, b->bdf);

		r->reused = pta == ptb;
		if (ia && ib) {
			r->verified = LAB_VERIFIED_CORE;
			if ((ia == ib) != (pta == ptb)) {
				o = lab_result_out(r, LAB_OUTCOME_FAIL,
						   "hwpt ids (%u, %u) disagree with the core's domains (%016llx, %016llx)",
						   pta, ptb, (unsigned long long)ia,
						   (unsigned long long)ib);
				goto out_close;
			}
		}
	}
	o = lab_result_out(r, LAB_OUTCOME_JUDGE, "%s",
			   !err && r->reused == 0 ? "IOMMUFD allocated a second hw_pagetable" : "");
out_close:
	cdev_close(env, &cb);
	cdev_close(env, &ca);
	if (ifd >= 0)
		close(ifd);
	return o;
}

/* HWPT_ALLOC for @c on @ioas; step recorded, errno returned */
static int hwpt_alloc(struct lab_result *r, int ifd, struct cdev *c, uint32_t ioas,
		      uint32_t *hwpt, const char *step)
{
	return lab_result_step(r, step, lab_iommufd_hwpt_alloc(ifd, c->dev_id, ioas, hwpt));
}

/* ---- iommufd.hwpt.alloc ---- */
static enum lab_outcome run_hwpt_alloc(const struct lab_env *env, struct lab_result *r)
{
	struct cdev c = { .fd = -1 };
	const struct lab_pcidev *d;
	char why[LAB_REASON_LEN];
	uint32_t ioas = 0, hwpt = 0, pt;
	enum lab_outcome o;
	int ifd = -1, err;

	if (lab_env_pick_single(env, &d, why, sizeof(why)))
		return lab_result_out(r, LAB_OUTCOME_SKIP, "%s", why);
	lab_result_device(r, env, d);
	if ((o = open_ioas(env, r, &ifd, &ioas)) ||
	    (o = cdev_open(env, r, d, ifd, &c, "")))
		goto out_close;
	err = hwpt_alloc(r, ifd, &c, ioas, &hwpt, "hwpt_alloc");
	if (!err) {
		pt = hwpt;
		err = lab_result_step(r, "attach_hwpt", lab_iommufd_attach_pt(c.fd, &pt));
		if (!err && pt != hwpt) {
			o = lab_result_out(r, LAB_OUTCOME_FAIL,
					   "attached to pt %u instead of the allocated hwpt %u", pt, hwpt);
			goto out_close;
		}
		if (!err && ident_of(env, d->bdf))
			r->verified = LAB_VERIFIED_CORE;
	}
	r->observed = err;
	o = lab_result_out(r, LAB_OUTCOME_JUDGE, "%s", "");
out_close:
	cdev_close(env, &c);
	if (ifd >= 0)
		close(ifd);
	return o;
}

/* ---- iommufd.hwpt.replace ---- */
static enum lab_outcome run_replace(const struct lab_env *env, struct lab_result *r)
{
	struct cdev c = { .fd = -1 };
	const struct lab_pcidev *d;
	char why[LAB_REASON_LEN];
	uint32_t ioas = 0, hwpt2 = 0, pt1, pt2;
	uint64_t id1, id2;
	enum lab_outcome o;
	int ifd = -1, err;

	if (lab_env_pick_single(env, &d, why, sizeof(why)))
		return lab_result_out(r, LAB_OUTCOME_SKIP, "%s", why);
	lab_result_device(r, env, d);
	if ((o = open_ioas(env, r, &ifd, &ioas)) ||
	    (o = cdev_open(env, r, d, ifd, &c, "")))
		goto out_close;
	pt1 = ioas;
	err = lab_result_step(r, "attach_ioas", lab_iommufd_attach_pt(c.fd, &pt1));
	if (err) {
		o = lab_result_out(r, LAB_OUTCOME_ERROR, "first attach to the IOAS: %s",
				   lab_errname(err));
		goto out_close;
	}
	id1 = ident_of(env, d->bdf);
	err = hwpt_alloc(r, ifd, &c, ioas, &hwpt2, "hwpt_alloc");
	if (!err) {
		pt2 = hwpt2;
		err = lab_result_step(r, "replace", lab_iommufd_attach_pt(c.fd, &pt2));
		if (!err) {
			id2 = ident_of(env, d->bdf);
			if (pt2 != hwpt2 || (id1 && id2 && id1 == id2)) {
				o = lab_result_out(r, LAB_OUTCOME_FAIL,
						   "driver reported success without attaching (replace kept hwpt %u)",
						   pt1);
				goto out_close;
			}
			if (id1 && id2)
				r->verified = LAB_VERIFIED_CORE;
		}
	}
	r->observed = err;
	o = lab_result_out(r, LAB_OUTCOME_JUDGE, "%s", "");
out_close:
	cdev_close(env, &c);
	if (ifd >= 0)
		close(ifd);
	return o;
}

static const char *const needs_two[] = { "iommufd", "vfio-cdev", "iommu", "dev-two-single", NULL };
static const char *const needs_one[] = { "iommufd", "vfio-cdev", "iommu", "dev-single", NULL };

/* IOMMUFD exists from 6.2; device cdevs, HWPT_ALLOC and replace from 6.6 */
static const struct lab_contract c_ioas[] = {
	{ "6.6", NULL, "any", 0 },
	{ 0 },
};
static const struct lab_contract c_hwpt[] = {
	{ "6.6", NULL, "any", 0 },
	{ 0 },
};

static const struct lab_case two_devices = {
	.id = "iommufd.ioas.two_devices_reuse",
	.description = "two devices attached to one IOAS share one automatically allocated hw_pagetable",
	.needs = needs_two, .contracts = c_ioas, .expect_reused = 1,
	.run = run_two_devices,
};
static const struct lab_case hwpt_alloc_case = {
	.id = "iommufd.hwpt.alloc",
	.description = "IOMMU_HWPT_ALLOC for a device, then attach the device to that hw_pagetable",
	.needs = needs_one, .contracts = c_hwpt, .expect_reused = -1,
	.run = run_hwpt_alloc,
};
static const struct lab_case replace = {
	.id = "iommufd.hwpt.replace",
	.description = "replace the attached hw_pagetable with a second one without detaching",
	.needs = needs_one, .contracts = c_hwpt, .expect_reused = -1,
	.run = run_replace,
};

const struct lab_case *const lab_cases_iommufd[] = { &two_devices, &hwpt_alloc_case, &replace,
						     NULL };
