/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rejudge.h - recompute stored verdicts after a contract change
 * (`iommulab contracts rejudge`, POST /contracts/rejudge).
 *
 * Purpose: a catalogue import that changes a case's contract adds a new
 * contract version (catalog.c, store.h "Contracts"); the results already
 * stored were judged against the older one. lab_rejudge_run() judges each
 * of them again with judge.h against its case's latest version, on its
 * kernel's release, and writes the new verdict, expected errno, contract
 * label and version over it; every verdict that changed gets a
 * verdict_history row (old -> new, version, when). A crash or warn result
 * keeps its verdict (a kernel report replaces the errno judgement): its
 * contract_verdict is what changes. The agent's own verdicts (skip, error,
 * a failed verification) are never rejudged.
 *
 * Invariants: one write transaction: all results of the run or none;
 * results already judged against their case's latest version are not
 * touched (a second run changes nothing).
 * Ownership: *@changes (may be NULL) is a new reference: at most
 * LAB_REJUDGE_LIST changed results, each {result_id, case, kernel_release,
 * driver, field, old_verdict, verdict, old_expected, expected,
 * contract_version}.
 * Errors: 0 or -errno (store errors; -ENOMEM).
 */
#ifndef LAB_REJUDGE_H
#define LAB_REJUDGE_H

#include <jansson.h>

struct lab_store;

#define LAB_REJUDGE_LIST 1000

struct lab_rejudge_counts {
	long long looked;	/* results judged again */
	long long changed;	/* of which the verdict changed */
};

int lab_rejudge_run(struct lab_store *st, const char *case_id,
		    struct lab_rejudge_counts *out, json_t **changes);

#endif /* LAB_REJUDGE_H */
