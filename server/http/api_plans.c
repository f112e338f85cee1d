/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_plans.c - GET/POST /plans, GET /plans/{id} (api.h; shared helpers: api_int.h).
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
#include "bodies.h"
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

/* ---- plans ------------------------------------------------------------------- */

int lab_api_plan_post(struct lab_req *rq, struct lab_resp *rs)
{
	int64_t id = 0;
	json_t *body;
	int n = 0, r;

	r = api_req_body(rq, rs, lab_body_plan, "plan", &body);
	if (r)
		return r;
	r = lab_store_plan_create_ex(rq->st, body, rq->token_name, &id, &n,
				     rs->err, sizeof(rs->err));
	json_decref(body);
	if (r)
		return r;
	if (rq->sched)
		lab_sched_kick(rq->sched);
	r = lab_store_plan_json(rq->st, id, &rs->json);
	if (r)
		return r;
	json_object_set_new(rs->json, "njobs", json_integer(n));
	rs->status = MHD_HTTP_CREATED;
	snprintf(rs->location, sizeof(rs->location), LAB_API_PREFIX "/plans/%lld",
		 (long long)id);
	lab_info("api: plan %lld (%d jobs) submitted by %s", (long long)id, n, rq->token_name);
	return 0;
}

int lab_api_plans_list(struct lab_req *rq, struct lab_resp *rs)
{
	int64_t limit, offset;
	json_t *items;
	int r;

	if ((r = lab_req_int(rq, rs, "limit", 1, LIST_MAX, 50, &limit)) ||
	    (r = lab_req_int(rq, rs, "offset", 0, 1000000, 0, &offset)))
		return r;
	r = lab_store_plans_list(rq->st, limit, offset, &items);
	return r ? r : api_list_resp(rs, items, limit);
}

int lab_api_plan_get(struct lab_req *rq, struct lab_resp *rs)
{
	return api_id_get(rq, rs, "plan", lab_store_plan_json);
}

