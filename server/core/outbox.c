/* SPDX-License-Identifier: GPL-2.0 */
/*
 * outbox.c - the rules of subscriptions and events (outbox.h): what a
 * subscription may say, which subscriptions an event reaches.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "model.h"
#include "names.h"
#include "outbox.h"
#include "store.h"
#include "store_outbox.h"

static bool event_known(const char *e, size_t n)
{
	const char *all = LAB_OUTBOX_EVENTS;

	for (const char *p = all; *p; ) {
		size_t k = strcspn(p, ",");

		if (k == n && !strncmp(p, e, n))
			return true;
		p += k + (p[k] == ',');
	}
	return false;
}

/* the rules of a subscription (outbox.h); -EINVAL with @err */
static int sub_check(struct lab_subscription *s, char *err, size_t errlen)
{
	if (!s->kind || (strcmp(s->kind, "webhook") && strcmp(s->kind, "maildir"))) {
		snprintf(err, errlen, "\"kind\" must be webhook or maildir");
		return -EINVAL;
	}
	if (!strcmp(s->kind, "webhook")) {
		if (lab_name_check(LAB_NAME_URL, "\"url\"", s->url, err, errlen))
			return -EINVAL;
		if (!s->secret || strlen(s->secret) < 16 ||
		    lab_name_check(LAB_NAME_TEXT, "\"secret\"", s->secret, err, errlen)) {
			if (!s->secret || strlen(s->secret) < 16)
				snprintf(err, errlen, "\"secret\": a webhook needs a shared secret of "
					 "at least 16 bytes (its deliveries are signed with it)");
			return -EINVAL;
		}
		s->maildir = NULL;
	} else {
		if (lab_name_check(LAB_NAME_PATH, "\"maildir\"", s->maildir, err, errlen))
			return -EINVAL;
		s->url = NULL;
	}
	if ((s->driver && lab_name_check(LAB_NAME_DRIVER, "\"driver\"", s->driver, err, errlen)) ||
	    (s->vendor && lab_name_check(LAB_NAME_DRIVER, "\"vendor\"", s->vendor, err, errlen)) ||
	    (s->case_glob && lab_name_check(LAB_NAME_PATTERN, "\"case\"", s->case_glob, err, errlen)))
		return -EINVAL;
	if (s->events) {
		for (const char *p = s->events; *p; ) {
			size_t k = strcspn(p, ",");

			if (!event_known(p, k)) {
				snprintf(err, errlen, "\"events\": '%.*s' is not one of %s", (int)(k > 40 ? 40 : k),
					 p, LAB_OUTBOX_EVENTS);
				return -EINVAL;
			}
			p += k + (p[k] == ',');
		}
	}
	return 0;
}

int lab_subscription_add(struct lab_store *st, struct lab_subscription *s, const char *by,
			 char *err, size_t errlen)
{
	return sub_check(s, err, errlen) ?: store_subscription_insert(st, s, by);
}

int lab_subscription_own(struct lab_store *st, struct lab_subscription *s, const char *owner,
			 char *err, size_t errlen)
{
	int r = sub_check(s, err, errlen);

	if (r)
		return r;
	r = store_subscription_owned(st, owner, &s->id);
	if (r == -ENOENT)
		return store_subscription_insert(st, s, owner);
	return r ?: store_subscription_update(st, s);
}

int lab_subscription_disown(struct lab_store *st, const char *owner)
{
	return store_subscription_disown(st, owner);
}

struct emit {
	struct lab_store *st;
	const char *event, *payload;
	const char *const *drivers, *const *vendors, *const *cases;	/* NULL-terminated */
	int n;
};

/* a subscription's filter @want (NULL: any) is one of @have */
static bool one_of(const char *want, const char *const *have)
{
	if (!want)
		return true;
	for (; *have; have++)
		if (!strcmp(want, *have))
			return true;
	return false;
}

/* a subscription's case glob matches one of @cases; with none, as "" */
static bool glob_one_of(const char *pat, const char *const *cases)
{
	if (!*cases)
		return lab_globs_match(pat, NULL);
	for (; *cases; cases++)
		if (lab_globs_match(pat, *cases))
			return true;
	return false;
}

static int emit_one(int64_t id, const char *driver, const char *vendor, const char *case_glob,
		    void *arg)
{
	struct emit *e = arg;

	if (!one_of(driver, e->drivers) || !one_of(vendor, e->vendors) ||
	    !glob_one_of(case_glob, e->cases))
		return 0;
	e->n++;
	return store_outbox_insert(e->st, id, e->event, e->payload);
}

static int emit_sets(struct lab_store *st, const char *event, const char *const *drivers,
		     const char *const *vendors, const char *const *cases, const char *payload)
{
	struct emit e = { st, event, payload, drivers, vendors, cases, 0 };

	if (!event || !payload)
		return -EINVAL;
	return store_outbox_subs_each(st, event, emit_one, &e);
}

/* add a copy of @v to the NULL-terminated set @set once; 0 or -ENOMEM */
static int key_add(char **set, const char *v)
{
	size_t n = 0;

	if (!v || !*v)
		return 0;
	for (; set[n]; n++)
		if (!strcmp(set[n], v))
			return 0;
	if (n + 1 >= LAB_OUTBOX_KEYS)
		return 0;	/* the rest left out (outbox.h) */
	set[n] = strdup(v);
	return set[n] ? 0 : -ENOMEM;
}

int lab_outbox_keys_add(struct lab_store *st, struct lab_outbox_keys *k, const char *driver,
			const char *target, const char *case_id)
{
	int r = key_add(k->drivers, driver) ?: key_add(k->cases, case_id);

	if (!r && target && *target) {
		struct lab_target t = { 0 };

		if (lab_store_target_get(st, target, &t) == 0)
			r = key_add(k->vendors, t.vendor);
		lab_target_clear(&t);
	}
	return r;
}

void lab_outbox_keys_clear(struct lab_outbox_keys *k)
{
	for (size_t i = 0; i < LAB_OUTBOX_KEYS; i++) {
		free(k->drivers[i]);
		free(k->vendors[i]);
		free(k->cases[i]);
	}
	memset(k, 0, sizeof(*k));
}

int lab_outbox_emit_keys(struct lab_store *st, const char *event,
			 const struct lab_outbox_keys *k, const char *payload)
{
	return emit_sets(st, event, (const char *const *)k->drivers,
			 (const char *const *)k->vendors, (const char *const *)k->cases, payload);
}

int lab_outbox_wanted(struct lab_store *st, const char *event, bool *yes)
{
	return store_outbox_wanted(st, event, yes);
}

int lab_outbox_emit(struct lab_store *st, const char *event, const char *driver,
		    const char *vendor, const char *case_id, const char *payload)
{
	const char *const d[] = { driver, NULL }, *const v[] = { vendor, NULL };
	const char *const c[] = { case_id, NULL };

	return emit_sets(st, event, d, v, c, payload);
}
