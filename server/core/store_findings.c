/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_findings.c - findings, their events and links, known issues
 * (store_findings.h; shared helpers: store_int.h). The SQL is this file's
 * own table (fs_sql[]), prepared once per connection into the store's
 * extension slots (store_ext_stmt()).
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
#include "store_findings.h"
#include "store_int.h"

enum fs_id {
	FS_BY_KEY, FS_GET, FS_INSERT, FS_EVENT, FS_SEEN, FS_FIX, FS_OPEN_OF, FS_ACK,
	FS_LINK, FS_SET_KNOWN, FS_KI_INSERT, FS_KI_ALL, FS_ONE_ROWS, FS_EVENTS_ROWS,
	FS_LINKS_ROWS, FS_KI_ROWS, FS_OPEN_ROWS,
	FS_KI_ONE_ROWS, FS_KI_STATE, FS_KI_RETIRE, FS_KI_UNMARK_EVENTS, FS_KI_UNMARK,
	FS_KERNEL_KEY, FS_RESULT_KERNEL_KEY, FS_PLAN_TARGET_KERNEL_KEY,
	FS__COUNT
};

#define F_COLS "id, key, target_id, case_id, driver, from_name, to_name, verdict, " \
	"state = 'fixed', first_kernel_id, first_job_id, last_kernel_id, last_job_id, " \
	"coalesce(fixed_kernel_id, 0), coalesce(known_issue_id, 0), seen"

/* the view's columns (store_findings.h), over findings f */
#define F_VIEW "SELECT f.id, f.key, t.name AS target, f.case_id AS \"case\", f.driver, " \
	"f.from_name AS \"from\", f.to_name AS \"to\", f.verdict, f.state, " \
	"k1.name AS first_kernel, k2.name AS last_kernel, k3.name AS fixed_kernel, " \
	"f.first_job_id AS first_job, f.last_job_id AS last_job, f.fixed_job_id AS fixed_job, " \
	"f.seen, f.known_issue_id AS known_issue, ki.reason AS expected_reason, " \
	"f.acked_by, f.acked_at, f.ack_note, f.opened_at, f.updated_at, f.closed_at, " \
	"(SELECT count(*) FROM finding_links l WHERE l.finding_id = f.id) AS links " \
	"FROM findings f JOIN targets t ON t.id = f.target_id " \
	"JOIN kernels k1 ON k1.id = f.first_kernel_id JOIN kernels k2 ON k2.id = f.last_kernel_id " \
	"LEFT JOIN kernels k3 ON k3.id = f.fixed_kernel_id " \
	"LEFT JOIN known_issues ki ON ki.id = f.known_issue_id "

/* the known issues' view (store_findings.h), over known_issues ki */
#define KI_VIEW "SELECT ki.id, ki.state, ki.driver, ki.case_glob AS \"case\", " \
	"ki.target_glob AS target, ki.kernel_min, ki.kernel_max, ki.reason, ki.created_by, " \
	"ki.created_at, ki.retired_by, ki.retired_at, ki.retire_reason, " \
	"(SELECT count(*) FROM findings f WHERE f.known_issue_id = ki.id) AS findings " \
	"FROM known_issues ki "

