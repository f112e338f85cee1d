/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_results.c - results and the latest table: ingest, queries, matrix, diff sides (store.h; shared helpers: store_int.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>
#include <jansson.h>

#include "jsonbuf.h"
#include "log.h"
#include "model.h"
#include "store.h"
#include "store_int.h"

/* ---- results -------------------------------------------------------------- */

static int result_valid(const struct lab_result *r)
{
	if (!store_valid_case_id(r->case_id) || !r->driver || !*r->driver ||
	    strlen(r->driver) > 64 || !r->steps_json ||
	    r->observed < 0 || r->observed > 4095 ||
	    r->expected < -1 || r->expected > 4095 ||
	    (unsigned)r->verdict > LAB_VERDICT_ERROR ||
	    r->reused < -1 || r->reused > 1 || r->repeat < 0 || r->duration_us < 0)
		return -EINVAL;
	return 0;
}

/* the caller's strings outlive the step, and store_done() clears the bindings */
static void bind_text_static(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, i);
}

/*
 * One transaction per batch. Foreign-key enforcement is off for it: the job
 * row is read inside the same IMMEDIATE transaction and kernel_id/target_id
 * are copied from it, and nothing deletes jobs, kernels or targets, so the
 * three parent lookups per row SQLite would make can never fail (they cost
 * ~12% of the insert; bench/README.md). PRAGMA foreign_keys only changes
 * outside a transaction, hence before BEGIN and after COMMIT/ROLLBACK.
 */
int lab_store_results_ingest(struct lab_store *st, int64_t job_id,
			     const struct lab_result *res, size_t n)
{
	int64_t now = (int64_t)time(NULL);
	struct lab_job job;
	sqlite3_stmt *s;
	int r;

	for (size_t i = 0; i < n; i++)
		if (result_valid(&res[i]))
			return -EINVAL;
	r = store_tx(st, S_FK_OFF);
	if (r)
		return r;
	r = store_tx(st, S_BEGIN_IMM);
	if (r)
		goto fk_on;
	r = lab_store_job_get(st, job_id, &job);
	if (r)
		goto rollback_tx;
	if (job.state != LAB_JOB_SCHEDULED && job.state != LAB_JOB_RUNNING) {
		r = -EALREADY;	/* results belong to a run in progress */
		goto clear_job;
	}
	s = store_stmt(st, S_RESULT_INSERT);
	if (!s) {
		r = -EIO;
		goto clear_job;
	}
	for (size_t i = 0; i < n; i++) {
		const struct lab_result *x = &res[i];

		sqlite3_bind_int64(s, 1, job_id);
		sqlite3_bind_int64(s, 2, job.kernel_id);
		sqlite3_bind_int64(s, 3, job.target_id);
		bind_text_static(s, 4, x->case_id);
		bind_text_static(s, 5, x->driver);
		bind_text_static(s, 6, x->iommu);
		bind_text_static(s, 7, x->steps_json);
		sqlite3_bind_int(s, 8, x->observed);
		if (x->expected >= 0)
			sqlite3_bind_int(s, 9, x->expected);
		bind_text_static(s, 10, x->contract);
		sqlite3_bind_int(s, 11, x->verdict);
		bind_text_static(s, 12, x->reason);
		if (x->reused >= 0)
			sqlite3_bind_int(s, 13, x->reused);
		bind_text_static(s, 14, x->verified);
		sqlite3_bind_int64(s, 15, x->duration_us);
		sqlite3_bind_int(s, 16, x->repeat);
		sqlite3_bind_int64(s, 17, now);	/* once per batch, not strftime() per row */
		r = store_exec_stmt(st, s, "result insert");
		if (r)
			goto clear_job;
	}
	r = store_tx(st, S_COMMIT);
	if (r)
		goto clear_job;
	lab_job_clear(&job);
	if (store_tx(st, S_FK_ON))
		lab_error("store: %s: foreign keys could not be turned back on", st->path);
	return 0;
clear_job:
	lab_job_clear(&job);
rollback_tx:
	store_rollback(st);
fk_on:
	if (store_tx(st, S_FK_ON))
		lab_error("store: %s: foreign keys could not be turned back on", st->path);
	return r;
}

