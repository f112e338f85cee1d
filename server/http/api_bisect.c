/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_bisect.c - the /api/v1/bisections routes (api_bisect.h) on top of
 * flows/bisect.c. A new bisection wakes the scheduler for its first job.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <microhttpd.h>

#include "api.h"
#include "api_bisect.h"
#include "bisect.h"
#include "jobstate.h"
#include "likely.h"
#include "sched.h"

int lab_api_bisect_post(struct lab_req *rq, struct lab_resp *rs)
{
	json_t *body, *b;
	int r;

	r = lab_req_json(rq, rs, &body);
	if (r)
		return r;
	r = lab_bisect_start(rq->st, rq->cfg, body, rq->token_name, &b, rs->err,
			     sizeof(rs->err));
	json_decref(body);
	if (r)
		return r;
	if (rq->sched)
		lab_sched_kick(rq->sched);
	rs->status = MHD_HTTP_CREATED;
	snprintf(rs->location, sizeof(rs->location), LAB_API_PREFIX "/bisections/%lld",
		 (long long)json_integer_value(json_object_get(b, "id")));
	rs->json = b;
	return 0;
}

int lab_api_bisect_list(struct lab_req *rq, struct lab_resp *rs)
{
	json_t *list, *items;
	int64_t limit;
	int r;

	r = lab_req_int(rq, rs, "limit", 1, 500, 100, &limit);
	if (r)
		return r;
	r = lab_bisect_list(rq->st, limit, &list);
	if (r)
		return r;
	items = json_object_get(list, "items");
	json_object_set_new(list, "count", json_integer((json_int_t)json_array_size(items)));
	json_object_set_new(list, "next_cursor", json_null());
	rs->json = list;
	return 0;
}

int lab_api_bisect_cancel(struct lab_req *rq, struct lab_resp *rs)
{
	json_t *jobs = NULL, *j, *b;
	int64_t id;
	size_t i;
	int r;

	r = lab_req_id(rq, rs, 0, &id);
	if (r)
		return r;
	r = lab_bisect_cancel(rq->st, id, rq->token_name, &jobs);
	if (r == -ENOENT)
		return lab_fail(rs, -ENOENT, "no bisection %lld", (long long)id);
	if (r == -EINVAL)
		return lab_fail(rs, -EINVAL, "bisection %lld is not running", (long long)id);
	if (r)
		return r;
	json_array_foreach(jobs, i, j) {
		struct lab_job jb;

		r = lab_sched_cancel(rq->sched, rq->st, json_integer_value(j), "bisection canceled");
		/* no scheduler in this process: nothing runs here, just record it */
		if (r == -EOPNOTSUPP && !rq->sched &&
		    !lab_store_job_get(rq->st, json_integer_value(j), &jb)) {
			lab_job_cancel(rq->st, jb.id, jb.state, "bisection canceled");
			lab_job_clear(&jb);
		}
	}
	json_decref(jobs);
	r = lab_bisect_json(rq->st, id, &b);
	if (r)
		return r;
	rs->json = b;
	return 0;
}

int lab_api_bisect_get(struct lab_req *rq, struct lab_resp *rs)
{
	const char *fmt = lab_req_arg(rq, "format");
	json_t *b;
	int64_t id;
	int r;

	if (fmt && strcmp(fmt, "text") && strcmp(fmt, "json"))
		return lab_fail(rs, -EINVAL, "format must be json or text");
	r = lab_req_id(rq, rs, 0, &id);
	if (r)
		return r;
	r = lab_bisect_json(rq->st, id, &b);
	if (r == -ENOENT)
		return lab_fail(rs, -ENOENT, "no bisection %lld", (long long)id);
	if (r)
		return r;
	if (fmt && !strcmp(fmt, "text")) {
		char *text = lab_bisect_text(b);

		json_decref(b);
		return lab_api_text(rs, text);
	}
	rs->json = b;
	return 0;
}

int lab_api_likely_post(struct lab_req *rq, struct lab_resp *rs)
{
	static const char *const keys[] = { "tree", "from", "to", "driver", "errno", "limit",
		NULL };
	json_t *body, *out = NULL, *v;
	json_int_t limit = 50;
	const char *k;
	int r = 0;

	r = lab_req_json(rq, rs, &body);
	if (r)
		return r;
	json_object_foreach(body, k, v) {
		bool ok = false;

		for (int i = 0; keys[i]; i++)
			ok |= !strcmp(k, keys[i]);
		if (!ok || (strcmp(k, "limit") && !json_is_string(v)) ||
		    (!strcmp(k, "limit") && (!json_is_integer(v) || json_integer_value(v) < 1 ||
					     json_integer_value(v) > LAB_LIKELY_MAX))) {
			r = lab_fail(rs, -EINVAL, "\"%.64s\": %s", k, ok ? "bad value (strings; "
				     "limit 1..500)" : "unknown key (tree, from, to, driver, errno, "
				     "limit)");
			goto out;
		}
	}
	if ((v = json_object_get(body, "limit")))
		limit = json_integer_value(v);
	r = lab_likely(rq->cfg, json_string_value(json_object_get(body, "tree")),
		       json_string_value(json_object_get(body, "from")),
		       json_string_value(json_object_get(body, "to")),
		       json_string_value(json_object_get(body, "driver")),
		       json_string_value(json_object_get(body, "errno")),
		       (size_t)limit, &out, rs->err, sizeof(rs->err));
	if (!r)
		rs->json = out;
out:
	json_decref(body);
	return r;
}