static const char *const fs_sql[FS__COUNT] = {
	[FS_BY_KEY] = "SELECT " F_COLS " FROM findings WHERE key = ?1",
	[FS_GET] = "SELECT " F_COLS " FROM findings WHERE id = ?1",
	[FS_INSERT] =
		"INSERT INTO findings (key, target_id, case_id, driver, from_name, to_name, "
		"verdict, first_kernel_id, first_job_id, last_kernel_id, last_job_id, "
		"opened_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8, ?9, ?10, ?10)",
	[FS_EVENT] =
		"INSERT INTO finding_events (finding_id, kind, kernel_id, job_id, by_name, note, at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[FS_SEEN] =
		"UPDATE findings SET seen = seen + 1, updated_at = ?5, "
		"last_kernel_id = CASE WHEN ?4 THEN ?2 ELSE last_kernel_id END, "
		"last_job_id = CASE WHEN ?4 THEN ?3 ELSE last_job_id END, "
		"state = CASE WHEN ?6 THEN 'open' ELSE state END, "
		"fixed_kernel_id = CASE WHEN ?6 THEN NULL ELSE fixed_kernel_id END, "
		"fixed_job_id = CASE WHEN ?6 THEN NULL ELSE fixed_job_id END, "
		"closed_at = CASE WHEN ?6 THEN NULL ELSE closed_at END WHERE id = ?1",
	[FS_FIX] =
		"UPDATE findings SET state = 'fixed', fixed_kernel_id = ?2, fixed_job_id = ?3, "
		"closed_at = ?4, updated_at = ?4 WHERE id = ?1 AND state = 'open'",
	[FS_OPEN_OF] =
		"SELECT id FROM findings WHERE target_id = ?1 AND case_id = ?2 AND state = 'open' "
		"ORDER BY id LIMIT ?3",
	[FS_ACK] =
		"UPDATE findings SET acked_by = ?2, acked_at = ?3, ack_note = ?4, updated_at = ?3 "
		"WHERE id = ?1",
	[FS_LINK] =
		"INSERT INTO finding_links (finding_id, kind, value, by_name, at) "
		"VALUES (?1, ?2, ?3, ?4, ?5)",
	[FS_SET_KNOWN] =
		"UPDATE findings SET known_issue_id = ?2, updated_at = ?3 WHERE id = ?1",
	[FS_KI_INSERT] =
		"INSERT INTO known_issues (driver, case_glob, target_glob, kernel_min, kernel_max, "
		"reason, created_by, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
	[FS_KI_ALL] =
		"SELECT id, driver, case_glob, target_glob, kernel_min, kernel_max, reason "
		"FROM known_issues WHERE state = 'active' ORDER BY id",
	[FS_ONE_ROWS] = F_VIEW "WHERE f.id = ?1",
	[FS_EVENTS_ROWS] =
		"SELECT e.kind, k.name AS kernel, e.job_id AS job, e.by_name AS \"by\", e.note, e.at "
		"FROM finding_events e LEFT JOIN kernels k ON k.id = e.kernel_id "
		"WHERE e.finding_id = ?1 ORDER BY e.id",
	[FS_LINKS_ROWS] =
		"SELECT kind, value, by_name AS \"by\", at FROM finding_links WHERE finding_id = ?1 "
		"ORDER BY at, value",
	[FS_KI_ROWS] = KI_VIEW "ORDER BY ki.id DESC",
	[FS_KI_ONE_ROWS] = KI_VIEW "WHERE ki.id = ?1",
	[FS_KI_STATE] = "SELECT state = 'retired' FROM known_issues WHERE id = ?1",
	[FS_KI_RETIRE] =
		"UPDATE known_issues SET state = 'retired', retired_by = ?2, retired_at = ?3, "
		"retire_reason = ?4 WHERE id = ?1 AND state = 'active'",
	/* the findings it marks: an event each, then unmarked (in this order) */
	[FS_KI_UNMARK_EVENTS] =
		"INSERT INTO finding_events (finding_id, kind, by_name, note, at) "
		"SELECT id, 'unexpected', ?2, ?3, ?4 FROM findings WHERE known_issue_id = ?1 "
		"ORDER BY id",
	[FS_KI_UNMARK] =
		"UPDATE findings SET known_issue_id = NULL, updated_at = ?2 WHERE known_issue_id = ?1",
	[FS_OPEN_ROWS] =
		"SELECT t.name AS target, f.case_id AS \"case\", f.known_issue_id AS known_issue, "
		"f.id FROM findings f JOIN targets t ON t.id = f.target_id WHERE f.state = 'open'",
	/* a kernel's order key (findings.c's kernel_key): its version, else its name */
#define KERNEL_KEY "coalesce(nullif(k.version, ''), k.name)"
	[FS_KERNEL_KEY] = "SELECT " KERNEL_KEY " FROM kernels k WHERE k.id = ?1",
	[FS_RESULT_KERNEL_KEY] =
		"SELECT " KERNEL_KEY " FROM results r JOIN jobs j ON j.id = r.job_id "
		"JOIN kernels k ON k.id = j.kernel_id WHERE r.id = ?1",
	[FS_PLAN_TARGET_KERNEL_KEY] =
		"SELECT " KERNEL_KEY " FROM jobs j JOIN kernels k ON k.id = j.kernel_id "
		"JOIN targets t ON t.id = j.target_id WHERE j.plan_id = ?1 AND t.name = ?2 "
		"ORDER BY j.id DESC LIMIT 1",
#undef KERNEL_KEY
};

#define FINDING_FILTERS 5	/* state, target, case, driver, expected */

