// SPDX-License-Identifier: GPL-2.0
/*
 * test_nightly.c - server/nightly.c: the schedule's slot arithmetic (at,
 * cron subset, bad specs) and the flakiness-aware comparison of two
 * nightly plans on a real SQLite store: a change consistent over 3
 * repeats is a regression with confidence 0.875; a change whose repeats
 * disagree is "inconsistent", never a regression; unchanged rows are
 * neither; both carry each side's errno distribution ({"ENOMEM": 2, "OK": 1}).
 */
#include <time.h>

#include "helpers.h"
#include "nightly.h"
#include "plan.h"
#include "views.h"

static time_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			 .tm_hour = h, .tm_min = mi };

	return timegm(&tm);
}

static int slot_of(const char *spec_json, time_t now, time_t *slot)
{
	json_t *j = json_loads(spec_json, 0, NULL);
	int r;

	assert_non_null(j);
	r = lab_nightly_slot(j, now, slot);
	json_decref(j);
	return r;
}

static void test_slot_at(void **state)
{
	time_t s;

	(void)state;
	assert_int_equal(slot_of("{\"at\": \"02:00\"}", utc(2030, 1, 10, 1, 59), &s), 0);
	assert_int_equal(s, utc(2030, 1, 9, 2, 0));	/* before 02:00: yesterday's */
	assert_int_equal(slot_of("{\"at\": \"02:00\"}", utc(2030, 1, 10, 2, 0), &s), 0);
	assert_int_equal(s, utc(2030, 1, 10, 2, 0));	/* the minute itself */
	assert_int_equal(slot_of("{\"at\": \"23:59\"}", utc(2030, 1, 10, 12, 0), &s), 0);
	assert_int_equal(s, utc(2030, 1, 9, 23, 59));
	assert_int_equal(slot_of("{\"at\": \"24:00\"}", 0, &s), -EINVAL);
	assert_int_equal(slot_of("{\"at\": \"2:00pm\"}", 0, &s), -EINVAL);
	assert_int_equal(slot_of("{\"at\": \"02:00\", \"cron\": \"0 2 * * *\"}", 0, &s), -EINVAL);
	assert_int_equal(slot_of("{}", 0, &s), -EINVAL);
}

static void test_slot_cron(void **state)
{
	time_t s;

	(void)state;
	/* 2030-01-10 is a Thursday (4) */
	assert_int_equal(slot_of("{\"cron\": \"0 2 * * *\"}", utc(2030, 1, 10, 5, 0), &s), 0);
	assert_int_equal(s, utc(2030, 1, 10, 2, 0));
	assert_int_equal(slot_of("{\"cron\": \"30 1,13 * * *\"}", utc(2030, 1, 10, 12, 0), &s), 0);
	assert_int_equal(s, utc(2030, 1, 10, 1, 30));
	assert_int_equal(slot_of("{\"cron\": \"0 3 * * 1\"}", utc(2030, 1, 10, 5, 0), &s), 0);
	assert_int_equal(s, utc(2030, 1, 7, 3, 0));	/* last Monday */
	assert_int_equal(slot_of("{\"cron\": \"* * * * *\"}", utc(2030, 1, 10, 5, 7) + 42, &s), 0);
	assert_int_equal(s, utc(2030, 1, 10, 5, 7));
	assert_int_equal(slot_of("{\"cron\": \"0 2 * * 7\"}", 0, &s), -EINVAL);	/* DOW 0-6 */
	assert_int_equal(slot_of("{\"cron\": \"0 2 1 * *\"}", 0, &s), -EINVAL);	/* no day of month */
	assert_int_equal(slot_of("{\"cron\": \"0 2 * *\"}", 0, &s), -EINVAL);
	assert_int_equal(slot_of("{\"cron\": \"60 2 * * *\"}", 0, &s), -EINVAL);
}

