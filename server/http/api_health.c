/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_health.c - /targets/{name}/health|state|check (api_health.h; shared
 * helpers: api_int.h). Inputs are checked (the path's name, the body's
 * table) before flows/health.c writes anything.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <microhttpd.h>

#include "api_health.h"
#include "api_int.h"
#include "bodies.h"
#include "health.h"
#include "log.h"
#include "names.h"
#include "sched.h"
#include "store_health.h"
#include "views.h"

/* the path's target into @t (an unknown one: 404) */
static int path_target(struct lab_req *rq, struct lab_resp *rs, struct lab_target *t)
{
	const char *name = rq->params[0];
	int r;

	if (lab_name_check(LAB_NAME_TARGET, "target", name, rs->err, sizeof(rs->err)))
		return -EINVAL;
	r = lab_store_target_get(rq->st, name, t);
	if (r == -ENOENT)
		return lab_fail(rs, r, "unknown target '%s'", name);
	return r;
}

static int health_doc(struct lab_req *rq, int64_t id, const char *name, json_t **out)
{
	struct lab_target t;
	json_t *hist = NULL;
	char admin[16];
	int r;

	r = lab_store_target_get(rq->st, name, &t);
	if (r)
		return r;
	r = lab_store_target_admin_get(rq->st, id, admin, sizeof(admin));
	if (!r)
		r = lab_store_health_history(rq->st, id, &hist);
	if (!r) {
		*out = json_pack("{s:s, s:s, s:s, s:o}", "target", name, "health",
				 t.health ? t.health : "unknown", "state", admin, "history", hist);
		r = *out ? 0 : -ENOMEM;
	}
	lab_target_clear(&t);
	return r;
}

int lab_api_target_health(struct lab_req *rq, struct lab_resp *rs)
{
	struct lab_target t;
	int r = path_target(rq, rs, &t);

	if (r)
		return r;
	r = health_doc(rq, t.id, t.name, &rs->json);
	lab_target_clear(&t);
	return r;
}

int lab_api_target_state(struct lab_req *rq, struct lab_resp *rs)
{
	struct lab_target t;
	json_t *body;
	int r = path_target(rq, rs, &t);

	if (r)
		return r;
	r = api_req_body(rq, rs, lab_body_target_state, "state", &body);
	if (!r) {
		r = lab_health_set_state(rq->st, rq->cfg, t.name, api_str_of(body, "state"),
					 api_str_of(body, "reason"), rq->token_name, rs->err,
					 sizeof(rs->err));
		json_decref(body);
	}
	if (!r)
		r = health_doc(rq, t.id, t.name, &rs->json);
	if (!r && rq->sched)
		lab_sched_kick(rq->sched);
	lab_target_clear(&t);
	return r;
}

int lab_api_target_check(struct lab_req *rq, struct lab_resp *rs)
{
	struct lab_target t;
	int64_t job = 0;
	json_t *body = NULL;
	int r = path_target(rq, rs, &t);

	if (r)
		return r;
	if (rq->body_len)
		r = api_req_body(rq, rs, lab_body_target_check, "check", &body);
	if (!r)
		r = lab_health_check_now(rq->st, rq->cfg, t.name, api_str_of(body, "kernel"),
					 api_str_of(body, "cases"), rq->token_name, &job, rs->err,
					 sizeof(rs->err));
	json_decref(body);
	if (r == -EBUSY)
		r = -EALREADY;	/* 409: one check at a time */
	if (!r) {
		rs->json = json_pack("{s:s, s:I}", "target", t.name, "job", (json_int_t)job);
		rs->status = MHD_HTTP_CREATED;
		r = rs->json ? 0 : -ENOMEM;
		if (rq->sched)
			lab_sched_kick(rq->sched);
	}
	lab_target_clear(&t);
	return r;
}
