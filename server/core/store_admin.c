/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_admin.c - backup, restore and retention (store_admin.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "joblogs.h"
#include "log.h"
#include "store.h"
#include "store_admin.h"
#include "store_int.h"

#define ADMIN_BUSY_MS 10000

static int errf(char *err, size_t errlen, int ret, const char *what, sqlite3 *db)
{
	snprintf(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : strerror(-ret));
	return ret;
}

/* "ok" from PRAGMA integrity_check, and the user_version, of open @db */
static int check_db(sqlite3 *db, int *version, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	int rc, r = 0;

	rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return errf(err, errlen, -EINVAL, "not a database", db);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW || strcmp((const char *)sqlite3_column_text(s, 0), "ok")) {
		snprintf(err, errlen, "integrity_check: %s", rc == SQLITE_ROW ?
			 (const char *)sqlite3_column_text(s, 0) : sqlite3_errmsg(db));
		r = -EINVAL;
	}
	sqlite3_finalize(s);
	if (r)
		return r;
	rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL);
	if (rc != SQLITE_OK || sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_finalize(s);
		return errf(err, errlen, -EINVAL, "user_version", db);
	}
	*version = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return 0;
}

/* copy every page of @from into @to (one step: one snapshot) */
static int copy_db(sqlite3 *to, sqlite3 *from, int64_t *pages, char *err, size_t errlen)
{
	sqlite3_backup *b = sqlite3_backup_init(to, "main", from, "main");
	int rc;

	if (!b)
		return errf(err, errlen, -EIO, "backup init", to);
	do {
		rc = sqlite3_backup_step(b, -1);
		if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
			sqlite3_sleep(20);	/* a writer holds a lock we need: wait it out */
	} while (rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_OK);
	if (pages)
		*pages = sqlite3_backup_pagecount(b);
	if (sqlite3_backup_finish(b) != SQLITE_OK || rc != SQLITE_DONE)
		return errf(err, errlen, -EIO, "backup step", to);
	return 0;
}

int lab_store_backup(const char *db_path, const char *dest, int64_t *pages, char *err,
		     size_t errlen)
{
	sqlite3 *src = NULL, *dst = NULL;
	char tmp[PATH_MAX];
	int r, v = 0;

	if (!db_path || !dest || !*dest)
		return errf(err, errlen, -EINVAL, "a source and a destination are needed", NULL);
	if (access(dest, F_OK) == 0)
		return errf(err, errlen, -EEXIST, dest, NULL);
	if (snprintf(tmp, sizeof(tmp), "%s.tmp-%d", dest, (int)getpid()) >= (int)sizeof(tmp))
		return errf(err, errlen, -ENAMETOOLONG, dest, NULL);
	if (sqlite3_open_v2(db_path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		r = errf(err, errlen, -ENOENT, db_path, src);
		goto close_all;
	}
	sqlite3_busy_timeout(src, ADMIN_BUSY_MS);
	unlink(tmp);
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		r = errf(err, errlen, -EACCES, tmp, dst);
		goto close_all;
	}
	r = copy_db(dst, src, pages, err, errlen);
	if (!r)
		r = check_db(dst, &v, err, errlen);
	if (!r && sqlite3_close(dst) != SQLITE_OK)
		r = errf(err, errlen, -EIO, "close", dst);
	else if (!r)
		dst = NULL;
	if (!r && rename(tmp, dest))
		r = errf(err, errlen, -errno, dest, NULL);
close_all:
	if (dst)
		sqlite3_close(dst);
	if (r)
		unlink(tmp);
	sqlite3_close(src);
	return r;
}

/* the highest NNNN of @schema_dir/NNNN-*.sql (0 when none; store.c's
 * list_migrations() checks they are contiguous when the daemon opens it) */
static int schema_max(const char *schema_dir)
{
	struct dirent *de;
	DIR *d = opendir(schema_dir);
	int v = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);

		if (l > 9 && strspn(de->d_name, "0123456789") == 4 && de->d_name[4] == '-' &&
		    !strcmp(de->d_name + l - 4, ".sql") && atoi(de->d_name) > v)
			v = atoi(de->d_name);
	}
	closedir(d);
	return v;
}

