/*
 * cases_iommufd.c - IOMMUFD cases (iommufd.*): automatic domain selection
 * for an IOAS, HWPT_ALLOC, and domain replace, through VFIO device cdevs;
 * an IOAS mapping over a reserved region, one group split over two
 * hw_pagetables, HWPT_ALLOC with dirty tracking and with driver-specific
 * data on drivers that have neither; and the IOMMUFD_TEST mock IOMMU
 * (iommufd_selftest_iommu.0), whose devices are made by the test ioctl, for
 * the dirty-tracking rules of the contract.
 *
 * They need /dev/iommu and /dev/vfio/devices (CONFIG_IOMMUFD,
 * CONFIG_VFIO_DEVICE_CDEV); Debian's stock kernels have neither, so there
 * the cases SKIP with that reason. A successful attach is "verified: core"
 * only when the probe module shows the device in the domain of the very
 * hw_pagetable it was attached to (verify_pt); a device elsewhere FAILs;
 * without a module that can tell, the attach is unverified ("none").
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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

/*
 * The setup every device case shares: a fresh iommufd with one IOAS, and
 * one device (or two: steps tagged .a and .b) bound to it. ifx_close()
 * undoes what ifx_open() got to, in reverse; it is safe on IFX_INIT.
 */
struct ifx {
	int ifd;
	uint32_t ioas;
	struct cdev a, b;
};
#define IFX_INIT { .ifd = -1, .a = { .fd = -1 }, .b = { .fd = -1 } }

static enum lab_outcome ifx_open(const struct lab_env *env, struct lab_result *r, struct ifx *x,
				 const struct lab_pcidev *a, const struct lab_pcidev *b)
{
	enum lab_outcome o;

	if ((o = open_ioas(env, r, &x->ifd, &x->ioas)) ||
	    (o = cdev_open(env, r, a, x->ifd, &x->a, b ? ".a" : "")))
		return o;
	return b ? cdev_open(env, r, b, x->ifd, &x->b, ".b") : 0;
}

/* the one-device form: the case's single-group device (SKIP when none), then ifx_open() */
static enum lab_outcome ifx_open_single(const struct lab_env *env, struct lab_result *r,
					struct ifx *x, const struct lab_pcidev **d)
{
	enum lab_outcome o = lab_case_pick_single(env, r, d);

	return o ? o : ifx_open(env, r, x, *d, NULL);
}

static void ifx_close(const struct lab_env *env, struct ifx *x)
{
	cdev_close(env, &x->b);
	cdev_close(env, &x->a);
	if (x->ifd >= 0)
		close(x->ifd);
}

/*
 * Where an attach landed, as the probe module sees it: "verified: core"
 * means the domain the core reports for the device (DOMAIN_IDENT) IS the
 * domain of the hw_pagetable the case attached it to (HWPT_IDENT, read from
 * iommufd's object table). pv_open() finds out once per case whether the
 * module can answer both; when it cannot (no module, or one built against
 * headers without iommufd's internals: Debian's), pv.ok is 0 and every
 * attach of the case stays unverified (verified "none"), never "core".
 */
struct pv {
	struct lab_probe p;
	int ok;
};

static void pv_open(const struct lab_env *env, int ifd, struct pv *v)
{
	uint64_t ident;

	v->ok = 0;
	v->p.fd = -1;
	if (!env->has_probe || lab_probe_open(&v->p, env->root))
		return;
	/* object id 0 is never allocated: a module that knows the op says ENOENT */
	v->ok = lab_iommufd_hwpt_ident(&v->p, ifd, 0, &ident) == -ENOENT;
}

static void pv_close(struct pv *v)
{
	lab_probe_close(&v->p);
}

/* the core's domain for @d and hw_pagetable @pt's, with step @step; 0 or -errno */
static int pv_idents(struct pv *v, struct lab_result *r, const struct lab_pcidev *d, int ifd,
		     uint32_t pt, const char *step, uint64_t *dev_ident, uint64_t *pt_ident)
{
	struct lab_domain cur = { 0 };
	int kres = 0, ret;

	ret = lab_probe_domain_ident(&v->p, d->bdf, &cur, &kres);
	if (!ret)
		ret = kres;
	if (!ret)
		ret = lab_iommufd_hwpt_ident(&v->p, ifd, pt, pt_ident);
	lab_result_step(r, step, ret);
	*dev_ident = cur.ident;
	return ret;
}

