/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_health.h - the store's target health tables (schema/0007-health.sql).
 *
 * Purpose: SQL in, rows out, for flows/health.c (which decides) and the
 * API: set a target's health with a log row, set its admin state, record a
 * health-check job, list the unjudged checks, a target's recent jobs and
 * its history. Like the rest of the store: no JSON, visitors for rows.
 *
 * Invariants: each public write is one transaction (a health change and its
 * log row together); parameterised SQL only.
 * Errors: 0 or -errno (store.h); -ENOENT unknown target.
 */
#ifndef LAB_STORE_HEALTH_H
#define LAB_STORE_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* targets.health := @health (NULL: unchanged) and a log row */
int lab_store_health_log(struct lab_store *st, int64_t target_id, const char *event,
			 const char *health, int64_t job_id, const char *reason, const char *by);
/* the admin state (active|maintenance|retired) and health @health, logged */
int lab_store_target_admin_set(struct lab_store *st, int64_t target_id, const char *state,
			       const char *health, const char *reason, const char *by);
/* "active" when never set */
int lab_store_target_admin_get(struct lab_store *st, int64_t target_id, char *state, size_t n);
/* job @job_id is a health check of @target_id (logged as check-queued) */
int lab_store_health_job_add(struct lab_store *st, int64_t job_id, int64_t target_id,
			     const char *why);

/* an unjudged health check whose job is final */
struct lab_health_done {
	int64_t job_id, target_id;
	int state;		/* enum lab_job_state */
	int64_t bad;		/* results whose verdict is not pass or skip */
	int64_t results;
	char reason[256];	/* the job's reason */
};
int lab_store_health_done(struct lab_store *st, struct lab_health_done *out, size_t max,
			  size_t *n);
int lab_store_health_judged(struct lab_store *st, int64_t job_id);

/* per target: id, name, health, admin state, an unjudged check pending (0/1),
 * the last check's time (0: never), the consecutive incomplete non-check
 * jobs among its most recent final ones */
struct lab_health_target {
	int64_t id;
	char name[65], health[16], admin[16];
	int pending;
	int64_t last_check;
	int infra_streak;
};
int lab_store_health_targets(struct lab_store *st, struct lab_health_target *out, size_t max,
			     size_t *n);

/* a target's history rows, oldest first: event, health, job, reason, by, at */
int lab_store_health_rows(struct lab_store *st, int64_t target_id, lab_store_row_fn fn,
			  void *arg);

#endif /* LAB_STORE_HEALTH_H */
