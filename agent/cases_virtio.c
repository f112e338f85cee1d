/*
 * cases_virtio.c - virtio-iommu properties QEMU 7.2 cannot set (kmod.virtio.*):
 * the page granule and the input address width, from QEMU 10.0's
 * virtio-iommu-pci granule= and aw-bits=.
 *
 * Purpose: the errnos a kernel gives when a virtio-iommu does not fit it:
 *  - granule larger than the kernel's PAGE_SIZE: viommu refuses to finalise
 *    a domain (notes/iommu-errno.md: EINVAL on 6.1). On kernels that
 *    allocate the default domain at probe time the device never gets a
 *    group, so the refusal shows at domain_alloc, not at attach. The case
 *    records the first step the kernel refuses (domain_alloc, then attach)
 *    and judges that errno.
 *  - IOVA above the device's input range (aw-bits): map one page at
 *    2^aw-bits into a domain already attached (mapping before the first
 *    attach oopses Debian 6.12, rig/README.md) and judge the map's errno
 *    (Debian 6.12 accepts it: nothing checks the aperture at map time).
 * The machine's granule and width are not visible to userspace; the target
 * declares them on the kernel command line, next to the QEMU arguments that
 * set them (docs/targets.md): iommulab.viommu_granule=BYTES,
 * iommulab.viommu_aw=BITS. Without the declaration the case SKIPs.
 * Invariants: ids are stable; a case whose condition is not built SKIPs with
 * the reason. Ownership: static tables only; the probe file is closed on
 * every path (the module frees its domains). Error convention: run functions
 * return an enum lab_outcome; helpers 0 or a final outcome.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "case.h"
#include "errnames.h"
#include "probe.h"
#include "probestep.h"

/* iommulab.<key>=<unsigned> from <root>/proc/cmdline; 0 when absent or bad */
static unsigned long long cmdline_ull(const struct lab_env *env, const char *key)
{
	char path[192], line[2048], want[64], *p, *end;
	unsigned long long v;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/proc/cmdline", env->root);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(line, 1, sizeof(line) - 1, f);
	fclose(f);
	line[n] = 0;
	snprintf(want, sizeof(want), "iommulab.%s=", key);
	for (p = strstr(line, want); p; p = strstr(p + 1, want)) {
		if (p != line && p[-1] != ' ')
			continue;
		v = strtoull(p + strlen(want), &end, 0);
		if (end != p + strlen(want) && (*end == ' ' || *end == '\n' || !*end))
			return v;
	}
	return 0;
}

/* an edu device behind (or meant to be behind) the IOMMU, not bound; NULL if none */
static const struct lab_pcidev *free_edu(const struct lab_env *env)
{
	int i;

	for (i = 0; i < env->ndevs; i++) {
		const struct lab_pcidev *d = &env->devs[i];

		if (lab_env_is_edu(d) && !d->bound[0] && d->group_devices <= 1)
			return d;
	}
	return NULL;
}

static enum lab_outcome vopen(struct lab_probe *p, const struct lab_env *env, struct lab_result *r)
{
	int ret = lab_probe_open(p, env->root);

	if (ret)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "open /dev/%s: %s",
				      IOMMULAB_PROBE_DEVNAME, lab_errname(ret));
	return 0;
}

/* ---- kmod.virtio.granule_gt_page ---- */
static enum lab_outcome run_granule(const struct lab_env *env, struct lab_result *r)
{
	unsigned long long granule = cmdline_ull(env, "viommu_granule");
	long page = sysconf(_SC_PAGESIZE);
	const struct lab_pcidev *d;
	struct lab_domain dom;
	struct lab_probe p;
	enum lab_outcome o;
	int kres = 0, err = 0;

	if (!granule || page <= 0 || granule <= (unsigned long long)page)
		return lab_result_out(r, LAB_OUTCOME_SKIP,
				      "needs a virtio-iommu granule larger than the page size (%ld): the target declares %llu (iommulab.viommu_granule=; QEMU 10.0 virtio-iommu-pci granule=)",
				      page, granule);
	d = free_edu(env);
	if (!d)
		return lab_result_out(r, LAB_OUTCOME_SKIP, "no unbound edu device on this target");
	lab_result_device(r, env, d);
	/* informational: did the IOMMU take the device at probe time? */
	lab_result_step(r, "probe.group", d->group >= 0 ? 0 : ENODEV);
	if ((o = vopen(&p, env, r)))
		return o;
	o = lab_probestep(r, "domain_alloc", lab_probe_domain_alloc(&p, d->bdf, &dom, &kres), &kres, &err);
	if (o || err)
		goto judge;
	o = lab_probestep(r, "attach", lab_probe_attach_dev(&p, d->bdf, dom.handle, &kres), &kres, &err);
	if (!o && !err)
		o = lab_probestep_verify_core(&p, r, d, &dom);
judge:
	if (!o) {
		r->observed = err;
		o = lab_result_out(r, LAB_OUTCOME_JUDGE, "%s", "");
	}
	lab_probe_close(&p);
	return o;
}

