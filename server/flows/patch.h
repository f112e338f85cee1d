/* SPDX-License-Identifier: GPL-2.0 */
/*
 * patch.h - per-patch validation: a series against a base kernel, run on
 * the lab's targets, reported per driver like a Patchwork check.
 *
 * Purpose: lab_patch_submit() turns {base, series, targets} into two
 * kernels the lab builds itself (source "build" with a recipe that
 * artifacts.c's preparation phase hands to kernels/build: the base tree
 * alone, and the base tree + the series) and one plan of kind "patch"
 * running both on the chosen targets. The build is the jobs' preparation
 * phase: its progress and log are the job's prep log, kernels/build caches
 * by hash (the base is built once and reused; the candidate starts from the
 * base's objects). lab_patch_report() reads the plan's jobs and the
 * errno-level diff of the two kernels and says, per driver, what the series
 * changed.
 *
 * A submission is a plan (no table of its own): the plan's spec keeps
 * {"patch": {"base": KERNEL, "head": KERNEL, "tree": TREE, "series": SHA256,
 * "subject": "...", "format": "mbox|dir", "base_commit": SHA|null,
 * "base_commit_applied": bool}}. A series' "base-commit: SHA" line (as
 * `b4 am` and `git format-patch --base` write it) moves a git TREE to
 * /path@SHA for both kernels; a SHA the tree lacks is -EINVAL at submit
 * (an input error, not a build failure); debian-6.12 records it only. The series is stored once,
 * content-addressed, under STATE/patches/<sha256-16>/ (series.mbox, or a
 * directory with a "series" file), written to a temp name and renamed.
 *
 * Report JSON (lab_patch_report):
 *   {"plan": ID, "name", "base": {kernel, release}, "head": {...},
 *    "state": "pending|success|warning|fail", "stage": "run|base|apply|
 *    config|build|boot|results", "summary": "...", "excerpt": "..."|null,
 *    "targets": [...], "drivers": [{"driver", "state", "context",
 *    "description", "target_url", "contract_violations": [ROW],
 *    "new_failures": [ROW], "new_passes": [ROW], "errno_changes": [ROW],
 *    "other_changes": [ROW], "inconsistent": [ROW], "new_crashes": [ROW],
 *    "new_warnings": [ROW], "missing": [ROW], "crashes_fixed": [ROW],
 *    "setup_changes": [ROW], "expected_failures": [ROW],
 *    "expected_passed": [ROW], "qemu_changes": [ROW],
 *    "preexisting_failures": N, "unchanged": N}],
 *    "checks": [{"state", "context", "description", "target_url"}]}
 * ROW is a diff row (diff.h). A changed row a known issue covers
 * (core/diff_known.h, its "known_issue") goes to "expected_failures"
 * (label expected: it fails nothing) or "expected_passed" (label
 * expected_passed: a warning, the known issue may be retired; the text
 * report names the command, "iommulab findings retire N --reason TEXT")
 * and to no other list; a retired known issue covers nothing. Any other
 * changed row whose two sides ran on different QEMU versions (the diff's
 * "qemu_change", core/diff_qemu.h) goes to "qemu_changes" alone: the
 * emulator changed, so it is no violation or failure of the series (the
 * diff's "regression" is false), a warning.
 * Rules for the other rows (base -> head), by their class:
 *   new crash           new_crash: a candidate repeat crashed the kernel
 *   new kernel warning  new_warning: a candidate repeat made it warn
 *   missing case        missing: the candidate run did not report the case
 *   setup step change   setup_changed (a failure when the head does not pass)
 *   crash fixed         crash_fixed
 *   inconsistent        flaky: the candidate's repeats disagree (plan
 *                       "repeat" > 1): listed, never a violation or failure;
 *                       a consistent candidate against a flaky base is
 *                       judged by the rules below
 *   contract violation  head fails its contract (verdict fail) and the
 *                       base did not fail the same way (class != unchanged)
 *   new failure         head error/fail, base pass, not a violation
 *   new pass            fail_to_pass
 *   errno change        observed errno differs (violations included)
 *   other change        verdict_changed, new
 * Driver state: fail with a new crash, new warning, missing case, failing
 * setup change, violation or new failure; warning with any other change
 * (an expected failure passed and a QEMU change included; an expected
 * failure is none);
 * success otherwise. Repeating (repeat N) is what makes a
 * violation trustworthy: with N agreeing runs per side it is reported. A series that does not apply, breaks
 * the config or the build, or whose kernel does not boot gives state fail,
 * stage apply|config|build|boot, one check "iommulab/build" or
 * "iommulab/boot", and the job's log excerpt.
 *
 * Ownership: JSON out-parameters are new references; text is malloc'd.
 * Errors: 0 or -errno; -EINVAL bad request (@err says why), -ENOENT unknown
 * plan/kernel, -EIO filesystem trouble writing the series.
 */
#ifndef LAB_PATCH_H
#define LAB_PATCH_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "config.h"
#include "store.h"

#define LAB_PATCH_SERIES_MAX (4u << 20)	/* bytes of patches per series */

/*
 * @req: {"base": "KERNEL|debian-6.12|/path@ref", "series": "mbox text" |
 *        [{"name": "0001-x.patch", "text": "..."}, ...],
 *        "name": "...", "targets": [...], "cases": "...", "repeat": N,
 *        "priority": N}
 * Sets *out to the created plan (lab_store_plan_json + "njobs").
 */
int lab_patch_submit(struct lab_store *st, const struct lab_config *cfg,
		     json_t *req, const char *created_by, json_t **out,
		     char *err, size_t errlen);

/* @dash: dashboard base URL ("http://host:port"), for target_url; @cfg
 * (may be NULL) lets a build failure's excerpt quote kernels/build's log */
int lab_patch_report(struct lab_store *st, const struct lab_config *cfg, int64_t plan_id,
		     const char *dash, json_t **out, char *err, size_t errlen);

/* plain text for a mailing-list reply; NULL on ENOMEM */
char *lab_patch_report_text(json_t *report);

/* the patch plans, newest first, each with its report's state and summary */
int lab_patch_list(struct lab_store *st, const struct lab_config *cfg, int64_t limit,
		   json_t **out);

#endif /* LAB_PATCH_H */
