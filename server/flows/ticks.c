/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ticks.c - the flows' scheduler tick (ticks.h).
 */
#include "bisect.h"
#include "deliver.h"
#include "health.h"
#include "nightly.h"
#include "patchevent.h"
#include "ticks.h"

int lab_flows_tick(struct lab_store *st, const struct lab_config *cfg)
{
	int a = lab_nightly_tick(st, cfg), b = lab_health_tick(st, cfg);
	int c = lab_bisect_tick(st, cfg);	/* judge finished steps, queue the next */

	lab_patchevent_tick(st, cfg);	/* checks that reached a verdict: their event */
	lab_deliver_tick(st, cfg);	/* after them: their events go out this pass */
	return (a > 0) + (b > 0) + (c > 0);
}
