/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_bisect.h - the bisections and bisect_steps tables (schema
 * 0010-bisect.sql), for the bisection flow (flows/bisect.c).
 *
 * Purpose: persist a bisection (its checked spec, state, result) and its
 * steps (commit, kernel, plan, judgement, evidence) so a bisection
 * survives a server restart and the API can show it. Also reads one job's
 * results of one case (observed, verdict per repeat): the step's evidence.
 *
 * Invariants: JSON documents are stored as text the flow wrote; the store
 * does not parse them. A bisection's state leaves "running" once
 * (finished_at is set then). Row visitors follow store.h's rules (column
 * names are the API's member names).
 *
 * Errors: 0 or -errno (-EINVAL for a bad argument, -ENOENT for no such
 * row); row functions return the number of rows or -errno.
 */
#ifndef LAB_STORE_BISECT_H
#define LAB_STORE_BISECT_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* a new bisection in state running; *@id its id */
int lab_store_bisect_insert(struct lab_store *st, const char *kind, const char *spec,
			    const char *created_by, int64_t *id);
/* @state running|found|failed|canceled; @result / @reason may be NULL
 * (kept as they are); a final state sets finished_at */
int lab_store_bisect_update(struct lab_store *st, int64_t id, const char *state,
			    const char *result, const char *reason);
/* replace a running bisection's spec (a series bisection adds its patches) */
int lab_store_bisect_set_spec(struct lab_store *st, int64_t id, const char *spec);
/* one bisection (0 or 1 row): id, kind, state, spec, result, reason,
 * created_by, created_at, finished_at, steps */
int lab_store_bisect_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn, void *arg);
/* bisections, newest first, same columns */
int lab_store_bisects_rows(struct lab_store *st, int64_t limit, lab_store_row_fn fn,
			   void *arg);
/* ids of the running bisections, oldest first, up to @max */
int lab_store_bisects_running(struct lab_store *st, int64_t *ids, size_t max, size_t *n);

/* step @n of bisection @bid */
int lab_store_bisect_step_insert(struct lab_store *st, int64_t bid, int n,
				 const char *commit, const char *subject,
				 const char *kernel, int64_t plan_id, int64_t *id);
/* judge step @id: good|bad|skip, with its evidence (JSON text) */
int lab_store_bisect_step_judge(struct lab_store *st, int64_t id, const char *judgement,
				const char *detail);
/* the steps of bisection @bid in order: id, n, commit, subject, kernel,
 * plan, judgement, detail, created_at, finished_at */
int lab_store_bisect_steps_rows(struct lab_store *st, int64_t bid, lab_store_row_fn fn,
				void *arg);
/* the results of case @case_id in job @job_id: observed, verdict, repeat */
int lab_store_job_case_rows(struct lab_store *st, int64_t job_id, const char *case_id,
			    lab_store_row_fn fn, void *arg);

#endif /* LAB_STORE_BISECT_H */