/*
 * verify_pt - after an attach of @d that reported hw_pagetable @pt: the
 * device must sit in @pt's domain. 0 when it does (r->verified = CORE) or
 * when it cannot be told (!v->ok: r->verified stays NONE); FAIL when the
 * device sits in another domain; ERROR when the module refused a query.
 */
static enum lab_outcome verify_pt(struct pv *v, struct lab_result *r, const struct lab_pcidev *d,
				  int ifd, uint32_t pt, const char *step)
{
	uint64_t di, pi;
	int ret;

	if (!v->ok)
		return 0;
	ret = pv_idents(v, r, d, ifd, pt, step, &di, &pi);
	if (ret)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "%s: the probe module could not name the domains: %s",
				      step, lab_errname(ret));
	if (!di || di != pi)
		return lab_result_out(r, LAB_OUTCOME_FAIL,
				      "driver reported success without attaching: %s sits in domain %016llx, hw_pagetable %u holds %016llx",
				      d->bdf, (unsigned long long)di, pt, (unsigned long long)pi);
	r->verified = LAB_VERIFIED_CORE;
	return 0;
}

/*
 * verify_not_pt - the check's negative control: @d must NOT sit in the
 * domain of @pt, a hw_pagetable it is not attached to. If the identities
 * agreed anyway, "verified" could not tell hw_pagetables apart: ERROR.
 */
static enum lab_outcome verify_not_pt(struct pv *v, struct lab_result *r,
				      const struct lab_pcidev *d, int ifd, uint32_t pt,
				      const char *step)
{
	uint64_t di, pi;
	int ret;

	if (!v->ok)
		return 0;
	ret = pv_idents(v, r, d, ifd, pt, step, &di, &pi);
	if (ret)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "%s: the probe module could not name the domains: %s",
				      step, lab_errname(ret));
	if (di == pi)
		return lab_result_out(r, LAB_OUTCOME_ERROR,
				      "%s: %s, not attached to hw_pagetable %u, reports its domain %016llx: the verification cannot tell hw_pagetables apart",
				      step, d->bdf, pt, (unsigned long long)pi);
	return 0;
}

/* ---- iommufd.ioas.two_devices_reuse ---- */
static enum lab_outcome run_two_devices(const struct lab_env *env, struct lab_result *r)
{
	const struct lab_pcidev *a, *b;
	char why[LAB_REASON_LEN];
	struct ifx x = IFX_INIT;
	struct pv v = { .p = { .fd = -1 } };
	uint32_t pta, ptb;
	enum lab_outcome o;
	int err;

	if (lab_env_pick_two_single(env, &a, &b, why, sizeof(why)))
		return lab_result_out(r, LAB_OUTCOME_SKIP, "%s", why);
	lab_result_device(r, env, a);
	o = ifx_open(env, r, &x, a, b);
	if (o)
		goto out_close;
	pv_open(env, x.ifd, &v);
	pta = ptb = x.ioas;
	err = lab_result_step(r, "attach_ioas.a", lab_iommufd_attach_pt(x.a.fd, &pta));
	if (!err)
		err = lab_result_step(r, "attach_ioas.b", lab_iommufd_attach_pt(x.b.fd, &ptb));
	r->observed = err;
	if (!err) {
		/* each device in the domain of the hw_pagetable IOMMUFD named for it */
		if ((o = verify_pt(&v, r, a, x.ifd, pta, "verify.core.a")) ||
		    (o = verify_pt(&v, r, b, x.ifd, ptb, "verify.core.b")))
			goto out_close;
		r->reused = pta == ptb;
	}
	o = lab_result_out(r, LAB_OUTCOME_JUDGE, "%s",
			   !err && r->reused == 0 ? "IOMMUFD allocated a second hw_pagetable" : "");
out_close:
	pv_close(&v);
	ifx_close(env, &x);
	return o;
}

/* HWPT_ALLOC for @c on the fixture's IOAS; step recorded, errno returned */
static int hwpt_alloc(struct lab_result *r, const struct ifx *x, const struct cdev *c,
		      uint32_t *hwpt, const char *step)
{
	return lab_result_step(r, step, lab_iommufd_hwpt_alloc(x->ifd, c->dev_id, x->ioas, hwpt));
}

