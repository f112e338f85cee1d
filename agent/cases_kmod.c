/*
 * cases_kmod.c - the in-kernel probe cases (kmod.*): IOMMU API calls driven
 * through the iommulab_probe module, errnos read back unchanged.
 *
 * Every case: pick its device(s) by role from the discovery snapshot, open
 * /dev/iommulab_probe, build the domain state, run the judged step. Every
 * attach that returns 0 is verified (DMA_CHECK on an edu device, else
 * DOMAIN_IDENT); an attach that reports 0 without moving the device is a
 * FAIL. Closing the probe file frees everything (module contract), so the
 * cases do not detach explicitly.
 *
 * Contracts follow /work/shared/notes/iommu-errno.md: core errnos (EBUSY,
 * EINVAL for a multi-device group, ENODEV without a group) are the same on
 * every kernel; driver incompatibilities are driver-specific before 6.2 and
 * EINVAL from 6.2.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "case.h"
#include "errnames.h"
#include "probe.h"

/*
 * DMA_CHECK maps its own two pages at this IOVA (and the next page), so it
 * must stay unmapped by the cases; edu's default DMA mask is 28 bits.
 */
#define DMA_IOVA	0x100000ULL
#define DMA_LEN		0x1000ULL
/* first IOVA above a 39-bit address width */
#define IOVA_ABOVE_39	(1ULL << 39)

struct kctx {
	struct lab_probe p;
	const struct lab_env *env;
	struct lab_result *r;
};

/* outcome 0 means "go on"; every helper returns 0 or a final outcome */
static enum lab_outcome refused(struct kctx *k, const char *what, int ret)
{
	return lab_result_out(k->r, LAB_OUTCOME_ERROR, "%s: probe command refused: %s",
			      what, lab_errname(ret));
}

static enum lab_outcome kopen(struct kctx *k, const struct lab_env *env, struct lab_result *r)
{
	int ret;

	k->env = env;
	k->r = r;
	ret = lab_probe_open(&k->p, env->root);
	if (ret)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "open /dev/%s: %s",
				      IOMMULAB_PROBE_DEVNAME, lab_errname(ret));
	return 0;
}

static enum lab_outcome kalloc(struct kctx *k, const struct lab_pcidev *d, struct lab_domain *dom,
			       const char *step)
{
	int ret, kres = 0, err;

	ret = lab_probe_domain_alloc(&k->p, d->bdf, dom, &kres);
	if (ret)
		return refused(k, step, ret);
	err = lab_result_step(k->r, step, kres);
	if (err)
		return lab_result_out(k->r, LAB_OUTCOME_ERROR, "%s for %s failed: %s", step,
				      d->bdf, lab_errname(err));
	return 0;
}

/* attach; the positive errno goes to *err */
static enum lab_outcome kattach(struct kctx *k, const struct lab_pcidev *d,
				const struct lab_domain *dom, const char *step, int *err)
{
	int ret, kres = 0;

	ret = lab_probe_attach_dev(&k->p, d->bdf, dom->handle, &kres);
	if (ret)
		return refused(k, step, ret);
	*err = lab_result_step(k->r, step, kres);
	return 0;
}

/*
 * After an attach returned 0: is @d really in @dom? DMA through the domain
 * for an edu device (@dma: the case allows it), else the core's domain
 * identity. 0 when verified, FAIL when not, ERROR on transport errors, SKIP
 * when the target declares that its emulator cannot carry that device's DMA
 * (known limit dma-bus-nonzero, docs/findings.md).
 */
