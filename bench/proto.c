/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proto.c - lab-bench-proto: what the read paths could cost. A measuring
 * prototype, not server code.
 *
 *   lab-bench-proto --db FILE --schema DIR --base KERNEL --head KERNEL [--iterations N]
 *
 * Times, on the same DB and in the same run:
 *   current   lab_store_matrix() / lab_diff_run() + json_dumps(JSON_COMPACT):
 *             what GET /api/v1/matrix and /diffs do per request
 *   proto     the same SQL rows (the store's matrix and diff-side queries)
 *             written straight to JSON text with a small escaper, the diff
 *             merged over two sorted C arrays and classified with the
 *             server's own lab_diff_classify(); no per-row JSON objects
 * and checks that both produce the same number of cells/rows. The gap is
 * what a serializer without per-row jansson objects would buy (bench/README).
 *
 * Errors: exit 1 with a message; 2 for usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "diff.h"
#include "gen.h"
#include "log.h"
#include "record.h"
#include "store.h"
#include "views.h"

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
}

static void puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void put_str(struct buf *b, const unsigned char *s)
{
	if (!s) {
		puts_(b, "null");
		return;
	}
	put(b, "\"", 1);
	for (const unsigned char *c = s; *c; c++) {
		char e[8];

		if (*c == '"' || *c == '\\') {
			e[0] = '\\';
			e[1] = (char)*c;
			put(b, e, 2);
		} else if (*c < 0x20) {
			put(b, e, (size_t)snprintf(e, sizeof(e), "\\u%04x", *c));
		} else {
			put(b, (const char *)c, 1);
		}
	}
	put(b, "\"", 1);
}

static void put_int(struct buf *b, sqlite3_stmt *s, int col)
{
	char n[24];

	if (sqlite3_column_type(s, col) == SQLITE_NULL)
		puts_(b, "null");
	else
		put(b, n, (size_t)snprintf(n, sizeof(n), "%lld",
					   (long long)sqlite3_column_int64(s, col)));
}

static const char matrix_sql[] =
	"SELECT t.name, r.driver, l.case_id, r.verdict, r.observed, r.expected, r.contract, "
	"r.reason, r.reused, r.verified, r.id, l.job_id, l.runs, l.distinct_observed "
	"FROM latest l JOIN results r ON r.id = l.result_id JOIN targets t ON t.id = l.target_id "
	"WHERE l.kernel_id = ?1 ORDER BY r.driver, t.name, l.case_id";
static const char side_sql[] =
	"SELECT t.name, r.driver, l.case_id, r.observed, r.expected, r.verdict, r.id "
	"FROM latest l JOIN results r ON r.id = l.result_id JOIN targets t ON t.id = l.target_id "
	"WHERE l.kernel_id = ?1 ORDER BY t.name, l.case_id";

static size_t proto_matrix(sqlite3 *db, sqlite3_stmt *s, int64_t kid, struct buf *b)
{
	static const char *const keys[] = { "target", "driver", "case", "verdict", "observed",
		"expected", "contract", "reason", "reused", "verified", "result_id", "job_id",
		"runs", "distinct_observed" };
	size_t n = 0;

	(void)db;
	b->len = 0;
	puts_(b, "{\"cells\":[");
	sqlite3_bind_int64(s, 1, kid);
	while (sqlite3_step(s) == SQLITE_ROW) {
		if (n++)
			put(b, ",", 1);
		put(b, "{", 1);
		for (int c = 0; c < 14; c++) {
			if (c)
				put(b, ",", 1);
			put(b, "\"", 1);
			puts_(b, keys[c]);
			put(b, "\":", 2);
			if (c == 3)
				put_str(b, (const unsigned char *)lab_verdict_name(sqlite3_column_int(s, c)));
			else if (sqlite3_column_type(s, c) == SQLITE_TEXT)
				put_str(b, sqlite3_column_text(s, c));
			else
				put_int(b, s, c);
		}
		put(b, "}", 1);
	}
	sqlite3_reset(s);
	puts_(b, "]}");
	return n;
}

struct row {
	char target[64], kase[100], driver[32];
	int observed, expected, verdict;
	int64_t id;
};