/* ---- iommufd.hwpt.replace ---- */
static enum lab_outcome run_replace(const struct lab_env *env, struct lab_result *r)
{
	struct ifx x = IFX_INIT;
	struct pv v = { .p = { .fd = -1 } };
	const struct lab_pcidev *d;
	uint32_t hwpt2 = 0, pt1, pt2;
	enum lab_outcome o;
	int err;

	o = ifx_open_single(env, r, &x, &d);
	if (o)
		goto out_close;
	pv_open(env, x.ifd, &v);
	pt1 = x.ioas;
	err = lab_result_step(r, "attach_ioas", lab_iommufd_attach_pt(x.a.fd, &pt1));
	if (err) {
		o = lab_result_out(r, LAB_OUTCOME_ERROR, "first attach to the IOAS: %s",
				   lab_errname(err));
		goto out_close;
	}
	if ((o = verify_pt(&v, r, d, x.ifd, pt1, "verify.core.first")))
		goto out_close;
	err = hwpt_alloc(r, &x, &x.a, &hwpt2, "hwpt_alloc");
	if (!err) {
		/* the device is not in the new hw_pagetable yet: the check must see that */
		if ((o = verify_not_pt(&v, r, d, x.ifd, hwpt2, "verify.core.not_yet")))
			goto out_close;
		pt2 = hwpt2;
		err = lab_result_step(r, "replace", lab_iommufd_attach_pt(x.a.fd, &pt2));
		if (!err && pt2 != hwpt2) {
			o = lab_result_out(r, LAB_OUTCOME_FAIL,
					   "replace reported hw_pagetable %u, not the requested %u", pt2, hwpt2);
			goto out_close;
		}
		if (!err && (o = verify_pt(&v, r, d, x.ifd, hwpt2, "verify.core")))
			goto out_close;
	}
	r->observed = err;
	o = lab_result_out(r, LAB_OUTCOME_JUDGE, "%s", "");
out_close:
	pv_close(&v);
	ifx_close(env, &x);
	return o;
}

/*
 * v6.7+ uapi (<linux/iommufd.h>, the size-first structs): IOAS_MAP and the
 * longer HWPT_ALLOC with flags and driver data. Spelled here because the
 * agent builds against headers that may predate them.
 */
#define LAB_IOMMU_IOAS_MAP		_IO(LAB_IOMMUFD_TYPE, 0x85)
#define LAB_IOAS_MAP_FIXED_IOVA		(1u << 0)
#define LAB_IOAS_MAP_WRITEABLE		(1u << 1)
#define LAB_IOAS_MAP_READABLE		(1u << 2)
#define LAB_HWPT_ALLOC_DIRTY_TRACKING	(1u << 1)
#define LAB_HWPT_DATA_VTD_S1		1u

struct lab_iommu_ioas_map {
	uint32_t size;
	uint32_t flags;
	uint32_t ioas_id;
	uint32_t __reserved;
	uint64_t user_va;
	uint64_t length;
	uint64_t iova;
};

/* v6.7 layout: the v6.6 struct (iommufd.h) and the driver data (v6.11 added fault_id) */
struct lab_iommu_hwpt_alloc_ex {
	struct lab_iommu_hwpt_alloc base;
	uint32_t data_type;
	uint32_t data_len;
	uint64_t data_uptr;
};
_Static_assert(sizeof(struct lab_iommu_hwpt_alloc_ex) == 40, "v6.7 struct iommu_hwpt_alloc");

/* IOMMU_HWPT_ALLOC with @flags and optional driver data; 0 or -errno */
static int hwpt_alloc_ex(int ifd, uint32_t dev_id, uint32_t pt_id, uint32_t flags,
			 uint32_t data_type, const void *data, uint32_t len, uint32_t *out)
{
	struct lab_iommu_hwpt_alloc_ex a = {
		.base = { .size = sizeof(a), .flags = flags, .dev_id = dev_id, .pt_id = pt_id },
		.data_type = data_type, .data_len = len,
		.data_uptr = (uint64_t)(uintptr_t)data,
	};

	if (ioctl(ifd, LAB_IOMMU_HWPT_ALLOC, &a) < 0)
		return -errno;
	*out = a.base.out_hwpt_id;
	return 0;
}

