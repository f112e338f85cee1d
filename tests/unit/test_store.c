/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_store.c - the store on a real SQLite file: migrations (fresh, old,
 * newer-than-code, broken), the job state machine (every legal and illegal
 * move, compare-and-set races between connections and threads), ingest
 * atomicity, recovery after a restart, plans, lists.
 */
#include <pthread.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "helpers.h"
#include "record_json.h"
#include "plan.h"
#include "views.h"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void copy_file(const char *from, const char *to)
{
	char cmd[3 * PATH_MAX];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	assert_int_equal(system(cmd), 0);
}

static void test_migrate_fresh(void **state)
{
	struct fx *f = *state;
	char dir[PATH_MAX];
	int n = 0;

	/* the fixture opened a fresh DB: at the newest version of schema/ */
	snprintf(dir, sizeof(dir), "%s", f->schema);
	for (int v = 1; v < 100; v++) {
		char p[PATH_MAX + 32];
		char glob_cmd[PATH_MAX + 64];

		snprintf(glob_cmd, sizeof(glob_cmd), "ls '%s'/%04d-*.sql >/dev/null 2>&1", dir, v);
		(void)p;
		if (system(glob_cmd) != 0)
			break;
		n = v;
	}
	assert_true(n >= 1);
	assert_int_equal(lab_store_schema_version(f->st), n);
	/* reopening an up-to-date DB applies nothing and keeps data */
	{
		struct lab_store *st2;
		struct lab_kernel k;

		assert_int_equal(lab_store_open(f->db, f->schema, &st2), 0);
		assert_int_equal(lab_store_schema_version(st2), n);
		assert_int_equal(lab_store_kernel_get(st2, "6.12", &k), 0);
		assert_string_equal(k.name, "6.12");
		lab_kernel_clear(&k);
		lab_store_close(st2);
	}
}

static void test_migrate_old(void **state)
{
	struct fx *f = *state;
	char sch[PATH_MAX], p[PATH_MAX + 64], db[PATH_MAX + 16];
	struct lab_store *st;
	struct lab_kernel k;
	sqlite3 *raw;
	sqlite3_stmt *s;

	/* an "old" DB: only 0001 applied, with data in it */
	snprintf(sch, sizeof(sch), "%s/schema-old", f->dir);
	assert_int_equal(mkdir(sch, 0755), 0);
	snprintf(p, sizeof(p), "%s/0001-init.sql", f->schema);
	snprintf(db, sizeof(db), "%s/0001-init.sql", sch);
	copy_file(p, db);
	snprintf(db, sizeof(db), "%s/old.db", f->dir);
	assert_int_equal(lab_store_open(db, sch, &st), 0);
	assert_int_equal(lab_store_schema_version(st), 1);
	{
		struct lab_kernel nk = { .name = "old-kernel", .arch = "x86_64" };

		assert_int_equal(lab_store_kernel_put(st, &nk), 0);
	}
	lab_store_close(st);

	/* the code gains a migration: reopening applies exactly that one */
	snprintf(p, sizeof(p), "%s/0002-test.sql", sch);
	write_file(p, "CREATE TABLE test_added (x INTEGER);\n"
		      "INSERT INTO test_added VALUES (42);\n");
	assert_int_equal(lab_store_open(db, sch, &st), 0);
	assert_int_equal(lab_store_schema_version(st), 2);
	assert_int_equal(lab_store_kernel_get(st, "old-kernel", &k), 0);
	lab_kernel_clear(&k);
	lab_store_close(st);
	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT x FROM test_added", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 42);
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);	/* applied once */
	sqlite3_finalize(s);
	sqlite3_close(raw);

	/* a broken migration rolls back completely: version and tables unchanged */
	snprintf(p, sizeof(p), "%s/0003-broken.sql", sch);
	write_file(p, "CREATE TABLE half_done (x INTEGER);\nTHIS IS NOT SQL;\n");
	assert_int_not_equal(lab_store_open(db, sch, &st), 0);
	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 2);
	sqlite3_finalize(s);
	assert_int_not_equal(sqlite3_prepare_v2(raw, "SELECT * FROM half_done", -1, &s, NULL),
			     SQLITE_OK);
	sqlite3_close(raw);
	unlink(p);

	/* a gap in the numbering is refused */
	snprintf(p, sizeof(p), "%s/0005-gap.sql", sch);
	write_file(p, "SELECT 1;\n");
	assert_int_equal(lab_store_open(db, sch, &st), -EINVAL);
	unlink(p);

	/* a database newer than the code is refused, not downgraded */
	snprintf(p, sizeof(p), "%s/0002-test.sql", sch);
	unlink(p);
	assert_int_equal(lab_store_open(db, sch, &st), -EPROTO);
}