static sqlite3_stmt *fs_stmt(struct lab_store *st, enum fs_id id)
{
	return store_ext_stmt(st, STORE_EXT_FINDINGS + id, fs_sql[id]);
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

void lab_finding_clear(struct lab_finding *f)
{
	if (!f)
		return;
	free(f->case_id);
	free(f->driver);
	free(f->from_name);
	free(f->to_name);
	memset(f, 0, sizeof(*f));
}

void lab_known_issue_clear(struct lab_known_issue *ki)
{
	if (!ki)
		return;
	free(ki->driver);
	free(ki->case_glob);
	free(ki->target_glob);
	free(ki->kernel_min);
	free(ki->kernel_max);
	free(ki->reason);
	memset(ki, 0, sizeof(*ki));
}

void lab_known_issues_free(struct lab_known_issue *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		lab_known_issue_clear(&v[i]);
	free(v);
}

/* one row of F_COLS into @out; -ENOENT when there is none */
static int finding_row(struct lab_store *st, sqlite3_stmt *s, struct lab_finding *out)
{
	const unsigned char *key;
	int rc, r = 0;

	memset(out, 0, sizeof(*out));
	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		out->id = sqlite3_column_int64(s, 0);
		key = sqlite3_column_text(s, 1);
		snprintf(out->key, sizeof(out->key), "%s", key ? (const char *)key : "");
		out->target_id = sqlite3_column_int64(s, 2);
		out->case_id = store_col_dup(s, 3);
		out->driver = store_col_dup(s, 4);
		out->from_name = store_col_dup(s, 5);
		out->to_name = store_col_dup(s, 6);
		out->verdict = sqlite3_column_int(s, 7);
		out->fixed = sqlite3_column_int(s, 8);
		out->first_kernel_id = sqlite3_column_int64(s, 9);
		out->first_job_id = sqlite3_column_int64(s, 10);
		out->last_kernel_id = sqlite3_column_int64(s, 11);
		out->last_job_id = sqlite3_column_int64(s, 12);
		out->fixed_kernel_id = sqlite3_column_int64(s, 13);
		out->known_issue_id = sqlite3_column_int64(s, 14);
		out->seen = sqlite3_column_int64(s, 15);
		if (!out->case_id || !out->driver || !out->from_name || !out->to_name)
			r = -ENOMEM;
	} else {
		r = rc == SQLITE_DONE ? -ENOENT : store_db_err(st, rc, "finding get");
	}
	store_done(s);
	if (r)
		lab_finding_clear(out);
	return r;
}

int lab_store_finding_by_key(struct lab_store *st, const char *key, struct lab_finding *out)
{
	sqlite3_stmt *s = fs_stmt(st, FS_BY_KEY);

	if (s)
		store_bind_text(s, 1, key);
	return finding_row(st, s, out);
}

int lab_store_finding_get(struct lab_store *st, int64_t id, struct lab_finding *out)
{
	sqlite3_stmt *s = fs_stmt(st, FS_GET);

	if (s)
		sqlite3_bind_int64(s, 1, id);
	return finding_row(st, s, out);
}

static int event(struct lab_store *st, int64_t id, const char *kind, int64_t kernel_id,
		 int64_t job_id, const char *by, const char *note)
{
	sqlite3_stmt *s = fs_stmt(st, FS_EVENT);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, kind);
	store_bind_id(s, 3, kernel_id);
	store_bind_id(s, 4, job_id);
	store_bind_text(s, 5, by);
	store_bind_text(s, 6, note);
	sqlite3_bind_int64(s, 7, now_s());
	return store_exec_stmt(st, s, "finding event");
}

int lab_store_finding_event(struct lab_store *st, int64_t id, const char *kind,
			    const char *by, const char *note)
{
	return event(st, id, kind, 0, 0, by, note);
}

/* 0 when statement @s changed exactly one row, else -ENOENT (or its error) */
static int exec_one(struct lab_store *st, sqlite3_stmt *s, const char *what)
{
	int r;

	if (!s)
		return -EIO;
	r = store_exec_stmt(st, s, what);
	if (!r && sqlite3_changes(st->db) != 1)
		r = -ENOENT;
	return r;
}

