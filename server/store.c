/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store.c - the SQLite results store (store.h).
 *
 * Structure: one connection per struct lab_store; static statements are
 * listed in stmt_sql[] and prepared on first use (persistent), then reset
 * after each use. List queries with optional filters are assembled from
 * fixed SQL fragments (never from values) and cached by filter bitmask.
 * SQLite result codes become -errno in db_err(), the one place that maps
 * them (and logs SQLite's message).
 */
#include <dirent.h>
#include <pthread.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <stdatomic.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "auth.h"
#include "jsonbuf.h"
#include "log.h"
#include "record.h"
#include "sched.h"
#include "store.h"
#include "writelock.h"

#define BUSY_TIMEOUT_MS 10000
#define MAX_MIGRATIONS 256

enum stmt_id {
	S_BEGIN, S_BEGIN_IMM, S_COMMIT, S_ROLLBACK, S_FK_OFF, S_FK_ON,
	S_KERNEL_PUT, S_KERNEL_GET, S_KERNEL_GET_ID, S_KERNELS_LIST,
	S_TARGET_PUT, S_TARGET_GET, S_TARGET_GET_ID, S_TARGETS_LIST,
	S_CASE_PUT, S_CASES_LIST, S_CASE_GET,
	S_PLAN_INSERT, S_PLANS_LIST, S_PLAN_GET, S_PLAN_JOBS,
	S_JOB_INSERT, S_JOB_GET, S_JOB_GET_JSON, S_JOB_TRANSITION,
	S_JOB_SET_BACKEND, S_JOB_RETRY, S_JOB_NEXT, S_JOBS_IN_STATE,
	S_JOB_STATE, S_LATEST_REFRESH,
	S_RESULT_INSERT, S_MATRIX, S_DIFF_KERNEL, S_DIFF_PLAN, S_DATA_VERSION,
	S_TOKEN_ADD, S_TOKEN_LOOKUP, S_TOKEN_EXISTS, S_TOKEN_TOUCH,
	S_RESULT_ERRNOS,
	S__COUNT
};

#define JOB_COLS "id, plan_id, kernel_id, target_id, state, priority, attempts, " \
	"max_attempts, timeout_s, repeat, case_filter, backend, backend_job_id, " \
	"log_path, reason, created_at, started_at, finished_at"
#define KERNEL_COLS "id, name, release, version, arch, source, source_ref, " \
	"image_path, modules_path, headers_path, sha256"
#define TARGET_COLS "id, name, arch, backend, vendor, driver, device_type, " \
	"definition, tags, health, concurrency"
#define NOW "CAST(strftime('%s','now') AS INTEGER)"

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
	[S_PLAN_JOBS] = "SELECT state, count(*) FROM jobs WHERE plan_id = ?1 GROUP BY state",
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
		"created_at, kernel_kind, kernel_excerpt, contract_verdict, taint_before, taint_after) "
		"VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
		"?18, ?19, ?20, ?21, ?22)",
	[S_MATRIX] =
		"SELECT t.name AS target, r.driver, l.case_id AS \"case\", r.verdict, r.observed, "
		"r.expected, r.contract, r.reason, r.reused, r.verified, r.id AS result_id, "
		"l.job_id, l.runs, l.distinct_observed "
		"FROM latest l JOIN results r ON r.id = l.result_id JOIN targets t ON t.id = l.target_id "
		"WHERE l.kernel_id = ?1 ORDER BY r.driver, t.name, l.case_id",
	[S_DIFF_KERNEL] =
		"SELECT t.name AS target, r.driver, l.case_id AS \"case\", r.observed, r.expected, "
		"r.verdict, r.id AS result_id, l.runs, l.distinct_observed "
		"FROM latest l JOIN results r ON r.id = l.result_id JOIN targets t ON t.id = l.target_id "
		"WHERE l.kernel_id = ?1 ORDER BY t.name, l.case_id",
	[S_DIFF_PLAN] =
		"SELECT t.name AS target, r.driver, r.case_id AS \"case\", r.observed, r.expected, "
		"r.verdict, r.id AS result_id, "
		"(SELECT count(*) FROM results x WHERE x.job_id = r.job_id AND x.case_id = r.case_id) AS runs, "
		"(SELECT count(DISTINCT x.observed) FROM results x WHERE x.job_id = r.job_id "
		" AND x.case_id = r.case_id) AS distinct_observed "
		"FROM results r JOIN targets t ON t.id = r.target_id WHERE r.id IN ("
		" SELECT max(r2.id) FROM jobs j JOIN results r2 ON r2.job_id = j.id "
		" WHERE j.plan_id = ?1 AND j.state = 3 GROUP BY r2.target_id, r2.case_id) "
		"ORDER BY t.name, r.case_id",
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
};

#define JOB_FILTERS 5		/* state, kernel, target, plan, cursor */
#define WAL_HDR_BYTES 48	/* one copy of SQLite's WalIndexHdr (fileformat2) */
#define RESULT_FILTERS 7	/* kernel, target, job, driver, case, verdict, cursor */

struct lab_store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[S__COUNT];
	sqlite3_stmt *jobs_list[1 << JOB_FILTERS];
	sqlite3_stmt *results_list[1 << RESULT_FILTERS];
	/* lab_store_generation(): this connection committed a write since it
	 * last looked (set by the commit hook), and the data_version it saw */
	bool dirty;
	int64_t data_version;
	/* ... or, in WAL mode, the WAL-index header it saw last, read from a
	 * read-only mapping of <db>-shm (shm_map(); NULL: use data_version) */
	bool wal, shm_tried;
	const unsigned char *shm;
	unsigned char shm_seen[WAL_HDR_BYTES];
	/* this process's writers to the same file queue here (writelock.h);
	 * held from BEGIN IMMEDIATE to COMMIT/ROLLBACK when @wlocked */
	struct lab_writelock *wl;
	bool wlocked;
};

/* ---- errors ------------------------------------------------------------ */

static int map_rc(int rc)
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

static int db_err(struct lab_store *st, int rc, const char *what)
{
	int e = map_rc(rc);

	if (e == -EEXIST || e == -ENOENT || e == -EINVAL)
		lab_debug("store: %s: %s", what, sqlite3_errmsg(st->db));
	else if (e)
		lab_error("store: %s: %s (%d)", what, sqlite3_errmsg(st->db), rc);
	return e;
}

/* ---- statements ---------------------------------------------------------- */

static sqlite3_stmt *prep_sql(struct lab_store *st, const char *sql)
{
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);

	if (rc != SQLITE_OK) {
		lab_error("store: prepare: %s: %s", sqlite3_errmsg(st->db), sql);
		return NULL;
	}
	return s;
}

