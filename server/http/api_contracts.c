/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_contracts.c - POST /contracts/rejudge, GET /contracts/history
 * (api.h; shared helpers: api_int.h).
 *
 * The contracts themselves come in with the catalogue (POST /cases): each
 * change is a new version (store.h "Contracts"). A rejudge recomputes the
 * stored verdicts against the latest versions (rejudge.h) in one
 * transaction; the history lists what it changed.
 */
#include <errno.h>
#include <stdio.h>
#include <microhttpd.h>

#include "api.h"
#include "api_int.h"
#include "bodies.h"
#include "log.h"
#include "names.h"
#include "rejudge.h"
#include "views.h"

int lab_api_contracts_rejudge(struct lab_req *rq, struct lab_resp *rs)
{
	struct lab_rejudge_counts n;
	json_t *body, *changes = NULL;
	const char *case_id;
	int r;

	r = api_req_body(rq, rs, lab_body_rejudge, "rejudge", &body);
	if (r)
		return r;
	case_id = api_str_of(body, "case");
	r = lab_rejudge_run(rq->st, case_id, &n, &changes);
	if (r)
		goto put_body;
	rs->json = json_pack("{s:s?, s:I, s:I, s:o}", "case", case_id,
			     "rejudged", (json_int_t)n.looked, "changed", (json_int_t)n.changed,
			     "changes", changes);
	lab_info("api: rejudge%s%s by %s: %lld results judged again, %lld verdicts changed",
		 case_id ? " of " : "", case_id ? case_id : "", rq->token_name, n.looked, n.changed);
	r = rs->json ? 0 : -ENOMEM;
put_body:
	json_decref(body);
	return r;
}

int lab_api_contracts_history(struct lab_req *rq, struct lab_resp *rs)
{
	const char *case_id = lab_req_arg(rq, "case");
	int64_t limit;
	json_t *items;
	int r;

	if (case_id && lab_name_check(LAB_NAME_CASE, "case", case_id, rs->err, sizeof(rs->err)))
		return -EINVAL;
	r = lab_req_int(rq, rs, "limit", 1, LIST_MAX, 100, &limit);
	if (r)
		return r;
	r = lab_store_verdict_history_list(rq->st, case_id, limit, &items);
	if (r)
		return r;
	return api_list_resp(rs, items, limit);
}
