/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_findings.c - the regression lifecycle (core/findings.c) on a real
 * SQLite file, through the one ingest path (core/ingest.c): a violation
 * opens a finding with a stable key, a later job confirms it, a pass on
 * the same kernel closes nothing, a pass on a later kernel fixes it (with
 * that kernel), an old kernel failing again leaves it fixed, the cause on
 * a newer kernel reopens the same finding (never a second one); crash and
 * warn are causes of their own; known issues mark matching findings
 * expected (existing and new ones) and an expected failure that passes is
 * reported; links are checked and kept once; a retired known issue keeps
 * its record, unmarks its findings (an event each) and marks no new one;
 * retiring twice or an unknown id changes nothing.
 */
#include <sqlite3.h>

#include "helpers.h"
#include "findings.h"
#include "ingest.h"
#include "store_findings.h"

/* a job on kernel @k, target 0, its results ingested (one case, @v, with
 * @obs vs @exp) and the job completed */
static int64_t run_in(struct fx *f, int64_t plan_id, int64_t kernel_id, const char *case_id,
		      int obs, int exp, enum lab_verdict v)
{
	struct lab_job j = { .plan_id = plan_id, .kernel_id = kernel_id,
			     .target_id = f->target[0], .backend = "qemu" };
	struct lab_result r = fx_result(case_id, obs, exp, v);
	struct lab_ingest_job ij;
	char why[256];

	assert_int_equal(lab_store_job_create(f->st, &j), 0);
	assert_int_equal(lab_store_job_transition(f->st, j.id, LAB_JOB_QUEUED, LAB_JOB_SCHEDULED,
						  NULL), 0);
	assert_int_equal(lab_store_job_transition(f->st, j.id, LAB_JOB_SCHEDULED, LAB_JOB_RUNNING,
						  NULL), 0);
	assert_int_equal(lab_ingest_job_load(f->st, j.id, &ij), 0);
	assert_int_equal(lab_ingest_store(f->st, &ij, &r, 1, why, sizeof(why)), 0);
	assert_int_equal(lab_store_job_transition(f->st, j.id, LAB_JOB_RUNNING, LAB_JOB_COMPLETE,
						  NULL), 0);
	return j.id;
}

static int64_t run(struct fx *f, int64_t kernel_id, const char *case_id, int obs, int exp,
		   enum lab_verdict v)
{
	return run_in(f, 0, kernel_id, case_id, obs, exp, v);
}

static int64_t sql_int(struct fx *f, const char *q)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, q, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

static int64_t kernel(struct fx *f, const char *name, const char *version)
{
	struct lab_kernel k = { .name = (char *)name, .version = (char *)version,
				.arch = "x86_64" };

	assert_int_equal(lab_store_kernel_put(f->st, &k), 0);
	return k.id;
}

static void get(struct fx *f, int64_t id, struct lab_finding *out)
{
	assert_int_equal(lab_store_finding_get(f->st, id, out), 0);
}

static void test_key(void **state)
{
	char a[17], b[17], c[17];

	(void)state;
	assert_int_equal(lab_finding_key("q35-vtd", "kmod.x", "EINVAL", "ENODEV", a), 0);
	assert_int_equal(lab_finding_key("q35-vtd", "kmod.x", "EINVAL", "ENODEV", b), 0);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 16);
	/* parts are NUL-separated: moving a byte between parts changes the key */
	assert_int_equal(lab_finding_key("q35-vtd", "kmod.x", "EINVA", "LENODEV", c), 0);
	assert_string_not_equal(a, c);
	assert_int_equal(lab_finding_key("q35-vtd", "kmod.x", "EINVAL", "crash", c), 0);
	assert_string_not_equal(a, c);
	assert_true(lab_kernel_order_cmp("6.1", "6.12") < 0);
	assert_true(lab_kernel_order_cmp("6.1.192", "6.1.99") > 0);
	assert_true(lab_kernel_order_cmp("6.12", "6.12") == 0);
}

