// SPDX-License-Identifier: GPL-2.0
/*
 * test_known.c - known issues where results are judged (core/diff_known.c,
 * issue 18.1), on a real SQLite store: one planted regression set, 6.1 ->
 * 6.12 on q35-vtd:
 *   kmod.a  EINVAL/pass -> ENODEV/fail   pass_to_fail (a regression)
 *   kmod.b  ENODEV/fail -> EINVAL/pass   fail_to_pass
 *   kmod.c  EINVAL/pass -> (no result)   missing (a regression)
 *   kmod.d  EINVAL/pass -> EINVAL/pass   unchanged
 * With no known issue, or one whose kernel range holds the base but not the
 * head, both regressions count; a known issue covering kmod.a and kmod.c
 * on the head's kernel labels them expected (not regressions) in the
 * kernel diff, the plan diff, the nightly comparison and the patch check;
 * one covering kmod.b reports it as "expected failure passed", with the
 * command that retires it (row, text diff, nightly summary, patch report).
 * Retired, a known issue labels nothing: the same diffs, nightly and patch
 * check count both regressions again.
 */
#include "helpers.h"
#include "store_provenance.h"
#include "diff.h"
#include "findings.h"
#include "nightly.h"
#include "patch.h"
#include "plan.h"

#define KI_A_C_REASON "attach on q35: ENODEV is the firmware's"
#define KI_B_REASON "kmod.b failed on 6.1 (TCG)"

/* the results of @kernel: the table above */
static size_t results_of(const char *kernel, struct lab_result *r)
{
	if (!strcmp(kernel, "6.1")) {
		r[0] = fx_result("kmod.a", 22, 22, LAB_VERDICT_PASS);
		r[1] = fx_result("kmod.b", 19, 22, LAB_VERDICT_FAIL);
		r[2] = fx_result("kmod.c", 22, 22, LAB_VERDICT_PASS);
		r[3] = fx_result("kmod.d", 22, 22, LAB_VERDICT_PASS);
		return 4;
	}
	r[0] = fx_result("kmod.a", 19, 22, LAB_VERDICT_FAIL);
	r[1] = fx_result("kmod.b", 22, 22, LAB_VERDICT_PASS);
	r[2] = fx_result("kmod.d", 22, 22, LAB_VERDICT_PASS);
	return 3;
}

/* a plan (@plan: its JSON, consumed) whose jobs all complete with
 * results_of() their kernel; returns its id */
static int64_t plan_run(struct fx *f, json_t *plan)
{
	struct lab_job_filter jf = { .state = -1, .limit = 10 };
	char err[LAB_STORE_ERR_MAX];
	struct lab_result res[8];
	json_t *jobs, *j;
	int64_t pid;
	size_t i;
	int njobs;

	assert_int_equal(lab_store_plan_create_ex(f->st, plan, "test", &pid, &njobs, err,
						  sizeof(err)), 0);
	json_decref(plan);
	jf.plan_id = pid;
	assert_int_equal(lab_store_jobs_list(f->st, &jf, &jobs), 0);
	assert_int_equal(json_array_size(jobs), njobs);
	json_array_foreach(jobs, i, j) {
		int64_t jid = json_integer_value(json_object_get(j, "id"));
		size_t n = results_of(json_string_value(json_object_get(j, "kernel")), res);

		assert_int_equal(lab_store_job_transition(f->st, jid, LAB_JOB_QUEUED,
							  LAB_JOB_SCHEDULED, NULL), 0);
		assert_int_equal(lab_store_job_transition(f->st, jid, LAB_JOB_SCHEDULED,
							  LAB_JOB_RUNNING, NULL), 0);
		assert_int_equal(lab_store_results_ingest(f->st, jid, res, n), 0);
		assert_int_equal(lab_store_job_transition(f->st, jid, LAB_JOB_RUNNING,
							  LAB_JOB_COMPLETE, NULL), 0);
	}
	json_decref(jobs);
	return pid;
}

static int64_t nightly(struct fx *f, const char *kernel)
{
	return plan_run(f, json_pack("{s:s, s:[s], s:[s]}", "kind", "nightly", "kernels", kernel,
				     "targets", "q35-vtd"));
}

/* every job of plan @pid ran on QEMU @qemu (its provenance row) */
static void plan_qemu(struct fx *f, int64_t pid, const char *qemu)
{
	struct lab_job_filter jf = { .state = -1, .limit = 10, .plan_id = pid };
	json_t *jobs, *j;
	size_t i;

	assert_int_equal(lab_store_jobs_list(f->st, &jf, &jobs), 0);
	json_array_foreach(jobs, i, j) {
		struct lab_provenance p = {
			.job_id = json_integer_value(json_object_get(j, "id")), .top = "/tmp",
			.cache_dir = "/tmp", .arch = "x86_64", .qemu_version = (char *)qemu,
		};

		assert_int_equal(lab_store_provenance_put(f->st, &p), 0);
	}
	json_decref(jobs);
}

