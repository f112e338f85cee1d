/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api.c - the /api/v1 handlers and the route table (api.h, http.h).
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

#define LIST_MAX 1000
#define INGEST_MAX_RECORDS 100000

static bool name_ok(const char *s, size_t max, const char *set)
{
	size_t l = s ? strlen(s) : 0;

	return l > 0 && l <= max && strspn(s, set) == l;
}

#define KERNEL_NAME_SET "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-"

static int list_resp(struct lab_resp *rs, json_t *items, int64_t limit)
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
static int list_all(struct lab_req *rq, struct lab_resp *rs,
		    int (*list)(struct lab_store *, json_t **))
{
	json_t *items;
	int r = list(rq->st, &items);

	return r ? r : all_resp(rs, items);
}

/* what is looked up by name: its store getter, and how its 404 names it */
struct named_kind {
	int (*get)(struct lab_store *st, const char *name, json_t **out);
	const char *what;	/* "kernel" */
	int max;		/* at most this much of the name in the message */
};

static const struct named_kind kernel_kind = { lab_store_kernel_json, "kernel", 64 };
static const struct named_kind target_kind = { lab_store_target_json, "target", 64 };
static const struct named_kind case_kind = { lab_store_case_json, "case", 96 };

/* the @kind named @name as an object, or "unknown <what> '<name>'" (-ENOENT) */
static int named_get(struct lab_req *rq, struct lab_resp *rs,
		     const struct named_kind *kind, const char *name, json_t **out)
{
	int r = kind->get(rq->st, name, out);

	if (r == -ENOENT)
		return lab_fail(rs, r, "unknown %s '%.*s'", kind->what, kind->max, name);
	return r;
}

/* GET of one item by the id in the path (plans, jobs): @get's object, or
 * "unknown <what> N" (-ENOENT) */
static int id_get(struct lab_req *rq, struct lab_resp *rs, const char *what,
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

/* ---- kernels --------------------------------------------------------------- */

int lab_api_kernels_list(struct lab_req *rq, struct lab_resp *rs)
{
	return list_all(rq, rs, lab_store_kernels_list);
}

int lab_api_kernel_get(struct lab_req *rq, struct lab_resp *rs)
{
	return named_get(rq, rs, &kernel_kind, rq->params[0], &rs->json);
}

static int opt_str(json_t *o, const char *key, size_t max, const char **out,
		   struct lab_resp *rs)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) > max ||
	    strlen(json_string_value(v)) != json_string_length(v))
		return lab_fail(rs, -EINVAL, "\"%s\" must be a string of at most %zu bytes",
				key, max);
	*out = json_string_value(v);
	return 0;
}

static bool one_of(const char *s, const char *const *set)
{
	for (int i = 0; set[i]; i++)
		if (strcmp(s, set[i]) == 0)
			return true;
	return false;
}

