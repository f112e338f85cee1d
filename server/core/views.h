/* SPDX-License-Identifier: GPL-2.0 */
/*
 * views.h - the JSON views of the store's rows: the documents the API
 * answers with (and the diff, the nightly and the patch workflow read).
 *
 * Purpose: the store (store.h) only stores; it hands rows to a visitor.
 * These build JSON from them, one rule for every view: column names are
 * keys; "state", "verdict" and "old_verdict" become their names (model.h);
 * "reused" and "has_log" booleans; the JSON text columns (steps, tags,
 * contracts, meta, spec, definition, attempts_log, payload) are parsed;
 * "observed"/"expected" also get an "<name>_name" member with the errno's
 * name (the table col_kinds in views.c). The names keep the store's
 * prefix for their callers.
 *
 * Ownership: JSON out-parameters are new references (json_decref);
 * lab_store_matrix_text's *out is malloc'd, NUL-terminated, *len bytes.
 * Errors: 0 or -errno; -ENOENT for a get of an unknown name or id.
 */
#ifndef LAB_VIEWS_H
#define LAB_VIEWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "store.h"

/* kernels/targets/cases/plans as JSON arrays of objects, ordered by name/id */
int lab_store_kernels_list(struct lab_store *st, json_t **out);
int lab_store_kernel_json(struct lab_store *st, const char *name, json_t **out);
int lab_store_targets_list(struct lab_store *st, json_t **out);
int lab_store_target_json(struct lab_store *st, const char *name, json_t **out);
int lab_store_cases_list(struct lab_store *st, json_t **out);
/* verdicts a rejudge changed, newest first (store.h "Contracts") */
int lab_store_verdict_history_list(struct lab_store *st, const char *case_id, int64_t limit,
				   json_t **out);
int lab_store_case_json(struct lab_store *st, const char *case_id, json_t **out);
int lab_store_plans_list(struct lab_store *st, int64_t limit, int64_t offset,
			 json_t **out);
/* one plan with "jobs": {"queued": n, ...} for every state */
int lab_store_plan_json(struct lab_store *st, int64_t id, json_t **out);
int lab_store_jobs_list(struct lab_store *st, const struct lab_job_filter *f,
			json_t **out);
int lab_store_job_json(struct lab_store *st, int64_t id, json_t **out);
int lab_store_results_query(struct lab_store *st,
			    const struct lab_result_filter *f, json_t **out);
/* the driver x case grid of one kernel: latest complete result per cell:
 * {kernel, drivers, targets, cases, summary, cells} */
int lab_store_matrix(struct lab_store *st, int64_t kernel_id, json_t **out);
/* the same document as JSON text, written without one json_t per cell */
int lab_store_matrix_text(struct lab_store *st, int64_t kernel_id, char **out,
			  size_t *len);
/* one side of a diff as an array (lab_store_diff_side_rows()), each row with
 * "qemu": its job's QEMU version or null (one provenance query per side) */
int lab_store_diff_side(struct lab_store *st, bool by_plan, int64_t id,
			json_t **out);
/*
 * The errno distribution of the repeats behind one result (same job, same
 * case): {"EINVAL": 2, "OK": 1} (lab_errno_name keys). -ENOENT for an
 * unknown result id.
 */
int lab_store_result_errnos(struct lab_store *st, int64_t result_id, json_t **out);

/*
 * Findings (store_findings.h): a filtered list, newest first; one finding
 * with its "events" (oldest first) and "links"; the known issues (active
 * and retired, newest first); one known issue (-ENOENT: none).
 */
struct lab_finding_filter;
int lab_store_findings_list(struct lab_store *st, const struct lab_finding_filter *f,
			    json_t **out);
int lab_store_finding_json(struct lab_store *st, int64_t id, json_t **out);
int lab_store_known_issues_list(struct lab_store *st, json_t **out);
int lab_store_known_issue_json(struct lab_store *st, int64_t id, json_t **out);

/* subscriptions (outbox.h; never their secrets), newest first; one's
 * deliveries, each with its "attempts_log" and "payload" parsed */
int lab_store_subscriptions_list(struct lab_store *st, json_t **out);
int lab_store_deliveries_list(struct lab_store *st, int64_t sub_id, json_t **out);
/* a target's health history (store_health.h), oldest first */
int lab_store_health_history(struct lab_store *st, int64_t target_id, json_t **out);

#endif /* LAB_VIEWS_H */
