/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_cases.c - GET/POST /cases, GET /cases/{id} (api.h; shared helpers: api_int.h).
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
#include "catalog.h"
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

/* ---- cases ----------------------------------------------------------------- */

int lab_api_cases_list(struct lab_req *rq, struct lab_resp *rs)
{
	return api_list_all(rq, rs, lab_store_cases_list);
}

int lab_api_case_get(struct lab_req *rq, struct lab_resp *rs)
{
	return api_named_get(rq, rs, &api_case_kind, rq->params[0], &rs->json);
}

int lab_api_cases_post(struct lab_req *rq, struct lab_resp *rs)
{
	json_t *body, *list, *c;
	int n = 0, r;
	size_t i;

	r = lab_req_json(rq, rs, &body);
	if (r)
		return r;
	/* the agent's catalogue ({"v": 1, "cases": [...]}) or its bare list,
	 * every entry checked before anything is imported (bodies.h) */
	list = body;
	if (json_is_object(body)) {
		r = lab_body_check(body, lab_body_catalogue, "catalogue", rs->err,
				   sizeof(rs->err));
		list = json_object_get(body, "cases");
	} else if (!json_is_array(body)) {
		r = lab_fail(rs, -EINVAL, "a catalogue is {\"cases\": [...]} or a list of cases");
	}
	json_array_foreach(list, i, c) {
		char where[32];

		if (r)
			break;
		snprintf(where, sizeof(where), "cases[%zu]", i);
		r = lab_body_check(c, lab_body_case, where, rs->err, sizeof(rs->err));
	}
	if (r) {
		json_decref(body);
		return r;
	}
	r = lab_store_cases_import_ex(rq->st, body, &n, rs->err, sizeof(rs->err));
	json_decref(body);
	if (r)
		return r;
	rs->json = json_pack("{s:i}", "imported", n);
	return rs->json ? 0 : -ENOMEM;
}

