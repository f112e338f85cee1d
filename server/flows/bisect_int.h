/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bisect_int.h - what bisect.c (the request, git bisections, judging,
 * views) shares with bisect_series.c (bisections over a patch series);
 * nothing else includes it.
 *
 * A step is judged the same way for both kinds (bisect.c: advance()); what
 * comes next differs: git bisect names the next commit, a series bisection
 * halves the range of patch counts itself (lab_bisect_series_next).
 */
#ifndef LAB_BISECT_INT_H
#define LAB_BISECT_INT_H

#include <limits.h>
#include <stdint.h>
#include <jansson.h>

#include "bisect_step.h"
#include "config.h"
#include "store.h"

/* bisect_series.c */
int lab_bisect_series_check(struct lab_store *st, json_t *req, json_t *spec, char *err,
			    size_t errlen);
int lab_bisect_series_begin(struct lab_store *st, const struct lab_config *cfg,
			    struct lab_bis *b, json_t *req, char *err, size_t errlen);
/* after a judgement: 1 a step was queued, 0 finished or failed, -errno */
int lab_bisect_series_next(struct lab_store *st, const struct lab_config *cfg,
			   struct lab_bis *b);
/* {"patch": PLAN, ...} -> *@own: the request for that report's series */
int lab_bisect_series_from_patch(struct lab_store *st, const struct lab_config *cfg,
				 json_t *req, json_t **own, char *err, size_t errlen);

#endif /* LAB_BISECT_INT_H */