/* HWPT_ALLOC with DIRTY_TRACKING and no driver data; 0 or -errno */
static int hwpt_alloc_dirty(int ifd, uint32_t dev_id, uint32_t pt_id, uint32_t *out)
{
	return hwpt_alloc_ex(ifd, dev_id, pt_id, LAB_HWPT_ALLOC_DIRTY_TRACKING, 0, NULL, 0, out);
}

/* ---- iommufd.ioas.map_reserved ---- */
/*
 * Map one page at IOVA 0xfee00000 (x86's MSI window: a reserved region of
 * every x86 IOMMU driver) into an empty IOAS, then attach a device: the
 * core must refuse the attach with EADDRINUSE (iopt reserves the device's
 * regions at attach and finds them mapped).
 */
static enum lab_outcome run_map_reserved(const struct lab_env *env, struct lab_result *r)
{
	struct lab_iommu_ioas_map m = { .size = sizeof(m) };
	struct ifx x = IFX_INIT;
	const struct lab_pcidev *d;
	enum lab_outcome o;
	uint32_t pt;
	void *buf;
	int err;

	o = lab_case_pick_single(env, r, &d);
	if (o)
		return o;
	buf = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "mmap: %s", lab_errname(-errno));
	o = ifx_open(env, r, &x, d, NULL);
	if (o)
		goto out_close;
	m.flags = LAB_IOAS_MAP_FIXED_IOVA | LAB_IOAS_MAP_READABLE | LAB_IOAS_MAP_WRITEABLE;
	m.ioas_id = x.ioas;
	m.user_va = (uint64_t)(uintptr_t)buf;
	m.length = 4096;
	m.iova = 0xfee00000ull;
	err = lab_result_step(r, "ioas_map_0xfee00000",
			      ioctl(x.ifd, LAB_IOMMU_IOAS_MAP, &m) < 0 ? -errno : 0);
	if (err) {
		o = lab_result_out(r, LAB_OUTCOME_ERROR, "IOMMU_IOAS_MAP before any attach: %s",
				   lab_errname(err));
		goto out_close;
	}
	pt = x.ioas;
	r->observed = lab_result_step(r, "attach_ioas", lab_iommufd_attach_pt(x.a.fd, &pt));
	o = lab_result_out(r, LAB_OUTCOME_JUDGE, "%s", r->observed ? "" :
			   "the device attached to an IOAS that maps its MSI window");
out_close:
	ifx_close(env, &x);
	munmap(buf, 4096);
	return o;
}

/* ---- iommufd.group.split_hwpt ---- */
/*
 * Two devices of one IOMMU group: the first attaches to the IOAS (an
 * automatic hw_pagetable), the second to a hw_pagetable of its own: a group
 * has one domain, so the core refuses with EINVAL.
 */
static enum lab_outcome run_group_split(const struct lab_env *env, struct lab_result *r)
{
	const struct lab_pcidev *a, *b = NULL;
	char why[LAB_REASON_LEN];
	uint32_t hwpt = 0, pta, ptb;
	struct ifx x = IFX_INIT;
	enum lab_outcome o;
	int err, i;

	if (lab_env_pick_multi(env, &a, why, sizeof(why)))
		return lab_result_out(r, LAB_OUTCOME_SKIP, "%s", why);
	for (i = 0; i < env->ndevs && !b; i++) {
		const struct lab_pcidev *d = &env->devs[i];

		if (d != a && d->group == a->group && lab_env_is_edu(d) && !d->bound[0])
			b = d;
	}
	if (!b)
		return lab_result_out(r, LAB_OUTCOME_SKIP,
				      "no second unbound test device in group %d", a->group);
	lab_result_device(r, env, a);
	o = ifx_open(env, r, &x, a, b);
	if (o)
		goto out_close;
	pta = x.ioas;
	err = lab_result_step(r, "attach_ioas.a", lab_iommufd_attach_pt(x.a.fd, &pta));
	if (err) {
		o = lab_result_out(r, LAB_OUTCOME_ERROR, "first device to the IOAS: %s",
				   lab_errname(err));
		goto out_close;
	}
	err = hwpt_alloc(r, &x, &x.b, &hwpt, "hwpt_alloc.b");
	if (err) {
		o = lab_result_out(r, LAB_OUTCOME_ERROR, "HWPT_ALLOC for the second device: %s",
				   lab_errname(err));
		goto out_close;
	}
	ptb = hwpt;
	r->observed = lab_result_step(r, "attach_hwpt.b", lab_iommufd_attach_pt(x.b.fd, &ptb));
	o = lab_result_out(r, LAB_OUTCOME_JUDGE, "%s", r->observed ? "" :
			   "two devices of one group ended up on different hw_pagetables");
out_close:
	ifx_close(env, &x);
	return o;
}