static sqlite3_stmt *stmt(struct lab_store *st, enum stmt_id id)
{
	if (!st->stmt[id])
		st->stmt[id] = prep_sql(st, stmt_sql[id]);
	return st->stmt[id];
}

static void done(sqlite3_stmt *s)
{
	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
	}
}

/* run a statement that returns no rows (or ignores them) */
static int exec_stmt(struct lab_store *st, sqlite3_stmt *s, const char *what)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		;
	rc = rc == SQLITE_DONE ? 0 : db_err(st, rc, what);
	done(s);
	return rc;
}

/* run an upsert ... RETURNING id: the row's id into *@id */
static int exec_returning_id(struct lab_store *st, sqlite3_stmt *s, int64_t *id,
			     const char *what)
{
	int rc = sqlite3_step(s), r = 0;

	if (rc == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	else
		r = db_err(st, rc, what);
	done(s);
	return r;
}

/* BEGIN IMMEDIATE queues on the file's in-process write lock first; a
 * successful COMMIT or a ROLLBACK (rollback()) lets the next writer in */
static int tx(struct lab_store *st, enum stmt_id id)
{
	sqlite3_stmt *s = stmt(st, id);
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
	r = exec_stmt(st, s, stmt_sql[id]);
	if (st->wlocked && sqlite3_get_autocommit(st->db)) {
		lab_writelock_release(st->wl);	/* committed, or BEGIN failed */
		st->wlocked = false;
	}
	return r;
}

static void rollback(struct lab_store *st)
{
	if (!sqlite3_get_autocommit(st->db))
		tx(st, S_ROLLBACK);
	if (st->wlocked) {
		lab_writelock_release(st->wl);
		st->wlocked = false;
	}
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

static void bind_id(sqlite3_stmt *s, int i, int64_t v)
{
	if (v > 0)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? strdup((const char *)t) : NULL;
}

/* statement @id with ?1 bound to a name or an id; NULL if it cannot be
 * prepared (the readers below answer -EIO for a NULL statement) */
static sqlite3_stmt *stmt_by_name(struct lab_store *st, enum stmt_id id, const char *name)
{
	sqlite3_stmt *s = stmt(st, id);

	if (s)
		bind_text(s, 1, name);
	return s;
}

static sqlite3_stmt *stmt_by_id(struct lab_store *st, enum stmt_id id, int64_t v)
{
	sqlite3_stmt *s = stmt(st, id);

	if (s)
		sqlite3_bind_int64(s, 1, v);
	return s;
}

/* ---- JSON rows ------------------------------------------------------------ */

static bool is_json_col(const char *n)
{
	static const char *const cols[] = {
		"steps", "tags", "contracts", "meta", "spec", "definition", NULL,
	};
	for (int i = 0; cols[i]; i++)
		if (strcmp(n, cols[i]) == 0)
			return true;
	return false;
}

/* one row as an object: column names are keys; state/verdict as names,
 * JSON text columns parsed, reused/has_log as booleans */
static json_t *row_json(sqlite3_stmt *s)
{
	json_t *o = json_object();
	int n = sqlite3_column_count(s);

	for (int i = 0; o && i < n; i++) {
		const char *name = sqlite3_column_name(s, i);
		int type = sqlite3_column_type(s, i);
		json_t *v;

		if (type == SQLITE_NULL) {
			v = json_null();
		} else if (strcmp(name, "state") == 0) {
			v = json_string(lab_job_state_name(sqlite3_column_int(s, i)));
		} else if (strcmp(name, "verdict") == 0) {
			v = json_string(lab_verdict_name(sqlite3_column_int(s, i)));
		} else if (strcmp(name, "reused") == 0 || strcmp(name, "has_log") == 0) {
			v = json_boolean(sqlite3_column_int(s, i));
		} else if (type == SQLITE_INTEGER) {
			v = json_integer(sqlite3_column_int64(s, i));
		} else if (type == SQLITE_FLOAT) {
			v = json_real(sqlite3_column_double(s, i));
		} else if (is_json_col(name)) {
			v = json_loads((const char *)sqlite3_column_text(s, i),
				       JSON_DECODE_ANY, NULL);
			if (!v)
				v = json_string((const char *)sqlite3_column_text(s, i));
		} else {
			v = json_stringn((const char *)sqlite3_column_text(s, i),
					 (size_t)sqlite3_column_bytes(s, i));
		}
		if (!v || json_object_set_new(o, name, v)) {
			json_decref(o);
			return NULL;
		}
		/* errno columns also by name: "observed_name": "EINVAL" */
		if (strcmp(name, "observed") == 0 || strcmp(name, "expected") == 0) {
			char key[16];

			snprintf(key, sizeof(key), "%s_name", name);
			json_object_set_new(o, key, type == SQLITE_INTEGER ?
					    json_string(lab_errno_name(sqlite3_column_int(s, i))) :
					    json_null());
		}
	}
	return o;
}

/* all rows of a bound statement as an array; the statement is reset;
 * -EIO for a NULL statement (not prepared) */
static int rows_json(struct lab_store *st, sqlite3_stmt *s, json_t **out,
		     const char *what)
{
	json_t *arr;
	int rc, r = 0;

	if (!s)
		return -EIO;
	arr = json_array();
	if (!arr) {
		done(s);
		return -ENOMEM;
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_t *o = row_json(s);

		if (!o || json_array_append_new(arr, o)) {
			r = -ENOMEM;
			break;
		}
	}
	if (!r && rc != SQLITE_DONE)
		r = db_err(st, rc, what);
	done(s);
	if (r) {
		json_decref(arr);
		return r;
	}
	*out = arr;
	return 0;
}

/* first row of a bound statement as an object, -ENOENT if none */
static int row_one(struct lab_store *st, sqlite3_stmt *s, json_t **out,
		   const char *what)
{
	json_t *arr;
	int r = rows_json(st, s, &arr, what);

	if (r)
		return r;
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		return -ENOENT;
	}
	*out = json_incref(json_array_get(arr, 0));
	json_decref(arr);
	return 0;
}

/* ---- enums --------------------------------------------------------------- */

const char *lab_job_state_name(enum lab_job_state s)
{
	switch (s) {
	case LAB_JOB_QUEUED: return "queued";
	case LAB_JOB_SCHEDULED: return "scheduled";
	case LAB_JOB_RUNNING: return "running";
	case LAB_JOB_COMPLETE: return "complete";
	case LAB_JOB_INCOMPLETE: return "incomplete";
	case LAB_JOB_CANCELED: return "canceled";
	}
	return "unknown";
}

int lab_job_state_parse(const char *s, enum lab_job_state *out)
{
	for (int i = LAB_JOB_QUEUED; i <= LAB_JOB_CANCELED; i++) {
		if (s && strcmp(s, lab_job_state_name(i)) == 0) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *lab_verdict_name(enum lab_verdict v)
{
	switch (v) {
	case LAB_VERDICT_PASS: return "pass";
	case LAB_VERDICT_FAIL: return "fail";
	case LAB_VERDICT_SKIP: return "skip";
	case LAB_VERDICT_ERROR: return "error";
	case LAB_VERDICT_CRASH: return "crash";
	case LAB_VERDICT_WARN: return "warn";
	}
	return "unknown";
}

int lab_verdict_parse(const char *s, enum lab_verdict *out)
{
	for (int i = LAB_VERDICT_PASS; i <= LAB_VERDICT_LAST; i++) {
		if (s && strcmp(s, lab_verdict_name(i)) == 0) {
			*out = i;
			return 0;
		}
	}
	return -EINVAL;
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
		return db_err(st, rc, "user_version");
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : db_err(st, rc, "user_version");
}

static int exec_sql(struct lab_store *st, const char *sql, const char *what)
{
	char *msg = NULL;
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		lab_error("store: %s: %s", what, msg ? msg : sqlite3_errstr(rc));
		sqlite3_free(msg);
		return map_rc(rc);
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
	r = exec_sql(st, "BEGIN IMMEDIATE", "migrate: begin");
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
		r = exec_sql(st, sql, m[i].name);
		free(sql);
		if (r)
			goto rollback_tx;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m[i].version);
		r = exec_sql(st, pragma, "set user_version");
		if (r)
			goto rollback_tx;
		lab_info("store: applied schema %s", m[i].name);
	}
	r = exec_sql(st, "COMMIT", "migrate: commit");
	if (r)
		goto rollback_tx;
	free(m);
	return 0;
rollback_tx:
	exec_sql(st, "ROLLBACK", "migrate: rollback");
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

		r = st->db ? db_err(st, rc, db_path) : -ENOMEM;
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
	r = exec_sql(st, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL", "pragmas");
	/* asked for read-write, SQLite fell back to read-only: say so, not EACCES */
	if (r == -EACCES && sqlite3_db_readonly(st->db, "main") == 1)
		r = -EROFS;
	if (r)
		goto close_db;
	/* journal_mode returns a row: the mode actually in effect */
	rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode = WAL", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		r = db_err(st, rc, "journal_mode");
		goto close_db;
	}
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		mode = col_dup(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		r = db_err(st, rc, "journal_mode");
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
	if (!sqlite3_get_autocommit(st->db))
		rollback(st);	/* never leave the write lock held */
	if (st->shm)	/* before the close drops this connection's hold on -shm */
		munmap((void *)st->shm, 2 * WAL_HDR_BYTES);
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
 * selects those columns (row_struct()) and that struct's _clear() (every
 * string member of the struct is in its table).
 */
enum field_type { F_I64, F_INT, F_TEXT };

struct field {
	enum field_type type;
	size_t off;
	bool required;	/* F_TEXT of a NOT NULL column: NULL means out of memory */
};

struct row_layout {
	const struct field *fields;
	size_t n;
	size_t size;		/* of the struct */
	const char *what;	/* for db_err() */
};

#define FIELD(type, strct, member) { type, offsetof(strct, member), false }
#define FIELD_REQ(strct, member) { F_TEXT, offsetof(strct, member), true }
#define LAYOUT(strct, fields, what) { fields, sizeof(fields) / sizeof(fields[0]), \
	sizeof(strct), what }

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

static const struct row_layout kernel_layout = LAYOUT(struct lab_kernel, kernel_fields, "kernel get");
static const struct row_layout target_layout = LAYOUT(struct lab_target, target_fields, "target get");
static const struct row_layout job_layout = LAYOUT(struct lab_job, job_fields, "job get");

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
static int row_struct(struct lab_store *st, sqlite3_stmt *s,
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
				*(char **)m = col_dup(s, (int)i);
				if (f->required && !*(char **)m)
					r = -ENOMEM;
				break;
			}
		}
	} else {
		r = rc == SQLITE_DONE ? -ENOENT : db_err(st, rc, lay->what);
	}
	done(s);
	if (r)
		layout_clear(lay, obj);
	return r;
}

