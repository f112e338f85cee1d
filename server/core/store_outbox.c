/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_outbox.c - the SQL of subscriptions and deliveries (outbox.h;
 * shared helpers: store_int.h). The SQL is this file's own table (ob_sql[]),
 * prepared once per connection into the store's extension slots from
 * STORE_EXT_OUTBOX (store_ext_stmt()) and reset after each use: an ingest
 * emits one event per new or fixed finding, and preparing per event made
 * 10,000 new failures cost 4x the ingest (bench/findings.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "outbox.h"
#include "store.h"
#include "store_int.h"
#include "store_outbox.h"

enum ob_id {
	OB_SUB_INSERT, OB_SUBS_EACH, OB_INSERT, OB_DUE, OB_ATTEMPT, OB_ATTEMPT_STATE,
	OB_SUBS_ROWS, OB_DELIVERIES_ROWS, OB_PATCH_UNANNOUNCED, OB_PATCH_ANNOUNCE,
	OB_SUB_OWNED, OB_SUB_UPDATE, OB_SUB_DISOWN, OB_WANTED,
	OB__COUNT
};

static const char *const ob_sql[OB__COUNT] = {
	[OB_SUB_INSERT] =
		"INSERT INTO subscriptions (kind, url, maildir, secret, driver, vendor, case_glob, "
		"events, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	/* events is a comma list: match ",event," inside ",events," */
	[OB_SUBS_EACH] =
		"SELECT id, driver, vendor, case_glob FROM subscriptions "
		"WHERE instr(',' || events || ',', ',' || ?1 || ',') > 0 ORDER BY id",
	[OB_INSERT] =
		"INSERT INTO deliveries (subscription_id, event, payload, next_at, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?4)",
	[OB_DUE] =
		"SELECT d.id, d.subscription_id, d.attempts, d.event, s.kind, d.payload, s.url, "
		"s.maildir, s.secret FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id "
		"WHERE d.state = 'pending' AND d.next_at <= ?1 ORDER BY d.next_at, d.id LIMIT ?2",
	[OB_ATTEMPT] =
		"INSERT INTO delivery_attempts (delivery_id, at, status, error) VALUES (?1, ?2, ?3, ?4)",
	[OB_ATTEMPT_STATE] =
		"UPDATE deliveries SET attempts = attempts + 1, "
		"state = CASE WHEN ?2 THEN 'delivered' WHEN ?3 = 0 THEN 'failed' ELSE 'pending' END, "
		"next_at = CASE WHEN ?3 > 0 THEN ?3 ELSE next_at END, "
		"delivered_at = CASE WHEN ?2 THEN ?4 ELSE NULL END WHERE id = ?1",
	[OB_SUBS_ROWS] =
		"SELECT s.id, s.kind, s.url, s.maildir, s.secret IS NOT NULL AS signed, s.driver, "
		"s.vendor, s.case_glob AS \"case\", s.events, s.created_by, s.created_at, "
		"(SELECT count(*) FROM deliveries d WHERE d.subscription_id = s.id) AS deliveries, "
		"(SELECT count(*) FROM deliveries d WHERE d.subscription_id = s.id "
		" AND d.state = 'delivered') AS delivered "
		"FROM subscriptions s ORDER BY s.id DESC",
	[OB_DELIVERIES_ROWS] =
		"SELECT d.id, d.event, d.state, d.attempts, d.next_at, d.created_at, d.delivered_at, "
		"(SELECT json_group_array(json_object('at', a.at, 'status', a.status, 'error', a.error)) "
		" FROM delivery_attempts a WHERE a.delivery_id = d.id) AS attempts_log, d.payload "
		"FROM deliveries d WHERE d.subscription_id = ?1 ORDER BY d.id",
	/* every job final (complete 3, incomplete 4, canceled 5), or one that
	 * failed: a candidate that does not build is a verdict before the base ran */
	[OB_PATCH_UNANNOUNCED] =
		"SELECT p.id FROM plans p WHERE p.kind = 'patch' AND NOT EXISTS "
		"(SELECT 1 FROM patch_announced a WHERE a.plan_id = p.id) AND "
		"(NOT EXISTS (SELECT 1 FROM jobs j WHERE j.plan_id = p.id AND j.state < 3) OR "
		" EXISTS (SELECT 1 FROM jobs j WHERE j.plan_id = p.id AND j.state IN (4, 5))) "
		"ORDER BY p.id LIMIT ?1",
	[OB_PATCH_ANNOUNCE] =
		"INSERT INTO patch_announced (plan_id, state, at) VALUES (?1, ?2, ?3)",
	[OB_SUB_OWNED] =
		"SELECT id FROM subscriptions WHERE created_by = ?1 ORDER BY id DESC LIMIT 1",
	[OB_SUB_UPDATE] =
		"UPDATE subscriptions SET kind = ?2, url = ?3, maildir = ?4, secret = ?5, driver = ?6, "
		"vendor = ?7, case_glob = ?8, events = ?9 WHERE id = ?1",
	[OB_SUB_DISOWN] = "UPDATE subscriptions SET events = '' WHERE created_by = ?1",
	[OB_WANTED] =
		"SELECT EXISTS (SELECT 1 FROM subscriptions "
		"WHERE instr(',' || events || ',', ',' || ?1 || ',') > 0)",
};

static sqlite3_stmt *ob_stmt(struct lab_store *st, enum ob_id id)
{
	_Static_assert(STORE_EXT_OUTBOX + OB__COUNT <= STORE_EXT_MAX, "ext slots");
	return store_ext_stmt(st, STORE_EXT_OUTBOX + id, ob_sql[id]);
}

int store_subscription_insert(struct lab_store *st, struct lab_subscription *s, const char *by)
{
	sqlite3_stmt *q = ob_stmt(st, OB_SUB_INSERT);
	int rc;

	if (!q)
		return -EIO;
	store_bind_text(q, 1, s->kind);
	store_bind_text(q, 2, s->url);
	store_bind_text(q, 3, s->maildir);
	store_bind_text(q, 4, s->secret);
	store_bind_text(q, 5, s->driver);
	store_bind_text(q, 6, s->vendor);
	store_bind_text(q, 7, s->case_glob);
	store_bind_text(q, 8, s->events ? s->events : LAB_OUTBOX_EVENTS);
	store_bind_text(q, 9, by);
	sqlite3_bind_int64(q, 10, (int64_t)time(NULL));
	rc = sqlite3_step(q);
	if (rc == SQLITE_DONE)
		s->id = sqlite3_last_insert_rowid(st->db);
	rc = rc == SQLITE_DONE ? 0 : store_db_err(st, rc, "subscription insert");
	store_done(q);
	return rc;
}

int store_subscription_owned(struct lab_store *st, const char *owner, int64_t *id)
{
	sqlite3_stmt *q = ob_stmt(st, OB_SUB_OWNED);
	int rc;

	if (!q)
		return -EIO;
	store_bind_text(q, 1, owner);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(q, 0);
	rc = rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : store_db_err(st, rc, "subscription");
	store_done(q);
	return rc;
}

int store_subscription_update(struct lab_store *st, const struct lab_subscription *s)
{
	sqlite3_stmt *q = ob_stmt(st, OB_SUB_UPDATE);

	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, s->id);
	store_bind_text(q, 2, s->kind);
	store_bind_text(q, 3, s->url);
	store_bind_text(q, 4, s->maildir);
	store_bind_text(q, 5, s->secret);
	store_bind_text(q, 6, s->driver);
	store_bind_text(q, 7, s->vendor);
	store_bind_text(q, 8, s->case_glob);
	store_bind_text(q, 9, s->events ? s->events : LAB_OUTBOX_EVENTS);
	return store_exec_stmt(st, q, "subscription update");
}

