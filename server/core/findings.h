/* SPDX-License-Identifier: GPL-2.0 */
/*
 * findings.h - the regression lifecycle: contract violations become
 * findings that open, are confirmed, close when fixed, and can be
 * acknowledged, linked to a bug or a lore thread, or marked expected.
 *
 * Purpose: after every ingest (ingest.c calls lab_findings_ingested()),
 * each case of the batch is judged once per job (findings follow tracked
 * kernels: a patch check's jobs and a bisection's steps open and close
 * nothing, their own reports judge them; findings.c says why):
 *  - a violation (some repeat's verdict is fail, crash or warn) is a cause
 *    (target, case, from -> to: the contract's errno name -> the observed
 *    errno's name, or "crash"/"warn"); its key is a hash of the cause
 *    (lab_finding_key()), so one cause is one finding, for ever:
 *      new cause            -> opened (then matched against known issues)
 *      open                 -> confirmed (last kernel moves forward)
 *      fixed, later kernel  -> reopened (the fix did not hold)
 *      fixed, not later     -> seen-old (an old kernel still has it)
 *  - a case whose every repeat passes closes the open findings of its
 *    (target, case) when its kernel is later than every kernel the finding
 *    was seen on: fixed, with that kernel (and "expected-passed" when the
 *    finding was an expected failure). A pass on the same kernel (flaky)
 *    closes nothing.
 * Kernels are ordered by lab_kernel_order_cmp(): their version when both
 * have one, else their names, compared as versions (strverscmp).
 *
 * Known issues (lab_findings_expect()): a driver, case and target pattern
 * and a kernel range with a reason; an open finding they match is
 * "expected" (its known issue is set), now and whenever one opens later.
 * Retiring one (lab_findings_retire(), when its bug is fixed) keeps its
 * record and stops it matching: the findings it marked are expected no
 * more ("unexpected" event), later ones are not marked, and diffs, the
 * nightly and patch checks judge the rows it covered as any other.
 *
 * Invariants: one batch is one transaction (all of its findings changes or
 * none); a findings failure never fails the ingest that triggered it (the
 * results are stored already): it is logged. Only this module decides a
 * finding's state; store_findings.c stores it.
 *
 * Errors: 0 or -errno; -ENOENT unknown finding/job/known issue, -EALREADY a
 * known issue retired already, -EINVAL bad argument (with a reason in @err
 * where the function takes one).
 */
#ifndef LAB_FINDINGS_H
#define LAB_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"
#include "store_findings.h"

struct lab_store;

/* judge job @job_id's @n just-stored results (a no-op for n == 0) */
int lab_findings_ingested(struct lab_store *st, int64_t job_id,
			  const struct lab_result *res, size_t n);

/* the cause's key: 16 hex chars of SHA-256(target NUL case NUL from NUL to) */
int lab_finding_key(const char *target, const char *case_id, const char *from,
		    const char *to, char out[LAB_FINDING_KEY_LEN + 1]);

/* <0, 0, >0 as kernel @a orders before, with, after @b (versions) */
int lab_kernel_order_cmp(const char *a, const char *b);

/* does known issue @ki cover a failure of @case_id on @target (driver
 * @driver) seen on a kernel whose version (or name) is @kernel? */
bool lab_known_issue_matches(const struct lab_known_issue *ki, const char *driver,
			     const char *case_id, const char *target, const char *kernel);

/* check a known issue's fields (names.h rules); -EINVAL with @err */
int lab_known_issue_check(const struct lab_known_issue *ki, char *err, size_t errlen);

/* store @ki (by token @by) and mark the open findings it matches expected;
 * *@marked (may be NULL) = how many */
int lab_findings_expect(struct lab_store *st, struct lab_known_issue *ki, const char *by,
			int *marked);

/* a known issue made from finding @id (its driver, case, target, from its
 * first kernel on) with @reason; marks it (and any other it matches) */
int lab_findings_expect_one(struct lab_store *st, int64_t id, const char *reason,
			    const char *by, int64_t *known_id);

/* retire known issue @id (by token @by, @reason: a text, names.h): in one
 * transaction, its state and the findings it marked (*@unmarked, may be
 * NULL); nothing changes on an error */
int lab_findings_retire(struct lab_store *st, int64_t id, const char *reason,
			const char *by, int *unmarked, char *err, size_t errlen);

/* a link of @kind "url" (a bug) or "msgid" (lore; <> stripped) to finding
 * @id: -EINVAL with @err for a value against its rule, -EEXIST if present */
int lab_findings_link(struct lab_store *st, int64_t id, const char *kind,
		      const char *value, const char *by, char *err, size_t errlen);

#endif /* LAB_FINDINGS_H */