/* ---- iommufd.hwpt.alloc{,_dirty,_user_data,_user_data_none} ---- */
enum hwpt_variant { HWPT_PLAIN, HWPT_DIRTY, HWPT_DATA, HWPT_NO_DATA };

/*
 * HWPT_ALLOC on an IOAS for one device:
 *   plain     the v6.6 call (no flags, no data), then attach the device to
 *             that hw_pagetable: it must land there (else FAIL), checked
 *             against the core's domain when the probe module is loaded
 *   dirty     flags = DIRTY_TRACKING: none of QEMU's vIOMMUs tracks dirty
 *             bits (VT-d without SSADS, AMD without HDSup, virtio-iommu has
 *             no user domains): EOPNOTSUPP
 *   data      a driver-specific blob (type VTD_S1) on an IOAS: a paging
 *             domain takes no user data; a driver without domain_alloc_user
 *             fails in the core: EOPNOTSUPP either way
 *   no_data   the same call without data: a normal paging domain (0), the
 *             fallback a VMM takes after EOPNOTSUPP; checked like plain
 */
static enum lab_outcome hwpt_variant_run(const struct lab_env *env, struct lab_result *r,
					 enum hwpt_variant v)
{
	static const uint64_t vtd_s1[4];	/* an all-zero struct iommu_hwpt_vtd_s1 */
	struct pv pv = { .p = { .fd = -1 } };
	struct ifx x = IFX_INIT;
	const struct lab_pcidev *d;
	uint32_t hwpt = 0, pt;
	enum lab_outcome o;
	int err;

	o = ifx_open_single(env, r, &x, &d);
	if (o)
		goto out_close;
	switch (v) {
	case HWPT_PLAIN:
		err = hwpt_alloc(r, &x, &x.a, &hwpt, "hwpt_alloc");
		break;
	case HWPT_DIRTY:
		err = lab_result_step(r, "hwpt_alloc_dirty_tracking",
				      hwpt_alloc_dirty(x.ifd, x.a.dev_id, x.ioas, &hwpt));
		break;
	case HWPT_DATA:
		err = lab_result_step(r, "hwpt_alloc_user_data",
				      hwpt_alloc_ex(x.ifd, x.a.dev_id, x.ioas, 0, LAB_HWPT_DATA_VTD_S1,
						    vtd_s1, sizeof(vtd_s1), &hwpt));
		break;
	case HWPT_NO_DATA:
		err = lab_result_step(r, "hwpt_alloc_no_data",
				      hwpt_alloc_ex(x.ifd, x.a.dev_id, x.ioas, 0, 0, NULL, 0, &hwpt));
		break;
	}
	/* plain and no_data: the device onto its new hw_pagetable, and it
	 * must land in that hw_pagetable's domain (verify_pt, when the probe
	 * module can tell): the fallback is only a fallback if it works */
	if (!err && (v == HWPT_PLAIN || v == HWPT_NO_DATA)) {
		pv_open(env, x.ifd, &pv);
		if ((o = verify_not_pt(&pv, r, d, x.ifd, hwpt, "verify.core.not_yet")))
			goto out_close;
		pt = hwpt;
		err = lab_result_step(r, "attach_hwpt", lab_iommufd_attach_pt(x.a.fd, &pt));
		if (!err && pt != hwpt) {
			o = lab_result_out(r, LAB_OUTCOME_FAIL,
					   "attach reported hw_pagetable %u, not the allocated %u", pt, hwpt);
			goto out_close;
		}
		if (!err && (o = verify_pt(&pv, r, d, x.ifd, hwpt, "verify.core")))
			goto out_close;
	}
	r->observed = err;
	o = lab_result_out(r, LAB_OUTCOME_JUDGE, "%s", "");
out_close:
	pv_close(&pv);
	ifx_close(env, &x);
	return o;
}

