/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_diff.c - the kernel/plan diff (server/diff.c) over a constructed
 * two-kernel dataset in a real SQLite file: every class appears once, only
 * complete jobs count, the newest complete job wins, the text table aligns.
 */
#include "diff.h"
#include "diff_qemu.h"
#include "match.h"
#include "helpers.h"
#include "plan.h"
#include "record.h"
#include "store_provenance.h"
#include "views.h"

/* store @n results as one complete job of kernel @k on target 0 */
static int64_t complete_job(struct fx *f, int k, struct lab_result *res, size_t n,
			    bool complete)
{
	int64_t id = fx_running_job(f, k, 0);

	assert_int_equal(lab_store_results_ingest(f->st, id, res, n), 0);
	assert_int_equal(lab_store_job_transition(f->st, id, LAB_JOB_RUNNING,
						  complete ? LAB_JOB_COMPLETE : LAB_JOB_CANCELED,
						  NULL), 0);
	return id;
}

static json_t *row_of(json_t *diff, const char *case_id)
{
	json_t *rows = json_object_get(diff, "rows"), *r;
	size_t i;

	json_array_foreach(rows, i, r)
		if (strcmp(json_string_value(json_object_get(r, "case")), case_id) == 0)
			return r;
	return NULL;
}

static void expect_class(json_t *diff, const char *case_id, const char *cls)
{
	json_t *r = row_of(diff, case_id);

	if (!r)
		fail_msg("no row for %s", case_id);
	if (strcmp(json_string_value(json_object_get(r, "class")), cls) != 0)
		fail_msg("%s: class %s, want %s", case_id,
			 json_string_value(json_object_get(r, "class")), cls);
}

static void test_classes(void **state)
{
	struct fx *f = *state;
	struct lab_result base[] = {
		fx_result("kmod.a.unchanged", 22, 22, LAB_VERDICT_PASS),
		fx_result("kmod.a.errno", 95, 95, LAB_VERDICT_PASS),	/* EOPNOTSUPP */
		fx_result("kmod.a.regress", 22, 22, LAB_VERDICT_PASS),
		fx_result("kmod.a.fixed", 0, 22, LAB_VERDICT_FAIL),
		fx_result("kmod.a.skipped", 0, 0, LAB_VERDICT_PASS),
		fx_result("kmod.a.gone", 16, 16, LAB_VERDICT_PASS),
	};
	struct lab_result head[] = {
		fx_result("kmod.a.unchanged", 22, 22, LAB_VERDICT_PASS),
		fx_result("kmod.a.errno", 22, 22, LAB_VERDICT_PASS),	/* EINVAL */
		fx_result("kmod.a.regress", 95, 22, LAB_VERDICT_FAIL),
		fx_result("kmod.a.fixed", 22, 22, LAB_VERDICT_PASS),
		fx_result("kmod.a.skipped", 0, -1, LAB_VERDICT_SKIP),
		fx_result("kmod.a.added", 19, 19, LAB_VERDICT_PASS),
	};
	/* a stale (older) complete head result and a canceled newer one: ignored */
	struct lab_result stale[] = {
		fx_result("kmod.a.regress", 22, 22, LAB_VERDICT_PASS),
	};
	struct lab_result canceled[] = {
		fx_result("kmod.a.regress", 22, 22, LAB_VERDICT_PASS),
	};
	char err[256] = "", *text;
	json_t *d, *sum, *r;

	complete_job(f, 0, base, 6, true);
	complete_job(f, 1, stale, 1, true);
	complete_job(f, 1, head, 6, true);
	complete_job(f, 1, canceled, 1, false);

	assert_int_equal(lab_diff_run(f->st, false, "6.1", "6.12", false, &d, err, sizeof(err)), 0);
	expect_class(d, "kmod.a.unchanged", "unchanged");
	expect_class(d, "kmod.a.errno", "errno_changed");
	expect_class(d, "kmod.a.regress", "pass_to_fail");
	expect_class(d, "kmod.a.fixed", "fail_to_pass");
	expect_class(d, "kmod.a.skipped", "verdict_changed");
	expect_class(d, "kmod.a.added", "new");
	expect_class(d, "kmod.a.gone", "missing");
	r = row_of(d, "kmod.a.errno");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "base"),
							      "observed_name")), "EOPNOTSUPP");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "head"),
							      "observed_name")), "EINVAL");
	assert_true(json_is_null(json_object_get(row_of(d, "kmod.a.added"), "base")));
	assert_true(json_is_null(json_object_get(row_of(d, "kmod.a.gone"), "head")));
	sum = json_object_get(d, "summary");
	assert_int_equal(json_integer_value(json_object_get(sum, "unchanged")), 1);
	assert_int_equal(json_integer_value(json_object_get(sum, "pass_to_fail")), 1);
	assert_int_equal(json_array_size(json_object_get(d, "rows")), 7);

	text = lab_diff_text(d);
	assert_non_null(text);
	assert_non_null(strstr(text, "EOPNOTSUPP (pass)"));
	assert_non_null(strstr(text, "pass_to_fail"));
	{
		/* aligned: the CLASS column starts at the same offset on every row */
		char *l = strchr(text, '\n') + 1, *hdr_class = strstr(l, "CLASS");
		long col = hdr_class - l;
		int rows = 0;

		for (l = strchr(l, '\n') + 1; *l && strncmp(l, "7 rows", 6); l = strchr(l, '\n') + 1) {
			const char *e = strchr(l, '\n');
			const char *cls = l + col;

			assert_true(cls < e);
			assert_true(cls[-1] == ' ' && cls[0] != ' ');
			rows++;
		}
		assert_int_equal(rows, 7);
	}
	free(text);
	json_decref(d);

	/* changes only */
	assert_int_equal(lab_diff_run(f->st, false, "6.1", "6.12", true, &d, err, sizeof(err)), 0);
	assert_null(row_of(d, "kmod.a.unchanged"));
	assert_int_equal(json_array_size(json_object_get(d, "rows")), 6);
	json_decref(d);

	/* repeats that disagree are flagged flaky */
	{
		struct lab_result rep[3] = {
			fx_result("kmod.a.flaky", 22, 22, LAB_VERDICT_PASS),
			fx_result("kmod.a.flaky", 16, 22, LAB_VERDICT_FAIL),
			fx_result("kmod.a.flaky", 22, 22, LAB_VERDICT_PASS),
		};
		json_t *h;

		rep[1].repeat = 1;
		rep[2].repeat = 2;
		complete_job(f, 1, rep, 3, true);
		assert_int_equal(lab_diff_run(f->st, false, "6.1", "6.12", false, &d, err, sizeof(err)), 0);
		h = json_object_get(row_of(d, "kmod.a.flaky"), "head");
		assert_int_equal(json_integer_value(json_object_get(h, "runs")), 3);
		assert_true(json_is_true(json_object_get(h, "flaky")));
		assert_false(json_is_true(json_object_get(json_object_get(row_of(d, "kmod.a.errno"),
									  "head"), "flaky")));
		text = lab_diff_text(d);
		assert_non_null(strstr(text, "EINVAL (pass) x2 | EBUSY (fail) x1"));
		free(text);
		json_decref(d);
	}
	/* unknown kernel */
	assert_int_equal(lab_diff_run(f->st, false, "6.1", "9.9", false, &d, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "9.9"));
}