static sqlite3_stmt *results_list_stmt(struct lab_store *st, unsigned mask)
{
	static const char *const where[RESULT_FILTERS] = {
		/* by kernel: its jobs (jobs_kernel), then their results
		 * (results_job); results carry no kernel index (0003) */
		" AND r.job_id IN (SELECT j.id FROM jobs j WHERE j.kernel_id = ?1)",
		" AND r.target_id = ?2", " AND r.job_id = ?3",
		" AND r.driver = ?4", " AND r.case_id = ?5", " AND r.verdict = ?6",
		" AND r.id < ?7",
	};

	return store_filtered_stmt(st, st->results_list, mask,
		"SELECT r.id, r.job_id, k.name AS kernel, t.name AS target, "
		"r.case_id AS \"case\", r.driver, r.iommu, r.steps, r.observed, r.expected, "
		"r.contract, r.verdict, r.reason, r.reused, r.verified, r.duration_us, "
		"r.repeat, r.created_at FROM results r "
		"JOIN kernels k ON k.id = r.kernel_id JOIN targets t ON t.id = r.target_id WHERE 1",
		where, RESULT_FILTERS, " ORDER BY r.id DESC LIMIT ?8 OFFSET ?9");
}

int lab_store_results_query(struct lab_store *st,
			    const struct lab_result_filter *f, json_t **out)
{
	unsigned mask = (f->kernel_id > 0) | (f->target_id > 0) << 1 |
			(f->job_id > 0) << 2 | (f->driver != NULL) << 3 |
			(f->case_id != NULL) << 4 | (f->verdict >= 0) << 5 |
			(f->before_id > 0) << 6;
	sqlite3_stmt *s = results_list_stmt(st, mask);

	if (!s)
		return -EIO;
	store_bind_id(s, 1, f->kernel_id);
	store_bind_id(s, 2, f->target_id);
	store_bind_id(s, 3, f->job_id);
	store_bind_text(s, 4, f->driver);
	store_bind_text(s, 5, f->case_id);
	if (f->verdict >= 0)
		sqlite3_bind_int(s, 6, f->verdict);
	store_bind_id(s, 7, f->before_id);
	sqlite3_bind_int64(s, 8, f->limit > 0 ? f->limit : 100);
	sqlite3_bind_int64(s, 9, f->offset > 0 ? f->offset : 0);
	return store_rows_json(st, s, out, "results query");
}

/* append @s to @arr once; @seen (an object used as a hash set) remembers */
static void add_unique(json_t *arr, json_t *seen, const char *s)
{
	if (!s || json_object_get(seen, s))
		return;
	json_object_set_new(seen, s, json_true());
	json_array_append_new(arr, json_string(s));
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

static void sort_strings(json_t *arr)
{
	size_t n = json_array_size(arr);
	json_t **v = calloc(n ? n : 1, sizeof(*v));

	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		v[i] = json_incref(json_array_get(arr, i));
	qsort(v, n, sizeof(*v), cmp_json_str);
	json_array_clear(arr);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, v[i]);
	free(v);
}

/*
 * What both matrix builders start from: kernel @kernel_id's row as an
 * object in *@kern (-ENOENT: unknown kernel) and S_MATRIX bound to that
 * kernel in *@cells, for the caller to step. On error nothing is held.
 */
static int matrix_start(struct lab_store *st, int64_t kernel_id, json_t **kern,
			sqlite3_stmt **cells)
{
	sqlite3_stmt *s = store_stmt(st, S_MATRIX);
	int r;

	if (!s)
		return -EIO;
	r = store_row_one(st, store_stmt_by_id(st, S_KERNEL_GET_ID, kernel_id), kern, "kernel get");
	if (r)
		return r;
	sqlite3_bind_int64(s, 1, kernel_id);
	*cells = s;
	return 0;
}

int lab_store_matrix(struct lab_store *st, int64_t kernel_id, json_t **out)
{
	sqlite3_stmt *s;
	json_t *cells, *m, *drivers, *cases, *targets, *summary, *c, *kern, *seen[3];
	int counts[LAB_VERDICT_ERROR + 1] = { 0 };
	enum lab_verdict vd;
	size_t i;
	int r;

	r = matrix_start(st, kernel_id, &kern, &s);
	if (r)
		return r;
	r = store_rows_json(st, s, &cells, "matrix");
	if (r) {
		json_decref(kern);
		return r;
	}
	drivers = json_array();
	cases = json_array();
	targets = json_array();
	seen[0] = json_object();
	seen[1] = json_object();
	seen[2] = json_object();
	json_array_foreach(cells, i, c) {
		add_unique(drivers, seen[0], json_string_value(json_object_get(c, "driver")));
		add_unique(cases, seen[1], json_string_value(json_object_get(c, "case")));
		add_unique(targets, seen[2], json_string_value(json_object_get(c, "target")));
		if (!lab_verdict_parse(json_string_value(json_object_get(c, "verdict")), &vd))
			counts[vd]++;
	}
	for (int k = 0; k < 3; k++)
		json_decref(seen[k]);
	sort_strings(cases);
	sort_strings(targets);
	summary = json_object();
	for (int v = LAB_VERDICT_PASS; v <= LAB_VERDICT_ERROR; v++)
		json_object_set_new(summary, lab_verdict_name(v), json_integer(counts[v]));
	m = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "kernel", kern,
		      "drivers", drivers, "targets", targets, "cases", cases,
		      "summary", summary, "cells", cells);
	if (!m)
		return -ENOMEM;
	*out = m;
	return 0;
}

