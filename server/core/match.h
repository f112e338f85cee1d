/* SPDX-License-Identifier: GPL-2.0 */
/*
 * match.h - which targets a plan's match expression names.
 *
 * Purpose: plans (plan.c) and the patch workflow name targets by name or by
 * expression; this decides whether one target matches one expression. The
 * name keeps its old prefix (lab_sched_) for its callers.
 *
 * Target matching (plans name targets or give match expressions):
 *   EXPR  := TERM { "," TERM }           all terms must match (AND)
 *   TERM  := GLOB | KEY "=" GLOB { "|" GLOB }   alternatives (OR)
 *   KEY   := name | arch | driver | vendor | backend | tag
 * A bare GLOB matches the name; "*" or "all" matches every target. Globs
 * are fnmatch(3) patterns. "tag=vtd" matches a target whose tags array holds
 * a tag matching "vtd". Retired or bad targets never match (health).
 *
 * Invariants: pure: no I/O, no allocation beyond parsing the tags JSON.
 * Errors: -EINVAL for a malformed expression.
 */
#ifndef LAB_MATCH_H
#define LAB_MATCH_H

#include <stdbool.h>

#include "model.h"

/* does @t match match expression @expr? 1 yes, 0 no, -EINVAL bad expression */
int lab_sched_match(const char *expr, const struct lab_target *t);

/* syntax check of a match expression: 0 or -EINVAL */
int lab_sched_match_check(const char *expr);

/* does @s (NULL: "") match one of the comma-separated fnmatch(3) globs of
 * @globs? NULL or "" matches everything; an empty or over-long (512+) glob
 * in the list matches nothing. Known issues and subscriptions filter with it. */
bool lab_globs_match(const char *globs, const char *s);

/* does case @id match a plan's case filter (comma-separated fnmatch globs,
 * as the agent reads them)? NULL or "" matches every case */
bool lab_case_filter_match(const char *filter, const char *id);

#endif /* LAB_MATCH_H */
