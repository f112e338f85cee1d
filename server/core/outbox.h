/* SPDX-License-Identifier: GPL-2.0 */
/*
 * outbox.h - subscriptions and the outbox of their deliveries (issue 18.2):
 * the store's subscriptions/deliveries tables (schema/0008) and the one
 * function that turns an event into deliveries.
 *
 * Events: "finding-opened", "finding-fixed" (core/findings.c), "infra-storm"
 * (flows/health.c: consecutive infrastructure failures on one target),
 * "patch-check" (flows/patchevent.c: a patch check reached its verdict),
 * "nightly-regression" (flows/nightly.c: a nightly compared with the one
 * before it found regressions; also sent to nightly.json's own webhook).
 * lab_outbox_emit() adds one pending delivery per subscription that wants
 * the event and whose filters match (driver and vendor exact, case a glob;
 * NULL: any), inside the caller's transaction when it has one;
 * lab_outbox_emit_keys() the same for an event about several drivers,
 * targets and cases (struct lab_outbox_keys). Sending is flows/deliver.c's.
 *
 * Files: outbox.c the rules (checks, matching), store_outbox.c the SQL.
 * Invariants: parameterised SQL; a subscription's secret is never read
 * back by a list (lab_store_subscriptions_rows()).
 * Ownership: strings are the caller's. Errors: 0 or -errno; -EINVAL a bad
 * subscription (with @err).
 */
#ifndef LAB_OUTBOX_H
#define LAB_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define LAB_OUTBOX_EVENTS "finding-opened,finding-fixed,infra-storm,patch-check,nightly-regression"

struct lab_subscription {
	int64_t id;
	const char *kind;	/* webhook | maildir */
	const char *url, *maildir, *secret;
	const char *driver, *vendor, *case_glob;
	const char *events;	/* comma-separated, NULL: all */
};

/* check and store @s (sets s->id) */
int lab_subscription_add(struct lab_store *st, struct lab_subscription *s, const char *by,
			 char *err, size_t errlen);

/* the one subscription the daemon keeps for a config file (@owner, e.g.
 * "config:nightly.json": its created_by), checked by the same rules, added
 * or updated in place (its deliveries stay); sets s->id */
int lab_subscription_own(struct lab_store *st, struct lab_subscription *s, const char *owner,
			 char *err, size_t errlen);
/* @owner's subscription (if any) wants no event any more (events "") */
int lab_subscription_disown(struct lab_store *st, const char *owner);

/* does any subscription want @event (whatever its filters)? An emitter
 * with a costly payload asks first (findings.c: once per batch) */
int lab_outbox_wanted(struct lab_store *st, const char *event, bool *yes);

/* one delivery per matching subscription of @event with body @payload (JSON text) */
int lab_outbox_emit(struct lab_store *st, const char *event, const char *driver,
		    const char *vendor, const char *case_id, const char *payload);

/*
 * What an event about several drivers, targets and cases is about (a patch
 * check, a nightly's regressions), for the filters: NULL-terminated sets of
 * distinct copies, at most LAB_OUTBOX_KEYS - 1 each (the rest left out);
 * a subscription matches when its driver is in drivers, its vendor in
 * vendors (the targets' vendors), its case glob matches one of cases.
 * Zero-initialise; lab_outbox_keys_clear() frees.
 */
#define LAB_OUTBOX_KEYS 64
struct lab_outbox_keys {
	char *drivers[LAB_OUTBOX_KEYS], *vendors[LAB_OUTBOX_KEYS], *cases[LAB_OUTBOX_KEYS];
};
/* each of @driver, @target (its vendor is looked up), @case_id may be NULL */
int lab_outbox_keys_add(struct lab_store *st, struct lab_outbox_keys *k, const char *driver,
			const char *target, const char *case_id);
void lab_outbox_keys_clear(struct lab_outbox_keys *k);
int lab_outbox_emit_keys(struct lab_store *st, const char *event,
			 const struct lab_outbox_keys *k, const char *payload);

/* patch checks that may have reached a verdict and whose "patch-check"
 * event is not out yet (every job final, or one incomplete or canceled),
 * oldest first, at most @max; and the mark that it is (in the caller's
 * transaction, with the event) */
int lab_store_patch_unannounced(struct lab_store *st, int64_t *ids, size_t max, size_t *n);
int lab_store_patch_announce(struct lab_store *st, int64_t plan_id, const char *state);

/* a due delivery with its subscription (the strings live until the next call) */
struct lab_delivery {
	int64_t id, subscription_id;
	int attempts;
	char event[32], kind[16];
	char *payload, *url, *maildir, *secret;
};
void lab_delivery_clear(struct lab_delivery *d);
/* pending deliveries with next_at <= now, oldest first, at most @max */
int lab_outbox_due(struct lab_store *st, int64_t now, struct lab_delivery *out, size_t max,
		   size_t *n);
/* log attempt (status: HTTP status or 0; @error NULL on success); @delivered,
 * else pending again at @next_at, or failed when @next_at is 0 */
int lab_outbox_attempt(struct lab_store *st, int64_t id, int status, const char *error,
		       bool delivered, int64_t next_at);

/* rows: subscriptions (no secret), newest first; one's deliveries with their attempts */
int lab_store_subscriptions_rows(struct lab_store *st, lab_store_row_fn fn, void *arg);
int lab_store_deliveries_rows(struct lab_store *st, int64_t sub_id, lab_store_row_fn fn,
			      void *arg);

#endif /* LAB_OUTBOX_H */
