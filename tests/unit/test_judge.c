/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_judge.c - the server judges (issue 15.2): contract rules picked the
 * agent's way, the verdict rules of judge.h one by one, and on real data
 * (the agent's own catalogue, iommulab-agent -l -j, and two real guest
 * logs) ingest accepts the true verdicts, refuses a batch with one verdict
 * changed (nothing stored), a changed contract becomes version 2 (1 kept)
 * and a rejudge changes exactly the verdicts it should, with history.
 */
#include "catalog.h"
#include "helpers.h"
#include "ingest.h"
#include "judge.h"
#include "record.h"
#include "rejudge.h"

#define TWO_RULES "[{\"kernel_min\":\"6.2\",\"kernel_max_excl\":null,\"driver\":\"any\",\"expected_errno\":22}," \
		  "{\"kernel_min\":null,\"kernel_max_excl\":\"6.2\",\"driver\":\"intel-iommu\",\"expected_errno\":95}]"

static void test_pick(void **state)
{
	struct lab_judge_contract c;
	const struct lab_contract *r;
	char why[160], label[LAB_JUDGE_LABEL_MAX];

	(void)state;
	assert_int_equal(lab_judge_contract_parse(TWO_RULES, 3, -1, &c, why, sizeof(why)), 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(lab_judge_pick(&c, "6.1.0-56-amd64", "intel-iommu", &r), 0);
	assert_int_equal(r->expected, 95);
	lab_contract_label(r, label, sizeof(label));
	assert_string_equal(label, "<6.2:intel-iommu");
	assert_int_equal(lab_judge_pick(&c, "6.12.117+deb12-amd64", "intel-iommu", &r), 0);
	assert_int_equal(r->expected, 22);
	lab_contract_label(r, label, sizeof(label));
	assert_string_equal(label, ">=6.2:any");
	/* the agent's rule, its code (include/iommulab_contract.h): the upper
	 * bound is exclusive */
	assert_int_equal(lab_judge_pick(&c, "6.2", "intel-iommu", &r), 0);
	assert_int_equal(r->expected, 22);
	assert_int_equal(lab_judge_pick(&c, "6.1.0-56-amd64", "amd-iommu", &r), -ENOENT);
	assert_int_equal(lab_judge_pick(&c, "debian", "amd-iommu", &r), -EINVAL);
	lab_judge_contract_clear(&c);
	/* what the server cannot judge by is refused at import */
	assert_int_equal(lab_judge_contract_parse("[{\"kernel\":\">=6.2\",\"errno\":22}]", 1, -1, &c,
						  why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "contracts[0]"));
	assert_int_equal(lab_judge_contract_parse("{}", 1, -1, &c, why, sizeof(why)), -EINVAL);
	assert_int_equal(lab_judge_contract_parse("[{\"driver\":\"any\",\"expected_errno\":22,"
						  "\"kernel_min\":\"x\"}]", 1, -1, &c, why,
						  sizeof(why)), -EINVAL);
}

struct rule_case {
	const char *what;
	int observed;
	enum lab_verdict v;
	int has_cv;		/* 1: contract_verdict cv */
	enum lab_verdict cv;
	const char *reason, *verified;
	int reused;
	int want;		/* 0 or -EPROTO */
	enum lab_judged_by by;
	enum lab_verdict base;
};

/* judge.h's rules, against ">=6.2:any expects EINVAL", reuse case (expects reuse) */
static void test_rules(void **state)
{
	static const struct rule_case t[] = {
		{ "pass as computed", 22, LAB_VERDICT_PASS, 0, 0, "", "none", -1, 0,
		  LAB_JUDGED_CONTRACT, LAB_VERDICT_PASS },
		{ "pass claimed for another errno", 0, LAB_VERDICT_PASS, 0, 0, "", "dma", 1, -EPROTO,
		  LAB_JUDGED_CONTRACT, LAB_VERDICT_FAIL },
		{ "fail as computed", 95, LAB_VERDICT_FAIL, 0, 0, "x", "none", -1, 0,
		  LAB_JUDGED_CONTRACT, LAB_VERDICT_FAIL },
		{ "fail claimed for the expected errno", 22, LAB_VERDICT_FAIL, 0, 0, "x", "none", -1,
		  -EPROTO, LAB_JUDGED_CONTRACT, LAB_VERDICT_PASS },
		{ "skip for a capability: the agent's", 0, LAB_VERDICT_SKIP, 0, 0, "needs amd-iommu",
		  "none", -1, 0, LAB_JUDGED_AGENT, LAB_VERDICT_SKIP },
		{ "skip for no contract entry, but the server has one", 22, LAB_VERDICT_SKIP, 0, 0,
		  "no contract entry for this kernel and driver (observed EINVAL)", "none", -1,
		  -EPROTO, LAB_JUDGED_CONTRACT, LAB_VERDICT_PASS },
		{ "error: the agent's", 0, LAB_VERDICT_ERROR, 0, 0, "setup failed", "none", -1, 0,
		  LAB_JUDGED_AGENT, LAB_VERDICT_ERROR },
		{ "crash over a true pass", 22, LAB_VERDICT_CRASH, 1, LAB_VERDICT_PASS, "kernel oops",
		  "none", -1, 0, LAB_JUDGED_CONTRACT, LAB_VERDICT_PASS },
		{ "warn over a false pass", 0, LAB_VERDICT_WARN, 1, LAB_VERDICT_PASS, "kernel warning",
		  "none", 1, -EPROTO, LAB_JUDGED_CONTRACT, LAB_VERDICT_FAIL },
		{ "crash without contract_verdict: the agent's", 0, LAB_VERDICT_CRASH, 0, 0, "oops",
		  "none", -1, 0, LAB_JUDGED_AGENT, LAB_VERDICT_PASS },
	};
	static const struct rule_case reuse[] = {
		{ "reused as expected", 0, LAB_VERDICT_PASS, 0, 0, "", "dma", 1, 0,
		  LAB_JUDGED_CONTRACT, LAB_VERDICT_PASS },
		{ "not reused, claimed pass", 0, LAB_VERDICT_PASS, 0, 0, "", "dma", 0, -EPROTO,
		  LAB_JUDGED_CONTRACT, LAB_VERDICT_FAIL },
		{ "not reused, fail", 0, LAB_VERDICT_FAIL, 0, 0, "not reused", "dma", 0, 0,
		  LAB_JUDGED_CONTRACT, LAB_VERDICT_FAIL },
		{ "attach verification failed: the agent's fail", 0, LAB_VERDICT_FAIL, 0, 0,
		  "driver reported success without attaching", "none", 1, 0, LAB_JUDGED_AGENT,
		  LAB_VERDICT_FAIL },
		{ "verified attach, fail claimed", 0, LAB_VERDICT_FAIL, 0, 0, "", "dma", 1, -EPROTO,
		  LAB_JUDGED_CONTRACT, LAB_VERDICT_PASS },
	};
	struct lab_judge_contract c, cr;
	char why[LAB_INGEST_WHY_MAX];

	(void)state;
	assert_int_equal(lab_judge_contract_parse(TWO_RULES, 2, -1, &c, why, sizeof(why)), 0);
	assert_int_equal(lab_judge_contract_parse("[{\"driver\":\"any\",\"expected_errno\":0}]", 1, 1,
						  &cr, why, sizeof(why)), 0);
	for (int set = 0; set < 2; set++) {
		const struct rule_case *tc = set ? reuse : t;
		size_t n = set ? sizeof(reuse) / sizeof(reuse[0]) : sizeof(t) / sizeof(t[0]);

		for (size_t i = 0; i < n; i++) {
			struct lab_result r = fx_result("kmod.x.y", tc[i].observed, -1, tc[i].v);
			struct lab_judgement jd;
			int got;

			r.has_contract_verdict = tc[i].has_cv;
			r.contract_verdict = tc[i].cv;
			r.reason = (char *)tc[i].reason;
			r.verified = (char *)tc[i].verified;
			r.reused = tc[i].reused;
			got = lab_judge_result(set ? &cr : &c, "6.12.117+deb12-amd64", &r, &jd, why,
					       sizeof(why));
			if (got != tc[i].want || jd.by != tc[i].by ||
			    (tc[i].has_cv || tc[i].v < LAB_VERDICT_CRASH ? jd.base != tc[i].base : 0))
				fail_msg("%s: got %d by %d base %d (%s)", tc[i].what, got, jd.by,
					 jd.base, why);
			if (got)
				assert_non_null(strstr(why, "kmod.x.y repeat 0: claimed"));
		}
	}
	/* the real q35-vtd-sm 6.12 record (F1a): verify.core passed, verify.dma
	 * then failed: the agent's fail stands although verified says core */
	{
		struct lab_result r = fx_result("kmod.attach.group_multi_device", 0, 0, LAB_VERDICT_FAIL);
		struct lab_judge_contract ok;
		struct lab_judgement jd;

		assert_int_equal(lab_judge_contract_parse("[{\"driver\":\"any\",\"expected_errno\":0}]",
							  1, -1, &ok, why, sizeof(why)), 0);

		r.steps_json = "[{\"name\":\"domain_alloc\",\"errno\":0},{\"name\":\"verify.core\","
			       "\"errno\":0},{\"name\":\"verify.dma\",\"errno\":5}]";
		assert_int_equal(lab_judge_result(&ok, "6.12.118+deb12-amd64", &r, &jd, why,
						  sizeof(why)), 0);
		assert_int_equal(jd.by, LAB_JUDGED_AGENT);
		r.steps_json = "[{\"name\":\"verify.dma\",\"errno\":0}]";
		assert_int_equal(lab_judge_result(&ok, "6.12.118+deb12-amd64", &r, &jd, why,
						  sizeof(why)), -EPROTO);
		lab_judge_contract_clear(&ok);
	}
	lab_judge_contract_clear(&c);
	lab_judge_contract_clear(&cr);
}

/* the issue's own example: pass claimed for observed 22, expected 0, no server contract */
static void test_record_basis(void **state)
{
	struct lab_result r = fx_result("kmod.x.y", 22, 0, LAB_VERDICT_PASS);
	struct lab_judgement jd;
	char why[LAB_INGEST_WHY_MAX];

	(void)state;
	assert_int_equal(lab_judge_result(NULL, "6.12.117+deb12-amd64", &r, &jd, why, sizeof(why)),
			 -EPROTO);
	assert_int_equal(jd.by, LAB_JUDGED_RECORD);
	assert_non_null(strstr(why, "claimed pass, the server computes fail"));
	r.expected = 22;
	assert_int_equal(lab_judge_result(NULL, NULL, &r, &jd, why, sizeof(why)), 0);
}

/* ---- real data ------------------------------------------------------------ */

/* the agent's catalogue as the agent prints it, or NULL (agent not built) */
static json_t *agent_catalogue(void)
{
	const char *o = getenv("O");
	char cmd[PATH_MAX + 32];
	json_t *cat;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "'%s/agent/iommulab-agent' -l -j 2>/dev/null",
		 o && *o ? o : "build");
	if (!o || !*o)
		snprintf(cmd, sizeof(cmd), "'%s/build/agent/iommulab-agent' -l -j 2>/dev/null",
			 top_dir());
	p = popen(cmd, "r");
	if (!p)
		return NULL;
	cat = json_loadf(p, 0, NULL);
	pclose(p);
	return cat;
}

