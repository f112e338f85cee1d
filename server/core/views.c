/* SPDX-License-Identifier: GPL-2.0 */
/*
 * views.c - JSON views of the store's rows (views.h): one row rule
 * (row_json()) for every document, and the matrix written as text by the
 * same rule (col_text()) for the cached fast path.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "jsonbuf.h"
#include "model.h"
#include "store.h"
#include "store_findings.h"
#include "store_health.h"
#include "outbox.h"
#include "store_provenance.h"
#include "views.h"

/* ---- one row as an object --------------------------------------------- */

#define ROW_COLS_MAX 64	/* the widest query has 18 columns */

/* how a column is written, by its name (the rule views.h states): row_json()
 * as a JSON value, col_text() as text; any other column as it is stored */
enum col_kind { COL_STATE, COL_VERDICT, COL_BOOL, COL_JSON, COL_PLAIN };

static const struct {
	const char *name;
	enum col_kind kind;
} col_kinds[] = {
	{ "state", COL_STATE },
	{ "verdict", COL_VERDICT }, { "old_verdict", COL_VERDICT },
	{ "reused", COL_BOOL }, { "has_log", COL_BOOL },
	{ "steps", COL_JSON }, { "tags", COL_JSON }, { "contracts", COL_JSON },
	{ "meta", COL_JSON }, { "spec", COL_JSON }, { "definition", COL_JSON },
	{ "attempts_log", COL_JSON }, { "payload", COL_JSON },	/* deliveries */
};

static enum col_kind col_kind(const char *name)
{
	for (size_t i = 0; i < sizeof(col_kinds) / sizeof(col_kinds[0]); i++)
		if (strcmp(name, col_kinds[i].name) == 0)
			return col_kinds[i].kind;
	return COL_PLAIN;
}

/* errno columns are also written by name: "observed_name": "EINVAL" */
static bool col_errno_named(const char *name)
{
	return strcmp(name, "observed") == 0 || strcmp(name, "expected") == 0;
}

/* one column (its value @c, its kind @k) as a JSON value; NULL: no memory */
static json_t *col_json(const struct lab_store_val *c, enum col_kind k)
{
	json_t *v;

	if (c->type == LAB_COL_NULL)
		return json_null();
	if (k == COL_STATE && c->type == LAB_COL_INT)
		return json_string(lab_job_state_name((int)c->i));
	if (k == COL_VERDICT && c->type == LAB_COL_INT)
		return json_string(lab_verdict_name((int)c->i));
	if (k == COL_BOOL && c->type == LAB_COL_INT)
		return json_boolean((int)c->i);
	if (c->type == LAB_COL_INT)
		return json_integer(c->i);
	if (c->type == LAB_COL_REAL)
		return json_real(c->d);
	if (k == COL_JSON) {
		v = json_loads(c->text, JSON_DECODE_ANY, NULL);
		return v ? v : json_string(c->text);
	}
	return json_stringn(c->text, c->len);
}

/* one row as an object: column names are keys, each value by col_json() */
static json_t *row_json(const struct lab_store_row *s)
{
	struct lab_store_val val[ROW_COLS_MAX];
	json_t *o;
	int n = lab_store_row_ncols(s);

	if (n > ROW_COLS_MAX)
		return NULL;
	lab_store_row_values(s, val, n);
	o = json_object();
	for (int i = 0; o && i < n; i++) {
		const struct lab_store_val *c = &val[i];
		const char *name = lab_store_row_name(s, i);
		json_t *v = col_json(c, col_kind(name));

		if (!v || json_object_set_new(o, name, v)) {
			json_decref(o);
			return NULL;
		}
		if (col_errno_named(name)) {
			char key[16];

			snprintf(key, sizeof(key), "%s_name", name);
			json_object_set_new(o, key, c->type == LAB_COL_INT ?
					    json_string(lab_errno_name((int)c->i)) : json_null());
		}
	}
	return o;
}

/* a row visitor: append the row's object to array @arg */
static int collect(const struct lab_store_row *row, void *arg)
{
	json_t *o = row_json(row);

	if (!o || json_array_append_new(arg, o))
		return -ENOMEM;
	return 0;
}