static void test_lifecycle(void **state)
{
	struct fx *f = *state;
	int64_t k61 = f->kernel[0], k612 = f->kernel[1], k613 = kernel(f, "6.13", NULL);
	int64_t j1, j2, j3, id;
	struct lab_finding x;

	/* 6.1: EINVAL expected, ENODEV observed: opened */
	j1 = run(f, k61, "kmod.attach.one", 19, 22, LAB_VERDICT_FAIL);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM findings"), 1);
	id = sql_int(f, "SELECT id FROM findings");
	get(f, id, &x);
	assert_false(x.fixed);
	assert_string_equal(x.from_name, "EINVAL");
	assert_string_equal(x.to_name, "ENODEV");
	assert_int_equal(x.first_kernel_id, k61);
	assert_int_equal(x.first_job_id, j1);
	assert_int_equal(x.seen, 1);
	{
		char key[17];

		assert_int_equal(lab_finding_key("q35-vtd", "kmod.attach.one", "EINVAL", "ENODEV",
						 key), 0);
		assert_string_equal(x.key, key);
	}
	lab_finding_clear(&x);
	/* confirmed by a second job on the same kernel */
	j2 = run(f, k61, "kmod.attach.one", 19, 22, LAB_VERDICT_FAIL);
	get(f, id, &x);
	assert_int_equal(x.seen, 2);
	assert_int_equal(x.last_job_id, j2);
	assert_false(x.fixed);
	lab_finding_clear(&x);
	/* a pass on the same kernel (flaky) closes nothing */
	run(f, k61, "kmod.attach.one", 22, 22, LAB_VERDICT_PASS);
	get(f, id, &x);
	assert_false(x.fixed);
	lab_finding_clear(&x);
	/* another case passing closes nothing either */
	run(f, k612, "kmod.attach.two", 22, 22, LAB_VERDICT_PASS);
	get(f, id, &x);
	assert_false(x.fixed);
	lab_finding_clear(&x);
	/* the case returns to its contract on 6.12: fixed by 6.12 */
	j3 = run(f, k612, "kmod.attach.one", 22, 22, LAB_VERDICT_PASS);
	get(f, id, &x);
	assert_true(x.fixed);
	assert_int_equal(x.fixed_kernel_id, k612);
	lab_finding_clear(&x);
	assert_int_equal(sql_int(f, "SELECT fixed_job_id FROM findings"), j3);
	/* 6.1 still fails: an old kernel, the finding stays fixed */
	run(f, k61, "kmod.attach.one", 19, 22, LAB_VERDICT_FAIL);
	get(f, id, &x);
	assert_true(x.fixed);
	lab_finding_clear(&x);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM finding_events WHERE kind = 'seen-old'"), 1);
	/* the same cause on 6.13: the same finding reopens, none is added */
	run(f, k613, "kmod.attach.one", 19, 22, LAB_VERDICT_FAIL);
	get(f, id, &x);
	assert_false(x.fixed);
	assert_int_equal(x.fixed_kernel_id, 0);
	assert_int_equal(x.last_kernel_id, k613);
	lab_finding_clear(&x);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM findings"), 1);
	/* a different cause of the same case is a finding of its own */
	run(f, k613, "kmod.attach.one", 0, 22, LAB_VERDICT_CRASH);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM findings"), 2);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM findings WHERE to_name = 'crash' "
				    "AND from_name = 'EINVAL' AND verdict = 4"), 1);
	/* skip and error are not violations */
	run(f, k613, "kmod.attach.three", 95, 22, LAB_VERDICT_SKIP);
	run(f, k613, "kmod.attach.four", 5, 22, LAB_VERDICT_ERROR);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM findings"), 2);
}

/* findings follow tracked kernels: a patch check's jobs and a bisection's
 * steps open nothing and fix nothing; a manual plan's do */
static void test_untracked_plans(void **state)
{
	struct fx *f = *state;
	int64_t k61 = f->kernel[0], k612 = f->kernel[1], patch, bisect, manual;

	assert_int_equal(lab_store_plan_insert(f->st, "patch", "patch", "{\"kind\":\"patch\"}",
					       NULL, 1, 0, "t", &patch), 0);
	assert_int_equal(lab_store_plan_insert(f->st, "step", "manual",
					       "{\"kind\":\"manual\",\"bisect\":{\"id\":1}}",
					       NULL, 1, 0, "t", &bisect), 0);
	assert_int_equal(lab_store_plan_insert(f->st, "by hand", "manual", "{\"kind\":\"manual\"}",
					       NULL, 1, 0, "t", &manual), 0);
	run_in(f, patch, k61, "kmod.attach.one", 19, 22, LAB_VERDICT_FAIL);
	run_in(f, bisect, k61, "kmod.attach.one", 19, 22, LAB_VERDICT_FAIL);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM findings"), 0);
	run_in(f, manual, k61, "kmod.attach.one", 19, 22, LAB_VERDICT_FAIL);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM findings WHERE state = 'open'"), 1);
	/* a passing bisection step on a later kernel does not fix it */
	run_in(f, bisect, k612, "kmod.attach.one", 22, 22, LAB_VERDICT_PASS);
	run_in(f, patch, k612, "kmod.attach.one", 22, 22, LAB_VERDICT_PASS);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM findings WHERE state = 'open'"), 1);
	run_in(f, manual, k612, "kmod.attach.one", 22, 22, LAB_VERDICT_PASS);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM findings WHERE state = 'open'"), 0);
}