static const char *const logs[2] = { "q35-vtd-6.1.log", "q35-vtd-6.12.log" };
static const char *const releases[2] = { "6.1.0-56-amd64", "6.12.117+deb12-amd64" };

static void releases_set(struct fx *f)
{
	for (int k = 0; k < 2; k++) {
		struct lab_kernel kn = { .name = k ? "6.12" : "6.1", .release = (char *)releases[k],
					 .arch = "x86_64" };

		assert_int_equal(lab_store_kernel_put(f->st, &kn), 0);
	}
}

static void scan_log(int k, struct lab_record_scan *sc)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/tests/unit/data/%s", top_dir(), logs[k]);
	assert_int_equal(lab_record_scan_file(path, sc), 0);
	if (sc->status != LAB_SCAN_OK)
		fail_msg("%s: %s", logs[k], sc->error);
}

static int64_t count_sql(struct fx *f, const char *what)
{
	json_t *items = NULL;
	int64_t n;

	if (!strcmp(what, "history")) {
		assert_int_equal(lab_store_verdict_history_list(f->st, NULL, 1000, &items), 0);
		n = (int64_t)json_array_size(items);
		json_decref(items);
		return n;
	}
	return fx_count(f, what);
}

static void test_real_ingest_and_rejudge(void **state)
{
	struct fx *f = *state;
	json_t *cat = agent_catalogue(), *c, *changes, *m;
	struct lab_rejudge_counts rc;
	char why[LAB_INGEST_WHY_MAX], err[256];
	struct lab_ingest_job ij;
	int64_t jobs[2];
	size_t i;
	int n, v, er;
	char *cj;

	if (!cat)
		skip();	/* stage 20 builds the agent first */
	releases_set(f);
	assert_int_equal(lab_store_cases_import_ex(f->st, cat, &n, err, sizeof(err)), 0);
	/* the real logs, judged by the server against the real contracts */
	for (int k = 0; k < 2; k++) {
		struct lab_record_scan sc;
		struct lab_result *mut;
		int64_t before;
		size_t at = SIZE_MAX;

		scan_log(k, &sc);
		jobs[k] = fx_running_job(f, k, 0);
		assert_int_equal(lab_ingest_job_load(f->st, jobs[k], &ij), 0);
		/* the mutation: one verdict changed in a copy of the batch */
		mut = malloc(sc.n * sizeof(*mut));
		memcpy(mut, sc.res, sc.n * sizeof(*mut));
		for (i = 0; i < sc.n && at == SIZE_MAX; i++)
			if (mut[i].verdict == LAB_VERDICT_PASS && mut[i].observed != 0)
				at = i;
		assert_true(at != SIZE_MAX);
		mut[at].verdict = LAB_VERDICT_FAIL;
		before = count_sql(f, "results");
		assert_int_equal(lab_ingest_store(f->st, &ij, mut, sc.n, why, sizeof(why)), -EPROTO);
		assert_non_null(strstr(why, mut[at].case_id));
		assert_non_null(strstr(why, "claimed fail, the server computes pass"));
		assert_int_equal(count_sql(f, "results"), before);
		free(mut);
		if (lab_ingest_store(f->st, &ij, sc.res, sc.n, why, sizeof(why)))
			fail_msg("%s refused: %s", logs[k], why);
		assert_int_equal(count_sql(f, "results"), before + (int64_t)sc.n);
		assert_int_equal(lab_store_job_transition(f->st, jobs[k], LAB_JOB_RUNNING,
							  LAB_JOB_COMPLETE, NULL), 0);
		lab_record_scan_clear(&sc);
	}
	/* nothing to rejudge: every result was judged against version 1 */
	assert_int_equal(lab_rejudge_run(f->st, NULL, &rc, NULL), 0);
	assert_int_equal(rc.looked, 0);
	/* the same catalogue again: no new version */
	assert_int_equal(lab_store_cases_import_ex(f->st, cat, &n, err, sizeof(err)), 0);
	assert_int_equal(lab_store_contract_latest(f->st, "kmod.attach.no_group", &v, &cj, &er), 0);
	assert_int_equal(v, 1);
	free(cj);
	/* a contract change: no_group now "expects" EINVAL instead of ENODEV */
	json_array_foreach(json_object_get(cat, "cases"), i, c) {
		if (strcmp(json_string_value(json_object_get(c, "id")), "kmod.attach.no_group"))
			continue;
		json_object_set_new(json_array_get(json_object_get(c, "contracts"), 0),
				    "expected_errno", json_integer(22));
	}
	assert_int_equal(lab_store_cases_import_ex(f->st, cat, &n, err, sizeof(err)), 0);
	assert_int_equal(lab_store_contract_latest(f->st, "kmod.attach.no_group", &v, &cj, &er), 0);
	assert_int_equal(v, 2);
	assert_non_null(strstr(cj, "\"expected_errno\":22"));
	free(cj);
	assert_int_equal(lab_rejudge_run(f->st, NULL, &rc, &changes), 0);
	assert_int_equal(rc.looked, 2);		/* no_group on 6.1 and on 6.12 */
	assert_int_equal(rc.changed, 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(changes, 0),
							      "old_verdict")), "pass");
	assert_string_equal(json_string_value(json_object_get(json_array_get(changes, 0),
							      "verdict")), "fail");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(changes, 0),
							    "contract_version")), 2);
	json_decref(changes);
	assert_int_equal(count_sql(f, "history"), 2);
	assert_int_equal(lab_store_matrix(f->st, f->kernel[1], &m), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(m, "summary"), "fail")), 1);
	json_decref(m);
	/* once applied, a second rejudge has nothing to do */
	assert_int_equal(lab_rejudge_run(f->st, NULL, &rc, NULL), 0);
	assert_int_equal(rc.looked, 0);
	assert_int_equal(count_sql(f, "history"), 2);
	json_decref(cat);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pick),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_record_basis),
		cmocka_unit_test_setup_teardown(test_real_ingest_and_rejudge, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests_name("judge", tests, NULL, NULL);
}
