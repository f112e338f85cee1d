/* SPDX-License-Identifier: GPL-2.0 */
/*
 * history.c - lab-bench-history: a multi-year results history at scale.
 *
 *   lab-bench-history generate --db FILE --schema DIR [--rows N] [--nights N]
 *                              [--targets N] [--cases N]
 *   lab-bench-history query --db FILE --schema DIR [--iterations N]
 *
 * generate: creates FILE with the server's own migrations (lab_store_open)
 * and fills it the way years of nightlies would: one kernel and one plan
 * per night ("nightly-YYYYMMDD"), one complete job per (night, target) for
 * the targets that ran that night, one result per case of each job
 * (gen.h: realistic errno/verdict mix; a case's outcome on a target changes
 * at most every 60 nights plus rare per-night flakes, so consecutive
 * nightlies differ a little, as in a real lab), and the "latest" table the
 * store keeps for matrix/diff; each QEMU job (a third of the targets) has
 * the job_provenance row the QEMU runner records (server/run/provenance.c:
 * paths, digests, QEMU version and command line; a diff reads each side's
 * QEMU version from it). Default: 1825 nights (5 years) x 50 targets
 * x 150 cases, with ~73% of targets running on a given night, so the total
 * is exactly --rows (10,000,000). Commits every night; progress on stderr.
 *
 * query: times the server's read paths in-process on that DB: lab_diff_run_text (and lab_diff_run,
 * which parses its text)
 * between the last two nightlies, lab_store_matrix for the last nightly,
 * the job list, each --iterations times (first call = cold, then min,
 * median and max of the rest, wall time and this thread's CPU time: the
 * spread), the part of the diff that reads the QEMU version of both sides'
 * jobs (lab_store_provenance_side_rows, one query per side: its CPU time
 * and its share of the diff's), and prints DB bytes per result.
 *
 * Invariants: generation is deterministic; a partially generated file is
 * never reused (bench/run generates to FILE.tmp and renames on success).
 * Errors: exit 1 with a message; 2 for usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sqlite3.h>

#include "diff.h"
#include "gen.h"
#include "log.h"
#include "store.h"
#include "store_provenance.h"
#include "views.h"

struct hopts {
	const char *db, *schema;
	long rows;
	int nights, targets, cases, iters;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lab-bench-history generate --db FILE --schema DIR [--rows N (10000000)]\n"
		"                                  [--nights N (1825)] [--targets N (50)] [--cases N (150)]\n"
		"       lab-bench-history query --db FILE --schema DIR [--iterations N (20)]\n");
}

static const char *const arches[] = { "x86_64", "x86_64", "x86_64", "arm64", "s390x" };

static int check(sqlite3 *db, int rc, const char *what)
{
	if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	fprintf(stderr, "lab-bench-history: %s: %s\n", what, sqlite3_errmsg(db));
	return -EIO;
}

static int step(sqlite3 *db, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return check(db, rc, what);
}

static int generate(const struct hopts *o)
{
	sqlite3_stmt *ins_k = NULL, *ins_p = NULL, *ins_j = NULL, *ins_r = NULL, *ins_l = NULL;
	sqlite3_stmt *ins_v = NULL;
	struct lab_store *st;
	long jobs_total = (o->rows + o->cases - 1) / o->cases, jobs_done = 0, rows = 0;
	int64_t tid[512], kid, pid, jid;
	time_t day0 = 1640995200;	/* 2022-01-01 */
	double t0 = gen_now();
	sqlite3 *db = NULL;
	int r, rc;

	if (o->targets > 512 || o->targets < 1)
		return -EINVAL;
	r = lab_store_open(o->db, o->schema, &st);
	if (r) {
		fprintf(stderr, "lab-bench-history: %s: %s\n", o->db, strerror(-r));
		return r;
	}
	for (int t = 0; t < o->targets; t++) {
		char name[64], def[256];
		struct lab_target tg = { 0 };

		snprintf(name, sizeof(name), "%s-%s-%02d", arches[t % 5],
			 t % 5 == 0 ? "vtd" : t % 5 == 1 ? "amdvi" : t % 5 == 2 ? "viommu" :
			 t % 5 == 3 ? "smmuv3" : "zpci", t);
		snprintf(def, sizeof(def), "{\"name\":\"%s\",\"arch\":\"%s\",\"backend\":\"%s\"}",
			 name, arches[t % 5], t % 3 ? "lava" : "qemu");
		tg.name = name;
		tg.arch = (char *)arches[t % 5];
		tg.backend = t % 3 ? "lava" : "qemu";
		tg.driver = (char *)gen_drivers[t % 5];
		tg.definition = def;
		tg.tags = "[\"nightly\"]";
		tg.health = "good";
		tg.concurrency = 1;
		r = lab_store_target_put(st, &tg);
		if (r)
			goto close_store;
		tid[t] = tg.id;
	}
	lab_store_close(st);
	st = NULL;

	rc = sqlite3_open(o->db, &db);
	rc = rc ?: sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF; "
				"PRAGMA cache_size=-262144; PRAGMA foreign_keys=OFF", NULL, NULL, NULL);
	rc = rc ?: sqlite3_prepare_v2(db, "INSERT INTO kernels (name, release, version, arch, "
				      "source, source_ref, created_at) VALUES (?1, ?2, ?3, 'x86_64', "
				      "'build', ?4, ?5)", -1, &ins_k, NULL);
	rc = rc ?: sqlite3_prepare_v2(db, "INSERT INTO plans (name, kind, spec, created_by, "
				      "created_at) VALUES (?1, 'nightly', ?2, 'nightly-bot', ?3)",
				      -1, &ins_p, NULL);
	rc = rc ?: sqlite3_prepare_v2(db, "INSERT INTO jobs (plan_id, kernel_id, target_id, state, "
				      "attempts, backend, backend_job_id, log_path, created_at, "
				      "started_at, finished_at, updated_at) VALUES (?1, ?2, ?3, 3, 1, "
				      "?4, ?5, ?6, ?7, ?7 + 60, ?7 + 600, ?7 + 600)", -1, &ins_j, NULL);
	rc = rc ?: sqlite3_prepare_v2(db,
		"INSERT INTO results (job_id, kernel_id, target_id, case_id, driver, iommu, steps, "
		"observed, expected, contract, verdict, reason, reused, verified, duration_us, "
		"repeat, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
		"?13, ?14, ?15, 0, ?16)", -1, &ins_r, NULL);
	rc = rc ?: sqlite3_prepare_v2(db, "INSERT INTO latest (kernel_id, target_id, case_id, "
				      "result_id, job_id) VALUES (?1, ?2, ?3, ?4, ?5)", -1, &ins_l, NULL);
	/* the QEMU runner's provenance row, with values the size of a real one */
	rc = rc ?: sqlite3_prepare_v2(db, "INSERT INTO job_provenance (job_id, top, cache_dir, "
				      "kernel_source, kernel_ref, kernel_release, arch, kernel_image, "
				      "kernel_sha256, initrd, initrd_sha256, agent, agent_sha256, kmod, "
				      "kmod_sha256, target_file, target_sha256, qemu_version, boot_args, "
				      "qemu_cmdline, recorded_at) VALUES (?1, '/srv/iommulab', "
				      "'/var/cache/iommulab', 'build', ?2, ?3, ?4, "
				      "'/var/cache/iommulab/kernels/' || ?3 || '/vmlinuz', ?5, "
				      "'/var/cache/iommulab/initramfs/' || ?3 || '.cpio.gz', ?5, "
				      "'/srv/iommulab/build/agent/iommulab-agent', ?5, "
				      "'/var/cache/iommulab/kmods/' || ?3 || '/iommulab_probe.ko', ?5, "
				      "'/srv/iommulab/targets/' || ?4 || '/' || ?6 || '.json', ?5, "
				      "'7.2.22', '--target targets/' || ?4 || '/' || ?6 || '.json --kernel ' || ?3, "
				      "'qemu-system-x86_64 -machine q35,kernel-irqchip=split -accel tcg "
				      "-cpu max -m 512 -nographic -nodefaults -no-user-config -no-reboot "
				      "-monitor none -serial file:/var/cache/iommulab/state/logs/' || ?1 || "
				      "'.log -net none -device intel-iommu,intremap=on,caching-mode=on "
				      "-device edu,addr=3 -device edu,addr=4 -kernel /var/cache/iommulab/"
				      "kernels/' || ?3 || '/vmlinuz -initrd /var/cache/iommulab/initramfs/' "
				      "|| ?3 || '.cpio.gz -append ''console=ttyS0 panic=-1 iommulab.target=' "
				      "|| ?6 || ' iommu.strict=1''', ?7)", -1, &ins_v, NULL);
	if ((r = check(db, rc, "prepare")))
		goto finalize;

	for (int n = 0; n < o->nights && rows < o->rows; n++) {
		time_t when = day0 + (time_t)n * 86400 + 2 * 3600;
		struct tm tm;
		char kname[64], rel[64], spec[128], ref[96];
		/* how many targets run tonight: spread jobs_total evenly */
		long want = (jobs_total * (n + 1)) / o->nights - jobs_done;
		int first = n % o->targets;

		gmtime_r(&when, &tm);
		strftime(kname, sizeof(kname), "nightly-%Y%m%d", &tm);
		snprintf(rel, sizeof(rel), "6.%d.0-lab%d", 1 + n / 120, n);
		snprintf(ref, sizeof(ref), "linux.git@%08x", (unsigned)(n * 2654435761u));
		rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
		sqlite3_bind_text(ins_k, 1, kname, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins_k, 2, rel, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins_k, 3, rel, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins_k, 4, ref, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins_k, 5, when);
		if ((r = step(db, ins_k, "kernel")))
			goto finalize;
		kid = sqlite3_last_insert_rowid(db);
		snprintf(spec, sizeof(spec), "{\"kind\":\"nightly\",\"kernels\":[\"%s\"]}", kname);
		sqlite3_bind_text(ins_p, 1, kname, -1, SQLITE_STATIC);
		sqlite3_bind_text(ins_p, 2, spec, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins_p, 3, when);
		if ((r = step(db, ins_p, "plan")))
			goto finalize;
		pid = sqlite3_last_insert_rowid(db);
		for (long k = 0; k < want && k < o->targets && rows < o->rows; k++) {
			int t = (int)((first + k * 7) % o->targets);
			char bj[32], logp[128];

			/* k*7 mod targets visits distinct targets when gcd(7, targets) == 1 */
			if (o->targets % 7 == 0)
				t = (int)((first + k) % o->targets);
			snprintf(bj, sizeof(bj), "%ld", 100000 + jobs_done);
			snprintf(logp, sizeof(logp), "/var/cache/iommulab/state/logs/%ld.log", jobs_done + 1);
			sqlite3_bind_int64(ins_j, 1, pid);
			sqlite3_bind_int64(ins_j, 2, kid);
			sqlite3_bind_int64(ins_j, 3, tid[t]);
			sqlite3_bind_text(ins_j, 4, t % 3 ? "lava" : "qemu", -1, SQLITE_STATIC);
			if (t % 3)
				sqlite3_bind_text(ins_j, 5, bj, -1, SQLITE_STATIC);
			sqlite3_bind_text(ins_j, 6, logp, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins_j, 7, when);
			if ((r = step(db, ins_j, "job")))
				goto finalize;
			jid = sqlite3_last_insert_rowid(db);
			jobs_done++;
			if (!(t % 3)) {
				char sha[65], tname[64];

				for (int i = 0; i < 64; i += 16)
					snprintf(sha + i, sizeof(sha) - (size_t)i, "%016llx",
						 (unsigned long long)(jid * 64 + i) * 0x9e3779b97f4a7c15ull);
				snprintf(tname, sizeof(tname), "%s-%02d", arches[t % 5], t);
				sqlite3_bind_int64(ins_v, 1, jid);
				sqlite3_bind_text(ins_v, 2, ref, -1, SQLITE_STATIC);
				sqlite3_bind_text(ins_v, 3, rel, -1, SQLITE_STATIC);
				sqlite3_bind_text(ins_v, 4, arches[t % 5], -1, SQLITE_STATIC);
				sqlite3_bind_text(ins_v, 5, sha, -1, SQLITE_STATIC);
				sqlite3_bind_text(ins_v, 6, tname, -1, SQLITE_STATIC);
				sqlite3_bind_int64(ins_v, 7, when + 600);
				if ((r = step(db, ins_v, "provenance")))
					goto finalize;
			}
			for (int c = 0; c < o->cases && rows < o->rows; c++) {
				/* stable outcome per 60-night epoch, 0.5% nightly flakes */
				struct gen_rng rng = { ((uint64_t)t << 40) ^ ((uint64_t)c << 20) ^
						       (uint64_t)(n / 60) ^ 0x5bd1e995ull };
				struct gen_rng fl = { (uint64_t)jid * 1000003ull + (uint64_t)c };
				struct gen_result g;

				gen_result(&rng, (unsigned)c, (unsigned)t, 0, &g);
				if (gen_below(&fl, 1000) < 5) {
					g.verdict_code = 3;
					g.observed = 110;
					g.reason = "timeout: case killed after 60 s";
				}
				sqlite3_bind_int64(ins_r, 1, jid);
				sqlite3_bind_int64(ins_r, 2, kid);
				sqlite3_bind_int64(ins_r, 3, tid[t]);
				sqlite3_bind_text(ins_r, 4, g.case_id, -1, SQLITE_STATIC);
				sqlite3_bind_text(ins_r, 5, g.driver, -1, SQLITE_STATIC);
				sqlite3_bind_text(ins_r, 6, g.iommu, -1, SQLITE_STATIC);
				sqlite3_bind_text(ins_r, 7, g.steps, -1, SQLITE_STATIC);
				sqlite3_bind_int(ins_r, 8, g.observed);
				if (g.expected >= 0)
					sqlite3_bind_int(ins_r, 9, g.expected);
				sqlite3_bind_text(ins_r, 10, g.contract, -1, SQLITE_STATIC);
				sqlite3_bind_int(ins_r, 11, g.verdict_code);
				if (*g.reason)
					sqlite3_bind_text(ins_r, 12, g.reason, -1, SQLITE_STATIC);
				if (g.reused >= 0)
					sqlite3_bind_int(ins_r, 13, g.reused);
				sqlite3_bind_text(ins_r, 14, g.verified, -1, SQLITE_STATIC);
				sqlite3_bind_int64(ins_r, 15, g.duration_us);
				sqlite3_bind_int64(ins_r, 16, when + 60 + c * 3);
				if ((r = step(db, ins_r, "result")))
					goto finalize;
				sqlite3_bind_int64(ins_l, 1, kid);
				sqlite3_bind_int64(ins_l, 2, tid[t]);
				sqlite3_bind_text(ins_l, 3, g.case_id, -1, SQLITE_STATIC);
				sqlite3_bind_int64(ins_l, 4, sqlite3_last_insert_rowid(db));
				sqlite3_bind_int64(ins_l, 5, jid);
				if ((r = step(db, ins_l, "latest")))
					goto finalize;
				rows++;
			}
		}
		if ((r = check(db, sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), "commit")))
			goto finalize;
		if (n % 50 == 49 || rows >= o->rows) {
			double dt = gen_now() - t0;

			fprintf(stderr, "history: night %d/%d, %ld rows, %.0f s, %.0f rows/s\n",
				n + 1, o->nights, rows, dt, rows / dt);
		}
	}
	r = check(db, sqlite3_exec(db, "ANALYZE; PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL,
				   NULL), "analyze");
	printf("history: generated %ld results, %ld jobs, in %.0f s\n", rows, jobs_done,
	       gen_now() - t0);
