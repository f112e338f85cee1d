/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store.c - the SQLite results store (store.h): the connection, its
 * statements and helpers (store_int.h), migrations, tuning, generation.
 * The table families' functions are in store_catalog.c, store_jobs.c,
 * store_results.c and store_tokens.c.
 *
 * Structure: one connection per struct lab_store; static statements are
 * listed in stmt_sql[] and prepared on first use (persistent), then reset
 * after each use. List queries with optional filters are assembled from
 * fixed SQL fragments (never from values) and cached by filter bitmask.
 * SQLite result codes become -errno in store_db_err(), the one place that maps
 * them (and logs SQLite's message).
 */
#include <dirent.h>
#include <pthread.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdatomic.h>
#include <sqlite3.h>

#include "log.h"
#include "model.h"
#include "store.h"
#include "store_int.h"
#include "writelock.h"

#define BUSY_TIMEOUT_MS 10000
#define MAX_MIGRATIONS 256

static const char *const stmt_sql[S__COUNT] = {
	[S_BEGIN] = "BEGIN",
	[S_BEGIN_IMM] = "BEGIN IMMEDIATE",
	[S_COMMIT] = "COMMIT",
	[S_ROLLBACK] = "ROLLBACK",
	[S_FK_OFF] = "PRAGMA foreign_keys = OFF",
	[S_FK_ON] = "PRAGMA foreign_keys = ON",
	[S_KERNEL_PUT] =
		"INSERT INTO kernels (name, release, version, arch, source, source_ref, "
		"image_path, modules_path, headers_path, sha256) "
		"VALUES (?1, ?2, ?3, coalesce(?4, 'x86_64'), coalesce(?5, 'debian'), ?6, ?7, ?8, ?9, ?10) "
		"ON CONFLICT (name) DO UPDATE SET release = coalesce(excluded.release, release), "
		"version = coalesce(excluded.version, version), arch = coalesce(?4, arch), "
		"source = coalesce(?5, source), source_ref = coalesce(excluded.source_ref, source_ref), "
		"image_path = coalesce(excluded.image_path, image_path), "
		"modules_path = coalesce(excluded.modules_path, modules_path), "
		"headers_path = coalesce(excluded.headers_path, headers_path), "
		"sha256 = coalesce(excluded.sha256, sha256), updated_at = " NOW " "
		"RETURNING id",
	[S_KERNEL_GET] = "SELECT " KERNEL_COLS " FROM kernels WHERE name = ?1",
	[S_KERNEL_GET_ID] = "SELECT " KERNEL_COLS " FROM kernels WHERE id = ?1",
	[S_KERNELS_LIST] = "SELECT " KERNEL_COLS ", created_at, updated_at FROM kernels ORDER BY name",
	[S_TARGET_PUT] =
		"INSERT INTO targets (name, arch, backend, vendor, driver, device_type, "
		"definition, tags, health, concurrency) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce(?8, '[]'), coalesce(?9, 'unknown'), ?10) "
		"ON CONFLICT (name) DO UPDATE SET arch = excluded.arch, backend = excluded.backend, "
		"vendor = excluded.vendor, driver = excluded.driver, device_type = excluded.device_type, "
		"definition = excluded.definition, tags = excluded.tags, "
		"health = CASE WHEN ?9 IS NULL THEN health ELSE excluded.health END, "
		"concurrency = excluded.concurrency, updated_at = " NOW " RETURNING id",
	[S_TARGET_GET] = "SELECT " TARGET_COLS " FROM targets WHERE name = ?1",
	[S_TARGET_GET_ID] = "SELECT " TARGET_COLS " FROM targets WHERE id = ?1",
	[S_TARGETS_LIST] = "SELECT " TARGET_COLS ", updated_at FROM targets ORDER BY name",
	[S_CASE_PUT] =
		"INSERT INTO cases (case_id, area, title, contracts, meta) VALUES (?1, ?2, ?3, ?4, ?5) "
		"ON CONFLICT (case_id) DO UPDATE SET area = excluded.area, title = excluded.title, "
		"contracts = excluded.contracts, meta = excluded.meta, updated_at = " NOW,
	[S_CASES_LIST] = "SELECT case_id AS id, area, title, contracts, meta, updated_at FROM cases ORDER BY case_id",
	[S_CASE_GET] = "SELECT case_id AS id, area, title, contracts, meta, updated_at FROM cases WHERE case_id = ?1",
	[S_PLAN_INSERT] =
		"INSERT INTO plans (name, kind, spec, case_filter, repeat, priority, created_by) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[S_PLANS_LIST] =
		"SELECT p.id, p.name, p.kind, p.spec, p.case_filter, p.repeat, p.priority, p.created_by, "
		"p.created_at, (SELECT count(*) FROM jobs j WHERE j.plan_id = p.id) AS jobs "
		"FROM plans p ORDER BY p.id DESC LIMIT ?1 OFFSET ?2",
	[S_PLAN_GET] =
		"SELECT id, name, kind, spec, case_filter, repeat, priority, created_by, created_at "
		"FROM plans WHERE id = ?1",
	/* with the jobs whose reason is a warning (complete without the probe
	 * module) or a configuration error (jobstate.h prefixes) */
	[S_PLAN_JOBS] = "SELECT state, count(*), "
		"count(CASE WHEN reason LIKE 'warning: %' THEN 1 END), "
		"count(CASE WHEN reason LIKE 'configuration error: %' THEN 1 END) "
		"FROM jobs WHERE plan_id = ?1 GROUP BY state",
	[S_JOB_INSERT] =
		"INSERT INTO jobs (plan_id, kernel_id, target_id, state, priority, max_attempts, "
		"timeout_s, repeat, case_filter, backend) "
		"VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6, ?7, ?8, ?9)",
	[S_JOB_GET] = "SELECT " JOB_COLS " FROM jobs WHERE id = ?1",
	[S_JOB_GET_JSON] =
		"SELECT j.id, j.plan_id, k.name AS kernel, t.name AS target, j.state, j.priority, "
		"j.attempts, j.max_attempts, j.timeout_s, j.repeat, j.case_filter, j.backend, "
		"j.backend_job_id, j.log_path IS NOT NULL AS has_log, j.reason, j.created_at, "
		"j.started_at, j.finished_at, "
		"(SELECT count(*) FROM results r WHERE r.job_id = j.id) AS results "
		"FROM jobs j JOIN kernels k ON k.id = j.kernel_id JOIN targets t ON t.id = j.target_id "
		"WHERE j.id = ?1",
	/* compare-and-set; timestamps and attempts follow the new state */
	[S_JOB_TRANSITION] =
		"UPDATE jobs SET state = ?3, reason = ?4, updated_at = " NOW ", "
		"attempts = attempts + (?3 = 2), "
		"started_at = CASE WHEN ?3 = 2 THEN " NOW " WHEN ?3 = 0 THEN NULL ELSE started_at END, "
		/* a new attempt: no console log until its backend names one (has_log) */
		"log_path = CASE WHEN ?3 = 2 THEN NULL ELSE log_path END, "
		"finished_at = CASE WHEN ?3 IN (3, 4, 5) THEN " NOW " WHEN ?3 = 0 THEN NULL ELSE finished_at END "
		"WHERE id = ?1 AND state = ?2",
	[S_JOB_SET_BACKEND] =
		"UPDATE jobs SET backend_job_id = coalesce(?2, backend_job_id), "
		"log_path = coalesce(?3, log_path), updated_at = " NOW " WHERE id = ?1",
	[S_JOB_RETRY] =
		"UPDATE jobs SET state = 0, reason = ?2, started_at = NULL, finished_at = NULL, "
		"max_attempts = max(max_attempts, attempts + 1), updated_at = " NOW " "
		"WHERE id = ?1 AND state = 4",
	[S_JOB_NEXT] =
		"SELECT " JOB_COLS " FROM jobs j WHERE state = 0 AND "
		"(SELECT t.health != 'retired' AND t.concurrency > "
		"  (SELECT count(*) FROM jobs r WHERE r.target_id = j.target_id AND r.state IN (1, 2)) "
		" FROM targets t WHERE t.id = j.target_id) "
		"ORDER BY state, priority DESC, id LIMIT 1",
	[S_JOBS_IN_STATE] = "SELECT id FROM jobs WHERE state = ?1 ORDER BY id LIMIT ?2",
	[S_JOB_STATE] = "SELECT state FROM jobs WHERE id = ?1",
	[S_LATEST_REFRESH] =
		"INSERT INTO latest (kernel_id, target_id, case_id, result_id, job_id, runs, distinct_observed) "
		"SELECT kernel_id, target_id, case_id, max(id), job_id, count(*), count(DISTINCT observed) "
		"FROM results WHERE job_id = ?1 GROUP BY case_id "
		"ON CONFLICT (kernel_id, target_id, case_id) DO UPDATE SET "
		"result_id = excluded.result_id, job_id = excluded.job_id, runs = excluded.runs, "
		"distinct_observed = excluded.distinct_observed WHERE excluded.job_id >= latest.job_id",
	[S_RESULT_INSERT] =
		"INSERT INTO results (job_id, kernel_id, target_id, case_id, driver, iommu, steps, "
		"observed, expected, contract, verdict, reason, reused, verified, duration_us, repeat, "
		"created_at, kernel_kind, kernel_excerpt, contract_verdict, taint_before, taint_after, "
		"contract_version, judged_by) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
		"?18, ?19, ?20, ?21, ?22, ?23, ?24)",
	[S_MATRIX] =
		"SELECT t.name AS target, r.driver, l.case_id AS \"case\", r.verdict, r.observed, "
		"r.expected, r.contract, r.reason, r.reused, r.verified, r.id AS result_id, "
		"l.job_id, l.runs, l.distinct_observed "
		"FROM latest l JOIN results r ON r.id = l.result_id JOIN targets t ON t.id = l.target_id "
		"WHERE l.kernel_id = ?1 ORDER BY r.driver, t.name, l.case_id",
	[S_DIFF_KERNEL] =
		"SELECT t.name AS target, r.driver, l.case_id AS \"case\", r.observed, r.expected, "
		"r.verdict, r.id AS result_id, l.runs, l.distinct_observed, r.steps, "
		"CASE WHEN l.runs > 1 THEN (SELECT group_concat(x.observed || ':' || x.verdict) "
		" FROM results x WHERE x.job_id = l.job_id AND x.case_id = l.case_id) END AS outcomes, "
		"l.job_id "
		"FROM latest l JOIN results r ON r.id = l.result_id JOIN targets t ON t.id = l.target_id "
		"WHERE l.kernel_id = ?1 AND (?2 IS NULL OR t.name = ?2) ORDER BY t.name, l.case_id",
	[S_DIFF_PLAN] =
		"SELECT t.name AS target, r.driver, r.case_id AS \"case\", r.observed, r.expected, "
		"r.verdict, r.id AS result_id, "
		"(SELECT count(*) FROM results x WHERE x.job_id = r.job_id AND x.case_id = r.case_id) AS runs, "
		"(SELECT count(DISTINCT x.observed) FROM results x WHERE x.job_id = r.job_id "
		" AND x.case_id = r.case_id) AS distinct_observed, r.steps, "
		"(SELECT group_concat(x.observed || ':' || x.verdict) FROM results x "
		" WHERE x.job_id = r.job_id AND x.case_id = r.case_id) AS outcomes, "
		"r.job_id "
		"FROM results r JOIN targets t ON t.id = r.target_id WHERE r.id IN ("
		" SELECT max(r2.id) FROM jobs j JOIN results r2 ON r2.job_id = j.id "
		" WHERE j.plan_id = ?1 AND j.state = 3 GROUP BY r2.target_id, r2.case_id) "
		"AND (?2 IS NULL OR t.name = ?2) ORDER BY t.name, r.case_id",
	[S_DATA_VERSION] = "PRAGMA data_version",
	[S_TOKEN_ADD] = "INSERT INTO tokens (name, sha256, scopes) VALUES (?1, ?2, ?3)",
	[S_TOKEN_LOOKUP] = "SELECT name, scopes, coalesce(last_used_at, 0) < " NOW " - 60 "
		"FROM tokens WHERE sha256 = ?1",
	[S_TOKEN_EXISTS] = "SELECT 1 FROM tokens WHERE name = ?1",
	[S_TOKEN_TOUCH] = "UPDATE tokens SET last_used_at = " NOW " WHERE sha256 = ?1 "
		"AND (last_used_at IS NULL OR last_used_at < " NOW " - 60)",
	/* results_job index range (job_id, case_id): the repeats of one cell */
	[S_RESULT_ERRNOS] =
		"SELECT x.observed, count(*) FROM results r JOIN results x "
		"ON x.job_id = r.job_id AND x.case_id = r.case_id WHERE r.id = ?1 "
		"GROUP BY x.observed ORDER BY x.observed",
	/* contracts and verdicts (store_contracts.c, schema 0005) */
	[S_CONTRACT_LATEST] =
		"SELECT version, contracts, expect_reused FROM contract_versions "
		"WHERE case_id = ?1 ORDER BY version DESC LIMIT 1",
	[S_CONTRACTS_LATEST] =
		"SELECT c.case_id, c.version, c.contracts, c.expect_reused FROM contract_versions c "
		"WHERE c.version = (SELECT max(x.version) FROM contract_versions x "
		"WHERE x.case_id = c.case_id) ORDER BY c.case_id",
	[S_CONTRACT_INSERT] =
		"INSERT INTO contract_versions (case_id, version, contracts, expect_reused) "
		"VALUES (?1, ?2, ?3, ?4)",
	/* results judged against an older version than their case's latest
	 * (or never by the server), but for the agent's own verdicts */
	[S_REJUDGE_LOAD] =
		"SELECT r.id, r.case_id, k.release, r.driver, r.observed, r.expected, r.contract, "
		"r.verdict, r.contract_verdict, r.reason, r.reused, r.verified, r.repeat, "
		"r.contract_version FROM results r JOIN kernels k ON k.id = r.kernel_id "
		"WHERE (?1 IS NULL OR r.case_id = ?1) AND coalesce(r.judged_by, '') != 'agent' "
		"AND coalesce(r.contract_version, 0) < (SELECT max(c.version) FROM contract_versions c "
		"WHERE c.case_id = r.case_id) ORDER BY r.id",
	[S_RESULT_REJUDGE] =
		"UPDATE results SET verdict = ?2, contract_verdict = ?3, expected = ?4, contract = ?5, "
		"contract_version = ?6, judged_by = ?7 WHERE id = ?1",
	[S_HISTORY_INSERT] =
		"INSERT INTO verdict_history (result_id, case_id, field, old_verdict, new_verdict, "
		"old_expected, new_expected, old_contract_version, contract_version, changed_at) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
	[S_HISTORY_LIST] =
		"SELECT h.id, h.result_id, h.case_id AS \"case\", k.name AS kernel, t.name AS target, "
		"r.driver, h.field, h.old_verdict, h.new_verdict AS verdict, h.old_expected, "
		"h.new_expected AS expected, h.old_contract_version, h.contract_version, h.changed_at "
		"FROM verdict_history h JOIN results r ON r.id = h.result_id "
		"JOIN kernels k ON k.id = r.kernel_id JOIN targets t ON t.id = r.target_id "
		"WHERE (?1 IS NULL OR h.case_id = ?1) ORDER BY h.id DESC LIMIT ?2",
};

/* ---- errors ------------------------------------------------------------ */

int store_map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK:
	case SQLITE_DONE:
	case SQLITE_ROW:
		return 0;
	case SQLITE_CONSTRAINT:
		switch (rc) {
		case SQLITE_CONSTRAINT_UNIQUE:
		case SQLITE_CONSTRAINT_PRIMARYKEY:
			return -EEXIST;
		case SQLITE_CONSTRAINT_FOREIGNKEY:
			return -ENOENT;
		default:
			return -EINVAL;
		}
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_READONLY:
		return -EROFS;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	case SQLITE_TOOBIG:
		return -E2BIG;
	case SQLITE_RANGE:
	case SQLITE_MISMATCH:
		return -EINVAL;
	case SQLITE_CANTOPEN:
	case SQLITE_PERM:
	case SQLITE_AUTH:
		return -EACCES;
	default:
		return -EIO;
	}
}