static const bool legal[6][6] = {
	/* to:          Q  S  R  C  I  X */
	[LAB_JOB_QUEUED]     = { 0, 1, 0, 0, 0, 1 },
	[LAB_JOB_SCHEDULED]  = { 1, 0, 1, 0, 0, 1 },
	[LAB_JOB_RUNNING]    = { 0, 0, 0, 1, 1, 1 },
	[LAB_JOB_COMPLETE]   = { 0, 0, 0, 0, 0, 0 },
	[LAB_JOB_INCOMPLETE] = { 1, 0, 0, 0, 0, 0 },
	[LAB_JOB_CANCELED]   = { 0, 0, 0, 0, 0, 0 },
};

/* bring a fresh job to @s along legal moves */
static int64_t job_in(struct fx *f, enum lab_job_state s)
{
	int64_t id = fx_job(f, 0, 0);

	switch (s) {
	case LAB_JOB_QUEUED:
		break;
	case LAB_JOB_SCHEDULED:
		assert_int_equal(lab_store_job_transition(f->st, id, 0, 1, NULL), 0);
		break;
	case LAB_JOB_RUNNING:
	case LAB_JOB_COMPLETE:
	case LAB_JOB_INCOMPLETE:
		assert_int_equal(lab_store_job_transition(f->st, id, 0, 1, NULL), 0);
		assert_int_equal(lab_store_job_transition(f->st, id, 1, 2, NULL), 0);
		if (s != LAB_JOB_RUNNING)
			assert_int_equal(lab_store_job_transition(f->st, id, 2, s, "x"), 0);
		break;
	case LAB_JOB_CANCELED:
		assert_int_equal(lab_store_job_transition(f->st, id, 0, 5, "x"), 0);
		break;
	}
	return id;
}

/* the job JSON's has_log */
static bool job_has_log(struct fx *f, int64_t id)
{
	json_t *j = NULL;
	bool v;

	assert_int_equal(lab_store_job_json(f->st, id, &j), 0);
	assert_true(json_is_boolean(json_object_get(j, "has_log")));
	v = json_is_true(json_object_get(j, "has_log"));
	json_decref(j);
	return v;
}

/*
 * has_log says "this job has a console log to fetch": false until a backend
 * names the log (the boot started), whatever else it stored (its process
 * group, its LAVA id); a new attempt starts without one, the last attempt's
 * stays while the job waits for its retry.
 */
static void test_has_log(void **state)
{
	struct fx *f = *state;
	int64_t id = job_in(f, LAB_JOB_RUNNING);

	assert_false(job_has_log(f, id));
	assert_int_equal(lab_store_job_set_backend(f->st, id, "pgid:42", NULL), 0);
	assert_false(job_has_log(f, id));	/* preparing: no console yet */
	assert_int_equal(lab_store_job_set_backend(f->st, id, "pgid:43", "/x/logs/1.log"), 0);
	assert_true(job_has_log(f, id));	/* booted */
	assert_int_equal(lab_store_job_set_backend(f->st, id, "pgid:44", NULL), 0);
	assert_true(job_has_log(f, id));	/* kept by later updates */
	assert_int_equal(lab_store_job_transition(f->st, id, 2, 4, "timeout"), 0);
	assert_true(job_has_log(f, id));
	assert_int_equal(lab_store_job_retry(f->st, id, "retry"), 0);
	assert_true(job_has_log(f, id));	/* queued again: the last attempt's log */
	assert_int_equal(lab_store_job_transition(f->st, id, 0, 1, NULL), 0);
	assert_int_equal(lab_store_job_transition(f->st, id, 1, 2, NULL), 0);
	assert_false(job_has_log(f, id));	/* a new attempt: not booted yet */
}