int store_subscription_disown(struct lab_store *st, const char *owner)
{
	sqlite3_stmt *q = ob_stmt(st, OB_SUB_DISOWN);

	if (!q)
		return -EIO;
	store_bind_text(q, 1, owner);
	return store_exec_stmt(st, q, "subscription disown");
}

int store_outbox_subs_each(struct lab_store *st, const char *event,
			   int (*fn)(int64_t id, const char *driver, const char *vendor,
				     const char *case_glob, void *arg), void *arg)
{
	sqlite3_stmt *q = ob_stmt(st, OB_SUBS_EACH);
	int rc, r = 0;

	if (!q)
		return -EIO;
	store_bind_text(q, 1, event);
	while (!r && (rc = sqlite3_step(q)) == SQLITE_ROW)
		r = fn(sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
		       (const char *)sqlite3_column_text(q, 2),
		       (const char *)sqlite3_column_text(q, 3), arg);
	if (!r && rc != SQLITE_DONE)
		r = store_db_err(st, rc, "subscriptions");
	store_done(q);
	return r;
}

int store_outbox_wanted(struct lab_store *st, const char *event, bool *yes)
{
	sqlite3_stmt *q = ob_stmt(st, OB_WANTED);
	int rc;

	if (!q)
		return -EIO;
	store_bind_text(q, 1, event);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		*yes = sqlite3_column_int(q, 0) != 0;
	rc = rc == SQLITE_ROW ? 0 : store_db_err(st, rc, "subscriptions wanted");
	store_done(q);
	return rc;
}