int store_db_err(struct lab_store *st, int rc, const char *what)
{
	int e = store_map_rc(rc);

	if (e == -EEXIST || e == -ENOENT || e == -EINVAL)
		lab_debug("store: %s: %s", what, sqlite3_errmsg(st->db));
	else if (e)
		lab_error("store: %s: %s (%d)", what, sqlite3_errmsg(st->db), rc);
	return e;
}

/* ---- statements ---------------------------------------------------------- */

sqlite3_stmt *store_prep_sql(struct lab_store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);

	if (rc != SQLITE_OK) {
		lab_error("store: prepare: %s: %s", sqlite3_errmsg(st->db), sql);
		return NULL;
	}
	return s;
}

sqlite3_stmt *store_stmt(struct lab_store *st, enum stmt_id id)
{
	if (!st->stmt[id])
		st->stmt[id] = store_prep_sql(st, stmt_sql[id]);
	return st->stmt[id];
}

void store_done(sqlite3_stmt *s)
{
	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

/* run a statement that returns no rows (or ignores them) */
int store_exec_stmt(struct lab_store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	rc = rc == SQLITE_DONE ? 0 : store_db_err(st, rc, what);
	store_done(s);
	return rc;
}

/* run an upsert ... RETURNING id: the row's id into *@id */
int store_exec_returning_id(struct lab_store *st, sqlite3_stmt *s, int64_t *id,
			     const char *what)
{
	int rc = sqlite3_step(s), r = 0;

	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	else
		r = store_db_err(st, rc, what);
	store_done(s);
	return r;
}

/* BEGIN IMMEDIATE queues on the file's in-process write lock first; a
 * successful COMMIT or a ROLLBACK (store_rollback()) lets the next writer in */
int store_tx(struct lab_store *st, enum stmt_id id)
{
	sqlite3_stmt *s = store_stmt(st, id);
	int r;

	if (!s)
		return -EIO;
	if (id == S_BEGIN_IMM && st->wl && !st->wlocked) {
		r = lab_writelock_acquire(st->wl, BUSY_TIMEOUT_MS);
		if (r) {
			lab_error("store: %s: no write lock after %d ms", st->path,
				  BUSY_TIMEOUT_MS);
			return r;
		}
		st->wlocked = true;
	}
	r = store_exec_stmt(st, s, stmt_sql[id]);
	if (st->wlocked && sqlite3_get_autocommit(st->db)) {
		lab_writelock_release(st->wl);	/* committed, or BEGIN failed */
		st->wlocked = false;
	}
	return r;
}

void store_rollback(struct lab_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		store_tx(st, S_ROLLBACK);
	if (st->wlocked) {
		lab_writelock_release(st->wl);
		st->wlocked = false;
	}
}

void store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

void store_bind_id(sqlite3_stmt *s, int i, int64_t v)
{
	if (v > 0)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

char *store_col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? strdup((const char *)t) : NULL;
}

/* statement @id with ?1 bound to a name or an id; NULL if it cannot be
 * prepared (the readers below answer -EIO for a NULL statement) */
sqlite3_stmt *store_stmt_by_name(struct lab_store *st, enum stmt_id id, const char *name)
{
	sqlite3_stmt *s = store_stmt(st, id);

	if (s)
		store_bind_text(s, 1, name);
	return s;
}

sqlite3_stmt *store_stmt_by_id(struct lab_store *st, enum stmt_id id, int64_t v)
{
	sqlite3_stmt *s = store_stmt(st, id);

	if (s)
		sqlite3_bind_int64(s, 1, v);
	return s;
}

/* ---- rows: what the queries hand to their caller's visitor ------------- */

struct lab_store_row {
	sqlite3_stmt *s;
};

int lab_store_row_ncols(const struct lab_store_row *r)
{
	return sqlite3_column_count(r->s);
}

const char *lab_store_row_name(const struct lab_store_row *r, int i)
{
	return sqlite3_column_name(r->s, i);
}

enum lab_store_col lab_store_row_type(const struct lab_store_row *r, int i)
{
	switch (sqlite3_column_type(r->s, i)) {
	case SQLITE_NULL: return LAB_COL_NULL;
	case SQLITE_INTEGER: return LAB_COL_INT;
	case SQLITE_FLOAT: return LAB_COL_REAL;
	default: return LAB_COL_TEXT;	/* TEXT, BLOB */
	}
}

int64_t lab_store_row_int(const struct lab_store_row *r, int i)
{
	return sqlite3_column_int64(r->s, i);
}

double lab_store_row_real(const struct lab_store_row *r, int i)
{
	return sqlite3_column_double(r->s, i);
}

const char *lab_store_row_text(const struct lab_store_row *r, int i, size_t *len)
{
	const char *t = (const char *)sqlite3_column_text(r->s, i);

	if (len)
		*len = (size_t)sqlite3_column_bytes(r->s, i);
	return t;
}

void lab_store_row_values(const struct lab_store_row *r, struct lab_store_val *v, int n)
{
	for (int i = 0; i < n; i++) {
		switch (sqlite3_column_type(r->s, i)) {
		case SQLITE_NULL:
			v[i].type = LAB_COL_NULL;
			break;
		case SQLITE_INTEGER:
			v[i].type = LAB_COL_INT;
			v[i].i = sqlite3_column_int64(r->s, i);
			break;
		case SQLITE_FLOAT:
			v[i].type = LAB_COL_REAL;
			v[i].d = sqlite3_column_double(r->s, i);
			break;
		default:	/* TEXT, BLOB */
			v[i].type = LAB_COL_TEXT;
			v[i].text = (const char *)sqlite3_column_text(r->s, i);
			v[i].len = (size_t)sqlite3_column_bytes(r->s, i);
			break;
		}
	}
}

/* step bound statement @s, @fn on every row until it returns non-zero;
 * the number of rows or -errno; @s is reset; -EIO for a NULL statement */
int store_rows_each(struct lab_store *st, sqlite3_stmt *s, lab_store_row_fn fn,
		    void *arg, const char *what)
{
	struct lab_store_row row = { s };
	int rc, r = 0, n = 0;

	if (!s)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		n++;
		r = fn(&row, arg);
		if (r)
			break;
	}
	if (!r && rc != SQLITE_DONE)
		r = store_db_err(st, rc, what);
	store_done(s);
	return r ? r : n;
}

