/*
 * cases_fault.c - the kernel fault cases (fault.warn, fault.oops,
 * fault.kpanic): the probe module's test-only IOMMULAB_OP_FAULT makes the
 * kernel WARN, oops (NULL dereference in this process) or panic, so the
 * lab's crash detection is tested against real kernel reports.
 *
 * They are not part of the catalogue (lab_cases_all): the fault switch
 * (iommulab.fault=warn|oops|kpanic, --fault) puts exactly one of them in
 * front of the selected cases (runner.c), and rig/init.sh then loads the
 * module with fault_ops=1. Each judges the FAULT op's result against "0":
 * the kernel's report (kreport.h) is what makes the record warn or crash.
 * Without fault_ops the module refuses the op (EPERM): an error record.
 */
#include <errno.h>

#include "case.h"
#include "errnames.h"
#include "probe.h"

static enum lab_outcome run_fault(const struct lab_env *env, struct lab_result *r,
				  uint32_t kind, const char *step)
{
	struct lab_probe p;
	int ret, kres = 0;

	ret = lab_probe_open(&p, env->root);
	if (ret)
		return lab_result_out(r, LAB_OUTCOME_ERROR, "open /dev/%s: %s",
				      IOMMULAB_PROBE_DEVNAME, lab_errname(ret));
	ret = lab_probe_fault(&p, kind, &kres);
	lab_probe_close(&p);
	if (ret)
		return lab_result_out(r, LAB_OUTCOME_ERROR,
				      "%s: probe command refused: %s%s", step, lab_errname(ret),
				      ret == -EPERM ? " (module loaded without fault_ops=1)" : "");
	r->observed = lab_result_step(r, step, kres);
	return lab_result_out(r, LAB_OUTCOME_JUDGE, "%s", "");
}

static enum lab_outcome run_warn(const struct lab_env *env, struct lab_result *r)
{
	return run_fault(env, r, IOMMULAB_FAULT_WARN, "fault.warn");
}

static enum lab_outcome run_oops(const struct lab_env *env, struct lab_result *r)
{
	return run_fault(env, r, IOMMULAB_FAULT_OOPS, "fault.oops");
}

static enum lab_outcome run_kpanic(const struct lab_env *env, struct lab_result *r)
{
	return run_fault(env, r, IOMMULAB_FAULT_PANIC, "fault.kpanic");
}

static const char *const needs_kmod[] = { "kmod", NULL };
static const struct lab_contract c_ok[] = {
	{ NULL, NULL, "any", 0 },
	{ 0 },
};

const struct lab_case lab_case_fault_warn = {
	.id = "fault.warn",
	.description = "TEST ONLY: the probe module WARN()s on request: the record must be warn, with the trace",
	.needs = needs_kmod, .contracts = c_ok, .expect_reused = -1, .run = run_warn,
};
const struct lab_case lab_case_fault_oops = {
	.id = "fault.oops",
	.description = "TEST ONLY: the probe module dereferences NULL in this process: the record must be crash, with the oops",
	.needs = needs_kmod, .contracts = c_ok, .expect_reused = -1, .run = run_oops,
};
const struct lab_case lab_case_fault_kpanic = {
	.id = "fault.kpanic",
	.description = "TEST ONLY: the probe module panics: the guest dies during this case",
	.needs = needs_kmod, .contracts = c_ok, .expect_reused = -1, .run = run_kpanic,
};