void lab_kernel_clear(struct lab_kernel *k)
{
	layout_clear(&kernel_layout, k);
}

void lab_target_clear(struct lab_target *t)
{
	layout_clear(&target_layout, t);
}

void lab_job_clear(struct lab_job *j)
{
	layout_clear(&job_layout, j);
}

void lab_result_clear(struct lab_result *r)
{
	if (!r)
		return;
	free(r->case_id); free(r->driver); free(r->iommu); free(r->steps_json);
	free(r->contract); free(r->reason); free(r->verified);
	free(r->kernel_kind); free(r->kernel_excerpt);
	memset(r, 0, sizeof(*r));
}

/* ---- kernels --------------------------------------------------------------- */

int lab_store_kernel_put(struct lab_store *st, struct lab_kernel *k)
{
	sqlite3_stmt *s = stmt(st, S_KERNEL_PUT);

	if (!s)
		return -EIO;
	if (!k || !k->name || !*k->name)
		return -EINVAL;
	bind_text(s, 1, k->name);
	bind_text(s, 2, k->release);
	bind_text(s, 3, k->version);
	bind_text(s, 4, k->arch);
	bind_text(s, 5, k->source);
	bind_text(s, 6, k->source_ref);
	bind_text(s, 7, k->image_path);
	bind_text(s, 8, k->modules_path);
	bind_text(s, 9, k->headers_path);
	bind_text(s, 10, k->sha256);
	return exec_returning_id(st, s, &k->id, "kernel put");
}

int lab_store_kernel_get(struct lab_store *st, const char *name, struct lab_kernel *out)
{
	return row_struct(st, stmt_by_name(st, S_KERNEL_GET, name), &kernel_layout, out);
}

int lab_store_kernel_get_id(struct lab_store *st, int64_t id, struct lab_kernel *out)
{
	return row_struct(st, stmt_by_id(st, S_KERNEL_GET_ID, id), &kernel_layout, out);
}

int lab_store_kernels_list(struct lab_store *st, json_t **out)
{
	return rows_json(st, stmt(st, S_KERNELS_LIST), out, "kernels list");
}

int lab_store_kernel_json(struct lab_store *st, const char *name, json_t **out)
{
	return row_one(st, stmt_by_name(st, S_KERNEL_GET, name), out, "kernel get");
}

/* ---- targets ---------------------------------------------------------------- */

