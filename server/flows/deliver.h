/* SPDX-License-Identifier: GPL-2.0 */
/*
 * deliver.h - sends the outbox's deliveries (core/outbox.h, issue 18.2).
 *
 * Purpose: on the scheduler's tick (flows/ticks.c), at most once a second,
 * each due delivery is sent once:
 *   webhook  POST of the payload (application/json) with
 *              X-Iommulab-Event: EVENT, X-Iommulab-Delivery: ID,
 *              X-Iommulab-Signature-256: sha256=HEX, the HMAC-SHA256 of the
 *              body under the subscription's secret (as GitHub signs its
 *              webhooks: the receiver recomputes it over the raw body);
 *            a 2xx answer delivers it;
 *   maildir  a mail (From, To, Subject "[iommulab] EVENT ...", Date,
 *            Message-ID, the JSON as the body) written to DIR/tmp and
 *            renamed into DIR/new (the maildir protocol: a reader never
 *            sees half a mail).
 * A failed attempt is retried after BASE * 2^attempts seconds (BASE:
 * $IOMMULAB_DELIVERY_BACKOFF_S, default 30; capped at an hour), up to 8
 * attempts, then the delivery is failed. Every attempt is logged
 * (delivery_attempts: time, HTTP status, error).
 *
 * Invariants: a send has a 3 s connect and 5 s total limit (it runs on the
 * scheduler thread); at most 16 deliveries a pass. Errors: logged.
 */
#ifndef LAB_DELIVER_H
#define LAB_DELIVER_H

#include "config.h"
#include "store.h"

int lab_deliver_tick(struct lab_store *st, const struct lab_config *cfg);

#endif /* LAB_DELIVER_H */