int lab_api_kernel_post(struct lab_req *rq, struct lab_resp *rs)
{
	static const char *const arches[] = { "x86_64", "arm64", "s390x", NULL };
	static const char *const sources[] = { "debian", "url", "build", NULL };
	static const char *const allowed[] = { "name", "release", "version", "arch",
		"source", "source_ref", "sha256", NULL };
	struct lab_kernel k = { 0 }, old = { 0 };
	const char *name, *rel, *ver, *arch, *src, *ref, *sha, *key;
	json_t *body, *v;
	bool existed;
	int r;

	r = lab_req_json(rq, rs, &body);
	if (r)
		return r;
	if (!json_is_object(body)) {
		r = lab_fail(rs, -EINVAL, "a kernel is a JSON object");
		goto put_body;
	}
	json_object_foreach(body, key, v) {
		if (!one_of(key, allowed)) {
			r = lab_fail(rs, -EINVAL, "unknown key \"%.64s\" (allowed: name, release, "
				     "version, arch, source, source_ref, sha256)", key);
			goto put_body;
		}
	}
	if ((r = opt_str(body, "name", 64, &name, rs)) ||
	    (r = opt_str(body, "release", 128, &rel, rs)) ||
	    (r = opt_str(body, "version", 64, &ver, rs)) ||
	    (r = opt_str(body, "arch", 16, &arch, rs)) ||
	    (r = opt_str(body, "source", 16, &src, rs)) ||
	    (r = opt_str(body, "source_ref", 1024, &ref, rs)) ||
	    (r = opt_str(body, "sha256", 64, &sha, rs)))
		goto put_body;
	if (!name_ok(name, 64, KERNEL_NAME_SET)) {
		r = lab_fail(rs, -EINVAL, "\"name\" is required: [A-Za-z0-9._+-], 1-64 chars");
		goto put_body;
	}
	if ((arch && !one_of(arch, arches)) || (src && !one_of(src, sources))) {
		r = lab_fail(rs, -EINVAL, "\"arch\" must be x86_64|arm64|s390x and "
			     "\"source\" debian|url|build");
		goto put_body;
	}
	if (sha && !name_ok(sha, 64, "0123456789abcdef")) {
		r = lab_fail(rs, -EINVAL, "\"sha256\" must be lowercase hex");
		goto put_body;
	}
	existed = lab_store_kernel_get(rq->st, name, &old) == 0;
	if (existed && arch && strcmp(arch, old.arch) != 0) {
		r = lab_fail(rs, -EEXIST, "kernel '%s' exists with arch %s", name, old.arch);
		goto clear_old;
	}
	k.name = (char *)name;
	k.release = (char *)rel;
	k.version = (char *)ver;
	k.arch = (char *)(arch ? arch : existed ? old.arch : NULL);
	k.source = (char *)(src ? src : existed ? old.source : NULL);
	k.source_ref = (char *)ref;
	k.sha256 = (char *)sha;
	r = lab_store_kernel_put(rq->st, &k);
	if (r)
		goto clear_old;
	r = lab_store_kernel_json(rq->st, name, &rs->json);
	if (r)
		goto clear_old;
	rs->status = existed ? MHD_HTTP_OK : MHD_HTTP_CREATED;
	if (!existed)
		snprintf(rs->location, sizeof(rs->location), LAB_API_PREFIX "/kernels/%s", name);
	lab_info("api: kernel %s %s by %s", name, existed ? "updated" : "registered",
		 rq->token_name);
clear_old:
	lab_kernel_clear(&old);
put_body:
	json_decref(body);
	return r;
}

/* ---- targets, cases --------------------------------------------------------- */

int lab_api_targets_list(struct lab_req *rq, struct lab_resp *rs)
{
	return list_all(rq, rs, lab_store_targets_list);
}

int lab_api_target_get(struct lab_req *rq, struct lab_resp *rs)
{
	return named_get(rq, rs, &target_kind, rq->params[0], &rs->json);
}

int lab_api_cases_list(struct lab_req *rq, struct lab_resp *rs)
{
	return list_all(rq, rs, lab_store_cases_list);
}

int lab_api_case_get(struct lab_req *rq, struct lab_resp *rs)
{
	return named_get(rq, rs, &case_kind, rq->params[0], &rs->json);
}

int lab_api_cases_post(struct lab_req *rq, struct lab_resp *rs)
{
	json_t *body;
	int n = 0, r;

	r = lab_req_json(rq, rs, &body);
	if (r)
		return r;
	r = lab_store_cases_import_ex(rq->st, body, &n, rs->err, sizeof(rs->err));
	json_decref(body);
	if (r)
		return r;
	rs->json = json_pack("{s:i}", "imported", n);
	return rs->json ? 0 : -ENOMEM;
}

/* ---- plans ------------------------------------------------------------------- */

int lab_api_plan_post(struct lab_req *rq, struct lab_resp *rs)
{
	int64_t id = 0;
	json_t *body;
	int n = 0, r;

	r = lab_req_json(rq, rs, &body);
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
	return r ? r : list_resp(rs, items, limit);
}

int lab_api_plan_get(struct lab_req *rq, struct lab_resp *rs)
{
	return id_get(rq, rs, "plan", lab_store_plan_json);
}

/* ---- response cache (respcache.h) ---------------------------------------- */