/* plan of kind nightly for kernel @k on q35-vtd, repeat 3; its job run with @res */
static int64_t nightly_plan(struct fx *f, const char *k, struct lab_result *res, size_t n)
{
	char err[LAB_STORE_ERR_MAX];
	struct lab_job_filter jf = { .state = -1, .limit = 10 };
	json_t *plan, *jobs;
	int64_t pid, jid;
	int njobs;

	plan = json_pack("{s:s, s:[s], s:[s], s:i}", "kind", "nightly", "kernels", k,
			 "targets", "q35-vtd", "repeat", 3);
	assert_int_equal(lab_store_plan_create_ex(f->st, plan, "test", &pid, &njobs, err,
						  sizeof(err)), 0);
	json_decref(plan);
	assert_int_equal(njobs, 1);
	jf.plan_id = pid;
	assert_int_equal(lab_store_jobs_list(f->st, &jf, &jobs), 0);
	jid = json_integer_value(json_object_get(json_array_get(jobs, 0), "id"));
	json_decref(jobs);
	assert_int_equal(lab_store_job_transition(f->st, jid, LAB_JOB_QUEUED, LAB_JOB_SCHEDULED,
						  NULL), 0);
	assert_int_equal(lab_store_job_transition(f->st, jid, LAB_JOB_SCHEDULED, LAB_JOB_RUNNING,
						  NULL), 0);
	assert_int_equal(lab_store_results_ingest(f->st, jid, res, n), 0);
	assert_int_equal(lab_store_job_transition(f->st, jid, LAB_JOB_RUNNING, LAB_JOB_COMPLETE,
						  NULL), 0);
	return pid;
}

/* three repeats of @c: observed/verdict per repeat */
static void three(struct lab_result *r, const char *c, const int obs[3], int expected,
		  const enum lab_verdict v[3])
{
	for (int i = 0; i < 3; i++) {
		r[i] = fx_result(c, obs[i], expected, v[i]);
		r[i].repeat = i;
	}
}

static void test_compare_flaky(void **state)
{
	static const enum lab_verdict ppp[3] = { LAB_VERDICT_PASS, LAB_VERDICT_PASS, LAB_VERDICT_PASS };
	static const enum lab_verdict fff[3] = { LAB_VERDICT_FAIL, LAB_VERDICT_FAIL, LAB_VERDICT_FAIL };
	static const enum lab_verdict fpf[3] = { LAB_VERDICT_FAIL, LAB_VERDICT_PASS, LAB_VERDICT_FAIL };
	static const int e22[3] = { 22, 22, 22 }, e19[3] = { 19, 19, 19 }, zero[3] = { 0, 0, 0 };
	static const int mixed[3] = { 12, 0, 12 };
	struct fx *f = *state;
	static const enum lab_verdict pfp[3] = { LAB_VERDICT_PASS, LAB_VERDICT_FAIL, LAB_VERDICT_PASS };
	static const int flip[3] = { 22, 19, 22 };
	struct lab_result base[12], head[12];
	json_t *cmp, *regs, *inc, *r, *dist;
	int64_t p1, p2;

	/* a: EINVAL -> ENODEV in every repeat; b: OK -> ENOMEM in 2 of 3; c: same */
	three(base, "kmod.a", e22, 22, ppp);
	three(base + 3, "kmod.b", zero, 0, ppp);
	three(base + 6, "kmod.c", e22, 22, ppp);
	three(head, "kmod.a", e19, 22, fff);
	three(head + 3, "kmod.b", mixed, 0, fpf);
	three(head + 6, "kmod.c", e22, 22, ppp);
	/* d: a flaky base (EINVAL pass, ENODEV fail, EINVAL pass), a head that
	 * fails ENODEV in every repeat: a regression all the same (issue 15.3) */
	three(base + 9, "kmod.d", flip, 22, pfp);
	three(head + 9, "kmod.d", e19, 22, fff);
	p1 = nightly_plan(f, "6.1", base, 12);
	p2 = nightly_plan(f, "6.12", head, 12);

	assert_int_equal(lab_nightly_compare(f->st, p1, p2, &cmp), 0);
	regs = json_object_get(cmp, "regressions");
	inc = json_object_get(cmp, "inconsistent");
	assert_int_equal(json_array_size(regs), 2);
	r = json_array_get(regs, 1);
	assert_string_equal(json_string_value(json_object_get(r, "case")), "kmod.d");
	assert_string_equal(json_string_value(json_object_get(r, "class")), "pass_to_fail");
	assert_true(json_is_true(json_object_get(json_object_get(r, "base"), "flaky")));
	/* the base's distribution over every repeat: (EINVAL, pass) x2, (ENODEV, fail) x1 */
	dist = json_object_get(json_object_get(r, "base"), "distribution");
	assert_int_equal(json_array_size(dist), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(dist, 0), "count")), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(dist, 0), "verdict")),
			    "pass");
	assert_string_equal(json_string_value(json_object_get(json_array_get(dist, 1),
							      "observed_name")), "ENODEV");
	r = json_array_get(regs, 0);
	assert_string_equal(json_string_value(json_object_get(r, "case")), "kmod.a");
	assert_int_equal(json_integer_value(json_object_get(r, "runs")), 3);
	assert_true(json_real_value(json_object_get(r, "confidence")) == 0.875);
	assert_int_equal(json_array_size(inc), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(inc, 0), "case")),
			    "kmod.b");
	assert_true(json_is_true(json_object_get(json_object_get(json_array_get(inc, 0), "head"),
						 "flaky")));
	/* each side of the inconsistent row carries its errno distribution */
	r = json_array_get(inc, 0);
	dist = json_object_get(json_object_get(r, "head"), "errnos");
	assert_int_equal(json_object_size(dist), 2);
	assert_int_equal(json_integer_value(json_object_get(dist, "ENOMEM")), 2);
	assert_int_equal(json_integer_value(json_object_get(dist, "OK")), 1);
	dist = json_object_get(json_object_get(r, "base"), "errnos");
	assert_int_equal(json_object_size(dist), 1);
	assert_int_equal(json_integer_value(json_object_get(dist, "OK")), 3);
	/* and so does the regression: ENODEV in all 3 repeats */
	dist = json_object_get(json_object_get(json_array_get(regs, 0), "head"), "errnos");
	assert_int_equal(json_object_size(dist), 1);
	assert_int_equal(json_integer_value(json_object_get(dist, "ENODEV")), 3);
	json_decref(cmp);
	assert_int_equal(lab_store_result_errnos(f->st, 999999, &dist), -ENOENT);
	/* the same plan against itself: nothing */
	assert_int_equal(lab_nightly_compare(f->st, p2, p2, &cmp), 0);
	assert_int_equal(json_array_size(json_object_get(cmp, "regressions")), 0);
	assert_int_equal(json_array_size(json_object_get(cmp, "inconsistent")), 0);
	json_decref(cmp);
	assert_int_equal(lab_nightly_compare(f->st, p1, 999, &cmp), -ENOENT);
}