/* ---- kmod.virtio.map_above_aw ---- */
static enum lab_outcome run_map_above_aw(const struct lab_env *env, struct lab_result *r)
{
	unsigned long long aw = cmdline_ull(env, "viommu_aw");
	const struct lab_pcidev *d;
	struct lab_domain dom;
	struct lab_probe p;
	enum lab_outcome o;
	int kres = 0, err = 0;

	if (aw < 32 || aw >= 64)
		return lab_result_out(r, LAB_OUTCOME_SKIP,
				      "needs a virtio-iommu input range narrower than 64 bits: the target declares none (iommulab.viommu_aw=; QEMU 10.0 virtio-iommu-pci aw-bits=)");
	if ((o = lab_case_pick_single(env, r, &d)))
		return o;
	if ((o = vopen(&p, env, r)))
		return o;
	if ((o = lab_probestep(r, "domain_alloc", lab_probe_domain_alloc(&p, d->bdf, &dom, &kres), &kres, &err)))
		goto out_close;
	if (err) {
		o = lab_result_out(r, LAB_OUTCOME_ERROR, "domain_alloc for %s: %s", d->bdf,
				   lab_errname(err));
		goto out_close;
	}
	if ((o = lab_probestep(r, "attach", lab_probe_attach_dev(&p, d->bdf, dom.handle, &kres), &kres, &err)))
		goto out_close;
	if (err) {
		o = lab_result_out(r, LAB_OUTCOME_ERROR, "attach of %s failed: %s", d->bdf,
				   lab_errname(err));
		goto out_close;
	}
	if ((o = lab_probestep_verify_core(&p, r, d, &dom)))
		goto out_close;
	if ((o = lab_probestep(r, "map.above_aw", lab_probe_map(&p, dom.handle, 1ULL << aw, 0x1000, &kres),
		       &kres, &err)))
		goto out_close;
	r->observed = err;
	o = lab_result_out(r, LAB_OUTCOME_JUDGE, "%s", "");
out_close:
	lab_probe_close(&p);
	return o;
}

static const char *const needs_virtio_kmod[] = { "kmod", "virtio-iommu", NULL };

/*
 * From 6.2: measured on Debian 6.12 (x86_64 and arm64) under QEMU 10.0.2
 * (tests/stages/47-matrix-qemu10.sh): the device gets no group at probe time,
 * domain_alloc for it is ENODEV. Before 6.2: notes/iommu-errno.md (EINVAL at
 * attach), NOT measured: no Debian 6.1 kernel (amd64, arm64) enables
 * VIRTIO_IOMMU.
 */
static const struct lab_contract c_granule[] = {
	{ NULL, "6.2", "virtio-iommu", EINVAL },
	{ "6.2", NULL, "any", ENODEV },
	{ 0 },
};
/*
 * Measured on Debian 6.12 (x86_64, arm64): the map is accepted (0); neither
 * iommu_map() nor viommu_map_pages() compares the IOVA with the domain's
 * aperture (the input range QEMU advertises).
 */
static const struct lab_contract c_map_above_aw[] = {
	{ NULL, NULL, "any", 0 },
	{ 0 },
};

static const struct lab_case granule_gt_page = {
	.id = "kmod.virtio.granule_gt_page",
	.description = "use a device behind a virtio-iommu whose granule is larger than PAGE_SIZE: the first refused step (domain_alloc or attach)",
	.needs = needs_virtio_kmod, .contracts = c_granule, .expect_reused = -1,
	.run = run_granule,
};
static const struct lab_case map_above_aw = {
	.id = "kmod.virtio.map_above_aw",
	.description = "map an IOVA at 2^aw-bits into an attached virtio-iommu domain (input range narrower than 64 bits)",
	.needs = needs_virtio_kmod, .contracts = c_map_above_aw, .expect_reused = -1,
	.run = run_map_above_aw,
};

const struct lab_case *const lab_cases_virtio[] = {
	&granule_gt_page,
	&map_above_aw,
	NULL,
};
