/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_health.c - target health tables (store_health.h; shared helpers:
 * store_int.h). Statements are prepared per call: these run once per
 * scheduler second or per request, never per result.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "store.h"
#include "store_health.h"
#include "store_int.h"

/* run @sql (parameters ?1..?n bound by @bind) once */
static int exec1(struct lab_store *st, const char *sql, void (*bind)(sqlite3_stmt *, void *),
		 void *arg, const char *what)
{
	sqlite3_stmt *s = store_prep_sql(st, sql);
	int rc;

	if (!s)
		return -EIO;
	if (bind)
		bind(s, arg);
	rc = sqlite3_step(s);
	rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : store_db_err(st, rc, what);
	sqlite3_finalize(s);
	return rc;
}

struct logrow {
	int64_t target_id, job_id;
	const char *event, *health, *reason, *by, *state;
};

/* binds ?1..?8 (a statement ignores the ones it does not name) */
static void bind_log(sqlite3_stmt *s, void *arg)
{
	struct logrow *l = arg;

	sqlite3_bind_int64(s, 1, l->target_id);
	store_bind_text(s, 2, l->event);
	store_bind_text(s, 3, l->health);
	store_bind_id(s, 4, l->job_id);
	store_bind_text(s, 5, l->reason);
	store_bind_text(s, 6, l->by);
	sqlite3_bind_int64(s, 7, (int64_t)time(NULL));
	store_bind_text(s, 8, l->state);
}

/* inside a transaction: the health update and the log row */
static int log_in_tx(struct lab_store *st, struct logrow *l)
{
	int r = 0;

	if (l->health)
		r = exec1(st, "UPDATE targets SET health = ?3, updated_at = ?7 WHERE id = ?1",
			  bind_log, l, "target health");
	if (!r && l->health && sqlite3_changes(st->db) != 1)
		r = -ENOENT;
	if (!r)
		r = exec1(st, "INSERT INTO target_health_log (target_id, event, health, job_id, "
			  "reason, by_name, at) SELECT ?1, ?2, coalesce(?3, health), ?4, ?5, ?6, ?7 "
			  "FROM targets WHERE id = ?1", bind_log, l, "health log");
	return r;
}

static int in_tx(struct lab_store *st, int (*fn)(struct lab_store *, struct logrow *),
		 struct logrow *l)
{
	int r = lab_store_tx_begin(st);

	if (r)
		return r;
	r = fn(st, l);
	if (!r)
		r = lab_store_tx_commit(st);
	if (r)
		lab_store_tx_rollback(st);
	return r;
}

int lab_store_health_log(struct lab_store *st, int64_t target_id, const char *event,
			 const char *health, int64_t job_id, const char *reason, const char *by)
{
	struct logrow l = { target_id, job_id, event, health, reason, by, NULL };

	return in_tx(st, log_in_tx, &l);
}

static int admin_in_tx(struct lab_store *st, struct logrow *l)
{
	int r = exec1(st, "INSERT INTO target_admin (target_id, state, reason, by_name, at) "
		      "VALUES (?1, ?8, ?5, ?6, ?7) ON CONFLICT (target_id) DO UPDATE SET "
		      "state = excluded.state, reason = excluded.reason, by_name = excluded.by_name, "
		      "at = excluded.at",
		      bind_log, l, "target admin");

	return r ? r : log_in_tx(st, l);
}

int lab_store_target_admin_set(struct lab_store *st, int64_t target_id, const char *state,
			       const char *health, const char *reason, const char *by)
{
	char ev[32];
	struct logrow l = { target_id, 0, ev, health, reason, by, state };

	snprintf(ev, sizeof(ev), "state %s", state);
	return in_tx(st, admin_in_tx, &l);
}

