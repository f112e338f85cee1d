/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bodies.c - the request bodies of the write routes and their checker
 * (bodies.h). Ranges here are the store's (store.c int_field calls) and the
 * patch flow's (patch.h); names follow names.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bodies.h"
#include "patch.h"

#define OPT (LAB_BODY_NULLABLE)
#define REQ (LAB_BODY_REQUIRED)

/*
 * The fields of a plan that a patch check (and a target check's "cases")
 * pass on to a plan, stated once: their ranges are plan.c's (int_field);
 * each table lists them in its own order (the order of its error text).
 */
#define F_PLAN_NAME	{ "name", LAB_BODY_STRING, OPT, LAB_NAME_PLAN, 0, 0, NULL }
#define F_TARGETS	{ "targets", LAB_BODY_STRINGS, OPT | LAB_BODY_EXPR, LAB_NAME_TARGET, 1, 256, NULL }
#define F_CASES		{ "cases", LAB_BODY_STRING, OPT, LAB_NAME_CASE_FILTER, 0, 0, NULL }
#define F_REPEAT	{ "repeat", LAB_BODY_INT, OPT, -1, 1, 1000, NULL }
#define F_PRIORITY	{ "priority", LAB_BODY_INT, OPT, -1, -1000, 1000, NULL }
#define F_TIMEOUT	{ "timeout_s", LAB_BODY_INT, OPT, -1, 10, 86400, NULL }

