/*
 * cases_arch.c - arch-specific IOMMU incompatibilities (kmod.arch.*):
 * arm-smmu-v3 and s390-iommu conditions from notes/iommu-errno.md.
 *
 * Purpose: the errno contracts for the driver-specific "incompatible domain"
 * paths of the ARM SMMUv3 and s390 zPCI IOMMU drivers, so a lab with the
 * hardware judges them and the QEMU matrix records why it cannot:
 *  - arm-smmu-v3, domain of another SMMU: -ENXIO before 6.2, -EINVAL from 6.2.
 *    Runs when two SMMUv3 instances each have a free device: QEMU 11.1's
 *    virt-smmuv3-x2-q11 (QEMU 7.2 and 10.0 have one SMMU per virt machine:
 *    there it SKIPs with that reason).
 *  - arm-smmu-v3, substream (PASID) / stall mismatch: -EINVAL before and
 *    after 6.2. Needs a PASID-capable device and an SMMU with substreams;
 *    QEMU 7.2's SMMUv3 handles one context descriptor per stream and edu has
 *    no PASID capability: always SKIP under QEMU.
 *  - s390-iommu, zPCI functions with different DMA ranges: -EINVAL before and
 *    after 6.2. The range comes from firmware (CLP) and is not visible to
 *    userspace; QEMU gives every function the same one: SKIP.
 * Invariants: ids are stable; a case that cannot build its condition SKIPs
 * with the reason and never judges. Ownership: static tables only; the probe
 * file is closed on every path (the module then frees the domains).
 * Error convention: run functions return an enum lab_outcome.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "case.h"
#include "errnames.h"
#include "probe.h"
#include "probestep.h"

/* an unbound endpoint alone in its group behind IOMMU instance != @not_iommu */
static const struct lab_pcidev *free_dev_behind_other(const struct lab_env *env,
						      const char *not_iommu)
{
	int i;

	for (i = 0; i < env->ndevs; i++) {
		const struct lab_pcidev *d = &env->devs[i];

		if (d->group < 0 || d->group_devices != 1 || !d->iommu[0] || d->bound[0])
			continue;
		if ((d->class >> 16) == 0x06)	/* bridges */
			continue;
		if (not_iommu && strcmp(d->iommu, not_iommu) == 0)
			continue;
		return d;
	}
	return NULL;
}

/* ---- kmod.arch.smmuv3_foreign_instance ---- */
static enum lab_outcome run_smmu_foreign(const struct lab_env *env, struct lab_result *r)
{
	const struct lab_pcidev *a, *b;
	struct lab_domain dom;
	struct lab_probe p;
	enum lab_outcome o;
	int ret, kres = 0, err = 0;

	a = free_dev_behind_other(env, NULL);
	b = a ? free_dev_behind_other(env, a->iommu) : NULL;
	if (!a || !b)
		return lab_result_out(r, LAB_OUTCOME_SKIP,
				      "needs two SMMUv3 instances with a free device behind each (this target has %d IOMMU instance(s)); QEMU 7.2 and 10.0 give virt one SMMU: QEMU 11.1 (virt-smmuv3-x2-q11) or real hardware",
				      env->niommus);
	lab_result_device(r, env, b);
	ret = lab_probe_open(&p, env->root);
	if (ret)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "open /dev/%s: %s",
				      IOMMULAB_PROBE_DEVNAME, lab_errname(ret));
	/* the domain is finalised for a's SMMU by attaching a */
	if ((o = lab_probestep(r, "domain_alloc.a", lab_probe_domain_alloc(&p, a->bdf, &dom, &kres), &kres, &err)))
		goto out_close;
	if (err) {
		o = lab_result_out(r, LAB_OUTCOME_ERROR, "domain_alloc for %s: %s", a->bdf,
				   lab_errname(err));
		goto out_close;
	}
	if ((o = lab_probestep(r, "attach.a", lab_probe_attach_dev(&p, a->bdf, dom.handle, &kres), &kres, &err)))
		goto out_close;
	if (err) {
		o = lab_result_out(r, LAB_OUTCOME_ERROR, "attach of %s failed: %s", a->bdf,
				   lab_errname(err));
		goto out_close;
	}
	if ((o = lab_probestep_verify_core(&p, r, a, &dom)))
		goto out_close;
	if ((o = lab_probestep(r, "attach.b", lab_probe_attach_dev(&p, b->bdf, dom.handle, &kres), &kres, &err)))
		goto out_close;
	r->observed = err;
	if (!err && (o = lab_probestep_verify_core(&p, r, b, &dom)))
		goto out_close;
	o = lab_result_out(r, LAB_OUTCOME_JUDGE, "%s", "");