/* @r: what a _rows() call into array @arr returned; the array or -errno */
static int rows_json(int r, json_t *arr, json_t **out)
{
	if (!arr)
		return -ENOMEM;
	if (r < 0) {
		json_decref(arr);
		return r;
	}
	*out = arr;
	return 0;
}

/* the same for a get: its first row as an object, -ENOENT if none */
static int row_one(int r, json_t *arr, json_t **out)
{
	json_t *all;

	r = rows_json(r, arr, &all);
	if (r)
		return r;
	if (json_array_size(all) == 0) {
		json_decref(all);
		return -ENOENT;
	}
	*out = json_incref(json_array_get(all, 0));
	json_decref(all);
	return 0;
}

/* LIST(a, CALL, out): CALL, a _rows() call whose visitor is collect()
 * with the new array @a, fills it; the array into *out, or -errno.
 * ONE(a, CALL, out): its first row, -ENOENT when there is none */
#define LIST(a, call, out) ({ json_t *a = json_array(); \
	rows_json(a ? (call) : -ENOMEM, a, out); })
#define ONE(a, call, out) ({ json_t *a = json_array(); \
	row_one(a ? (call) : -ENOMEM, a, out); })

/* ---- catalogue, plans, jobs, results ---------------------------------- */

int lab_store_kernels_list(struct lab_store *st, json_t **out)
{
	return LIST(a, lab_store_kernels_rows(st, collect, a), out);
}

int lab_store_kernel_json(struct lab_store *st, const char *name, json_t **out)
{
	return ONE(a, lab_store_kernel_rows(st, name, collect, a), out);
}

/* kernel @id's row as an object (the matrix's "kernel") */
static int kernel_of(struct lab_store *st, int64_t id, json_t **out)
{
	return ONE(a, lab_store_kernel_id_rows(st, id, collect, a), out);
}

int lab_store_targets_list(struct lab_store *st, json_t **out)
{
	return LIST(a, lab_store_targets_rows(st, collect, a), out);
}

int lab_store_target_json(struct lab_store *st, const char *name, json_t **out)
{
	return ONE(a, lab_store_target_rows(st, name, collect, a), out);
}

int lab_store_cases_list(struct lab_store *st, json_t **out)
{
	return LIST(a, lab_store_cases_rows(st, collect, a), out);
}

int lab_store_verdict_history_list(struct lab_store *st, const char *case_id, int64_t limit,
				   json_t **out)
{
	return LIST(a, lab_store_verdict_history_rows(st, case_id, limit, collect, a), out);
}

int lab_store_case_json(struct lab_store *st, const char *case_id, json_t **out)
{
	return ONE(a, lab_store_case_rows(st, case_id, collect, a), out);
}

int lab_store_plans_list(struct lab_store *st, int64_t limit, int64_t offset,
			 json_t **out)
{
	return LIST(a, lab_store_plans_rows(st, limit, offset, collect, a), out);
}

/* (state, count, warnings, configuration errors) rows into the "jobs"
 * object and the plan's "warnings" and "configuration_errors" counts */
static int plan_state(const struct lab_store_row *row, void *plan)
{
	json_t *states = json_object_get(plan, "jobs");
	const char *const extra[] = { "warnings", "configuration_errors" };

	json_object_set_new(states, lab_job_state_name((int)lab_store_row_int(row, 0)),
			    json_integer(lab_store_row_int(row, 1)));
	for (int i = 0; i < 2; i++)
		json_object_set_new(plan, extra[i], json_integer(
			json_integer_value(json_object_get(plan, extra[i])) +
			lab_store_row_int(row, 2 + i)));
	return 0;
}

int lab_store_plan_json(struct lab_store *st, int64_t id, json_t **out)
{
	json_t *plan, *states;
	int r;

	r = ONE(a, lab_store_plan_rows(st, id, collect, a), &plan);
	if (r)
		return r;
	states = json_object();
	for (int i = LAB_JOB_QUEUED; i <= LAB_JOB_CANCELED; i++)
		json_object_set_new(states, lab_job_state_name(i), json_integer(0));
	json_object_set_new(plan, "jobs", states);
	json_object_set_new(plan, "warnings", json_integer(0));
	json_object_set_new(plan, "configuration_errors", json_integer(0));
	r = lab_store_plan_states_rows(st, id, plan_state, plan);
	if (r < 0) {
		json_decref(plan);
		return r;
	}
	*out = plan;
	return 0;
}

