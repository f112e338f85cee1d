/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store.h - the results store: iommulab's one SQLite database.
 *
 * Purpose: every other server module (api, sched, runner, backends, diff,
 * cli through the API) reads and writes lab state only through these
 * functions. The schema lives in schema/NNNN-*.sql and is applied by
 * lab_store_open() in order, tracked by PRAGMA user_version.
 *
 * Invariants:
 *  - One struct lab_store per thread. Each holds its own sqlite3 connection
 *    (WAL mode, busy_timeout set, foreign_keys on, synchronous=NORMAL) and
 *    its own cache of prepared statements; the statements are prepared once
 *    and reset after each use. SQLite's WAL gives concurrent readers with one
 *    writer; writers retry on SQLITE_BUSY through the busy timeout.
 *  - Every SQL statement is parameterised: no value from a request, a record
 *    or a log is ever formatted into SQL text.
 *  - A batch of results (one job's records, or one API ingest request) is
 *    written in ONE transaction: after a crash it is all there or absent.
 *  - Job state changes go through lab_store_job_transition(), which refuses
 *    transitions the state machine does not allow (-EINVAL) and is atomic
 *    (compare-and-set on the current state: -EAGAIN if it changed under us).
 *
 * Ownership: strings passed in are copied by SQLite. Structs filled by the
 * store (lab_job, lab_kernel, ...) own their heap strings; release them with
 * the matching _clear() function, which accepts a zeroed struct.
 * The store knows no JSON document: its rows go to a visitor (views.h
 * builds the API's documents from them).
 *
 * Errors: 0 or -errno. -ENOENT unknown id/name, -EINVAL bad argument or
 * illegal transition, -EEXIST unique conflict, -EAGAIN lost a race, -EIO
 * SQLite error (the message is logged), -ENOSPC disk full, -EROFS read-only.
 */
#ifndef LAB_STORE_H
#define LAB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

struct lab_store;

/* the structs and enums it stores: model.h */
/*
 * A read transaction (BEGIN .. COMMIT: one snapshot) around several reads,
 * e.g. the two sides of a diff. *@began says whether this call started it
 * (false inside a transaction already open on this connection); pass it to
 * lab_store_read_end(), which ends only what it began.
 */
int lab_store_read_begin(struct lab_store *st, bool *began);
void lab_store_read_end(struct lab_store *st, bool began);
/* open/close; applies schema/ migrations from @schema_dir */
int lab_store_open(const char *db_path, const char *schema_dir,
		   struct lab_store **out);
void lab_store_close(struct lab_store *st);
int lab_store_schema_version(struct lab_store *st);

/* kernels and targets: upsert by name, get by name or id */
int lab_store_kernel_put(struct lab_store *st, struct lab_kernel *k); /* sets k->id */
int lab_store_kernel_get(struct lab_store *st, const char *name, struct lab_kernel *out);
int lab_store_kernel_get_id(struct lab_store *st, int64_t id, struct lab_kernel *out);
int lab_store_target_put(struct lab_store *st, struct lab_target *t);
int lab_store_target_get(struct lab_store *st, const char *name, struct lab_target *out);
int lab_store_target_get_id(struct lab_store *st, int64_t id, struct lab_target *out);

/* cases: one upserted case row (the catalogue import is catalog.h's);
 * the JSON columns are given as text */
int lab_store_case_put(struct lab_store *st, const char *id, const char *area,
		       const char *title, const char *contracts_json, const char *meta_json);

/* plans: the expansion of a JSON plan into jobs is plan.h's */
int lab_store_plan_insert(struct lab_store *st, const char *name, const char *kind,
			  const char *spec, const char *cases, int repeat,
			  int priority, const char *created_by, int64_t *plan_id);

/*
 * One write transaction (BEGIN IMMEDIATE .. COMMIT) around several store
 * calls, for code above the store that must write all or nothing (plan.c).
 * _rollback is a no-op outside a transaction.
 */
int lab_store_tx_begin(struct lab_store *st);
int lab_store_tx_commit(struct lab_store *st);
void lab_store_tx_rollback(struct lab_store *st);

/* jobs */
int lab_store_job_create(struct lab_store *st, struct lab_job *j);	/* sets j->id */
int lab_store_job_get(struct lab_store *st, int64_t id, struct lab_job *out);
int lab_store_job_transition(struct lab_store *st, int64_t id,
			     enum lab_job_state from, enum lab_job_state to,
			     const char *reason);
int lab_store_job_set_backend(struct lab_store *st, int64_t id,
			      const char *backend_job_id, const char *log_path);
/* on start: running/scheduled jobs -> incomplete ("server restarted"), requeued if attempts remain */
int lab_store_jobs_recover(struct lab_store *st, int *recovered);

/* results: one job's records in one transaction; the job must exist */
int lab_store_results_ingest(struct lab_store *st, int64_t job_id,
			     const struct lab_result *res, size_t n);

/*
 * tokens: the secret is never stored, only its SHA-256 as 64 hex chars,
 * which auth.c computes (the secret-taking lab_store_token_add(), _check(),
 * _add_scoped() and _lookup() are in auth.h). Name: [A-Za-z0-9_.-]{1,64};
 * scopes: space-separated, non-empty. -EEXIST for a taken name.
 */
#define LAB_STORE_TOKEN_HASH_LEN 64
int lab_store_token_put(struct lab_store *st, const char *name,
			const char *sha256_hex, const char *scopes);
int lab_store_token_find(struct lab_store *st, const char *sha256_hex,
			 char **name_out, char **scopes_out);

/*
 * Additions (server core, additive to the contract above).
 * @err buffers, when
 * given, receive a one-line reason for -EINVAL/-ENOENT.
 */
#define LAB_STORE_ERR_MAX 256

/*
 * Rows: the list and get queries below hand each row to a visitor @fn,
 * which reads its columns (name, type, value) through lab_store_row_*()
 * while it is called, and returns 0 to go on or -errno to stop with that
 * error. They return the number of rows (>= 0) or -errno. The JSON views
 * of these rows (the API's documents) are views.h's, above the store.
 * Column names are the API's member names; text pointers are valid only
 * during the call.
 */
struct lab_store_row;
enum lab_store_col { LAB_COL_NULL, LAB_COL_INT, LAB_COL_REAL, LAB_COL_TEXT };
typedef int (*lab_store_row_fn)(const struct lab_store_row *row, void *arg);
int lab_store_row_ncols(const struct lab_store_row *r);
const char *lab_store_row_name(const struct lab_store_row *r, int i);
enum lab_store_col lab_store_row_type(const struct lab_store_row *r, int i);
int64_t lab_store_row_int(const struct lab_store_row *r, int i);
double lab_store_row_real(const struct lab_store_row *r, int i);
const char *lab_store_row_text(const struct lab_store_row *r, int i, size_t *len);
/* columns 0..@n-1 in one call (what a view of every column wants): the
 * type, and the value of that type (@text: NUL-terminated, @len bytes) */
struct lab_store_val {
	enum lab_store_col type;
	int64_t i;
	double d;
	const char *text;
	size_t len;
};
void lab_store_row_values(const struct lab_store_row *r, struct lab_store_val *v, int n);

/* kernels, targets, cases: ordered by name; one by name (0 or 1 row) */
int lab_store_kernels_rows(struct lab_store *st, lab_store_row_fn fn, void *arg);
int lab_store_kernel_rows(struct lab_store *st, const char *name, lab_store_row_fn fn,
			  void *arg);
int lab_store_kernel_id_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn,
			     void *arg);
int lab_store_targets_rows(struct lab_store *st, lab_store_row_fn fn, void *arg);
int lab_store_target_rows(struct lab_store *st, const char *name, lab_store_row_fn fn,
			  void *arg);
int lab_store_cases_rows(struct lab_store *st, lab_store_row_fn fn, void *arg);
int lab_store_case_rows(struct lab_store *st, const char *case_id, lab_store_row_fn fn,
			void *arg);
/* lab_store_cases_import_ex(): catalog.h */
/* lab_store_plan_create_ex(): plan.h */
/* plans, newest first (with a "jobs" count); one plan; its (state, count) rows */
int lab_store_plans_rows(struct lab_store *st, int64_t limit, int64_t offset,
			 lab_store_row_fn fn, void *arg);
int lab_store_plan_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn, void *arg);
int lab_store_plan_states_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn,
			       void *arg);

