/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_bisect.c - the bisection's store (store_bisect.c: rows in, state
 * leaves running once, judgements checked, a job's results of one case)
 * and its git rules (gitrun.c: a ref that could be an option or a range is
 * refused; git gets an argv, so shell text in an argument stays text).
 */
#include "gitrun.h"
#include "helpers.h"
#include "store_bisect.h"

struct rows {
	int n;
	char judged[8][16];
	char state[16];
};

static int step_row(const struct lab_store_row *r, void *arg)
{
	struct rows *x = arg;

	for (int i = 0; i < lab_store_row_ncols(r); i++)
		if (!strcmp(lab_store_row_name(r, i), "judgement"))
			snprintf(x->judged[x->n], sizeof(x->judged[0]), "%s",
				 lab_store_row_type(r, i) == LAB_COL_TEXT ?
				 lab_store_row_text(r, i, NULL) : "-");
	x->n++;
	return 0;
}

static int bis_row(const struct lab_store_row *r, void *arg)
{
	struct rows *x = arg;

	for (int i = 0; i < lab_store_row_ncols(r); i++)
		if (!strcmp(lab_store_row_name(r, i), "state"))
			snprintf(x->state, sizeof(x->state), "%s", lab_store_row_text(r, i, NULL));
	x->n++;
	return 0;
}

static void test_store(void **state)
{
	struct fx *f = *state;
	struct rows x = { 0 };
	int64_t id = 0, id2 = 0, s1 = 0, s2 = 0, run[4];
	size_t n = 0;

	assert_int_equal(lab_store_bisect_insert(f->st, "nope", "{}", NULL, &id), -EINVAL);
	assert_int_equal(lab_store_bisect_insert(f->st, "git", "{\"a\":1}", "admin", &id), 0);
	assert_int_equal(lab_store_bisect_insert(f->st, "series", "{}", NULL, &id2), 0);
	assert_true(id > 0 && id2 > id);
	assert_int_equal(lab_store_bisects_running(f->st, run, 4, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(lab_store_bisect_step_insert(f->st, id, 0, "c", "", "k", 0, &s1), -EINVAL);
	assert_int_equal(lab_store_bisect_step_insert(f->st, id, 1, "abc", "s", "k1", 0, &s1), 0);
	assert_int_equal(lab_store_bisect_step_insert(f->st, id, 2, "def", "s", "k2", 0, &s2), 0);
	/* the same step number twice: refused by the schema */
	assert_true(lab_store_bisect_step_insert(f->st, id, 2, "x", "s", "k3", 0, &s2) < 0);
	assert_int_equal(lab_store_bisect_step_judge(f->st, s1, "maybe", "{}"), -EINVAL);
	assert_int_equal(lab_store_bisect_step_judge(f->st, s1, "skip", "{\"why\":\"x\"}"), 0);
	assert_int_equal(lab_store_bisect_step_judge(f->st, 9999, "good", "{}"), -ENOENT);
	assert_int_equal(lab_store_bisect_steps_rows(f->st, id, step_row, &x), 2);
	assert_string_equal(x.judged[0], "skip");
	assert_string_equal(x.judged[1], "-");
	assert_int_equal(lab_store_bisect_update(f->st, id, "done", NULL, NULL), -EINVAL);
	assert_int_equal(lab_store_bisect_update(f->st, 9999, "found", NULL, NULL), -ENOENT);
	assert_int_equal(lab_store_bisect_update(f->st, id, "found", "{\"r\":1}", NULL), 0);
	memset(&x, 0, sizeof(x));
	assert_int_equal(lab_store_bisect_rows(f->st, id, bis_row, &x), 1);
	assert_string_equal(x.state, "found");
	assert_int_equal(lab_store_bisects_running(f->st, run, 4, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(run[0], id2);
	memset(&x, 0, sizeof(x));
	assert_int_equal(lab_store_bisects_rows(f->st, 10, bis_row, &x), 2);
}

static int obs_row(const struct lab_store_row *r, void *arg)
{
	int *sum = arg;

	*sum += (int)lab_store_row_int(r, 0);
	return 0;
}

static void test_job_case(void **state)
{
	struct fx *f = *state;
	int64_t j = fx_running_job(f, 0, 0);
	struct lab_result r[3] = {
		fx_result("kmod.a", EINVAL, EINVAL, LAB_VERDICT_PASS),
		fx_result("kmod.a", ENODEV, EINVAL, LAB_VERDICT_FAIL),
		fx_result("kmod.b", 1, 1, LAB_VERDICT_PASS),
	};
	int sum = 0;

	r[1].repeat = 1;
	assert_int_equal(lab_store_results_ingest(f->st, j, r, 3), 0);
	assert_int_equal(lab_store_job_case_rows(f->st, j, "kmod.a", obs_row, &sum), 2);
	assert_int_equal(sum, EINVAL + ENODEV);
	assert_int_equal(lab_store_job_case_rows(f->st, j, "kmod.zz", obs_row, &sum), 0);
}

static void test_refs(void **state)
{
	(void)state;
	assert_true(lab_git_ref_ok("v6.12"));
	assert_true(lab_git_ref_ok("HEAD~3"));
	assert_true(lab_git_ref_ok("origin/iommu-next^{commit}"));
	assert_false(lab_git_ref_ok("--output=/tmp/x"));	/* an option */
	assert_false(lab_git_ref_ok("-x"));
	assert_false(lab_git_ref_ok("a..b"));			/* a range */
	assert_false(lab_git_ref_ok("a b"));
	assert_false(lab_git_ref_ok("$(id)"));
	assert_false(lab_git_ref_ok("a;b"));
	assert_false(lab_git_ref_ok(""));
	assert_true(lab_git_sha_ok("0123456789abcdef0123456789abcdef01234567"));
	assert_false(lab_git_sha_ok("0123456789ABCDEF0123456789abcdef01234567"));
}

static void test_argv(void **state)
{
	const char *argv[] = { "git", "--version", "$(touch /tmp/lab-bisect-pwned)", NULL };
	char *out = NULL;
	int r;

	(void)state;
	unlink("/tmp/lab-bisect-pwned");
	r = lab_git_run(argv, true, 4096, &out);
	/* git --version ignores extra words or refuses them; no shell ran it */
	assert_true(r >= 0);
	assert_non_null(out);
	free(out);
	assert_int_equal(access("/tmp/lab-bisect-pwned", F_OK), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_store, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_job_case, fx_setup, fx_teardown),
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_argv),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