finalize:
	sqlite3_finalize(ins_k);
	sqlite3_finalize(ins_p);
	sqlite3_finalize(ins_j);
	sqlite3_finalize(ins_r);
	sqlite3_finalize(ins_l);
	sqlite3_finalize(ins_v);
	sqlite3_close(db);
close_store:
	lab_store_close(st);
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/*
 * Wall time of the calls after the first (cold, min, median, max) and the
 * CPU time this thread spent in them (median, min, max: CLOCK_THREAD_
 * CPUTIME_ID; SQLite runs the query on the calling thread). On a shared
 * machine the wall spread is the scheduler's (a runnable query waits for
 * a core: load average above the core count stretches it by whole time
 * slices) and the page cache's (pages of a 3 GB file evicted by others are
 * read again); the CPU time shows what the code itself costs.
 */
struct timing {
	double cold, min, median, max;
	double cpu_min, cpu_median, cpu_max;
};

static void summarise(double *t, double *c, int n, struct timing *out)
{
	out->cold = t[0];
	qsort(t + 1, (size_t)(n - 1), sizeof(double), cmp_double);
	qsort(c + 1, (size_t)(n - 1), sizeof(double), cmp_double);
	out->min = n > 1 ? t[1] : t[0];
	out->median = n > 1 ? t[1 + (n - 1) / 2] : t[0];
	out->max = n > 1 ? t[n - 1] : t[0];
	out->cpu_min = n > 1 ? c[1] : c[0];
	out->cpu_median = n > 1 ? c[1 + (n - 1) / 2] : c[0];
	out->cpu_max = n > 1 ? c[n - 1] : c[0];
}

