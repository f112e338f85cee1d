/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_results.c - POST /results (through core/ingest.c), GET /results (api.h; shared helpers: api_int.h).
 *
 * Each handler validates its input completely before it calls the store, so
 * bad input changes nothing; the store's transactions make each write
 * all-or-nothing. Handlers return 0 with @rs filled, or -errno with rs->err.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <microhttpd.h>

#include "api.h"
#include "api_int.h"
#include "auth.h"
#include "config.h"
#include "diff.h"
#include "ingest.h"
#include "jobstate.h"
#include "log.h"
#include "plan.h"
#include "record.h"
#include "respcache.h"
#include "sched.h"
#include "store.h"
#include "views.h"

/* ---- results ------------------------------------------------------------- */

/*
 * POST /results: the body is decoded in one streaming pass (record_json.h),
 * records straight into structs, before the store is touched; the write
 * transaction then only inserts.
 */
int lab_api_results_post(struct lab_req *rq, struct lab_resp *rs)
{
	struct lab_results_body body;
	struct lab_ingest_job ji;
	struct lab_record_scan scan = { 0 };
	char why[LAB_INGEST_WHY_MAX];
	enum lab_ingest_class cls;
	struct lab_result *res = NULL;
	char err[LAB_RECORD_ERR_MAX];
	bool scanned = false;
	struct lab_job j;
	size_t n = 0;
	int64_t id;
	int r;

	if (!rq->body || !rq->body_len)
		return lab_fail(rs, -EINVAL, "a JSON request body is required");
	r = lab_results_body_decode(rq->body, rq->body_len, INGEST_MAX_RECORDS, &body, err,
				    sizeof(err));
	if (r == -EINVAL) {
		rs->detail = json_pack("{s:I, s:I, s:s}", "line", (json_int_t)body.err_line,
				       "column", (json_int_t)body.err_column, "text", err);
		return lab_fail(rs, r, "malformed JSON body");
	}
	if (r)
		return r;
	if (!body.job) {
		r = lab_fail(rs, -EINVAL, "body must be {\"job\": ID, \"records\": [...]} "
			     "or {\"job\": ID, \"log\": \"...\"}");
		goto clear_body;
	}
	if (body.has_records == body.has_log || (body.has_records && !body.records_is_array) ||
	    (body.has_log && !body.log_is_string)) {
		r = lab_fail(rs, -EINVAL, "give exactly one of \"records\" (array) and "
			     "\"log\" (string)");
		goto clear_body;
	}
	if (body.has_complete && !body.complete_is_bool) {
		r = lab_fail(rs, -EINVAL, "\"complete\" must be a boolean");
		goto clear_body;
	}
	id = body.job;
	r = lab_ingest_job_load(rq->st, id, &ji);
	if (r == -ENOENT) {
		lab_fail(rs, r, "unknown job %lld", (long long)id);
		goto clear_body;
	}
	if (r)
		goto clear_body;
	if (body.has_records) {
		if (body.bad_index != SIZE_MAX && body.bad_errno == -E2BIG) {
			r = lab_fail(rs, -E2BIG, "more than %d records", INGEST_MAX_RECORDS);
			goto clear_body;
		}
		if (body.bad_index != SIZE_MAX) {
			rs->detail = json_pack("{s:I, s:s}", "index", (json_int_t)body.bad_index,
					       "error", body.bad);
			r = lab_fail(rs, body.bad_errno, "records[%zu] is malformed: %s",
				     body.bad_index, body.bad);
			goto clear_body;
		}
		if (body.n && lab_ingest_identity(&ji, "records[0]", body.ident.target,
						  body.ident.kernel,
						  body.ident.has_arch ? body.ident.arch : NULL,
						  why, sizeof(why))) {
			r = lab_fail(rs, -EINVAL, "%s", why);
			goto clear_body;
		}
		res = body.res;
		n = body.n;
	} else {
		r = lab_ingest_scan_log(&ji, body.log, body.log_len, &scan, &cls, why,
					sizeof(why));
		if (r)
			goto clear_body;
		scanned = true;
		if (scan.status != LAB_SCAN_OK) {
			rs->detail = json_pack("{s:s, s:I, s:s}", "status",
					       lab_scan_status_name(scan.status), "line",
					       (json_int_t)scan.error_line, "error", scan.error);
			r = lab_fail(rs, -EINVAL, "log rejected: %s", scan.error);
			goto clear_scan;
		}
		if (cls != LAB_INGEST_OK) {	/* not this job's log */
			r = lab_fail(rs, -EINVAL, "%s", why);
			goto clear_scan;
		}
		res = scan.res;
		n = scan.n;
	}
	r = lab_ingest_store(rq->st, &ji, res, n, why, sizeof(why));
	if (r == -EPROTO) {	/* the server judges: a claimed verdict it computes otherwise */
		r = lab_fail(rs, -EINVAL, "verdict refused, nothing stored: %s", why);
		goto clear_scan;
	}
	if (r == -ENOENT) {
		lab_fail(rs, r, "unknown job %lld", (long long)id);
		goto clear_scan;
	}
	if (r == -EALREADY && lab_store_job_get(rq->st, id, &j) == 0) {
		lab_fail(rs, r, "job %lld is %s: results are accepted only while it is "
			 "scheduled or running", (long long)id, lab_job_state_name(j.state));
		lab_job_clear(&j);
		goto clear_scan;
	}
	if (r == -EEXIST) {
		lab_fail(rs, r, "job %lld already has a result for one of these "
			 "(case, repeat) pairs", (long long)id);
		goto clear_scan;
	}
	if (r == -EINVAL) {
		lab_fail(rs, r, "a record is out of range");
		goto clear_scan;
	}
	if (r)
		goto clear_scan;
	if (body.complete) {
		r = lab_job_run(rq->st, id);
		if (r && r != -EAGAIN)
			goto clear_scan;
		r = lab_job_complete(rq->st, id);
		if (r) {
			lab_fail(rs, r == -EAGAIN ? -EAGAIN : r, "results stored, but job %lld "
				 "could not be completed", (long long)id);
			goto clear_scan;
		}
		/* its guest, if this process runs one, has nothing left to do:
		 * the scheduler stops it at its next look (at once, kicked) */
		if (rq->sched)
			lab_sched_kick(rq->sched);
	}
	rs->status = MHD_HTTP_CREATED;
	r = lab_store_job_json(rq->st, id, &rs->json);
	if (!r)
		json_object_set_new(rs->json, "stored", json_integer((json_int_t)n));
	lab_info("api: %zu results for job %lld from %s%s", n, (long long)id,
		 rq->token_name, body.complete ? " (complete)" : "");
clear_scan:
	if (scanned)
		lab_record_scan_clear(&scan);
clear_body:
	lab_results_body_clear(&body);
	return r;
}