static void test_plans(void **state)
{
	struct fx *f = *state;
	struct lab_result a[] = { fx_result("kmod.p.one", 95, 95, LAB_VERDICT_PASS) };
	struct lab_result b[] = { fx_result("kmod.p.one", 22, 95, LAB_VERDICT_FAIL) };
	char err[256], id1[32], id2[32];
	int64_t p1, p2;
	json_t *plan, *jobs, *d;
	struct lab_job_filter jf = { .state = -1, .limit = 10 };
	int n;

	for (int k = 0; k < 2; k++) {
		int64_t *pid = k ? &p2 : &p1;
		int64_t jid;

		plan = json_pack("{s:s, s:[s], s:[s]}", "kind", "patch", "kernels", k ? "6.12" : "6.1",
				 "targets", "q35-vtd");
		assert_int_equal(lab_store_plan_create_ex(f->st, plan, NULL, pid, &n, err, sizeof(err)), 0);
		json_decref(plan);
		jf.plan_id = *pid;
		assert_int_equal(lab_store_jobs_list(f->st, &jf, &jobs), 0);
		assert_int_equal(json_array_size(jobs), 1);
		jid = json_integer_value(json_object_get(json_array_get(jobs, 0), "id"));
		json_decref(jobs);
		assert_int_equal(lab_store_job_transition(f->st, jid, 0, 1, NULL), 0);
		assert_int_equal(lab_store_job_transition(f->st, jid, 1, 2, NULL), 0);
		assert_int_equal(lab_store_results_ingest(f->st, jid, k ? b : a, 1), 0);
		assert_int_equal(lab_store_job_transition(f->st, jid, 2, 3, NULL), 0);
	}
	snprintf(id1, sizeof(id1), "%lld", (long long)p1);
	snprintf(id2, sizeof(id2), "%lld", (long long)p2);
	assert_int_equal(lab_diff_run(f->st, true, id1, id2, false, &d, err, sizeof(err)), 0);
	expect_class(d, "kmod.p.one", "pass_to_fail");
	json_decref(d);
	assert_int_equal(lab_diff_run(f->st, true, id1, "x", false, &d, err, sizeof(err)), -EINVAL);
}

/* no "boot" record is a clean boot: a side without one is a pass, so a boot
 * WARN that goes away is fixed, not missing, and one that comes is new */
