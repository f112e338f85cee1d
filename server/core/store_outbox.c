/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_outbox.c - the SQL of subscriptions and deliveries (outbox.h;
 * shared helpers: store_int.h). Statements are prepared per call: they run
 * per event or per delivery pass, never per result.
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

/* internal to the outbox (outbox.c) */
int store_outbox_subs_each(struct lab_store *st, const char *event,
			   int (*fn)(int64_t id, const char *driver, const char *vendor,
				     const char *case_glob, void *arg), void *arg);
int store_outbox_insert(struct lab_store *st, int64_t sub, const char *event, const char *payload);
int store_subscription_insert(struct lab_store *st, struct lab_subscription *s, const char *by);

int store_subscription_insert(struct lab_store *st, struct lab_subscription *s, const char *by)
{
	sqlite3_stmt *q = store_prep_sql(st,
		"INSERT INTO subscriptions (kind, url, maildir, secret, driver, vendor, case_glob, "
		"events, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)");
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
	sqlite3_finalize(q);
	return rc;
}

int store_outbox_subs_each(struct lab_store *st, const char *event,
			   int (*fn)(int64_t id, const char *driver, const char *vendor,
				     const char *case_glob, void *arg), void *arg)
{
	/* events is a comma list: match ",event," inside ",events," */
	sqlite3_stmt *q = store_prep_sql(st,
		"SELECT id, driver, vendor, case_glob FROM subscriptions "
		"WHERE instr(',' || events || ',', ',' || ?1 || ',') > 0 ORDER BY id");
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
	sqlite3_finalize(q);
	return r;
}

int store_outbox_insert(struct lab_store *st, int64_t sub, const char *event, const char *payload)
{
	sqlite3_stmt *q = store_prep_sql(st,
		"INSERT INTO deliveries (subscription_id, event, payload, next_at, created_at) "
		"VALUES (?1, ?2, ?3, ?4, ?4)");
	int rc;

	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, sub);
	store_bind_text(q, 2, event);
	store_bind_text(q, 3, payload);
	sqlite3_bind_int64(q, 4, (int64_t)time(NULL));
	rc = sqlite3_step(q);
	rc = rc == SQLITE_DONE ? 0 : store_db_err(st, rc, "delivery insert");
	sqlite3_finalize(q);
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
	sqlite3_stmt *q = store_prep_sql(st,
		"SELECT d.id, d.subscription_id, d.attempts, d.event, s.kind, d.payload, s.url, "
		"s.maildir, s.secret FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id "
		"WHERE d.state = 'pending' AND d.next_at <= ?1 ORDER BY d.next_at, d.id LIMIT ?2");
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
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : store_db_err(st, rc, "deliveries due");
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
	a = store_prep_sql(st, "INSERT INTO delivery_attempts (delivery_id, at, status, error) "
			   "VALUES (?1, ?2, ?3, ?4)");
	u = store_prep_sql(st, "UPDATE deliveries SET attempts = attempts + 1, "
			   "state = CASE WHEN ?2 THEN 'delivered' WHEN ?3 = 0 THEN 'failed' ELSE 'pending' END, "
			   "next_at = CASE WHEN ?3 > 0 THEN ?3 ELSE next_at END, "
			   "delivered_at = CASE WHEN ?2 THEN ?4 ELSE NULL END WHERE id = ?1");
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
	sqlite3_finalize(a);
	sqlite3_finalize(u);
	if (!r)
		r = lab_store_tx_commit(st);
	if (r)
		lab_store_tx_rollback(st);
	return r;
}

int lab_store_subscriptions_rows(struct lab_store *st, lab_store_row_fn fn, void *arg)
{
	sqlite3_stmt *q = store_prep_sql(st,
		"SELECT s.id, s.kind, s.url, s.maildir, s.secret IS NOT NULL AS signed, s.driver, "
		"s.vendor, s.case_glob AS \"case\", s.events, s.created_by, s.created_at, "
		"(SELECT count(*) FROM deliveries d WHERE d.subscription_id = s.id) AS deliveries, "
		"(SELECT count(*) FROM deliveries d WHERE d.subscription_id = s.id "
		" AND d.state = 'delivered') AS delivered "
		"FROM subscriptions s ORDER BY s.id DESC");
	int r = store_rows_each(st, q, fn, arg, "subscriptions");

	sqlite3_finalize(q);
	return r;
}

int lab_store_deliveries_rows(struct lab_store *st, int64_t sub_id, lab_store_row_fn fn,
			      void *arg)
{
	sqlite3_stmt *q = store_prep_sql(st,
		"SELECT d.id, d.event, d.state, d.attempts, d.next_at, d.created_at, d.delivered_at, "
		"(SELECT json_group_array(json_object('at', a.at, 'status', a.status, 'error', a.error)) "
		" FROM delivery_attempts a WHERE a.delivery_id = d.id) AS attempts_log, d.payload "
		"FROM deliveries d WHERE d.subscription_id = ?1 ORDER BY d.id");
	int r;

	if (!q)
		return -EIO;
	sqlite3_bind_int64(q, 1, sub_id);
	r = store_rows_each(st, q, fn, arg, "deliveries");
	sqlite3_finalize(q);
	return r;
}