int lab_store_target_put(struct lab_store *st, struct lab_target *t)
{
	sqlite3_stmt *s = stmt(st, S_TARGET_PUT);

	if (!s)
		return -EIO;
	if (!t || !t->name || !t->arch || !t->backend || !t->definition)
		return -EINVAL;
	bind_text(s, 1, t->name);
	bind_text(s, 2, t->arch);
	bind_text(s, 3, t->backend);
	bind_text(s, 4, t->vendor);
	bind_text(s, 5, t->driver);
	bind_text(s, 6, t->device_type);
	bind_text(s, 7, t->definition);
	bind_text(s, 8, t->tags);
	bind_text(s, 9, t->health);
	sqlite3_bind_int(s, 10, t->concurrency > 0 ? t->concurrency : 1);
	return exec_returning_id(st, s, &t->id, "target put");
}

int lab_store_target_get(struct lab_store *st, const char *name, struct lab_target *out)
{
	return row_struct(st, stmt_by_name(st, S_TARGET_GET, name), &target_layout, out);
}

int lab_store_target_get_id(struct lab_store *st, int64_t id, struct lab_target *out)
{
	return row_struct(st, stmt_by_id(st, S_TARGET_GET_ID, id), &target_layout, out);
}

int lab_store_targets_list(struct lab_store *st, json_t **out)
{
	return rows_json(st, stmt(st, S_TARGETS_LIST), out, "targets list");
}

int lab_store_target_json(struct lab_store *st, const char *name, json_t **out)
{
	return row_one(st, stmt_by_name(st, S_TARGET_GET, name), out, "target get");
}

/* ---- cases ----------------------------------------------------------------- */

static bool valid_case_id(const char *id)
{
	size_t l = id ? strlen(id) : 0;

	return l > 0 && l <= 96 &&
	       strspn(id, "abcdefghijklmnopqrstuvwxyz0123456789_.-") == l;
}

int lab_store_cases_import_ex(struct lab_store *st, json_t *catalogue,
			      int *imported, char *err, size_t errlen)
{
	json_t *list = catalogue, *c;
	char dummy[8];
	size_t i;
	int r;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (json_is_object(catalogue))
		list = json_object_get(catalogue, "cases");
	if (!json_is_array(list)) {
		snprintf(err, errlen, "catalogue must be an array of cases or {\"cases\": [...]}");
		return -EINVAL;
	}
	/* validate everything first: a bad entry imports nothing */
	json_array_foreach(list, i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));
		json_t *title = json_object_get(c, "title");

		if (!json_is_object(c) || !valid_case_id(id)) {
			snprintf(err, errlen, "cases[%zu]: missing or invalid \"id\" "
				 "([a-z0-9_.-], 1-96 chars)", i);
			return -EINVAL;
		}
		if (title && !json_is_string(title) && !json_is_null(title)) {
			snprintf(err, errlen, "cases[%zu] (%s): \"title\" must be a string", i, id);
			return -EINVAL;
		}
	}
	r = tx(st, S_BEGIN_IMM);
	if (r)
		return r;
	json_array_foreach(list, i, c) {
		sqlite3_stmt *s = stmt(st, S_CASE_PUT);
		const char *id = json_string_value(json_object_get(c, "id"));
		json_t *contracts = json_object_get(c, "contracts");
		const char *title = json_string_value(json_object_get(c, "title"));
		char *cj, *mj, area[97];

		if (!s) {
			r = -EIO;
			goto rollback_tx;
		}
		if (!title)
			title = json_string_value(json_object_get(c, "description"));
		snprintf(area, sizeof(area), "%.*s", (int)strcspn(id, "."), id);
		cj = contracts ? json_dumps(contracts, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("[]");
		mj = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
		if (!cj || !mj) {
			free(cj);
			free(mj);
			r = -ENOMEM;
			goto rollback_tx;
		}
		bind_text(s, 1, id);
		bind_text(s, 2, area);
		bind_text(s, 3, title);
		bind_text(s, 4, cj);
		bind_text(s, 5, mj);
		r = exec_stmt(st, s, "case put");
		free(cj);
		free(mj);
		if (r)
			goto rollback_tx;
	}
	r = tx(st, S_COMMIT);
	if (r)
		goto rollback_tx;
	if (imported)
		*imported = (int)json_array_size(list);
	return 0;
rollback_tx:
	rollback(st);
	return r;
}

int lab_store_cases_import(struct lab_store *st, json_t *catalogue)
{
	return lab_store_cases_import_ex(st, catalogue, NULL, NULL, 0);
}

int lab_store_cases_list(struct lab_store *st, json_t **out)
{
	return rows_json(st, stmt(st, S_CASES_LIST), out, "cases list");
}

int lab_store_case_json(struct lab_store *st, const char *case_id, json_t **out)
{
	return row_one(st, stmt_by_name(st, S_CASE_GET, case_id), out, "case get");
}

/* ---- jobs ------------------------------------------------------------------- */

int lab_store_job_create(struct lab_store *st, struct lab_job *j)
{
	sqlite3_stmt *s = stmt(st, S_JOB_INSERT);
	int r;

	if (!s)
		return -EIO;
	if (!j || j->kernel_id <= 0 || j->target_id <= 0 || j->priority < -1000 ||
	    j->priority > 1000 || j->max_attempts < 0 || j->timeout_s < 0 ||
	    j->repeat < 0 || !j->backend)
		return -EINVAL;
	bind_id(s, 1, j->plan_id);
	sqlite3_bind_int64(s, 2, j->kernel_id);
	sqlite3_bind_int64(s, 3, j->target_id);
	sqlite3_bind_int(s, 4, j->priority);
	sqlite3_bind_int(s, 5, j->max_attempts ? j->max_attempts : 3);
	sqlite3_bind_int(s, 6, j->timeout_s ? j->timeout_s : 600);
	sqlite3_bind_int(s, 7, j->repeat ? j->repeat : 1);
	bind_text(s, 8, j->case_filter);
	bind_text(s, 9, j->backend);
	r = exec_stmt(st, s, "job create");
	if (!r) {
		j->id = sqlite3_last_insert_rowid(st->db);
		j->state = LAB_JOB_QUEUED;
	}
	return r;
}

int lab_store_job_get(struct lab_store *st, int64_t id, struct lab_job *out)
{
	return row_struct(st, stmt_by_id(st, S_JOB_GET, id), &job_layout, out);
}

int lab_store_job_json(struct lab_store *st, int64_t id, json_t **out)
{
	return row_one(st, stmt_by_id(st, S_JOB_GET_JSON, id), out, "job get");
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
	sqlite3_stmt *s = stmt(st, S_JOB_STATE);
	int rc, r = 0;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*state = sqlite3_column_int(s, 0);
	else
		r = rc == SQLITE_DONE ? -ENOENT : db_err(st, rc, "job state");
	done(s);
	return r;
}

