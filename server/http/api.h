/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api.h - the REST API's handlers (prefix /api/v1), described in
 * docs/openapi.yaml. The route table itself is lab_api_routes (http.h).
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

#endif /* LAB_API_H */