/* job list filters: 0/NULL = any; newest first; before_id > 0 = cursor */
struct lab_job_filter {
	int state;		/* -1 any, else enum lab_job_state */
	int64_t kernel_id, target_id, plan_id;
	int64_t before_id;
	int64_t limit, offset;
};
int lab_store_jobs_rows(struct lab_store *st, const struct lab_job_filter *f,
			lab_store_row_fn fn, void *arg);
/* one job with its kernel and target names and its result count */
int lab_store_job_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn, void *arg);
/* incomplete|canceled... only incomplete -> queued; gives one more attempt */
int lab_store_job_retry(struct lab_store *st, int64_t id, const char *reason);
/*
 * The queued job to start next: highest priority, then oldest, whose target
 * is not retired and has fewer scheduled+running jobs than its concurrency.
 * -ENOENT when there is none.
 */
int lab_store_job_next(struct lab_store *st, struct lab_job *out);
/* jobs in @state, oldest first, up to @max, into @ids; sets *n */
int lab_store_jobs_in_state(struct lab_store *st, enum lab_job_state state,
			    int64_t *ids, size_t max, size_t *n);

/* result query filters: NULL/-1 = any; newest first; before_id = cursor */
struct lab_result_filter {
	int64_t kernel_id, target_id, job_id;
	const char *driver;
	const char *case_id;
	int verdict;		/* -1 any */
	int64_t before_id;
	int64_t limit, offset;
};
int lab_store_results_rows(struct lab_store *st, const struct lab_result_filter *f,
			   lab_store_row_fn fn, void *arg);
