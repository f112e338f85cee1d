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

#include "log.h"
#include "model.h"
#include "store.h"
#include "store_int.h"
#include "store_provenance.h"

/* ---- results -------------------------------------------------------------- */

static int result_valid(const struct lab_result *r)
{
	if (!store_valid_case_id(r->case_id) || !r->driver || !*r->driver ||
	    strlen(r->driver) > 64 || !r->steps_json ||
	    r->observed < 0 || r->observed > 4095 ||
	    r->expected < -1 || r->expected > 4095 ||
	    (unsigned)r->verdict > LAB_VERDICT_LAST ||
	    (r->has_contract_verdict && (unsigned)r->contract_verdict > LAB_VERDICT_ERROR) ||
	    r->reused < -1 || r->reused > 1 || r->repeat < 0 || r->duration_us < 0 ||
	    r->contract_version < 0 || (unsigned)r->judged_by > LAB_JUDGED_RECORD)
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
		bind_text_static(s, 18, x->kernel_kind);
		bind_text_static(s, 19, x->kernel_excerpt);
		if (x->has_contract_verdict)
			sqlite3_bind_int(s, 20, x->contract_verdict);
		else
			sqlite3_bind_null(s, 20);
		if (x->has_taint) {
			sqlite3_bind_int64(s, 21, x->taint_before);
			sqlite3_bind_int64(s, 22, x->taint_after);
		} else {
			sqlite3_bind_null(s, 21);
			sqlite3_bind_null(s, 22);
		}
		if (x->contract_version > 0)
			sqlite3_bind_int(s, 23, x->contract_version);
		else
			sqlite3_bind_null(s, 23);
		bind_text_static(s, 24, lab_judged_by_name(x->judged_by));
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
		"r.repeat, r.created_at, r.kernel_kind, r.kernel_excerpt FROM results r "
		"JOIN kernels k ON k.id = r.kernel_id JOIN targets t ON t.id = r.target_id WHERE 1",
		where, RESULT_FILTERS, " ORDER BY r.id DESC LIMIT ?8 OFFSET ?9");
}

int lab_store_results_rows(struct lab_store *st, const struct lab_result_filter *f,
			   lab_store_row_fn fn, void *arg)
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
	return store_rows_each(st, s, fn, arg, "results query");
}

int lab_store_matrix_rows(struct lab_store *st, int64_t kernel_id, lab_store_row_fn fn,
			  void *arg)
{
	return store_rows_each(st, store_stmt_by_id(st, S_MATRIX, kernel_id), fn, arg, "matrix");
}

int lab_store_diff_side_rows(struct lab_store *st, bool by_plan, int64_t id,
			     lab_store_row_fn fn, void *arg)
{
	return store_rows_each(st, store_stmt_by_id(st, by_plan ? S_DIFF_PLAN : S_DIFF_KERNEL, id),
			       fn, arg, "diff side");
}

/* ---- fast read path: diff sides without per-row JSON ---------------------- */

/* a TEXT/BLOB column's text, else NULL */
static const char *col_str(sqlite3_stmt *s, int i)
{
	int t = sqlite3_column_type(s, i);

	return t == SQLITE_TEXT || t == SQLITE_BLOB ? (const char *)sqlite3_column_text(s, i) : NULL;
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

/* the QEMU versions of a side's jobs, in its pool: job_id ascending */
struct side_qemu {
	struct lab_store_side *side;
	size_t *pcap;
	struct { int64_t job; size_t off; } *v;
	size_t n, cap;
};

static int side_qemu_row(const struct lab_store_row *row, void *arg)
{
	struct side_qemu *q = arg;
	const char *ver = lab_store_row_text(row, 1, NULL);
	size_t off;

	if (q->n == q->cap) {
		size_t nc = q->cap ? q->cap * 2 : 64;
		void *a = realloc(q->v, nc * sizeof(*q->v));

		if (!a)
			return -ENOMEM;
		q->v = a;
		q->cap = nc;
	}
	off = pool_add(q->side, q->pcap, ver ? ver : "");
	if (off == SIZE_MAX)
		return -ENOMEM;
	q->v[q->n].job = lab_store_row_int(row, 0);
	q->v[q->n++].off = off;
	return 0;
}

/* the pool offset of @job's QEMU version, else @none; @hint: the last
 * index found (a side's rows come job by job within a target) */
static size_t side_qemu_of(const struct side_qemu *q, int64_t job, size_t none, size_t *hint)
{
	size_t lo = 0, hi = q->n;

	if (*hint < q->n && q->v[*hint].job == job)
		return q->v[*hint].off;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (q->v[mid].job < job)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < q->n && q->v[lo].job == job) {
		*hint = lo;
		return q->v[lo].off;
	}
	return none;
}

int lab_store_diff_side_load(struct lab_store *st, bool by_plan, int64_t id,
			     const char *target, struct lab_store_side *out)
{
	struct lab_store_side side = { 0 };
	size_t cap = 0, pcap = 0, none, hint = 0;
	struct side_qemu qv = { .side = &side, .pcap = &pcap };
	sqlite3_stmt *s;
	int rc, r;

	/* the side's QEMU versions first, one query (store_provenance.h), into
	 * the pool the rows then point into; "" for a job that recorded none */
	none = pool_add(&side, &pcap, "");
	if (none == SIZE_MAX)
		return -ENOMEM;
	r = lab_store_provenance_side_rows(st, by_plan, id, side_qemu_row, &qv);
	if (r < 0) {
		free(qv.v);
		lab_store_side_free(&side);
		return r;
	}
	s = store_stmt_by_id(st, by_plan ? S_DIFF_PLAN : S_DIFF_KERNEL, id);
	if (!s) {
		free(qv.v);
		lab_store_side_free(&side);
		return -EIO;
	}
	r = 0;
	bind_text_static(s, 2, target);	/* NULL: every target */
	/* columns: target, driver, case, observed, expected, verdict,
	 * result_id, runs, distinct_observed, steps, outcomes, job_id
	 * (S_DIFF_KERNEL/S_DIFF_PLAN) */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lab_store_side_row *row;
		const char *t = col_str(s, 0), *d = col_str(s, 1), *c = col_str(s, 2);
		const char *sp = col_str(s, 9), *oc = col_str(s, 10);

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
		row->steps_off = pool_add(&side, &pcap, sp ? sp : "[]");
		row->outcomes_off = pool_add(&side, &pcap, oc ? oc : "");
		row->qemu_off = side_qemu_of(&qv, sqlite3_column_int64(s, 11), none, &hint);
		if (row->target_off == SIZE_MAX || row->driver_off == SIZE_MAX ||
		    row->case_off == SIZE_MAX || row->steps_off == SIZE_MAX ||
		    row->outcomes_off == SIZE_MAX || row->qemu_off == SIZE_MAX) {
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
	free(qv.v);
	if (r) {
		lab_store_side_free(&side);
		return r;
	}
	*out = side;
	return 0;
}

/* rows (observed, count): the repeats of result @result_id's cell */
int lab_store_result_errnos_rows(struct lab_store *st, int64_t result_id,
				 lab_store_row_fn fn, void *arg)
{
	return store_rows_each(st, store_stmt_by_id(st, S_RESULT_ERRNOS, result_id), fn, arg,
			       "result errnos");
}
