/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bisect.h - bisection on an errno (or verdict) predicate: from "this errno
 * changed between two commits" to "this commit changed it" (issue 17).
 *
 * Purpose: lab_bisect_start() checks a request {tree, good, bad, target,
 * case, expect | verdict, repeat}, records a bisection and starts `git
 * bisect` over the tree; lab_bisect_tick() (the scheduler thread, next to
 * the nightly's tick) judges each finished step and starts the next one
 * until git names the first bad commit. Each step is an ordinary plan (kind
 * manual, spec.bisect = {id, step, commit}) of one job: the step's kernel
 * (source build, recipe tree=TREE@COMMIT, so the job's preparation builds
 * it with kernels/build, starting from the objects of the nearest commit
 * built before) runs the one case @repeat times on the one target.
 *
 * The tree is only read. git bisect runs in a lab-owned bare repository,
 * STATE/bisect/<id>/repo.git, whose objects/info/alternates names the
 * tree's object store (no copy, no ref, no checkout: bisect --no-checkout,
 * BISECT_HEAD). git is run with an argv (posix_spawnp), never a shell; the
 * tree must be an absolute path ([A-Za-z0-9._+/-], no ".."), a git
 * repository; refs are [A-Za-z0-9._/~^@{}+-], not starting with '-',
 * resolved with rev-parse --verify --end-of-options before anything is
 * written; good must be an ancestor of bad.
 *
 * Predicate (one repeat): with "expect": E (an errno name, "OK" for 0) the
 * repeat is good when the case observed E; with "verdict": V when its
 * verdict is V (pass, fail, ...). A step is good or bad by the majority of
 * its repeats (the distribution of errnos and verdicts is kept); a tie, a
 * job that did not complete (the kernel does not build, the job failed) or
 * a completed job without a result of the case (the kernel did not boot so
 * far) is "skip" for git bisect, and the step names why.
 *
 * With "verify": true the good end is step 1: git bisect starts only when
 * the predicate holds there; otherwise the bisection fails naming what the
 * good end observed (a wrong predicate never yields a "first bad commit").
 *
 * JSON (lab_bisect_json): {"id", "kind": "git", "state": "running|found|
 *   failed|canceled", "spec": {tree, good, bad, good_commit, bad_commit,
 *   target, case, expect|verdict, repeat}, "result": {"first_bad":
 *   {commit, subject, author, date, diffstat} | null, "candidates": [...]
 *   (only skipped commits left), "log": "git bisect log", "builds": N,
 *   "reproduce": "iommulab bisect start ..."} | null, "reason", "steps":
 *   [{"n", "commit", "subject", "kernel", "plan", "judgement", "jobs":
 *   [ID], "build_s", "distribution": {"EINVAL": 2, ...}, "verdicts":
 *   {...}, "good", "bad", "why"}], "created_at", "finished_at"}
 *
 * Ownership: JSON out-parameters are new references.
 * Errors: 0 or -errno; -EINVAL bad request (@err says why), -ENOENT unknown
 * bisection/target/case, -EIO git failed after the bisection was recorded
 * (it is then "failed" with the reason).
 */
#ifndef LAB_BISECT_H
#define LAB_BISECT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "config.h"
#include "store.h"

#define LAB_BISECT_REPEAT_MAX 15

int lab_bisect_start(struct lab_store *st, const struct lab_config *cfg, json_t *req,
		     const char *created_by, json_t **out, char *err, size_t errlen);

/* scheduler tick: judge finished steps, start the next; 1 when it queued a
 * job (the caller picks jobs at once), else 0 */
int lab_bisect_tick(struct lab_store *st, const struct lab_config *cfg);

int lab_bisect_json(struct lab_store *st, int64_t id, json_t **out);
/*
 * Cancel a running bisection: state canceled, reason "canceled by NAME";
 * *@jobs gets the open step's job ids (the caller cancels them on the
 * scheduler). -ENOENT unknown, -EINVAL not running.
 */
int lab_bisect_cancel(struct lab_store *st, int64_t id, const char *by, json_t **jobs);
/* newest first: each without its steps' detail ("steps" is a count) */
int lab_bisect_list(struct lab_store *st, int64_t limit, json_t **out);

/* plain text of lab_bisect_json(); NULL on ENOMEM */
char *lab_bisect_text(json_t *b);

#endif /* LAB_BISECT_H */
