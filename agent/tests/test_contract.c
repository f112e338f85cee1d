/*
 * test_contract.c - unit tests for contract.c and the runner's verdicts:
 * release comparison, contract selection (range, driver-specific vs any),
 * labels, and verdicts including domain reuse.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "case.h"
#include "contract.h"
#include "runner.h"

static int cmp(const char *a, const char *b)
{
	int c = 99;

	assert_int_equal(lab_contract_vercmp(a, b, &c), 0);
	return c;
}

static void version_compare(void **state)
{
	int c;

	(void)state;
	assert_true(cmp("6.1.0-56-amd64", "6.2") < 0);
	assert_true(cmp("6.12.117+deb12-amd64", "6.2") > 0);
	assert_true(cmp("6.12.117+deb12-amd64", "6.6") > 0);
	assert_true(cmp("6.10", "6.9") > 0);
	assert_int_equal(cmp("6.2", "6.2.0"), 0);
	assert_int_equal(cmp("6.2.0-rc1", "6.2"), 0);
	assert_true(cmp("5.19.17", "6.1") < 0);
	assert_int_equal(lab_contract_vercmp("linux", "6.2", &c), -EINVAL);
	assert_int_equal(lab_contract_vercmp("6.2", "", &c), -EINVAL);
	assert_int_equal(lab_contract_vercmp(NULL, "6.2", &c), -EINVAL);
}

static const struct lab_contract vtd[] = {
	{ NULL, "6.2", "intel-iommu", EOPNOTSUPP },
	{ "6.2", NULL, "any", EINVAL },
	{ 0 },
};

/* "any" listed first must still lose to the driver's own entry */
static const struct lab_contract mixed[] = {
	{ NULL, NULL, "any", EINVAL },
	{ "6.1", "6.2", "virtio-iommu", EXDEV },
	{ 0 },
};

static void pick_by_kernel_and_driver(void **state)
{
	const struct lab_contract *c;

	(void)state;
	assert_int_equal(lab_contract_pick(vtd, "6.1.0-56-amd64", "intel-iommu", &c), 0);
	assert_int_equal(c->expected, EOPNOTSUPP);
	assert_int_equal(lab_contract_pick(vtd, "6.12.117+deb12-amd64", "intel-iommu", &c), 0);
	assert_int_equal(c->expected, EINVAL);
	assert_int_equal(lab_contract_pick(vtd, "6.2", "amd-iommu", &c), 0);
	assert_int_equal(c->expected, EINVAL);
	/* the upper bound is exclusive: 6.2 is no longer "<6.2" */
	assert_int_equal(lab_contract_pick(vtd, "6.2", "intel-iommu", &c), 0);
	assert_int_equal(c->expected, EINVAL);
	/* before 6.2 only intel has an entry */
	assert_int_equal(lab_contract_pick(vtd, "6.1.0-56-amd64", "amd-iommu", &c), -ENOENT);
	assert_null(c);
}

static void driver_specific_beats_any(void **state)
{
	const struct lab_contract *c;

	(void)state;
	assert_int_equal(lab_contract_pick(mixed, "6.1.0-56-amd64", "virtio-iommu", &c), 0);
	assert_int_equal(c->expected, EXDEV);
	assert_int_equal(lab_contract_pick(mixed, "6.1.0-56-amd64", "intel-iommu", &c), 0);
	assert_int_equal(c->expected, EINVAL);
	/* outside the specific entry's range "any" applies again */
	assert_int_equal(lab_contract_pick(mixed, "6.12.117+deb12-amd64", "virtio-iommu", &c), 0);
	assert_int_equal(c->expected, EINVAL);
	assert_int_equal(lab_contract_pick(mixed, "junk", "virtio-iommu", &c), -EINVAL);
}

static void labels(void **state)
{
	char buf[64];

	(void)state;
	lab_contract_label(&vtd[0], buf, sizeof(buf));
	assert_string_equal(buf, "<6.2:intel-iommu");
	lab_contract_label(&vtd[1], buf, sizeof(buf));
	assert_string_equal(buf, ">=6.2:any");
	lab_contract_label(&mixed[0], buf, sizeof(buf));
	assert_string_equal(buf, "all:any");
	lab_contract_label(&mixed[1], buf, sizeof(buf));
	assert_string_equal(buf, ">=6.1,<6.2:virtio-iommu");
}

static void judge(void **state)
{
	char why[128];

	(void)state;
	assert_int_equal(lab_contract_judge(&vtd[0], EOPNOTSUPP, why, sizeof(why)), LAB_VERDICT_PASS);
	assert_string_equal(why, "");
	assert_int_equal(lab_contract_judge(&vtd[0], EINVAL, why, sizeof(why)), LAB_VERDICT_FAIL);
	assert_string_equal(why, "expected EOPNOTSUPP, got EINVAL");
	assert_int_equal(lab_contract_judge(NULL, EINVAL, why, sizeof(why)), LAB_VERDICT_SKIP);
	assert_non_null(strstr(why, "no contract entry"));
}