int lab_store_finding_insert(struct lab_store *st, struct lab_finding *f,
			     int64_t kernel_id, int64_t job_id)
{
	sqlite3_stmt *s = fs_stmt(st, FS_INSERT);
	int r;

	if (!s)
		return -EIO;
	if (strlen(f->key) != LAB_FINDING_KEY_LEN || !f->case_id || !f->driver ||
	    !f->from_name || !f->to_name || f->target_id <= 0 || kernel_id <= 0 || job_id <= 0)
		return -EINVAL;
	store_bind_text(s, 1, f->key);
	sqlite3_bind_int64(s, 2, f->target_id);
	store_bind_text(s, 3, f->case_id);
	store_bind_text(s, 4, f->driver);
	store_bind_text(s, 5, f->from_name);
	store_bind_text(s, 6, f->to_name);
	sqlite3_bind_int(s, 7, f->verdict);
	sqlite3_bind_int64(s, 8, kernel_id);
	sqlite3_bind_int64(s, 9, job_id);
	sqlite3_bind_int64(s, 10, now_s());
	r = store_exec_stmt(st, s, "finding insert");
	if (r)
		return r;
	f->id = sqlite3_last_insert_rowid(st->db);
	f->first_kernel_id = f->last_kernel_id = kernel_id;
	f->first_job_id = f->last_job_id = job_id;
	f->seen = 1;
	return event(st, f->id, "opened", kernel_id, job_id, NULL, NULL);
}

int lab_store_finding_seen(struct lab_store *st, int64_t id, int64_t kernel_id,
			   int64_t job_id, bool newest, bool reopen, const char *kind)
{
	sqlite3_stmt *s = fs_stmt(st, FS_SEEN);
	int r;

	if (s) {
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, kernel_id);
		sqlite3_bind_int64(s, 3, job_id);
		sqlite3_bind_int(s, 4, newest);
		sqlite3_bind_int64(s, 5, now_s());
		sqlite3_bind_int(s, 6, reopen);
	}
	r = exec_one(st, s, "finding seen");
	return r ? r : event(st, id, kind, kernel_id, job_id, NULL, NULL);
}

int lab_store_finding_fix(struct lab_store *st, int64_t id, int64_t kernel_id,
			  int64_t job_id)
{
	sqlite3_stmt *s = fs_stmt(st, FS_FIX);
	struct lab_finding f;
	int r;

	r = lab_store_finding_get(st, id, &f);
	if (r)
		return r;
	if (s) {
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, kernel_id);
		sqlite3_bind_int64(s, 3, job_id);
		sqlite3_bind_int64(s, 4, now_s());
	}
	r = exec_one(st, s, "finding fix");
	if (!r)
		r = event(st, id, "fixed", kernel_id, job_id, NULL, NULL);
	if (!r && f.known_issue_id)
		r = event(st, id, "expected-passed", kernel_id, job_id, NULL,
			  "an expected failure passes again");
	lab_finding_clear(&f);
	return r;
}

int lab_store_findings_open_of(struct lab_store *st, int64_t target_id, const char *case_id,
			       int64_t *ids, size_t max, size_t *n)
{
	sqlite3_stmt *s = fs_stmt(st, FS_OPEN_OF);
	int rc, r = 0;

	*n = 0;
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, target_id);
	store_bind_text(s, 2, case_id);
	sqlite3_bind_int64(s, 3, (int64_t)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		ids[(*n)++] = sqlite3_column_int64(s, 0);
	if (rc != SQLITE_DONE)
		r = store_db_err(st, rc, "findings open of");
	store_done(s);
	return r;
}

int lab_store_finding_ack(struct lab_store *st, int64_t id, const char *by, const char *note)
{
	sqlite3_stmt *s = fs_stmt(st, FS_ACK);
	int r;

	if (s) {
		sqlite3_bind_int64(s, 1, id);
		store_bind_text(s, 2, by);
		sqlite3_bind_int64(s, 3, now_s());
		store_bind_text(s, 4, note);
	}
	r = exec_one(st, s, "finding ack");
	return r ? r : event(st, id, "acked", 0, 0, by, note);
}

int lab_store_finding_link(struct lab_store *st, int64_t id, const char *kind,
			   const char *value, const char *by)
{
	sqlite3_stmt *s = fs_stmt(st, FS_LINK);
	struct lab_finding f;
	int r;

	if (!kind || (strcmp(kind, "url") && strcmp(kind, "msgid")) || !value || !*value)
		return -EINVAL;
	r = lab_store_finding_get(st, id, &f);
	if (r)
		return r;
	lab_finding_clear(&f);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, kind);
	store_bind_text(s, 3, value);
	store_bind_text(s, 4, by);
	sqlite3_bind_int64(s, 5, now_s());
	r = store_exec_stmt(st, s, "finding link");
	return r ? r : event(st, id, "linked", 0, 0, by, value);
}