/* ---- open, migrations ---------------------------------------------------- */

struct migration {
	int version;
	char name[256];
};

static int cmp_migration(const void *a, const void *b)
{
	return ((const struct migration *)a)->version -
	       ((const struct migration *)b)->version;
}

/* NNNN-name.sql files of @dir, sorted; versions must be 1..n without gaps */
static int list_migrations(const char *dir, struct migration *m, int *n)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int cnt = 0;

	if (!d) {
		lab_error("store: schema dir %s: %s", dir, strerror(errno));
		return -errno;
	}
	while ((de = readdir(d))) {
		const char *nm = de->d_name;
		size_t l = strlen(nm);

		if (l < 9 || l >= sizeof(m[0].name) || strcmp(nm + l - 4, ".sql") ||
		    nm[4] != '-' || strspn(nm, "0123456789") != 4)
			continue;
		if (cnt == MAX_MIGRATIONS) {
			closedir(d);
			return -E2BIG;
		}
		m[cnt].version = atoi(nm);
		snprintf(m[cnt].name, sizeof(m[cnt].name), "%s", nm);
		cnt++;
	}
	closedir(d);
	qsort(m, cnt, sizeof(*m), cmp_migration);
	for (int i = 0; i < cnt; i++) {
		if (m[i].version != i + 1) {
			lab_error("store: schema %s: expected version %04d, found %s",
				  dir, i + 1, m[i].name);
			return -EINVAL;
		}
	}
	*n = cnt;
	return 0;
}