static size_t load_side(sqlite3_stmt *s, int64_t kid, struct row **out)
{
	size_t n = 0, cap = 1024;
	struct row *r = malloc(cap * sizeof(*r));

	sqlite3_bind_int64(s, 1, kid);
	while (r && sqlite3_step(s) == SQLITE_ROW) {
		if (n == cap)
			r = realloc(r, (cap *= 2) * sizeof(*r));
		if (!r)
			break;
		snprintf(r[n].target, sizeof(r[n].target), "%s", sqlite3_column_text(s, 0));
		snprintf(r[n].driver, sizeof(r[n].driver), "%s", sqlite3_column_text(s, 1));
		snprintf(r[n].kase, sizeof(r[n].kase), "%s", sqlite3_column_text(s, 2));
		r[n].observed = sqlite3_column_int(s, 3);
		r[n].expected = sqlite3_column_type(s, 4) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 4);
		r[n].verdict = sqlite3_column_int(s, 5);
		r[n].id = sqlite3_column_int64(s, 6);
		n++;
	}
	sqlite3_reset(s);
	*out = r;
	return r ? n : 0;
}

static void put_side(struct buf *b, const struct row *r)
{
	char t[256];

	if (!r) {
		puts_(b, "null");
		return;
	}
	put(b, t, (size_t)snprintf(t, sizeof(t), "{\"observed\":%d,\"observed_name\":\"%s\","
				   "\"expected\":", r->observed, lab_errno_name(r->observed)));
	if (r->expected < 0)
		puts_(b, "null,\"expected_name\":null");
	else
		put(b, t, (size_t)snprintf(t, sizeof(t), "%d,\"expected_name\":\"%s\"", r->expected,
					   lab_errno_name(r->expected)));
	put(b, t, (size_t)snprintf(t, sizeof(t), ",\"verdict\":\"%s\",\"result_id\":%lld}",
				   lab_verdict_name(r->verdict), (long long)r->id));
}

static size_t proto_diff(sqlite3_stmt *s, int64_t base, int64_t head, struct buf *b)
{
	struct row *x, *y;
	size_t nx = load_side(s, base, &x), ny = load_side(s, head, &y), i = 0, j = 0, n = 0;
	int counts[LAB_DIFF_NCLASSES] = { 0 };
	char t[128];

	b->len = 0;
	puts_(b, "{\"rows\":[");
	while (i < nx || j < ny) {
		int c = i >= nx ? 1 : j >= ny ? -1 : strcmp(x[i].target, y[j].target);
		const struct row *bx, *hy;
		enum lab_diff_class k;

		if (!c)
			c = strcmp(x[i].kase, y[j].kase);
		bx = c <= 0 ? &x[i] : NULL;
		hy = c >= 0 ? &y[j] : NULL;
		k = lab_diff_classify(bx, bx ? bx->observed : 0, bx ? bx->verdict : 0,
				      hy, hy ? hy->observed : 0, hy ? hy->verdict : 0);
		counts[k]++;
		if (n++)
			put(b, ",", 1);
		puts_(b, "{\"target\":");
		put_str(b, (const unsigned char *)(hy ? hy : bx)->target);
		puts_(b, ",\"driver\":");
		put_str(b, (const unsigned char *)(hy ? hy : bx)->driver);
		puts_(b, ",\"case\":");
		put_str(b, (const unsigned char *)(hy ? hy : bx)->kase);
		put(b, t, (size_t)snprintf(t, sizeof(t), ",\"class\":\"%s\",\"base\":",
					   lab_diff_class_name(k)));
		put_side(b, bx);
		puts_(b, ",\"head\":");
		put_side(b, hy);
		put(b, "}", 1);
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
	}
	puts_(b, "],\"summary\":{");
	for (int k = 0; k < LAB_DIFF_NCLASSES; k++)
		put(b, t, (size_t)snprintf(t, sizeof(t), "%s\"%s\":%d", k ? "," : "",
					   lab_diff_class_name(k), counts[k]));
	puts_(b, "}}");
	free(x);
	free(y);
	return n;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *t, int n)
{
	qsort(t, (size_t)n, sizeof(double), cmp_double);
	return t[n / 2];
}

/*
 * The end of timing a current-code answer: serialise @v as the server does
 * (seconds since @t0 returned), note how many items its array @key holds
 * and its size in bytes. Consumes @v.
 */