/*
 * The outcome of a conditional UPDATE of job @id whose exec_stmt() gave
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
	sqlite3_stmt *s = stmt(st, S_JOB_TRANSITION);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int(s, 2, from);
	sqlite3_bind_int(s, 3, to);
	bind_text(s, 4, reason);
	return job_update_result(st, id, exec_stmt(st, s, "job transition"), -EAGAIN);
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
	r = tx(st, S_BEGIN_IMM);
	if (r)
		return r;
	r = job_cas(st, id, from, to, reason);
	if (r)
		goto rollback_tx;
	s = stmt(st, S_LATEST_REFRESH);
	if (!s) {
		r = -EIO;
		goto rollback_tx;
	}
	sqlite3_bind_int64(s, 1, id);
	r = exec_stmt(st, s, "latest refresh");
	if (r)
		goto rollback_tx;
	r = tx(st, S_COMMIT);
	if (r)
		goto rollback_tx;
	return 0;
rollback_tx:
	rollback(st);
	return r;
}

int lab_store_job_retry(struct lab_store *st, int64_t id, const char *reason)
{
	sqlite3_stmt *s = stmt(st, S_JOB_RETRY);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, reason);
	/* not incomplete: retry is not a legal move (-EINVAL) */
	return job_update_result(st, id, exec_stmt(st, s, "job retry"), -EINVAL);
}

int lab_store_job_set_backend(struct lab_store *st, int64_t id,
			      const char *backend_job_id, const char *log_path)
{
	sqlite3_stmt *s = stmt(st, S_JOB_SET_BACKEND);
	int r;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	bind_text(s, 2, backend_job_id);
	bind_text(s, 3, log_path);
	r = exec_stmt(st, s, "job set backend");
	if (!r && sqlite3_changes(st->db) == 0)
		r = -ENOENT;
	return r;
}

int lab_store_job_next(struct lab_store *st, struct lab_job *out)
{
	return row_struct(st, stmt(st, S_JOB_NEXT), &job_layout, out);
}

int lab_store_jobs_in_state(struct lab_store *st, enum lab_job_state state,
			    int64_t *ids, size_t max, size_t *n)
{
	sqlite3_stmt *s = stmt(st, S_JOBS_IN_STATE);
	int rc, r = 0;

	*n = 0;
	if (!s)
		return -EIO;
	sqlite3_bind_int(s, 1, state);
	sqlite3_bind_int64(s, 2, (int64_t)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = sqlite3_column_int64(s, 0);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		r = db_err(st, rc, "jobs in state");
	done(s);
	return r;
}

int lab_store_jobs_recover(struct lab_store *st, int *recovered)
{
	int r, n = 0;

	r = tx(st, S_BEGIN_IMM);
	if (r)
		return r;
	/* never started: back to the queue */
	r = exec_sql(st, "UPDATE jobs SET state = 0, reason = 'server restarted before the job started', "
		     "updated_at = " NOW " WHERE state = 1", "recover scheduled");
	if (r)
		goto rollback_tx;
	n += sqlite3_changes(st->db);
	/* running: incomplete, and requeued while attempts remain */
	r = exec_sql(st, "UPDATE jobs SET state = CASE WHEN attempts < max_attempts THEN 0 ELSE 4 END, "
		     "reason = 'server restarted while the job ran', "
		     "finished_at = CASE WHEN attempts < max_attempts THEN NULL ELSE " NOW " END, "
		     "started_at = CASE WHEN attempts < max_attempts THEN NULL ELSE started_at END, "
		     "updated_at = " NOW " WHERE state = 2", "recover running");
	if (r)
		goto rollback_tx;
	n += sqlite3_changes(st->db);
	r = tx(st, S_COMMIT);
	if (r)
		goto rollback_tx;
	if (recovered)
		*recovered = n;
	return 0;
rollback_tx:
	rollback(st);
	return r;
}

/*
 * A list statement assembled from fixed fragments (never from values):
 * @select, then the @where fragment of each bit set in @mask, then @tail.
 * Prepared once per mask into @cache[mask]; NULL if it cannot be prepared.
 */
static sqlite3_stmt *filtered_stmt(struct lab_store *st, sqlite3_stmt **cache,
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
	cache[mask] = prep_sql(st, sql);
	return cache[mask];
}

static sqlite3_stmt *jobs_list_stmt(struct lab_store *st, unsigned mask)
{
	static const char *const where[JOB_FILTERS] = {
		" AND j.state = ?1", " AND j.kernel_id = ?2", " AND j.target_id = ?3",
		" AND j.plan_id = ?4", " AND j.id < ?5",
	};

	return filtered_stmt(st, st->jobs_list, mask,
		"SELECT j.id, j.plan_id, k.name AS kernel, t.name AS target, j.state, "
		"j.priority, j.attempts, j.max_attempts, j.backend, j.backend_job_id, j.reason, "
		"j.created_at, j.started_at, j.finished_at "
		"FROM jobs j JOIN kernels k ON k.id = j.kernel_id "
		"JOIN targets t ON t.id = j.target_id WHERE 1",
		where, JOB_FILTERS, " ORDER BY j.id DESC LIMIT ?6 OFFSET ?7");
}

int lab_store_jobs_list(struct lab_store *st, const struct lab_job_filter *f,
			json_t **out)
{
	unsigned mask = (f->state >= 0) | (f->kernel_id > 0) << 1 |
			(f->target_id > 0) << 2 | (f->plan_id > 0) << 3 |
			(f->before_id > 0) << 4;
	sqlite3_stmt *s = jobs_list_stmt(st, mask);

	if (!s)
		return -EIO;
	if (f->state >= 0)
		sqlite3_bind_int(s, 1, f->state);
	bind_id(s, 2, f->kernel_id);
	bind_id(s, 3, f->target_id);
	bind_id(s, 4, f->plan_id);
	bind_id(s, 5, f->before_id);
	sqlite3_bind_int64(s, 6, f->limit > 0 ? f->limit : 50);
	sqlite3_bind_int64(s, 7, f->offset > 0 ? f->offset : 0);
	return rows_json(st, s, out, "jobs list");
}

/* ---- plans ---------------------------------------------------------------- */

static int int_field(json_t *o, const char *key, int def, int lo, int hi,
		     int *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v)) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		snprintf(err, errlen, "\"%s\" must be an integer %d..%d", key, lo, hi);
		return -EINVAL;
	}
	*out = (int)json_integer_value(v);
	return 0;
}

