/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diff.h - errno-level diff of two kernels (or two plans).
 *
 * Purpose: compare the latest complete result per (target, case) of a base
 * and a head, over every repeat of it, and classify every row. Each side
 * is summed up as the distribution of (observed errno, verdict) over all
 * its repeats (flaky: more than one distinct pair), its latest repeat, and
 * its setup refusal: the first step before the judged one (for skip and
 * error: any step) that returned an errno. Classes, the first that applies:
 *   new              only in head
 *   missing          only in base (a regression: the case no longer reports)
 *   new_crash        a head repeat crashed, no base repeat did (regression)
 *   crash_fixed      a base repeat crashed, no head repeat does
 *   new_warning      a head repeat warned, no base repeat warned or crashed
 *                    (regression)
 *   unchanged        the same (errno, verdict) pairs on both sides and the
 *                    same setup refusal (a side diffed with itself: always)
 *   setup_changed    the same pairs but another setup refusal, or a skip/
 *                    error side whose setup refusal differs from the other
 *                    side's (a skip that observed an errno is diffed on it);
 *                    a regression when the head does not pass
 *   pass_to_fail     the head consistently fails (fail, error) and some
 *                    base repeat passed: a regression even if the base was
 *                    flaky
 *   fail_to_pass     the head consistently passes, some base repeat failed
 *   flaky            the repeats disagree (head, or base where the head
 *                    settled on nothing above): never a regression here,
 *                    the flows report it as inconsistent
 *   errno_changed    both consistent, the observed errno differs (a
 *                    regression when the head fails)
 *   verdict_changed  both consistent, any other verdict change
 * Rows match on (target, case); "driver" is the head's (base's for
 * missing). A diff across two targets (lab_diff_run_targets: @targets =
 * {base target, head target}, twins that differ only in their QEMU
 * generation, diff_qemu.h) reads the base target's rows on the base side
 * and the head target's on the head side, and matches rows on the case;
 * "target" is then the head's (base's for missing).
 * QEMU: each side's QEMU version is its job's (provenance); a changed row
 * (any class but unchanged) whose sides ran on two known, different QEMU
 * versions is a QEMU change (diff_qemu.h): "qemu_change" true, never a
 * regression, counted in summary.qemu_changes, listed apart in the text.
 * Both sides (and the descriptions) are read in one read
 * transaction: one snapshot. Output (lab_diff_run) is JSON:
 *   {"by": "kernel"|"plan", "base": {...}, "head": {...},
 *    "summary": {class: count, ..., "regressions": N, "expected": N,
 *                "expected_passed": N, "qemu_changes": N},
 *    "targets": {"base", "head"} | null,
 *    "rows": [{"target", "driver", "case", "class", "regression",
 *              "known_issue": null | {id, label, reason} (diff_known.h: a
 *              known issue's expected failure is no regression),
 *              "qemu": {"base": V|null, "head": V|null}, "qemu_change",
 *              "base": {observed, observed_name, expected, expected_name,
 *                       verdict, result_id, runs, flaky,
 *                       distribution: [{observed, observed_name, verdict,
 *                                       count}, ...] (most frequent first),
 *                       setup: {step, errno, errno_name} | null} | null,
 *              "head": {...} | null}, ...]}
 * rows sorted by target then case; with @changes_only unchanged rows are
 * left out (still counted in summary).
 *
 * Ownership: *out is a new reference; lab_diff_text returns malloc'd text.
 * Errors: 0 or -errno; -ENOENT unknown kernel/plan/target (@err names
 * it); -EINVAL for two targets that are not twins (@err says what differs).
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
	LAB_DIFF_SETUP_CHANGED,
	LAB_DIFF_FLAKY,
	LAB_DIFF_NEW_CRASH,
	LAB_DIFF_CRASH_FIXED,
	LAB_DIFF_NEW_WARNING,
};
#define LAB_DIFF_NCLASSES (LAB_DIFF_NEW_WARNING + 1)

const char *lab_diff_class_name(enum lab_diff_class c);

#define LAB_DIFF_PAIRS_MAX 8
#define LAB_DIFF_STEP_MAX 64

/* one side of a row, summed up over every repeat */
struct lab_diff_side {
	int observed;			/* the latest repeat's */
	enum lab_verdict verdict;
	size_t npairs;			/* distinct (observed, verdict) pairs */
	struct {
		int observed;
		enum lab_verdict verdict;
		int count;
	} pairs[LAB_DIFF_PAIRS_MAX];	/* the first LAB_DIFF_PAIRS_MAX, by count */
	char setup_step[LAB_DIFF_STEP_MAX];	/* "" no setup step refused */
	int setup_errno;
};

/* a consistent side of one repeat (no setup refusal) */
void lab_diff_side_one(struct lab_diff_side *s, int observed, enum lab_verdict v);
/* fill @s from a stored row: @outcomes "obs:verdict,..." (every repeat) and
 * @steps (the latest repeat's steps, JSON text); -EINVAL for unreadable text */
int lab_diff_side_parse(struct lab_diff_side *s, int observed, enum lab_verdict v,
			const char *outcomes, const char *steps);

/* classify one row (a NULL side: absent) */
enum lab_diff_class lab_diff_classify_sides(const struct lab_diff_side *b,
					    const struct lab_diff_side *h);
/* is a row of class @c a regression (--fail-on-regress, nightly, patch)? */
bool lab_diff_regression(enum lab_diff_class c, const struct lab_diff_side *b,
			 const struct lab_diff_side *h);

/* classify one row of consistent single-repeat sides from each side's
 * observed errno and verdict (lab_diff_classify_sides() of two
 * lab_diff_side_one() sides) */
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

/* the two above across two targets: @targets NULL (every target, as above)
 * or {base target, head target} */
int lab_diff_run_targets_text(struct lab_store *st, bool by_plan, const char *base,
			      const char *head, const char *const *targets, bool changes_only,
			      char **out, size_t *len, char *err, size_t errlen);
int lab_diff_run_targets(struct lab_store *st, bool by_plan, const char *base,
			 const char *head, const char *const *targets, bool changes_only,
			 json_t **out, char *err, size_t errlen);

/* an aligned text table of a lab_diff_run() result; NULL on ENOMEM */
char *lab_diff_text(json_t *diff);

#endif /* LAB_DIFF_H */
