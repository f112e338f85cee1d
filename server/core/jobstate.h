/* SPDX-License-Identifier: GPL-2.0 */
/*
 * jobstate.h - the one owner of job state changes.
 *
 * Purpose: a job moves queued -> scheduled -> running -> complete |
 * incomplete | canceled, and incomplete -> queued on a retry. The
 * scheduler, the results API (an external runner's "complete") and cancel
 * and retry requests all move jobs through these named steps; nothing else
 * calls the store's transition functions (stage 21 checks it: core/README.md
 * "Owner:" line).
 *
 * Invariants: each step is one compare-and-set in the store
 * (lab_store_job_transition()): -EAGAIN when the job was not in the state
 * the step starts from (someone else moved it), -EINVAL for a step the
 * state machine forbids, -ENOENT for an unknown job. Steps log nothing;
 * their callers say what happened in their own words.
 */
#ifndef LAB_JOBSTATE_H
#define LAB_JOBSTATE_H

#include <stdint.h>

#include "model.h"

struct lab_store;

/* queued -> scheduled (the scheduler picked it) */
int lab_job_schedule(struct lab_store *st, int64_t id);
/* scheduled -> running (a backend starts it, or a runner posts results) */
int lab_job_run(struct lab_store *st, int64_t id);
/* running -> complete (its results are stored) */
int lab_job_complete(struct lab_store *st, int64_t id);
/*
 * running -> complete with a warning (a run that went with less than asked,
 * e.g. without the probe module): the job's reason is LAB_JOB_WARNING_PREFIX
 * + @warning; NULL or "" is lab_job_complete().
 */
#define LAB_JOB_WARNING_PREFIX "warning: "
int lab_job_complete_warn(struct lab_store *st, int64_t id, const char *warning);
/* running -> incomplete, with the reason (infrastructure, bad results) */
int lab_job_incomplete(struct lab_store *st, int64_t id, const char *reason);
/*
 * running -> incomplete for a configuration error (a deterministic failure:
 * rerunning cannot fix it, so the caller does not retry): the stored reason
 * is LAB_JOB_CONFIG_PREFIX + @reason. The job's state stays "incomplete"
 * (the API's states are unchanged); the reason's prefix is the class.
 */
#define LAB_JOB_CONFIG_PREFIX "configuration error: "
int lab_job_config_error(struct lab_store *st, int64_t id, const char *reason);
/* @from -> canceled, with the reason */
int lab_job_cancel(struct lab_store *st, int64_t id, enum lab_job_state from,
		   const char *reason);
/* incomplete -> queued with one more attempt (lab_store_job_retry()) */
int lab_job_retry(struct lab_store *st, int64_t id, const char *reason);
/* at start: jobs a dead server left scheduled/running -> incomplete, and
 * requeued while attempts remain (lab_store_jobs_recover()) */
int lab_job_recover_all(struct lab_store *st, int *recovered);

#endif /* LAB_JOBSTATE_H */