static int read_file(const char *path, char **out)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	long len;
	int r = 0;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		r = -EIO;
		goto close_file;
	}
	buf = malloc((size_t)len + 1);
	if (!buf) {
		r = -ENOMEM;
		goto close_file;
	}
	if (fread(buf, 1, (size_t)len, f) != (size_t)len) {
		free(buf);
		r = -EIO;
		goto close_file;
	}
	buf[len] = 0;
	*out = buf;
close_file:
	fclose(f);
	return r;
}

static int user_version(struct lab_store *st, int *v)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);

	if (rc != SQLITE_OK)
		return store_db_err(st, rc, "user_version");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : store_db_err(st, rc, "user_version");
}

int store_exec_sql(struct lab_store *st, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		lab_error("store: %s: %s", what, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return store_map_rc(rc);
	}
	return 0;
}

static int migrate(struct lab_store *st, const char *schema_dir)
{
	struct migration *m;
	char path[4096], pragma[64];
	int n = 0, v = 0, r;

	m = calloc(MAX_MIGRATIONS, sizeof(*m));
	if (!m)
		return -ENOMEM;
	r = list_migrations(schema_dir, m, &n);
	if (r)
		goto free_list;
	/* up to date: no write lock needed (the common case for a pool) */
	r = user_version(st, &v);
	if (r)
		goto free_list;
	if (v == n)
		goto free_list;
	r = store_exec_sql(st, "BEGIN IMMEDIATE", "migrate: begin");
	if (r)
		goto free_list;
	r = user_version(st, &v);	/* again, under the lock */
	if (r)
		goto rollback_tx;
	if (v > n) {
		lab_error("store: database %s is at schema version %d but %s has only %d: "
			  "newer database, older server", st->path, v, schema_dir, n);
		r = -EPROTO;
		goto rollback_tx;
	}
	for (int i = v; i < n; i++) {
		char *sql = NULL;

		snprintf(path, sizeof(path), "%s/%s", schema_dir, m[i].name);
		r = read_file(path, &sql);
		if (r) {
			lab_error("store: %s: %s", path, strerror(-r));
			goto rollback_tx;
		}
		r = store_exec_sql(st, sql, m[i].name);
		free(sql);
		if (r)
			goto rollback_tx;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m[i].version);
		r = store_exec_sql(st, pragma, "set user_version");
		if (r)
			goto rollback_tx;
		lab_info("store: applied schema %s", m[i].name);
	}
	r = store_exec_sql(st, "COMMIT", "migrate: commit");
	if (r)
		goto rollback_tx;
	free(m);
	return 0;
