/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api.c - what the /api/v1 handlers share (api_int.h: arguments, lists,
 * named kinds, the response cache), GET /health and the 404 answer. The
 * handlers are one file per resource: api_kernels.c, api_targets.c,
 * api_cases.c, api_plans.c, api_jobs.c, api_results.c, api_matrix.c
 * (matrix and diffs), api_tokens.c; the route table is server/routes.c.
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


int api_list_resp(struct lab_resp *rs, json_t *items, int64_t limit)
{
	json_t *last = json_array_get(items, json_array_size(items) - 1);
	json_t *cursor = (int64_t)json_array_size(items) == limit && last ?
			 json_incref(json_object_get(last, "id")) : json_null();

	rs->json = json_pack("{s:o, s:o, s:I}", "items", items, "next_cursor", cursor,
			     "count", (json_int_t)json_array_size(items));
	return rs->json ? 0 : -ENOMEM;
}

static int all_resp(struct lab_resp *rs, json_t *items)
{
	rs->json = json_pack("{s:o, s:n, s:I}", "items", items, "next_cursor",
			     "count", (json_int_t)json_array_size(items));
	return rs->json ? 0 : -ENOMEM;
}

/* GET of a whole collection (kernels, targets, cases): @list's array, unpaged */
int api_list_all(struct lab_req *rq, struct lab_resp *rs,
		    int (*list)(struct lab_store *, json_t **))
{
	json_t *items;
	int r = list(rq->st, &items);

	return r ? r : all_resp(rs, items);
}

/* what is looked up by name: its store getter, and how its 404 names it */

const struct named_kind api_kernel_kind = { lab_store_kernel_json, "kernel", 64 };
const struct named_kind api_target_kind = { lab_store_target_json, "target", 64 };
const struct named_kind api_case_kind = { lab_store_case_json, "case", 96 };

/* the @kind named @name as an object, or "unknown <what> '<name>'" (-ENOENT) */
int api_named_get(struct lab_req *rq, struct lab_resp *rs,
		     const struct named_kind *kind, const char *name, json_t **out)
{
	int r = kind->get(rq->st, name, out);

	if (r == -ENOENT)
		return lab_fail(rs, r, "unknown %s '%.*s'", kind->what, kind->max, name);
	return r;
}

/* GET of one item by the id in the path (plans, jobs): @get's object, or
 * "unknown <what> N" (-ENOENT) */
int api_id_get(struct lab_req *rq, struct lab_resp *rs, const char *what,
		  int (*get)(struct lab_store *, int64_t, json_t **))
{
	int64_t id;
	int r = lab_req_id(rq, rs, 0, &id);

	if (r)
		return r;
	r = get(rq->st, id, &rs->json);
	if (r == -ENOENT)
		return lab_fail(rs, r, "unknown %s %lld", what, (long long)id);
	return r;
}

/* ---- response cache (respcache.h) ---------------------------------------- */

/*
 * Response cache key: the route and its arguments, NUL-separated (names
 * never contain NUL); 0 when they do not fit (then the body is not cached).
 */

size_t api_cache_key(char *key, const char *const *parts, int n)
{
	size_t len = 0;

	for (int i = 0; i < n; i++) {
		size_t l = strlen(parts[i]) + 1;

		if (len + l > CACHE_KEY_MAX)
			return 0;
		memcpy(key + len, parts[i], l);
		len += l;
	}
	return len;
}

/* a cached JSON body for @key at @gen into @rs; false on a miss */
bool api_cache_hit(struct lab_resp *rs, const char *key, size_t klen, uint64_t gen)
{
	if (!klen || lab_respcache_get(key, klen, gen, &rs->text, &rs->text_len))
		return false;
	rs->content_type = "application/json";
	return true;
}

/* @rs->text is a JSON body built at @gen: answer it and keep a copy */
int api_cache_answer(struct lab_resp *rs, const char *key, size_t klen, uint64_t gen)
{
	rs->content_type = "application/json";
	if (klen)
		lab_respcache_put(key, klen, gen, rs->text, rs->text_len);	/* best effort */
	return 0;
}

/* ---- text answers ---- */

int lab_api_text(struct lab_resp *rs, char *text)
{
	if (!text)
		return -ENOMEM;
	rs->text = text;
	rs->text_len = strlen(text);
	rs->content_type = "text/plain; charset=utf-8";
	return 0;
}

/* ---- shared argument helpers ---- */

int api_req_body(struct lab_req *rq, struct lab_resp *rs,
		 const struct lab_body_field *fields, const char *what, json_t **out)
{
	int r = lab_req_json(rq, rs, out);

	if (r)
		return r;
	r = lab_body_check(*out, fields, what, rs->err, sizeof(rs->err));
	if (r) {
		json_decref(*out);
		*out = NULL;
	}
	return r;
}

const char *api_str_of(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* the id of the @kind named @name (a query filter): 0 when @name is NULL,
 * "unknown <what> '<name>'" (-ENOENT) when there is none */
int api_named_id(struct lab_req *rq, struct lab_resp *rs,
		    const struct named_kind *kind, const char *name, int64_t *id)
{
	json_t *o;
	int r;

	*id = 0;
	if (!name)
		return 0;
	r = api_named_get(rq, rs, kind, name, &o);
	if (r)
		return r;
	*id = json_integer_value(json_object_get(o, "id"));
	json_decref(o);
	return 0;
}

/* ---- health --------------------------------------------------------------- */

int lab_api_health(struct lab_req *rq, struct lab_resp *rs)
{
	int v = lab_store_schema_version(rq->st);

	if (v < 0)
		return lab_fail(rs, v, "database: %s", strerror(-v));
	rs->json = json_pack("{s:s, s:s, s:i, s:b, s:I}", "status", "ok",
			     "api", LAB_API_VERSION, "schema", v,
			     "scheduler", rq->sched != NULL,
			     "time", (json_int_t)time(NULL));
	return rs->json ? 0 : -ENOMEM;
}

int lab_api_not_found(struct lab_req *rq, struct lab_resp *rs)
{
	return lab_fail(rs, -ENOENT, "no such endpoint: %.200s", rq->url);
}

