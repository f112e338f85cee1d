/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ticks.c - the flows' scheduler tick (ticks.h).
 */
#include "deliver.h"
#include "health.h"
#include "nightly.h"
#include "ticks.h"

int lab_flows_tick(struct lab_store *st, const struct lab_config *cfg)
{
	int a = lab_nightly_tick(st, cfg), b = lab_health_tick(st, cfg);

	lab_deliver_tick(st, cfg);	/* after them: their events go out this pass */
	return (a > 0) + (b > 0);
}