rollback_tx:
	store_exec_sql(st, "ROLLBACK", "migrate: rollback");
free_list:
	free(m);
	return r;
}

/* commit hook: runs in the committing thread; never vetoes the commit */
static int on_commit(void *arg)
{
	((struct lab_store *)arg)->dirty = true;
	return 0;
}

/*
 * Process-wide SQLite settings, before its first use: no memory statistics
 * (they take a global mutex on every allocation, which every connection of
 * the HTTP pool would contend on). A no-op (SQLITE_MISUSE) if the process
 * already used SQLite.
 */
static void sqlite_once(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

int lab_store_open(const char *db_path, const char *schema_dir,
		   struct lab_store **out)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	struct lab_store *st;
	char *mode = NULL;
	sqlite3_stmt *s;
	int rc, r;

	if (!db_path || !schema_dir || !out)
		return -EINVAL;
	pthread_once(&once, sqlite_once);
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->path = strdup(db_path);
	if (!st->path) {
		r = -ENOMEM;
		goto free_st;
	}
	rc = sqlite3_open_v2(db_path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		int sys = st->db ? sqlite3_system_errno(st->db) : 0;

		r = st->db ? store_db_err(st, rc, db_path) : -ENOMEM;
		if ((rc & 0xff) == SQLITE_CANTOPEN && sys > 0)
			r = -sys;	/* the OS's reason: ENOENT, EACCES, ... */
		goto close_db;
	}
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	sqlite3_commit_hook(st->db, on_commit, st);
	r = lab_writelock_get(db_path, &st->wl);
	if (r)
		goto close_db;
	r = store_exec_sql(st, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL", "pragmas");
	/* asked for read-write, SQLite fell back to read-only: say so, not EACCES */
	if (r == -EACCES && sqlite3_db_readonly(st->db, "main") == 1)
		r = -EROFS;
	if (r)
		goto close_db;
	/* journal_mode returns a row: the mode actually in effect */
	rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		r = store_db_err(st, rc, "journal_mode");
		goto close_db;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		mode = store_col_dup(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		r = store_db_err(st, rc, "journal_mode");
		goto close_db;
	}
	if (!mode || strcmp(mode, "wal") != 0)
		lab_warn("store: %s: journal mode is %s, not wal", db_path, mode ? mode : "?");
	else
		st->wal = true;
	free(mode);
	r = migrate(st, schema_dir);
	if (r)
		goto close_db;
	*out = st;
	return 0;
close_db:
	lab_writelock_put(st->wl);
	sqlite3_close_v2(st->db);
	free(st->path);
free_st:
	free(st);
	return r;
}

void lab_store_close(struct lab_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	for (int i = 0; i < 1 << JOB_FILTERS; i++)
		sqlite3_finalize(st->jobs_list[i]);
	for (int i = 0; i < 1 << RESULT_FILTERS; i++)
		sqlite3_finalize(st->results_list[i]);
	for (int i = 0; i < STORE_EXT_MAX; i++)
		sqlite3_finalize(st->ext[i]);
	if (!sqlite3_get_autocommit(st->db))
		store_rollback(st);	/* never leave the write lock held */
	st->shm = NULL;	/* SQLite's mapping: gone with the last connection's WAL */
	sqlite3_close_v2(st->db);
	lab_writelock_put(st->wl);
	free(st->path);
	free(st);
}

int lab_store_schema_version(struct lab_store *st)
{
	int v = 0, r = user_version(st, &v);

	return r ? r : v;
}

/* ---- structs read from rows: one column table per struct ---------------- */

/*
 * Where each column of KERNEL_COLS, TARGET_COLS and JOB_COLS goes in its
 * struct, in column order. One table per struct serves every query that
 * selects those columns (store_row_struct()) and that struct's _clear() (every
 * string member of the struct is in its table).
 */
static const struct field kernel_fields[] = {	/* KERNEL_COLS */
	FIELD(F_I64, struct lab_kernel, id),
	FIELD_REQ(struct lab_kernel, name),
	FIELD(F_TEXT, struct lab_kernel, release),
	FIELD(F_TEXT, struct lab_kernel, version),
	FIELD(F_TEXT, struct lab_kernel, arch),
	FIELD(F_TEXT, struct lab_kernel, source),
	FIELD(F_TEXT, struct lab_kernel, source_ref),
	FIELD(F_TEXT, struct lab_kernel, image_path),
	FIELD(F_TEXT, struct lab_kernel, modules_path),
	FIELD(F_TEXT, struct lab_kernel, headers_path),
	FIELD(F_TEXT, struct lab_kernel, sha256),
};

static const struct field target_fields[] = {	/* TARGET_COLS */
	FIELD(F_I64, struct lab_target, id),
	FIELD_REQ(struct lab_target, name),
	FIELD(F_TEXT, struct lab_target, arch),
	FIELD(F_TEXT, struct lab_target, backend),
	FIELD(F_TEXT, struct lab_target, vendor),
	FIELD(F_TEXT, struct lab_target, driver),
	FIELD(F_TEXT, struct lab_target, device_type),
	FIELD_REQ(struct lab_target, definition),
	FIELD(F_TEXT, struct lab_target, tags),
	FIELD(F_TEXT, struct lab_target, health),
	FIELD(F_INT, struct lab_target, concurrency),
};

/* state is an enum read as an int: the same size (checked below) */
static const struct field job_fields[] = {	/* JOB_COLS */
	FIELD(F_I64, struct lab_job, id),
	FIELD(F_I64, struct lab_job, plan_id),
	FIELD(F_I64, struct lab_job, kernel_id),
	FIELD(F_I64, struct lab_job, target_id),
	FIELD(F_INT, struct lab_job, state),
	FIELD(F_INT, struct lab_job, priority),
	FIELD(F_INT, struct lab_job, attempts),
	FIELD(F_INT, struct lab_job, max_attempts),
	FIELD(F_INT, struct lab_job, timeout_s),
	FIELD(F_INT, struct lab_job, repeat),
	FIELD(F_TEXT, struct lab_job, case_filter),
	FIELD_REQ(struct lab_job, backend),
	FIELD(F_TEXT, struct lab_job, backend_job_id),
	FIELD(F_TEXT, struct lab_job, log_path),
	FIELD(F_TEXT, struct lab_job, reason),
	FIELD(F_I64, struct lab_job, created_at),
	FIELD(F_I64, struct lab_job, started_at),
	FIELD(F_I64, struct lab_job, finished_at),
};
_Static_assert(sizeof(enum lab_job_state) == sizeof(int), "job state read as int");

const struct row_layout store_kernel_layout = LAYOUT(struct lab_kernel, kernel_fields, "kernel get");
const struct row_layout store_target_layout = LAYOUT(struct lab_target, target_fields, "target get");
const struct row_layout store_job_layout = LAYOUT(struct lab_job, job_fields, "job get");

/* free the string members of @obj (NULL: nothing) and zero it */
static void layout_clear(const struct row_layout *lay, void *obj)
{
	if (!obj)
		return;
	for (size_t i = 0; i < lay->n; i++)
		if (lay->fields[i].type == F_TEXT)
			free(*(char **)((char *)obj + lay->fields[i].off));
	memset(obj, 0, lay->size);
}

/*
 * The first row of bound statement @s into @obj (a struct of @lay's kind);
 * -ENOENT when there is none, -EIO for a NULL statement. @obj is zeroed
 * first and cleared again on error; @s is reset.
 */
int store_row_struct(struct lab_store *st, sqlite3_stmt *s,
		      const struct row_layout *lay, void *obj)
{
	int rc, r = 0;

	memset(obj, 0, lay->size);
	if (!s)
		return -EIO;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		for (size_t i = 0; i < lay->n; i++) {
			const struct field *f = &lay->fields[i];
			void *m = (char *)obj + f->off;

			switch (f->type) {
			case F_I64:
				*(int64_t *)m = sqlite3_column_int64(s, (int)i);
				break;
			case F_INT:
				*(int *)m = sqlite3_column_int(s, (int)i);
				break;
			case F_TEXT:
				*(char **)m = store_col_dup(s, (int)i);
				if (f->required && !*(char **)m)
					r = -ENOMEM;
				break;
			}
		}
	} else {
		r = rc == SQLITE_DONE ? -ENOENT : store_db_err(st, rc, lay->what);
	}
	store_done(s);
	if (r)
		layout_clear(lay, obj);
	return r;
}