const struct lab_body_field lab_body_kernel[] = {
	{ "name", LAB_BODY_STRING, REQ, LAB_NAME_KERNEL, 0, 0, NULL },
	{ "release", LAB_BODY_STRING, OPT, LAB_NAME_RELEASE, 0, 0, NULL },
	{ "version", LAB_BODY_STRING, OPT, LAB_NAME_VERSION, 0, 0, NULL },
	{ "arch", LAB_BODY_ENUM, OPT, -1, 0, 0, "x86_64|arm64|s390x|riscv64" },
	{ "source", LAB_BODY_ENUM, OPT, -1, 0, 0, "debian|url|local|build" },
	/* its rule depends on "source": lab_name_check_source_ref() */
	{ "source_ref", LAB_BODY_STRING, OPT, -1, 0, 1024, NULL },
	{ "sha256", LAB_BODY_STRING, OPT, LAB_NAME_SHA256, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

const struct lab_body_field lab_body_catalogue[] = {
	{ "v", LAB_BODY_INT, OPT, -1, 1, 1, NULL },
	{ "cases", LAB_BODY_ARRAY, REQ, -1, 0, 100000, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

const struct lab_body_field lab_body_case[] = {
	{ "id", LAB_BODY_STRING, REQ, LAB_NAME_CASE, 0, 0, NULL },
	{ "title", LAB_BODY_STRING, OPT, LAB_NAME_TEXT, 0, 0, NULL },
	{ "description", LAB_BODY_STRING, OPT, LAB_NAME_TEXT, 0, 0, NULL },
	{ "contracts", LAB_BODY_ARRAY, OPT, -1, 0, 1000, NULL },
	{ "needs", LAB_BODY_ARRAY, OPT, -1, 0, 64, NULL },
	{ "expect_reused", LAB_BODY_BOOL, OPT, -1, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

const struct lab_body_field lab_body_rejudge[] = {
	{ "case", LAB_BODY_STRING, OPT, LAB_NAME_CASE, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

const struct lab_body_field lab_body_plan[] = {
	{ "kind", LAB_BODY_ENUM, REQ, -1, 0, 0, "manual|nightly|patch" },
	F_PLAN_NAME,
	{ "kernels", LAB_BODY_STRINGS, REQ, LAB_NAME_KERNEL, 1, 64, NULL },
	F_TARGETS,
	F_CASES,
	F_REPEAT,
	F_PRIORITY,
	{ "max_attempts", LAB_BODY_INT, OPT, -1, 1, 10, NULL },
	F_TIMEOUT,
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

const struct lab_body_field lab_body_token[] = {
	{ "name", LAB_BODY_STRING, REQ, LAB_NAME_TOKEN, 0, 0, NULL },
	{ "scopes", LAB_BODY_ENUM, REQ, -1, 0, 0, "admin|ingest" },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

const struct lab_body_field lab_body_job_action[] = {
	{ "reason", LAB_BODY_STRING, OPT, LAB_NAME_TEXT, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

const struct lab_body_field lab_body_patch[] = {
	F_PLAN_NAME,
	/* a registered build kernel or a tree: the patch flow tells which */
	{ "base", LAB_BODY_STRING, REQ, -1, 0, 512, NULL },
	{ "series", LAB_BODY_TEXT_OR_ARRAY, REQ, -1, 0, LAB_PATCH_SERIES_MAX, NULL },
	F_TARGETS,
	F_CASES,
	F_REPEAT,
	F_PRIORITY,
	F_TIMEOUT,
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

const struct lab_body_field lab_body_finding_ack[] = {
	{ "note", LAB_BODY_STRING, OPT, LAB_NAME_TEXT, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

/* one of the two (the handler says so); their rules are core/findings.c's */
const struct lab_body_field lab_body_finding_link[] = {
	{ "url", LAB_BODY_STRING, OPT, LAB_NAME_URL, 0, 0, NULL },
	{ "msgid", LAB_BODY_STRING, OPT, -1, 0, 256, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

const struct lab_body_field lab_body_finding_expect[] = {
	{ "reason", LAB_BODY_STRING, REQ, LAB_NAME_TEXT, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

const struct lab_body_field lab_body_known_issue_retire[] = {
	{ "reason", LAB_BODY_STRING, REQ, LAB_NAME_TEXT, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

const struct lab_body_field lab_body_known_issue[] = {
	{ "driver", LAB_BODY_STRING, OPT, LAB_NAME_DRIVER, 0, 0, NULL },
	{ "case", LAB_BODY_STRING, OPT, LAB_NAME_PATTERN, 0, 0, NULL },
	{ "target", LAB_BODY_STRING, OPT, LAB_NAME_PATTERN, 0, 0, NULL },
	{ "kernel_min", LAB_BODY_STRING, OPT, LAB_NAME_VERSION, 0, 0, NULL },
	{ "kernel_max", LAB_BODY_STRING, OPT, LAB_NAME_VERSION, 0, 0, NULL },
	{ "reason", LAB_BODY_STRING, REQ, LAB_NAME_TEXT, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

const struct lab_body_field lab_body_target_state[] = {
	{ "state", LAB_BODY_ENUM, REQ, -1, 0, 0, "active|maintenance|retired" },
	{ "reason", LAB_BODY_STRING, OPT, LAB_NAME_TEXT, 0, 0, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

const struct lab_body_field lab_body_target_check[] = {
	{ "kernel", LAB_BODY_STRING, OPT, LAB_NAME_KERNEL, 0, 0, NULL },
	F_CASES,
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

/* the rules of url/maildir/secret/events by kind: core/outbox.c */
const struct lab_body_field lab_body_subscription[] = {
	{ "kind", LAB_BODY_ENUM, REQ, -1, 0, 0, "webhook|maildir" },
	{ "url", LAB_BODY_STRING, OPT, LAB_NAME_URL, 0, 0, NULL },
	{ "maildir", LAB_BODY_STRING, OPT, LAB_NAME_PATH, 0, 0, NULL },
	{ "secret", LAB_BODY_STRING, OPT, -1, 0, 200, NULL },
	{ "driver", LAB_BODY_STRING, OPT, LAB_NAME_DRIVER, 0, 0, NULL },
	{ "vendor", LAB_BODY_STRING, OPT, LAB_NAME_DRIVER, 0, 0, NULL },
	{ "case", LAB_BODY_STRING, OPT, LAB_NAME_PATTERN, 0, 0, NULL },
	{ "events", LAB_BODY_STRING, OPT, -1, 0, 200, NULL },
	{ NULL, 0, 0, 0, 0, 0, NULL },
};

/* "a, b, c" of the table's keys */
static void keys_of(const struct lab_body_field *f, char *buf, size_t n)
{
	size_t used = 0;

	buf[0] = '\0';
	for (; f->key && used < n; f++)
		used += (size_t)snprintf(buf + used, n - used, "%s%s", used ? ", " : "", f->key);
}

static bool enum_has(const char *values, const char *s)
{
	size_t l = strlen(s);

	for (const char *p = values; p && *p; ) {
		size_t k = strcspn(p, "|");

		if (k == l && !strncmp(p, s, l))
			return true;
		p += k + (p[k] == '|');
	}
	return false;
}

/* a target entry that is a match expression rather than a name (store.c) */
static bool is_expr(const char *s)
{
	return strpbrk(s, "=*?[") || !strcmp(s, "all");
}

/* @v is a string without a NUL inside (jansson allows "\u0000") */
static bool plain_string(json_t *v)
{
	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

static int check_string(json_t *v, const struct lab_body_field *f, const char *where,
			const char *field, char *err, size_t errlen)
{
	char label[160];

	if (!plain_string(v)) {
		snprintf(err, errlen, "%s: \"%s\" must be a string", where, field);
		return -EINVAL;
	}
	if (f->kind < 0) {
		if (json_string_length(v) == 0 || (int64_t)json_string_length(v) > f->hi) {
			snprintf(err, errlen, "%s: \"%s\" must be a string of 1-%lld bytes", where,
				 field, (long long)f->hi);
			return -EINVAL;
		}
		return 0;
	}
	snprintf(label, sizeof(label), "%s: \"%s\"", where, field);
	return lab_name_check(f->kind, label, json_string_value(v), err, errlen);
}

int lab_body_check(json_t *body, const struct lab_body_field *fields, const char *where,
		   char *err, size_t errlen)
{
	const struct lab_body_field *f;
	const char *key;
	json_t *v;
	int r;

	if (!json_is_object(body)) {
		snprintf(err, errlen, "%s: the body must be a JSON object", where);
		return -EINVAL;
	}
	json_object_foreach(body, key, v) {
		for (f = fields; f->key && strcmp(f->key, key); f++)
			;
		if (!f->key) {
			char allowed[400];

			keys_of(fields, allowed, sizeof(allowed));
			snprintf(err, errlen, "%s: unknown key \"%.64s\" (allowed: %s)", where, key,
				 allowed);
			return -EINVAL;
		}
	}
	for (f = fields; f->key; f++) {
		v = json_object_get(body, f->key);
		if (v && json_is_null(v) && (f->flags & LAB_BODY_NULLABLE))
			v = NULL;
		if (!v) {
			if (f->flags & LAB_BODY_REQUIRED) {
				snprintf(err, errlen, "%s: \"%s\" is required", where, f->key);
				return -EINVAL;
			}
			continue;
		}
		switch (f->type) {
		case LAB_BODY_STRING:
			r = check_string(v, f, where, f->key, err, errlen);
			if (r)
				return r;
			break;
		case LAB_BODY_INT:
			if (!json_is_integer(v) || json_integer_value(v) < f->lo ||
			    json_integer_value(v) > f->hi) {
				snprintf(err, errlen, "%s: \"%s\" must be an integer %lld..%lld", where,
					 f->key, (long long)f->lo, (long long)f->hi);
				return -EINVAL;
			}
			break;
		case LAB_BODY_BOOL:
			if (!json_is_boolean(v)) {
				snprintf(err, errlen, "%s: \"%s\" must be true or false", where, f->key);
				return -EINVAL;
			}
			break;
		case LAB_BODY_ENUM:
			if (!plain_string(v) || !enum_has(f->values, json_string_value(v))) {
				char vals[128];
				size_t i;

				snprintf(vals, sizeof(vals), "%s", f->values);
				for (i = 0; vals[i]; i++)
					if (vals[i] == '|')
						vals[i] = ',';
				snprintf(err, errlen, "%s: \"%s\" must be one of %s", where, f->key, vals);
				return -EINVAL;
			}
			break;
		case LAB_BODY_STRINGS:
		case LAB_BODY_ARRAY: {
			size_t i, n = json_array_size(v);
			json_t *e;

			if (!json_is_array(v) || (int64_t)n < f->lo || (int64_t)n > f->hi) {
				snprintf(err, errlen, "%s: \"%s\" must be an array of %lld-%lld %s", where,
					 f->key, (long long)f->lo, (long long)f->hi,
					 f->type == LAB_BODY_STRINGS ? "strings" : "items");
				return -EINVAL;
			}
			if (f->type == LAB_BODY_ARRAY)
				break;
			json_array_foreach(v, i, e) {
				char label[160];

				snprintf(label, sizeof(label), "%s: \"%s\"[%zu]", where, f->key, i);
				if (!plain_string(e)) {
					snprintf(err, errlen, "%s must be a string", label);
					return -EINVAL;
				}
				if ((f->flags & LAB_BODY_EXPR) && is_expr(json_string_value(e))) {
					if (json_string_length(e) > 256) {
						snprintf(err, errlen, "%s: a match expression of at "
							 "most 256 bytes", label);
						return -EINVAL;
					}
					continue;	/* the store parses it (sched.h) */
				}
				r = lab_name_check(f->kind, label, json_string_value(e), err, errlen);
				if (r)
					return r;
			}
			break;
		}
		case LAB_BODY_TEXT_OR_ARRAY:
			if (json_is_array(v))
				break;
			if (!plain_string(v) || json_string_length(v) == 0 ||
			    (int64_t)json_string_length(v) > f->hi) {
				snprintf(err, errlen, "%s: \"%s\" must be a text of 1-%lld bytes (no NUL) "
					 "or an array", where, f->key, (long long)f->hi);
				return -EINVAL;
			}
			break;
		}
	}
	return 0;
}
