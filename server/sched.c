/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched.c - the scheduler: the pure pick function, target matching, and the
 * scheduler thread that drives backends. See sched.h for the contract.
 *
 * Threading: the thread owns its store connection, its table of running
 * jobs (struct run_slot) and the backends' per-run state. Other threads
 * touch only the fields under s->lock (stop flag, kick, cancel requests,
 * stats). Cancels of running jobs are requests: the thread carries them out
 * so a backend's run state is only ever used by one thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "backend.h"
#include "sched.h"

/* ------------------------------------------------------------------ */
/* the pure decision                                                   */

size_t lab_sched_pick(const struct lab_sched_cand *cands, size_t n,
		      struct lab_sched_slot *slots, size_t nslots,
		      int *host_free, size_t *picked, size_t max_picked)
{
	size_t np = 0, open = 0, open_remote = 0, i;

	for (i = 0; i < nslots; i++) {
		if (!slots[i].usable || slots[i].running >= slots[i].concurrency)
			continue;
		open++;
		if (!slots[i].local)
			open_remote++;
	}

	for (i = 0; i < n && np < max_picked && open > 0; i++) {
		struct lab_sched_slot *t;

		if (cands[i].slot >= nslots)
			continue;
		t = &slots[cands[i].slot];
		if (!t->usable || t->running >= t->concurrency)
			continue;
		if (t->local && *host_free <= 0) {
			if (open_remote == 0)
				break;	/* only host slots could help: none left */
			continue;
		}
		picked[np++] = i;
		t->running++;
		if (t->local)
			(*host_free)--;
		if (t->running >= t->concurrency) {
			open--;
			if (!t->local)
				open_remote--;
		}
	}
	return np;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct lab_sched_cand *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (x->job_id != y->job_id)
		return x->job_id < y->job_id ? -1 : 1;
	return 0;
}

void lab_sched_order(struct lab_sched_cand *cands, size_t n)
{
	qsort(cands, n, sizeof(*cands), cand_cmp);
}

int lab_sched_host_slots(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (int)n;
}

/* ------------------------------------------------------------------ */
/* target matching                                                     */

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