static double dump_answer(json_t *v, double t0, const char *key, size_t *items, size_t *bytes)
{
	char *s = json_dumps(v, JSON_COMPACT);
	double dt = gen_now() - t0;

	*items = json_array_size(json_object_get(v, key));
	*bytes = s ? strlen(s) : 0;
	free(s);
	json_decref(v);
	return dt;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "db", required_argument, NULL, 'd' }, { "schema", required_argument, NULL, 's' },
		{ "base", required_argument, NULL, 'b' }, { "head", required_argument, NULL, 'H' },
		{ "iterations", required_argument, NULL, 'i' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	const char *dbp = NULL, *schema = NULL, *base = NULL, *head = NULL;
	struct lab_kernel kb = { 0 }, kh = { 0 };
	struct buf b = { 0 };
	struct lab_store *st;
	sqlite3_stmt *ms, *ds;
	sqlite3 *db;
	double tcm[64], tpm[64], tcd[64], tpd[64];
	size_t lcm = 0, lpm = 0, lcd = 0, lpd = 0, ncm = 0, npm = 0, ncd = 0, npd = 0;
	int iters = 10, c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'd': dbp = optarg; break;
		case 's': schema = optarg; break;
		case 'b': base = optarg; break;
		case 'H': head = optarg; break;
		case 'i': iters = atoi(optarg); break;
		case 'h':
			printf("usage: lab-bench-proto --db FILE --schema DIR --base K --head K "
			       "[--iterations N]\n");
			return 0;
		default: return 2;
		}
	}
	if (!dbp || !schema || !base || !head || iters < 1 || iters > 64) {
		fprintf(stderr, "lab-bench-proto: --db, --schema, --base, --head needed "
			"(--iterations 1..64)\n");
		return 2;
	}
	lab_log_set_level(LAB_LOG_WARN);
	if (lab_store_open(dbp, schema, &st) || lab_store_kernel_get(st, base, &kb) ||
	    lab_store_kernel_get(st, head, &kh)) {
		fprintf(stderr, "lab-bench-proto: cannot open %s or find %s/%s\n", dbp, base, head);
		return 1;
	}
	if (sqlite3_open_v2(dbp, &db, SQLITE_OPEN_READONLY, NULL) ||
	    sqlite3_prepare_v2(db, matrix_sql, -1, &ms, NULL) ||
	    sqlite3_prepare_v2(db, side_sql, -1, &ds, NULL)) {
		fprintf(stderr, "lab-bench-proto: %s\n", sqlite3_errmsg(db));
		return 1;
	}
	for (int i = 0; i < iters; i++) {
		json_t *v;
		char err[256];
		double t0 = gen_now();

		if (lab_store_matrix(st, kh.id, &v))
			return 1;
		tcm[i] = dump_answer(v, t0, "cells", &ncm, &lcm);

		t0 = gen_now();
		npm = proto_matrix(db, ms, kh.id, &b);
		tpm[i] = gen_now() - t0;
		lpm = b.len;

		t0 = gen_now();
		if (lab_diff_run(st, false, base, head, false, &v, err, sizeof(err)))
			return 1;
		tcd[i] = dump_answer(v, t0, "rows", &ncd, &lcd);

		t0 = gen_now();
		npd = proto_diff(ds, kb.id, kh.id, &b);
		tpd[i] = gen_now() - t0;
		lpd = b.len;
	}
	printf("proto: matrix %s: current %.1f ms (%zu cells, %zu bytes), proto %.1f ms "
	       "(%zu cells, %zu bytes)\n", head, median(tcm, iters) * 1e3, ncm, lcm,
	       median(tpm, iters) * 1e3, npm, lpm);
	printf("proto: diff %s..%s: current %.1f ms (%zu rows, %zu bytes), proto %.1f ms "
	       "(%zu rows, %zu bytes)\n", base, head, median(tcd, iters) * 1e3, ncd, lcd,
	       median(tpd, iters) * 1e3, npd, lpd);
	printf("BENCH proto_matrix_current_ms=%.2f proto_matrix_ms=%.2f proto_diff_current_ms=%.2f "
	       "proto_diff_ms=%.2f\n", median(tcm, iters) * 1e3, median(tpm, iters) * 1e3,
	       median(tcd, iters) * 1e3, median(tpd, iters) * 1e3);
	sqlite3_finalize(ms);
	sqlite3_finalize(ds);
	sqlite3_close(db);
	lab_kernel_clear(&kb);
	lab_kernel_clear(&kh);
	lab_store_close(st);
	free(b.p);
	return ncm == npm && ncd == npd ? 0 : 1;
}
