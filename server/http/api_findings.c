/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_findings.c - /findings and /known-issues (api_findings.h; shared
 * helpers: api_int.h). Each write checks its whole input (the path's id,
 * the body's table in bodies.c, the value rules of core/findings.c) before
 * the store is touched: a refused request changes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <microhttpd.h>

#include "api_findings.h"
#include "api_int.h"
#include "bodies.h"
#include "findings.h"
#include "log.h"
#include "names.h"
#include "store_findings.h"
#include "views.h"

int lab_api_findings_list(struct lab_req *rq, struct lab_resp *rs)
{
	struct lab_finding_filter f = { .expected = -1 };
	const char *state = lab_req_arg(rq, "state"), *exp = lab_req_arg(rq, "expected");
	json_t *items;
	int r;

	if (state && strcmp(state, "open") && strcmp(state, "fixed"))
		return lab_fail(rs, -EINVAL, "state must be open|fixed");
	if (exp && strcmp(exp, "true") && strcmp(exp, "false"))
		return lab_fail(rs, -EINVAL, "expected must be true|false");
	f.state = state;
	f.expected = exp ? !strcmp(exp, "true") : -1;
	f.target = lab_req_arg(rq, "target");
	f.case_id = lab_req_arg(rq, "case");
	f.driver = lab_req_arg(rq, "driver");
	if ((f.target && lab_name_check(LAB_NAME_TARGET, "target", f.target, rs->err,
					 sizeof(rs->err))) ||
	    (f.case_id && lab_name_check(LAB_NAME_CASE, "case", f.case_id, rs->err,
					  sizeof(rs->err))) ||
	    (f.driver && lab_name_check(LAB_NAME_DRIVER, "driver", f.driver, rs->err,
					 sizeof(rs->err))))
		return -EINVAL;
	if ((r = lab_req_int(rq, rs, "limit", 1, LIST_MAX, 100, &f.limit)) ||
	    (r = lab_req_int(rq, rs, "offset", 0, 1000000, 0, &f.offset)))
		return r;
	r = lab_store_findings_list(rq->st, &f, &items);
	return r ? r : api_list_resp(rs, items, f.limit);
}

int lab_api_finding_get(struct lab_req *rq, struct lab_resp *rs)
{
	return api_id_get(rq, rs, "finding", lab_store_finding_json);
}

/* the path's finding id (it must exist) and the checked body */
static int finding_args(struct lab_req *rq, struct lab_resp *rs,
			const struct lab_body_field *fields, const char *what,
			int64_t *id, json_t **body)
{
	struct lab_finding f;
	int r;

	*body = NULL;
	r = lab_req_id(rq, rs, 0, id);
	if (r)
		return r;
	r = lab_store_finding_get(rq->st, *id, &f);
	if (r == -ENOENT)
		return lab_fail(rs, r, "unknown finding %lld", (long long)*id);
	if (r)
		return r;
	lab_finding_clear(&f);
	if (!rq->body_len && fields == lab_body_finding_ack)
		return 0;	/* an ack needs no body */
	return api_req_body(rq, rs, fields, what, body);
}

/* answer the finding after a write */
static int finding_answer(struct lab_req *rq, struct lab_resp *rs, int64_t id)
{
	rs->status = MHD_HTTP_OK;
	return lab_store_finding_json(rq->st, id, &rs->json);
}

int lab_api_finding_ack(struct lab_req *rq, struct lab_resp *rs)
{
	json_t *body;
	int64_t id;
	int r;

	r = finding_args(rq, rs, lab_body_finding_ack, "ack", &id, &body);
	if (r)
		return r;
	r = lab_store_finding_ack(rq->st, id, rq->token_name, body ? api_str_of(body, "note") : NULL);
	json_decref(body);
	if (r)
		return r;
	lab_info("api: finding %lld acknowledged by %s", (long long)id, rq->token_name);
	return finding_answer(rq, rs, id);
}

int lab_api_finding_link(struct lab_req *rq, struct lab_resp *rs)
{
	const char *url, *msgid;
	json_t *body;
	int64_t id;
	int r;

	r = finding_args(rq, rs, lab_body_finding_link, "link", &id, &body);
	if (r)
		return r;
	url = api_str_of(body, "url");
	msgid = api_str_of(body, "msgid");
	if (!url == !msgid) {
		r = lab_fail(rs, -EINVAL, "link: give exactly one of \"url\" and \"msgid\"");
		goto put_body;
	}
	r = lab_findings_link(rq->st, id, url ? "url" : "msgid", url ? url : msgid,
			      rq->token_name, rs->err, sizeof(rs->err));
	if (r == -EEXIST)
		r = lab_fail(rs, r, "finding %lld already has that link", (long long)id);
	if (r)
		goto put_body;
	lab_info("api: finding %lld linked to %s by %s", (long long)id, url ? url : msgid,
		 rq->token_name);
	r = finding_answer(rq, rs, id);
put_body:
	json_decref(body);
	return r;
}

int lab_api_finding_expect(struct lab_req *rq, struct lab_resp *rs)
{
	int64_t id, kid = 0;
	json_t *body;
	int r;

	r = finding_args(rq, rs, lab_body_finding_expect, "expect", &id, &body);
	if (r)
		return r;
	r = lab_findings_expect_one(rq->st, id, api_str_of(body, "reason"), rq->token_name, &kid);
	json_decref(body);
	if (r)
		return r;
	lab_info("api: finding %lld expected (known issue %lld) by %s", (long long)id,
		 (long long)kid, rq->token_name);
	return finding_answer(rq, rs, id);
}

int lab_api_known_issues_list(struct lab_req *rq, struct lab_resp *rs)
{
	json_t *items;
	int r = lab_store_known_issues_list(rq->st, &items);

	return r ? r : api_list_resp(rs, items, LIST_MAX);
}

int lab_api_known_issue_post(struct lab_req *rq, struct lab_resp *rs)
{
	struct lab_known_issue ki = { 0 };
	json_t *body, *items;
	int marked = 0, r;

	r = api_req_body(rq, rs, lab_body_known_issue, "known issue", &body);
	if (r)
		return r;
	ki.driver = (char *)api_str_of(body, "driver");
	ki.case_glob = (char *)api_str_of(body, "case");
	ki.target_glob = (char *)api_str_of(body, "target");
	ki.kernel_min = (char *)api_str_of(body, "kernel_min");
	ki.kernel_max = (char *)api_str_of(body, "kernel_max");
	ki.reason = (char *)api_str_of(body, "reason");
	r = lab_known_issue_check(&ki, rs->err, sizeof(rs->err));
	if (!r)
		r = lab_findings_expect(rq->st, &ki, rq->token_name, &marked);
	json_decref(body);
	if (r)
		return r;
	lab_info("api: known issue %lld by %s marks %d open finding(s)", (long long)ki.id,
		 rq->token_name, marked);
	r = lab_store_known_issues_list(rq->st, &items);
	if (r)
		return r;
	/* the new issue is the first (newest first) */
	rs->json = json_incref(json_array_get(items, 0));
	json_decref(items);
	if (!rs->json)
		return -ENOMEM;
	json_object_set_new(rs->json, "marked", json_integer(marked));
	rs->status = MHD_HTTP_CREATED;
	snprintf(rs->location, sizeof(rs->location), LAB_API_PREFIX "/known-issues");
	return 0;
}

int lab_api_known_issue_get(struct lab_req *rq, struct lab_resp *rs)
{
	return api_id_get(rq, rs, "known issue", lab_store_known_issue_json);
}

int lab_api_known_issue_retire(struct lab_req *rq, struct lab_resp *rs)
{
	json_t *body = NULL, *ki = NULL;
	int unmarked = 0, r;
	int64_t id;

	r = lab_req_id(rq, rs, 0, &id);
	if (r)
		return r;
	r = lab_store_known_issue_json(rq->st, id, &ki);
	if (r == -ENOENT)
		return lab_fail(rs, r, "unknown known issue %lld", (long long)id);
	if (r)
		return r;
	if (!strcmp(api_str_of(ki, "state") ?: "", "retired")) {
		r = lab_fail(rs, -EALREADY, "known issue %lld is retired already (by %s): "
			     "nothing changed", (long long)id, api_str_of(ki, "retired_by") ?: "-");
		goto put_all;
	}
	r = api_req_body(rq, rs, lab_body_known_issue_retire, "retire", &body);
	if (r)
		goto put_all;
	r = lab_findings_retire(rq->st, id, api_str_of(body, "reason"), rq->token_name, &unmarked,
				rs->err, sizeof(rs->err));
	/* a retire that raced this one, or a delete */
	if (r == -EALREADY)
		r = lab_fail(rs, r, "known issue %lld is retired already: nothing changed",
			     (long long)id);
	else if (r == -ENOENT)
		r = lab_fail(rs, r, "unknown known issue %lld", (long long)id);
	if (r)
		goto put_all;
	lab_info("api: known issue %lld retired by %s (%d finding(s) expected no more)",
		 (long long)id, rq->token_name, unmarked);
	json_decref(ki);
	ki = NULL;
	r = lab_store_known_issue_json(rq->st, id, &rs->json);
	if (r)
		goto put_all;
	json_object_set_new(rs->json, "unmarked", json_integer(unmarked));
	rs->status = MHD_HTTP_OK;
put_all:
	json_decref(body);
	json_decref(ki);
	return r;
}
