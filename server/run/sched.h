/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched.h - the job scheduler: decides which queued job runs where and when,
 * hands it to a backend (backend.h), follows it to a final state.
 *
 * Purpose: two layers.
 *  1. A pure decision function, lab_sched_pick(): given the queued jobs
 *     (ordered by priority), the targets with their concurrency and running
 *     counts, and the free host QEMU slots, choose the jobs to start now.
 *     No I/O, no SQL, no allocation: O(jobs + targets) per pass, so the
 *     scheduler stays cheap with 10,000 queued jobs on 500 targets.
 *  2. A scheduler thread (lab_sched_start) with its own store connection.
 *     Each pass: poll running jobs (backend->poll), apply cancels, then fill
 *     free slots via lab_sched_pick(). At start it calls
 *     lab_store_jobs_recover(): queued jobs stay queued, jobs that were
 *     running when the server died become incomplete and are requeued while
 *     attempts remain.
 *
 * Target matching (lab_sched_match): core/match.h.
 *
 * Invariants:
 *  - Global QEMU concurrency is at most the host's online cores (sysconf)
 *    unless lowered by the caller; LAVA jobs do not take host slots.
 *  - A job is retried only for infrastructure failures (LAB_RUN_INFRA,
 *    LAB_RUN_TIMEOUT) and only while attempts < max_attempts; a verdict
 *    (LAB_RUN_DONE) or bad results are never retried.
 *  - A canceled job's guest is killed before the scheduler forgets it: no
 *    QEMU outlives its job.
 *  - Whatever the backend, a run without an outcome job.timeout_s + 2100 s
 *    after it started is stopped and counts as a timeout (a backstop; the
 *    QEMU backend enforces the job timeout on the guest itself).
 *
 * Ownership: struct lab_sched is created by lab_sched_start() and freed by
 * lab_sched_stop(). It borrows @cfg, which must outlive it.
 *
 * Errors: 0 or -errno.
 */
#ifndef LAB_SCHED_H
#define LAB_SCHED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "match.h"
#include "store.h"

/* ---- the pure decision ---- */

struct lab_sched_slot {
	int concurrency;	/* jobs allowed at once on this target, >= 1 */
	int running;		/* jobs running now; lab_sched_pick() adds picks */
	bool usable;		/* health allows new jobs */
	bool local;		/* a job here takes a host QEMU slot */
};

struct lab_sched_cand {
	int64_t job_id;
	int priority;		/* higher first */
	uint32_t slot;		/* index of the job's target in the slot array */
};

/*
 * Pick the jobs to start now. @cands must be ordered by priority descending,
 * then job id ascending (lab_sched_order() does that).  A job whose target is full or unusable is passed over
 * without blocking lower-priority jobs of other targets. Writes the indexes
 * (into @cands) of the picked jobs to @picked, at most @max_picked, and
 * returns how many. Updates @slots[].running and *@host_free as it picks.
 * Candidates with an out-of-range slot are ignored.
 */
size_t lab_sched_pick(const struct lab_sched_cand *cands, size_t n,
		      struct lab_sched_slot *slots, size_t nslots,
		      int *host_free, size_t *picked, size_t max_picked);

/*
 * Sort candidates into the order lab_sched_pick() expects. Linear (a stable
 * counting sort) when ids are ascending and priorities within -1000..1000,
 * the plan API's range; otherwise qsort.
 */
void lab_sched_order(struct lab_sched_cand *cands, size_t n);

/* lab_sched_match(), lab_sched_match_check(): match.h */

/* host QEMU slots: online cores, at least 1 */
int lab_sched_host_slots(void);

/* ---- the scheduler thread ---- */

struct lab_config;
struct lab_sched;

struct lab_store;
typedef int (*lab_sched_tick_fn)(struct lab_store *st, const struct lab_config *cfg);

struct lab_sched_opts {
	const char *db_path;	/* the store the thread opens for itself */
	const char *schema_dir;
	int host_slots;		/* 0 = lab_sched_host_slots() */
	int poll_ms;		/* pass interval, 0 = 200 ms */
	/*
	 * Called on the scheduler thread once per pass, before picking, with
	 * the thread's store (main.c: lab_nightly_tick, which turns due
	 * nightlies into plans). > 0: it queued jobs, pick now. NULL = none.
	 */
	lab_sched_tick_fn tick;
};

/* open the thread's store, recover, start the thread */
int lab_sched_start(const struct lab_config *cfg,
		    const struct lab_sched_opts *opts, struct lab_sched **out);

/*
 * Stop the thread. Jobs still running are canceled on their backend (no
 * guest survives) and left running in the store, so the next start's
 * lab_store_jobs_recover() marks them incomplete and requeues them, exactly
 * as after a crash. Frees @s; NULL is a no-op.
 */
void lab_sched_stop(struct lab_sched *s);

/* wake the thread for a pass now (after a plan was submitted) */
void lab_sched_kick(struct lab_sched *s);

/*
 * Cancel job @job_id. A queued job becomes canceled at once (through
 * @st, the caller's store). A running job is marked for cancel; the
 * scheduler kills its guest on its next pass and marks it canceled.
 * -ENOENT unknown job, -EINVAL already final.
 */
int lab_sched_cancel(struct lab_sched *s, struct lab_store *st,
		     int64_t job_id, const char *reason);

/* counts for /api/status: jobs running now, host slots in use/total */
struct lab_sched_stats {
	int running;
	int host_used;
	int host_slots;
	uint64_t passes;
};
void lab_sched_stats(struct lab_sched *s, struct lab_sched_stats *out);

#endif /* LAB_SCHED_H */
