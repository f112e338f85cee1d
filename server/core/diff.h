/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diff.h - errno-level diff of two kernels (or two plans).
 *
 * Purpose: compare the latest complete result per (target, case) of a base
 * and a head, and classify every row:
 *   unchanged        same verdict, same observed errno
 *   errno_changed    observed errno differs, verdict class did not flip
 *                    (e.g. EOPNOTSUPP/pass on 6.1 -> EINVAL/pass on 6.12)
 *   pass_to_fail     base pass, head fail or error (a regression)
 *   fail_to_pass     base fail or error, head pass (a fix)
 *   verdict_changed  any other verdict change, e.g. pass -> skip (a side
 *                    that skipped never makes an errno_changed: it ran no
 *                    judged step, so its errno is not a result)
 *   new              only in head
 *   missing          only in base
 * Rows match on (target, case); "driver" is the head's (base's for
 * missing). Output (lab_diff_run) is JSON:
 *   {"by": "kernel"|"plan", "base": {...}, "head": {...},
 *    "summary": {class: count, ...},
 *    "rows": [{"target", "driver", "case", "class",
 *              "base": {observed, observed_name, expected, expected_name,
 *                       verdict, result_id, runs, flaky} | null,
 *              "head": {...} | null}, ...]}
 * rows sorted by target then case; with @changes_only unchanged rows are
 * left out (still counted in summary).
 *
 * Ownership: *out is a new reference; lab_diff_text returns malloc'd text.
 * Errors: 0 or -errno; -ENOENT unknown kernel/plan (@err names it).
 */
#ifndef LAB_DIFF_H
#define LAB_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

#include "store.h"

enum lab_diff_class {
	LAB_DIFF_UNCHANGED = 0,
	LAB_DIFF_ERRNO_CHANGED,
	LAB_DIFF_PASS_TO_FAIL,
	LAB_DIFF_FAIL_TO_PASS,
	LAB_DIFF_VERDICT_CHANGED,
	LAB_DIFF_NEW,
	LAB_DIFF_MISSING,
};
#define LAB_DIFF_NCLASSES (LAB_DIFF_MISSING + 1)

const char *lab_diff_class_name(enum lab_diff_class c);

/* classify one row from each side's observed errno and verdict */
enum lab_diff_class lab_diff_classify(bool has_base, int base_observed,
				      enum lab_verdict base_verdict,
				      bool has_head, int head_observed,
				      enum lab_verdict head_verdict);

/*
 * The diff document as JSON text, built without per-row JSON objects (the
 * GET /diffs path): *out malloc'd, NUL-terminated, *len bytes. Kernels by
 * name, or plans by id (as decimal strings) when @by_plan.
 */
int lab_diff_run_text(struct lab_store *st, bool by_plan, const char *base,
		      const char *head, bool changes_only, char **out, size_t *len,
		      char *err, size_t errlen);

/* the same document as a json_t (lab_diff_run_text() parsed); same errors */
int lab_diff_run(struct lab_store *st, bool by_plan, const char *base,
		 const char *head, bool changes_only, json_t **out,
		 char *err, size_t errlen);

/* an aligned text table of a lab_diff_run() result; NULL on ENOMEM */
char *lab_diff_text(json_t *diff);

#endif /* LAB_DIFF_H */