/* the cells of one kernel's matrix: latest complete result per (target,
 * case), ordered by driver, target, case; columns 0-3 are target, driver,
 * case, verdict */
int lab_store_matrix_rows(struct lab_store *st, int64_t kernel_id, lab_store_row_fn fn,
			  void *arg);
/*
 * One side of a diff: the latest complete result per (target, case)
 * {target, driver, case, observed, expected, verdict, result_id, runs,
 * distinct_observed, steps, outcomes, job_id}, sorted by target then case;
 * outcomes: "observed:verdict" of every repeat of that job, comma-separated
 * (NULL for a case that ran once: its one outcome is the row's own); job_id:
 * the result's job, whose QEMU version lab_store_provenance_side_rows()
 * gives for the whole side in one query (store_provenance.h; the views'
 * lab_store_diff_side adds it to each row as "qemu"). by_plan: @id is a
 * plan id, else a kernel id.
 */
int lab_store_diff_side_rows(struct lab_store *st, bool by_plan, int64_t id,
			     lab_store_row_fn fn, void *arg);

/*
 * Fast read path (added for issue 8): the rows of a diff side in C,
 * without a visitor call per row.
 *
 * lab_store_diff_side_load: the rows of lab_store_diff_side_rows() in C, with
 * each row's QEMU version (qemu_off) from one provenance query for the side
 * (not one read per row): strings
 * live in side->pool at the *_off offsets (NUL-terminated; "" for NULL);
 * free with lab_store_side_free() (accepts a zeroed struct). @target
 * non-NULL: only that target's rows (a diff across two targets). Relies on the
 * schema's NOT NULL/CHECK constraints: observed, verdict, result_id, runs
 * and distinct_observed are integers; expected may be NULL.
 *
 * lab_store_generation: a process-wide counter that changes whenever data
 * may have become visible: this connection committed a write (commit hook)
 * or any other connection/process did (checked here: in WAL mode by
 * comparing the WAL-index header in <db>-shm, a shared-memory read with no
 * SQLite transaction; else PRAGMA data_version). Read it BEFORE building a
 * cached body (respcache.h). Never fails: when it cannot tell it returns a
 * new value.
 */