int lab_store_diff_side(struct lab_store *st, bool by_plan, int64_t id,
			json_t **out)
{
	return store_rows_json(st, store_stmt_by_id(st, by_plan ? S_DIFF_PLAN : S_DIFF_KERNEL, id),
			 out, "diff side");
}

/* ---- fast read paths: matrix and diff sides without per-row JSON ---------- */

/* how store_row_json() writes a column, decided once per statement */
enum col_kind { COL_STATE, COL_VERDICT, COL_BOOL, COL_JSON, COL_PLAIN };

struct col_plan {
	enum col_kind kind;
	bool errno_name;	/* also "<name>_name": the errno's name */
	char key[40];		/* "\"name\":" */
	char name_key[48];	/* "\"name_name\":" */
};

static void plan_cols(sqlite3_stmt *s, struct col_plan *p, int n)
{
	for (int i = 0; i < n; i++) {
		const char *name = sqlite3_column_name(s, i);

		p[i].kind = strcmp(name, "state") == 0 ? COL_STATE :
			    strcmp(name, "verdict") == 0 ? COL_VERDICT :
			    strcmp(name, "reused") == 0 || strcmp(name, "has_log") == 0 ? COL_BOOL :
			    store_is_json_col(name) ? COL_JSON : COL_PLAIN;
		p[i].errno_name = strcmp(name, "observed") == 0 || strcmp(name, "expected") == 0;
		snprintf(p[i].key, sizeof(p[i].key), "\"%s\":", name);
		snprintf(p[i].name_key, sizeof(p[i].name_key), "\"%s_name\":", name);
	}
}

/* one column as store_row_json() would have it (the same value, as text) */
static void col_text(struct lab_jsonbuf *b, sqlite3_stmt *s, int i,
		     const struct col_plan *p)
{
	int type = sqlite3_column_type(s, i);

	if (type == SQLITE_NULL) {
		lab_jsonbuf_null(b);
	} else if (p->kind == COL_STATE) {
		lab_jsonbuf_str(b, lab_job_state_name(sqlite3_column_int(s, i)));
	} else if (p->kind == COL_VERDICT) {
		lab_jsonbuf_str(b, lab_verdict_name(sqlite3_column_int(s, i)));
	} else if (p->kind == COL_BOOL) {
		lab_jsonbuf_bool(b, sqlite3_column_int(s, i) != 0);
	} else if (type == SQLITE_INTEGER) {
		lab_jsonbuf_int(b, sqlite3_column_int64(s, i));
	} else if (type == SQLITE_FLOAT) {
		lab_jsonbuf_real(b, sqlite3_column_double(s, i));
	} else if (p->kind == COL_JSON) {
		const char *t = (const char *)sqlite3_column_text(s, i);
		json_t *v = json_loads(t, JSON_DECODE_ANY, NULL);

		if (v)
			lab_jsonbuf_json(b, v);
		else
			lab_jsonbuf_str(b, t);
		json_decref(v);
	} else {
		const char *t = (const char *)sqlite3_column_text(s, i);

		lab_jsonbuf_strn(b, t, (size_t)sqlite3_column_bytes(s, i));
	}
	if (p->errno_name) {
		lab_jsonbuf_raw(b, ",", 1);
		lab_jsonbuf_lit(b, p->name_key);
		if (type == SQLITE_INTEGER)
			lab_jsonbuf_str(b, lab_errno_name(sqlite3_column_int(s, i)));
		else
			lab_jsonbuf_null(b);
	}
}

/* a set of strings: unique, in first-seen order (@order) and sorted */
struct strset {
	char **sorted;
	char **order;
	size_t n, cap;
	int err;
};

