/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diff_qemu.h - the QEMU generation in a diff (issue 19.1): which changed
 * rows are QEMU changes, and which two targets may be diffed as twins.
 *
 * Purpose: a result is measured on a kernel AND an emulator; the job's
 * provenance (schema 0006, run/provenance.c, the LAVA backend) records the
 * QEMU version it ran on. When the two sides of a changed diff row ran on
 * different QEMU versions, the change is labelled a QEMU change: reported,
 * listed apart, never counted as a kernel regression (--fail-on-regress,
 * the nightly's regressions). diff.c asks this module per row; it owns no
 * class and no regression rule of its own.
 *
 * A diff across two targets (GET /diffs base_target/head_target) compares
 * twins: two target definitions (docs/targets.md) that agree on everything
 * but name, description, tags, concurrency, lava (whether and how LAVA may
 * run it) and qemu.version, e.g. q35-vtd
 * (QEMU 7.2) and q35-vtd-q10 (QEMU 10.0). Any other difference (machine,
 * arguments, known limits) would be a machine change the label would hide:
 * such a pair is refused.
 *
 * Invariants: a version is known when non-NULL and non-empty; an unknown
 * version (a job without provenance) never makes a QEMU change.
 * Ownership: strings returned point into the caller's side pool.
 * Errors: 0 or -errno.
 */
#ifndef LAB_DIFF_QEMU_H
#define LAB_DIFF_QEMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

#include "jsonbuf.h"
#include "store.h"

/* both versions known and different (the caller asks for changed rows only) */
bool lab_diff_qemu_differs(const char *base_qemu, const char *head_qemu);

/*
 * The QEMU version of side @sd's target @target (rows sorted by target, as
 * lab_store_diff_side_load gives them): the first of its rows that recorded
 * one; @target NULL: any row's. "" when none did. For the absent side of a
 * new or missing row.
 */
const char *lab_diff_qemu_of(const struct lab_store_side *sd, const char *target);

/*
 * 0 when target definitions @base_def and @head_def (the "definition"
 * member of GET /targets/{name}) are twins; -EINVAL otherwise, @why says
 * which member differs ("qemu.args", "known_limits", ...).
 */
int lab_diff_qemu_twins(json_t *base_def, json_t *head_def, char *why, size_t whylen);

/*
 * A diff across targets @tg[0] (base) and @tg[1] (head): both named, both
 * known (-ENOENT), twins (-EINVAL, @err says which member differs). Reads
 * the store: call it inside the diff's read snapshot.
 */
int lab_diff_qemu_check_targets(struct lab_store *st, const char *const *tg, char *err,
				size_t errlen);

/* a row's members: ,"qemu":{"base":V|null,"head":V|null},"qemu_change":B */
void lab_diff_qemu_row_text(struct lab_jsonbuf *b, const char *base_qemu,
			    const char *head_qemu, bool change);

/*
 * The text table's heading of its QEMU-change section (lab_diff_text lists
 * those rows apart, after it): printed to @f when the diff document @diff
 * has such rows; their number.
 */
int lab_diff_qemu_text_header(FILE *f, json_t *diff);
/* a row's CLASS cell: "errno_changed", "errno_changed, QEMU 7.2.19 -> 10.0.2" */
void lab_diff_qemu_class_cell(json_t *row, char *buf, size_t n);

#endif /* LAB_DIFF_QEMU_H */
