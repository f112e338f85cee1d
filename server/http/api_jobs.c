/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_jobs.c - GET /jobs, /jobs/{id}, /jobs/{id}/log; POST /jobs/{id}/cancel, /retry (api.h; shared helpers: api_int.h).
 *
 * Each handler validates its input completely before it calls the store, so
 * bad input changes nothing; the store's transactions make each write
 * all-or-nothing. Handlers return 0 with @rs filled, or -errno with rs->err.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "joblogs.h"
#include "jobstate.h"
#include "log.h"
#include "plan.h"
#include "record.h"
#include "respcache.h"
#include "sched.h"
#include "store.h"
#include "views.h"

/* ---- jobs ----------------------------------------------------------------- */

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
		klen = api_cache_key(key, (const char *const[]){ "jobs", nums[0], kpart, tpart,
				 nums[1], nums[2], nums[3], nums[4] }, 8);
	}
	if (api_cache_hit(rs, key, klen, gen))
		return 0;
	if ((r = api_named_id(rq, rs, &api_kernel_kind, kname, &f.kernel_id)) ||
	    (r = api_named_id(rq, rs, &api_target_kind, tname, &f.target_id)))
		return r;
	r = lab_store_jobs_list(rq->st, &f, &items);
	if (!r)
		r = api_list_resp(rs, items, f.limit);
	if (r)
		return r;
	/* the same bytes send_json() would write */
	rs->text = json_dumps(rs->json, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(rs->json);
	rs->json = NULL;
	if (!rs->text)
		return -ENOMEM;
	rs->text_len = strlen(rs->text);
	return api_cache_answer(rs, key, klen, gen);
}

/*
 * GET /jobs/{id}: the store's job, and has_prep_log: its preparation log
 * (STATE/logs/<id>.prep.log, GET /jobs/{id}/prep-log) is a file now. The
 * dashboard shows it beside the console log (has_log), or instead of it
 * for a job that never booted, and never asks for a log that is not there.
 */
int lab_api_job_get(struct lab_req *rq, struct lab_resp *rs)
{
	char path[PATH_MAX];
	struct stat sb;
	bool prep;
	int r;

	r = api_id_get(rq, rs, "job", lab_store_job_json);
	if (r)
		return r;
	prep = !lab_joblog_path(rq->cfg->state_dir,
				json_integer_value(json_object_get(rs->json, "id")),
				    ".prep.log", path, sizeof(path)) &&
	       !stat(path, &sb) && S_ISREG(sb.st_mode);
	return json_object_set_new(rs->json, "has_prep_log", json_boolean(prep)) ? -ENOMEM : 0;
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
	r = api_req_body(rq, rs, lab_body_job_action, def, &body);
	if (r)
		return r;
	why = api_str_of(body, "reason");
	if (why)
		snprintf(buf, n, "%s by %s: %s", def, rq->token_name ? rq->token_name : "?", why);
	json_decref(body);
	return 0;
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
	char gone[192], notfile[96];
	enum lab_job_state state;
	struct lab_job j;
	int64_t id, off;
	int r;

	r = lab_api_log_job(rq, rs, &j, &off);
	if (r)
		return r;
	id = j.id;
	state = j.state;
	snprintf(gone, sizeof(gone), "job %lld has no console log: it did not boot "
		 "(its preparation log: /jobs/%lld/prep-log) or retention pruned it",
		 (long long)id, (long long)id);
	/* a backend names the path when the guest boots (QEMU) or the first
	 * line reaches the log (LAVA): a job whose preparation failed, or that
	 * was refused before it booted, has none (has_log false) */
	if (!j.log_path) {
		lab_job_clear(&j);
		if (state == LAB_JOB_QUEUED || state == LAB_JOB_SCHEDULED ||
		    state == LAB_JOB_RUNNING)
			return lab_fail(rs, -ENOENT, "job %lld has no log yet", (long long)id);
		if (state == LAB_JOB_COMPLETE)	/* results posted to the API */
			return lab_fail(rs, -ENOENT, "job %lld has no console log: its results "
					"were ingested without one, or retention pruned it",
					(long long)id);
		return lab_fail(rs, -ENOENT, "%s", gone);
	}
	snprintf(notfile, sizeof(notfile), "the log of job %lld is not a file", (long long)id);
	/* the path comes from the database (set by a backend), never the request */
	r = lab_resp_log_file(rs, j.log_path, off, gone, notfile);
	lab_job_clear(&j);
	return r;
}