/* a nightly plan for @k whose one job ends @how (canceled or incomplete) without results */
static int64_t nightly_plan_ended(struct fx *f, const char *k, enum lab_job_state how)
{
	char err[LAB_STORE_ERR_MAX];
	struct lab_job_filter jf = { .state = -1, .limit = 10 };
	json_t *plan, *jobs;
	int64_t pid, jid;
	int njobs;

	plan = json_pack("{s:s, s:[s], s:[s]}", "kind", "nightly", "kernels", k, "targets", "q35-vtd");
	assert_int_equal(lab_store_plan_create_ex(f->st, plan, "test", &pid, &njobs, err,
						  sizeof(err)), 0);
	json_decref(plan);
	jf.plan_id = pid;
	assert_int_equal(lab_store_jobs_list(f->st, &jf, &jobs), 0);
	jid = json_integer_value(json_object_get(json_array_get(jobs, 0), "id"));
	json_decref(jobs);
	assert_int_equal(lab_store_job_transition(f->st, jid, LAB_JOB_QUEUED, LAB_JOB_SCHEDULED,
						  NULL), 0);
	assert_int_equal(lab_store_job_transition(f->st, jid, LAB_JOB_SCHEDULED, LAB_JOB_RUNNING,
						  NULL), 0);
	assert_int_equal(lab_store_job_transition(f->st, jid, LAB_JOB_RUNNING, how, "test"), 0);
	return pid;
}

/* issue 14.5: a case the head no longer reports is a regression (a crashed
 * run), unless its job was canceled */
static void test_compare_missing(void **state)
{
	static const enum lab_verdict ppp[3] = { LAB_VERDICT_PASS, LAB_VERDICT_PASS, LAB_VERDICT_PASS };
	static const int e22[3] = { 22, 22, 22 };
	struct fx *f = *state;
	struct lab_result base[3];
	json_t *cmp, *r;
	int64_t p1, p2, p3;

	three(base, "kmod.a", e22, 22, ppp);
	p1 = nightly_plan(f, "6.1", base, 3);
	p2 = nightly_plan_ended(f, "6.12", LAB_JOB_CANCELED);
	assert_int_equal(lab_nightly_compare(f->st, p1, p2, &cmp), 0);
	assert_int_equal(json_array_size(json_object_get(cmp, "regressions")), 0);
	json_decref(cmp);
	p3 = nightly_plan_ended(f, "6.12", LAB_JOB_INCOMPLETE);
	assert_int_equal(lab_nightly_compare(f->st, p1, p3, &cmp), 0);
	assert_int_equal(json_array_size(json_object_get(cmp, "regressions")), 1);
	r = json_array_get(json_object_get(cmp, "regressions"), 0);
	assert_string_equal(json_string_value(json_object_get(r, "class")), "missing");
	json_decref(cmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_at),
		cmocka_unit_test(test_slot_cron),
		cmocka_unit_test_setup_teardown(test_compare_flaky, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_compare_missing, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests_name("nightly", tests, NULL, NULL);
}