static void test_boot_rows(void **state)
{
	struct fx *f = *state;
	struct lab_result base[] = {
		fx_result("boot", 0, 0, LAB_VERDICT_WARN),
		fx_result("kmod.b.one", 22, 22, LAB_VERDICT_PASS),
	};
	struct lab_result head[] = { fx_result("kmod.b.one", 22, 22, LAB_VERDICT_PASS) };
	char err[256];
	json_t *d;

	/* the one test of a boot record's id (model.h) */
	assert_true(lab_case_is_boot("boot"));
	assert_true(lab_case_is_boot(LAB_CASE_BOOT));
	assert_false(lab_case_is_boot("boot.x"));
	assert_false(lab_case_is_boot("kmod.boot"));
	assert_false(lab_case_is_boot("Boot"));
	assert_false(lab_case_is_boot(""));
	assert_false(lab_case_is_boot(NULL));
	complete_job(f, 0, base, 2, true);
	complete_job(f, 1, head, 1, true);
	assert_int_equal(lab_diff_run(f->st, false, "6.1", "6.12", false, &d, err, sizeof(err)), 0);
	expect_class(d, "boot", "fail_to_pass");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "summary"),
							    "regressions")), 0);
	json_decref(d);
	assert_int_equal(lab_diff_run(f->st, false, "6.12", "6.1", false, &d, err, sizeof(err)), 0);
	expect_class(d, "boot", "new_warning");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "summary"),
							    "regressions")), 1);
	json_decref(d);
}

/* a complete job of kernel @k on target slot @t from the real console log
 * @log, its records changed by @tweak (NULL: none); its provenance names
 * QEMU @qemu (NULL: no provenance row, as a job before schema 0006) */
static int64_t log_job(struct fx *f, int k, int t, const char *log,
		       void (*tweak)(struct lab_record_scan *), const char *qemu)
{
	struct lab_record_scan sc;
	char path[PATH_MAX];
	int64_t id;

	snprintf(path, sizeof(path), "%s/tests/unit/data/%s", top_dir(), log);
	assert_int_equal(lab_record_scan_file(path, &sc), 0);
	if (sc.status != LAB_SCAN_OK)
		fail_msg("%s: %s", log, sc.error);
	if (tweak)
		tweak(&sc);
	id = fx_running_job(f, k, t);
	assert_int_equal(lab_store_results_ingest(f->st, id, sc.res, sc.n), 0);
	assert_int_equal(lab_store_job_transition(f->st, id, LAB_JOB_RUNNING, LAB_JOB_COMPLETE,
						  NULL), 0);
	lab_record_scan_clear(&sc);
	if (qemu) {
		struct lab_provenance p = {
			.job_id = id, .top = top_dir(), .cache_dir = "/tmp", .arch = "x86_64",
			.qemu_version = qemu,
		};

		assert_int_equal(lab_store_provenance_put(f->st, &p), 0);
	}
	return id;
}

/* the twin's second_domain attach now fails with EINVAL */
static void second_domain_einval(struct lab_record_scan *sc)
{
	for (size_t i = 0; i < sc->n; i++)
		if (!strcmp(sc->res[i].case_id, "kmod.attach.second_domain")) {
			sc->res[i].observed = EINVAL;
			sc->res[i].verdict = LAB_VERDICT_FAIL;
			return;
		}
	fail_msg("no kmod.attach.second_domain record");
}

/* a case the 6.12 side does not have */
static void case_renamed(struct lab_record_scan *sc)
{
	free(sc->res[0].case_id);
	sc->res[0].case_id = strdup("kmod.attach.zz_gone");
	assert_non_null(sc->res[0].case_id);
}

static int64_t sum_of(json_t *d, const char *k)
{
	return json_integer_value(json_object_get(json_object_get(d, "summary"), k));
}

/*
 * Issue 19.1: a changed row whose sides ran on different QEMU versions (job
 * provenance) is a QEMU change, not a kernel regression; the same kernel on
 * twin targets (targets/x86_64/q35-vtd.json and q35-vtd-q10.json, loaded
 * from the tree) is a diff across two targets; non-twins are refused.
 */