/* retire known issue @id */
static void retire(struct fx *f, int64_t id)
{
	char err[256];

	assert_int_equal(lab_findings_retire(f->st, id, "fixed upstream", "test", NULL, err,
					     sizeof(err)), 0);
}

/* a known issue; returns its id */
static int64_t known(struct fx *f, const char *cases, const char *kmin, const char *kmax,
		     const char *reason)
{
	struct lab_known_issue ki = {
		.driver = "intel-iommu", .case_glob = (char *)cases, .target_glob = "q35-*",
		.kernel_min = (char *)kmin, .kernel_max = (char *)kmax, .reason = (char *)reason,
	};

	assert_int_equal(lab_findings_expect(f->st, &ki, "test", NULL), 0);
	assert_true(ki.id > 0);
	return ki.id;
}

static json_t *row_of(json_t *rows, const char *case_id)
{
	json_t *r;
	size_t i;

	json_array_foreach(rows, i, r)
		if (!strcmp(json_string_value(json_object_get(r, "case")), case_id))
			return r;
	fail_msg("no row %s", case_id);
	return NULL;
}

static json_int_t sum(json_t *d, const char *k)
{
	return json_integer_value(json_object_get(json_object_get(d, "summary"), k));
}

/* "expected", "expected_passed" or "" (null) */
static const char *label(json_t *row)
{
	const char *l = json_string_value(json_object_get(json_object_get(row, "known_issue"),
							  "label"));

	return l ? l : "";
}

static json_int_t ki_id(json_t *row)
{
	return json_integer_value(json_object_get(json_object_get(row, "known_issue"), "id"));
}

/* the diff of @base -> @head (kernels, or plans as decimal strings) */
static json_t *diff(struct fx *f, bool by_plan, const char *base, const char *head)
{
	char err[LAB_STORE_ERR_MAX];
	json_t *d = NULL;

	assert_int_equal(lab_diff_run(f->st, by_plan, base, head, true, &d, err, sizeof(err)), 0);
	return d;
}

/* both regressions count, nothing labelled */
static void assert_unlabelled(json_t *d)
{
	json_t *rows = json_object_get(d, "rows");

	assert_int_equal(sum(d, "regressions"), 2);
	assert_int_equal(sum(d, "expected"), 0);
	assert_int_equal(sum(d, "expected_passed"), 0);
	assert_true(json_is_true(json_object_get(row_of(rows, "kmod.a"), "regression")));
	assert_true(json_is_null(json_object_get(row_of(rows, "kmod.a"), "known_issue")));
	assert_string_equal(json_string_value(json_object_get(row_of(rows, "kmod.c"), "class")),
			    "missing");
	assert_true(json_is_true(json_object_get(row_of(rows, "kmod.c"), "regression")));
	assert_string_equal(label(row_of(rows, "kmod.b")), "");
}

/* kmod.a and kmod.c expected (@ac), kmod.b expected failure passed (@b) */
static void assert_labelled(json_t *d, json_int_t ac, json_int_t b)
{
	json_t *rows = json_object_get(d, "rows"), *a = row_of(rows, "kmod.a");

	assert_int_equal(sum(d, "regressions"), 0);
	assert_int_equal(sum(d, "expected"), 2);
	assert_int_equal(sum(d, "expected_passed"), 1);
	assert_string_equal(json_string_value(json_object_get(a, "class")), "pass_to_fail");
	assert_true(json_is_false(json_object_get(a, "regression")));
	assert_string_equal(label(a), "expected");
	assert_int_equal(ki_id(a), ac);
	assert_string_equal(json_string_value(json_object_get(json_object_get(a, "known_issue"),
							      "reason")), KI_A_C_REASON);
	assert_string_equal(label(row_of(rows, "kmod.c")), "expected");
	assert_true(json_is_false(json_object_get(row_of(rows, "kmod.c"), "regression")));
	assert_string_equal(json_string_value(json_object_get(row_of(rows, "kmod.b"), "class")),
			    "fail_to_pass");
	assert_string_equal(label(row_of(rows, "kmod.b")), "expected_passed");
	assert_int_equal(ki_id(row_of(rows, "kmod.b")), b);
}

