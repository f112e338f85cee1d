/*
 * cases_vfio.c - VFIO type1 cases (vfio.type1.*).
 *
 * The devices are bound to vfio-pci for the case and unbound afterwards
 * (only devices found unbound are used, see env.h). Domain identity comes
 * from the iommulab_probe module's DOMAIN_IDENT: type1 does not expose its
 * domains, so "reused" and "verified" need the module.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "case.h"
#include "errnames.h"
#include "probe.h"
#include "vfio.h"

/* the x86 MSI window (IOMMU_RESV_MSI), excluded from type1's valid IOVA ranges */
#define X86_MSI_IOVA	0xfee00000ULL

/* the identity of the domain @bdf sits in now, via the probe module */
static int ident_of(const struct lab_env *env, struct lab_result *r, const char *step,
		    const char *bdf, uint64_t *ident)
{
	struct lab_probe p;
	struct lab_domain cur;
	int ret, kres = 0;

	ret = lab_probe_open(&p, env->root);
	if (ret)
		return ret;
	ret = lab_probe_domain_ident(&p, bdf, &cur, &kres);
	lab_probe_close(&p);
	if (ret)
		return ret;
	lab_result_step(r, step, kres);
	if (kres)
		return kres;
	*ident = cur.ident;
	return 0;
}

static enum lab_outcome bind_dev(const struct lab_env *env, struct lab_result *r,
				 const struct lab_pcidev *d, struct lab_vfio_binding *b,
				 const char *step)
{
	int ret = lab_vfio_bind(env, d, b);

	if (ret == -ENOENT)
		return lab_result_out(r, LAB_OUTCOME_SKIP, "vfio-pci driver not available");
	lab_result_step(r, step, ret);
	if (ret)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "binding %s to vfio-pci failed: %s",
				      d->bdf, lab_errname(ret));
	return 0;
}

/* container + one group + type1v2; *fatal gets the setup outcome when it fails */
struct one_group {
	struct lab_vfio_binding b;
	int cfd, gfd;
};

static enum lab_outcome open_container(const struct lab_env *env, struct lab_result *r, int *cfd)
{
	int ret = lab_vfio_container_open(env, cfd);

	lab_result_step(r, "container_open", ret);
	if (ret)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "/dev/vfio/vfio: %s", lab_errname(ret));
	return 0;
}

static enum lab_outcome open_group(const struct lab_env *env, struct lab_result *r,
				   const struct lab_pcidev *d, int *gfd, const char *step)
{
	int ret = lab_vfio_group_open(env, d->group, gfd);

	lab_result_step(r, step, ret);
	if (ret)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "/dev/vfio/%d: %s", d->group,
				      lab_errname(ret));
	return 0;
}

/* ---- vfio.type1.two_groups_reuse ---- */
static enum lab_outcome run_two_groups(const struct lab_env *env, struct lab_result *r)
{
	struct lab_vfio_binding ba = { 0 }, bb = { 0 };
	const struct lab_pcidev *a, *b;
	uint64_t before_a = 0, before_b = 0, after_a = 0, after_b = 0;
	char why[LAB_REASON_LEN];
	int cfd = -1, ga = -1, gb = -1, ret, err;
	enum lab_outcome o;

	if (lab_env_pick_two_single(env, &a, &b, why, sizeof(why)))
		return lab_result_out(r, LAB_OUTCOME_SKIP, "%s", why);
	lab_result_device(r, env, a);
	if ((o = bind_dev(env, r, a, &ba, "bind_vfio_pci.a")) ||
	    (o = bind_dev(env, r, b, &bb, "bind_vfio_pci.b")))
		goto out_unbind;
	ret = ident_of(env, r, "ident_before.a", a->bdf, &before_a);
	if (!ret)
		ret = ident_of(env, r, "ident_before.b", b->bdf, &before_b);
	if (ret) {
		o = lab_result_out(r, LAB_OUTCOME_ERROR, "domain identity before attach: %s",
				   lab_errname(ret));
		goto out_unbind;
	}
	if ((o = open_container(env, r, &cfd)) ||
	    (o = open_group(env, r, a, &ga, "group_open.a")) ||
	    (o = open_group(env, r, b, &gb, "group_open.b")))
		goto out_close;
	/* the judged errno: the first failing attach step (0 when both attach) */
	err = lab_result_step(r, "set_container.a", lab_vfio_group_set_container(ga, cfd));
	if (!err)
		err = lab_result_step(r, "set_iommu_type1v2", lab_vfio_set_iommu_type1v2(cfd));
	if (!err)
		err = lab_result_step(r, "set_container.b", lab_vfio_group_set_container(gb, cfd));
	r->observed = err;
	if (err) {
		o = lab_result_out(r, LAB_OUTCOME_JUDGE, "%s", "");
		goto out_close;
	}
	ret = ident_of(env, r, "ident_after.a", a->bdf, &after_a);
	if (!ret)
		ret = ident_of(env, r, "ident_after.b", b->bdf, &after_b);
	if (ret) {
		o = lab_result_out(r, LAB_OUTCOME_ERROR, "domain identity after attach: %s",
				   lab_errname(ret));
		goto out_close;
	}
	if (!after_a || after_a == before_a || !after_b || after_b == before_b) {
		o = lab_result_out(r, LAB_OUTCOME_FAIL,
				   "driver reported success without attaching (a %016llx->%016llx, b %016llx->%016llx)",
				   (unsigned long long)before_a, (unsigned long long)after_a,
				   (unsigned long long)before_b, (unsigned long long)after_b);
		goto out_close;
	}
	r->verified = LAB_VERIFIED_CORE;
	r->reused = after_a == after_b;
	o = lab_result_out(r, LAB_OUTCOME_JUDGE, "%s", r->reused ? "" :
			   "VFIO kept a separate domain for the second group");
out_close:
	if (gb >= 0)
		close(gb);
	if (ga >= 0)
		close(ga);
	if (cfd >= 0)
		close(cfd);
out_unbind:
	lab_vfio_unbind(env, &bb);
	lab_vfio_unbind(env, &ba);
	return o;
}

