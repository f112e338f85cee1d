/* SPDX-License-Identifier: GPL-2.0 */
/*
 * match.c - target match expressions (see match.h).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "match.h"

enum match_key { KEY_NAME, KEY_ARCH, KEY_DRIVER, KEY_VENDOR, KEY_BACKEND, KEY_TAG };

static int parse_key(const char *s, size_t len, enum match_key *out)
{
	static const struct { const char *name; enum match_key key; } keys[] = {
		{ "name", KEY_NAME }, { "arch", KEY_ARCH },
		{ "driver", KEY_DRIVER }, { "vendor", KEY_VENDOR },
		{ "backend", KEY_BACKEND }, { "tag", KEY_TAG },
	};
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strlen(keys[i].name) == len && !memcmp(keys[i].name, s, len)) {
			*out = keys[i].key;
			return 0;
		}
	}
	return -EINVAL;
}

static bool glob_ok(const char *g, size_t len)
{
	size_t i;

	if (len == 0 || len > 128)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)g[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && !strchr("-_.*?[]!+", c))
			return false;
	}
	return true;
}

static bool value_match(const char *pat, const char *val)
{
	return val && fnmatch(pat, val, 0) == 0;
}

static bool tags_match(const char *pat, const char *tags_json)
{
	json_t *a;
	size_t i;
	json_t *v;
	bool hit = false;

	if (!tags_json)
		return false;
	a = json_loads(tags_json, 0, NULL);
	if (!json_is_array(a)) {
		json_decref(a);
		return false;
	}
	json_array_foreach(a, i, v) {
		if (json_is_string(v) && value_match(pat, json_string_value(v))) {
			hit = true;
			break;
		}
	}
	json_decref(a);
	return hit;
}

static bool key_match(enum match_key k, const char *pat, const struct lab_target *t)
{
	switch (k) {
	case KEY_NAME: return value_match(pat, t->name);
	case KEY_ARCH: return value_match(pat, t->arch);
	case KEY_DRIVER: return value_match(pat, t->driver);
	case KEY_VENDOR: return value_match(pat, t->vendor);
	case KEY_BACKEND: return value_match(pat, t->backend);
	case KEY_TAG: return tags_match(pat, t->tags);
	}
	return false;
}

/*
 * Walk @expr; with @t NULL only check syntax. Returns 1 match, 0 no match,
 * -EINVAL syntax error (checked over the whole expression either way).
 */
static int match_walk(const char *expr, const struct lab_target *t)
{
	const char *p = expr;
	bool all = true;

	if (!expr || !*expr || strlen(expr) > 1024)
		return -EINVAL;
	for (;;) {
		const char *end = strchr(p, ',');
		size_t tlen = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', tlen);
		enum match_key key = KEY_NAME;
		const char *v = p;
		bool any = false;

		if (tlen == 0)
			return -EINVAL;
		if (eq) {
			if (parse_key(p, (size_t)(eq - p), &key))
				return -EINVAL;
			v = eq + 1;
		}
		if (!eq && tlen == 3 && !memcmp(p, "all", 3)) {
			any = true;	/* "all" */
		} else {
			const char *vend = p + tlen;

			for (;;) {
				const char *bar = memchr(v, '|', (size_t)(vend - v));
				size_t vlen = bar ? (size_t)(bar - v) : (size_t)(vend - v);
				char pat[129];

				if (!glob_ok(v, vlen))
					return -EINVAL;
				memcpy(pat, v, vlen);
				pat[vlen] = '\0';
				if (t && key_match(key, pat, t))
					any = true;
				if (!bar)
					break;
				v = bar + 1;
			}
		}
		if (!any)
			all = false;
		if (!end)
			break;
		p = end + 1;
	}
	return all ? 1 : 0;
}

int lab_sched_match_check(const char *expr)
{
	int r = match_walk(expr, NULL);

	return r < 0 ? r : 0;
}

int lab_sched_match(const char *expr, const struct lab_target *t)
{
	int r = match_walk(expr, t);

	if (r <= 0)
		return r;
	if (t->health && (!strcmp(t->health, "retired") || !strcmp(t->health, "bad")))
		return 0;
	return 1;
}


bool lab_globs_match(const char *globs, const char *s)
{
	char one[513];

	if (!globs || !*globs)
		return true;
	for (const char *p = globs; *p; ) {
		size_t n = strcspn(p, ",");

		/* an empty glob matches nothing; one too long for fnmatch's copy
		 * is never truncated into a wider pattern: it matches nothing */
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

bool lab_case_filter_match(const char *filter, const char *id)
{
	return lab_globs_match(filter, id);
}
