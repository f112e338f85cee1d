/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_int.h - what the store's table families share (store*.c only).
 *
 * Purpose: the store is one connection (struct lab_store) with one table
 * of prepared statements (store.c: stmt_sql[]) and one set of helpers
 * (errors, statements, transactions, rows); its public functions are split
 * by table family: store_catalog.c (kernels, targets, cases), store_jobs.c
 * (jobs, plans), store_results.c (results, latest, matrix, diff sides),
 * store_tokens.c (tokens); store.c opens, migrates and tunes it.
 *
 * Invariants: nothing outside server/core/store*.c includes this header.
 * The helpers follow store.h's error rules (0 or -errno; store_db_err()
 * is the one place that maps SQLite result codes and logs their message).
 */
#ifndef LAB_STORE_INT_H
#define LAB_STORE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "store.h"

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
	S_CONTRACT_LATEST, S_CONTRACT_INSERT, S_REJUDGE_LOAD, S_RESULT_REJUDGE,
	S_HISTORY_INSERT, S_HISTORY_LIST, S_CONTRACTS_LATEST,
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

#define JOB_FILTERS 5		/* state, kernel, target, plan, cursor */
#define WAL_HDR_BYTES 48	/* one copy of SQLite's WalIndexHdr (fileformat2) */
#define WAL_INDEX_REGION 32768	/* SQLite's -shm region size (WALINDEX_PGSZ) */
#define RESULT_FILTERS 7	/* kernel, target, job, driver, case, verdict, cursor */
#define STORE_EXT_MAX 88	/* store_ext_stmt(): slots for the families' own tables: */
#define STORE_EXT_FINDINGS 0	/* store_findings.c: 0..63 */
#define STORE_EXT_PROVENANCE 64	/* store_provenance.c: 64..71 */
#define STORE_EXT_OUTBOX 72	/* store_outbox.c: 72..87 */

struct lab_store {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *stmt[S__COUNT];
	sqlite3_stmt *jobs_list[1 << JOB_FILTERS];
	sqlite3_stmt *results_list[1 << RESULT_FILTERS];
	/* statements of the table families that keep their own SQL table
	 * (store_findings.c: FS_*), prepared on first use, finalized at close */
	sqlite3_stmt *ext[STORE_EXT_MAX];
	/* lab_store_generation(): this connection committed a write since it
	 * last looked (set by the commit hook), and the data_version it saw */
	bool dirty;
	int64_t data_version;
	/* ... or, in WAL mode, the WAL-index header it saw last, read from a
	 * SQLite's own mapping of <db>-shm (shm_map(); NULL: use data_version) */
	bool wal, shm_tried;
	const unsigned char *shm;
	unsigned char shm_seen[WAL_HDR_BYTES];
	/* this process's writers to the same file queue here (writelock.h);
	 * held from BEGIN IMMEDIATE to COMMIT/ROLLBACK when @wlocked */
	struct lab_writelock *wl;
	bool wlocked;
};

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
	const char *what;	/* for store_db_err() */
};

#define FIELD(type, strct, member) { type, offsetof(strct, member), false }
#define FIELD_REQ(strct, member) { F_TEXT, offsetof(strct, member), true }
#define LAYOUT(strct, fields, what) { fields, sizeof(fields) / sizeof(fields[0]), \
	sizeof(strct), what }

extern const struct row_layout store_kernel_layout, store_target_layout, store_job_layout;

int store_map_rc(int rc);
int store_db_err(struct lab_store *st, int rc, const char *what);
sqlite3_stmt *store_prep_sql(struct lab_store *st, const char *sql);
sqlite3_stmt *store_stmt(struct lab_store *st, enum stmt_id id);
void store_done(sqlite3_stmt *s);
int store_exec_stmt(struct lab_store *st, sqlite3_stmt *s, const char *what);
int store_exec_returning_id(struct lab_store *st, sqlite3_stmt *s, int64_t *id,
			     const char *what);
int store_tx(struct lab_store *st, enum stmt_id id);
void store_rollback(struct lab_store *st);
void store_bind_text(sqlite3_stmt *s, int i, const char *v);
void store_bind_id(sqlite3_stmt *s, int i, int64_t v);
char *store_col_dup(sqlite3_stmt *s, int i);
sqlite3_stmt *store_stmt_by_name(struct lab_store *st, enum stmt_id id, const char *name);
sqlite3_stmt *store_stmt_by_id(struct lab_store *st, enum stmt_id id, int64_t v);
int store_rows_each(struct lab_store *st, sqlite3_stmt *s, lab_store_row_fn fn,
		    void *arg, const char *what);
int store_exec_sql(struct lab_store *st, const char *sql, const char *what);
int store_row_struct(struct lab_store *st, sqlite3_stmt *s,
		      const struct row_layout *lay, void *obj);
bool store_valid_case_id(const char *id);
/* slot @slot (< STORE_EXT_MAX) of this connection's cache, @sql prepared
 * into it on first use; NULL if it cannot be prepared */
sqlite3_stmt *store_ext_stmt(struct lab_store *st, int slot, const char *sql);
sqlite3_stmt *store_filtered_stmt(struct lab_store *st, sqlite3_stmt **cache,
				   unsigned mask, const char *select,
				   const char *const *where, int nwhere,
				   const char *tail);

#endif /* LAB_STORE_INT_H */