int lab_store_finding_set_known(struct lab_store *st, int64_t id, int64_t known_id,
				const char *by)
{
	sqlite3_stmt *s = fs_stmt(st, FS_SET_KNOWN);
	char note[48];
	int r;

	if (s) {
		sqlite3_bind_int64(s, 1, id);
		sqlite3_bind_int64(s, 2, known_id);
		sqlite3_bind_int64(s, 3, now_s());
	}
	r = exec_one(st, s, "finding known issue");
	snprintf(note, sizeof(note), "known issue %lld", (long long)known_id);
	return r ? r : event(st, id, "expected", 0, 0, by, note);
}

int lab_store_known_issue_insert(struct lab_store *st, struct lab_known_issue *ki,
				 const char *by)
{
	sqlite3_stmt *s = fs_stmt(st, FS_KI_INSERT);
	int r;

	if (!s)
		return -EIO;
	if (!ki->reason || !*ki->reason)
		return -EINVAL;
	store_bind_text(s, 1, ki->driver);
	store_bind_text(s, 2, ki->case_glob);
	store_bind_text(s, 3, ki->target_glob);
	store_bind_text(s, 4, ki->kernel_min);
	store_bind_text(s, 5, ki->kernel_max);
	store_bind_text(s, 6, ki->reason);
	store_bind_text(s, 7, by);
	sqlite3_bind_int64(s, 8, now_s());
	r = store_exec_stmt(st, s, "known issue insert");
	if (!r)
		ki->id = sqlite3_last_insert_rowid(st->db);
	return r;
}

int lab_store_known_issue_retire(struct lab_store *st, int64_t id, const char *by,
				 const char *reason)
{
	sqlite3_stmt *s;
	int rc, r;

	if (id <= 0 || !reason || !*reason)
		return -EINVAL;
	s = fs_stmt(st, FS_KI_RETIRE);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, by);
	sqlite3_bind_int64(s, 3, now_s());
	store_bind_text(s, 4, reason);
	r = store_exec_stmt(st, s, "known issue retire");
	if (r || sqlite3_changes(st->db) == 1)
		return r;
	/* nothing changed: unknown, or retired already */
	s = fs_stmt(st, FS_KI_STATE);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		r = sqlite3_column_int(s, 0) ? -EALREADY : -EIO;
	else
		r = rc == SQLITE_DONE ? -ENOENT : store_db_err(st, rc, "known issue state");
	store_done(s);
	return r;
}

int lab_store_known_issue_unmark(struct lab_store *st, int64_t id, const char *by,
				 const char *note, int *n)
{
	sqlite3_stmt *s = fs_stmt(st, FS_KI_UNMARK_EVENTS);
	int64_t now = now_s();
	int r, cnt;

	if (n)
		*n = 0;
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, by);
	store_bind_text(s, 3, note);
	sqlite3_bind_int64(s, 4, now);
	r = store_exec_stmt(st, s, "known issue unmark events");
	if (r)
		return r;
	cnt = sqlite3_changes(st->db);
	s = fs_stmt(st, FS_KI_UNMARK);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	r = store_exec_stmt(st, s, "known issue unmark");
	if (r)
		return r;
	if (sqlite3_changes(st->db) != cnt)
		return -EIO;	/* an event per unmarked finding, or the caller rolls back */
	if (n)
		*n = cnt;
	return 0;
}

int lab_store_known_issues_load(struct lab_store *st, struct lab_known_issue **out,
				size_t *n)
{
	sqlite3_stmt *s = fs_stmt(st, FS_KI_ALL);
	struct lab_known_issue *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc, r = 0;

	*out = NULL;
	*n = 0;
	if (!s)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lab_known_issue *ki;

		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 16;
			struct lab_known_issue *a = realloc(v, nc * sizeof(*a));

			if (!a) {
				r = -ENOMEM;
				break;
			}
			v = a;
			cap = nc;
		}
		ki = &v[cnt++];
		memset(ki, 0, sizeof(*ki));
		ki->id = sqlite3_column_int64(s, 0);
		ki->driver = store_col_dup(s, 1);
		ki->case_glob = store_col_dup(s, 2);
		ki->target_glob = store_col_dup(s, 3);
		ki->kernel_min = store_col_dup(s, 4);
		ki->kernel_max = store_col_dup(s, 5);
		ki->reason = store_col_dup(s, 6);
		if (!ki->reason) {
			r = -ENOMEM;
			break;
		}
	}
	if (!r && rc != SQLITE_DONE)
		r = store_db_err(st, rc, "known issues");
	store_done(s);
	if (r) {
		lab_known_issues_free(v, cnt);
		return r;
	}
	*out = v;
	*n = cnt;
	return 0;
}