/*
 * Response cache key: the route and its arguments, NUL-separated (names
 * never contain NUL); 0 when they do not fit (then the body is not cached).
 */
#define CACHE_KEY_MAX 600

static size_t cache_key(char *key, const char *const *parts, int n)
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
static bool cache_hit(struct lab_resp *rs, const char *key, size_t klen, uint64_t gen)
{
	if (!klen || lab_respcache_get(key, klen, gen, &rs->text, &rs->text_len))
		return false;
	rs->content_type = "application/json";
	return true;
}

/* @rs->text is a JSON body built at @gen: answer it and keep a copy */
static int cache_answer(struct lab_resp *rs, const char *key, size_t klen, uint64_t gen)
{
	rs->content_type = "application/json";
	if (klen)
		lab_respcache_put(key, klen, gen, rs->text, rs->text_len);	/* best effort */
	return 0;
}

/* ---- jobs ----------------------------------------------------------------- */

/* the id of the @kind named @name (a query filter): 0 when @name is NULL,
 * "unknown <what> '<name>'" (-ENOENT) when there is none */
static int named_id(struct lab_req *rq, struct lab_resp *rs,
		    const struct named_kind *kind, const char *name, int64_t *id)
{
	json_t *o;
	int r;

	*id = 0;
	if (!name)
		return 0;
	r = named_get(rq, rs, kind, name, &o);
	if (r)
		return r;
	*id = json_integer_value(json_object_get(o, "id"));
	json_decref(o);
	return 0;
}

/*
 * GET /jobs: every filter, the cursor and the page are part of the cache key
 * as parsed values (limit=050 and limit=50 share an entry; a name is keyed
 * verbatim, marked present or absent). The body only depends on the jobs,
 * kernels and targets tables, and every job transition (scheduler, cancel,
 * retry, results ingest, another process) is a commit, which moves
 * lab_store_generation(): a cached page is never served after a change.
 */