int lab_api_results_get(struct lab_req *rq, struct lab_resp *rs)
{
	struct lab_result_filter f = { .verdict = -1 };
	const char *verdict = lab_req_arg(rq, "verdict");
	enum lab_verdict v;
	json_t *items;
	int r;

	if (verdict) {
		if (lab_verdict_parse(verdict, &v))
			return lab_fail(rs, -EINVAL, "verdict must be pass|fail|skip|error");
		f.verdict = v;
	}
	f.driver = lab_req_arg(rq, "driver");
	f.case_id = lab_req_arg(rq, "case");
	if ((r = api_named_id(rq, rs, &api_kernel_kind, lab_req_arg(rq, "kernel"), &f.kernel_id)) ||
	    (r = api_named_id(rq, rs, &api_target_kind, lab_req_arg(rq, "target"), &f.target_id)) ||
	    (r = lab_req_int(rq, rs, "job", 1, INT64_MAX, 0, &f.job_id)) ||
	    (r = lab_req_int(rq, rs, "cursor", 1, INT64_MAX, 0, &f.before_id)) ||
	    (r = lab_req_int(rq, rs, "limit", 1, LIST_MAX, 100, &f.limit)) ||
	    (r = lab_req_int(rq, rs, "offset", 0, 1000000, 0, &f.offset)))
		return r;
	r = lab_store_results_query(rq->st, &f, &items);
	return r ? r : api_list_resp(rs, items, f.limit);
}