static void test_qemu_change(void **state)
{
	struct fx *f = *state;
	const char *tw[2] = { "q35-vtd", "q35-vtd-q10" }, *amd[2] = { "q35-vtd", "q35-amd-q10" };
	const char *nope[2] = { "q35-vtd", "no-such-target" };
	char dir[PATH_MAX], err[256] = "", *text, *q;
	struct lab_target t = { 0 };
	json_t *d, *r, *tj[2];
	size_t i;
	int n;

	snprintf(dir, sizeof(dir), "%s/targets", top_dir());
	assert_int_equal(lab_targets_load(f->st, dir, &n), 0);
	assert_int_equal(lab_store_target_get(f->st, "q35-vtd-q10", &t), 0);
	f->target[1] = t.id;	/* slot 1: the QEMU 10.0 twin */
	lab_target_clear(&t);

	/* the twin check on the real target files */
	for (int i = 0; i < 2; i++)
		assert_int_equal(lab_store_target_json(f->st, tw[i], &tj[i]), 0);
	assert_int_equal(lab_diff_qemu_twins(json_object_get(tj[0], "definition"),
					     json_object_get(tj[1], "definition"), err,
					     sizeof(err)), 0);
	json_decref(tj[1]);
	assert_int_equal(lab_store_target_json(f->st, "q35-amd-q10", &tj[1]), 0);
	assert_int_equal(lab_diff_qemu_twins(json_object_get(tj[0], "definition"),
					     json_object_get(tj[1], "definition"), err,
					     sizeof(err)), -EINVAL);
	assert_string_equal(err, "qemu.args");
	json_decref(tj[0]);
	json_decref(tj[1]);

	/* 6.12 on q35-vtd (QEMU 7.2) and, changed once, on its twin; no provenance yet */
	log_job(f, 1, 0, "q35-vtd-6.12.log", NULL, "7.2.19");
	int64_t twin = log_job(f, 1, 1, "q35-vtd-6.12.log", second_domain_einval, NULL);

	assert_int_equal(lab_diff_run_targets(f->st, false, "6.12", "6.12", tw, false, &d, err,
					      sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(d, "rows")), 14);
	expect_class(d, "kmod.attach.second_domain", "pass_to_fail");
	r = row_of(d, "kmod.attach.second_domain");
	/* the head's QEMU unknown: nothing to attribute, a regression */
	assert_false(json_is_true(json_object_get(r, "qemu_change")));
	assert_true(json_is_null(json_object_get(json_object_get(r, "qemu"), "head")));
	assert_int_equal(sum_of(d, "regressions"), 1);
	assert_int_equal(sum_of(d, "qemu_changes"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(d, "targets"), "head")),
			    "q35-vtd-q10");
	json_decref(d);

	/* the twin's job ran on QEMU 10.0.2: a QEMU change, not a regression */
	{
		struct lab_provenance p = {
			.job_id = twin, .top = top_dir(), .cache_dir = "/tmp", .arch = "x86_64",
			.qemu_version = "10.0.2",
		};

		assert_int_equal(lab_store_provenance_put(f->st, &p), 0);
	}
	assert_int_equal(lab_diff_run_targets(f->st, false, "6.12", "6.12", tw, true, &d, err,
					      sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(d, "rows")), 1);
	r = row_of(d, "kmod.attach.second_domain");
	assert_string_equal(json_string_value(json_object_get(r, "class")), "pass_to_fail");
	assert_true(json_is_true(json_object_get(r, "qemu_change")));
	assert_false(json_is_true(json_object_get(r, "regression")));
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "qemu"), "base")),
			    "7.2.19");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "qemu"), "head")),
			    "10.0.2");
	assert_int_equal(sum_of(d, "regressions"), 0);
	assert_int_equal(sum_of(d, "qemu_changes"), 1);
	assert_int_equal(sum_of(d, "pass_to_fail"), 1);
	/* the text lists it apart, after its heading, with both versions */
	text = lab_diff_text(d);
	assert_non_null(text);
	q = strstr(text, "QEMU change, not a kernel regression");
	assert_non_null(q);
	assert_non_null(strstr(q, "kmod.attach.second_domain"));
	assert_non_null(strstr(q, "pass_to_fail, QEMU 7.2.19 -> 10.0.2"));
	assert_non_null(strstr(text, ", target q35-vtd -> q35-vtd-q10\n"));
	free(text);
	json_decref(d);

	/* unchanged rows are never labelled; the same target diffed with itself has no label */
	assert_int_equal(lab_diff_run_targets(f->st, false, "6.12", "6.12", tw, false, &d, err,
					      sizeof(err)), 0);
	r = row_of(d, "kmod.attach.no_group");
	assert_string_equal(json_string_value(json_object_get(r, "class")), "unchanged");
	assert_false(json_is_true(json_object_get(r, "qemu_change")));
	json_decref(d);

	/* refused: non-twins (400), an unknown target (404) */
	assert_int_equal(lab_diff_run_targets(f->st, false, "6.12", "6.12", amd, false, &d, err,
					      sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "differ in qemu.args"));
	assert_int_equal(lab_diff_run_targets(f->st, false, "6.12", "6.12", nope, false, &d, err,
					      sizeof(err)), -ENOENT);
	assert_non_null(strstr(err, "unknown target 'no-such-target'"));

	/*
	 * By kernel, every target: 6.1 on q35-vtd under the same QEMU 7.2.19 (a
	 * kernel change, never labelled), 6.1 on the twin under 10.0.1 with a
	 * case 6.12 no longer reports (missing: the absent head's QEMU is its
	 * target's on that side, 10.0.2)
	 */
	log_job(f, 0, 0, "q35-vtd-6.1.log", NULL, "7.2.19");
	log_job(f, 0, 1, "q35-vtd-6.1.log", case_renamed, "10.0.1");
	assert_int_equal(lab_diff_run(f->st, false, "6.1", "6.12", true, &d, err, sizeof(err)), 0);
	json_array_foreach(json_object_get(d, "rows"), i, r) {
		const char *tg = json_string_value(json_object_get(r, "target"));
		const char *c = json_string_value(json_object_get(r, "case"));

		if (!strcmp(tg, "q35-vtd")) {
			assert_false(json_is_true(json_object_get(r, "qemu_change")));
			assert_string_equal(c, "kmod.coherency.vtd_no_snoop");
		} else {
			assert_true(json_is_true(json_object_get(r, "qemu_change")));
			assert_false(json_is_true(json_object_get(r, "regression")));
		}
		if (!strcmp(c, "kmod.attach.zz_gone")) {
			assert_string_equal(json_string_value(json_object_get(r, "class")), "missing");
			assert_string_equal(json_string_value(json_object_get(
				json_object_get(r, "qemu"), "head")), "10.0.2");
		}
	}
	assert_non_null(row_of(d, "kmod.attach.zz_gone"));
	assert_int_equal(sum_of(d, "regressions"), 0);
	json_decref(d);
}