static void test_transitions(void **state)
{
	struct fx *f = *state;

	for (int from = 0; from < 6; from++) {
		for (int to = 0; to < 6; to++) {
			int64_t id = job_in(f, from);
			struct lab_job j;
			int r = lab_store_job_transition(f->st, id, from, to, "why");

			assert_int_equal(lab_store_job_get(f->st, id, &j), 0);
			if (legal[from][to]) {
				if (r)
					fail_msg("%s -> %s refused (%d)", lab_job_state_name(from),
						 lab_job_state_name(to), r);
				assert_int_equal(j.state, to);
			} else {
				if (r != -EINVAL)
					fail_msg("%s -> %s gave %d, want -EINVAL",
						 lab_job_state_name(from), lab_job_state_name(to), r);
				assert_int_equal(j.state, from);
			}
			lab_job_clear(&j);
		}
	}
	/* bookkeeping: running counts an attempt and sets started_at */
	{
		int64_t id = job_in(f, LAB_JOB_COMPLETE);
		struct lab_job j;

		assert_int_equal(lab_store_job_get(f->st, id, &j), 0);
		assert_int_equal(j.attempts, 1);
		assert_true(j.started_at > 0 && j.finished_at >= j.started_at);
		lab_job_clear(&j);
	}
	/* wrong "from" (stale view) -> -EAGAIN; unknown job -> -ENOENT */
	{
		int64_t id = job_in(f, LAB_JOB_SCHEDULED);

		assert_int_equal(lab_store_job_transition(f->st, id, LAB_JOB_QUEUED,
							  LAB_JOB_SCHEDULED, NULL), -EAGAIN);
		assert_int_equal(lab_store_job_transition(f->st, 999999, LAB_JOB_QUEUED,
							  LAB_JOB_SCHEDULED, NULL), -ENOENT);
		assert_int_equal(lab_store_job_transition(f->st, id, 7, 1, NULL), -EINVAL);
	}
	/* retry: only incomplete -> queued, and it grants one more attempt */
	{
		int64_t id = job_in(f, LAB_JOB_INCOMPLETE);
		int64_t done = job_in(f, LAB_JOB_COMPLETE);
		struct lab_job j;

		assert_int_equal(lab_store_job_retry(f->st, done, "r"), -EINVAL);
		assert_int_equal(lab_store_job_retry(f->st, id, "r"), 0);
		assert_int_equal(lab_store_job_get(f->st, id, &j), 0);
		assert_int_equal(j.state, LAB_JOB_QUEUED);
		assert_true(j.max_attempts > j.attempts);
		lab_job_clear(&j);
	}
}

struct race {
	const char *db, *schema;
	int64_t job;
	pthread_barrier_t *bar;
	int result;
};

static void *racer(void *arg)
{
	struct race *r = arg;
	struct lab_store *st;

	if (lab_store_open(r->db, r->schema, &st)) {
		r->result = -999;
		pthread_barrier_wait(r->bar);
		return NULL;
	}
	pthread_barrier_wait(r->bar);
	r->result = lab_store_job_transition(st, r->job, LAB_JOB_QUEUED,
					     LAB_JOB_SCHEDULED, NULL);
	lab_store_close(st);
	return NULL;
}