static void test_diff_labels(void **state)
{
	struct fx *f = *state;
	char pb[32], ph[32];
	json_int_t kac, kb;
	json_t *d;
	char *text;

	snprintf(pb, sizeof(pb), "%lld", (long long)nightly(f, "6.1"));
	snprintf(ph, sizeof(ph), "%lld", (long long)nightly(f, "6.12"));
	d = diff(f, false, "6.1", "6.12");
	assert_unlabelled(d);
	json_decref(d);
	/* ranges that hold the base's kernel (6.1) or none, not the head's */
	known(f, "kmod.a,kmod.c", "6.0", "6.1", "only before 6.12");
	known(f, "kmod.*", "6.13", NULL, "from 6.13 on");
	d = diff(f, false, "6.1", "6.12");
	assert_unlabelled(d);
	json_decref(d);
	d = diff(f, true, pb, ph);
	assert_unlabelled(d);
	json_decref(d);

	kac = known(f, "kmod.a,kmod.c", "6.12", NULL, KI_A_C_REASON);
	kb = known(f, "kmod.b", NULL, NULL, KI_B_REASON);
	d = diff(f, false, "6.1", "6.12");
	assert_labelled(d, kac, kb);
	text = lab_diff_text(d);
	assert_non_null(text);
	assert_non_null(strstr(text, "pass_to_fail [expected: known issue"));
	assert_non_null(strstr(text, "fail_to_pass [expected failure passed: known issue"));
	assert_non_null(strstr(text, "known issue 3: " KI_A_C_REASON "\n"));
	/* the expected failure that passed names the command that retires it */
	assert_non_null(strstr(text, "known issue 4: " KI_B_REASON "\nknown issue 4 passes again: "
				     "retire it with: iommulab findings retire 4 --reason TEXT\n"));
	assert_null(strstr(text, "known issue 3 passes again"));
	free(text);
	assert_string_equal(json_string_value(json_object_get(json_object_get(row_of(
		json_object_get(d, "rows"), "kmod.b"), "known_issue"), "retire")),
		"iommulab findings retire 4 --reason TEXT");
	assert_null(json_object_get(json_object_get(row_of(json_object_get(d, "rows"), "kmod.a"),
						    "known_issue"), "retire"));
	json_decref(d);
	/* plans: each row's head kernel is its job's (missing: the plan's on the target) */
	d = diff(f, true, pb, ph);
	assert_labelled(d, kac, kb);
	json_decref(d);
	/* the other way round the head is 6.1: the first known issue (6.0..6.1)
	 * holds it, so kmod.a passing there is its expected failure passed;
	 * kmod.b failing on 6.1 is expected */
	d = diff(f, false, "6.12", "6.1");
	assert_int_equal(sum(d, "expected"), 1);
	assert_int_equal(sum(d, "expected_passed"), 1);
	assert_string_equal(label(row_of(json_object_get(d, "rows"), "kmod.a")), "expected_passed");
	assert_int_equal(ki_id(row_of(json_object_get(d, "rows"), "kmod.a")), 1);
	assert_string_equal(label(row_of(json_object_get(d, "rows"), "kmod.b")), "expected");
	assert_int_equal(ki_id(row_of(json_object_get(d, "rows"), "kmod.b")), kb);
	json_decref(d);
	/* retired, they label nothing: kernel and plan diffs as before any */
	retire(f, kac);
	retire(f, kb);
	d = diff(f, false, "6.1", "6.12");
	assert_unlabelled(d);
	json_decref(d);
	d = diff(f, true, pb, ph);
	assert_unlabelled(d);
	json_decref(d);
}

static void test_nightly_known(void **state)
{
	struct fx *f = *state;
	int64_t p1 = nightly(f, "6.1"), p2 = nightly(f, "6.12");
	json_t *cmp, *r;

	assert_int_equal(lab_nightly_compare(f->st, p1, p2, &cmp), 0);
	assert_int_equal(json_array_size(json_object_get(cmp, "regressions")), 2);
	assert_int_equal(json_array_size(json_object_get(cmp, "expected")), 0);
	json_decref(cmp);
	known(f, "kmod.a,kmod.c", "6.12", NULL, KI_A_C_REASON);
	known(f, "kmod.b", NULL, NULL, KI_B_REASON);
	assert_int_equal(lab_nightly_compare(f->st, p1, p2, &cmp), 0);
	assert_int_equal(json_array_size(json_object_get(cmp, "regressions")), 0);
	assert_int_equal(json_array_size(json_object_get(cmp, "inconsistent")), 0);
	assert_int_equal(json_array_size(json_object_get(cmp, "expected")), 2);
	r = json_object_get(cmp, "expected_passed");
	assert_int_equal(json_array_size(r), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(r, 0), "case")),
			    "kmod.b");
	assert_string_equal(label(json_array_get(r, 0)), "expected_passed");
	assert_non_null(strstr(json_string_value(json_object_get(cmp, "summary")),
			       "0 regressions, 0 inconsistent (flaky) changes, 2 expected failures "
			       "(known issues), 1 expected failure passed"));
	assert_non_null(strstr(json_string_value(json_object_get(cmp, "summary")),
			       "; known issue 2 passes again: retire it with: iommulab findings "
			       "retire 2 --reason TEXT"));
	json_decref(cmp);
	/* retired: both regressions again, nothing expected */
	retire(f, 1);
	retire(f, 2);
	assert_int_equal(lab_nightly_compare(f->st, p1, p2, &cmp), 0);
	assert_int_equal(json_array_size(json_object_get(cmp, "regressions")), 2);
	assert_int_equal(json_array_size(json_object_get(cmp, "expected")), 0);
	assert_int_equal(json_array_size(json_object_get(cmp, "expected_passed")), 0);
	assert_null(strstr(json_string_value(json_object_get(cmp, "summary")), "retire"));
	json_decref(cmp);
	/* the host's QEMU changed between the two nightlies: the changed rows
	 * (the two regressions and kmod.b's fail -> pass) are QEMU changes,
	 * listed, no regression */
	plan_qemu(f, p1, "7.2.22");
	plan_qemu(f, p2, "10.0.2");
	assert_int_equal(lab_nightly_compare(f->st, p1, p2, &cmp), 0);
	assert_int_equal(json_array_size(json_object_get(cmp, "regressions")), 0);
	r = json_object_get(cmp, "qemu_changes");
	assert_int_equal(json_array_size(r), 3);
	assert_true(json_is_true(json_object_get(json_array_get(r, 0), "qemu_change")));
	assert_non_null(strstr(json_string_value(json_object_get(cmp, "summary")),
			       "0 expected failures passed, 3 QEMU changes between nightly plans"));
	json_decref(cmp);
}