static enum lab_outcome run_hwpt_alloc(const struct lab_env *env, struct lab_result *r)
{
	return hwpt_variant_run(env, r, HWPT_PLAIN);
}

static enum lab_outcome run_hwpt_dirty(const struct lab_env *env, struct lab_result *r)
{
	return hwpt_variant_run(env, r, HWPT_DIRTY);
}

static enum lab_outcome run_hwpt_data(const struct lab_env *env, struct lab_result *r)
{
	return hwpt_variant_run(env, r, HWPT_DATA);
}

static enum lab_outcome run_hwpt_no_data(const struct lab_env *env, struct lab_result *r)
{
	return hwpt_variant_run(env, r, HWPT_NO_DATA);
}

/*
 * IOMMUFD_TEST (CONFIG_IOMMUFD_TEST): the selftest ioctl on /dev/iommu
 * creates mock devices behind the mock IOMMU, attached to an IOAS or hwpt.
 * Layout of drivers/iommu/iommufd/iommufd_test.h (v6.7+: MOCK_DOMAIN_FLAGS).
 */
#define LAB_IOMMU_TEST_CMD		_IO(LAB_IOMMUFD_TYPE, 0x80 + 32)
#define LAB_TEST_OP_MOCK_DOMAIN_FLAGS	12
#define LAB_MOCK_FLAGS_DEVICE_NO_DIRTY	(1u << 0)
#define LAB_MOCK_IOMMU			"iommufd_selftest_iommu.0"

struct lab_iommu_test_mock {
	uint32_t size;
	uint32_t op;
	uint32_t id;
	uint32_t __reserved;
	union {
		struct {
			uint32_t out_stdev_id;
			uint32_t out_hwpt_id;
			uint32_t out_idev_id;
			uint32_t dev_flags;
		} mock_domain_flags;
		uint64_t pad[6];	/* the kernel's union is 48 bytes */
	};
	uint32_t last;
};

/* a mock device attached to @pt_id; its iommufd device id and hwpt */
_Static_assert(sizeof(struct lab_iommu_test_mock) == 72, "struct iommu_test_cmd is 72 bytes");

static int mock_device(int ifd, uint32_t pt_id, uint32_t dev_flags, uint32_t *idev,
		       uint32_t *hwpt)
{
	struct lab_iommu_test_mock c = {
		.size = sizeof(c), .op = LAB_TEST_OP_MOCK_DOMAIN_FLAGS, .id = pt_id,
	};

	c.mock_domain_flags.dev_flags = dev_flags;
	if (ioctl(ifd, LAB_IOMMU_TEST_CMD, &c) < 0)
		return -errno;
	*idev = c.mock_domain_flags.out_idev_id;
	*hwpt = c.mock_domain_flags.out_hwpt_id;
	return 0;
}

enum mock_variant { MOCK_ALLOC_DIRTY, MOCK_ATTACH_DIRTY };

/*
 * Without a firmware node the core (6.12) probes a new device with the first
 * IOMMU registered without one: next to intel-iommu or amd-iommu that is
 * theirs, not the mock's, so the mock device is not IOMMU-capable and bind
 * fails with EINVAL. Next to virtio-iommu (VIOT: a fwnode) it works.
 */
#define MOCK_UNUSABLE "mock devices are probed by the platform IOMMU here, not by " \
	LAB_MOCK_IOMMU " (bind: EINVAL); they work next to virtio-iommu"

/*
 *   alloc_dirty   HWPT_ALLOC with DIRTY_TRACKING for a mock device without
 *                 dirty tracking: EOPNOTSUPP (the domain cannot be made)
 *   attach_dirty  a dirty-tracking hwpt made for a capable mock device; a
 *                 mock device without dirty tracking attaches to it: the
 *                 domain is incompatible with the device, EINVAL
 */
static enum lab_outcome mock_run(const struct lab_env *env, struct lab_result *r,
				 enum mock_variant v)
{
	uint32_t ioas = 0, idev = 0, hwpt = 0, idev2 = 0, hwpt2 = 0, dirty = 0;
	char path[256];
	enum lab_outcome o;
	int ifd = -1, err;

