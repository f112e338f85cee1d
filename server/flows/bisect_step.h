/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bisect_step.h - the steps every bisection shares (bisect_step.c): a
 * bisection's identity (struct lab_bis), its state folder, starting a step
 * (the step's kernel, a plan of one job, the step row) and failing it.
 * Included by bisect.c and bisect_series.c; arrows only go down from them.
 */
#ifndef LAB_BISECT_STEP_H
#define LAB_BISECT_STEP_H

#include <limits.h>
#include <stdint.h>
#include <jansson.h>

#include "config.h"
#include "store.h"

/* at most this many steps: a bisection that would take more fails */
#define LAB_BISECT_STEPS_MAX 64

struct lab_bis {
	int64_t id;
	json_t *spec;		/* the stored spec (borrowed) */
	const char *tree, *target, *case_id;
	int repeat;
	char repo[PATH_MAX];	/* git bisections: STATE/bisect/<id>/repo.git */
};

/* STATE/bisect/<id>/<sub> */
int lab_bis_dir(const struct lab_config *cfg, int64_t id, const char *sub, char *buf,
		size_t n);
/* step @n: register @kname with @recipe, a plan of one job, the step row */
int lab_bis_step_start(struct lab_store *st, struct lab_bis *b, int n, const char *commit_id,
		       const char *subject, const char *kname, const char *recipe);
/* the bisection is failed, with @why */
void lab_bis_fail(struct lab_store *st, int64_t id, const char *why);
/* errno name -> number, -1 when none */
int lab_bis_errno_number(const char *name);

#endif /* LAB_BISECT_STEP_H */
