/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diff_known.h - known issues (expected failures) over the rows of a diff.
 *
 * Purpose: a diff row (diff.h) that a known issue covers is labelled, so
 * the diff, the nightly comparison and the patch check read one answer:
 *   expected         the head fails (some repeat's verdict is fail, error,
 *                    crash or warn) or is missing, and a known issue covers
 *                    the row on the head's kernel: never a regression
 *                    ("regression": false, summary "expected" + 1)
 *   expected_passed  the head passes in every repeat where some base repeat
 *                    failed (fail, error, crash, warn), and a known issue
 *                    covers the row on the head's kernel: the known issue
 *                    no longer holds there and may be retired (summary
 *                    "expected_passed" + 1): the row, the text diff, the
 *                    nightly and the patch report name the command that
 *                    retires it (lab_diff_known_retire_cmd())
 * Only active known issues label rows (a retired one matches nothing:
 * lab_store_known_issues_load()). "Covers" is lab_known_issue_matches()
 * (findings.h), the rule findings use: driver, case globs, target globs and the kernel range, on the head
 * kernel's version (else its name); the first known issue by id wins. The
 * head kernel is the head kernel of a kernel diff; in a plan diff the
 * kernel of the head result's job, or for a missing row the kernel of the
 * head plan's latest job on that target (lab_store_diff_kernel_key()).
 *
 * JSON (one member of every row, written after "regression"):
 *   "known_issue": null | {"id": N, "label": "expected"|"expected_passed",
 *                          "reason": "...", "retire": "iommulab findings
 *                          retire N --reason TEXT" (expected_passed only)}
 * and two summary members, "expected" and "expected_passed" (rows of
 * every class, like the class counts).
 *
 * Ownership: struct lab_diff_known owns the known issues it loaded;
 * lab_diff_known_clear() frees them and accepts a zeroed struct.
 * Errors: 0 or -errno (the store's).
 */
#ifndef LAB_DIFF_KNOWN_H
#define LAB_DIFF_KNOWN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "diff.h"
#include "jsonbuf.h"
#include "store.h"
#include "store_findings.h"

enum lab_known_label {
	LAB_KNOWN_NONE = 0,
	LAB_KNOWN_EXPECTED,
	LAB_KNOWN_EXPECTED_PASSED,
};
#define LAB_KNOWN_NLABELS (LAB_KNOWN_EXPECTED_PASSED + 1)

/* the command that retires known issue @id into @buf ("iommulab findings
 * retire 3 --reason TEXT"): the advice an expected_passed row carries */
void lab_diff_known_retire_cmd(int64_t id, char *buf, size_t n);

/* "expected", "expected_passed"; "" for none */
const char *lab_known_label_name(enum lab_known_label l);

struct lab_diff_known {
	struct lab_store *st;
	bool by_plan;
	int64_t head_id;		/* the head kernel's or plan's id */
	char head_kernel[129];		/* a kernel diff: the head's order key */
	struct lab_known_issue *ki;
	size_t n;
};

/* every known issue, for a diff whose head is @hdesc (the head kernel's or
 * plan's description, with "id"; a kernel's "version" and "name") */
int lab_diff_known_load(struct lab_store *st, bool by_plan, json_t *hdesc,
			struct lab_diff_known *k);
void lab_diff_known_clear(struct lab_diff_known *k);

/*
 * The label of one row (@target, @driver, @case_id; @head_result_id 0 when
 * the head has no result) with sides @b, @h (NULL: absent); *@ki the
 * known issue behind it (NULL for none, owned by @k).
 */
int lab_diff_known_row(struct lab_diff_known *k, const char *target, const char *driver,
		       const char *case_id, int64_t head_result_id,
		       const struct lab_diff_side *b, const struct lab_diff_side *h,
		       enum lab_known_label *label, const struct lab_known_issue **ki);

/* ,"known_issue":... (the row member above) */
void lab_diff_known_json(struct lab_jsonbuf *b, enum lab_known_label l,
			 const struct lab_known_issue *ki);
/* ,"expected":N,"expected_passed":N (the summary members) */
void lab_diff_known_summary(struct lab_jsonbuf *b, const int counts[LAB_KNOWN_NLABELS]);

/* of a parsed row: its label, and its known issue's id and reason (NULL
 * arguments are not written) */
enum lab_known_label lab_diff_known_of(json_t *row, int64_t *id, const char **reason);
/* " [expected: known issue 3]", " [expected failure passed: known issue 3]"
 * or "" for a row's text table cell */
void lab_diff_known_cell(json_t *row, char *buf, size_t n);
/* one line per known issue the rows of @diff name: "known issue 3: reason",
 * and after it, when a row of it is expected_passed, "known issue 3 passes
 * again: retire it with: iommulab findings retire 3 --reason TEXT" */
void lab_diff_known_text(FILE *f, json_t *diff);

#endif /* LAB_DIFF_KNOWN_H */
