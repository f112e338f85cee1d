/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_jobs.c - jobs and plans: creation, the state machine, lists (store.h; shared helpers: store_int.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "log.h"
#include "model.h"
#include "store.h"
#include "store_int.h"

/* ---- jobs ------------------------------------------------------------------- */

int lab_store_job_create(struct lab_store *st, struct lab_job *j)
{
	sqlite3_stmt *s = store_stmt(st, S_JOB_INSERT);
	int r;

	if (!s)
		return -EIO;
	if (!j || j->kernel_id <= 0 || j->target_id <= 0 || j->priority < -1000 ||
	    j->priority > 1000 || j->max_attempts < 0 || j->timeout_s < 0 ||
	    j->repeat < 0 || !j->backend)
		return -EINVAL;
	store_bind_id(s, 1, j->plan_id);
	sqlite3_bind_int64(s, 2, j->kernel_id);
	sqlite3_bind_int64(s, 3, j->target_id);
	sqlite3_bind_int(s, 4, j->priority);
	sqlite3_bind_int(s, 5, j->max_attempts ? j->max_attempts : 3);
	sqlite3_bind_int(s, 6, j->timeout_s ? j->timeout_s : 600);
	sqlite3_bind_int(s, 7, j->repeat ? j->repeat : 1);
	store_bind_text(s, 8, j->case_filter);
	store_bind_text(s, 9, j->backend);
	r = store_exec_stmt(st, s, "job create");
	if (!r) {
		j->id = sqlite3_last_insert_rowid(st->db);
		j->state = LAB_JOB_QUEUED;
	}
	return r;
}

int lab_store_job_get(struct lab_store *st, int64_t id, struct lab_job *out)
{
	return store_row_struct(st, store_stmt_by_id(st, S_JOB_GET, id), &store_job_layout, out);
}

int lab_store_job_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn, void *arg)
{
	return store_rows_each(st, store_stmt_by_id(st, S_JOB_GET_JSON, id), fn, arg, "job get");
}

static bool transition_legal(enum lab_job_state from, enum lab_job_state to)
{
	switch (from) {
	case LAB_JOB_QUEUED:
		return to == LAB_JOB_SCHEDULED || to == LAB_JOB_CANCELED;
	case LAB_JOB_SCHEDULED:
		return to == LAB_JOB_RUNNING || to == LAB_JOB_QUEUED ||
		       to == LAB_JOB_CANCELED;
	case LAB_JOB_RUNNING:
		return to == LAB_JOB_COMPLETE || to == LAB_JOB_INCOMPLETE ||
		       to == LAB_JOB_CANCELED;
	case LAB_JOB_INCOMPLETE:
		return to == LAB_JOB_QUEUED;
	case LAB_JOB_COMPLETE:
	case LAB_JOB_CANCELED:
		return false;
	}
	return false;
}

static int job_state(struct lab_store *st, int64_t id, int *state)
{
	sqlite3_stmt *s = store_stmt(st, S_JOB_STATE);
	int rc, r = 0;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*state = sqlite3_column_int(s, 0);
	else
		r = rc == SQLITE_DONE ? -ENOENT : store_db_err(st, rc, "job state");
	store_done(s);
	return r;
}

/*
 * The outcome of a conditional UPDATE of job @id whose store_exec_stmt() gave
 * @r: 0 when it changed the job; when it changed nothing, -ENOENT if there
 * is no such job, else @refused (the job was not in the state required).
 */
static int job_update_result(struct lab_store *st, int64_t id, int r, int refused)
{
	int cur;

	if (r)
		return r;
	if (sqlite3_changes(st->db) == 1)
		return 0;
	r = job_state(st, id, &cur);
	return r ? r : refused;
}