static enum lab_outcome never_run(const struct lab_env *env, struct lab_result *res)
{
	(void)env;
	(void)res;
	fail();
	return LAB_OUTCOME_ERROR;
}

static const struct lab_contract ok_any[] = { { NULL, NULL, "any", 0 }, { 0 } };
static const struct lab_case reuse_case = {
	.id = "t.reuse", .description = "t", .contracts = ok_any, .expect_reused = 1,
	.run = never_run,
};
static const struct lab_case vtd_case = {
	.id = "t.vtd", .description = "t", .contracts = vtd, .expect_reused = -1,
	.run = never_run,
};

static void runner_verdicts(void **state)
{
	const struct lab_contract *c;
	struct lab_env env;
	struct lab_result r;
	char why[LAB_REASON_LEN];

	(void)state;
	memset(&env, 0, sizeof(env));
	strcpy(env.release, "6.1.0-56-amd64");
	memset(&r, 0, sizeof(r));
	strcpy(r.driver, "intel-iommu");
	r.reused = -1;

	r.outcome = LAB_OUTCOME_JUDGE;
	r.observed = EOPNOTSUPP;
	assert_int_equal(lab_runner_judge(&vtd_case, &env, &r, &c, why, sizeof(why)), LAB_VERDICT_PASS);
	assert_int_equal(c->expected, EOPNOTSUPP);
	strcpy(env.release, "6.12.117+deb12-amd64");
	assert_int_equal(lab_runner_judge(&vtd_case, &env, &r, &c, why, sizeof(why)), LAB_VERDICT_FAIL);
	assert_int_equal(c->expected, EINVAL);

	/* outcomes other than JUDGE keep their reason and still name the contract */
	r.outcome = LAB_OUTCOME_FAIL;
	strcpy(r.reason, "driver reported success without attaching");
	assert_int_equal(lab_runner_judge(&vtd_case, &env, &r, &c, why, sizeof(why)), LAB_VERDICT_FAIL);
	assert_string_equal(why, "driver reported success without attaching");
	assert_non_null(c);
	r.outcome = LAB_OUTCOME_SKIP;
	assert_int_equal(lab_runner_judge(&vtd_case, &env, &r, &c, why, sizeof(why)), LAB_VERDICT_SKIP);
	r.outcome = LAB_OUTCOME_ERROR;
	assert_int_equal(lab_runner_judge(&vtd_case, &env, &r, &c, why, sizeof(why)), LAB_VERDICT_ERROR);

	/* reuse: observed 0 alone is not enough */
	r.outcome = LAB_OUTCOME_JUDGE;
	r.reason[0] = '\0';
	r.observed = 0;
	r.reused = 1;
	assert_int_equal(lab_runner_judge(&reuse_case, &env, &r, &c, why, sizeof(why)), LAB_VERDICT_PASS);
	r.reused = 0;
	assert_int_equal(lab_runner_judge(&reuse_case, &env, &r, &c, why, sizeof(why)), LAB_VERDICT_FAIL);
	assert_non_null(strstr(why, "reused"));
	r.reused = -1;
	assert_int_equal(lab_runner_judge(&reuse_case, &env, &r, &c, why, sizeof(why)), LAB_VERDICT_ERROR);
	/* a failing attach is judged on its errno, reuse does not matter */
	r.observed = EPERM;
	assert_int_equal(lab_runner_judge(&reuse_case, &env, &r, &c, why, sizeof(why)), LAB_VERDICT_FAIL);
	assert_string_equal(why, "expected OK, got EPERM");
}

/* the catalogue itself: ids well-formed and unique, every case has contracts and needs */
static void catalogue_sane(void **state)
{
	const struct lab_case *const *all;
	int n, i, j;

	(void)state;
	all = lab_cases_all(&n);
	assert_true(n >= 14);
	for (i = 0; i < n; i++) {
		const char *id = all[i]->id;

		assert_true(strlen(id) <= 96);
		assert_int_equal(strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789_.-"), strlen(id));
		assert_non_null(all[i]->contracts);
		assert_non_null(all[i]->contracts[0].driver);
		assert_non_null(all[i]->needs);
		assert_non_null(all[i]->run);
		for (j = 0; j < i; j++)
			assert_string_not_equal(all[j]->id, id);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(version_compare),
		cmocka_unit_test(pick_by_kernel_and_driver),
		cmocka_unit_test(driver_specific_beats_any),
		cmocka_unit_test(labels),
		cmocka_unit_test(judge),
		cmocka_unit_test(runner_verdicts),
		cmocka_unit_test(catalogue_sane),
	};

	return cmocka_run_group_tests_name("contract", tests, NULL, NULL);
}
