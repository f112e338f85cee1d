/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lava_callback.c - LAVA notify callbacks and the pending-run registry
 * (lava_callback.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "backend.h"
#include "config.h"
#include "lava_callback.h"
#include "log.h"
#include "sched.h"

/*
 * backend.c names lab_backend_lava through a weak reference, and a weak
 * reference does not pull an object out of libiommulab.a. The API's route
 * table references this file; this strong reference brings backend_lava.o
 * along, so every binary with the callback route also has the backend.
 */
const struct lab_backend *const lab_lava_backend_link = &lab_backend_lava;

/* ---- labs, parsed once ---- */

static pthread_mutex_t labs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lab_lava_lab *labs_arr;
static size_t labs_n;
static int labs_state;		/* 0 not parsed, 1 ok, -errno failed */
static char labs_err[256];

int lab_lava_labs_get(const struct lab_config *cfg, const struct lab_lava_lab **labs,
		      size_t *n, char *err, size_t errlen)
{
	int r;

	pthread_mutex_lock(&labs_lock);
	if (!labs_state) {
		r = lab_lava_labs_parse(cfg ? cfg->labs : NULL, &labs_arr, &labs_n,
					labs_err, sizeof(labs_err));
		labs_state = r ? r : 1;
		if (r)
			lab_error("lava: --labs: %s", labs_err);
	}
	r = labs_state < 0 ? labs_state : 0;
	*labs = labs_arr;
	*n = labs_n;
	if (r && err && errlen)
		snprintf(err, errlen, "%s", labs_err);
	pthread_mutex_unlock(&labs_lock);
	return r;
}

/* ---- pending runs ---- */

struct pending {
	char lab[33];
	int64_t id;
	json_t *payload;
	struct pending *next;
};

static pthread_mutex_t pend_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pending *pend_head;

static struct pending *pend_find(const char *lab, int64_t id)
{
	for (struct pending *p = pend_head; p; p = p->next)
		if (p->id == id && !strcmp(p->lab, lab))
			return p;
	return NULL;
}

int lab_lava_pending_add(const char *lab, int64_t lava_id)
{
	struct pending *p;
	int r = 0;

	if (!lab || strlen(lab) >= sizeof(p->lab) || lava_id <= 0)
		return -EINVAL;
	pthread_mutex_lock(&pend_lock);
	if (pend_find(lab, lava_id)) {
		r = -EEXIST;
		goto unlock;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		r = -ENOMEM;
		goto unlock;
	}
	strcpy(p->lab, lab);
	p->id = lava_id;
	p->next = pend_head;
	pend_head = p;
unlock:
	pthread_mutex_unlock(&pend_lock);
	return r;
}

void lab_lava_pending_del(const char *lab, int64_t lava_id)
{
	struct pending **pp, *p;

	pthread_mutex_lock(&pend_lock);
	for (pp = &pend_head; (p = *pp); pp = &p->next) {
		if (p->id == lava_id && !strcmp(p->lab, lab)) {
			*pp = p->next;
			json_decref(p->payload);
			free(p);
			break;
		}
	}
	pthread_mutex_unlock(&pend_lock);
}

json_t *lab_lava_pending_take(const char *lab, int64_t lava_id)
{
	struct pending *p;
	json_t *j = NULL;

	pthread_mutex_lock(&pend_lock);
	p = pend_find(lab, lava_id);
	if (p) {
		j = p->payload;
		p->payload = NULL;
	}
	pthread_mutex_unlock(&pend_lock);
	return j;
}

/* 1 when payload stored, 0 duplicate, -ENOENT not pending */
static int pending_put(const char *lab, int64_t id, json_t *payload)
{
	struct pending *p;
	int r;

	pthread_mutex_lock(&pend_lock);
	p = pend_find(lab, id);
	if (!p) {
		r = -ENOENT;
	} else if (p->payload) {
		r = 0;
	} else {
		p->payload = json_incref(payload);
		r = 1;
	}
	pthread_mutex_unlock(&pend_lock);
	return r;
}

/* ---- the handler ---- */

static bool secret_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < lb; i++)
		d |= (unsigned char)(a[i % (la ? la : 1)] ^ b[i]);
	return d == 0 && la;
}

/* the lab secret the request carries ("Token X", "Bearer X" or raw X), or NULL */
static const char *callback_secret(struct lab_req *rq)
{
	const char *secret = rq->conn ? MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						MHD_HTTP_HEADER_AUTHORIZATION) : NULL;

	/* LAVA sends the raw secret; accept "Token X"/"Bearer X" too */
	if (secret && !strncmp(secret, "Token ", 6))
		secret += 6;
	else if (secret && !strncmp(secret, "Bearer ", 7))
		secret += 7;
	return secret;
}

int lab_lava_callback_auth(struct lab_req *rq, struct lab_resp *rs)
{
	const struct lab_lava_lab *labs;
	const char *secret;
	size_t n;

	if (lab_lava_labs_get(rq->cfg, &labs, &n, NULL, 0))
		return lab_fail(rs, -EOPNOTSUPP, "LAVA labs are misconfigured");
	secret = callback_secret(rq);
	for (size_t i = 0; secret && i < n; i++)
		if (labs[i].callback_url[0] && secret_eq(secret, labs[i].callback_token))
			return 0;
	lab_warn("lava: callback with a missing or wrong token refused");
	return lab_fail(rs, -EPERM, "missing or invalid LAVA callback token");
}

int lab_lava_callback_handle(struct lab_req *rq, struct lab_resp *rs)
{
	const struct lab_lava_lab *labs, *lab = NULL;
	const char *secret;
	json_t *body, *id;
	int64_t jid;
	size_t n;
	int r;

	/* the HTTP layer ran lab_lava_callback_auth() on the headers; again
	 * here, for callers without it (tests, fuzzers) */
	r = lab_lava_callback_auth(rq, rs);
	if (r)
		return r;
	if (lab_lava_labs_get(rq->cfg, &labs, &n, NULL, 0))
		return lab_fail(rs, -EOPNOTSUPP, "LAVA labs are misconfigured");
	secret = callback_secret(rq);
	r = lab_req_json(rq, rs, &body);
	if (r)
		return r;
	id = json_object_get(body, "id");
	if (!json_is_object(body) || !json_is_integer(id) || json_integer_value(id) <= 0) {
		json_decref(body);
		return lab_fail(rs, -EINVAL, "callback body must be an object with a positive \"id\"");
	}
	jid = json_integer_value(id);
	/* several labs may share one LAVA server and token: the pending run decides */
	r = -ENOENT;
	for (size_t i = 0; i < n && r < 0; i++) {
		if (!labs[i].callback_url[0] || !secret_eq(secret, labs[i].callback_token))
			continue;
		r = pending_put(labs[i].name, jid, body);
		if (r >= 0)
			lab = &labs[i];
	}
	if (r < 0) {
		lab_info("lava: callback for LAVA job %lld: no pending run (already ingested or unknown)",
			 (long long)jid);
		json_decref(body);
		return lab_fail(rs, -ENOENT, "no pending iommulab run for LAVA job %lld",
				(long long)jid);
	}
	lab_info("lava: callback for LAVA job %lld on lab %s%s", (long long)jid, lab->name,
		 r ? "" : " (duplicate, ignored)");
	rs->json = json_pack("{s:b,s:I,s:s}", "accepted", r == 1, "lava_job", (json_int_t)jid,
			     "lab", lab->name);
	json_decref(body);
	if (rq->sched)
		lab_sched_kick(rq->sched);
	return 0;
}