int lab_api_jobs_list(struct lab_req *rq, struct lab_resp *rs)
{
	struct lab_job_filter f = { .state = -1 };
	const char *state = lab_req_arg(rq, "state");
	const char *kname = lab_req_arg(rq, "kernel"), *tname = lab_req_arg(rq, "target");
	char key[CACHE_KEY_MAX], nums[5][24], kpart[80], tpart[80];
	enum lab_job_state s;
	size_t klen = 0;
	json_t *items;
	uint64_t gen;
	int r;

	if (state) {
		if (lab_job_state_parse(state, &s))
			return lab_fail(rs, -EINVAL, "state must be queued|scheduled|running|"
					"complete|incomplete|canceled");
		f.state = s;
	}
	if ((r = lab_req_int(rq, rs, "plan", 1, INT64_MAX, 0, &f.plan_id)) ||
	    (r = lab_req_int(rq, rs, "cursor", 1, INT64_MAX, 0, &f.before_id)) ||
	    (r = lab_req_int(rq, rs, "limit", 1, LIST_MAX, 50, &f.limit)) ||
	    (r = lab_req_int(rq, rs, "offset", 0, 1000000, 0, &f.offset)))
		return r;
	/* the generation before any query: a body is never newer than it */
	gen = lab_store_generation(rq->st);
	snprintf(nums[0], sizeof(nums[0]), "%d", f.state);
	snprintf(nums[1], sizeof(nums[1]), "%lld", (long long)f.plan_id);
	snprintf(nums[2], sizeof(nums[2]), "%lld", (long long)f.before_id);
	snprintf(nums[3], sizeof(nums[3]), "%lld", (long long)f.limit);
	snprintf(nums[4], sizeof(nums[4]), "%lld", (long long)f.offset);
	/* "=name" when given (even empty), "" when absent; longer names are
	 * not cached (a name that long is unknown anyway) */
	if ((!kname || strlen(kname) < sizeof(kpart) - 1) &&
	    (!tname || strlen(tname) < sizeof(tpart) - 1)) {
		snprintf(kpart, sizeof(kpart), "%s%s", kname ? "=" : "", kname ? kname : "");
		snprintf(tpart, sizeof(tpart), "%s%s", tname ? "=" : "", tname ? tname : "");
		klen = cache_key(key, (const char *const[]){ "jobs", nums[0], kpart, tpart,
				 nums[1], nums[2], nums[3], nums[4] }, 8);
	}
	if (cache_hit(rs, key, klen, gen))
		return 0;
	if ((r = named_id(rq, rs, &kernel_kind, kname, &f.kernel_id)) ||
	    (r = named_id(rq, rs, &target_kind, tname, &f.target_id)))
		return r;
	r = lab_store_jobs_list(rq->st, &f, &items);
	if (!r)
		r = list_resp(rs, items, f.limit);
	if (r)
		return r;
	/* the same bytes send_json() would write */
	rs->text = json_dumps(rs->json, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(rs->json);
	rs->json = NULL;
	if (!rs->text)
		return -ENOMEM;
	rs->text_len = strlen(rs->text);
	return cache_answer(rs, key, klen, gen);
}

int lab_api_job_get(struct lab_req *rq, struct lab_resp *rs)
{
	return id_get(rq, rs, "job", lab_store_job_json);
}

int lab_api_job(struct lab_req *rq, struct lab_resp *rs, int64_t id,
		struct lab_job *j)
{
	int r = lab_store_job_get(rq->st, id, j);

	if (r == -ENOENT)
		return lab_fail(rs, r, "unknown job %lld", (long long)id);
	return r;
}

int lab_api_log_job(struct lab_req *rq, struct lab_resp *rs, struct lab_job *j,
		    int64_t *off)
{
	int64_t id;
	int r;

	if ((r = lab_req_id(rq, rs, 0, &id)) ||
	    (r = lab_req_int(rq, rs, "offset", 0, INT64_MAX, 0, off)))
		return r;
	return lab_api_job(rq, rs, id, j);
}

/*
 * POST /jobs/{id}/<action> with an optional {"reason": "..."} body: the
 * path's id into *@id, "<def> by <token>[: <reason>]" into @buf
 */
static int job_action_args(struct lab_req *rq, struct lab_resp *rs, int64_t *id,
			   char *buf, size_t n, const char *def)
{
	const char *why;
	json_t *body;
	int r;

	r = lab_req_id(rq, rs, 0, id);
	if (r)
		return r;
	snprintf(buf, n, "%s by %s", def, rq->token_name ? rq->token_name : "?");
	if (!rq->body_len)
		return 0;
	r = lab_req_json(rq, rs, &body);
	if (r)
		return r;
	r = opt_str(body, "reason", 400, &why, rs);
	if (!r && why)
		snprintf(buf, n, "%s by %s: %s", def, rq->token_name ? rq->token_name : "?", why);
	json_decref(body);
	return r;
}

int lab_api_job_cancel(struct lab_req *rq, struct lab_resp *rs)
{
	char reason[512];
	struct lab_job j;
	int64_t id;
	int r;

	if ((r = job_action_args(rq, rs, &id, reason, sizeof(reason), "canceled")) ||
	    (r = lab_api_job(rq, rs, id, &j)))
		return r;
	if (j.state == LAB_JOB_COMPLETE || j.state == LAB_JOB_INCOMPLETE ||
	    j.state == LAB_JOB_CANCELED) {
		r = lab_fail(rs, -EALREADY, "job %lld is already %s", (long long)id,
			     lab_job_state_name(j.state));
		lab_job_clear(&j);
		return r;
	}
	r = lab_sched_cancel(rq->sched, rq->st, id, reason);
	if (r == -EOPNOTSUPP && !rq->sched)
		/* no scheduler in this process: nothing runs here, just record it */
		r = lab_job_cancel(rq->st, id, j.state, reason);
	lab_job_clear(&j);
	if (r == -EAGAIN)
		return lab_fail(rs, r, "job %lld changed state meanwhile; retry", (long long)id);
	if (r == -EINVAL)
		return lab_fail(rs, -EALREADY, "job %lld is already final", (long long)id);
	if (r)
		return r;
	rs->status = MHD_HTTP_ACCEPTED;
	return lab_store_job_json(rq->st, id, &rs->json);
}

int lab_api_job_retry(struct lab_req *rq, struct lab_resp *rs)
{
	char reason[512];
	struct lab_job j;
	int64_t id;
	int r;

	r = job_action_args(rq, rs, &id, reason, sizeof(reason), "retry requested");
	if (r)
		return r;
	r = lab_job_retry(rq->st, id, reason);
	if (r == -ENOENT)
		return lab_fail(rs, r, "unknown job %lld", (long long)id);
	if (r == -EINVAL) {
		if (lab_store_job_get(rq->st, id, &j) == 0) {
			r = lab_fail(rs, -EALREADY, "job %lld is %s: only an incomplete job "
				     "can be retried", (long long)id, lab_job_state_name(j.state));
			lab_job_clear(&j);
		}
		return r;
	}
	if (r)
		return r;
	if (rq->sched)
		lab_sched_kick(rq->sched);
	return lab_store_job_json(rq->st, id, &rs->json);
}

int lab_api_job_log(struct lab_req *rq, struct lab_resp *rs)
{
	char gone[96], notfile[96];
	struct lab_job j;
	int64_t id, off;
	int r;

	r = lab_api_log_job(rq, rs, &j, &off);
	if (r)
		return r;
	id = j.id;
	if (!j.log_path) {
		lab_job_clear(&j);
		return lab_fail(rs, -ENOENT, "job %lld has no log yet", (long long)id);
	}
	snprintf(gone, sizeof(gone), "the log of job %lld is gone", (long long)id);
	snprintf(notfile, sizeof(notfile), "the log of job %lld is not a file", (long long)id);
	/* the path comes from the database (set by a backend), never the request */
	r = lab_resp_log_file(rs, j.log_path, off, gone, notfile);
	lab_job_clear(&j);
	return r;
}

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
						  body.ident.kernel, why, sizeof(why))) {
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
	r = lab_ingest_store(rq->st, &ji, res, n);
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
	if ((r = named_id(rq, rs, &kernel_kind, lab_req_arg(rq, "kernel"), &f.kernel_id)) ||
	    (r = named_id(rq, rs, &target_kind, lab_req_arg(rq, "target"), &f.target_id)) ||
	    (r = lab_req_int(rq, rs, "job", 1, INT64_MAX, 0, &f.job_id)) ||
	    (r = lab_req_int(rq, rs, "cursor", 1, INT64_MAX, 0, &f.before_id)) ||
	    (r = lab_req_int(rq, rs, "limit", 1, LIST_MAX, 100, &f.limit)) ||
	    (r = lab_req_int(rq, rs, "offset", 0, 1000000, 0, &f.offset)))
		return r;
	r = lab_store_results_query(rq->st, &f, &items);
	return r ? r : list_resp(rs, items, f.limit);
}

