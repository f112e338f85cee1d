/* SPDX-License-Identifier: GPL-2.0 */
/*
 * plan.h - plans: a JSON plan expanded into jobs.
 *
 * Purpose: the API, the nightly and the patch workflow describe work as a
 * plan; this validates it, resolves its kernels and targets and creates
 * one job per kernel x target in one store transaction. The names keep the
 * store's prefix for their callers.
 *
 * Errors: 0 or -errno; @err (when given) receives a one-line reason for
 * -EINVAL/-ENOENT.
 */
#ifndef LAB_PLAN_H
#define LAB_PLAN_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct lab_store;

/*
 * Plan JSON: {"kind": "nightly|patch|manual", "name": "...",
 *   "kernels": ["6.1", ...], "targets": ["q35-vtd", "tag=vtd", ...] (names,
 *   or match expressions of match.h where no target has that name; absent =
 *   every target not retired), "cases": "filter", "repeat": 1, "priority": 0,
 *   "max_attempts": 3, "timeout_s": 600}
 * One job per kernel x target of the same arch (others are skipped);
 * -EINVAL if that leaves none. All in one transaction.
 */
int lab_store_plan_create_ex(struct lab_store *st, json_t *plan,
			     const char *created_by, int64_t *plan_id,
			     int *njobs, char *err, size_t errlen);
/*
 * The same inside the caller's open transaction (lab_store_tx_begin()),
 * for a flow that writes more than the plan all or nothing (patch.c): on
 * failure the caller rolls back.
 */
int lab_store_plan_create_in_tx(struct lab_store *st, json_t *plan,
				const char *created_by, int64_t *plan_id,
				int *njobs, char *err, size_t errlen);
/* the same without a creator or an error text */
int lab_store_plan_create(struct lab_store *st, json_t *plan, int64_t *plan_id);

#endif /* LAB_PLAN_H */