out_close:
	lab_probe_close(&p);
	return o;
}

/* ---- kmod.arch.smmuv3_substream_mismatch ---- */
static enum lab_outcome run_smmu_substream(const struct lab_env *env, struct lab_result *r)
{
	(void)env;
	return lab_result_out(r, LAB_OUTCOME_SKIP,
			      "needs a PASID-capable device and an SMMUv3 with substreams or stall (real hardware); QEMU 7.2's SMMUv3 uses one context descriptor per stream and edu has no PASID capability");
}

/* ---- kmod.arch.s390_dma_range ---- */
static enum lab_outcome run_s390_range(const struct lab_env *env, struct lab_result *r)
{
	const char *drv = lab_env_driver_of(env, NULL);

	if (strcmp(drv, "s390-iommu") != 0)
		return lab_result_out(r, LAB_OUTCOME_SKIP, "needs s390-iommu, this target has %s",
				      drv);
	return lab_result_out(r, LAB_OUTCOME_SKIP,
			      "needs two zPCI functions with different DMA ranges (firmware CLP data, not visible to userspace); QEMU gives every zPCI function the same range: real hardware");
}

static const char *const needs_smmu_kmod[] = { "kmod", "arm-smmu-v3", NULL };
static const char *const needs_smmu[] = { "arm-smmu-v3", NULL };
static const char *const needs_iommu[] = { "iommu", NULL };

static const struct lab_contract c_smmu_foreign[] = {
	{ NULL, "6.2", "arm-smmu-v3", ENXIO },
	{ "6.2", NULL, "any", EINVAL },
	{ 0 },
};
static const struct lab_contract c_smmu_substream[] = {
	{ NULL, "6.2", "arm-smmu-v3", EINVAL },
	{ "6.2", NULL, "any", EINVAL },
	{ 0 },
};
static const struct lab_contract c_s390_range[] = {
	{ NULL, "6.2", "s390-iommu", EINVAL },
	{ "6.2", NULL, "any", EINVAL },
	{ 0 },
};

static const struct lab_case smmu_foreign = {
	.id = "kmod.arch.smmuv3_foreign_instance",
	.description = "attach a device to a domain finalised on another SMMUv3: ENXIO before 6.2, EINVAL from 6.2",
	.needs = needs_smmu_kmod, .contracts = c_smmu_foreign, .expect_reused = -1,
	.run = run_smmu_foreign,
};
static const struct lab_case smmu_substream = {
	.id = "kmod.arch.smmuv3_substream_mismatch",
	.description = "attach a device whose substream/stall setup differs from the domain's: EINVAL",
	.needs = needs_smmu, .contracts = c_smmu_substream, .expect_reused = -1,
	.run = run_smmu_substream,
};
static const struct lab_case s390_range = {
	.id = "kmod.arch.s390_dma_range",
	.description = "attach a zPCI function whose DMA range differs from the domain's: EINVAL",
	.needs = needs_iommu, .contracts = c_s390_range, .expect_reused = -1,
	.run = run_s390_range,
};

const struct lab_case *const lab_cases_arch[] = {
	&smmu_foreign,
	&smmu_substream,
	&s390_range,
	NULL,
};