int lab_store_jobs_list(struct lab_store *st, const struct lab_job_filter *f,
			json_t **out)
{
	return LIST(a, lab_store_jobs_rows(st, f, collect, a), out);
}

int lab_store_job_json(struct lab_store *st, int64_t id, json_t **out)
{
	json_t *prov = NULL;
	int r;

	r = ONE(a, lab_store_job_rows(st, id, collect, a), out);
	if (r)
		return r;
	/* what made its results (store_provenance.h), null until a run recorded it */
	r = ONE(a, lab_store_provenance_rows(st, id, collect, a), &prov);
	if (r == -ENOENT) {
		prov = json_null();
		r = 0;
	}
	if (!r && json_object_set_new(*out, "provenance", prov))
		r = -ENOMEM;
	if (r) {
		json_decref(*out);
		*out = NULL;
	}
	return r;
}

int lab_store_results_query(struct lab_store *st,
			    const struct lab_result_filter *f, json_t **out)
{
	return LIST(a, lab_store_results_rows(st, f, collect, a), out);
}

/* (job_id, qemu_version) rows into {"<job_id>": version} */
static int qemu_of_job(const struct lab_store_row *row, void *map)
{
	char key[24];

	snprintf(key, sizeof(key), "%lld", (long long)lab_store_row_int(row, 0));
	return json_object_set_new(map, key, json_string(lab_store_row_text(row, 1, NULL)))
	       ? -ENOMEM : 0;
}

/* the side's rows, each with "qemu": its job's QEMU version (null when the
 * job recorded none), from one provenance query for the whole side */
int lab_store_diff_side(struct lab_store *st, bool by_plan, int64_t id,
			json_t **out)
{
	json_t *map = json_object(), *row;
	char key[24];
	size_t i;
	int r;

	if (!map)
		return -ENOMEM;
	r = lab_store_provenance_side_rows(st, by_plan, id, qemu_of_job, map);	/* rows */
	if (r >= 0)
		r = LIST(a, lab_store_diff_side_rows(st, by_plan, id, collect, a), out);
	if (!r)
		json_array_foreach(*out, i, row) {
			json_t *q;

			snprintf(key, sizeof(key), "%lld",
				 (long long)json_integer_value(json_object_get(row, "job_id")));
			q = json_object_get(map, key);
			if (json_object_set(row, "qemu", q ? q : json_null())) {
				json_decref(*out);
				*out = NULL;
				r = -ENOMEM;
				break;
			}
		}
	json_decref(map);
	return r;
}

/* (observed, count) rows into {"EINVAL": count, ...} */
static int errno_count(const struct lab_store_row *row, void *dist)
{
	json_object_set_new(dist, lab_errno_name((int)lab_store_row_int(row, 0)),
			    json_integer(lab_store_row_int(row, 1)));
	return 0;
}

int lab_store_result_errnos(struct lab_store *st, int64_t result_id, json_t **out)
{
	json_t *dist = json_object();
	int r;

	if (!dist)
		return -ENOMEM;
	r = lab_store_result_errnos_rows(st, result_id, errno_count, dist);
	if (r >= 0 && !json_object_size(dist))
		r = -ENOENT;
	if (r < 0) {
		json_decref(dist);
		return r;
	}
	*out = dist;
	return 0;
}

/* ---- the matrix --------------------------------------------------------- */

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

int lab_store_matrix(struct lab_store *st, int64_t kernel_id, json_t **out)
{
	json_t *cells, *m, *drivers, *cases, *targets, *summary, *c, *kern, *seen[3];
	int counts[LAB_VERDICT_LAST + 1] = { 0 };
	enum lab_verdict vd;
	size_t i;
	int r;

	r = kernel_of(st, kernel_id, &kern);
	if (r)
		return r;
	r = LIST(a, lab_store_matrix_rows(st, kernel_id, collect, a), &cells);
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
	for (int v = LAB_VERDICT_PASS; v <= LAB_VERDICT_LAST; v++)
		json_object_set_new(summary, lab_verdict_name(v), json_integer(counts[v]));
	m = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o}", "kernel", kern,
		      "drivers", drivers, "targets", targets, "cases", cases,
		      "summary", summary, "cells", cells);
	if (!m)
		return -ENOMEM;
	*out = m;
	return 0;
}