struct lab_store_side_row {
	size_t target_off, driver_off, case_off;
	size_t steps_off;	/* the latest repeat's steps, JSON text */
	size_t outcomes_off;	/* every repeat's "observed:verdict", comma-separated; "" ran once */
	size_t qemu_off;	/* the job's QEMU version (provenance); "" unknown */
	int64_t observed, expected, result_id, runs, distinct_observed;
	bool has_expected;
	int verdict;
};
struct lab_store_side {
	struct lab_store_side_row *rows;
	size_t n;
	char *pool;
	size_t pool_len;
};
int lab_store_diff_side_load(struct lab_store *st, bool by_plan, int64_t id,
			     const char *target, struct lab_store_side *out);
void lab_store_side_free(struct lab_store_side *side);
uint64_t lab_store_generation(struct lab_store *st);

/* does a token named @name exist? */
int lab_store_token_exists(struct lab_store *st, const char *name, int *exists);

/*
 * Tune this connection: @name one of "cache_size" (pages, or -KiB),
 * "max_page_count", "query_only" (0/1), "synchronous" (0-3). For the bench
 * (ingest ceiling depends on cache_size) and tests (ENOSPC/EROFS paths).
 * -EINVAL for any other name.
 */
int lab_store_pragma(struct lab_store *st, const char *name, long value);

/* targets from targets/<arch>/<name>.json (docs/targets.md); see targets.c */
int lab_targets_load(struct lab_store *st, const char *dir, int *loaded);

/* rows (observed, count): the errnos of the repeats behind one result (same
 * job, same case), one grouped query on the results_job index */
int lab_store_result_errnos_rows(struct lab_store *st, int64_t result_id,
				 lab_store_row_fn fn, void *arg);

/*
 * Contracts (store_contracts.c, schema 0005): numbered versions per case,
 * the results a rejudge must look at, and the history of changed verdicts.
 * lab_store_contract_put() adds version N+1 when @contracts_json (compact
 * JSON text, compared byte for byte) or @expect_reused (-1 none) differ
 * from the case's latest version and sets *version to the latest either
 * way; call it inside the caller's transaction. lab_store_rejudge_load()
 * gives every result of @case_id (NULL: every case) judged against an
 * older version than its case's latest, but for the agent's own verdicts
 * (judged_by 'agent'); free with lab_store_judged_free().
 * lab_store_result_rejudge() writes @now's verdict, contract_verdict,
 * expected, contract, contract_version and judged_by over result @old->id
 * and, when the verdict (contract_verdict for crash/warn) changed, one
 * verdict_history row stamped @when.
 */
struct lab_store_judged {
	int64_t id;		/* results.id */
	char *release;		/* its kernel's uname -r, NULL unknown */
	struct lab_result r;	/* the stored fields judge.h reads */
};
int lab_store_contract_latest(struct lab_store *st, const char *case_id, int *version,
			      char **contracts_json, int *expect_reused);
/* every case's latest version, sorted by case id (strcmp); free with
 * lab_store_contracts_free() */
struct lab_store_contract {
	char *case_id;
	int version;
	char *contracts_json;
	int expect_reused;	/* -1 none */
};
int lab_store_contracts_latest(struct lab_store *st, struct lab_store_contract **out, size_t *n);
void lab_store_contracts_free(struct lab_store_contract *c, size_t n);
int lab_store_contract_put(struct lab_store *st, const char *case_id,
			   const char *contracts_json, int expect_reused, int *version);
int lab_store_rejudge_load(struct lab_store *st, const char *case_id,
			   struct lab_store_judged **out, size_t *n);
void lab_store_judged_free(struct lab_store_judged *rows, size_t n);
int lab_store_result_rejudge(struct lab_store *st, const struct lab_store_judged *old,
			     const struct lab_result *now, int64_t when);
/* history rows, newest first: id, result_id, case, kernel, target, driver,
 * field, old_verdict, verdict, old_expected, expected, old_contract_version,
 * contract_version, changed_at */
int lab_store_verdict_history_rows(struct lab_store *st, const char *case_id, int64_t limit,
				   lab_store_row_fn fn, void *arg);

#endif /* LAB_STORE_H */
