/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ingest.c - lab-bench-ingest: results/s through the real HTTP API versus
 * the SQLite ceiling, measured in the same run.
 *
 * Purpose: three figures on the same generated records (gen.h):
 *   api      POST /api/v1/results batches ({"job": ID, "records": [...]})
 *            to a running iommulabd (bench/run starts it on 127.0.0.1 with
 *            a fresh state dir) over C keep-alive connections
 *   store    lab_store_results_ingest() in-process on a fresh DB (the
 *            server's write path without HTTP and JSON)
 *   ceiling  the same rows with one prepared INSERT in ONE transaction on
 *            a fresh DB with the same schema and pragmas (WAL,
 *            synchronous=NORMAL, foreign keys off as in the store's ingest)
 * and the ratios api/ceiling and api/store. The jobs that receive results
 * are created directly in the server's DB (kernel, target, jobs moved to
 * running) before the timed part, because the API only accepts results for
 * a scheduled or running job.
 *
 * Invariants: every POST must answer 201 with "stored" equal to its batch
 * size, or the run fails (exit 1): a fast wrong answer is not a result.
 * Bodies are generated before the clock starts.
 *
 * Ownership: everything is freed before exit. Errors: exit 1 with a
 * message on stderr; 2 for bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <curl/curl.h>
#include <sqlite3.h>

#include "gen.h"
#include "log.h"
#include "record.h"
#include "store.h"

struct opts {
	const char *db, *url, *token, *schema, *ceiling_db, *store_db;
	long records, batch;
	int conns;
};

struct body {
	char *text;
	size_t len;
};

struct run {
	const struct opts *o;
	struct body *bodies;
	long nbodies;
	atomic_long next;
	atomic_long stored;
	atomic_int failed;
	char errmsg[512];
	pthread_mutex_t lock;
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: lab-bench-ingest --db SERVER_DB --url http://127.0.0.1:PORT --token FILE\n"
		"         --schema DIR --ceiling-db NEW_DB --store-db NEW_DB\n"
		"         [--records N (300000)] [--batch B (1500)] [--conns C (2)]\n"
		"Posts N generated results in batches of B to POST /api/v1/results and\n"
		"inserts the same rows directly into fresh DBs; prints results/s and ratios.\n");
}

static int setup_jobs(struct lab_store *st, long njobs, int64_t *ids)
{
	struct lab_kernel k = { .name = "bench-6.12", .release = "6.12.57-amd64",
				.version = "6.12.57", .arch = "x86_64", .source = "debian" };
	struct lab_target t = { .name = "bench-q35", .arch = "x86_64", .backend = "qemu",
				.vendor = "intel", .driver = "intel-iommu",
				.definition = "{\"name\":\"bench-q35\",\"arch\":\"x86_64\",\"backend\":\"qemu\"}",
				.tags = "[\"bench\"]", .health = "good", .concurrency = 64 };
	int r;

	if ((r = lab_store_kernel_put(st, &k)) || (r = lab_store_target_put(st, &t)))
		return r;
	for (long i = 0; i < njobs; i++) {
		struct lab_job j = { .kernel_id = k.id, .target_id = t.id, .backend = "qemu" };

		if ((r = lab_store_job_create(st, &j)) ||
		    (r = lab_store_job_transition(st, j.id, LAB_JOB_QUEUED, LAB_JOB_SCHEDULED, NULL)) ||
		    (r = lab_store_job_transition(st, j.id, LAB_JOB_SCHEDULED, LAB_JOB_RUNNING, NULL)))
			return r;
		ids[i] = j.id;
	}
	return 0;
}

/* the JSON body of batch @b for job @job_id */
static int make_body(long b, long batch, int64_t job_id, struct body *out)
{
	size_t cap = (size_t)batch * 700 + 64, len;
	struct gen_rng rng = { 0xabcdefull + (uint64_t)b };
	char *p = malloc(cap);
	struct gen_result g;

	if (!p)
		return -ENOMEM;
	len = (size_t)snprintf(p, cap, "{\"job\":%lld,\"records\":[", (long long)job_id);
	for (long i = 0; i < batch; i++) {
		gen_result(&rng, (unsigned)(i % GEN_CASES), 0, (int)(i / GEN_CASES), &g);
		if (i)
			p[len++] = ',';
		len += (size_t)gen_record_json(&g, "bench-q35", "6.12.57-amd64", p + len, cap - len);
	}
	len += (size_t)snprintf(p + len, cap - len, "]}");
	out->text = p;
	out->len = len;
	return 0;
}

struct sink {
	char buf[4096];
	size_t len;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *user)
{
	struct sink *s = user;
	size_t n = size * nmemb, room = sizeof(s->buf) - 1 - s->len;

	memcpy(s->buf + s->len, ptr, n < room ? n : room);
	s->len += n < room ? n : room;
	s->buf[s->len] = 0;
	return n;
}

