/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_subscriptions.c - /subscriptions (api_subscriptions.h; shared
 * helpers: api_int.h). A subscription is checked whole (bodies.c's table,
 * then outbox.c's rules) before it is stored; its secret is never answered.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <microhttpd.h>

#include "api_int.h"
#include "api_subscriptions.h"
#include "bodies.h"
#include "log.h"
#include "outbox.h"
#include "views.h"

int lab_api_subscriptions_list(struct lab_req *rq, struct lab_resp *rs)
{
	json_t *items;
	int r = lab_store_subscriptions_list(rq->st, &items);

	return r ? r : api_list_resp(rs, items, LIST_MAX);
}

int lab_api_subscription_post(struct lab_req *rq, struct lab_resp *rs)
{
	struct lab_subscription s = { 0 };
	json_t *body, *all, *v;
	size_t i;
	int r;

	r = api_req_body(rq, rs, lab_body_subscription, "subscription", &body);
	if (r)
		return r;
	s.kind = api_str_of(body, "kind");
	s.url = api_str_of(body, "url");
	s.maildir = api_str_of(body, "maildir");
	s.secret = api_str_of(body, "secret");
	s.driver = api_str_of(body, "driver");
	s.vendor = api_str_of(body, "vendor");
	s.case_glob = api_str_of(body, "case");
	s.events = api_str_of(body, "events");
	r = lab_subscription_add(rq->st, &s, rq->token_name, rs->err, sizeof(rs->err));
	if (!r)	/* s's strings are the body's: before it goes */
		lab_info("api: subscription %lld (%s) by %s", (long long)s.id, s.kind, rq->token_name);
	json_decref(body);
	if (r)
		return r;
	r = lab_store_subscriptions_list(rq->st, &all);
	if (r)
		return r;
	json_array_foreach(all, i, v)
		if (json_integer_value(json_object_get(v, "id")) == s.id)
			rs->json = json_incref(v);
	json_decref(all);
	if (!rs->json)
		return -ENOMEM;
	rs->status = MHD_HTTP_CREATED;
	return 0;
}

int lab_api_subscription_deliveries(struct lab_req *rq, struct lab_resp *rs)
{
	json_t *items;
	int64_t id;
	int r = lab_req_id(rq, rs, 0, &id);

	if (r)
		return r;
	r = lab_store_deliveries_list(rq->st, id, &items);
	return r ? r : api_list_resp(rs, items, LIST_MAX);
}
