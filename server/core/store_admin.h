/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_admin.h - keeping the database for years (issue 18.7): an online
 * backup, a restore, and retention.
 *
 * lab_store_backup() copies the database at @db_path into a new file @dest
 * with SQLite's online backup API (sqlite3_backup_init/step/finish) through
 * a connection of its own: one step over every page, inside one read
 * transaction, so the copy is one consistent snapshot (WAL: the daemon's
 * writers go on meanwhile; a batch of results is in it whole or not at all)
 * and it never blocks the daemon longer than the busy timeout. The copy is
 * checked (PRAGMA integrity_check) before it is renamed into place: @dest
 * never holds a half-written or corrupt database.
 *
 * lab_store_restore() puts backup @src in place of @db_path: @src must pass
 * integrity_check and be at a schema version this code knows (it is
 * migrated when the daemon next opens it). The caller holds the state
 * directory's lock (statelock.h): no daemon may run on it meanwhile.
 *
 * lab_store_prune() applies retention: results older than @age_s (their
 * job finished before now - @age_s) are deleted unless their job holds a
 * cell's latest result (matrix, diffs: every repeat of it stays), belongs to
 * a nightly or patch plan
 * (baselines, patch reports) or to a job a finding names; the console,
 * preparation and boot logs of such jobs are deleted too (their paths come
 * from the database and the state dir, never from input). Jobs, kernels,
 * findings and plans are kept. One transaction for the rows; files after it.
 *
 * Errors: 0 or -errno; -EINVAL a corrupt file or a bad argument (@err
 * says why), -EPROTO a backup newer than the code, -EEXIST @dest exists.
 */
#ifndef LAB_STORE_ADMIN_H
#define LAB_STORE_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

int lab_store_backup(const char *db_path, const char *dest, int64_t *pages, char *err,
		     size_t errlen);
int lab_store_restore(const char *src, const char *db_path, const char *schema_dir,
		      char *err, size_t errlen);

struct lab_prune_stats {
	int64_t results, logs, jobs_scanned;
};
int lab_store_prune(struct lab_store *st, const char *state_dir, int64_t age_s,
		    struct lab_prune_stats *stats);

#endif /* LAB_STORE_ADMIN_H */
