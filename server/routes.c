/* SPDX-License-Identifier: GPL-2.0 */
/*
 * routes.c - the API's route table: which handler answers which request.
 *
 * Purpose: the one place that ties URLs to the handlers of http/ (one file
 * per resource), flows/ (patches) and lava/ (LAVA's callback, artifacts).
 * main.c hands it to the HTTP layer (lab_http_start()); http.c knows no
 * route of its own. docs/openapi.yaml documents the same routes (stage
 * 25-api compares the two).
 *
 * Invariants: patterns are matched in order; "{}" is one path segment; the
 * last entry is the sentinel (method NULL) whose handler answers 404. A
 * scope ("admin", "ingest") means the route needs a bearer token with it;
 * an auth function (last column) checks a route's own credentials. Both
 * are checked from the request's headers, before its body is read.
 */
#include <stddef.h>

#include "api.h"
#include "api_dash.h"
#include "api_bisect.h"
#include "api_findings.h"
#include "api_health.h"
#include "api_subscriptions.h"
#include "api_patch.h"
#include "http.h"
#include "lava_artifacts.h"
#include "lava_callback.h"

#define P LAB_API_PREFIX
const struct lab_route lab_api_routes[] = {
	{ "GET",  P "/health",           lab_api_health,        NULL, NULL },
	{ "GET",  P "/kernels",          lab_api_kernels_list,  NULL, NULL },
	{ "POST", P "/kernels",          lab_api_kernel_post,   "admin", NULL },
	{ "GET",  P "/kernels/{}",       lab_api_kernel_get,    NULL, NULL },
	{ "GET",  P "/targets",          lab_api_targets_list,  NULL, NULL },
	{ "GET",  P "/targets/{}",       lab_api_target_get,    NULL, NULL },
	{ "GET",  P "/cases",            lab_api_cases_list,    NULL, NULL },
	{ "POST", P "/cases",            lab_api_cases_post,    "admin", NULL },
	{ "GET",  P "/cases/{}",         lab_api_case_get,      NULL, NULL },
	{ "POST", P "/contracts/rejudge", lab_api_contracts_rejudge, "admin", NULL },
	{ "GET",  P "/contracts/history", lab_api_contracts_history, NULL, NULL },
	{ "GET",  P "/plans",            lab_api_plans_list,    NULL, NULL },
	{ "POST", P "/plans",            lab_api_plan_post,     "admin", NULL },
	{ "GET",  P "/plans/{}",         lab_api_plan_get,      NULL, NULL },
	{ "GET",  P "/jobs",             lab_api_jobs_list,     NULL, NULL },
	{ "GET",  P "/jobs/{}",          lab_api_job_get,       NULL, NULL },
	{ "POST", P "/jobs/{}/cancel",   lab_api_job_cancel,    "admin", NULL },
	{ "POST", P "/jobs/{}/retry",    lab_api_job_retry,     "admin", NULL },
	{ "GET",  P "/jobs/{}/log",      lab_api_job_log,       NULL, NULL },
	{ "GET",  P "/results",          lab_api_results_get,   NULL, NULL },
	{ "POST", P "/results",          lab_api_results_post,  "ingest", NULL },
	{ "GET",  P "/matrix",           lab_api_matrix,        NULL, NULL },
	{ "GET",  P "/diffs",            lab_api_diffs,         NULL, NULL },
	{ "GET",  P "/overview",         lab_api_dash_overview, NULL, NULL },
	{ "POST", P "/tokens",           lab_api_token_post,    "admin", NULL },
	{ "POST", P "/lava/callback",    lab_lava_callback_handle, NULL, lab_lava_callback_auth },
	{ "GET",  P "/artifacts/{}/{}",  lab_lava_artifact_get, NULL, NULL },
	{ "GET",  P "/patches",          lab_api_patch_list, NULL, NULL },
	{ "POST", P "/patches",          lab_api_patch_post, "admin", NULL },
	{ "GET",  P "/patches/{}",       lab_api_patch_get,  NULL, NULL },
	{ "GET",  P "/jobs/{}/prep-log", lab_api_job_prep_log, NULL, NULL },
	{ "GET",  P "/bisections",       lab_api_bisect_list, NULL, NULL },
	{ "POST", P "/bisections",       lab_api_bisect_post, "admin", NULL },
	{ "GET",  P "/bisections/{}",    lab_api_bisect_get,  NULL, NULL },
	{ "POST", P "/bisections/{}/cancel", lab_api_bisect_cancel, "admin", NULL },
	{ "POST", P "/likely",           lab_api_likely_post, "admin", NULL },
	{ "GET",  P "/findings",         lab_api_findings_list, NULL, NULL },
	{ "GET",  P "/findings/{}",      lab_api_finding_get,   NULL, NULL },
	{ "POST", P "/findings/{}/ack",  lab_api_finding_ack,   "admin", NULL },
	{ "POST", P "/findings/{}/link", lab_api_finding_link,  "admin", NULL },
	{ "POST", P "/findings/{}/expect", lab_api_finding_expect, "admin", NULL },
	{ "GET",  P "/known-issues",     lab_api_known_issues_list, NULL, NULL },
	{ "POST", P "/known-issues",     lab_api_known_issue_post, "admin", NULL },
	{ "GET",  P "/known-issues/{}",  lab_api_known_issue_get, NULL, NULL },
	{ "POST", P "/known-issues/{}/retire", lab_api_known_issue_retire, "admin", NULL },
	{ "GET",  P "/targets/{}/health", lab_api_target_health, NULL, NULL },
	{ "POST", P "/targets/{}/state", lab_api_target_state,  "admin", NULL },
	{ "POST", P "/targets/{}/check", lab_api_target_check,  "admin", NULL },
	{ "GET",  P "/subscriptions",    lab_api_subscriptions_list, "admin", NULL },
	{ "POST", P "/subscriptions",    lab_api_subscription_post, "admin", NULL },
	{ "GET",  P "/subscriptions/{}/deliveries", lab_api_subscription_deliveries, "admin", NULL },
	{ NULL,   NULL,                  lab_api_not_found,     NULL, NULL },
};