static void test_classify_table(void **state)
{
	(void)state;
	assert_int_equal(lab_diff_classify(false, 0, 0, true, 0, 0), LAB_DIFF_NEW);
	assert_int_equal(lab_diff_classify(true, 0, 0, false, 0, 0), LAB_DIFF_MISSING);
	assert_int_equal(lab_diff_classify(true, 22, LAB_VERDICT_PASS, true, 22, LAB_VERDICT_ERROR),
			 LAB_DIFF_PASS_TO_FAIL);
	assert_int_equal(lab_diff_classify(true, 5, LAB_VERDICT_ERROR, true, 22, LAB_VERDICT_PASS),
			 LAB_DIFF_FAIL_TO_PASS);
	assert_int_equal(lab_diff_classify(true, 95, LAB_VERDICT_FAIL, true, 14, LAB_VERDICT_FAIL),
			 LAB_DIFF_ERRNO_CHANGED);
	assert_int_equal(lab_diff_classify(true, 0, LAB_VERDICT_SKIP, true, 0, LAB_VERDICT_PASS),
			 LAB_DIFF_VERDICT_CHANGED);
	assert_int_equal(lab_diff_classify(true, 0, LAB_VERDICT_SKIP, true, 0, LAB_VERDICT_SKIP),
			 LAB_DIFF_UNCHANGED);
	/* not run on the base (skip), ENODEV on the head: coverage, not an errno change */
	assert_int_equal(lab_diff_classify(true, 0, LAB_VERDICT_SKIP, true, 19, LAB_VERDICT_PASS),
			 LAB_DIFF_VERDICT_CHANGED);
	assert_int_equal(lab_diff_classify(true, 16, LAB_VERDICT_PASS, true, 0, LAB_VERDICT_SKIP),
			 LAB_DIFF_VERDICT_CHANGED);
	/* a skip that observed an errno is diffed on it (issue 15.3) */
	assert_int_equal(lab_diff_classify(true, 0, LAB_VERDICT_SKIP, true, 95, LAB_VERDICT_SKIP),
			 LAB_DIFF_ERRNO_CHANGED);
	/* kernel reports (issue 14.5) */
	assert_int_equal(lab_diff_classify(true, 0, LAB_VERDICT_PASS, true, 0, LAB_VERDICT_CRASH),
			 LAB_DIFF_NEW_CRASH);
	assert_int_equal(lab_diff_classify(true, 22, LAB_VERDICT_CRASH, true, 22, LAB_VERDICT_PASS),
			 LAB_DIFF_CRASH_FIXED);
	assert_int_equal(lab_diff_classify(true, 22, LAB_VERDICT_PASS, true, 22, LAB_VERDICT_WARN),
			 LAB_DIFF_NEW_WARNING);
	assert_int_equal(lab_diff_classify(true, 22, LAB_VERDICT_WARN, true, 22, LAB_VERDICT_WARN),
			 LAB_DIFF_UNCHANGED);
	assert_int_equal(lab_diff_classify(true, 22, LAB_VERDICT_WARN, true, 22, LAB_VERDICT_PASS),
			 LAB_DIFF_FAIL_TO_PASS);
}

