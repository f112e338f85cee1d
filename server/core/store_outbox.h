/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_outbox.h - the SQL side of subscriptions and the outbox, internal
 * to the outbox: outbox.c (the rules: what a subscription may say, which
 * subscriptions an event reaches) calls these; store_outbox.c holds the SQL.
 * Everyone else goes through outbox.h.
 *
 * Invariants: parameterised SQL only; statements prepared once per
 * connection (store_outbox.c's header says why).
 * Ownership: strings passed in are borrowed for the call.
 * Errors: 0 or -errno (store.h's rules); -ENOENT no such subscription.
 */
#ifndef LAB_STORE_OUTBOX_H
#define LAB_STORE_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "outbox.h"
#include "store.h"

/* call @fn for each subscription to @event (its filters as stored) */
int store_outbox_subs_each(struct lab_store *st, const char *event,
			   int (*fn)(int64_t id, const char *driver, const char *vendor,
				     const char *case_glob, void *arg), void *arg);
/* queue one delivery of @event's @payload to subscription @sub */
int store_outbox_insert(struct lab_store *st, int64_t sub, const char *event, const char *payload);
/* does any subscription want @event? (no payload is built when none does) */
int store_outbox_wanted(struct lab_store *st, const char *event, bool *yes);
int store_subscription_insert(struct lab_store *st, struct lab_subscription *s, const char *by);
/* the subscription a configuration file owns (@owner), if any */
int store_subscription_owned(struct lab_store *st, const char *owner, int64_t *id);
int store_subscription_update(struct lab_store *st, const struct lab_subscription *s);
/* @owner's subscription (if any) wants no event any more (events '') */
int store_subscription_disown(struct lab_store *st, const char *owner);

#endif /* LAB_STORE_OUTBOX_H */