/* lab_kernel_clear() and the other destructors: model.c */

/* ---- shared by the table families ---------------------------------------- */

bool store_valid_case_id(const char *id)
{
	return lab_case_id_valid(id);
}

sqlite3_stmt *store_ext_stmt(struct lab_store *st, int slot, const char *sql)
{
	if (slot < 0 || slot >= STORE_EXT_MAX)
		return NULL;
	if (!st->ext[slot])
		st->ext[slot] = store_prep_sql(st, sql);
	return st->ext[slot];
}

/*
 * A list statement assembled from fixed fragments (never from values):
 * @select, then the @where fragment of each bit set in @mask, then @tail.
 * Prepared once per mask into @cache[mask]; NULL if it cannot be prepared.
 */
sqlite3_stmt *store_filtered_stmt(struct lab_store *st, sqlite3_stmt **cache,
				   unsigned mask, const char *select,
				   const char *const *where, int nwhere,
				   const char *tail)
{
	char sql[2048];
	size_t n;

	if (cache[mask])
		return cache[mask];
	n = (size_t)snprintf(sql, sizeof(sql), "%s", select);
	for (int i = 0; i < nwhere; i++)
		if (mask & (1u << i))
			n += (size_t)snprintf(sql + n, sizeof(sql) - n, "%s", where[i]);
	snprintf(sql + n, sizeof(sql) - n, "%s", tail);
	cache[mask] = store_prep_sql(st, sql);
	return cache[mask];
}