/* sides over repeats and setup steps (lab_diff_side_parse), and what counts as a regression */
static void test_classify_sides(void **state)
{
	struct lab_diff_side b, h;

	(void)state;
	/* the same setup refusal on both sides of a skip: unchanged; another errno: its own class */
	assert_int_equal(lab_diff_side_parse(&b, 0, LAB_VERDICT_SKIP, "0:2",
		"[{\"name\":\"domain_alloc\",\"errno\":95}]"), 0);
	assert_string_equal(b.setup_step, "domain_alloc");
	assert_int_equal(b.setup_errno, 95);
	assert_int_equal(lab_diff_side_parse(&h, 0, LAB_VERDICT_SKIP, "0:2",
		"[{\"name\":\"domain_alloc\",\"errno\":95}]"), 0);
	assert_int_equal(lab_diff_classify_sides(&b, &h), LAB_DIFF_UNCHANGED);
	assert_int_equal(lab_diff_side_parse(&h, 0, LAB_VERDICT_SKIP, "0:2",
		"[{\"name\":\"domain_alloc\",\"errno\":22}]"), 0);
	assert_int_equal(lab_diff_classify_sides(&b, &h), LAB_DIFF_SETUP_CHANGED);
	assert_true(lab_diff_regression(LAB_DIFF_SETUP_CHANGED, &b, &h));
	/* pass -> skip because a setup step now refuses: setup_changed, a regression */
	assert_int_equal(lab_diff_side_parse(&b, 22, LAB_VERDICT_PASS, "22:0",
		"[{\"name\":\"domain_alloc\",\"errno\":0},{\"name\":\"attach\",\"errno\":22}]"), 0);
	assert_string_equal(b.setup_step, "");
	assert_int_equal(lab_diff_classify_sides(&b, &h), LAB_DIFF_SETUP_CHANGED);
	assert_true(lab_diff_regression(LAB_DIFF_SETUP_CHANGED, &b, &h));
	/* a judged side: steps before the judged one are setup */
	assert_int_equal(lab_diff_side_parse(&h, 22, LAB_VERDICT_PASS, "22:0",
		"[{\"name\":\"enforce_coherency\",\"errno\":95},{\"name\":\"attach\",\"errno\":22}]"), 0);
	assert_string_equal(h.setup_step, "enforce_coherency");
	assert_int_equal(lab_diff_classify_sides(&b, &h), LAB_DIFF_SETUP_CHANGED);
	assert_false(lab_diff_regression(LAB_DIFF_SETUP_CHANGED, &b, &h));	/* the head passes */
	/* repeats: a consistent failing head against a flaky base is a regression */
	assert_int_equal(lab_diff_side_parse(&b, 22, LAB_VERDICT_PASS, "22:0,19:1,22:0", "[]"), 0);
	assert_int_equal(b.npairs, 2);
	assert_int_equal(b.pairs[0].count, 2);
	assert_int_equal(lab_diff_side_parse(&h, 19, LAB_VERDICT_FAIL, "19:1,19:1,19:1", "[]"), 0);
	assert_int_equal(lab_diff_classify_sides(&b, &h), LAB_DIFF_PASS_TO_FAIL);
	/* a flaky head is flaky, a crash in any repeat is a new crash */
	assert_int_equal(lab_diff_classify_sides(&h, &b), LAB_DIFF_FLAKY);
	assert_false(lab_diff_regression(LAB_DIFF_FLAKY, &h, &b));
	assert_int_equal(lab_diff_side_parse(&h, 22, LAB_VERDICT_PASS, "22:0,0:4,22:0", "[]"), 0);
	assert_int_equal(lab_diff_classify_sides(&b, &h), LAB_DIFF_NEW_CRASH);
	assert_true(lab_diff_regression(LAB_DIFF_NEW_CRASH, &b, &h));
	/* flakiness counts (errno, verdict) pairs: the same errno, two verdicts */
	assert_int_equal(lab_diff_side_parse(&h, 0, LAB_VERDICT_PASS, "0:0,0:1", "[]"), 0);
	assert_int_equal(h.npairs, 2);
	/* the same side against itself: unchanged, whatever its repeats did */
	assert_int_equal(lab_diff_classify_sides(&h, &h), LAB_DIFF_UNCHANGED);
	assert_true(lab_diff_regression(LAB_DIFF_MISSING, &h, NULL));
	assert_false(lab_diff_regression(LAB_DIFF_CRASH_FIXED, &h, &b));
	assert_int_equal(lab_diff_side_parse(&h, 0, LAB_VERDICT_PASS, "0:x", "[]"), -EINVAL);
	/* the store's compact steps (read without a JSON tree) and any other JSON
	 * spelling of them (jansson) give the same setup refusal */
	{
		static const char *const forms[] = {
			"[{\"name\":\"bind\",\"errno\":0,\"err\":\"OK\"},{\"name\":\"domain_alloc\",\"errno\":95,\"err\":\"EOPNOTSUPP\"},{\"name\":\"attach\",\"errno\":22,\"err\":\"EINVAL\"}]",
			"[ {\"errno\": 0, \"name\": \"bind\"}, {\"name\": \"domain_alloc\", \"errno\": 95},\n {\"name\": \"attach\", \"errno\": 22} ]",
		};
		for (int i = 0; i < 2; i++) {
			assert_int_equal(lab_diff_side_parse(&b, 22, LAB_VERDICT_PASS, "", forms[i]), 0);
			assert_string_equal(b.setup_step, "domain_alloc");
			assert_int_equal(b.setup_errno, 95);
			assert_int_equal(lab_diff_side_parse(&b, 0, LAB_VERDICT_ERROR, "", forms[i]), 0);
			assert_string_equal(b.setup_step, "domain_alloc");
			assert_int_equal(lab_diff_side_parse(&b, 95, LAB_VERDICT_FAIL, "", forms[i]), 0);
			assert_string_equal(b.setup_step, "");	/* domain_alloc is the judged step */
		}
	}
	/* a missing row counts for a patch plan only when its filter asked for the case */
	assert_true(lab_case_filter_match(NULL, "kmod.attach.one"));
	assert_true(lab_case_filter_match("kmod.coherency.*", "kmod.coherency.vtd_snoop"));
	assert_false(lab_case_filter_match("kmod.coherency.*", "kmod.attach.no_group"));
	assert_true(lab_case_filter_match("vfio.*,kmod.attach.*", "kmod.attach.no_group"));
	assert_false(lab_case_filter_match("vfio.*,,iommufd.*", "kmod.attach.no_group"));
}