int lab_store_restore(const char *src, const char *db_path, const char *schema_dir,
		      char *err, size_t errlen)
{
	sqlite3 *from = NULL, *to = NULL;
	int r, v = 0, max;

	if (!src || !db_path || !schema_dir)
		return errf(err, errlen, -EINVAL, "a backup, a database and a schema dir are needed",
			    NULL);
	max = schema_max(schema_dir);
	if (max <= 0)
		return errf(err, errlen, max < 0 ? max : -ENOENT, schema_dir, NULL);
	if (sqlite3_open_v2(src, &from, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		r = errf(err, errlen, -ENOENT, src, from);
		goto close_all;
	}
	r = check_db(from, &v, err, errlen);
	if (r)
		goto close_all;
	if (v < 1 || v > max) {
		snprintf(err, errlen, "%s is at schema version %d; this lab knows 1..%d", src, v, max);
		r = v > max ? -EPROTO : -EINVAL;
		goto close_all;
	}
	if (sqlite3_open_v2(db_path, &to, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		r = errf(err, errlen, -EACCES, db_path, to);
		goto close_all;
	}
	sqlite3_busy_timeout(to, ADMIN_BUSY_MS);
	r = copy_db(to, from, NULL, err, errlen);
	if (!r)
		r = check_db(to, &v, err, errlen);
close_all:
	if (to)
		sqlite3_close(to);
	sqlite3_close(from);
	return r;
}

/* ---- retention ------------------------------------------------------------- */

/* the jobs whose old results and logs go (store_admin.h's rule) */
#define PRUNE_JOBS \
	"SELECT j.id FROM jobs j LEFT JOIN plans p ON p.id = j.plan_id " \
	"WHERE j.state IN (3, 4, 5) AND j.finished_at IS NOT NULL AND j.finished_at < ?1 " \
	"AND coalesce(p.kind, 'manual') NOT IN ('nightly', 'patch') " \
	"AND NOT EXISTS (SELECT 1 FROM findings f WHERE j.id IN (f.first_job_id, " \
	"  f.last_job_id, coalesce(f.fixed_job_id, 0))) " \
	"AND NOT EXISTS (SELECT 1 FROM latest l WHERE l.job_id = j.id)"

static int unlink_logs(const char *state_dir, int64_t job)
{
	char p[PATH_MAX];
	int n = 0;

	for (const char *const *sfx = lab_joblog_suffixes; *sfx; sfx++)
		if (!lab_joblog_path(state_dir, job, *sfx, p, sizeof(p)) && unlink(p) == 0)
			n++;
	return n;
}

int lab_store_prune(struct lab_store *st, const char *state_dir, int64_t age_s,
		    struct lab_prune_stats *stats)
{
	static const char del_results[] =
		"DELETE FROM results WHERE job_id IN (" PRUNE_JOBS ")";
	static const char clear_logs[] =
		"UPDATE jobs SET log_path = NULL WHERE id IN (" PRUNE_JOBS ")";
	int64_t cutoff = (int64_t)time(NULL) - age_s, *ids = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *s;
	int rc, r;

	memset(stats, 0, sizeof(*stats));
	if (age_s < 0 || !state_dir)
		return -EINVAL;
	r = lab_store_tx_begin(st);
	if (r)
		return r;
	/* the jobs first (their files go after the commit) */
	s = store_prep_sql(st, PRUNE_JOBS);
	if (!s) {
		r = -EIO;
		goto rollback;
	}
	sqlite3_bind_int64(s, 1, cutoff);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 256;
			int64_t *a = realloc(ids, nc * sizeof(*a));

			if (!a) {
				r = -ENOMEM;
				break;
			}
			ids = a;
			cap = nc;
		}
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	if (!r && rc != SQLITE_DONE)
		r = store_db_err(st, rc, "prune jobs");
	sqlite3_finalize(s);
	if (r)
		goto rollback;
	s = store_prep_sql(st, del_results);
	if (!s) {
		r = -EIO;
		goto rollback;
	}
	sqlite3_bind_int64(s, 1, cutoff);
	rc = sqlite3_step(s);
	r = rc == SQLITE_DONE ? 0 : store_db_err(st, rc, "prune results");
	stats->results = sqlite3_changes(st->db);
	sqlite3_finalize(s);
	if (r)
		goto rollback;
	s = store_prep_sql(st, clear_logs);
	if (!s) {
		r = -EIO;
		goto rollback;
	}
	sqlite3_bind_int64(s, 1, cutoff);
	rc = sqlite3_step(s);
	r = rc == SQLITE_DONE ? 0 : store_db_err(st, rc, "prune logs");
	sqlite3_finalize(s);
	if (r)
		goto rollback;
	r = lab_store_tx_commit(st);
	if (r)
		goto rollback;
	stats->jobs_scanned = (int64_t)n;
	for (size_t i = 0; i < n; i++)
		stats->logs += unlink_logs(state_dir, ids[i]);
	free(ids);
	return 0;
rollback:
	lab_store_tx_rollback(st);
	free(ids);
	return r;
}
