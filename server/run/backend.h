/* SPDX-License-Identifier: GPL-2.0 */
/*
 * backend.h - how the scheduler hands a job to something that runs it.
 *
 * Purpose: one interface for every way a job can run. The local QEMU runner
 * (backend_qemu.c) is the embedded default; the LAVA backend (backend_lava.c)
 * hands jobs to a LAVA lab. The scheduler (sched.c) only knows this table.
 *
 * Life of a job on a backend:
 *   start()  -> the backend has taken the job (QEMU started / LAVA accepted);
 *               it returns at once, the run goes on in the background.
 *   poll()   -> called by the scheduler's loop for every running job; returns
 *               LAB_RUN_RUNNING while it goes on, or a final outcome. On
 *               LAB_RUN_DONE the backend has already ingested the results
 *               (one transaction) through the store; on LAB_RUN_INFRA /
 *               LAB_RUN_BAD_RESULTS it stored nothing and filled @reason.
 *   cancel() -> stop the run; no result of it is stored.
 * The scheduler owns the job's state transitions; a backend never calls
 * lab_store_job_transition() itself.
 *
 * Outcomes and what the scheduler does with them:
 *   LAB_RUN_DONE         complete (results stored; verdicts are never retried)
 *   LAB_RUN_INFRA        incomplete; retried while attempts < max_attempts
 *                        (QEMU failed to start, LAVA down, a guest that
 *                        stopped with no kernel report; a kernel crash is a
 *                        result: QEMU's isolate.h makes it DONE)
 *   LAB_RUN_BAD_RESULTS  incomplete, not retried (records missing/malformed:
 *                        rerunning would not fix the agent or the kernel)
 *   LAB_RUN_TIMEOUT      incomplete; the guest was killed; retried like INFRA
 *
 * Ownership: the backend allocates its per-run state in start() and hangs it
 * on run->priv; it frees it when poll() returns a final outcome or after
 * cancel(). @reason is a caller buffer of LAB_REASON_MAX bytes; reasons
 * include a short log excerpt where there is one.
 */
#ifndef LAB_BACKEND_H
#define LAB_BACKEND_H

#include <stdbool.h>

#include "store.h"

#define LAB_REASON_MAX 2048

enum lab_run_status {
	LAB_RUN_RUNNING = 0,
	LAB_RUN_DONE,
	LAB_RUN_INFRA,
	LAB_RUN_BAD_RESULTS,
	LAB_RUN_TIMEOUT,
};

struct lab_config;	/* config.h: paths (cache, repo, targets), tokens, labs */

struct lab_run {
	const struct lab_job *job;
	const struct lab_kernel *kernel;
	const struct lab_target *target;
	const struct lab_config *cfg;
	struct lab_store *store;	/* the scheduler thread's connection */
	void *priv;			/* the backend's */
};

struct lab_backend {
	const char *name;		/* matches lab_target.backend */
	/* does a run take one of the host's QEMU slots (lab_sched_opts
	 * host_slots)? true for a guest on this machine, false for a remote
	 * lab (LAVA), whose jobs are bounded only by target concurrency */
	bool uses_host_slots;
	int (*start)(struct lab_run *run, char *reason);
	enum lab_run_status (*poll)(struct lab_run *run, char *reason);
	int (*cancel)(struct lab_run *run);
	/*
	 * Optional (NULL = nothing to do); added by the scheduler. Called once
	 * at scheduler start for each job the store still shows scheduled or
	 * running (the server died under it), before lab_store_jobs_recover()
	 * marks it incomplete: stop whatever the dead server left of the run
	 * (QEMU: the process group named by backend_job_id). 0 or -errno.
	 */
	int (*recover)(const struct lab_job *job, const struct lab_config *cfg);
};

extern const struct lab_backend lab_backend_qemu;
extern const struct lab_backend lab_backend_lava;

const struct lab_backend *lab_backend_find(const char *name);

#endif /* LAB_BACKEND_H */