static void fail_run(struct run *rn, const char *fmt, long a, const char *b)
{
	pthread_mutex_lock(&rn->lock);
	if (!rn->failed)
		snprintf(rn->errmsg, sizeof(rn->errmsg), fmt, a, b);
	rn->failed = 1;
	pthread_mutex_unlock(&rn->lock);
}

static void *poster(void *arg)
{
	struct run *rn = arg;
	char url[512], auth[256], expect[64];
	struct curl_slist *hdrs = NULL;
	CURL *c = curl_easy_init();
	struct sink sk;
	long b, code;

	if (!c) {
		fail_run(rn, "curl_easy_init failed (%ld)%s", 0, "");
		return NULL;
	}
	snprintf(url, sizeof(url), "%s/api/v1/results", rn->o->url);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", rn->o->token);
	hdrs = curl_slist_append(hdrs, auth);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sk);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	snprintf(expect, sizeof(expect), "\"stored\": %ld", rn->o->batch);
	while (!rn->failed && (b = atomic_fetch_add(&rn->next, 1)) < rn->nbodies) {
		CURLcode cc;

		sk.len = 0;
		sk.buf[0] = 0;
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rn->bodies[b].text);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rn->bodies[b].len);
		cc = curl_easy_perform(c);
		if (cc != CURLE_OK) {
			fail_run(rn, "POST batch %ld: %s", b, curl_easy_strerror(cc));
			break;
		}
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		if (code != 201) {
			fail_run(rn, "POST answered %ld: %.400s", code, sk.buf);
			break;
		}
		/* jansson's default dump has ": " after keys; check the count */
		if (!strstr(sk.buf, expect)) {
			char alt[64];

			snprintf(alt, sizeof(alt), "\"stored\":%ld", rn->o->batch);
			if (!strstr(sk.buf, alt)) {
				fail_run(rn, "batch %ld: answer lacks the stored count: %.300s", b, sk.buf);
				break;
			}
		}
		atomic_fetch_add(&rn->stored, rn->o->batch);
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(c);
	return NULL;
}

/* parse the generated bodies back into lab_result rows (untimed) */
/* decode every body as the API does (record_json.h); rows point into @dec */
static int parse_rows(struct body *bodies, long nb, struct lab_results_body *dec,
		      struct lab_result **out, long *nout)
{
	long n = 0;
	struct lab_result *res = NULL;
	char err[LAB_RECORD_ERR_MAX];
	int r = 0;

	for (long b = 0; b < nb; b++) {
		struct lab_result *nr;

		r = lab_results_body_decode(bodies[b].text, bodies[b].len, 100000, &dec[b], err,
					    sizeof(err));
		if (!r && dec[b].bad_index != SIZE_MAX) {
			snprintf(err, sizeof(err), "records[%zu]: %s", dec[b].bad_index, dec[b].bad);
			r = -EINVAL;
		}
		if (r) {
			fprintf(stderr, "lab-bench-ingest: generated body invalid: %s\n", err);
			free(res);
			return r;
		}
		nr = realloc(res, sizeof(*res) * (size_t)(n + (long)dec[b].n));
		if (!nr) {
			free(res);
			return -ENOMEM;
		}
		res = nr;
		memcpy(res + n, dec[b].res, dec[b].n * sizeof(*res));
		n += (long)dec[b].n;
	}
	*out = res;
	*nout = n;
	return 0;
}

static int fresh_store(const char *path, const char *schema, long njobs, int64_t *ids,
		       struct lab_store **out)
{
	char p[4096];
	int r;

	unlink(path);
	snprintf(p, sizeof(p), "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", path);
	unlink(p);
	r = lab_store_open(path, schema, out);
	if (r)
		return r;
	r = setup_jobs(*out, njobs, ids);
	if (r) {
		lab_store_close(*out);
		*out = NULL;
	}
	return r;
}

