/* SPDX-License-Identifier: GPL-2.0 */
/*
 * findings.c - lab-bench-findings: what the regression lifecycle costs an
 * ingest: one job's N new failures (N distinct cases, so N new findings
 * and N "finding-opened" events for the outbox) through lab_ingest_store(),
 * the function the QEMU runner, LAVA and POST /results all call, on a
 * fresh SQLite file with the server's schema.
 *
 * Purpose: the figure the outbox's statement cache is judged by (issue 18
 * perf defect: 10,000 new failures took 4x longer once every event
 * prepared its SQL). With --subs S, S maildir subscriptions match every
 * finding, so each event also writes S deliveries (nothing is sent: the
 * deliveries stay pending in the DB).
 *
 * Output: each run's milliseconds (wall, and the CPU time this thread
 * spent: on a loaded machine wall time is mostly waiting for a core), then
 * "BENCH findings_n=N subs=S findings_ms_min=... findings_ms_median=...
 * findings_ms_max=... findings_cpu_ms_min=... findings_cpu_ms_median=...
 * findings_opened=N deliveries=N*S". A run whose finding or delivery
 * count is not N and N*S fails the bench (exit 1): a fast wrong answer is
 * not a result. Only lab_ingest_store() is timed; the fresh DB, its job
 * and the rows are made before the clock starts.
 *
 * Ownership: everything is freed before exit. Errors: exit 1 with a
 * message on stderr; 2 for bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>

#include "gen.h"
#include "ingest.h"
#include "log.h"
#include "outbox.h"
#include "store.h"

struct opts {
	const char *db, *schema;
	long failures;
	int subs, runs;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lab-bench-findings --db NEW_DB --schema DIR [--failures N (10000)]\n"
		"         [--subs S (1)] [--runs R (5)]\n"
		"Ingests one job's N new failures (N new findings) R times, each on a\n"
		"fresh DB with S maildir subscriptions matching every finding; prints\n"
		"the time lab_ingest_store() took (min, median, max).\n");
}

static void unlink_db(const char *path)
{
	char p[4096];

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
}

/* a fresh DB with one running job and @subs subscriptions; the job's id */
static int setup(const struct opts *o, struct lab_store **out, int64_t *job_id)
{
	struct lab_kernel k = { .name = "bench-6.12", .release = "6.12.57-amd64",
				.version = "6.12.57", .arch = "x86_64", .source = "debian" };
	struct lab_target t = { .name = "bench-q35", .arch = "x86_64", .backend = "qemu",
				.vendor = "intel", .driver = "intel-iommu",
				.definition = "{\"name\":\"bench-q35\",\"arch\":\"x86_64\",\"backend\":\"qemu\"}",
				.tags = "[\"bench\"]", .health = "good", .concurrency = 1 };
	struct lab_job j = { 0 };
	struct lab_store *st;
	char err[256];
	int r;

	unlink_db(o->db);
	r = lab_store_open(o->db, o->schema, &st);
	if (r)
		return r;
	if ((r = lab_store_kernel_put(st, &k)) || (r = lab_store_target_put(st, &t)))
		goto fail;
	j.kernel_id = k.id;
	j.target_id = t.id;
	j.backend = "qemu";
	if ((r = lab_store_job_create(st, &j)) ||
	    (r = lab_store_job_transition(st, j.id, LAB_JOB_QUEUED, LAB_JOB_SCHEDULED, NULL)) ||
	    (r = lab_store_job_transition(st, j.id, LAB_JOB_SCHEDULED, LAB_JOB_RUNNING, NULL)))
		goto fail;
	for (int i = 0; i < o->subs; i++) {
		struct lab_subscription s = { .kind = "maildir", .maildir = "/nonexistent/bench" };

		r = lab_subscription_add(st, &s, "bench", err, sizeof(err));
		if (r) {
			fprintf(stderr, "lab-bench-findings: subscription: %s\n", err);
			goto fail;
		}
	}
	*job_id = j.id;
	*out = st;
	return 0;
fail:
	lab_store_close(st);
	return r;
}