/* ---- matrix, diffs --------------------------------------------------------- */

int lab_api_matrix(struct lab_req *rq, struct lab_resp *rs)
{
	const char *name = lab_req_arg(rq, "kernel");
	char key[CACHE_KEY_MAX];
	size_t klen;
	uint64_t gen;
	int64_t kid;
	int r;

	if (!name)
		return lab_fail(rs, -EINVAL, "query argument kernel is required");
	/* the generation before any query: a body is never newer than it */
	gen = lab_store_generation(rq->st);
	klen = cache_key(key, (const char *const[]){ "matrix", name }, 2);
	if (cache_hit(rs, key, klen, gen))
		return 0;
	r = named_id(rq, rs, &kernel_kind, name, &kid);
	if (r)
		return r;
	r = lab_store_matrix_text(rq->st, kid, &rs->text, &rs->text_len);
	if (r)
		return r;
	return cache_answer(rs, key, klen, gen);
}

int lab_api_text(struct lab_resp *rs, char *text)
{
	if (!text)
		return -ENOMEM;
	rs->text = text;
	rs->text_len = strlen(text);
	rs->content_type = "text/plain; charset=utf-8";
	return 0;
}

static bool wants_text(struct lab_req *rq)
{
	const char *fmt = lab_req_arg(rq, "format");
	const char *acc = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_ACCEPT);

	if (fmt)
		return strcmp(fmt, "text") == 0;
	return acc && strstr(acc, "text/plain") && !strstr(acc, "application/json");
}

