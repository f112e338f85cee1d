/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_jobs_cache.c - a cached GET /jobs page is never stale (issue 8).
 *
 * api.c's h_jobs_list() reads lab_store_generation() on the HTTP worker's
 * store connection before any query, looks the page up in the response
 * cache under that generation, and on a miss builds it and stores it there.
 * page() below follows exactly that protocol on a real SQLite file. Every
 * job transition is then made the way the server makes it: by the
 * scheduler thread on its own connection (queued -> scheduled -> running,
 * backend id, running -> incomplete, retry, restart recovery), by an HTTP
 * worker on the web connection (cancel, results ingest + complete), and
 * the very next page must show the new state; also a write by another
 * process (a forked child with its own SQLite connection: the WAL-index
 * header path of lab_store_generation). Each change is followed by two
 * pages: a rebuilt one, then a cache hit, so the test cannot pass
 * vacuously with an unused cache.
 */
#include <fcntl.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"
#include "respcache.h"
#include "views.h"

struct two {
	struct fx *f;
	struct lab_store *sched;	/* the scheduler thread's connection */
	struct lab_store *web;		/* an HTTP worker's pooled connection */
};

static const char KEY[] = "test-jobs\0limit=50";

/* the handler's protocol: generation first, then cache, then the query */
static char *page(struct two *t, bool *hit)
{
	struct lab_job_filter jf = { .state = -1, .limit = 50 };
	uint64_t gen = lab_store_generation(t->web);
	json_t *items, *doc;
	char *body;
	size_t len;

	if (lab_respcache_get(KEY, sizeof(KEY), gen, &body, &len) == 0) {
		*hit = true;
		return body;
	}
	*hit = false;
	assert_int_equal(lab_store_jobs_list(t->web, &jf, &items), 0);
	doc = json_pack("{s:o}", "items", items);
	assert_non_null(doc);
	body = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	assert_non_null(body);
	assert_int_equal(lab_respcache_put(KEY, sizeof(KEY), gen, body, strlen(body)), 0);
	return body;
}

/* the state and reason of job @id in a page */
static const char *state_in(const char *body, int64_t id, char *reason, size_t n)
{
	static char st[32];
	json_error_t e;
	json_t *doc = json_loads(body, 0, &e), *it;
	size_t i;

	assert_non_null(doc);
	st[0] = 0;
	reason[0] = 0;
	json_array_foreach(json_object_get(doc, "items"), i, it) {
		if (json_integer_value(json_object_get(it, "id")) != id)
			continue;
		snprintf(st, sizeof(st), "%s",
			 json_string_value(json_object_get(it, "state")) ?: "?");
		snprintf(reason, n, "%s",
			 json_string_value(json_object_get(it, "reason")) ?: "");
	}
	json_decref(doc);
	return st;
}

/* a page right after a change: a miss, and it shows @want for job @id */
static void expect_now(struct two *t, int64_t id, const char *want, const char *why)
{
	char reason[256];
	bool hit;
	char *b = page(t, &hit);

	if (hit || strcmp(state_in(b, id, reason, sizeof(reason)), want) != 0)
		fail_msg("after %s: job %lld is '%s' (want '%s'), page was %s",
			 why, (long long)id, state_in(b, id, reason, sizeof(reason)),
			 want, hit ? "a cache hit" : "rebuilt");
	free(b);
	/* nothing changed since: the same bytes, from the cache */
	b = page(t, &hit);
	assert_true(hit);
	assert_string_equal(state_in(b, id, reason, sizeof(reason)), want);
	free(b);
}

/* fill the cache, then check the cached page shows job @id as @want */
static void warm(struct two *t, int64_t id, const char *want)
{
	char reason[256], *b;
	bool hit;

	free(page(t, &hit));
	b = page(t, &hit);
	assert_true(hit);
	assert_string_equal(state_in(b, id, reason, sizeof(reason)), want);
	free(b);
}

static int two_setup(void **state)
{
	struct two *t = calloc(1, sizeof(*t));
	void *fs;

	if (!t || fx_setup(&fs))
		return -1;
	t->f = fs;
	if (lab_store_open(t->f->db, t->f->schema, &t->sched) ||
	    lab_store_open(t->f->db, t->f->schema, &t->web))
		return -1;
	lab_respcache_clear();
	*state = t;
	return 0;
}

static int two_teardown(void **state)
{
	struct two *t = *state;
	void *fs = t->f;

	lab_respcache_clear();
	lab_store_close(t->web);
	lab_store_close(t->sched);
	fx_teardown(&fs);
	free(t);
	return 0;
}