/* the CAS itself; -EAGAIN when the state was not @from (-ENOENT: no job) */
static int job_cas(struct lab_store *st, int64_t id, enum lab_job_state from,
		   enum lab_job_state to, const char *reason)
{
	sqlite3_stmt *s = store_stmt(st, S_JOB_TRANSITION);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, from);
	sqlite3_bind_int(s, 3, to);
	store_bind_text(s, 4, reason);
	return job_update_result(st, id, store_exec_stmt(st, s, "job transition"), -EAGAIN);
}

int lab_store_job_transition(struct lab_store *st, int64_t id,
			     enum lab_job_state from, enum lab_job_state to,
			     const char *reason)
{
	sqlite3_stmt *s;
	int r;

	if ((unsigned)from > LAB_JOB_CANCELED || (unsigned)to > LAB_JOB_CANCELED ||
	    !transition_legal(from, to))
		return -EINVAL;
	if (to != LAB_JOB_COMPLETE)
		return job_cas(st, id, from, to, reason);
	/* complete: the job's results become the latest, atomically */
	r = store_tx(st, S_BEGIN_IMM);
	if (r)
		return r;
	r = job_cas(st, id, from, to, reason);
	if (r)
		goto rollback_tx;
	s = store_stmt(st, S_LATEST_REFRESH);
	if (!s) {
		r = -EIO;
		goto rollback_tx;
	}
	sqlite3_bind_int64(s, 1, id);
	r = store_exec_stmt(st, s, "latest refresh");
	if (r)
		goto rollback_tx;
	r = store_tx(st, S_COMMIT);
	if (r)
		goto rollback_tx;
	return 0;
rollback_tx:
	store_rollback(st);
	return r;
}

int lab_store_job_retry(struct lab_store *st, int64_t id, const char *reason)
{
	sqlite3_stmt *s = store_stmt(st, S_JOB_RETRY);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, reason);
	/* not incomplete: retry is not a legal move (-EINVAL) */
	return job_update_result(st, id, store_exec_stmt(st, s, "job retry"), -EINVAL);
}

int lab_store_job_set_backend(struct lab_store *st, int64_t id,
			      const char *backend_job_id, const char *log_path)
{
	sqlite3_stmt *s = store_stmt(st, S_JOB_SET_BACKEND);
	int r;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, backend_job_id);
	store_bind_text(s, 3, log_path);
	r = store_exec_stmt(st, s, "job set backend");
	if (!r && sqlite3_changes(st->db) == 0)
		r = -ENOENT;
	return r;
}

int lab_store_job_next(struct lab_store *st, struct lab_job *out)
{
	return store_row_struct(st, store_stmt(st, S_JOB_NEXT), &store_job_layout, out);
}