static void test_matrix(void **state)
{
	struct fx *f = *state;
	struct lab_result r[] = {
		fx_result("kmod.m.one", 22, 22, LAB_VERDICT_PASS),
		fx_result("kmod.m.two", 95, 22, LAB_VERDICT_FAIL),
	};
	json_t *m;

	r[1].repeat = 0;
	complete_job(f, 0, r, 2, true);
	assert_int_equal(lab_store_matrix(f->st, f->kernel[0], &m), 0);
	assert_int_equal(json_array_size(json_object_get(m, "cells")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "summary"), "fail")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(m, "drivers"), 0)),
			    "intel-iommu");
	json_decref(m);
	assert_int_equal(lab_store_matrix(f->st, f->kernel[1], &m), 0);
	assert_int_equal(json_array_size(json_object_get(m, "cells")), 0);
	json_decref(m);
	assert_int_equal(lab_store_matrix(f->st, 999, &m), -ENOENT);
}

/* the real thing: two guest logs (6.1 and 6.12 on q35 + intel-iommu) */
static void test_real_logs(void **state)
{
	struct fx *f = *state;
	const char *names[2] = { "q35-vtd-6.1.log", "q35-vtd-6.12.log" };
	char path[PATH_MAX], err[256], *text;
	json_t *d, *rows, *r;
	size_t i;

	for (int k = 0; k < 2; k++) {
		struct lab_record_scan sc;
		int64_t id;

		snprintf(path, sizeof(path), "%s/tests/unit/data/%s", top_dir(), names[k]);
		assert_int_equal(lab_record_scan_file(path, &sc), 0);
		if (sc.status != LAB_SCAN_OK)
			fail_msg("%s: %s", names[k], sc.error);
		assert_int_equal(sc.n, 14);
		id = fx_running_job(f, k, 0);
		assert_int_equal(lab_store_results_ingest(f->st, id, sc.res, sc.n), 0);
		assert_int_equal(lab_store_job_transition(f->st, id, LAB_JOB_RUNNING,
							  LAB_JOB_COMPLETE, NULL), 0);
		lab_record_scan_clear(&sc);
	}
	assert_int_equal(lab_diff_run(f->st, false, "6.1", "6.12", false, &d, err, sizeof(err)), 0);
	rows = json_object_get(d, "rows");
	assert_int_equal(json_array_size(rows), 14);
	/* v6.2 regulated EINVAL for incompatibility: VT-d snoop control moved */
	expect_class(d, "kmod.coherency.vtd_no_snoop", "errno_changed");
	r = row_of(d, "kmod.coherency.vtd_no_snoop");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "base"),
							      "observed_name")), "EOPNOTSUPP");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "head"),
							      "observed_name")), "EINVAL");
	assert_string_equal(json_string_value(json_object_get(json_object_get(r, "head"),
							      "verdict")), "pass");
	json_array_foreach(rows, i, r)
		if (strcmp(json_string_value(json_object_get(r, "case")), "kmod.coherency.vtd_no_snoop"))
			expect_class(d, json_string_value(json_object_get(r, "case")), "unchanged");
	text = lab_diff_text(d);
	assert_non_null(strstr(text, "EOPNOTSUPP (pass)  EINVAL (pass)"));
	free(text);
	json_decref(d);
}