/* container with one group attached through type1v2; 0 when ready */
static enum lab_outcome one_group_setup(const struct lab_env *env, struct lab_result *r,
					const struct lab_pcidev *d, struct one_group *g,
					int judge_set_iommu)
{
	enum lab_outcome o;
	int err;

	g->cfd = g->gfd = -1;
	memset(&g->b, 0, sizeof(g->b));
	if ((o = bind_dev(env, r, d, &g->b, "bind_vfio_pci")) ||
	    (o = open_container(env, r, &g->cfd)) ||
	    (o = open_group(env, r, d, &g->gfd, "group_open")))
		return o;
	err = lab_result_step(r, "set_container", lab_vfio_group_set_container(g->gfd, g->cfd));
	if (err)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "set_container: %s", lab_errname(err));
	err = lab_result_step(r, "set_iommu_type1v2", lab_vfio_set_iommu_type1v2(g->cfd));
	if (judge_set_iommu) {
		r->observed = err;
		return lab_result_out(r, LAB_OUTCOME_JUDGE, "%s", "");
	}
	if (err)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "set_iommu_type1v2: %s",
				      lab_errname(err));
	return 0;
}

static void one_group_teardown(const struct lab_env *env, struct one_group *g)
{
	if (g->gfd >= 0)
		close(g->gfd);
	if (g->cfd >= 0)
		close(g->cfd);
	lab_vfio_unbind(env, &g->b);
}

/* ---- vfio.type1.map_msi_window ---- */
static enum lab_outcome run_map_msi(const struct lab_env *env, struct lab_result *r)
{
	const struct lab_pcidev *d;
	struct one_group g = { .cfd = -1, .gfd = -1 };
	enum lab_outcome o;
	long pg = sysconf(_SC_PAGESIZE);
	void *buf;
	int err;

	o = lab_case_pick_single(env, r, &d);
	if (o)
		return o;
	o = one_group_setup(env, r, d, &g, 0);
	if (o)
		goto out_teardown;
	buf = mmap(NULL, (size_t)pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED) {
		o = lab_result_out(r, LAB_OUTCOME_ERROR, "mmap: %s", lab_errname(errno));
		goto out_teardown;
	}
	err = lab_result_step(r, "map_dma.msi_window",
			      lab_vfio_map_dma(g.cfd, buf, X86_MSI_IOVA, (uint64_t)pg));
	r->observed = err;
	if (!err)
		lab_result_step(r, "unmap_dma", lab_vfio_unmap_dma(g.cfd, X86_MSI_IOVA, (uint64_t)pg));
	o = lab_result_out(r, LAB_OUTCOME_JUDGE, "%s", "");
	munmap(buf, (size_t)pg);
out_teardown:
	one_group_teardown(env, &g);
	return o;
}

/* ---- vfio.type1.unsafe_interrupts ---- */
static enum lab_outcome run_unsafe_irq(const struct lab_env *env, struct lab_result *r)
{
	const struct lab_pcidev *d;
	struct one_group g = { .cfd = -1, .gfd = -1 };
	enum lab_outcome o;

	o = lab_case_pick_single(env, r, &d);
	if (o)
		return o;
	if (lab_vfio_unsafe_interrupts_allowed(env) == 1)
		return lab_result_out(r, LAB_OUTCOME_SKIP,
				      "vfio_iommu_type1.allow_unsafe_interrupts=Y on this kernel");
	o = one_group_setup(env, r, d, &g, 1);
	one_group_teardown(env, &g);
	return o;
}

static const char *const needs_two[] = { "vfio", "iommu", "kmod", "vfio-irq-safe",
						"dev-two-single", NULL };
static const char *const needs_msi[] = { "x86", "vfio", "iommu", "vfio-irq-safe", "dev-single",
						NULL };
static const char *const needs_unsafe[] = { "vfio", "iommu", "no-intremap", "dev-single", NULL };

static const struct lab_contract c_ok[] = {
	{ NULL, NULL, "any", 0 },
	{ 0 },
};
/* type1 keeps IOMMU_RESV_MSI out of its valid IOVA list: MAP_DMA -EINVAL (6.1 .. current) */
static const struct lab_contract c_msi[] = {
	{ NULL, NULL, "any", EINVAL },
	{ 0 },
};
static const struct lab_contract c_eperm[] = {
	{ NULL, NULL, "any", EPERM },
	{ 0 },
};

static const struct lab_case two_groups = {
	.id = "vfio.type1.two_groups_reuse",
	.description = "two groups in one type1 container: both attach and share one domain",
	.needs = needs_two, .contracts = c_ok, .expect_reused = 1,
	.run = run_two_groups,
};
static const struct lab_case map_msi = {
	.id = "vfio.type1.map_msi_window",
	.description = "VFIO_IOMMU_MAP_DMA over the x86 MSI window 0xfee00000",
	.needs = needs_msi, .contracts = c_msi, .expect_reused = -1,
	.run = run_map_msi,
};
static const struct lab_case unsafe_irq = {
	.id = "vfio.type1.unsafe_interrupts",
	.description = "type1 refuses a group without interrupt remapping (allow_unsafe_interrupts=N): EPERM",
	.needs = needs_unsafe, .contracts = c_eperm, .expect_reused = -1,
	.run = run_unsafe_irq,
};

const struct lab_case *const lab_cases_vfio[] = { &two_groups, &map_msi, &unsafe_irq, NULL };
