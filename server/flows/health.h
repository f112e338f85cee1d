/* SPDX-License-Identifier: GPL-2.0 */
/*
 * health.h - healthy targets (issue 18.6), as LAVA keeps devices.
 *
 * Purpose: a health check is a job of a known-good kernel with a short case
 * filter on one target (a plan named "health-check TARGET", priority 1000,
 * one attempt), recorded in health_jobs (store_health.h). It is queued
 *   - on demand (lab_health_check_now(): the API and CLI "check"),
 *   - when a target leaves maintenance (lab_health_set_state() active),
 *   - every "every_s" seconds per target, and after "after_failures"
 *     consecutive infrastructure failures (final incomplete jobs) on it
 *     (lab_health_tick(), on the scheduler's tick).
 * When a check's job is final the tick judges it: complete with every
 * result pass or skip -> health good; incomplete, or a result that fails,
 * errors or reports a crash -> health bad (a bad target gets no jobs: the
 * scheduler and plans read targets.health); canceled -> no change. A check
 * queued on a bad target first makes it "unknown" so the check (the
 * highest priority job) can run on it; until it passes the target's other
 * jobs wait behind it (with concurrency 1: the check's slot; larger
 * concurrency is not held back: a stated limit).
 * Admin states: maintenance (health bad: no jobs, no checks), retired
 * (health retired: no jobs, left out of plans), active (health unknown and
 * a check is queued). Every change is logged (the target page's history).
 *
 * Config: JSON, $IOMMULAB_HEALTH or else STATE/health.json:
 *   {"kernel": "6.12", "cases": "kmod.attach.no_group", "every_s": 86400,
 *    "after_failures": 3, "timeout_s": 300}
 * Without it there are no scheduled checks; on-demand checks need a kernel
 * (the request's or the config's).
 *
 * Errors: 0 or -errno; -EINVAL with @err (bad state, no kernel), -ENOENT
 * unknown target, -EBUSY a check is pending already.
 */
#ifndef LAB_HEALTH_H
#define LAB_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "store.h"

/* judge finished checks, queue due ones; > 0 when it queued jobs */
int lab_health_tick(struct lab_store *st, const struct lab_config *cfg);

/* queue a check of @target now (@kernel/@cases NULL: the config's);
 * *@job_id (may be NULL) is its job */
int lab_health_check_now(struct lab_store *st, const struct lab_config *cfg,
			 const char *target, const char *kernel, const char *cases,
			 const char *by, int64_t *job_id, char *err, size_t errlen);

/* admin state @state (active|maintenance|retired) of @target with @reason */
int lab_health_set_state(struct lab_store *st, const struct lab_config *cfg,
			 const char *target, const char *state, const char *reason,
			 const char *by, char *err, size_t errlen);

#endif /* LAB_HEALTH_H */