int lab_api_diffs(struct lab_req *rq, struct lab_resp *rs)
{
	const char *base = lab_req_arg(rq, "base"), *head = lab_req_arg(rq, "head");
	const char *bp = lab_req_arg(rq, "base_plan"), *hp = lab_req_arg(rq, "head_plan");
	const char *fmt = lab_req_arg(rq, "format");
	int64_t changes;
	bool by_plan = false;
	char *text;
	json_t *d;
	int r;

	if (!base)
		base = lab_req_arg(rq, "from");
	if (!head)
		head = lab_req_arg(rq, "to");
	if (fmt && strcmp(fmt, "text") && strcmp(fmt, "json"))
		return lab_fail(rs, -EINVAL, "format must be json or text");
	if (bp || hp) {
		if (base || head || !bp || !hp)
			return lab_fail(rs, -EINVAL, "give base_plan and head_plan, or base and head");
		base = bp;
		head = hp;
		by_plan = true;
	} else if (!base || !head) {
		return lab_fail(rs, -EINVAL, "query arguments base and head (kernel names) "
				"or base_plan and head_plan are required");
	}
	r = lab_req_int(rq, rs, "changes_only", 0, 1, 0, &changes);
	if (r)
		return r;
	if (!wants_text(rq)) {
		uint64_t gen = lab_store_generation(rq->st);
		char key[CACHE_KEY_MAX];
		size_t klen = cache_key(key, (const char *const[]){ "diffs",
					by_plan ? "plan" : "kernel", base, head,
					changes ? "1" : "0" }, 5);

		if (cache_hit(rs, key, klen, gen))
			return 0;
		r = lab_diff_run_text(rq->st, by_plan, base, head, changes, &rs->text,
				      &rs->text_len, rs->err, sizeof(rs->err));
		return r ? r : cache_answer(rs, key, klen, gen);
	}
	r = lab_diff_run(rq->st, by_plan, base, head, changes, &d, rs->err, sizeof(rs->err));
	if (r)
		return r;
	/* the text table (not cached: a terminal's request, not a dashboard's) */
	text = lab_diff_text(d);
	json_decref(d);
	return lab_api_text(rs, text);
}

/* ---- tokens ------------------------------------------------------------------ */

int lab_api_token_post(struct lab_req *rq, struct lab_resp *rs)
{
	char secret[LAB_TOKEN_HEX_LEN + 1];
	const char *name, *scopes;
	json_t *body;
	int r;

	r = lab_req_json(rq, rs, &body);
	if (r)
		return r;
	if ((r = opt_str(body, "name", 64, &name, rs)) ||
	    (r = opt_str(body, "scopes", 64, &scopes, rs)))
		goto put_body;
	if (!name_ok(name, 64, KERNEL_NAME_SET) || !scopes ||
	    (strcmp(scopes, "admin") && strcmp(scopes, "ingest"))) {
		r = lab_fail(rs, -EINVAL, "need \"name\" ([A-Za-z0-9._+-]{1,64}) and "
			     "\"scopes\" (admin or ingest)");
		goto put_body;
	}
	r = lab_auth_token_new(secret);
	if (r)
		goto put_body;
	r = lab_store_token_add_scoped(rq->st, name, secret, scopes);
	if (r == -EEXIST)
		lab_fail(rs, r, "a token named '%s' exists", name);
	if (r)
		goto put_body;
	rs->status = MHD_HTTP_CREATED;
	rs->json = json_pack("{s:s, s:s, s:s}", "name", name, "scopes", scopes,
			     "secret", secret);
	lab_info("api: token '%s' (%s) created by %s", name, scopes, rq->token_name);
	r = rs->json ? 0 : -ENOMEM;
put_body:
	json_decref(body);
	return r;
}

int lab_api_not_found(struct lab_req *rq, struct lab_resp *rs)
{
	return lab_fail(rs, -ENOENT, "no such endpoint: %.200s", rq->url);
}