static int64_t count(const char *db, const char *sql)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *s = NULL;
	int64_t n = -1;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(h);
	return n;
}

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' }, { "schema", required_argument, NULL, 's' },
		{ "failures", required_argument, NULL, 'n' }, { "subs", required_argument, NULL, 'S' },
		{ "runs", required_argument, NULL, 'r' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	struct opts o = { .failures = 10000, .subs = 1, .runs = 5 };
	struct lab_result *res;
	char (*ids)[32];
	double *ms, *cpu;
	int c, rc = 1;

	lab_log_set_level(LAB_LOG_WARN);
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o.db = optarg; break;
		case 's': o.schema = optarg; break;
		case 'n': o.failures = atol(optarg); break;
		case 'S': o.subs = atoi(optarg); break;
		case 'r': o.runs = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!o.db || !o.schema || o.failures < 1 || o.failures > 1000000 || o.subs < 0 ||
	    o.subs > 100 || o.runs < 1 || o.runs > 100) {
		usage(stderr);
		return 2;
	}
	res = calloc((size_t)o.failures, sizeof(*res));
	ids = calloc((size_t)o.failures, sizeof(*ids));
	ms = calloc((size_t)o.runs, sizeof(*ms));
	cpu = calloc((size_t)o.runs, sizeof(*cpu));
	if (!res || !ids || !ms || !cpu)
		goto out;
	/* every case new and failing by its own record: EINVAL expected, ENODEV seen */
	for (long i = 0; i < o.failures; i++) {
		snprintf(ids[i], sizeof(ids[i]), "bench.new.f%06ld", i);
		res[i] = (struct lab_result){ .case_id = ids[i], .driver = "intel-iommu",
			.iommu = "dmar0", .steps_json = "[]", .observed = 19, .expected = 22,
			.contract = "bench", .verdict = LAB_VERDICT_FAIL, .reason = "bench",
			.reused = -1, .verified = "none", .duration_us = 1 };
	}
	for (int run = 0; run < o.runs; run++) {
		struct lab_ingest_job job;
		struct lab_store *st;
		char why[LAB_INGEST_WHY_MAX];
		int64_t job_id, nf, nd;
		double t0, c0;
		int r;

		r = setup(&o, &st, &job_id);
		if (!r)
			r = lab_ingest_job_load(st, job_id, &job);
		if (r) {
			fprintf(stderr, "lab-bench-findings: setting up %s: %s\n", o.db, strerror(-r));
			goto out;
		}
		c0 = cpu_now();
		t0 = gen_now();
		r = lab_ingest_store(st, &job, res, (size_t)o.failures, why, sizeof(why));
		ms[run] = (gen_now() - t0) * 1e3;
		cpu[run] = (cpu_now() - c0) * 1e3;
		lab_store_close(st);
		if (r) {
			fprintf(stderr, "lab-bench-findings: ingest: %s %s\n", strerror(-r), why);
			goto out;
		}
		nf = count(o.db, "SELECT count(*) FROM findings WHERE state = 'open'");
		nd = count(o.db, "SELECT count(*) FROM deliveries WHERE event = 'finding-opened'");
		if (nf != o.failures || nd != o.failures * o.subs) {
			fprintf(stderr, "lab-bench-findings: run %d: %lld findings, %lld deliveries; "
				"expected %ld and %ld\n", run, (long long)nf, (long long)nd,
				o.failures, o.failures * o.subs);
			goto out;
		}
		printf("findings: run %d: %ld new failures, %d subscription(s): %.1f ms (CPU %.1f ms)\n",
		       run, o.failures, o.subs, ms[run], cpu[run]);
		fflush(stdout);
	}
	qsort(ms, (size_t)o.runs, sizeof(*ms), cmp_double);
	qsort(cpu, (size_t)o.runs, sizeof(*cpu), cmp_double);
	printf("BENCH findings_n=%ld subs=%d findings_ms_min=%.1f findings_ms_median=%.1f "
	       "findings_ms_max=%.1f findings_cpu_ms_min=%.1f findings_cpu_ms_median=%.1f "
	       "findings_opened=%ld deliveries=%ld\n", o.failures, o.subs, ms[0], ms[o.runs / 2],
	       ms[o.runs - 1], cpu[0], cpu[o.runs / 2], o.failures, o.failures * o.subs);
	rc = 0;
out:
	unlink_db(o.db);
	free(res);
	free(ids);
	free(ms);
	free(cpu);
	return rc;
}