static void strset_add(struct strset *ss, const char *str)
{
	size_t lo = 0, hi = ss->n;
	char *copy;

	if (ss->err)
		return;
	/* rows come grouped: the last one added is the usual hit */
	if (ss->n && strcmp(ss->order[ss->n - 1], str) == 0)
		return;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(ss->sorted[mid], str);

		if (!c)
			return;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (ss->n == ss->cap) {
		size_t cap = ss->cap ? ss->cap * 2 : 64;
		char **a = realloc(ss->sorted, cap * sizeof(*a));

		if (a)
			ss->sorted = a;
		a = a ? realloc(ss->order, cap * sizeof(*a)) : NULL;
		if (!a) {
			ss->err = -ENOMEM;
			return;
		}
		ss->order = a;
		ss->cap = cap;
	}
	copy = strdup(str);
	if (!copy) {
		ss->err = -ENOMEM;
		return;
	}
	memmove(ss->sorted + lo + 1, ss->sorted + lo, (ss->n - lo) * sizeof(char *));
	ss->sorted[lo] = copy;
	ss->order[ss->n++] = copy;
}

static void strset_json(struct lab_jsonbuf *b, char **v, size_t n)
{
	lab_jsonbuf_raw(b, "[", 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			lab_jsonbuf_raw(b, ",", 1);
		lab_jsonbuf_str(b, v[i]);
	}
	lab_jsonbuf_raw(b, "]", 1);
}

static void strset_free(struct strset *ss)
{
	for (size_t i = 0; i < ss->n; i++)
		free(ss->order[i]);
	free(ss->order);
	free(ss->sorted);
}

/* the string a TEXT/BLOB column would be in store_row_json(), else NULL */
static const char *col_str(sqlite3_stmt *s, int i)
{
	int t = sqlite3_column_type(s, i);

	return t == SQLITE_TEXT || t == SQLITE_BLOB ? (const char *)sqlite3_column_text(s, i) : NULL;
}

int lab_store_matrix_text(struct lab_store *st, int64_t kernel_id, char **out,
			  size_t *len)
{
	struct lab_jsonbuf cells = { 0 }, doc = { 0 };
	struct strset sets[3] = { { 0 } };	/* drivers, cases, targets */
	int counts[LAB_VERDICT_ERROR + 1] = { 0 };
	struct col_plan cp[16];
	const char *str;
	sqlite3_stmt *s;
	json_t *kern;
	size_t ncells = 0;
	int ncols, rc, r;

	r = matrix_start(st, kernel_id, &kern, &s);
	if (r)
		return r;
	ncols = sqlite3_column_count(s);
	if (ncols > (int)(sizeof(cp) / sizeof(cp[0]))) {
		r = -EIO;
		goto put_kern;
	}
	plan_cols(s, cp, ncols);
	lab_jsonbuf_raw(&cells, "[", 1);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (ncells++)
			lab_jsonbuf_raw(&cells, ",", 1);
		lab_jsonbuf_raw(&cells, "{", 1);
		for (int i = 0; i < ncols; i++) {
			if (i)
				lab_jsonbuf_raw(&cells, ",", 1);
			lab_jsonbuf_lit(&cells, cp[i].key);
			col_text(&cells, s, i, &cp[i]);
		}
		lab_jsonbuf_raw(&cells, "}", 1);
		/* columns 0-3: target, driver, case, verdict (S_MATRIX) */
		if ((str = col_str(s, 1)))
			strset_add(&sets[0], str);
		if ((str = col_str(s, 2)))
			strset_add(&sets[1], str);
		if ((str = col_str(s, 0)))
			strset_add(&sets[2], str);
		if (sqlite3_column_type(s, 3) != SQLITE_NULL) {
			int v = sqlite3_column_int(s, 3);

			if (v >= LAB_VERDICT_PASS && v <= LAB_VERDICT_ERROR)
				counts[v]++;
		}
	}
	r = rc == SQLITE_DONE ? 0 : store_db_err(st, rc, "matrix");
	store_done(s);
	if (r)
		goto free_bufs;
	lab_jsonbuf_raw(&cells, "]", 1);
	r = cells.err ? cells.err : sets[0].err ? sets[0].err : sets[1].err ? sets[1].err : sets[2].err;
	if (r)
		goto free_bufs;
	/* the same members, in the same order, as lab_store_matrix() */
	lab_jsonbuf_lit(&doc, "{\"kernel\":");
	lab_jsonbuf_json(&doc, kern);
	lab_jsonbuf_lit(&doc, ",\"drivers\":");
	strset_json(&doc, sets[0].order, sets[0].n);
	lab_jsonbuf_lit(&doc, ",\"targets\":");
	strset_json(&doc, sets[2].sorted, sets[2].n);
	lab_jsonbuf_lit(&doc, ",\"cases\":");
	strset_json(&doc, sets[1].sorted, sets[1].n);
	lab_jsonbuf_lit(&doc, ",\"summary\":{");
	for (int v = LAB_VERDICT_PASS; v <= LAB_VERDICT_ERROR; v++) {
		if (v != LAB_VERDICT_PASS)
			lab_jsonbuf_raw(&doc, ",", 1);
		lab_jsonbuf_key(&doc, lab_verdict_name(v));
		lab_jsonbuf_int(&doc, counts[v]);
	}
	lab_jsonbuf_lit(&doc, "},\"cells\":");
	lab_jsonbuf_raw(&doc, cells.p, cells.len);
	lab_jsonbuf_raw(&doc, "}", 1);
	r = lab_jsonbuf_take(&doc, out, len);
