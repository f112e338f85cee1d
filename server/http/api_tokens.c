/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_tokens.c - POST /tokens (api.h; shared helpers: api_int.h).
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

/* ---- tokens ------------------------------------------------------------------ */

int lab_api_token_post(struct lab_req *rq, struct lab_resp *rs)
{
	char secret[LAB_TOKEN_HEX_LEN + 1];
	const char *name, *scopes;
	json_t *body;
	int r;

	r = api_req_body(rq, rs, lab_body_token, "token", &body);
	if (r)
		return r;
	name = api_str_of(body, "name");
	scopes = api_str_of(body, "scopes");
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