static void test_events_order(void **state)
{
	struct fx *f = *state;
	sqlite3 *db;
	sqlite3_stmt *s;
	char seq[256] = "";

	run(f, f->kernel[0], "kmod.attach.one", 19, 22, LAB_VERDICT_FAIL);
	run(f, f->kernel[0], "kmod.attach.one", 19, 22, LAB_VERDICT_FAIL);
	run(f, f->kernel[1], "kmod.attach.one", 22, 22, LAB_VERDICT_PASS);
	run(f, kernel(f, "6.13", NULL), "kmod.attach.one", 19, 22, LAB_VERDICT_FAIL);
	assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT kind FROM finding_events ORDER BY id", -1,
					    &s, NULL), SQLITE_OK);
	while (sqlite3_step(s) == SQLITE_ROW) {
		strcat(seq, (const char *)sqlite3_column_text(s, 0));
		strcat(seq, " ");
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_string_equal(seq, "opened confirmed fixed reopened ");
}

static void test_known_issues(void **state)
{
	struct fx *f = *state;
	struct lab_known_issue ki = {
		.driver = "intel-iommu", .case_glob = "kmod.coherency.*,kmod.sva.*",
		.target_glob = "q35-*", .kernel_min = "6.1", .kernel_max = "6.12",
		.reason = "VT-d snoop control: fixed upstream in 6.13",
	};
	struct lab_known_issue bad = ki;
	struct lab_finding x;
	char err[256];
	int marked = -1;
	int64_t a, b, c;

	/* pure matching: driver, patterns, kernel range */
	assert_true(lab_known_issue_matches(&ki, "intel-iommu", "kmod.sva.bind", "q35-vtd", "6.1"));
	assert_true(lab_known_issue_matches(&ki, "intel-iommu", "kmod.coherency.x", "q35-a", "6.12"));
	assert_false(lab_known_issue_matches(&ki, "amd-iommu", "kmod.sva.bind", "q35-vtd", "6.1"));
	assert_false(lab_known_issue_matches(&ki, "intel-iommu", "kmod.attach.one", "q35-vtd", "6.1"));
	assert_false(lab_known_issue_matches(&ki, "intel-iommu", "kmod.sva.bind", "virt-smmuv3", "6.1"));
	assert_false(lab_known_issue_matches(&ki, "intel-iommu", "kmod.sva.bind", "q35-vtd", "6.13"));
	assert_false(lab_known_issue_matches(&ki, "intel-iommu", "kmod.sva.bind", "q35-vtd", "6.0"));
	/* bad fields refused with a reason, nothing stored */
	bad.case_glob = "Kmod;rm";
	assert_int_equal(lab_findings_expect(f->st, &bad, "t", NULL), -EINVAL);
	assert_int_equal(lab_known_issue_check(&bad, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "\"case\""));
	bad = ki;
	bad.kernel_min = "6.13";
	assert_int_equal(lab_known_issue_check(&bad, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "after"));
	bad = ki;
	bad.reason = NULL;
	assert_int_equal(lab_findings_expect(f->st, &bad, "t", NULL), -EINVAL);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM known_issues"), 0);

	/* an open finding it matches is marked when the issue is added ... */
	run(f, f->kernel[0], "kmod.coherency.vtd_no_snoop", 19, 22, LAB_VERDICT_FAIL);
	run(f, f->kernel[0], "kmod.attach.one", 19, 22, LAB_VERDICT_FAIL);
	assert_int_equal(lab_findings_expect(f->st, &ki, "alice", &marked), 0);
	assert_int_equal(marked, 1);
	a = sql_int(f, "SELECT id FROM findings WHERE case_id = 'kmod.coherency.vtd_no_snoop'");
	get(f, a, &x);
	assert_int_equal(x.known_issue_id, ki.id);
	lab_finding_clear(&x);
	b = sql_int(f, "SELECT id FROM findings WHERE case_id = 'kmod.attach.one'");
	get(f, b, &x);
	assert_int_equal(x.known_issue_id, 0);
	lab_finding_clear(&x);
	/* ... and one that opens later */
	run(f, f->kernel[1], "kmod.sva.bind", 19, 22, LAB_VERDICT_FAIL);
	c = sql_int(f, "SELECT id FROM findings WHERE case_id = 'kmod.sva.bind'");
	get(f, c, &x);
	assert_int_equal(x.known_issue_id, ki.id);
	lab_finding_clear(&x);
	/* an expected failure that passes again is reported */
	run(f, f->kernel[1], "kmod.coherency.vtd_no_snoop", 22, 22, LAB_VERDICT_PASS);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM finding_events WHERE kind = "
				    "'expected-passed'"), 1);
	/* expect one finding: a known issue made from it */
	{
		int64_t kid = 0;

		assert_int_equal(lab_findings_expect_one(f->st, b, "flaky on TCG", "bob", &kid), 0);
		assert_true(kid > 0);
		get(f, b, &x);
		assert_int_equal(x.known_issue_id, kid);
		lab_finding_clear(&x);
		assert_int_equal(lab_findings_expect_one(f->st, 9999, "x", "bob", &kid), -ENOENT);
	}
}