static enum lab_outcome kverify(struct kctx *k, const struct lab_pcidev *d,
				const struct lab_domain *dom, int dma)
{
	struct lab_domain cur;
	int ret, kres = 0, err;

	if (dma && lab_env_is_edu(d) && lab_env_bus_of(d) != 0 &&
	    lab_env_has_limit(k->env, "dma-bus-nonzero"))
		/* the DMA would be translated as bus 0, i.e. through another device's domain */
		return lab_result_out(k->r, LAB_OUTCOME_SKIP,
				      "QEMU 7.2 amd-iommu translates DMA from bus %d with the device table entry of bus 0 (known limit dma-bus-nonzero, docs/findings.md F1b): DMA cannot verify this attach",
				      lab_env_bus_of(d));
	if (dma && lab_env_is_edu(d)) {
		ret = lab_probe_dma_check(&k->p, d->bdf, dom->handle, DMA_IOVA, &kres);
		if (ret)
			return refused(k, "verify.dma", ret);
		err = lab_result_step(k->r, "verify.dma", kres);
		if (!err) {
			k->r->verified = LAB_VERIFIED_DMA;
			return 0;
		}
		if (err == EIO)
			return lab_result_out(k->r, LAB_OUTCOME_FAIL,
					      "driver reported success without attaching (DMA through the domain did not arrive)");
		/* ENODEV: the device cannot do test DMA; fall back to the core's view */
	}
	ret = lab_probe_domain_ident(&k->p, d->bdf, &cur, &kres);
	if (ret)
		return refused(k, "verify.core", ret);
	err = lab_result_step(k->r, "verify.core", kres);
	if (err)
		return lab_result_out(k->r, LAB_OUTCOME_ERROR, "domain_ident failed: %s",
				      lab_errname(err));
	if (cur.ident != dom->ident || !cur.ident)
		return lab_result_out(k->r, LAB_OUTCOME_FAIL,
				      "driver reported success without attaching (device sits in domain %016llx, not %016llx)",
				      (unsigned long long)cur.ident, (unsigned long long)dom->ident);
	k->r->verified = LAB_VERIFIED_CORE;
	return 0;
}

/* a setup attach that must succeed and really move the device */
static enum lab_outcome kattach_setup(struct kctx *k, const struct lab_pcidev *d,
				      const struct lab_domain *dom, const char *step, int dma)
{
	enum lab_outcome o;
	int err = 0;

	o = kattach(k, d, dom, step, &err);
	if (o)
		return o;
	if (err)
		return lab_result_out(k->r, LAB_OUTCOME_ERROR, "%s of %s failed: %s", step, d->bdf,
				      lab_errname(err));
	return kverify(k, d, dom, dma);
}

/*
 * Judge a step that returned the positive errno @err: it is the observed
 * errno; when it is 0, @d must really sit in @dom (kverify). JUDGE, or
 * kverify's outcome when the verification did not pass.
 */
static enum lab_outcome kjudge(struct kctx *k, int err, const struct lab_pcidev *d,
			       const struct lab_domain *dom, int dma)
{
	enum lab_outcome o;

	k->r->observed = err;
	if (!err) {
		o = kverify(k, d, dom, dma);
		if (o)
			return o;
	}
	return lab_result_out(k->r, LAB_OUTCOME_JUDGE, "%s", "");
}

/*
 * End of a case: when its setup went well (@o is 0) the judged attach of
 * @d to @dom (observed errno, verified when it is 0: kjudge); then close
 * the probe (which frees every domain). Returns the case's outcome.
 */
static enum lab_outcome kjudged_close(struct kctx *k, enum lab_outcome o,
				      const struct lab_pcidev *d, const struct lab_domain *dom,
				      const char *step)
{
	int err = 0;

	if (!o)
		o = kattach(k, d, dom, step, &err);
	if (!o)
		o = kjudge(k, err, d, dom, 1);
	lab_probe_close(&k->p);
	return o;
}

/* pick the case's single-device-group device (SKIP when none), then kopen() */
static enum lab_outcome kopen_single(struct kctx *k, const struct lab_env *env,
				     struct lab_result *r, const struct lab_pcidev **d)
{
	enum lab_outcome o = lab_case_pick_single(env, r, d);

	return o ? o : kopen(k, env, r);
}

/*
 * The cases that judge one device against one domain built for it: pick
 * and open (kopen_single), allocate the domain (step "domain_alloc"), let
 * @setup bring it into the state under test (0 = go on, else a final
 * outcome), then the judged attach @step and close (kjudged_close).
 */