	snprintf(path, sizeof(path), "%s/sys/class/iommu/" LAB_MOCK_IOMMU, env->root);
	if (access(path, F_OK))
		return lab_result_out(r, LAB_OUTCOME_SKIP,
				      "no " LAB_MOCK_IOMMU " (CONFIG_IOMMUFD_TEST not set)");
	snprintf(r->driver, sizeof(r->driver), "iommufd-selftest");
	snprintf(r->iommu, sizeof(r->iommu), LAB_MOCK_IOMMU);
	if ((o = open_ioas(env, r, &ifd, &ioas)))
		goto out_close;
	if (v == MOCK_ALLOC_DIRTY) {
		err = lab_result_step(r, "mock_device_no_dirty",
				      mock_device(ifd, ioas, LAB_MOCK_FLAGS_DEVICE_NO_DIRTY,
						  &idev, &hwpt));
		if (err == EINVAL) {
			o = lab_result_out(r, LAB_OUTCOME_SKIP, MOCK_UNUSABLE);
			goto out_close;
		}
		if (err) {
			o = lab_result_out(r, LAB_OUTCOME_ERROR, "IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS: %s",
					   lab_errname(err));
			goto out_close;
		}
		r->observed = lab_result_step(r, "hwpt_alloc_dirty_tracking",
					      hwpt_alloc_dirty(ifd, idev, ioas, &dirty));
	} else {
		err = lab_result_step(r, "mock_device", mock_device(ifd, ioas, 0, &idev, &hwpt));
		if (err == EINVAL) {
			o = lab_result_out(r, LAB_OUTCOME_SKIP, MOCK_UNUSABLE);
			goto out_close;
		}
		if (!err)
			err = lab_result_step(r, "hwpt_alloc_dirty_tracking",
					      hwpt_alloc_dirty(ifd, idev, ioas, &dirty));
		if (err) {
			o = lab_result_out(r, LAB_OUTCOME_ERROR,
					   "a dirty-tracking hwpt for a capable mock device: %s",
					   lab_errname(err));
			goto out_close;
		}
		r->observed = lab_result_step(r, "mock_device_no_dirty.on_dirty",
					      mock_device(ifd, dirty, LAB_MOCK_FLAGS_DEVICE_NO_DIRTY,
							  &idev2, &hwpt2));
	}
	o = lab_result_out(r, LAB_OUTCOME_JUDGE, "%s", "");
out_close:
	if (ifd >= 0)
		close(ifd);	/* frees the mock devices and their objects */
	return o;
}

static enum lab_outcome run_mock_alloc_dirty(const struct lab_env *env, struct lab_result *r)
{
	return mock_run(env, r, MOCK_ALLOC_DIRTY);
}

static enum lab_outcome run_mock_attach_dirty(const struct lab_env *env, struct lab_result *r)
{
	return mock_run(env, r, MOCK_ATTACH_DIRTY);
}

static const char *const needs_two[] = { "iommufd", "vfio-cdev", "iommu", "iommufd-irq-safe", "dev-two-single", NULL };
static const char *const needs_one[] = { "iommufd", "vfio-cdev", "iommu", "iommufd-irq-safe", "dev-single", NULL };

/* IOMMUFD exists from 6.2; device cdevs, HWPT_ALLOC and replace from 6.6 */
static const struct lab_contract c_ok66[] = {
	{ "6.6", NULL, "any", 0 },
	{ 0 },
};

/* the reserved-region check and one domain per group: core rules since 6.2 */
static const struct lab_contract c_eaddrinuse[] = {
	{ "6.6", NULL, "any", EADDRINUSE },
	{ 0 },
};
static const struct lab_contract c_group_einval[] = {
	{ "6.6", NULL, "any", EINVAL },
	{ 0 },
};
/* flags and driver data in HWPT_ALLOC from 6.7; none of the emulated
 * vIOMMUs has dirty tracking or takes user data on a paging domain */
static const struct lab_contract c_eopnotsupp[] = {
	{ "6.7", NULL, "any", EOPNOTSUPP },
	{ 0 },
};
static const struct lab_contract c_ok67[] = {
	{ "6.7", NULL, "any", 0 },
	{ 0 },
};
static const char *const needs_multi[] = { "iommufd", "vfio-cdev", "iommu", "iommufd-irq-safe", "dev-multi", NULL };
static const char *const needs_one_x86[] = { "iommufd", "vfio-cdev", "iommu", "iommufd-irq-safe", "x86", "dev-single",
					     NULL };