static void test_retire(void **state)
{
	struct fx *f = *state;
	struct lab_known_issue ki = {
		.driver = "intel-iommu", .case_glob = "kmod.sva.*", .target_glob = "q35-*",
		.reason = "SVA on TCG",
	}, other = {
		.driver = "intel-iommu", .case_glob = "kmod.attach.*", .reason = "attach",
	};
	struct lab_known_issue *v = NULL;
	struct lab_finding x;
	char err[256];
	int marked = -1, unmarked = -1;
	size_t n = 0;
	int64_t a, b, ev;

	run(f, f->kernel[0], "kmod.sva.bind", 19, 22, LAB_VERDICT_FAIL);
	run(f, f->kernel[0], "kmod.sva.unbind", 19, 22, LAB_VERDICT_CRASH);
	assert_int_equal(lab_findings_expect(f->st, &ki, "alice", &marked), 0);
	assert_int_equal(marked, 2);
	assert_int_equal(lab_findings_expect(f->st, &other, "alice", NULL), 0);
	assert_int_equal(lab_store_known_issues_load(f->st, &v, &n), 0);
	assert_int_equal(n, 2);
	lab_known_issues_free(v, n);

	/* refused, nothing changed: a bad reason, an unknown id, id 0 */
	ev = sql_int(f, "SELECT count(*) FROM finding_events");
	assert_int_equal(lab_findings_retire(f->st, ki.id, "two\nlines", "bob", &unmarked, err,
					     sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "\"reason\""));
	assert_int_equal(lab_findings_retire(f->st, ki.id, NULL, "bob", NULL, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(lab_findings_retire(f->st, 9999, "fixed", "bob", &unmarked, err,
					     sizeof(err)), -ENOENT);
	assert_int_equal(unmarked, 0);
	assert_int_equal(lab_findings_retire(f->st, 0, "fixed", "bob", NULL, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(lab_store_known_issue_retire(f->st, 9999, "bob", "x"), -ENOENT);
	assert_int_equal(lab_store_known_issue_retire(f->st, ki.id, "bob", ""), -EINVAL);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM known_issues WHERE state = 'active'"), 2);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM finding_events"), ev);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM findings WHERE known_issue_id IS NOT NULL"),
			 2);

	/* retired: the record stays (who, why), its two findings are unmarked
	 * with an event each, only the other issue is loaded */
	assert_int_equal(lab_findings_retire(f->st, ki.id, "fixed in 6.13", "bob", &unmarked, err,
					     sizeof(err)), 0);
	assert_int_equal(unmarked, 2);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM known_issues WHERE state = 'retired' "
				    "AND retired_by = 'bob' AND retire_reason = 'fixed in 6.13' "
				    "AND retired_at > 0 AND reason = 'SVA on TCG'"), 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM findings WHERE known_issue_id IS NOT NULL"),
			 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM finding_events WHERE kind = 'unexpected' "
				    "AND by_name = 'bob' AND note = 'known issue 1 retired: fixed in 6.13'"), 2);
	assert_int_equal(lab_store_known_issues_load(f->st, &v, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(v[0].id, other.id);
	lab_known_issues_free(v, n);

	/* twice: -EALREADY, nothing changed */
	ev = sql_int(f, "SELECT count(*) FROM finding_events");
	assert_int_equal(lab_findings_retire(f->st, ki.id, "again", "carol", &unmarked, err,
					     sizeof(err)), -EALREADY);
	assert_int_equal(unmarked, 0);
	assert_int_equal(lab_store_known_issue_retire(f->st, ki.id, "carol", "again"), -EALREADY);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM known_issues WHERE retired_by = 'bob' "
				    "AND retire_reason = 'fixed in 6.13'"), 1);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM finding_events"), ev);

	/* a new failure it would have matched opens unmarked; a known issue
	 * added later marks the unmarked ones again */
	run(f, f->kernel[1], "kmod.sva.pasid", 19, 22, LAB_VERDICT_FAIL);
	a = sql_int(f, "SELECT id FROM findings WHERE case_id = 'kmod.sva.pasid'");
	get(f, a, &x);
	assert_int_equal(x.known_issue_id, 0);
	lab_finding_clear(&x);
	run(f, f->kernel[1], "kmod.attach.one", 19, 22, LAB_VERDICT_FAIL);
	b = sql_int(f, "SELECT id FROM findings WHERE case_id = 'kmod.attach.one'");
	get(f, b, &x);
	assert_int_equal(x.known_issue_id, other.id);	/* the active one still marks */
	lab_finding_clear(&x);
	ki.id = 0;
	assert_int_equal(lab_findings_expect(f->st, &ki, "alice", &marked), 0);
	assert_int_equal(marked, 3);
}