/* ---- generation: has data become visible? -------------------------------- */

/*
 * Every process-wide change that may make results visible bumps this; a
 * connection notices its own commits (commit hook) and everyone else's
 * when it asks, so no write path needs to remember.
 *
 * How it notices others: in WAL mode every commit (of any connection, any
 * process) rewrites the WAL-index header at the start of <db>-shm before
 * the commit returns: two copies of 48 bytes, the second written first,
 * iChange incremented per commit, mxFrame/salts changed with the log
 * (https://sqlite.org/walformat.html). Comparing that header with the one
 * this connection saw last is a read of shared memory: no SQLite read
 * transaction, so no fcntl lock, fstat and process-wide shm mutex per
 * cached request (PRAGMA data_version needs all three, and the HTTP
 * workers contended on that mutex). Without a usable mapping, or while
 * the two copies differ (a commit in progress), PRAGMA data_version
 * answers as before.
 *
 * The mapping is SQLite's own (the VFS's xShmMap of region 0, which this
 * connection's WAL mapped already), never a second descriptor of -shm: a
 * close() of any descriptor of a file drops every POSIX lock this process
 * holds on it, SQLite's "dead man switch" read lock on -shm included, and
 * then the next process to open the database takes itself for its first
 * user, truncates -shm and rebuilds the WAL index under this server (the
 * old open/mmap/close here did exactly that; stage 70 saw the server die
 * of SIGBUS reading the truncated mapping). SQLite unmaps region 0 when
 * the last connection of this process closes the WAL; lab_store_close
 * forgets the pointer before it closes the connection.
 */