static enum lab_outcome kone_domain(const struct lab_env *env, struct lab_result *r,
				    enum lab_outcome (*setup)(struct kctx *k,
							      const struct lab_pcidev *d,
							      struct lab_domain *dom),
				    const char *step)
{
	const struct lab_pcidev *d;
	struct lab_domain dom;
	enum lab_outcome o;
	struct kctx k;

	o = kopen_single(&k, env, r, &d);
	if (o)
		return o;
	if (!(o = kalloc(&k, d, &dom, "domain_alloc")))
		o = setup(&k, d, &dom);
	return kjudged_close(&k, o, d, &dom, step);
}

/* ---- kmod.attach.second_domain ---- */
static enum lab_outcome run_second_domain(const struct lab_env *env, struct lab_result *r)
{
	const struct lab_pcidev *d;
	struct lab_domain d1, d2;
	enum lab_outcome o;
	struct kctx k;

	o = kopen_single(&k, env, r, &d);
	if (o)
		return o;
	if (!(o = kalloc(&k, d, &d1, "domain_alloc.1")) &&
	    !(o = kalloc(&k, d, &d2, "domain_alloc.2")))
		o = kattach_setup(&k, d, &d1, "attach.1", 1);
	return kjudged_close(&k, o, d, &d2, "attach.2");
}

/* ---- kmod.attach.same_domain_twice ---- */
static enum lab_outcome attach_first(struct kctx *k, const struct lab_pcidev *d,
				     struct lab_domain *dom)
{
	return kattach_setup(k, d, dom, "attach.1", 1);
}

static enum lab_outcome run_same_twice(const struct lab_env *env, struct lab_result *r)
{
	return kone_domain(env, r, attach_first, "attach.2");
}

/* ---- kmod.attach.multi_device_group ---- */
static enum lab_outcome run_multi_group(const struct lab_env *env, struct lab_result *r)
{
	char why[LAB_REASON_LEN];
	const struct lab_pcidev *d;
	struct lab_domain dom;
	enum lab_outcome o;
	struct kctx k;

	if (lab_env_pick_multi(env, &d, why, sizeof(why)))
		return lab_result_out(r, LAB_OUTCOME_SKIP, "%s", why);
	lab_result_device(r, env, d);
	o = kopen(&k, env, r);
	if (o)
		return o;
	o = kalloc(&k, d, &dom, "domain_alloc");
	return kjudged_close(&k, o, d, &dom, "attach");
}

/* ---- kmod.attach.no_group ---- */
static enum lab_outcome run_no_group(const struct lab_env *env, struct lab_result *r)
{
	const struct lab_pcidev *d, *owner = NULL;
	char why[LAB_REASON_LEN];
	struct lab_domain dom;
	enum lab_outcome o;
	struct kctx k;
	int i;

	if (lab_env_pick_nogroup(env, &d, why, sizeof(why)))
		return lab_result_out(r, LAB_OUTCOME_SKIP, "%s", why);
	/* the domain is allocated for a device that has an IOMMU; alloc touches no device */
	for (i = 0; i < env->ndevs && !owner; i++)
		if (env->devs[i].group >= 0 && env->devs[i].iommu[0])
			owner = &env->devs[i];
	if (!owner)
		return lab_result_out(r, LAB_OUTCOME_SKIP,
				      "no device behind an IOMMU to allocate a domain for");
	lab_result_device(r, env, owner);
	snprintf(r->device, sizeof(r->device), "%s", d->bdf);
	o = kopen(&k, env, r);
	if (o)
		return o;
	o = kalloc(&k, owner, &dom, "domain_alloc");
	return kjudged_close(&k, o, d, &dom, "attach");
}

/*
 * The step that makes a domain incompatible, after its probe command
 * returned @ret (transport) and @kres (the kernel's answer), recorded as
 * @step: 0 when the kernel did it; when it refused, the incompatible domain
 * cannot be built here: SKIP, "@refusal (errno): @because" and that.
 */
static enum lab_outcome kincompatible(struct kctx *k, const char *step, int ret, int kres,
				      const char *refusal, const char *because)
{
	int err;

	if (ret)
		return refused(k, step, ret);
	err = lab_result_step(k->r, step, kres);
	if (err)
		return lab_result_out(k->r, LAB_OUTCOME_SKIP,
				      "%s (%s): %sthe incompatible domain cannot be built", refusal,
				      lab_errname(err), because);
	return 0;
}