static void test_scheduler_transitions(void **state)
{
	struct two *t = *state;
	struct lab_job j = { .kernel_id = t->f->kernel[0], .target_id = t->f->target[0],
			     .backend = "qemu", .max_attempts = 3 };
	char reason[256];
	bool hit;
	char *b;
	int rec;

	/* warm the cache: an empty list, then a hit */
	free(page(t, &hit));
	assert_false(hit);
	free(page(t, &hit));
	assert_true(hit);
	/* a plan's job is created (another connection: the API's POST /plans) */
	assert_int_equal(lab_store_job_create(t->sched, &j), 0);
	expect_now(t, j.id, "queued", "job create");
	assert_int_equal(lab_store_job_transition(t->sched, j.id, LAB_JOB_QUEUED,
						  LAB_JOB_SCHEDULED, NULL), 0);
	expect_now(t, j.id, "scheduled", "scheduler: queued -> scheduled");
	assert_int_equal(lab_store_job_transition(t->sched, j.id, LAB_JOB_SCHEDULED,
						  LAB_JOB_RUNNING, NULL), 0);
	expect_now(t, j.id, "running", "scheduler: scheduled -> running");
	/* the backend names its job: a column of the page */
	assert_int_equal(lab_store_job_set_backend(t->sched, j.id, "qemu-4242", NULL), 0);
	b = page(t, &hit);
	assert_false(hit);
	assert_non_null(strstr(b, "qemu-4242"));
	free(b);
	assert_int_equal(lab_store_job_transition(t->sched, j.id, LAB_JOB_RUNNING,
						  LAB_JOB_INCOMPLETE, "guest hung"), 0);
	expect_now(t, j.id, "incomplete", "scheduler: running -> incomplete");
	b = page(t, &hit);
	assert_string_equal(state_in(b, j.id, reason, sizeof(reason)), "incomplete");
	assert_string_equal(reason, "guest hung");
	free(b);
	assert_int_equal(lab_store_job_retry(t->sched, j.id, "retry by test"), 0);
	expect_now(t, j.id, "queued", "retry");
	/* a restart while it ran: recovery requeues it */
	assert_int_equal(lab_store_job_transition(t->sched, j.id, LAB_JOB_QUEUED,
						  LAB_JOB_SCHEDULED, NULL), 0);
	expect_now(t, j.id, "scheduled", "scheduler: queued -> scheduled (2)");
	assert_int_equal(lab_store_jobs_recover(t->sched, &rec), 0);
	assert_int_equal(rec, 1);
	expect_now(t, j.id, "queued", "restart recovery");
}

static void test_web_transitions(void **state)
{
	struct two *t = *state;
	struct lab_result r[] = { fx_result("kmod.c.one", 22, 22, LAB_VERDICT_PASS) };
	int64_t a = fx_running_job(t->f, 0, 0), c = fx_job(t->f, 1, 1);

	warm(t, a, "running");
	/* POST /results on the web connection itself: ingest, then complete */
	assert_int_equal(lab_store_results_ingest(t->web, a, r, 1), 0);
	assert_int_equal(lab_store_job_transition(t->web, a, LAB_JOB_RUNNING,
						  LAB_JOB_COMPLETE, NULL), 0);
	expect_now(t, a, "complete", "results ingest + complete (same connection)");
	/* POST /jobs/{id}/cancel on the web connection */
	assert_int_equal(lab_store_job_transition(t->web, c, LAB_JOB_QUEUED,
						  LAB_JOB_CANCELED, "canceled by test"), 0);
	expect_now(t, c, "canceled", "cancel (same connection)");
}

/* another process changes job @id's state with plain SQL, then exits */
static void other_process_sets(struct two *t, int64_t id, int state)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		char sql[128];
		sqlite3 *db;
		int rc;

		snprintf(sql, sizeof(sql), "UPDATE jobs SET state = %d WHERE id = %lld",
			 state, (long long)id);
		rc = sqlite3_open_v2(t->f->db, &db, SQLITE_OPEN_READWRITE, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_busy_timeout(db, 10000);
			rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		}
		sqlite3_close(db);
		_exit(rc == SQLITE_OK ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_other_process(void **state)
{
	struct two *t = *state;
	int64_t id = fx_job(t->f, 0, 0);

	warm(t, id, "queued");
	other_process_sets(t, id, LAB_JOB_CANCELED);
	expect_now(t, id, "canceled", "another process's write");
	other_process_sets(t, id, LAB_JOB_QUEUED);
	expect_now(t, id, "queued", "another process's second write");
}

/*
 * Reading the generation must not cost this process its locks on <db>-shm:
 * a close() of a second descriptor of -shm drops them all, SQLite's "dead
 * man switch" read lock (byte 128) included, and the next process to open
 * the database then truncates -shm and rebuilds the WAL index under the
 * server (stage 70: the server died of SIGBUS). A forked child asks the
 * kernel who holds byte 128 after the generation was read on both stores.
 */
static void test_shm_lock_kept(void **state)
{
	struct two *t = *state;
	int64_t id = fx_job(t->f, 0, 0);
	pid_t parent = getpid(), pid;
	int status;

	warm(t, id, "queued");
	(void)lab_store_generation(t->sched);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 128,
				    .l_len = 1 };
		char path[4200];
		int fd;

		snprintf(path, sizeof(path), "%s-shm", t->f->db);
		fd = open(path, O_RDWR);
		if (fd < 0 || fcntl(fd, F_GETLK, &fl))
			_exit(2);
		/* F_UNLCK: nobody holds it any more; else the holder */
		_exit(fl.l_type == F_RDLCK && fl.l_pid == parent ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("after lab_store_generation() this process no longer holds SQLite's "
			 "read lock on byte 128 of %s-shm (child exit %d)", t->f->db,
			 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	/* another process opens the database and writes: the pages stay right */
	other_process_sets(t, id, LAB_JOB_CANCELED);
	expect_now(t, id, "canceled", "another process's write after the lock check");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_scheduler_transitions, two_setup,
						two_teardown),
		cmocka_unit_test_setup_teardown(test_web_transitions, two_setup,
						two_teardown),
		cmocka_unit_test_setup_teardown(test_other_process, two_setup,
						two_teardown),
		cmocka_unit_test_setup_teardown(test_shm_lock_kept, two_setup,
						two_teardown),
	};
	return cmocka_run_group_tests_name("jobs_cache", tests, NULL, NULL);
}