static void test_cas_race(void **state)
{
	struct fx *f = *state;
	enum { N = 8, ROUNDS = 10 };

	for (int round = 0; round < ROUNDS; round++) {
		pthread_t th[N];
		struct race rc[N];
		pthread_barrier_t bar;
		int wins = 0, lost = 0;
		int64_t id = fx_job(f, 0, 0);

		pthread_barrier_init(&bar, NULL, N);
		for (int i = 0; i < N; i++) {
			rc[i] = (struct race){ .db = f->db, .schema = f->schema, .job = id,
					       .bar = &bar };
			assert_int_equal(pthread_create(&th[i], NULL, racer, &rc[i]), 0);
		}
		for (int i = 0; i < N; i++) {
			pthread_join(th[i], NULL);
			if (rc[i].result == 0)
				wins++;
			else if (rc[i].result == -EAGAIN)
				lost++;
			else
				fail_msg("racer %d: unexpected %d", i, rc[i].result);
		}
		pthread_barrier_destroy(&bar);
		assert_int_equal(wins, 1);
		assert_int_equal(lost, N - 1);
	}
}

/*
 * A record the agent printed on Debian 6.12 / q35-virtio (issue 14): the
 * kernel oopsed in kmod.map.before_attach. Decoded and ingested, the crash
 * verdict and its kernel keys are stored; contract_verdict outside
 * pass..error and half a taint pair are refused.
 */
#define CRASH_REC "{\"v\":1,\"id\":\"kmod.map.before_attach\",\"target\":\"q35-virtio\"," \
	"\"kernel\":\"6.12.118+deb12-amd64\",\"arch\":\"x86_64\",\"driver\":\"virtio-iommu\"," \
	"\"iommu\":\"0000:00:01.0\",\"device\":\"0000:00:03.0\",\"steps\":[{\"name\":\"domain_alloc\"," \
	"\"errno\":0,\"err\":\"OK\"}],\"observed\":0,\"observed_name\":\"OK\",\"expected\":null," \
	"\"expected_name\":null,\"contract\":\"none\",\"verdict\":\"crash\",\"reason\":\"kernel oops: " \
	"BUG: kernel NULL pointer dereference, address: 0000000000000068; case crashed after step " \
	"domain_alloc: SIGKILL (9)\",\"reused\":null,\"verified\":\"none\",\"duration_us\":17890," \
	"\"repeat\":0,\"taint_before\":12288,\"taint_after\":12416,\"kernel_kind\":\"oops\"," \
	"\"kernel_reports\":1,\"kernel_excerpt\":\"BUG: kernel NULL pointer dereference, address: " \
	"0000000000000068\\n viommu_sync_req+0x1a/0x60 [virtio_iommu]\\n---[ end trace " \
	"0000000000000000 ]---\",\"kernel_excerpt_lines\":48,\"contract_verdict\":\"error\"}"

