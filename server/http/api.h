/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api.h - the REST API's handlers (prefix /api/v1), described in
 * docs/openapi.yaml. The route table is server/routes.c (lab_api_routes), which main.c
 * hands to the HTTP layer.
 *
 * Conventions: lists answer {"items": [...], "next_cursor": ID|null};
 * paging by limit/offset or cursor (items older than that id). Reads are
 * public; writes need a bearer token with scope "admin" (results ingest
 * also accepts scope "ingest"). Errors: {"error": "...", "detail": ...}.
 */
#ifndef LAB_API_H
#define LAB_API_H

#include "http.h"

#define LAB_API_VERSION "1"
#define LAB_API_PREFIX "/api/v1"

struct lab_job;

/*
 * Helpers shared by the handlers of api.c and api_patch.c; the handler
 * error convention of http.h (0, or -errno with rs->err).
 *
 * lab_api_job: job @id into @j (free with lab_job_clear(); zeroed on
 * error), or "unknown job N" (-ENOENT).
 * lab_api_log_job: GET /jobs/{id}/<a log>[?offset=N]: the job of the
 * path's id into @j (as lab_api_job) and the offset into *@off.
 * lab_api_text: answer @text (malloc'd, NUL-terminated; @rs owns it from
 * here) as text/plain; -ENOMEM when @text is NULL.
 */
int lab_api_job(struct lab_req *rq, struct lab_resp *rs, int64_t id,
		struct lab_job *j);
int lab_api_log_job(struct lab_req *rq, struct lab_resp *rs, struct lab_job *j,
		    int64_t *off);
int lab_api_text(struct lab_resp *rs, char *text);

/* the handlers of server/routes.c's table (one per route) */
int lab_api_health(struct lab_req *rq, struct lab_resp *rs);
int lab_api_kernels_list(struct lab_req *rq, struct lab_resp *rs);
int lab_api_kernel_get(struct lab_req *rq, struct lab_resp *rs);
int lab_api_kernel_post(struct lab_req *rq, struct lab_resp *rs);
int lab_api_targets_list(struct lab_req *rq, struct lab_resp *rs);
int lab_api_target_get(struct lab_req *rq, struct lab_resp *rs);
int lab_api_cases_list(struct lab_req *rq, struct lab_resp *rs);
int lab_api_case_get(struct lab_req *rq, struct lab_resp *rs);
int lab_api_cases_post(struct lab_req *rq, struct lab_resp *rs);
int lab_api_plan_post(struct lab_req *rq, struct lab_resp *rs);
int lab_api_plans_list(struct lab_req *rq, struct lab_resp *rs);
int lab_api_plan_get(struct lab_req *rq, struct lab_resp *rs);
int lab_api_jobs_list(struct lab_req *rq, struct lab_resp *rs);
int lab_api_job_get(struct lab_req *rq, struct lab_resp *rs);
int lab_api_job_cancel(struct lab_req *rq, struct lab_resp *rs);
int lab_api_job_retry(struct lab_req *rq, struct lab_resp *rs);
int lab_api_job_log(struct lab_req *rq, struct lab_resp *rs);
int lab_api_results_post(struct lab_req *rq, struct lab_resp *rs);
int lab_api_results_get(struct lab_req *rq, struct lab_resp *rs);
int lab_api_matrix(struct lab_req *rq, struct lab_resp *rs);
int lab_api_diffs(struct lab_req *rq, struct lab_resp *rs);
int lab_api_token_post(struct lab_req *rq, struct lab_resp *rs);
/* api_contracts.c: the server's verdicts after a contract change */
int lab_api_contracts_rejudge(struct lab_req *rq, struct lab_resp *rs);
int lab_api_contracts_history(struct lab_req *rq, struct lab_resp *rs);
int lab_api_not_found(struct lab_req *rq, struct lab_resp *rs);

#endif /* LAB_API_H */