static bool valid_filter(const char *f)
{
	size_t l = strlen(f);

	return l > 0 && l <= 512 &&
	       strspn(f, "abcdefghijklmnopqrstuvwxyz0123456789_.-*,") == l;
}

static bool has_id(json_t *arr, json_int_t id)
{
	size_t i;
	json_t *t;

	json_array_foreach(arr, i, t)
		if (json_integer_value(json_object_get(t, "id")) == id)
			return true;
	return false;
}

/*
 * A plan's "targets": each entry is a target name or, when no target has
 * that name, a match expression of sched.h (e.g. "tag=vtd", "driver=amd-*",
 * "*"). A name that is not a valid expression -> -ENOENT; an expression
 * that matches nothing -> -EINVAL. Result: target objects, without repeats.
 */
static int resolve_targets(struct lab_store *st, json_t *targets, json_t **out,
			   char *err, size_t errlen)
{
	json_t *all = json_array(), *every = NULL, *v, *t;
	size_t i, k;
	int r = 0;

	if (!all)
		return -ENOMEM;
	json_array_foreach(targets, i, v) {
		const char *name = json_string_value(v);
		int hits = 0;

		r = lab_store_target_json(st, name, &t);
		if (r == 0) {
			if (!has_id(all, json_integer_value(json_object_get(t, "id"))))
				json_array_append(all, t);
			json_decref(t);
			continue;
		}
		if (r != -ENOENT)
			goto put_all;
		/* a plain word is a name; only "=", a glob or "all" make an expression */
		if (strpbrk(name, "=*?[") == NULL && strcmp(name, "all") != 0) {
			snprintf(err, errlen, "unknown target '%.64s'", name);
			r = -ENOENT;
			goto put_all;
		}
		if (lab_sched_match_check(name) != 0) {
			snprintf(err, errlen, "unknown target '%.64s' (and not a match "
				 "expression)", name);
			r = -ENOENT;
			goto put_all;
		}
		if (!every && (r = lab_store_targets_list(st, &every)))
			goto put_all;
		json_array_foreach(every, k, t) {
			struct lab_target tt;
			int m;

			r = lab_store_target_get_id(st, json_integer_value(json_object_get(t, "id")), &tt);
			if (r)
				goto put_all;
			m = lab_sched_match(name, &tt);
			lab_target_clear(&tt);
			if (m < 0) {
				r = m;
				goto put_all;
			}
			if (m == 1) {
				hits++;
				if (!has_id(all, json_integer_value(json_object_get(t, "id"))))
					json_array_append(all, t);
			}
		}
		if (!hits) {
			snprintf(err, errlen, "targets[%zu] '%.64s' matches no usable target", i, name);
			r = -EINVAL;
			goto put_all;
		}
	}
	json_decref(every);
	*out = all;
	return 0;
put_all:
	json_decref(every);
	json_decref(all);
	return r;
}

int lab_store_plan_create_ex(struct lab_store *st, json_t *plan,
			     const char *created_by, int64_t *plan_id,
			     int *njobs, char *err, size_t errlen)
{
	static const char *const kinds[] = { "nightly", "patch", "manual", NULL };
	json_t *kernels, *targets, *all = NULL, *v;
	const char *kind, *name, *cases;
	int repeat, priority, max_attempts, timeout_s, jobs = 0, r;
	char dummy[8], *spec = NULL;
	sqlite3_stmt *s;
	int64_t pid;
	size_t i, k;
	bool kind_ok = false;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!json_is_object(plan)) {
		snprintf(err, errlen, "a plan is a JSON object");
		return -EINVAL;
	}
	kind = json_string_value(json_object_get(plan, "kind"));
	for (i = 0; kind && kinds[i]; i++)
		kind_ok |= strcmp(kind, kinds[i]) == 0;
	if (!kind_ok) {
		snprintf(err, errlen, "\"kind\" must be nightly, patch or manual");
		return -EINVAL;
	}
	v = json_object_get(plan, "name");
	name = json_string_value(v);
	if ((v && !json_is_null(v) && !name) || (name && strlen(name) > 200)) {
		snprintf(err, errlen, "\"name\" must be a string of at most 200 bytes");
		return -EINVAL;
	}
	v = json_object_get(plan, "cases");
	cases = json_string_value(v);
	if ((v && !json_is_null(v) && !cases) || (cases && !valid_filter(cases))) {
		snprintf(err, errlen, "\"cases\" must be a filter of [a-z0-9_.*,-] (1-512 chars)");
		return -EINVAL;
	}
	kernels = json_object_get(plan, "kernels");
	if (!json_is_array(kernels) || json_array_size(kernels) == 0 ||
	    json_array_size(kernels) > 64) {
		snprintf(err, errlen, "\"kernels\" must be an array of 1-64 kernel names");
		return -EINVAL;
	}
	json_array_foreach(kernels, i, v) {
		if (!json_is_string(v)) {
			snprintf(err, errlen, "\"kernels\"[%zu] is not a string", i);
			return -EINVAL;
		}
	}
	targets = json_object_get(plan, "targets");
	if (targets && !json_is_null(targets) &&
	    (!json_is_array(targets) || json_array_size(targets) == 0 ||
	     json_array_size(targets) > 256)) {
		snprintf(err, errlen, "\"targets\" must be an array of 1-256 target names");
		return -EINVAL;
	}
	json_array_foreach(targets, i, v) {
		if (!json_is_string(v)) {
			snprintf(err, errlen, "\"targets\"[%zu] is not a string", i);
			return -EINVAL;
		}
	}
	if ((r = int_field(plan, "repeat", 1, 1, 1000, &repeat, err, errlen)) ||
	    (r = int_field(plan, "priority", 0, -1000, 1000, &priority, err, errlen)) ||
	    (r = int_field(plan, "max_attempts", 3, 1, 10, &max_attempts, err, errlen)) ||
	    (r = int_field(plan, "timeout_s", 600, 10, 86400, &timeout_s, err, errlen)))
		return r;
	spec = json_dumps(plan, JSON_COMPACT | JSON_SORT_KEYS);
	if (!spec)
		return -ENOMEM;

	r = tx(st, S_BEGIN_IMM);
	if (r)
		goto free_spec;
	s = stmt(st, S_PLAN_INSERT);
	if (!s) {
		r = -EIO;
		goto rollback_tx;
	}
	bind_text(s, 1, name);
	bind_text(s, 2, kind);
	bind_text(s, 3, spec);
	bind_text(s, 4, cases);
	sqlite3_bind_int(s, 5, repeat);
	sqlite3_bind_int(s, 6, priority);
	bind_text(s, 7, created_by);
	r = exec_stmt(st, s, "plan insert");
	if (r)
		goto rollback_tx;
	pid = sqlite3_last_insert_rowid(st->db);

	/* the target set: named ones, or every target that is not retired */
	if (targets && !json_is_null(targets)) {
		r = resolve_targets(st, targets, &all, err, errlen);
		if (r)
			goto rollback_tx;
	} else {
		r = lab_store_targets_list(st, &all);
		if (r)
			goto rollback_tx;
	}
	json_array_foreach(kernels, k, v) {
		struct lab_kernel kern;
		json_t *t;

		r = lab_store_kernel_get(st, json_string_value(v), &kern);
		if (r == -ENOENT)
			snprintf(err, errlen, "unknown kernel '%s'", json_string_value(v));
		if (r)
			goto rollback_tx;
		json_array_foreach(all, i, t) {
			const char *health = json_string_value(json_object_get(t, "health"));
			const char *arch = json_string_value(json_object_get(t, "arch"));
			struct lab_job j = {
				.plan_id = pid, .kernel_id = kern.id,
				.target_id = json_integer_value(json_object_get(t, "id")),
				.priority = priority, .max_attempts = max_attempts,
				.timeout_s = timeout_s, .repeat = repeat,
				.case_filter = (char *)cases,
				.backend = (char *)json_string_value(json_object_get(t, "backend")),
			};

			if ((health && strcmp(health, "retired") == 0) ||
			    !arch || strcmp(arch, kern.arch) != 0)
				continue;
			r = lab_store_job_create(st, &j);
			if (r) {
				lab_kernel_clear(&kern);
				goto rollback_tx;
			}
			jobs++;
		}
		lab_kernel_clear(&kern);
	}
	if (jobs == 0) {
		snprintf(err, errlen, "no job: no (kernel, target) pair with the same arch "
			 "and a target that is not retired");
		r = -EINVAL;
		goto rollback_tx;
	}
	r = tx(st, S_COMMIT);
	if (r)
		goto rollback_tx;
	json_decref(all);
	free(spec);
	if (plan_id)
		*plan_id = pid;
	if (njobs)
		*njobs = jobs;
	return 0;
