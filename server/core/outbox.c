/* SPDX-License-Identifier: GPL-2.0 */
/*
 * outbox.c - the rules of subscriptions and events (outbox.h): what a
 * subscription may say, which subscriptions an event reaches.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <string.h>

#include "names.h"
#include "outbox.h"
#include "store.h"

int store_outbox_subs_each(struct lab_store *st, const char *event,
			   int (*fn)(int64_t id, const char *driver, const char *vendor,
				     const char *case_glob, void *arg), void *arg);
int store_outbox_insert(struct lab_store *st, int64_t sub, const char *event, const char *payload);
int store_subscription_insert(struct lab_store *st, struct lab_subscription *s, const char *by);

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

int lab_subscription_add(struct lab_store *st, struct lab_subscription *s, const char *by,
			 char *err, size_t errlen)
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
	return store_subscription_insert(st, s, by);
}

struct emit {
	struct lab_store *st;
	const char *event, *driver, *vendor, *case_id, *payload;
	int n;
};

static bool glob_any(const char *pat, const char *s)
{
	char one[257];

	if (!pat || !*pat)
		return true;
	for (const char *p = pat; *p; ) {
		size_t n = strcspn(p, ",");

		if (n && n < sizeof(one)) {
			memcpy(one, p, n);
			one[n] = '\0';
			if (fnmatch(one, s ? s : "", 0) == 0)
				return true;
		}
		p += n + (p[n] == ',');
	}
	return false;
}

static int emit_one(int64_t id, const char *driver, const char *vendor, const char *case_glob,
		    void *arg)
{
	struct emit *e = arg;

	if ((driver && (!e->driver || strcmp(driver, e->driver))) ||
	    (vendor && (!e->vendor || strcmp(vendor, e->vendor))) ||
	    !glob_any(case_glob, e->case_id))
		return 0;
	e->n++;
	return store_outbox_insert(e->st, id, e->event, e->payload);
}

int lab_outbox_emit(struct lab_store *st, const char *event, const char *driver,
		    const char *vendor, const char *case_id, const char *payload)
{
	struct emit e = { st, event, driver, vendor, case_id, payload, 0 };

	if (!event || !payload)
		return -EINVAL;
	return store_outbox_subs_each(st, event, emit_one, &e);
}