int lab_store_target_admin_get(struct lab_store *st, int64_t target_id, char *state, size_t n)
{
	sqlite3_stmt *s = store_prep_sql(st, "SELECT state FROM target_admin WHERE target_id = ?1");
	int rc;

	snprintf(state, n, "active");
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, target_id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		snprintf(state, n, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -EIO;
}

static int add_in_tx(struct lab_store *st, struct logrow *l)
{
	int r = exec1(st, "INSERT INTO health_jobs (job_id, target_id, why) VALUES (?4, ?1, ?5) "
		      "ON CONFLICT (job_id) DO NOTHING", bind_log, l, "health job");

	return r ? r : log_in_tx(st, l);
}

int lab_store_health_job_add(struct lab_store *st, int64_t job_id, int64_t target_id,
			     const char *why)
{
	struct logrow l = { target_id, job_id, "check-queued", NULL, why, NULL, NULL };

	return in_tx(st, add_in_tx, &l);
}

int lab_store_health_done(struct lab_store *st, struct lab_health_done *out, size_t max,
			  size_t *n)
{
	sqlite3_stmt *s = store_prep_sql(st,
		"SELECT h.job_id, h.target_id, j.state, "
		" (SELECT count(*) FROM results r WHERE r.job_id = j.id AND r.verdict NOT IN (0, 2)), "
		" (SELECT count(*) FROM results r WHERE r.job_id = j.id), coalesce(j.reason, '') "
		"FROM health_jobs h JOIN jobs j ON j.id = h.job_id "
		"WHERE h.judged = 0 AND j.state IN (3, 4, 5) ORDER BY h.job_id LIMIT ?1");
	int rc;

	*n = 0;
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, (int64_t)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lab_health_done *d = &out[(*n)++];

		d->job_id = sqlite3_column_int64(s, 0);
		d->target_id = sqlite3_column_int64(s, 1);
		d->state = sqlite3_column_int(s, 2);
		d->bad = sqlite3_column_int64(s, 3);
		d->results = sqlite3_column_int64(s, 4);
		snprintf(d->reason, sizeof(d->reason), "%s", (const char *)sqlite3_column_text(s, 5));
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_db_err(st, rc, "health done");
}

static void bind_id1(sqlite3_stmt *s, void *arg)
{
	sqlite3_bind_int64(s, 1, *(int64_t *)arg);
}

int lab_store_health_judged(struct lab_store *st, int64_t job_id)
{
	return exec1(st, "UPDATE health_jobs SET judged = 1 WHERE job_id = ?1", bind_id1, &job_id,
		     "health judged");
}

int lab_store_health_targets(struct lab_store *st, struct lab_health_target *out, size_t max,
			     size_t *n)
{
	/* the infra streak: final incomplete jobs (not checks) after the
	 * target's last complete job and after its last health check */
	sqlite3_stmt *s = store_prep_sql(st,
		"SELECT t.id, t.name, t.health, coalesce(a.state, 'active'), "
		" EXISTS (SELECT 1 FROM health_jobs h WHERE h.target_id = t.id AND h.judged = 0), "
		" coalesce((SELECT max(l.at) FROM target_health_log l WHERE l.target_id = t.id "
		"  AND l.event = 'check-queued'), 0), "
		" (SELECT count(*) FROM jobs j WHERE j.target_id = t.id AND j.state = 4 "
		"  AND j.id NOT IN (SELECT job_id FROM health_jobs) "
		"  AND j.id > coalesce((SELECT max(j2.id) FROM jobs j2 WHERE j2.target_id = t.id "
		"   AND j2.state = 3 AND j2.id NOT IN (SELECT job_id FROM health_jobs)), 0) "
		"  AND j.id > coalesce((SELECT max(h.job_id) FROM health_jobs h "
		"   WHERE h.target_id = t.id), 0)) "
		"FROM targets t LEFT JOIN target_admin a ON a.target_id = t.id ORDER BY t.name LIMIT ?1");
	int rc;

	*n = 0;
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, (int64_t)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lab_health_target *t = &out[(*n)++];

		t->id = sqlite3_column_int64(s, 0);
		snprintf(t->name, sizeof(t->name), "%s", (const char *)sqlite3_column_text(s, 1));
		snprintf(t->health, sizeof(t->health), "%s", (const char *)sqlite3_column_text(s, 2));
		snprintf(t->admin, sizeof(t->admin), "%s", (const char *)sqlite3_column_text(s, 3));
		t->pending = sqlite3_column_int(s, 4);
		t->last_check = sqlite3_column_int64(s, 5);
		t->infra_streak = sqlite3_column_int(s, 6);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : store_db_err(st, rc, "health targets");
}

int lab_store_health_rows(struct lab_store *st, int64_t target_id, lab_store_row_fn fn,
			  void *arg)
{
	sqlite3_stmt *s = store_prep_sql(st,
		"SELECT event, health, job_id AS job, reason, by_name AS \"by\", at "
		"FROM target_health_log WHERE target_id = ?1 ORDER BY id");
	int r;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, target_id);
	r = store_rows_each(st, s, fn, arg, "health history");
	sqlite3_finalize(s);
	return r;
}