static void test_ack_links(void **state)
{
	struct fx *f = *state;
	char err[256];
	int64_t id;

	run(f, f->kernel[0], "kmod.attach.one", 19, 22, LAB_VERDICT_FAIL);
	id = sql_int(f, "SELECT id FROM findings");
	assert_int_equal(lab_store_finding_ack(f->st, id, "alice", "looking"), 0);
	assert_int_equal(lab_store_finding_ack(f->st, 9999, "alice", NULL), -ENOENT);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM findings WHERE acked_by = 'alice'"), 1);
	assert_int_equal(lab_findings_link(f->st, id, "url", "https://bugzilla.kernel.org/"
					   "show_bug.cgi?id=1", "alice", err, sizeof(err)), 0);
	assert_int_equal(lab_findings_link(f->st, id, "url", "https://bugzilla.kernel.org/"
					   "show_bug.cgi?id=1", "alice", err, sizeof(err)), -EEXIST);
	assert_int_equal(lab_findings_link(f->st, id, "msgid", "<20261203.1-1-a@lore.test>",
					   "alice", err, sizeof(err)), 0);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM finding_links WHERE value = "
				    "'20261203.1-1-a@lore.test'"), 1);
	/* refused: not a URL, a message id without '@' or with two, '<' unbalanced,
	 * a shell word, an unknown kind, an unknown finding */
	assert_int_equal(lab_findings_link(f->st, id, "url", "javascript:alert(1)", "a", err,
					   sizeof(err)), -EINVAL);
	assert_int_equal(lab_findings_link(f->st, id, "msgid", "nodomain", "a", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(lab_findings_link(f->st, id, "msgid", "a@b@c", "a", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(lab_findings_link(f->st, id, "msgid", "<a@b", "a", err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(lab_findings_link(f->st, id, "msgid", "$(touch x)@b", "a", err,
					   sizeof(err)), -EINVAL);
	assert_int_equal(lab_findings_link(f->st, id, "web", "https://x.org/", "a", err,
					   sizeof(err)), -EINVAL);
	assert_int_equal(lab_findings_link(f->st, 9999, "url", "https://x.org/", "a", err,
					   sizeof(err)), -ENOENT);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM finding_links"), 2);
	assert_int_equal(sql_int(f, "SELECT count(*) FROM finding_events WHERE kind IN "
				    "('acked', 'linked')"), 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key),
		cmocka_unit_test_setup_teardown(test_lifecycle, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_untracked_plans, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_events_order, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_known_issues, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_retire, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ack_links, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests_name("findings", tests, NULL, NULL);
}