/* ---- rows for the views ----------------------------------------------- */

int lab_store_findings_rows(struct lab_store *st, const struct lab_finding_filter *f,
			    lab_store_row_fn fn, void *arg)
{
	static const char *const where[FINDING_FILTERS] = {
		" AND f.state = ?1", " AND t.name = ?2", " AND f.case_id = ?3",
		" AND f.driver = ?4", " AND (f.known_issue_id IS NOT NULL) = ?5",
	};
	unsigned mask = (f->state != NULL) | (f->target != NULL) << 1 |
			(f->case_id != NULL) << 2 | (f->driver != NULL) << 3 |
			(f->expected >= 0) << 4;
	sqlite3_stmt *s;

	/* the filtered statements live in the extension slots after FS__COUNT */
	_Static_assert(STORE_EXT_FINDINGS + FS__COUNT + (1 << FINDING_FILTERS) <=
		       STORE_EXT_PROVENANCE, "ext slots");
	s = store_filtered_stmt(st, st->ext + STORE_EXT_FINDINGS + FS__COUNT, mask, F_VIEW "WHERE 1", where,
				FINDING_FILTERS, " ORDER BY f.id DESC LIMIT ?6 OFFSET ?7");
	if (!s)
		return -EIO;
	store_bind_text(s, 1, f->state);
	store_bind_text(s, 2, f->target);
	store_bind_text(s, 3, f->case_id);
	store_bind_text(s, 4, f->driver);
	if (f->expected >= 0)
		sqlite3_bind_int(s, 5, f->expected > 0);
	sqlite3_bind_int64(s, 6, f->limit > 0 ? f->limit : 100);
	sqlite3_bind_int64(s, 7, f->offset > 0 ? f->offset : 0);
	return store_rows_each(st, s, fn, arg, "findings list");
}

static int rows_by_id(struct lab_store *st, enum fs_id id, int64_t v, lab_store_row_fn fn,
		      void *arg, const char *what)
{
	sqlite3_stmt *s = fs_stmt(st, id);

	if (s)
		sqlite3_bind_int64(s, 1, v);
	return store_rows_each(st, s, fn, arg, what);
}

int lab_store_finding_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn, void *arg)
{
	return rows_by_id(st, FS_ONE_ROWS, id, fn, arg, "finding");
}

int lab_store_finding_events_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn,
				  void *arg)
{
	return rows_by_id(st, FS_EVENTS_ROWS, id, fn, arg, "finding events");
}

int lab_store_finding_links_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn,
				 void *arg)
{
	return rows_by_id(st, FS_LINKS_ROWS, id, fn, arg, "finding links");
}

int lab_store_known_issues_rows(struct lab_store *st, lab_store_row_fn fn, void *arg)
{
	return store_rows_each(st, fs_stmt(st, FS_KI_ROWS), fn, arg, "known issues");
}

int lab_store_known_issue_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn,
			       void *arg)
{
	return rows_by_id(st, FS_KI_ONE_ROWS, id, fn, arg, "known issue");
}

int lab_store_findings_open_rows(struct lab_store *st, lab_store_row_fn fn, void *arg)
{
	return store_rows_each(st, fs_stmt(st, FS_OPEN_ROWS), fn, arg, "open findings");
}

int lab_store_diff_kernel_key(struct lab_store *st, bool by_plan, int64_t id,
			      int64_t result_id, const char *target, char *buf, size_t n)
{
	enum fs_id q = !by_plan ? FS_KERNEL_KEY : result_id > 0 ? FS_RESULT_KERNEL_KEY :
		       FS_PLAN_TARGET_KERNEL_KEY;
	sqlite3_stmt *s = fs_stmt(st, q);
	int rc, r = 0;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, q == FS_RESULT_KERNEL_KEY ? result_id : id);
	if (q == FS_PLAN_TARGET_KERNEL_KEY)
		store_bind_text(s, 2, target);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		snprintf(buf, n, "%s", (const char *)sqlite3_column_text(s, 0) ?: "");
	else if (rc == SQLITE_DONE)
		r = -ENOENT;
	else
		r = store_db_err(st, rc, "diff kernel");
	store_done(s);
	return r;
}
