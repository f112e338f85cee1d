/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_subscriptions.h - subscriptions and their delivery log
 * (api_subscriptions.c; rules: core/outbox.h; sending: flows/deliver.h).
 */
#ifndef LAB_API_SUBSCRIPTIONS_H
#define LAB_API_SUBSCRIPTIONS_H

#include "http.h"

/* GET /subscriptions (admin: who is told what is not public) */
int lab_api_subscriptions_list(struct lab_req *rq, struct lab_resp *rs);
/* POST /subscriptions {kind, url|maildir, secret, driver, vendor, case, events} */
int lab_api_subscription_post(struct lab_req *rq, struct lab_resp *rs);
/* GET /subscriptions/{id}/deliveries: every delivery with every attempt */
int lab_api_subscription_deliveries(struct lab_req *rq, struct lab_resp *rs);

#endif /* LAB_API_SUBSCRIPTIONS_H */
