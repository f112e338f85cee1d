/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_findings.h - the store's findings tables (schema/0005-findings.sql):
 * findings, their events and links, and known issues.
 *
 * Purpose: SQL in, structs and rows out, for the regression lifecycle
 * (findings.h decides when a finding opens, is confirmed, fixed, reopened;
 * this file only stores what it decided). Like the rest of the store it
 * knows no JSON: list and get queries hand rows to a visitor (store.h).
 *
 * Invariants: every statement is parameterised; the writes here are single
 * statements (each atomic); a caller that needs several to happen together
 * wraps them in lab_store_tx_begin()/_commit() (findings.c does, per
 * ingested batch). An event row is written with every state change.
 *
 * Ownership: struct lab_finding owns nothing on the heap but its strings;
 * lab_finding_clear() frees them and accepts a zeroed struct.
 * Errors: 0 or -errno (store.h's rules): -ENOENT unknown id or key,
 * -EEXIST a link the finding already has, -EALREADY a known issue that is
 * retired already, -EINVAL bad argument.
 *
 * Known issues are active or retired (schema/0013): a retired one keeps
 * its row (who retired it, when, why) and matches nothing: only the active
 * ones are loaded (lab_store_known_issues_load()), and no finding stays
 * marked by it (lab_store_known_issue_unmark(): a finding's known issue is
 * always an active one).
 */
#ifndef LAB_STORE_FINDINGS_H
#define LAB_STORE_FINDINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

#define LAB_FINDING_KEY_LEN 16

struct lab_finding {
	int64_t id;
	char key[LAB_FINDING_KEY_LEN + 1];	/* hex, the cause's hash */
	int64_t target_id;
	char *case_id, *driver;
	char *from_name, *to_name;	/* "EINVAL" -> "ENODEV" | "crash" | "warn" */
	enum lab_verdict verdict;
	bool fixed;			/* state 'fixed', else 'open' */
	int64_t first_kernel_id, first_job_id, last_kernel_id, last_job_id;
	int64_t fixed_kernel_id;	/* 0 while open */
	int64_t known_issue_id;		/* 0: not expected */
	int64_t seen;
};
void lab_finding_clear(struct lab_finding *f);

struct lab_known_issue {
	int64_t id;
	char *driver;		/* NULL: any */
	char *case_glob;	/* fnmatch patterns, NULL: any */
	char *target_glob;
	char *kernel_min;	/* versions, inclusive, NULL: open-ended */
	char *kernel_max;
	char *reason;
};
void lab_known_issue_clear(struct lab_known_issue *ki);

int lab_store_finding_by_key(struct lab_store *st, const char *key, struct lab_finding *out);
int lab_store_finding_get(struct lab_store *st, int64_t id, struct lab_finding *out);

/* a new open finding for @f's cause first seen by job @job_id on @kernel_id
 * (sets f->id); writes the "opened" event */
int lab_store_finding_insert(struct lab_store *st, struct lab_finding *f,
			     int64_t kernel_id, int64_t job_id);
/*
 * The cause was seen again by job @job_id on @kernel_id: seen + 1, last
 * kernel/job moved when @newest; @reopen makes a fixed finding open again
 * (its fix cleared). Writes event @kind ("confirmed", "reopened", "seen-old").
 */
int lab_store_finding_seen(struct lab_store *st, int64_t id, int64_t kernel_id,
			   int64_t job_id, bool newest, bool reopen, const char *kind);
/* open -> fixed by job @job_id on @kernel_id; event "fixed" (and
 * "expected-passed" when the finding was expected) */
int lab_store_finding_fix(struct lab_store *st, int64_t id, int64_t kernel_id,
			  int64_t job_id);
/* the ids of the open findings of (@target_id, @case_id), at most @max */
int lab_store_findings_open_of(struct lab_store *st, int64_t target_id, const char *case_id,
			       int64_t *ids, size_t max, size_t *n);
/* an event by a person (@by: token name) with an optional @note */
int lab_store_finding_event(struct lab_store *st, int64_t id, const char *kind,
			    const char *by, const char *note);
int lab_store_finding_ack(struct lab_store *st, int64_t id, const char *by, const char *note);
/* @kind "url" or "msgid"; -EEXIST when the finding has that link */
int lab_store_finding_link(struct lab_store *st, int64_t id, const char *kind,
			   const char *value, const char *by);
int lab_store_finding_set_known(struct lab_store *st, int64_t id, int64_t known_id,
				const char *by);

int lab_store_known_issue_insert(struct lab_store *st, struct lab_known_issue *ki,
				 const char *by);	/* sets ki->id */
/* every active known issue into @out, by id (malloc'd array of *@n, each
 * cleared by the caller with lab_known_issue_clear() then free()): what
 * findings, diffs, the nightly and patch checks match against */
int lab_store_known_issues_load(struct lab_store *st, struct lab_known_issue **out,
				size_t *n);
void lab_known_issues_free(struct lab_known_issue *v, size_t n);
/* active -> retired by token @by with @reason (one statement): -ENOENT
 * unknown @id, -EALREADY retired already (nothing changed either way) */
int lab_store_known_issue_retire(struct lab_store *st, int64_t id, const char *by,
				 const char *reason);
/* every finding known issue @id marks: event "unexpected" (by @by, @note),
 * then its known issue cleared; *@n (may be NULL) = how many. Two
 * statements: the caller holds a transaction (findings.c does). */
int lab_store_known_issue_unmark(struct lab_store *st, int64_t id, const char *by,
				 const char *note, int *n);

/*
 * Rows for the views. Findings: newest first, filtered (state "open" |
 * "fixed" | NULL any; target, case, driver NULL any; expected -1 any, 0
 * not expected, 1 expected), with the names of their target and kernels.
 * Columns: id, key, target, case, driver, from, to, verdict, state,
 * first_kernel, last_kernel, fixed_kernel, first_job, last_job, fixed_job,
 * seen, known_issue, expected_reason, acked_by, acked_at, ack_note,
 * opened_at, updated_at, closed_at, links (count).
 */
struct lab_finding_filter {
	const char *state, *target, *case_id, *driver;
	int expected;
	int64_t limit, offset;
};
int lab_store_findings_rows(struct lab_store *st, const struct lab_finding_filter *f,
			    lab_store_row_fn fn, void *arg);
int lab_store_finding_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn, void *arg);
/* events oldest first: kind, kernel, job, by, note, at */
int lab_store_finding_events_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn,
				  void *arg);
/* links: kind, value, by, at */
int lab_store_finding_links_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn,
				 void *arg);
/*
 * Known issues, newest first (one: by id), with the count of findings they
 * mark. Columns: id, state (active|retired), driver, case, target,
 * kernel_min, kernel_max, reason, created_by, created_at, retired_by,
 * retired_at, retire_reason, findings.
 */
int lab_store_known_issues_rows(struct lab_store *st, lab_store_row_fn fn, void *arg);
int lab_store_known_issue_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn,
			       void *arg);
/* the open findings' (target, case, known issue id) rows: for the diff's
 * "expected" marks */
int lab_store_findings_open_rows(struct lab_store *st, lab_store_row_fn fn, void *arg);
/*
 * The kernel a diff row's head ran, as its order key (its version, else its
 * name) into @buf: kernel @id (a kernel diff); for a plan diff the kernel of
 * result @result_id's job, or with no result (a missing row) of plan @id's
 * latest job on @target. -ENOENT when there is none.
 */
int lab_store_diff_kernel_key(struct lab_store *st, bool by_plan, int64_t id,
			      int64_t result_id, const char *target, char *buf, size_t n);

#endif /* LAB_STORE_FINDINGS_H */