/* enforce coherency on an empty domain; 0 when it was enforced */
static enum lab_outcome kenforce(struct kctx *k, const struct lab_pcidev *d,
				 struct lab_domain *dom)
{
	int ret, kres = 0;

	(void)d;
	ret = lab_probe_enforce_coherency(&k->p, dom->handle, &kres);
	return kincompatible(k, "enforce_coherency", ret, kres,
			     "the driver refused to enforce cache coherency on an empty domain", "");
}

/* ---- kmod.coherency.* : enforce coherency on an empty domain, then attach ---- */
static enum lab_outcome run_coherency(const struct lab_env *env, struct lab_result *r)
{
	return kone_domain(env, r, kenforce, "attach");
}

/* ---- kmod.addrwidth.vtd_aw39 : map above 2^39, then attach ---- */
/* map one page above 2^39; 0 when the domain took it */
static enum lab_outcome map_above_39(struct kctx *k, const struct lab_pcidev *d,
				     struct lab_domain *dom)
{
	int ret, kres = 0;

	(void)d;
	ret = lab_probe_map(&k->p, dom->handle, IOVA_ABOVE_39, DMA_LEN, &kres);
	/* newer kernels size the domain for the device and refuse the map itself */
	return kincompatible(k, "map.above_2^39", ret, kres, "map at 2^39 refused",
			     "the domain is already limited to the unit's width, ");
}

static enum lab_outcome run_aw39(const struct lab_env *env, struct lab_result *r)
{
	return kone_domain(env, r, map_above_39, "attach");
}

/* ---- kmod.map.before_attach : map into a never-attached paging domain, then attach ---- */
/*
 * Both errnos are results: the map's is a step (a driver may refuse it, or
 * worse: virtio-iommu on 6.12 oopses here, see rig/README.md), the attach's
 * is judged. The map's IOVA stays clear of DMA_CHECK's two pages.
 */
#define MAP_FIRST_IOVA	0x200000ULL

static enum lab_outcome map_first(struct kctx *k, const struct lab_pcidev *d,
				  struct lab_domain *dom)
{
	int ret, kres = 0;

	(void)d;
	ret = lab_probe_map(&k->p, dom->handle, MAP_FIRST_IOVA, DMA_LEN, &kres);
	if (ret)
		return refused(k, "map", ret);
	lab_result_step(k->r, "map", kres);
	return 0;
}

static enum lab_outcome run_map_before_attach(const struct lab_env *env, struct lab_result *r)
{
	return kone_domain(env, r, map_first, "attach");
}

/* ---- kmod.reuse.second_device: a second group joins an attached domain ---- */
static enum lab_outcome run_reuse_second(const struct lab_env *env, struct lab_result *r)
{
	const struct lab_pcidev *a, *b;
	char why[LAB_REASON_LEN];
	struct lab_domain dom;
	enum lab_outcome o;
	struct kctx k;
	int err = 0;

	if (lab_env_pick_two_single(env, &a, &b, why, sizeof(why)))
		return lab_result_out(r, LAB_OUTCOME_SKIP, "%s", why);
	lab_result_device(r, env, b);
	o = kopen(&k, env, r);
	if (o)
		return o;
	if ((o = kalloc(&k, a, &dom, "domain_alloc.a")) ||
	    (o = kattach_setup(&k, a, &dom, "attach.a", 1)))
		goto out_close;
	o = kattach(&k, b, &dom, "attach.b", &err);
	if (o)
		goto out_close;
	o = kjudge(&k, err, b, &dom, 1);
	/* a verified judged attach moved b into a's domain: that is the reuse */
	if (o == LAB_OUTCOME_JUDGE)
		r->reused = !err;
out_close:
	lab_probe_close(&k.p);
	return o;
}

/* ---- kmod.attach.group_multi_device: iommu_attach_group() where attach_dev fails ---- */
static enum lab_outcome run_group_multi(const struct lab_env *env, struct lab_result *r)
{
	const struct lab_pcidev *d;
	char why[LAB_REASON_LEN];
	struct lab_domain dom;
	enum lab_outcome o;
	int ret, kres = 0, err, i;
	struct kctx k;

