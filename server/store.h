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
 * the matching _clear() function, which accepts a zeroed struct. JSON results
 * (json_t *) returned through an out-parameter are new references the caller
 * must json_decref().
 *
 * Errors: 0 or -errno. -ENOENT unknown id/name, -EINVAL bad argument or
 * illegal transition, -EEXIST unique conflict, -EAGAIN lost a race, -EIO
 * SQLite error (the message is logged), -ENOSPC disk full, -EROFS read-only.
 */
#ifndef LAB_STORE_H
#define LAB_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

struct lab_store;

enum lab_job_state {
	LAB_JOB_QUEUED = 0,
	LAB_JOB_SCHEDULED = 1,
	LAB_JOB_RUNNING = 2,
	LAB_JOB_COMPLETE = 3,
	LAB_JOB_INCOMPLETE = 4,
	LAB_JOB_CANCELED = 5,
};

enum lab_verdict {
	LAB_VERDICT_PASS = 0,
	LAB_VERDICT_FAIL = 1,
	LAB_VERDICT_SKIP = 2,
	LAB_VERDICT_ERROR = 3,
	LAB_VERDICT_CRASH = 4,	/* the kernel oopsed/BUGed/panicked during the case (docs/records.md) */
	LAB_VERDICT_WARN = 5,	/* the kernel warned during the case: WARN, lockdep, sanitizer, ... */
};
#define LAB_VERDICT_LAST LAB_VERDICT_WARN

const char *lab_job_state_name(enum lab_job_state s);
int lab_job_state_parse(const char *s, enum lab_job_state *out);
const char *lab_verdict_name(enum lab_verdict v);
int lab_verdict_parse(const char *s, enum lab_verdict *out);

struct lab_kernel {
	int64_t id;
	char *name;		/* lab name, unique: "6.1", "6.12", "6.12+patch-ab12cd" */
	char *release;		/* uname -r, e.g. "6.1.0-56-amd64" */
	char *version;		/* upstream version, e.g. "6.1.192" */
	char *arch;		/* x86_64, arm64, s390x */
	char *source;		/* debian | url | build */
	char *source_ref;	/* package name, URL, or tree@ref+patches hash */
	char *image_path;	/* in the cache, NULL until fetched/built */
	char *modules_path;
	char *headers_path;
	char *sha256;		/* of the image */
};

struct lab_target {
	int64_t id;
	char *name;
	char *arch;
	char *backend;		/* qemu | lava */
	char *vendor;
	char *driver;
	char *device_type;	/* LAVA device type, NULL for qemu */
	char *definition;	/* the target's JSON file, verbatim */
	char *tags;		/* JSON array text */
	char *health;		/* good | bad | unknown | retired */
	int concurrency;
};

struct lab_job {
	int64_t id;
	int64_t plan_id;
	int64_t kernel_id;
	int64_t target_id;
	enum lab_job_state state;
	int priority;		/* higher runs first */
	int attempts;		/* started so far */
	int max_attempts;	/* retries are for infrastructure failures only */
	int timeout_s;
	int repeat;		/* run each case this many times (>= 1) */
	char *case_filter;	/* agent filter, NULL = all */
	char *backend;
	char *backend_job_id;	/* e.g. LAVA job id, NULL for qemu */
	char *log_path;
	char *reason;		/* why incomplete/canceled, NULL otherwise */
	int64_t created_at, started_at, finished_at;	/* unix seconds, 0 = unset */
};

/* One parsed agent record (docs/records.md), ready to store. */
struct lab_result {
	char *case_id;
	char *driver;
	char *iommu;
	char *steps_json;	/* the record's "steps" array, compact JSON text */
	int observed;		/* positive errno or 0 */
	int expected;		/* -1 when the contract had no entry */
	char *contract;
	enum lab_verdict verdict;
	char *reason;
	int reused;		/* -1 null, 0 false, 1 true */
	char *verified;
	int64_t duration_us;
	int repeat;
	/* the agent's kernel-report keys (docs/records.md), all optional */
	char *kernel_kind;	/* NULL: no kernel report decided the verdict */
	char *kernel_excerpt;
	bool has_contract_verdict;
	enum lab_verdict contract_verdict;	/* PASS..ERROR: the errno judgement crash/warn replaced */
	bool has_taint;
	int64_t taint_before, taint_after;
};

/* open/close; applies schema/ migrations from @schema_dir */
int lab_store_open(const char *db_path, const char *schema_dir,
		   struct lab_store **out);
void lab_store_close(struct lab_store *st);
int lab_store_schema_version(struct lab_store *st);

void lab_kernel_clear(struct lab_kernel *k);
void lab_target_clear(struct lab_target *t);
void lab_job_clear(struct lab_job *j);
void lab_result_clear(struct lab_result *r);

/* kernels and targets: upsert by name, get by name or id */
int lab_store_kernel_put(struct lab_store *st, struct lab_kernel *k); /* sets k->id */
int lab_store_kernel_get(struct lab_store *st, const char *name, struct lab_kernel *out);
int lab_store_kernel_get_id(struct lab_store *st, int64_t id, struct lab_kernel *out);
int lab_store_target_put(struct lab_store *st, struct lab_target *t);
int lab_store_target_get(struct lab_store *st, const char *name, struct lab_target *out);
int lab_store_target_get_id(struct lab_store *st, int64_t id, struct lab_target *out);