static double thread_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * One read path query() times. run() makes one call and leaves what it
 * returned in @txt/@len (the text paths) or @v (the json_t paths);
 * time_path() frees it outside the timed span.
 */
struct qpath {
	struct lab_store *st;
	const char *base, *head;
	int64_t kid, base_kid;
	size_t nprov;		/* provenance rows the last run_prov read */
	char *txt;
	size_t len;
	json_t *v;
	char err[256];
};

/* what GET /diffs serves (uncached): rows straight to JSON text */
static int run_diff_text(struct qpath *q)
{
	return lab_diff_run_text(q->st, false, q->base, q->head, false, &q->txt, &q->len, q->err,
				 sizeof(q->err));
}

/* the json_t document, for comparison */
static int run_diff_json(struct qpath *q)
{
	return lab_diff_run(q->st, false, q->base, q->head, false, &q->v, q->err, sizeof(q->err));
}

/* what GET /matrix serves (uncached) */
static int run_matrix_text(struct qpath *q)
{
	return lab_store_matrix_text(q->st, q->kid, &q->txt, &q->len);
}

static int run_matrix_json(struct qpath *q)
{
	return lab_store_matrix(q->st, q->kid, &q->v);
}

static int count_row(const struct lab_store_row *row, void *n)
{
	(void)row;
	++*(size_t *)n;
	return 0;
}