static void test_ingest_kernel_report(void **state)
{
	struct fx *f = *state;
	int64_t id = fx_running_job(f, 0, 0);
	struct lab_result r, bad;
	char err[512] = "", *s;
	sqlite3_stmt *q;
	sqlite3 *raw;

	assert_int_equal(lab_record_decode(CRASH_REC, strlen(CRASH_REC), &r, NULL, err, sizeof(err)), 0);
	assert_int_equal(r.verdict, LAB_VERDICT_CRASH);
	assert_string_equal(r.kernel_kind, "oops");
	assert_true(r.has_contract_verdict);
	assert_int_equal(r.contract_verdict, LAB_VERDICT_ERROR);
	assert_true(r.has_taint);
	assert_int_equal(r.taint_after, 12416);
	assert_int_equal(lab_store_results_ingest(f->st, id, &r, 1), 0);
	lab_result_clear(&r);
	assert_int_equal(sqlite3_open(f->db, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT verdict, kernel_kind, kernel_excerpt, "
					    "contract_verdict, taint_before, taint_after FROM results",
					    -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(q, 0), LAB_VERDICT_CRASH);
	assert_string_equal((const char *)sqlite3_column_text(q, 1), "oops");
	assert_non_null(strstr((const char *)sqlite3_column_text(q, 2), "viommu_sync_req"));
	assert_int_equal(sqlite3_column_int(q, 3), LAB_VERDICT_ERROR);
	assert_int_equal(sqlite3_column_int64(q, 4), 12288);
	assert_int_equal(sqlite3_column_int64(q, 5), 12416);
	sqlite3_finalize(q);
	sqlite3_close(raw);

	s = strdup(CRASH_REC);
	memcpy(strstr(s, "\"contract_verdict\":\"error\"") + 20, "crash", 5);
	assert_int_not_equal(lab_record_decode(s, strlen(s), &bad, NULL, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "contract_verdict"));
	free(s);
	s = strdup(CRASH_REC);
	memcpy(strstr(s, "\"taint_after\""), "\"taint_aftex\"", 13);
	assert_int_not_equal(lab_record_decode(s, strlen(s), &bad, NULL, err, sizeof(err)), 0);
	assert_non_null(strstr(err, "come together"));
	free(s);
	/* a verdict name the enum does not have is still refused */
	s = strdup(CRASH_REC);
	memcpy(strstr(s, "\"verdict\":\"crash\"") + 11, "crush", 5);
	assert_int_not_equal(lab_record_decode(s, strlen(s), &bad, NULL, err, sizeof(err)), 0);
	free(s);
}

static void test_ingest_atomic(void **state)
{
	struct fx *f = *state;
	int64_t id = fx_running_job(f, 0, 0);
	struct lab_result ok[3] = {
		fx_result("kmod.attach.a", 22, 22, LAB_VERDICT_PASS),
		fx_result("kmod.attach.b", 0, 0, LAB_VERDICT_PASS),
		fx_result("kmod.attach.c", 95, 22, LAB_VERDICT_FAIL),
	};
	struct lab_result bad[3];
	struct lab_result dup[3];

	/* invalid value in the last record: nothing of the batch is stored */
	memcpy(bad, ok, sizeof(ok));
	bad[2].observed = 5000;
	assert_int_equal(lab_store_results_ingest(f->st, id, bad, 3), -EINVAL);
	assert_int_equal(fx_count(f, "results"), 0);
	bad[2] = ok[2];
	bad[2].case_id = "Bad Id!";
	assert_int_equal(lab_store_results_ingest(f->st, id, bad, 3), -EINVAL);
	assert_int_equal(fx_count(f, "results"), 0);

	/* a constraint the database finds at the 3rd insert: rolled back */
	memcpy(dup, ok, sizeof(ok));
	dup[2].case_id = "kmod.attach.a";
	assert_int_equal(lab_store_results_ingest(f->st, id, dup, 3), -EEXIST);
	assert_int_equal(fx_count(f, "results"), 0);

	/* the good batch goes in whole */
	assert_int_equal(lab_store_results_ingest(f->st, id, ok, 3), 0);
	assert_int_equal(fx_count(f, "results"), 3);
	/* twice is a conflict, and changes nothing */
	assert_int_equal(lab_store_results_ingest(f->st, id, ok, 3), -EEXIST);
	assert_int_equal(fx_count(f, "results"), 3);
	/* unknown job, or a job that is not running */
	assert_int_equal(lab_store_results_ingest(f->st, 424242, ok, 1), -ENOENT);
	{
		int64_t q = fx_job(f, 0, 0);

		assert_int_equal(lab_store_results_ingest(f->st, q, ok, 1), -EALREADY);
		assert_int_equal(lab_store_job_transition(f->st, id, LAB_JOB_RUNNING,
							  LAB_JOB_COMPLETE, NULL), 0);
		assert_int_equal(lab_store_results_ingest(f->st, id, &ok[0], 1), -EALREADY);
	}
	assert_int_equal(fx_count(f, "results"), 3);
}

static void test_recover(void **state)
{
	struct fx *f = *state;
	int64_t q = fx_job(f, 0, 0), s = job_in(f, LAB_JOB_SCHEDULED);
	int64_t r1 = job_in(f, LAB_JOB_RUNNING), c = job_in(f, LAB_JOB_COMPLETE);
	int64_t r2 = fx_job(f, 0, 1);
	struct lab_job j;
	int n = 0;

	/* r2 has used its last attempt */
	{
		struct lab_store *st = f->st;

		(void)st;
		assert_int_equal(lab_store_job_transition(f->st, r2, 0, 1, NULL), 0);
		assert_int_equal(lab_store_job_transition(f->st, r2, 1, 2, NULL), 0);
		assert_int_equal(lab_store_job_transition(f->st, r2, 2, 4, "infra"), 0);
		assert_int_equal(lab_store_job_retry(f->st, r2, "again"), 0);
		assert_int_equal(lab_store_job_transition(f->st, r2, 0, 1, NULL), 0);
		assert_int_equal(lab_store_job_transition(f->st, r2, 1, 2, NULL), 0);
		assert_int_equal(lab_store_job_transition(f->st, r2, 2, 4, "infra"), 0);
		assert_int_equal(lab_store_job_retry(f->st, r2, "again"), 0);
		assert_int_equal(lab_store_job_transition(f->st, r2, 0, 1, NULL), 0);
		assert_int_equal(lab_store_job_transition(f->st, r2, 1, 2, NULL), 0);
		assert_int_equal(lab_store_job_get(f->st, r2, &j), 0);
		assert_int_equal(j.attempts, 3);
		assert_int_equal(j.max_attempts, 3);
		lab_job_clear(&j);
	}
	assert_int_equal(lab_store_jobs_recover(f->st, &n), 0);
	assert_int_equal(n, 3);
	const struct { int64_t id; enum lab_job_state want; } exp[] = {
		{ q, LAB_JOB_QUEUED }, { s, LAB_JOB_QUEUED }, { r1, LAB_JOB_QUEUED },
		{ c, LAB_JOB_COMPLETE }, { r2, LAB_JOB_INCOMPLETE },
	};
	for (size_t i = 0; i < sizeof(exp) / sizeof(exp[0]); i++) {
		assert_int_equal(lab_store_job_get(f->st, exp[i].id, &j), 0);
		if (j.state != exp[i].want)
			fail_msg("job %zu: %s, want %s", i, lab_job_state_name(j.state),
				 lab_job_state_name(exp[i].want));
		if (exp[i].id == r1 || exp[i].id == r2)
			assert_non_null(strstr(j.reason, "restarted"));
		lab_job_clear(&j);
	}
}

static void test_plans_and_next(void **state)
{
	struct fx *f = *state;
	char err[256] = "";
	int64_t pid = 0;
	int n = 0;
	json_t *p;
	struct lab_job j;

	p = json_pack("{s:s, s:[s,s], s:[s], s:i}", "kind", "manual", "kernels", "6.1",
		      "6.12", "targets", "q35-vtd", "priority", 5);
	assert_int_equal(lab_store_plan_create_ex(f->st, p, "tester", &pid, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	json_decref(p);
	/* unknown kernel: error names it, nothing is created */
	p = json_pack("{s:s, s:[s,s]}", "kind", "nightly", "kernels", "6.1", "nope");
	assert_int_equal(lab_store_plan_create_ex(f->st, p, NULL, &pid, &n, err, sizeof(err)),
			 -ENOENT);
	assert_non_null(strstr(err, "nope"));
	json_decref(p);
	p = json_pack("{s:s, s:[s]}", "kind", "weekly", "kernels", "6.1");
	assert_int_equal(lab_store_plan_create_ex(f->st, p, NULL, &pid, &n, err, sizeof(err)),
			 -EINVAL);
	json_decref(p);
	assert_int_equal(fx_count(f, "jobs"), 2);
	/* all targets: 2 kernels x 2 targets */
	p = json_pack("{s:s, s:[s,s]}", "kind", "nightly", "kernels", "6.1", "6.12");
	assert_int_equal(lab_store_plan_create_ex(f->st, p, NULL, &pid, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 4);
	json_decref(p);
	/* targets by match expression: "*" = both; a name wins over an expression */
	p = json_pack("{s:s, s:[s], s:[s,s]}", "kind", "manual", "kernels", "6.1",
		      "targets", "*", "q35-vtd");
	assert_int_equal(lab_store_plan_create_ex(f->st, p, NULL, &pid, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 2);
	json_decref(p);
	p = json_pack("{s:s, s:[s], s:[s]}", "kind", "manual", "kernels", "6.1",
		      "targets", "name=virt-*");
	assert_int_equal(lab_store_plan_create_ex(f->st, p, NULL, &pid, &n, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	json_decref(p);
	p = json_pack("{s:s, s:[s], s:[s]}", "kind", "manual", "kernels", "6.1",
		      "targets", "driver=amd-*");
	assert_int_equal(lab_store_plan_create_ex(f->st, p, NULL, &pid, &n, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "matches no"));
	json_decref(p);
	assert_int_equal(fx_count(f, "jobs"), 9);
	/* next job: highest priority first; a busy target is skipped */
	assert_int_equal(lab_store_job_next(f->st, &j), 0);
	assert_int_equal(j.priority, 5);
	assert_int_equal(j.target_id, f->target[0]);
	assert_int_equal(lab_store_job_transition(f->st, j.id, 0, 1, NULL), 0);
	lab_job_clear(&j);
	assert_int_equal(lab_store_job_next(f->st, &j), 0);
	assert_int_equal(j.target_id, f->target[1]);	/* q35-vtd is full */
	lab_job_clear(&j);
}

static void test_errno_mapping(void **state)
{
	struct fx *f = *state;
	struct lab_kernel k = { .name = "ro", .arch = "x86_64" };
	struct lab_store *st;
	char big[2048];
	int r = 0;

	assert_int_equal(lab_store_pragma(f->st, "journal_mode; DROP TABLE jobs", 1), -EINVAL);
	/* a read-only connection: writes are -EROFS, nothing changes */
	assert_int_equal(lab_store_open(f->db, f->schema, &st), 0);
	assert_int_equal(lab_store_pragma(st, "query_only", 1), 0);
	assert_int_equal(lab_store_kernel_put(st, &k), -EROFS);
	lab_store_close(st);
	assert_int_equal(lab_store_kernel_get(f->st, "ro", &k), -ENOENT);
	/* a full database: -ENOSPC, and the batch that hit it is rolled back */
	assert_int_equal(lab_store_pragma(f->st, "max_page_count", 40), 0);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	for (int i = 0; i < 1000 && !r; i++) {
		int64_t id = fx_running_job(f, 0, 0);
		struct lab_result res[4];

		for (int j = 0; j < 4; j++) {
			res[j] = fx_result("kmod.full.case", 0, 0, LAB_VERDICT_PASS);
			res[j].reason = big;
			res[j].repeat = j;
		}
		r = lab_store_results_ingest(f->st, id, res, 4);
		if (r == -ENOSPC) {
			struct lab_result_filter rf = { .verdict = -1, .job_id = id, .limit = 10 };
			json_t *items;

			assert_int_equal(lab_store_results_query(f->st, &rf, &items), 0);
			assert_int_equal(json_array_size(items), 0);
			json_decref(items);
		}
	}
	assert_int_equal(r, -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_migrate_fresh, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_migrate_old, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_transitions, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_cas_race, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ingest_atomic, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_ingest_kernel_report, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_recover, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_plans_and_next, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_errno_mapping, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_has_log, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