int store_outbox_insert(struct lab_store *st, int64_t sub, const char *event, const char *payload)
{
	sqlite3_stmt *q = ob_stmt(st, OB_INSERT);
	int rc;

	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, sub);
	store_bind_text(q, 2, event);
	store_bind_text(q, 3, payload);
	sqlite3_bind_int64(q, 4, (int64_t)time(NULL));
	rc = sqlite3_step(q);
	rc = rc == SQLITE_DONE ? 0 : store_db_err(st, rc, "delivery insert");
	store_done(q);
	return rc;
}

void lab_delivery_clear(struct lab_delivery *d)
{
	free(d->payload);
	free(d->url);
	free(d->maildir);
	free(d->secret);
	memset(d, 0, sizeof(*d));
}

int lab_outbox_due(struct lab_store *st, int64_t now, struct lab_delivery *out, size_t max,
		   size_t *n)
{
	sqlite3_stmt *q = ob_stmt(st, OB_DUE);
	int rc;

	*n = 0;
	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, now);
	sqlite3_bind_int64(q, 2, (int64_t)max);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct lab_delivery *d = &out[(*n)++];

		memset(d, 0, sizeof(*d));
		d->id = sqlite3_column_int64(q, 0);
		d->subscription_id = sqlite3_column_int64(q, 1);
		d->attempts = sqlite3_column_int(q, 2);
		snprintf(d->event, sizeof(d->event), "%s", (const char *)sqlite3_column_text(q, 3));
		snprintf(d->kind, sizeof(d->kind), "%s", (const char *)sqlite3_column_text(q, 4));
		d->payload = store_col_dup(q, 5);
		d->url = store_col_dup(q, 6);
		d->maildir = store_col_dup(q, 7);
		d->secret = store_col_dup(q, 8);
	}
	rc = rc == SQLITE_DONE ? 0 : store_db_err(st, rc, "deliveries due");
	store_done(q);
	return rc;
}

int lab_outbox_attempt(struct lab_store *st, int64_t id, int status, const char *error,
		       bool delivered, int64_t next_at)
{
	int64_t now = (int64_t)time(NULL);
	sqlite3_stmt *a, *u;
	int r;

	r = lab_store_tx_begin(st);
	if (r)
		return r;
	a = ob_stmt(st, OB_ATTEMPT);
	u = ob_stmt(st, OB_ATTEMPT_STATE);
	if (!a || !u) {
		r = -EIO;
		goto done;
	}
	sqlite3_bind_int64(a, 1, id);
	sqlite3_bind_int64(a, 2, now);
	if (status > 0)
		sqlite3_bind_int(a, 3, status);
	store_bind_text(a, 4, error);
	r = sqlite3_step(a) == SQLITE_DONE ? 0 : -EIO;
	sqlite3_bind_int64(u, 1, id);
	sqlite3_bind_int(u, 2, delivered);
	sqlite3_bind_int64(u, 3, next_at);
	sqlite3_bind_int64(u, 4, now);
	if (!r)
		r = sqlite3_step(u) == SQLITE_DONE ? 0 : -EIO;
done:
	store_done(a);
	store_done(u);
	if (!r)
		r = lab_store_tx_commit(st);
	if (r)
		lab_store_tx_rollback(st);
	return r;
}

int lab_store_subscriptions_rows(struct lab_store *st, lab_store_row_fn fn, void *arg)
{
	return store_rows_each(st, ob_stmt(st, OB_SUBS_ROWS), fn, arg, "subscriptions");
}

int lab_store_deliveries_rows(struct lab_store *st, int64_t sub_id, lab_store_row_fn fn,
			      void *arg)
{
	sqlite3_stmt *q = ob_stmt(st, OB_DELIVERIES_ROWS);

	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, sub_id);
	return store_rows_each(st, q, fn, arg, "deliveries");
}

int lab_store_patch_unannounced(struct lab_store *st, int64_t *ids, size_t max, size_t *n)
{
	sqlite3_stmt *q = ob_stmt(st, OB_PATCH_UNANNOUNCED);
	int rc;

	*n = 0;
	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, (int64_t)max);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = sqlite3_column_int64(q, 0);
	rc = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : store_db_err(st, rc, "patch checks");
	store_done(q);
	return rc;
}

int lab_store_patch_announce(struct lab_store *st, int64_t plan_id, const char *state)
{
	sqlite3_stmt *q = ob_stmt(st, OB_PATCH_ANNOUNCE);

	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, plan_id);
	store_bind_text(q, 2, state);
	sqlite3_bind_int64(q, 3, (int64_t)time(NULL));
	return store_exec_stmt(st, q, "patch announce");
}