static void test_patch_known(void **state)
{
	static const struct lab_config cfg;
	char err[LAB_STORE_ERR_MAX];
	struct fx *f = *state;
	json_t *rep, *drv;
	int64_t pid;
	char *text;

	pid = plan_run(f, json_pack("{s:s, s:[s,s], s:[s], s:{s:s, s:s, s:s}}", "kind", "patch",
				    "kernels", "6.12", "6.1", "targets", "q35-vtd", "patch",
				    "base", "6.1", "head", "6.12", "subject", "[PATCH] test"));
	assert_int_equal(lab_patch_report(f->st, &cfg, pid, "", &rep, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(rep, "state")), "fail");
	json_decref(rep);
	known(f, "kmod.a,kmod.c", "6.0", "6.1", "only before 6.12");
	assert_int_equal(lab_patch_report(f->st, &cfg, pid, "", &rep, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(rep, "state")), "fail");
	json_decref(rep);

	known(f, "kmod.a,kmod.c", "6.12", NULL, KI_A_C_REASON);
	known(f, "kmod.b", NULL, NULL, KI_B_REASON);
	assert_int_equal(lab_patch_report(f->st, &cfg, pid, "", &rep, err, sizeof(err)), 0);
	/* no failure left; the expected failure that passed is worth a look */
	assert_string_equal(json_string_value(json_object_get(rep, "state")), "warning");
	drv = json_array_get(json_object_get(rep, "drivers"), 0);
	assert_int_equal(json_array_size(json_object_get(drv, "expected_failures")), 2);
	assert_int_equal(json_array_size(json_object_get(drv, "expected_passed")), 1);
	assert_int_equal(json_array_size(json_object_get(drv, "contract_violations")), 0);
	assert_int_equal(json_array_size(json_object_get(drv, "missing")), 0);
	assert_int_equal(json_array_size(json_object_get(drv, "new_passes")), 0);
	assert_non_null(strstr(json_string_value(json_object_get(drv, "description")),
			       "2 expected failures (known issues), 1 expected failure passed"));
	text = lab_patch_report_text(rep);
	assert_non_null(text);
	assert_non_null(strstr(text, "kmod.a"));
	assert_non_null(strstr(text, "[expected failure: known issue 2, \"" KI_A_C_REASON "\"]"));
	assert_non_null(strstr(text, "[expected failure passed: known issue 3, \"" KI_B_REASON
				     "\"]: retire it with: iommulab findings retire 3 --reason TEXT\n"));
	free(text);
	json_decref(rep);
	/* retired, the same check fails again on kmod.a and kmod.c */
	retire(f, 2);
	retire(f, 3);
	assert_int_equal(lab_patch_report(f->st, &cfg, pid, "", &rep, err, sizeof(err)), 0);
	assert_string_equal(json_string_value(json_object_get(rep, "state")), "fail");
	drv = json_array_get(json_object_get(rep, "drivers"), 0);
	assert_int_equal(json_array_size(json_object_get(drv, "expected_failures")), 0);
	assert_int_equal(json_array_size(json_object_get(drv, "expected_passed")), 0);
	json_decref(rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_diff_labels, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_nightly_known, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_patch_known, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests_name("known", tests, NULL, NULL);
}