static _Atomic uint64_t visible_gen = 1;

static void shm_map(struct lab_store *st)
{
	sqlite3_file *f = NULL;
	void volatile *region = NULL;

	st->shm_tried = true;
	if (!st->wal ||
	    sqlite3_file_control(st->db, "main", SQLITE_FCNTL_FILE_POINTER, &f) != SQLITE_OK ||
	    !f || !f->pMethods || f->pMethods->iVersion < 2 || !f->pMethods->xShmMap)
		return;
	/* bExtend 0: the region as the WAL mapped it, or NULL (then data_version) */
	if (f->pMethods->xShmMap(f, 0, WAL_INDEX_REGION, 0, &region) == SQLITE_OK && region)
		st->shm = (const unsigned char *)region;
}

/* 1 changed, 0 unchanged, -EAGAIN cannot tell (no mapping, a write in progress) */
static int shm_changed(struct lab_store *st)
{
	unsigned char a[WAL_HDR_BYTES], b[WAL_HDR_BYTES];
	int changed;

	if (!st->shm_tried)
		shm_map(st);
	if (!st->shm)
		return -EAGAIN;
	/* the reverse of the writer's order: first copy, barrier, second copy */
	memcpy(a, st->shm, sizeof(a));
	atomic_thread_fence(memory_order_seq_cst);
	memcpy(b, st->shm + WAL_HDR_BYTES, sizeof(b));
	if (memcmp(a, b, sizeof(a)) != 0 || !a[12])	/* torn, or isInit == 0 */
		return -EAGAIN;
	changed = memcmp(a, st->shm_seen, sizeof(a)) != 0;
	memcpy(st->shm_seen, a, sizeof(a));
	return changed;
}

uint64_t lab_store_generation(struct lab_store *st)
{
	sqlite3_stmt *s;
	bool changed = st->dirty;
	int c = shm_changed(st);

	if (c >= 0) {
		changed |= c;
	} else if ((s = store_stmt(st, S_DATA_VERSION)) && sqlite3_step(s) == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(s, 0);

		changed |= v != st->data_version;
		st->data_version = v;
		store_done(s);
	} else {
		changed = true;		/* cannot tell: assume a change */
		if (s)
			store_done(s);
	}
	st->dirty = false;
	if (changed)
		return atomic_fetch_add(&visible_gen, 1) + 1;
	return atomic_load(&visible_gen);
}

/* ---- tuning ------------------------------------------------------------------ */

int lab_store_pragma(struct lab_store *st, const char *name, long value)
{
	static const char *const allowed[] = {
		"cache_size", "max_page_count", "query_only", "synchronous", NULL,
	};
	char sql[96];

	for (int i = 0; allowed[i]; i++) {
		if (name && strcmp(name, allowed[i]) == 0) {
			/* the name is one of ours and the value an integer: no injection */
			snprintf(sql, sizeof(sql), "PRAGMA %s = %ld", allowed[i], value);
			return store_exec_sql(st, sql, sql);
		}
	}
	return -EINVAL;
}

/* ---- transactions for code above the store ------------------------------ */

int lab_store_read_begin(struct lab_store *st, bool *began)
{
	int r;

	*began = false;
	if (!sqlite3_get_autocommit(st->db))
		return 0;	/* inside a transaction: its snapshot already holds */
	r = store_tx(st, S_BEGIN);
	*began = !r;
	return r;
}

void lab_store_read_end(struct lab_store *st, bool began)
{
	if (began && store_tx(st, S_COMMIT))
		store_rollback(st);
}

int lab_store_tx_begin(struct lab_store *st)
{
	return store_tx(st, S_BEGIN_IMM);
}

int lab_store_tx_commit(struct lab_store *st)
{
	return store_tx(st, S_COMMIT);
}

void lab_store_tx_rollback(struct lab_store *st)
{
	store_rollback(st);
}
