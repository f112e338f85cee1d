/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ticks.h - the flows' one scheduler tick (sched.h lab_sched_tick_fn): the
 * nightly schedule (nightly.h), the health checks (health.h), the
 * bisections (bisect.h: finished steps judged, the next queued), the
 * "patch-check" events of finished patch checks (patchevent.h) and the
 * subscriptions' deliveries (deliver.h), in that order, every pass. main.c hands it to the scheduler.
 */
#ifndef LAB_TICKS_H
#define LAB_TICKS_H

#include "config.h"
#include "store.h"

int lab_flows_tick(struct lab_store *st, const struct lab_config *cfg);

#endif /* LAB_TICKS_H */