	if (lab_env_pick_multi(env, &d, why, sizeof(why)))
		return lab_result_out(r, LAB_OUTCOME_SKIP, "%s", why);
	/* the whole group moves: only when no member is bound to a host driver */
	for (i = 0; i < env->ndevs; i++)
		if (env->devs[i].group == d->group && env->devs[i].bound[0])
			return lab_result_out(r, LAB_OUTCOME_SKIP,
					      "group %d holds %s bound to %s: the group is not free to move",
					      d->group, env->devs[i].bdf, env->devs[i].bound);
	lab_result_device(r, env, d);
	o = kopen(&k, env, r);
	if (o)
		return o;
	o = kalloc(&k, d, &dom, "domain_alloc");
	if (o)
		goto out_close;
	ret = lab_probe_attach_group(&k.p, d->bdf, dom.handle, &kres);
	if (ret) {
		o = refused(&k, "attach_group", ret);
		goto out_close;
	}
	err = lab_result_step(r, "attach_group", kres);
	r->observed = err;
	/* every member must now sit in the domain; the picked device last, by DMA if edu */
	for (i = 0; !err && i < env->ndevs; i++) {
		if (env->devs[i].group != d->group || &env->devs[i] == d)
			continue;
		o = kverify(&k, &env->devs[i], &dom, 0);
		if (o)
			goto out_close;
	}
	o = kjudge(&k, err, d, &dom, 1);
out_close:
	lab_probe_close(&k.p);
	return o;
}

static const char *const needs_single[] = { "kmod", "iommu", "dev-single", NULL };
static const char *const needs_multi[] = { "kmod", "iommu", "dev-multi", NULL };
static const char *const needs_two[] = { "kmod", "iommu", "dev-two-single", NULL };
static const char *const needs_nogroup[] = { "kmod", "iommu", "dev-nogroup", NULL };
static const char *const needs_vtd_nosnoop[] = { "kmod", "intel-iommu", "vtd-snoop-off",
						 "dev-single", NULL };
static const char *const needs_vtd_snoop[] = { "kmod", "intel-iommu", "vtd-snoop-on",
					       "dev-single", NULL };
static const char *const needs_vtd_aw39[] = { "kmod", "intel-iommu", "vtd-aw39", "dev-single",
					      NULL };
static const char *const needs_amd[] = { "kmod", "amd-iommu", "dev-single", NULL };

static const struct lab_contract c_ebusy[] = {
	{ NULL, NULL, "any", EBUSY },
	{ 0 },
};
static const struct lab_contract c_einval[] = {
	{ NULL, NULL, "any", EINVAL },
	{ 0 },
};
static const struct lab_contract c_enodev[] = {
	{ NULL, NULL, "any", ENODEV },
	{ 0 },
};
static const struct lab_contract c_ok[] = {
	{ NULL, NULL, "any", 0 },
	{ 0 },
};
static const struct lab_contract c_vtd_nosnoop[] = {
	{ NULL, "6.2", "intel-iommu", EOPNOTSUPP },
	{ "6.2", NULL, "any", EINVAL },
	{ 0 },
};
static const struct lab_contract c_vtd_aw39[] = {
	{ NULL, "6.2", "intel-iommu", EFAULT },
	{ "6.2", NULL, "any", EINVAL },
	{ 0 },
};
/* AMD-Vi always sets the force-coherent bit: no incompatibility, attach succeeds */
static const struct lab_contract c_amd_coherency[] = {
	{ NULL, NULL, "amd-iommu", 0 },
	{ 0 },
};

/*
 * Contracts only where the kernels agree (Debian 6.1.0-57 and 6.12.118,
 * rig/README.md "map before attach"), on the judged attach: intel-iommu and
 * amd-iommu take the map and the attach (0, verified by DMA) on both;
 * arm-smmu-v3 attaches (0, DMA) on both, its map step differs (6.1 ENODEV:
 * the domain is finalised only at attach; 6.12 0). virtio-iommu has no
 * entry: 6.1 has no virtio-iommu, 6.12 oopses in the map (a crash record,
 * whatever the contract); s390-iommu was not measured: a skip that names
 * the observed errno.
 */