/* cases: the catalogue as the agent lists it (agent -l -j), upserted */
int lab_store_cases_import(struct lab_store *st, json_t *catalogue);

/* plans: kind nightly|patch|manual; creates one job per kernel x target */
int lab_store_plan_create(struct lab_store *st, json_t *plan, int64_t *plan_id);

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

/* tokens: the secret is never stored, only its SHA-256 */
int lab_store_token_add(struct lab_store *st, const char *name,
			const char *secret);
int lab_store_token_check(struct lab_store *st, const char *secret,
			  char **name_out);

/*
 * Additions (server core, additive to the contract above).
 * JSON out-parameters are new references (json_decref); @err buffers, when
 * given, receive a one-line reason for -EINVAL/-ENOENT.
 */
#define LAB_STORE_ERR_MAX 256

/* kernels/targets/cases/plans as JSON arrays of objects, ordered by name/id */
int lab_store_kernels_list(struct lab_store *st, json_t **out);
int lab_store_kernel_json(struct lab_store *st, const char *name, json_t **out);
int lab_store_targets_list(struct lab_store *st, json_t **out);
int lab_store_target_json(struct lab_store *st, const char *name, json_t **out);
int lab_store_cases_list(struct lab_store *st, json_t **out);
int lab_store_case_json(struct lab_store *st, const char *case_id, json_t **out);
int lab_store_cases_import_ex(struct lab_store *st, json_t *catalogue,
			      int *imported, char *err, size_t errlen);
/*
 * Plan JSON: {"kind": "nightly|patch|manual", "name": "...",
 *   "kernels": ["6.1", ...], "targets": ["q35-vtd", "tag=vtd", ...] (names,
 *   or match expressions of sched.h where no target has that name; absent =
 *   every target not retired), "cases": "filter", "repeat": 1, "priority": 0,
 *   "max_attempts": 3, "timeout_s": 600}
 * One job per kernel x target of the same arch (others are skipped);
 * -EINVAL if that leaves none. All in one transaction.
 */
int lab_store_plan_create_ex(struct lab_store *st, json_t *plan,
			     const char *created_by, int64_t *plan_id,
			     int *njobs, char *err, size_t errlen);
int lab_store_plans_list(struct lab_store *st, int64_t limit, int64_t offset,
			 json_t **out);
int lab_store_plan_json(struct lab_store *st, int64_t id, json_t **out);

/* job list filters: 0/NULL = any; newest first; before_id > 0 = cursor */
struct lab_job_filter {
	int state;		/* -1 any, else enum lab_job_state */
	int64_t kernel_id, target_id, plan_id;
	int64_t before_id;
	int64_t limit, offset;
};
int lab_store_jobs_list(struct lab_store *st, const struct lab_job_filter *f,
			json_t **out);
int lab_store_job_json(struct lab_store *st, int64_t id, json_t **out);
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
int lab_store_results_query(struct lab_store *st,
			    const struct lab_result_filter *f, json_t **out);
/* the driver x case grid of one kernel: latest complete result per cell */
int lab_store_matrix(struct lab_store *st, int64_t kernel_id, json_t **out);
/*
 * One side of a diff: the latest complete result per (target, case), as an
 * array of {target, driver, case, observed, expected, verdict, result_id}
 * sorted by target then case. by_plan: @id is a plan id, else a kernel id.
 */
int lab_store_diff_side(struct lab_store *st, bool by_plan, int64_t id,
			json_t **out);

/*
 * Fast read paths (added for issue 8): the same data as lab_store_matrix()
 * and lab_store_diff_side(), without one json_t per row.
 *
 * lab_store_matrix_text: the JSON text of lab_store_matrix()'s document
 * (same members and values); *out is malloc'd, NUL-terminated, *len bytes.
 *
 * lab_store_diff_side_load: the rows of lab_store_diff_side() in C: strings
 * live in side->pool at the *_off offsets (NUL-terminated; "" for NULL);
 * free with lab_store_side_free() (accepts a zeroed struct). Relies on the
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
int lab_store_matrix_text(struct lab_store *st, int64_t kernel_id, char **out,
			  size_t *len);
int lab_store_diff_side_load(struct lab_store *st, bool by_plan, int64_t id,
			     struct lab_store_side *out);
void lab_store_side_free(struct lab_store_side *side);
uint64_t lab_store_generation(struct lab_store *st);

/* tokens with scopes ("admin", "ingest"; space-separated) */
int lab_store_token_add_scoped(struct lab_store *st, const char *name,
			       const char *secret, const char *scopes);
int lab_store_token_lookup(struct lab_store *st, const char *secret,
			   char **name_out, char **scopes_out);
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

/*
 * The errno distribution of the repeats behind one result (same job, same
 * case): {"EINVAL": 2, "OK": 1} (lab_errno_name keys). One grouped query on
 * the results_job index. -ENOENT for an unknown result id.
 */
int lab_store_result_errnos(struct lab_store *st, int64_t result_id, json_t **out);

#endif /* LAB_STORE_H */