/* the ceiling: one transaction, one prepared INSERT, the store's pragmas */
static int ceiling(const struct opts *o, const struct lab_result *res, long n,
		   const int64_t *ids, const char *extra_pragma, double *secs)
{
	static const char sql[] =
		"INSERT INTO results (job_id, kernel_id, target_id, case_id, driver, iommu, steps, "
		"observed, expected, contract, verdict, reason, reused, verified, duration_us, repeat) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
	struct lab_store *st;
	sqlite3_stmt *s = NULL;
	sqlite3 *db = NULL;
	double t0;
	int r, rc;

	r = fresh_store(o->ceiling_db, o->schema, (n + o->batch - 1) / o->batch, (int64_t *)ids, &st);
	if (r)
		return r;
	lab_store_close(st);
	rc = sqlite3_open(o->ceiling_db, &db);
	if (rc == SQLITE_OK)
		/* the store's ingest settings: foreign keys are off for a batch
		 * (lab_store_results_ingest checks the job itself) */
		rc = sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
				  "PRAGMA foreign_keys=OFF", NULL, NULL, NULL);
	if (rc == SQLITE_OK && extra_pragma)
		rc = sqlite3_exec(db, extra_pragma, NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		goto out;
	t0 = gen_now();
	rc = sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (long i = 0; rc == SQLITE_OK && i < n; i++) {
		const struct lab_result *x = &res[i];

		sqlite3_bind_int64(s, 1, ids[i / o->batch]);
		sqlite3_bind_int64(s, 2, 1);
		sqlite3_bind_int64(s, 3, 1);
		sqlite3_bind_text(s, 4, x->case_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 5, x->driver, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, x->iommu, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 7, x->steps_json, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 8, x->observed);
		if (x->expected >= 0)
			sqlite3_bind_int(s, 9, x->expected);
		else
			sqlite3_bind_null(s, 9);
		sqlite3_bind_text(s, 10, x->contract, -1, SQLITE_STATIC);
		sqlite3_bind_int(s, 11, x->verdict);
		sqlite3_bind_text(s, 12, x->reason, -1, SQLITE_STATIC);
		if (x->reused >= 0)
			sqlite3_bind_int(s, 13, x->reused);
		else
			sqlite3_bind_null(s, 13);
		sqlite3_bind_text(s, 14, x->verified, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 15, x->duration_us);
		sqlite3_bind_int(s, 16, x->repeat);
		rc = sqlite3_step(s);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
		sqlite3_reset(s);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	*secs = gen_now() - t0;
out:
	if (rc != SQLITE_OK)
		fprintf(stderr, "lab-bench-ingest: ceiling: %s\n", sqlite3_errmsg(db));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return rc == SQLITE_OK ? 0 : -EIO;
}

/* the server's write path without HTTP: lab_store_results_ingest per batch */
static int store_path(const struct opts *o, const struct lab_result *res, long n,
		      int64_t *ids, double *secs)
{
	struct lab_store *st;
	double t0;
	int r;

	r = fresh_store(o->store_db, o->schema, (n + o->batch - 1) / o->batch, ids, &st);
	if (r)
		return r;
	t0 = gen_now();
	for (long b = 0; !r && b * o->batch < n; b++) {
		long cnt = n - b * o->batch < o->batch ? n - b * o->batch : o->batch;

		r = lab_store_results_ingest(st, ids[b], res + b * o->batch, (size_t)cnt);
	}
	*secs = gen_now() - t0;
	lab_store_close(st);
	return r;
}

static char *read_token(const char *path)
{
	char buf[512];
	FILE *f = fopen(path, "r");
	char *nl;

	if (!f)
		return NULL;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return NULL;
	}
	fclose(f);
	nl = strpbrk(buf, "\r\n");
	if (nl)
		*nl = 0;
	return strdup(buf);
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' }, { "url", required_argument, NULL, 'u' },
		{ "token", required_argument, NULL, 't' }, { "schema", required_argument, NULL, 's' },
		{ "ceiling-db", required_argument, NULL, 'c' },
		{ "store-db", required_argument, NULL, 'S' },
		{ "records", required_argument, NULL, 'n' }, { "batch", required_argument, NULL, 'b' },
		{ "conns", required_argument, NULL, 'C' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	struct opts o = { .records = 300000, .batch = 1500, .conns = 2 };
	struct lab_result *rows = NULL;
	struct lab_results_body *dec = NULL;
	struct run rn = { .o = &o, .lock = PTHREAD_MUTEX_INITIALIZER };
	const char *token_file = NULL;
	pthread_t th[64];
	struct lab_store *st;
	double t0, t_api, t_ceil = 0, t_store = 0, t_big = 0, t_parse = 0, mb = 0;
	long nrows = 0, njobs;
	int64_t *ids;
	int c, r, rc = 1;

	lab_log_set_level(LAB_LOG_WARN);

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': o.db = optarg; break;
		case 'u': o.url = optarg; break;
		case 't': token_file = optarg; break;
		case 's': o.schema = optarg; break;
		case 'c': o.ceiling_db = optarg; break;
		case 'S': o.store_db = optarg; break;
		case 'n': o.records = atol(optarg); break;
		case 'b': o.batch = atol(optarg); break;
		case 'C': o.conns = atoi(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!o.db || !o.url || !token_file || !o.schema || !o.ceiling_db || !o.store_db ||
	    o.records < 1 || o.batch < 1 || o.batch > 100000 || o.conns < 1 || o.conns > 64) {
		usage(stderr);
		return 2;
	}
	o.token = read_token(token_file);
	if (!o.token) {
		fprintf(stderr, "lab-bench-ingest: cannot read token file %s: %s\n", token_file,
			strerror(errno));
		return 1;
	}
	njobs = (o.records + o.batch - 1) / o.batch;
	o.records = njobs * o.batch;
	ids = calloc((size_t)njobs, sizeof(*ids));
	rn.bodies = calloc((size_t)njobs, sizeof(*rn.bodies));
	if (!ids || !rn.bodies)
		return 1;
	r = lab_store_open(o.db, o.schema, &st);
	if (!r) {
		r = setup_jobs(st, njobs, ids);
		lab_store_close(st);
	}
	if (r) {
		fprintf(stderr, "lab-bench-ingest: setting up jobs in %s: %s\n", o.db, strerror(-r));
		return 1;
	}
	printf("ingest: generating %ld records (%ld jobs x %ld)...\n", o.records, njobs, o.batch);
	fflush(stdout);
	for (long b = 0; b < njobs; b++)
		if (make_body(b, o.batch, ids[b], &rn.bodies[b]))
			return 1;
	rn.nbodies = njobs;
	curl_global_init(CURL_GLOBAL_DEFAULT);

	for (long b = 0; b < njobs; b++)
		mb += (double)rn.bodies[b].len / 1e6;
	t0 = gen_now();
	for (int i = 0; i < o.conns; i++)
		pthread_create(&th[i], NULL, poster, &rn);
	for (int i = 0; i < o.conns; i++)
		pthread_join(th[i], NULL);
	t_api = gen_now() - t0;
	if (rn.failed) {
		fprintf(stderr, "lab-bench-ingest: API run failed: %s\n", rn.errmsg);
		goto free_bodies;
	}
	printf("ingest: api      %ld results in %.3f s = %.0f results/s (%d conns, batch %ld, "
	       "%.1f MB of JSON)\n", (long)rn.stored, t_api, (double)rn.stored / t_api, o.conns,
	       o.batch, mb);
	fflush(stdout);

	dec = calloc((size_t)njobs, sizeof(*dec));
	if (!dec)
		goto free_bodies;
	t0 = gen_now();
	if (parse_rows(rn.bodies, njobs, dec, &rows, &nrows))
		goto free_rows;
	t_parse = gen_now() - t0;
	printf("ingest: parse    %ld results in %.3f s = %.0f results/s "
	       "(lab_results_body_decode only: the API's JSON floor)\n", nrows, t_parse,
	       nrows / t_parse);
	if ((r = store_path(&o, rows, nrows, ids, &t_store))) {
		fprintf(stderr, "lab-bench-ingest: store path: %s\n", strerror(-r));
		goto free_rows;
	}
	printf("ingest: store    %ld results in %.3f s = %.0f results/s "
	       "(lab_store_results_ingest, batch %ld)\n", nrows, t_store, nrows / t_store, o.batch);
	if ((r = ceiling(&o, rows, nrows, ids, NULL, &t_ceil))) {
		fprintf(stderr, "lab-bench-ingest: ceiling: %s\n", strerror(-r));
		goto free_rows;
	}
	printf("ingest: ceiling  %ld results in %.3f s = %.0f results/s "
	       "(one transaction, prepared INSERT, the store's pragmas)\n", nrows, t_ceil,
	       nrows / t_ceil);
	/* the same with a 256 MiB page cache: what index maintenance costs */
	if ((r = ceiling(&o, rows, nrows, ids, "PRAGMA cache_size=-262144", &t_big))) {
		fprintf(stderr, "lab-bench-ingest: ceiling: %s\n", strerror(-r));
		goto free_rows;
	}
	printf("ingest: ceiling  %ld results in %.3f s = %.0f results/s "
	       "(same, cache_size 256 MiB)\n", nrows, t_big, nrows / t_big);
	printf("ingest: ratio api/ceiling %.3f  api/store %.3f\n",
	       (rn.stored / t_api) / (nrows / t_ceil), (rn.stored / t_api) / (nrows / t_store));
	printf("BENCH ingest_api_per_s=%.0f ingest_store_per_s=%.0f ingest_ceiling_per_s=%.0f "
	       "ingest_ratio=%.3f ingest_ceiling_bigcache_per_s=%.0f ingest_parse_per_s=%.0f\n",
	       rn.stored / t_api, nrows / t_store, nrows / t_ceil,
	       (rn.stored / t_api) / (nrows / t_ceil), nrows / t_big, nrows / t_parse);
	rc = 0;
free_rows:
	for (long b = 0; dec && b < njobs; b++)
		lab_results_body_clear(&dec[b]);
	free(dec);
	free(rows);
free_bodies:
	for (long b = 0; b < njobs; b++)
		free(rn.bodies[b].text);
	free(rn.bodies);
	free(ids);
	free((char *)o.token);
	curl_global_cleanup();
	return rc;
}