static const struct lab_contract c_map_before_attach[] = {
	{ NULL, NULL, "intel-iommu", 0 },
	{ NULL, NULL, "amd-iommu", 0 },
	{ NULL, NULL, "arm-smmu-v3", 0 },
	{ 0 },
};

static const struct lab_case second_domain = {
	.id = "kmod.attach.second_domain",
	.description = "attach a second paging domain to a device already attached to one: EBUSY",
	.needs = needs_single, .contracts = c_ebusy, .expect_reused = -1,
	.run = run_second_domain,
};
static const struct lab_case multi_group = {
	.id = "kmod.attach.multi_device_group",
	.description = "iommu_attach_device() on a device whose group has more than one device: EINVAL",
	.needs = needs_multi, .contracts = c_einval, .expect_reused = -1,
	.run = run_multi_group,
};
static const struct lab_case no_group = {
	.id = "kmod.attach.no_group",
	.description = "iommu_attach_device() on a device without an IOMMU group: ENODEV",
	.needs = needs_nogroup, .contracts = c_enodev, .expect_reused = -1,
	.run = run_no_group,
};
static const struct lab_case same_twice = {
	.id = "kmod.attach.same_domain_twice",
	.description = "attach the domain the device already sits in again: the core refuses any non-default domain change (EBUSY)",
	.needs = needs_single, .contracts = c_ebusy, .expect_reused = -1,
	.run = run_same_twice,
};
static const struct lab_case vtd_no_snoop = {
	.id = "kmod.coherency.vtd_no_snoop",
	.description = "attach a cache-coherency-enforcing domain to a VT-d unit without snoop control",
	.needs = needs_vtd_nosnoop, .contracts = c_vtd_nosnoop, .expect_reused = -1,
	.run = run_coherency,
};
static const struct lab_case vtd_snoop = {
	.id = "kmod.coherency.vtd_snoop",
	.description = "attach a cache-coherency-enforcing domain to a VT-d unit with snoop control: 0",
	.needs = needs_vtd_snoop, .contracts = c_ok, .expect_reused = -1,
	.run = run_coherency,
};
static const struct lab_case vtd_aw39 = {
	.id = "kmod.addrwidth.vtd_aw39",
	.description = "map an IOVA above 2^39, then attach to a VT-d unit with a 39-bit address width",
	.needs = needs_vtd_aw39, .contracts = c_vtd_aw39, .expect_reused = -1,
	.run = run_aw39,
};
static const struct lab_case amd_coherency = {
	.id = "kmod.coherency.amd",
	.description = "attach a cache-coherency-enforcing domain on AMD-Vi",
	.needs = needs_amd, .contracts = c_amd_coherency, .expect_reused = -1,
	.run = run_coherency,
};

static const struct lab_case map_before_attach = {
	.id = "kmod.map.before_attach",
	.description = "map an IOVA into an empty paging domain that was never attached, then attach it: the errno of the map (a step) and of the attach (judged)",
	.needs = needs_single, .contracts = c_map_before_attach, .expect_reused = -1,
	.run = run_map_before_attach,
};

static const struct lab_case reuse_second = {
	.id = "kmod.reuse.second_device",
	.description = "attach a device of another group to a domain already in use: compatible, 0, the domain is shared",
	.needs = needs_two, .contracts = c_ok, .expect_reused = 1,
	.run = run_reuse_second,
};
static const struct lab_case group_multi = {
	.id = "kmod.attach.group_multi_device",
	.description = "iommu_attach_group() on a multi-device group (where iommu_attach_device() is EINVAL): 0, every member moves",
	.needs = needs_multi, .contracts = c_ok, .expect_reused = -1,
	.run = run_group_multi,
};

const struct lab_case *const lab_cases_kmod[] = {
	&second_domain, &multi_group, &group_multi, &no_group, &same_twice, &reuse_second,
	&vtd_no_snoop, &vtd_snoop, &vtd_aw39, &amd_coherency, &map_before_attach, NULL,
};