rollback_tx:
	json_decref(all);
	rollback(st);
free_spec:
	free(spec);
	return r;
}

int lab_store_plan_create(struct lab_store *st, json_t *plan, int64_t *plan_id)
{
	return lab_store_plan_create_ex(st, plan, NULL, plan_id, NULL, NULL, 0);
}

int lab_store_plans_list(struct lab_store *st, int64_t limit, int64_t offset,
			 json_t **out)
{
	sqlite3_stmt *s = stmt(st, S_PLANS_LIST);

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, limit > 0 ? limit : 50);
	sqlite3_bind_int64(s, 2, offset > 0 ? offset : 0);
	return rows_json(st, s, out, "plans list");
}

int lab_store_plan_json(struct lab_store *st, int64_t id, json_t **out)
{
	sqlite3_stmt *s;
	json_t *plan, *states;
	int rc, r;

	r = row_one(st, stmt_by_id(st, S_PLAN_GET, id), &plan, "plan get");
	if (r)
		return r;
	s = stmt(st, S_PLAN_JOBS);
	if (!s) {
		json_decref(plan);
		return -EIO;
	}
	states = json_object();
	for (int i = LAB_JOB_QUEUED; i <= LAB_JOB_CANCELED; i++)
		json_object_set_new(states, lab_job_state_name(i), json_integer(0));
	sqlite3_bind_int64(s, 1, id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_object_set_new(states, lab_job_state_name(sqlite3_column_int(s, 0)),
				    json_integer(sqlite3_column_int64(s, 1)));
	r = rc == SQLITE_DONE ? 0 : db_err(st, rc, "plan jobs");
	done(s);
	json_object_set_new(plan, "jobs", states);
	if (r) {
		json_decref(plan);
		return r;
	}
	*out = plan;
	return 0;
}

/* ---- results -------------------------------------------------------------- */

static int result_valid(const struct lab_result *r)
{
	if (!valid_case_id(r->case_id) || !r->driver || !*r->driver ||
	    strlen(r->driver) > 64 || !r->steps_json ||
	    r->observed < 0 || r->observed > 4095 ||
	    r->expected < -1 || r->expected > 4095 ||
	    (unsigned)r->verdict > LAB_VERDICT_LAST ||
	    (r->has_contract_verdict && (unsigned)r->contract_verdict > LAB_VERDICT_ERROR) ||
	    r->reused < -1 || r->reused > 1 || r->repeat < 0 || r->duration_us < 0)
		return -EINVAL;
	return 0;
}

/* the caller's strings outlive the step, and done() clears the bindings */
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
	r = tx(st, S_FK_OFF);
	if (r)
		return r;
	r = tx(st, S_BEGIN_IMM);
	if (r)
		goto fk_on;
	r = lab_store_job_get(st, job_id, &job);
	if (r)
		goto rollback_tx;
	if (job.state != LAB_JOB_SCHEDULED && job.state != LAB_JOB_RUNNING) {
		r = -EALREADY;	/* results belong to a run in progress */
		goto clear_job;
	}
	s = stmt(st, S_RESULT_INSERT);
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
		r = exec_stmt(st, s, "result insert");
		if (r)
			goto clear_job;
	}
	r = tx(st, S_COMMIT);
	if (r)
		goto clear_job;
	lab_job_clear(&job);
	if (tx(st, S_FK_ON))
		lab_error("store: %s: foreign keys could not be turned back on", st->path);
	return 0;
clear_job:
	lab_job_clear(&job);
rollback_tx:
	rollback(st);