int lab_store_jobs_in_state(struct lab_store *st, enum lab_job_state state,
			    int64_t *ids, size_t max, size_t *n)
{
	sqlite3_stmt *s = store_stmt(st, S_JOBS_IN_STATE);
	int rc, r = 0;

	*n = 0;
	if (!s)
		return -EIO;
	sqlite3_bind_int(s, 1, state);
	sqlite3_bind_int64(s, 2, (int64_t)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = sqlite3_column_int64(s, 0);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = store_db_err(st, rc, "jobs in state");
	store_done(s);
	return r;
}

int lab_store_jobs_recover(struct lab_store *st, int *recovered)
{
	int r, n = 0;

	r = store_tx(st, S_BEGIN_IMM);
	if (r)
		return r;
	/* never started: back to the queue */
	r = store_exec_sql(st, "UPDATE jobs SET state = 0, reason = 'server restarted before the job started', "
		     "updated_at = " NOW " WHERE state = 1", "recover scheduled");
	if (r)
		goto rollback_tx;
	n += sqlite3_changes(st->db);
	/* running: incomplete, and requeued while attempts remain */
	r = store_exec_sql(st, "UPDATE jobs SET state = CASE WHEN attempts < max_attempts THEN 0 ELSE 4 END, "
		     "reason = 'server restarted while the job ran', "
		     "finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE " NOW " END, "
		     "started_at = CASE WHEN attempts < max_attempts THEN NULL ELSE started_at END, "
		     "updated_at = " NOW " WHERE state = 2", "recover running");
	if (r)
		goto rollback_tx;
	n += sqlite3_changes(st->db);
	r = store_tx(st, S_COMMIT);
	if (r)
		goto rollback_tx;
	if (recovered)
		*recovered = n;
	return 0;
rollback_tx:
	store_rollback(st);
	return r;
}

static sqlite3_stmt *jobs_list_stmt(struct lab_store *st, unsigned mask)
{
	static const char *const where[JOB_FILTERS] = {
		" AND j.state = ?1", " AND j.kernel_id = ?2", " AND j.target_id = ?3",
		" AND j.plan_id = ?4", " AND j.id < ?5",
	};

	return store_filtered_stmt(st, st->jobs_list, mask,
		"SELECT j.id, j.plan_id, k.name AS kernel, t.name AS target, j.state, "
		"j.priority, j.attempts, j.max_attempts, j.backend, j.backend_job_id, j.reason, "
		"j.created_at, j.started_at, j.finished_at "
		"FROM jobs j JOIN kernels k ON k.id = j.kernel_id "
		"JOIN targets t ON t.id = j.target_id WHERE 1",
		where, JOB_FILTERS, " ORDER BY j.id DESC LIMIT ?6 OFFSET ?7");
}

int lab_store_jobs_rows(struct lab_store *st, const struct lab_job_filter *f,
			lab_store_row_fn fn, void *arg)
{
	unsigned mask = (f->state >= 0) | (f->kernel_id > 0) << 1 |
			(f->target_id > 0) << 2 | (f->plan_id > 0) << 3 |
			(f->before_id > 0) << 4;
	sqlite3_stmt *s = jobs_list_stmt(st, mask);

	if (!s)
		return -EIO;
	if (f->state >= 0)
		sqlite3_bind_int(s, 1, f->state);
	store_bind_id(s, 2, f->kernel_id);
	store_bind_id(s, 3, f->target_id);
	store_bind_id(s, 4, f->plan_id);
	store_bind_id(s, 5, f->before_id);
	sqlite3_bind_int64(s, 6, f->limit > 0 ? f->limit : 50);
	sqlite3_bind_int64(s, 7, f->offset > 0 ? f->offset : 0);
	return store_rows_each(st, s, fn, arg, "jobs list");
}

/* ---- plans ---------------------------------------------------------------- */

/* plan expansion (the JSON plan -> jobs) is above the store: plan.c */
int lab_store_plan_insert(struct lab_store *st, const char *name, const char *kind,
			  const char *spec, const char *cases, int repeat,
			  int priority, const char *created_by, int64_t *plan_id)
{
	sqlite3_stmt *s = store_stmt(st, S_PLAN_INSERT);
	int r;

	if (!s)
		return -EIO;
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, kind);
	store_bind_text(s, 3, spec);
	store_bind_text(s, 4, cases);
	sqlite3_bind_int(s, 5, repeat);
	sqlite3_bind_int(s, 6, priority);
	store_bind_text(s, 7, created_by);
	r = store_exec_stmt(st, s, "plan insert");
	if (r)
		return r;
	*plan_id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int lab_store_plans_rows(struct lab_store *st, int64_t limit, int64_t offset,
			 lab_store_row_fn fn, void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_PLANS_LIST);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, limit > 0 ? limit : 50);
	sqlite3_bind_int64(s, 2, offset > 0 ? offset : 0);
	return store_rows_each(st, s, fn, arg, "plans list");
}

int lab_store_plan_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn, void *arg)
{
	return store_rows_each(st, store_stmt_by_id(st, S_PLAN_GET, id), fn, arg, "plan get");
}

/* rows (state, count) of plan @id's jobs */
int lab_store_plan_states_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn,
			       void *arg)
{
	return store_rows_each(st, store_stmt_by_id(st, S_PLAN_JOBS, id), fn, arg, "plan jobs");
}