/* ---- the matrix as text, without per-row JSON (the cached fast path) --- */

/* how row_json() writes a column, decided once per statement */
struct col_plan {
	enum col_kind kind;
	bool errno_name;	/* also "<name>_name": the errno's name */
	char key[40];		/* "\"name\":" */
	char name_key[48];	/* "\"name_name\":" */
};

static void plan_cols(const struct lab_store_row *s, struct col_plan *p, int n)
{
	for (int i = 0; i < n; i++) {
		const char *name = lab_store_row_name(s, i);

		p[i].kind = col_kind(name);
		p[i].errno_name = col_errno_named(name);
		snprintf(p[i].key, sizeof(p[i].key), "\"%s\":", name);
		snprintf(p[i].name_key, sizeof(p[i].name_key), "\"%s_name\":", name);
	}
}

/* one column (its value @c) as row_json() would have it, as text */
static void col_text(struct lab_jsonbuf *b, const struct lab_store_val *c,
		     const struct col_plan *p)
{
	if (c->type == LAB_COL_NULL) {
		lab_jsonbuf_null(b);
	} else if (p->kind == COL_STATE && c->type == LAB_COL_INT) {
		lab_jsonbuf_str(b, lab_job_state_name((int)c->i));
	} else if (p->kind == COL_VERDICT && c->type == LAB_COL_INT) {
		lab_jsonbuf_str(b, lab_verdict_name((int)c->i));
	} else if (p->kind == COL_BOOL && c->type == LAB_COL_INT) {
		lab_jsonbuf_bool(b, (int)c->i != 0);
	} else if (c->type == LAB_COL_INT) {
		lab_jsonbuf_int(b, c->i);
	} else if (c->type == LAB_COL_REAL) {
		lab_jsonbuf_real(b, c->d);
	} else if (p->kind == COL_JSON) {
		json_t *v = json_loads(c->text, JSON_DECODE_ANY, NULL);

		if (v)
			lab_jsonbuf_json(b, v);
		else
			lab_jsonbuf_str(b, c->text);
		json_decref(v);
	} else {
		lab_jsonbuf_strn(b, c->text, c->len);
	}
	if (p->errno_name) {
		lab_jsonbuf_raw(b, ",", 1);
		lab_jsonbuf_lit(b, p->name_key);
		if (c->type == LAB_COL_INT)
			lab_jsonbuf_str(b, lab_errno_name((int)c->i));
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

/* the string a text column would be in row_json(), else NULL */
static const char *col_str(const struct lab_store_val *c)
{
	return c->type == LAB_COL_TEXT ? c->text : NULL;
}

/* what the matrix text visitor builds */
struct mtext {
	struct lab_jsonbuf cells;
	struct strset sets[3];	/* drivers, cases, targets */
	int counts[LAB_VERDICT_LAST + 1];
	struct col_plan cp[16];
	int ncols;		/* 0 until the first row */
	size_t ncells;
};

static int mtext_row(const struct lab_store_row *s, void *arg)
{
	struct mtext *m = arg;
	struct lab_store_val v[16];
	const char *str;

	if (!m->ncols) {
		m->ncols = lab_store_row_ncols(s);
		if (m->ncols > (int)(sizeof(m->cp) / sizeof(m->cp[0])))
			return -EIO;
		plan_cols(s, m->cp, m->ncols);
	}
	lab_store_row_values(s, v, m->ncols);
	if (m->ncells++)
		lab_jsonbuf_raw(&m->cells, ",", 1);
	lab_jsonbuf_raw(&m->cells, "{", 1);
	for (int i = 0; i < m->ncols; i++) {
		if (i)
			lab_jsonbuf_raw(&m->cells, ",", 1);
		lab_jsonbuf_lit(&m->cells, m->cp[i].key);
		col_text(&m->cells, &v[i], &m->cp[i]);
	}
	lab_jsonbuf_raw(&m->cells, "}", 1);
	/* columns 0-3: target, driver, case, verdict (lab_store_matrix_rows) */
	if ((str = col_str(&v[1])))
		strset_add(&m->sets[0], str);
	if ((str = col_str(&v[2])))
		strset_add(&m->sets[1], str);
	if ((str = col_str(&v[0])))
		strset_add(&m->sets[2], str);
	if (v[3].type == LAB_COL_INT) {
		int vd = (int)v[3].i;

		if (vd >= LAB_VERDICT_PASS && vd <= LAB_VERDICT_LAST)
			m->counts[vd]++;
	}
	return 0;
}

int lab_store_matrix_text(struct lab_store *st, int64_t kernel_id, char **out,
			  size_t *len)
{
	struct lab_jsonbuf doc = { 0 };
	struct mtext m = { 0 };
	struct strset *sets = m.sets;
	int *counts = m.counts;
	json_t *kern;
	int r;

	r = kernel_of(st, kernel_id, &kern);
	if (r)
		return r;
	lab_jsonbuf_raw(&m.cells, "[", 1);
	r = lab_store_matrix_rows(st, kernel_id, mtext_row, &m);
	if (r < 0)
		goto free_bufs;
	lab_jsonbuf_raw(&m.cells, "]", 1);
	r = m.cells.err ? m.cells.err : sets[0].err ? sets[0].err : sets[1].err ? sets[1].err : sets[2].err;
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
	for (int v = LAB_VERDICT_PASS; v <= LAB_VERDICT_LAST; v++) {
		if (v != LAB_VERDICT_PASS)
			lab_jsonbuf_raw(&doc, ",", 1);
		lab_jsonbuf_key(&doc, lab_verdict_name(v));
		lab_jsonbuf_int(&doc, counts[v]);
	}
	lab_jsonbuf_lit(&doc, "},\"cells\":");
	lab_jsonbuf_raw(&doc, m.cells.p, m.cells.len);
	lab_jsonbuf_raw(&doc, "}", 1);
	r = lab_jsonbuf_take(&doc, out, len);
free_bufs:
	lab_jsonbuf_free(&doc);
	lab_jsonbuf_free(&m.cells);
	for (int k = 0; k < 3; k++)
		strset_free(&sets[k]);
	json_decref(kern);
	return r;
}

/* ---- findings ------------------------------------------------------------ */

int lab_store_findings_list(struct lab_store *st, const struct lab_finding_filter *f,
			    json_t **out)
{
	return LIST(a, lab_store_findings_rows(st, f, collect, a), out);
}

int lab_store_finding_json(struct lab_store *st, int64_t id, json_t **out)
{
	json_t *o = NULL, *ev = NULL, *links = NULL;
	int r;

	r = ONE(a, lab_store_finding_rows(st, id, collect, a), &o);
	if (!r)
		r = LIST(a, lab_store_finding_events_rows(st, id, collect, a), &ev);
	if (!r)
		r = LIST(a, lab_store_finding_links_rows(st, id, collect, a), &links);
	if (r)
		goto put_all;
	/* set_new takes the reference even when it fails */
	r = json_object_set_new(o, "events", ev) ? -ENOMEM : 0;
	ev = NULL;
	if (!r)
		r = json_object_set_new(o, "links", links) ? -ENOMEM : 0;
	links = NULL;
	if (r)
		goto put_all;
	*out = o;
	return 0;
put_all:
	json_decref(ev);
	json_decref(links);
	json_decref(o);
	return r;
}

int lab_store_known_issues_list(struct lab_store *st, json_t **out)
{
	return LIST(a, lab_store_known_issues_rows(st, collect, a), out);
}

int lab_store_known_issue_json(struct lab_store *st, int64_t id, json_t **out)
{
	return ONE(a, lab_store_known_issue_rows(st, id, collect, a), out);
}

int lab_store_health_history(struct lab_store *st, int64_t target_id, json_t **out)
{
	return LIST(a, lab_store_health_rows(st, target_id, collect, a), out);
}

int lab_store_subscriptions_list(struct lab_store *st, json_t **out)
{
	return LIST(a, lab_store_subscriptions_rows(st, collect, a), out);
}

int lab_store_deliveries_list(struct lab_store *st, int64_t sub_id, json_t **out)
{
	return LIST(a, lab_store_deliveries_rows(st, sub_id, collect, a), out);
}