/* a kernel diffed with itself: 0 changes, on real records with repeats (issue 15.3) */
static void test_self_diff_repeats(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX], err[256];
	struct lab_record_scan sc;
	struct lab_result *rep;
	json_t *d, *sum, *rows, *r;
	const char *k;
	json_t *v;
	size_t i;
	int64_t id;

	snprintf(path, sizeof(path), "%s/tests/unit/data/q35-vtd-6.12.log", top_dir());
	assert_int_equal(lab_record_scan_file(path, &sc), 0);
	assert_int_equal(sc.status, LAB_SCAN_OK);
	/* the guest's 14 records as 3 repeats of one job; the last repeat of
	 * one case observed another errno (a flaky cell) */
	rep = calloc(sc.n * 3, sizeof(*rep));
	for (int n = 0; n < 3; n++) {
		for (i = 0; i < sc.n; i++) {
			rep[n * sc.n + i] = sc.res[i];
			rep[n * sc.n + i].repeat = n;
		}
	}
	rep[2 * sc.n].observed = 22;
	rep[2 * sc.n].verdict = LAB_VERDICT_FAIL;
	id = fx_running_job(f, 1, 0);
	assert_int_equal(lab_store_results_ingest(f->st, id, rep, sc.n * 3), 0);
	assert_int_equal(lab_store_job_transition(f->st, id, LAB_JOB_RUNNING, LAB_JOB_COMPLETE,
						  NULL), 0);
	assert_int_equal(lab_diff_run(f->st, false, "6.12", "6.12", false, &d, err, sizeof(err)), 0);
	sum = json_object_get(d, "summary");
	json_object_foreach(sum, k, v)
		if (strcmp(k, "unchanged"))
			assert_int_equal(json_integer_value(v), 0);
	assert_int_equal(json_integer_value(json_object_get(sum, "unchanged")), (json_int_t)sc.n);
	rows = json_object_get(d, "rows");
	r = row_of(d, sc.res[0].case_id);
	assert_true(json_is_true(json_object_get(json_object_get(r, "head"), "flaky")));
	assert_int_equal(json_array_size(json_object_get(json_object_get(r, "head"), "distribution")), 2);
	json_array_foreach(rows, i, r)
		assert_int_equal(json_integer_value(json_object_get(json_object_get(r, "base"), "runs")), 3);
	json_decref(d);
	/* against another kernel with the same records once: the flaky cell is flaky */
	id = fx_running_job(f, 0, 0);
	assert_int_equal(lab_store_results_ingest(f->st, id, sc.res, sc.n), 0);
	assert_int_equal(lab_store_job_transition(f->st, id, LAB_JOB_RUNNING, LAB_JOB_COMPLETE,
						  NULL), 0);
	assert_int_equal(lab_diff_run(f->st, false, "6.1", "6.12", true, &d, err, sizeof(err)), 0);
	assert_int_equal(json_array_size(json_object_get(d, "rows")), 1);
	expect_class(d, sc.res[0].case_id, "flaky");
	json_decref(d);
	free(rep);
	lab_record_scan_clear(&sc);
}

/* a diff reads one snapshot: inside a read transaction it sees none of
 * another connection's later commits, and it leaves that transaction open */
static void test_snapshot(void **state)
{
	struct fx *f = *state;
	struct lab_result a = fx_result("kmod.a.one", 22, 22, LAB_VERDICT_PASS);
	struct lab_result b = fx_result("kmod.a.one", 19, 22, LAB_VERDICT_FAIL);
	struct lab_store *other;
	char err[256];
	bool began;
	json_t *d;
	int64_t id;

	struct lab_job j = { .kernel_id = f->kernel[1], .target_id = f->target[0], .backend = "qemu" };

	complete_job(f, 0, &a, 1, true);
	complete_job(f, 1, &a, 1, true);
	assert_int_equal(lab_store_open(f->db, f->schema, &other), 0);
	assert_int_equal(lab_store_job_create(other, &j), 0);
	id = j.id;
	assert_int_equal(lab_store_read_begin(f->st, &began), 0);
	assert_true(began);
	assert_int_equal(lab_diff_run(f->st, false, "6.1", "6.12", false, &d, err, sizeof(err)), 0);
	expect_class(d, "kmod.a.one", "unchanged");
	json_decref(d);
	/* another connection: 6.12 now fails */
	assert_int_equal(lab_store_job_transition(other, id, LAB_JOB_QUEUED, LAB_JOB_SCHEDULED, NULL), 0);
	assert_int_equal(lab_store_job_transition(other, id, LAB_JOB_SCHEDULED, LAB_JOB_RUNNING, NULL), 0);
	assert_int_equal(lab_store_results_ingest(other, id, &b, 1), 0);
	assert_int_equal(lab_store_job_transition(other, id, LAB_JOB_RUNNING, LAB_JOB_COMPLETE, NULL), 0);
	assert_int_equal(lab_diff_run(f->st, false, "6.1", "6.12", false, &d, err, sizeof(err)), 0);
	expect_class(d, "kmod.a.one", "unchanged");	/* the snapshot still holds */
	json_decref(d);
	lab_store_read_end(f->st, began);
	assert_int_equal(lab_diff_run(f->st, false, "6.1", "6.12", false, &d, err, sizeof(err)), 0);
	expect_class(d, "kmod.a.one", "pass_to_fail");
	json_decref(d);
	lab_store_close(other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_classify_sides),
		cmocka_unit_test_setup_teardown(test_classes, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_boot_rows, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_qemu_change, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_plans, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_matrix, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_real_logs, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_self_diff_repeats, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_snapshot, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests_name("diff", tests, NULL, NULL);
}