fk_on:
	if (tx(st, S_FK_ON))
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

	return filtered_stmt(st, st->results_list, mask,
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
	bind_id(s, 1, f->kernel_id);
	bind_id(s, 2, f->target_id);
	bind_id(s, 3, f->job_id);
	bind_text(s, 4, f->driver);
	bind_text(s, 5, f->case_id);
	if (f->verdict >= 0)
		sqlite3_bind_int(s, 6, f->verdict);
	bind_id(s, 7, f->before_id);
	sqlite3_bind_int64(s, 8, f->limit > 0 ? f->limit : 100);
	sqlite3_bind_int64(s, 9, f->offset > 0 ? f->offset : 0);
	return rows_json(st, s, out, "results query");
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
	sqlite3_stmt *s = stmt(st, S_MATRIX);
	int r;

	if (!s)
		return -EIO;
	r = row_one(st, stmt_by_id(st, S_KERNEL_GET_ID, kernel_id), kern, "kernel get");
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
	int counts[LAB_VERDICT_LAST + 1] = { 0 };
	enum lab_verdict vd;
	size_t i;
	int r;

	r = matrix_start(st, kernel_id, &kern, &s);
	if (r)
		return r;
	r = rows_json(st, s, &cells, "matrix");
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

int lab_store_diff_side(struct lab_store *st, bool by_plan, int64_t id,
			json_t **out)
{
	return rows_json(st, stmt_by_id(st, by_plan ? S_DIFF_PLAN : S_DIFF_KERNEL, id),
			 out, "diff side");
}

/* ---- fast read paths: matrix and diff sides without per-row JSON ---------- */

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
 * The mapping is safe from truncation: SQLite only truncates -shm when it
 * is the file's first user, and this connection holds its shared lock on
 * -shm from its first read (lab_store_open ran queries) to its close,
 * before which lab_store_close unmaps it.
 */
static _Atomic uint64_t visible_gen = 1;

static void shm_map(struct lab_store *st)
{
	const char *db = sqlite3_db_filename(st->db, "main");
	char path[4096];
	struct stat sb;
	void *m;
	int fd;

	st->shm_tried = true;
	if (!st->wal || !db || !*db ||
	    (size_t)snprintf(path, sizeof(path), "%s-shm", db) >= sizeof(path))
		return;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size >= 2 * WAL_HDR_BYTES) {
		m = mmap(NULL, 2 * WAL_HDR_BYTES, PROT_READ, MAP_SHARED, fd, 0);
		if (m != MAP_FAILED)
			st->shm = m;
	}
	close(fd);
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
	} else if ((s = stmt(st, S_DATA_VERSION)) && sqlite3_step(s) == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(s, 0);

		changed |= v != st->data_version;
		st->data_version = v;
		done(s);
	} else {
		changed = true;		/* cannot tell: assume a change */
		if (s)
			done(s);
	}
	st->dirty = false;
	if (changed)
		return atomic_fetch_add(&visible_gen, 1) + 1;
	return atomic_load(&visible_gen);
}

/* how row_json() writes a column, decided once per statement */
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
			    is_json_col(name) ? COL_JSON : COL_PLAIN;
		p[i].errno_name = strcmp(name, "observed") == 0 || strcmp(name, "expected") == 0;
		snprintf(p[i].key, sizeof(p[i].key), "\"%s\":", name);
		snprintf(p[i].name_key, sizeof(p[i].name_key), "\"%s_name\":", name);
	}
}

/* one column as row_json() would have it (the same value, as text) */
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

/* the string a TEXT/BLOB column would be in row_json(), else NULL */
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
	int counts[LAB_VERDICT_LAST + 1] = { 0 };
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

			if (v >= LAB_VERDICT_PASS && v <= LAB_VERDICT_LAST)
				counts[v]++;
		}
	}
	r = rc == SQLITE_DONE ? 0 : db_err(st, rc, "matrix");
	done(s);
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
	for (int v = LAB_VERDICT_PASS; v <= LAB_VERDICT_LAST; v++) {
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
	sqlite3_stmt *s = stmt_by_id(st, by_plan ? S_DIFF_PLAN : S_DIFF_KERNEL, id);
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
		r = db_err(st, rc, "diff side");
	done(s);
	if (r) {
		lab_store_side_free(&side);
		return r;
	}
	*out = side;
	return 0;
}

/* ---- tokens --------------------------------------------------------------- */

static bool valid_token_name(const char *n)
{
	size_t l = n ? strlen(n) : 0;

	return l > 0 && l <= 64 &&
	       strspn(n, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == l;
}

int lab_store_token_add_scoped(struct lab_store *st, const char *name,
			       const char *secret, const char *scopes)
{
	char hex[LAB_TOKEN_HEX_LEN + 1];
	sqlite3_stmt *s = stmt(st, S_TOKEN_ADD);
	int r;

	if (!s)
		return -EIO;
	if (!valid_token_name(name) || !secret || strlen(secret) < 16 ||
	    !scopes || !*scopes)
		return -EINVAL;
	r = lab_auth_sha256_hex(secret, strlen(secret), hex);
	if (r)
		return r;
	bind_text(s, 1, name);
	bind_text(s, 2, hex);
	bind_text(s, 3, scopes);
	return exec_stmt(st, s, "token add");
}

int lab_store_token_add(struct lab_store *st, const char *name, const char *secret)
{
	return lab_store_token_add_scoped(st, name, secret, "admin");
}

int lab_store_token_lookup(struct lab_store *st, const char *secret,
			   char **name_out, char **scopes_out)
{
	char hex[LAB_TOKEN_HEX_LEN + 1];
	sqlite3_stmt *s = stmt(st, S_TOKEN_LOOKUP);
	int rc, r, stale = 0;

	if (!s)
		return -EIO;
	if (!secret || !*secret || strlen(secret) > 256)
		return -ENOENT;
	r = lab_auth_sha256_hex(secret, strlen(secret), hex);
	if (r)
		return r;
	bind_text(s, 1, hex);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (name_out)
			*name_out = col_dup(s, 0);
		if (scopes_out)
			*scopes_out = col_dup(s, 1);
		stale = sqlite3_column_int(s, 2);
		r = 0;
	} else {
		r = rc == SQLITE_DONE ? -ENOENT : db_err(st, rc, "token lookup");
	}
	done(s);
	/* last_used_at at most once a minute: reads stay free of write locks */
	if (!r && stale && (s = stmt(st, S_TOKEN_TOUCH))) {
		bind_text(s, 1, hex);
		exec_stmt(st, s, "token touch");	/* best effort */
	}
	return r;
}

int lab_store_token_check(struct lab_store *st, const char *secret,
			  char **name_out)
{
	return lab_store_token_lookup(st, secret, name_out, NULL);
}

int lab_store_token_exists(struct lab_store *st, const char *name, int *exists)
{
	sqlite3_stmt *s = stmt(st, S_TOKEN_EXISTS);
	int rc;

	if (!s)
		return -EIO;
	bind_text(s, 1, name);
	rc = sqlite3_step(s);
	*exists = rc == SQLITE_ROW;
	done(s);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : db_err(st, rc, "token exists");
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
			return exec_sql(st, sql, sql);
		}
	}
	return -EINVAL;
}

int lab_store_result_errnos(struct lab_store *st, int64_t result_id, json_t **out)
{
	sqlite3_stmt *s = stmt(st, S_RESULT_ERRNOS);
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
	rc = rc == SQLITE_DONE ? 0 : db_err(st, rc, "result errnos");
	done(s);
	if (!rc && !json_object_size(dist))
		rc = -ENOENT;
	if (rc) {
		json_decref(dist);
		return rc;
	}
	*out = dist;
	return 0;
}