free_bufs:
	lab_jsonbuf_free(&doc);
	lab_jsonbuf_free(&cells);
	for (int k = 0; k < 3; k++)
		strset_free(&sets[k]);
put_kern:
	json_decref(kern);
	return r;
}

void lab_store_side_free(struct lab_store_side *side)
{
	if (!side)
		return;
	free(side->rows);
	free(side->pool);
	memset(side, 0, sizeof(*side));
}

/* append @s (NUL included) to the side's pool; its offset or SIZE_MAX */
static size_t pool_add(struct lab_store_side *side, size_t *cap, const char *s)
{
	size_t n = strlen(s) + 1, off = side->pool_len;

	if (off + n > *cap) {
		size_t c = *cap ? *cap * 2 : 16384;
		char *p;

		while (c < off + n)
			c *= 2;
		p = realloc(side->pool, c);
		if (!p)
			return SIZE_MAX;
		side->pool = p;
		*cap = c;
	}
	memcpy(side->pool + off, s, n);
	side->pool_len += n;
	return off;
}

int lab_store_diff_side_load(struct lab_store *st, bool by_plan, int64_t id,
			     struct lab_store_side *out)
{
	sqlite3_stmt *s = store_stmt_by_id(st, by_plan ? S_DIFF_PLAN : S_DIFF_KERNEL, id);
	struct lab_store_side side = { 0 };
	size_t cap = 0, pcap = 0;
	int rc, r = 0;

	if (!s)
		return -EIO;
	/* columns: target, driver, case, observed, expected, verdict,
	 * result_id, runs, distinct_observed (S_DIFF_KERNEL/S_DIFF_PLAN) */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lab_store_side_row *row;
		const char *t = col_str(s, 0), *d = col_str(s, 1), *c = col_str(s, 2);

		if (side.n == cap) {
			size_t nc = cap ? cap * 2 : 1024;
			struct lab_store_side_row *a = realloc(side.rows, nc * sizeof(*a));

			if (!a) {
				r = -ENOMEM;
				break;
			}
			side.rows = a;
			cap = nc;
		}
		row = &side.rows[side.n];
		row->target_off = pool_add(&side, &pcap, t ? t : "");
		row->driver_off = pool_add(&side, &pcap, d ? d : "");
		row->case_off = pool_add(&side, &pcap, c ? c : "");
		if (row->target_off == SIZE_MAX || row->driver_off == SIZE_MAX ||
		    row->case_off == SIZE_MAX) {
			r = -ENOMEM;
			break;
		}
		row->observed = sqlite3_column_int64(s, 3);
		row->has_expected = sqlite3_column_type(s, 4) == SQLITE_INTEGER;
		row->expected = sqlite3_column_int64(s, 4);
		row->verdict = sqlite3_column_int(s, 5);
		row->result_id = sqlite3_column_int64(s, 6);
		row->runs = sqlite3_column_int64(s, 7);
		row->distinct_observed = sqlite3_column_int64(s, 8);
		side.n++;
	}
	if (!r && rc != SQLITE_DONE)
		r = store_db_err(st, rc, "diff side");
	store_done(s);
	if (r) {
		lab_store_side_free(&side);
		return r;
	}
	*out = side;
	return 0;
}

int lab_store_result_errnos(struct lab_store *st, int64_t result_id, json_t **out)
{
	sqlite3_stmt *s = store_stmt(st, S_RESULT_ERRNOS);
	json_t *dist;
	int rc;

	if (!s)
		return -EIO;
	dist = json_object();
	if (!dist)
		return -ENOMEM;
	sqlite3_bind_int64(s, 1, result_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_object_set_new(dist, lab_errno_name(sqlite3_column_int(s, 0)),
				    json_integer(sqlite3_column_int64(s, 1)));
	rc = rc == SQLITE_DONE ? 0 : store_db_err(st, rc, "result errnos");
	store_done(s);
	if (!rc && !json_object_size(dist))
		rc = -ENOENT;
	if (rc) {
		json_decref(dist);
		return rc;
	}
	*out = dist;
	return 0;
}