static const char *const needs_ifd[] = { "iommufd", NULL };
/* the mock IOMMU's dirty-tracking rules since 6.7 */
static const struct lab_contract c_mock_eopnotsupp[] = {
	{ "6.7", NULL, "any", EOPNOTSUPP },
	{ 0 },
};
static const struct lab_contract c_mock_einval[] = {
	{ "6.7", NULL, "any", EINVAL },
	{ 0 },
};
static const struct lab_case mock_alloc_dirty = {
	.id = "iommufd.mock.alloc_dirty_no_dirty_device",
	.description = "IOMMUFD_TEST: a dirty-tracking hwpt for a mock device without it: EOPNOTSUPP",
	.needs = needs_ifd, .contracts = c_mock_eopnotsupp, .expect_reused = -1,
	.run = run_mock_alloc_dirty,
};
static const struct lab_case mock_attach_dirty = {
	.id = "iommufd.mock.attach_dirty_domain",
	.description = "IOMMUFD_TEST: a mock device without dirty tracking onto a dirty-tracking hwpt: EINVAL",
	.needs = needs_ifd, .contracts = c_mock_einval, .expect_reused = -1,
	.run = run_mock_attach_dirty,
};

static const struct lab_case map_reserved = {
	.id = "iommufd.ioas.map_reserved",
	.description = "IOAS maps x86's MSI window (0xfee00000), then a device attaches: EADDRINUSE",
	.needs = needs_one_x86, .contracts = c_eaddrinuse, .expect_reused = -1,
	.run = run_map_reserved,
};
static const struct lab_case group_split = {
	.id = "iommufd.group.split_hwpt",
	.description = "two devices of one group on two different hw_pagetables: the second is refused",
	.needs = needs_multi, .contracts = c_group_einval, .expect_reused = -1,
	.run = run_group_split,
};
static const struct lab_case hwpt_dirty = {
	.id = "iommufd.hwpt.alloc_dirty",
	.description = "HWPT_ALLOC with DIRTY_TRACKING on an IOMMU without dirty tracking: EOPNOTSUPP",
	.needs = needs_one, .contracts = c_eopnotsupp, .expect_reused = -1,
	.run = run_hwpt_dirty,
};
static const struct lab_case hwpt_data = {
	.id = "iommufd.hwpt.alloc_user_data",
	.description = "HWPT_ALLOC on an IOAS with driver-specific data: EOPNOTSUPP",
	.needs = needs_one, .contracts = c_eopnotsupp, .expect_reused = -1,
	.run = run_hwpt_data,
};
static const struct lab_case hwpt_no_data = {
	.id = "iommufd.hwpt.alloc_user_data_none",
	.description = "the same HWPT_ALLOC without data (the fallback): a normal domain, attach works",
	.needs = needs_one, .contracts = c_ok67, .expect_reused = -1,
	.run = run_hwpt_no_data,
};

static const struct lab_case two_devices = {
	.id = "iommufd.ioas.two_devices_reuse",
	.description = "two devices attached to one IOAS share one automatically allocated hw_pagetable",
	.needs = needs_two, .contracts = c_ok66, .expect_reused = 1,
	.run = run_two_devices,
};
static const struct lab_case hwpt_alloc_case = {
	.id = "iommufd.hwpt.alloc",
	.description = "IOMMU_HWPT_ALLOC for a device, then attach the device to that hw_pagetable",
	.needs = needs_one, .contracts = c_ok66, .expect_reused = -1,
	.run = run_hwpt_alloc,
};
static const struct lab_case replace = {
	.id = "iommufd.hwpt.replace",
	.description = "replace the attached hw_pagetable with a second one without detaching",
	.needs = needs_one, .contracts = c_ok66, .expect_reused = -1,
	.run = run_replace,
};

const struct lab_case *const lab_cases_iommufd[] = {
	&two_devices, &hwpt_alloc_case, &replace, &map_reserved, &group_split,
	&hwpt_dirty, &hwpt_data, &hwpt_no_data, &mock_alloc_dirty, &mock_attach_dirty, NULL,
};