/* what a diff of the two kernels reads of their jobs' provenance (the QEMU
 * version of each side: lab_store_diff_side_load's one query per side) */
static int run_prov(struct qpath *q)
{
	int r;

	q->nprov = 0;
	r = lab_store_provenance_side_rows(q->st, false, q->base_kid, count_row, &q->nprov);
	if (r >= 0)
		r = lab_store_provenance_side_rows(q->st, false, q->kid, count_row, &q->nprov);
	return r < 0 ? r : 0;
}

static int run_job_list(struct qpath *q)
{
	struct lab_job_filter f = { .state = -1, .limit = 50 };

	return lab_store_jobs_list(q->st, &f, &q->v);
}

/*
 * @iters calls of @run, each timed alone into @t (the first is the cold
 * one), summarised into @out; with @member, *@count receives the size of
 * that array in the first call's text document. 0 or run()'s -errno (its
 * message, if any, on stderr).
 */
static int time_path(struct qpath *q, int (*run)(struct qpath *q), int iters, double *t,
		     const char *member, size_t *count, struct timing *out)
{
	double *c = t + iters;		/* CPU times: the second half of @t */

	for (int i = 0; i < iters; i++) {
		double t0 = gen_now(), c0 = thread_cpu_s();
		int r;

		q->txt = NULL;
		q->v = NULL;
		q->err[0] = '\0';
		r = run(q);
		t[i] = gen_now() - t0;
		c[i] = thread_cpu_s() - c0;
		if (r) {
			if (q->err[0])
				fprintf(stderr, "lab-bench-history: diff: %s\n", q->err);
			return r;
		}
		if (i == 0 && member) {
			json_t *v = json_loadb(q->txt, q->len, 0, NULL);

			*count = json_array_size(json_object_get(v, member));
			json_decref(v);
		}
		free(q->txt);
		json_decref(q->v);
	}
	summarise(t, c, iters, out);
	return 0;
}

static int query(const struct hopts *o)
{
	char base[64] = "", head[64] = "";
	struct lab_store *st;
	struct lab_kernel k = { 0 };
	struct timing td, tm, tj, tdj, tmj, tp;
	double *t = calloc(2 * (size_t)o->iters, sizeof(double));	/* wall, CPU */
	sqlite3 *db;
	sqlite3_stmt *s;
	long long nres = 0, pages = 0, psize = 0, njobs = 0;
	size_t ncells = 0, nrows = 0;
	struct qpath q = { 0 };
	int r;

	if (!t)
		return -ENOMEM;
	if (sqlite3_open_v2(o->db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		free(t);
		return -EIO;
	}
	if (sqlite3_prepare_v2(db, "SELECT (SELECT name FROM kernels ORDER BY id DESC LIMIT 1 "
			       "OFFSET 1), (SELECT name FROM kernels ORDER BY id DESC LIMIT 1), "
			       "(SELECT max(id) FROM results), (SELECT count(*) FROM pragma_page_count), "
			       "(SELECT page_count FROM pragma_page_count), "
			       "(SELECT page_size FROM pragma_page_size), "
			       "(SELECT count(*) FROM jobs WHERE kernel_id IN "
			       " (SELECT id FROM kernels ORDER BY id DESC LIMIT 2))", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW) {
		snprintf(base, sizeof(base), "%s", (const char *)sqlite3_column_text(s, 0));
		snprintf(head, sizeof(head), "%s", (const char *)sqlite3_column_text(s, 1));
		nres = sqlite3_column_int64(s, 2);
		pages = sqlite3_column_int64(s, 4);
		psize = sqlite3_column_int64(s, 5);
		njobs = sqlite3_column_int64(s, 6);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	if (!*head || !nres) {
		fprintf(stderr, "lab-bench-history: %s holds no history\n", o->db);
		free(t);
		return -ENOENT;
	}
	r = lab_store_open(o->db, o->schema, &st);
	if (r)
		goto free_t;
	q.st = st;
	q.base = base;
	q.head = head;
	if ((r = time_path(&q, run_diff_text, o->iters, t, "rows", &nrows, &td)) ||
	    (r = time_path(&q, run_diff_json, o->iters, t, NULL, NULL, &tdj)))
		goto close;
	r = lab_store_kernel_get(st, head, &k);
	if (r)
		goto close;
	q.kid = k.id;
	lab_kernel_clear(&k);
	r = lab_store_kernel_get(st, base, &k);
	if (r)
		goto close;
	q.base_kid = k.id;
	if ((r = time_path(&q, run_prov, o->iters, t, NULL, NULL, &tp)) ||
	    (r = time_path(&q, run_matrix_text, o->iters, t, "cells", &ncells, &tm)) ||
	    (r = time_path(&q, run_matrix_json, o->iters, t, NULL, NULL, &tmj)) ||
	    (r = time_path(&q, run_job_list, o->iters, t, NULL, NULL, &tj)))
		goto clear_k;
	printf("history: %lld results, %.1f MB, %.1f bytes/result\n", nres,
	       pages * psize / 1e6, (double)pages * psize / nres);
	printf("history: diff %s..%s (%zu rows): cold %.1f ms, median %.1f ms, max %.1f ms "
	       "(lab_diff_run_text, %d runs; json_t path: median %.1f ms)\n", base, head, nrows,
	       td.cold * 1e3, td.median * 1e3, td.max * 1e3, o->iters, tdj.median * 1e3);
	printf("history: matrix %s (%zu cells): cold %.1f ms, median %.1f ms, max %.1f ms "
	       "(lab_store_matrix_text; json_t path: median %.1f ms)\n", head, ncells,
	       tm.cold * 1e3, tm.median * 1e3, tm.max * 1e3, tmj.median * 1e3);
	printf("history: job list (50 newest): cold %.2f ms, median %.2f ms\n",
	       tj.cold * 1e3, tj.median * 1e3);
	printf("history: spread over the %d warm runs, wall min/median/max (CPU min/median/max): "
	       "diff %.1f/%.1f/%.1f (%.1f/%.1f/%.1f) ms, matrix %.1f/%.1f/%.1f (%.1f/%.1f/%.1f) ms\n",
	       o->iters - 1, td.min * 1e3, td.median * 1e3, td.max * 1e3, td.cpu_min * 1e3,
	       td.cpu_median * 1e3, td.cpu_max * 1e3, tm.min * 1e3, tm.median * 1e3, tm.max * 1e3,
	       tm.cpu_min * 1e3, tm.cpu_median * 1e3, tm.cpu_max * 1e3);
	printf("history: the diff's QEMU versions (job_provenance of both sides' %lld jobs: %zu "
	       "rows, one query per side): median %.3f ms, CPU %.3f ms = %.1f%% of the diff's "
	       "CPU %.1f ms (without them: %.1f ms)\n", njobs, q.nprov, tp.median * 1e3,
	       tp.cpu_median * 1e3, td.cpu_median > 0 ? 100 * tp.cpu_median / td.cpu_median : 0,
	       td.cpu_median * 1e3, (td.cpu_median - tp.cpu_median) * 1e3);
	printf("BENCH history_results=%lld history_bytes_per_result=%.1f diff_ms=%.2f "
	       "matrix_ms=%.2f joblist_ms=%.3f diff_json_ms=%.2f matrix_json_ms=%.2f base=%s head=%s\n",
	       nres, (double)pages * psize / nres, td.median * 1e3, tm.median * 1e3, tj.median * 1e3,
	       tdj.median * 1e3, tmj.median * 1e3, base, head);
	printf("BENCH diff_min_ms=%.2f diff_max_ms=%.2f diff_cpu_ms=%.2f diff_cpu_min_ms=%.2f "
	       "diff_cpu_max_ms=%.2f matrix_min_ms=%.2f matrix_max_ms=%.2f matrix_cpu_ms=%.2f "
	       "matrix_cpu_min_ms=%.2f matrix_cpu_max_ms=%.2f\n",
	       td.min * 1e3, td.max * 1e3, td.cpu_median * 1e3, td.cpu_min * 1e3, td.cpu_max * 1e3,
	       tm.min * 1e3, tm.max * 1e3, tm.cpu_median * 1e3, tm.cpu_min * 1e3, tm.cpu_max * 1e3);
	printf("BENCH diff_jobs=%lld diff_prov_rows=%zu diff_prov_ms=%.3f diff_prov_cpu_ms=%.3f "
	       "diff_prov_share_pct=%.1f diff_cpu_noprov_ms=%.2f\n", njobs, q.nprov,
	       tp.median * 1e3, tp.cpu_median * 1e3,
	       td.cpu_median > 0 ? 100 * tp.cpu_median / td.cpu_median : 0,
	       (td.cpu_median - tp.cpu_median) * 1e3);
clear_k:
	lab_kernel_clear(&k);
close:
	lab_store_close(st);
free_t:
	free(t);
	return r;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' }, { "schema", required_argument, NULL, 's' },
		{ "rows", required_argument, NULL, 'r' }, { "nights", required_argument, NULL, 'n' },
		{ "targets", required_argument, NULL, 't' }, { "cases", required_argument, NULL, 'c' },
		{ "iterations", required_argument, NULL, 'i' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	struct hopts o = { .rows = 10000000, .nights = 1825, .targets = 50, .cases = 150,
			   .iters = 20 };
	const char *cmd;
	int c, r;

	lab_log_set_level(LAB_LOG_WARN);

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o.db = optarg; break;
		case 's': o.schema = optarg; break;
		case 'r': o.rows = atol(optarg); break;
		case 'n': o.nights = atoi(optarg); break;
		case 't': o.targets = atoi(optarg); break;
		case 'c': o.cases = atoi(optarg); break;
		case 'i': o.iters = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!o.db || !o.schema || o.rows < 1 || o.nights < 2 || o.targets < 1 ||
	    o.targets > 512 || o.cases < 1 || o.cases > GEN_CASES || o.iters < 1) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(cmd, "generate"))
		r = generate(&o);
	else if (!strcmp(cmd, "query"))
		r = query(&o);
	else {
		usage(stderr);
		return 2;
	}
	return r ? 1 : 0;
}
