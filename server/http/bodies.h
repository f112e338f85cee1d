/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bodies.h - the JSON request bodies of the write routes, as tables, and
 * the one function that checks a body against its table.
 *
 * Each route's body is a const array of fields (bodies.c) ending in a
 * sentinel: the key, its type, whether it is required or may be null, the
 * name rule of its strings (names.h), its integer range, its enum values.
 * lab_body_check() refuses, before anything is written: a body that is not
 * an object, an unknown key (the message lists the allowed ones), a missing
 * required key, a value of the wrong type, an integer out of range, a
 * string against its name rule, an enum value not in the set. What a table
 * cannot say (a recipe's parts, a series' shape, a plan's kernels existing)
 * the handler or the store checks after it, still before any write.
 * docs/openapi.yaml documents the same bodies (tests/stages/25-api.sh
 * checks the keys of both agree).
 *
 * Ownership: nothing is allocated. Errors: 0 or -EINVAL with the message in
 * @err.
 */
#ifndef LAB_BODIES_H
#define LAB_BODIES_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "names.h"

enum lab_body_type {
	LAB_BODY_STRING,	/* checked by .kind, or only .hi bytes with kind -1 */
	LAB_BODY_INT,		/* an integer in [.lo, .hi] */
	LAB_BODY_BOOL,
	LAB_BODY_ENUM,		/* a string among .values ("admin|ingest") */
	LAB_BODY_STRINGS,	/* an array of .lo..hi strings, each by .kind */
	LAB_BODY_ARRAY,		/* an array of .lo..hi items (checked by the handler) */
	LAB_BODY_TEXT_OR_ARRAY,	/* a string of at most .hi bytes, or an array (handler) */
};

enum {
	LAB_BODY_REQUIRED = 1 << 0,
	LAB_BODY_NULLABLE = 1 << 1,	/* null is the same as absent */
	LAB_BODY_EXPR = 1 << 2,		/* STRINGS: an entry with '=', '*', '?', '[' or
					 * "all" is a match expression, not a name */
};

struct lab_body_field {
	const char *key;	/* NULL ends the table */
	enum lab_body_type type;
	unsigned flags;
	int kind;		/* enum lab_name_kind, or -1 */
	int64_t lo, hi;
	const char *values;	/* ENUM */
};

/* the bodies (bodies.c) */
extern const struct lab_body_field lab_body_kernel[];	/* POST /kernels */
extern const struct lab_body_field lab_body_catalogue[];	/* POST /cases (an object) */
extern const struct lab_body_field lab_body_case[];	/* one entry of "cases" */
extern const struct lab_body_field lab_body_plan[];	/* POST /plans */
extern const struct lab_body_field lab_body_rejudge[];	/* POST /contracts/rejudge */
extern const struct lab_body_field lab_body_token[];	/* POST /tokens */
extern const struct lab_body_field lab_body_job_action[];	/* POST /jobs/{id}/cancel|retry */
extern const struct lab_body_field lab_body_patch[];	/* POST /patches */
extern const struct lab_body_field lab_body_finding_ack[];	/* POST /findings/{id}/ack */
extern const struct lab_body_field lab_body_finding_link[];	/* POST /findings/{id}/link */
extern const struct lab_body_field lab_body_finding_expect[];	/* POST /findings/{id}/expect */
extern const struct lab_body_field lab_body_known_issue[];	/* POST /known-issues */
extern const struct lab_body_field lab_body_known_issue_retire[];	/* POST /known-issues/{id}/retire */
extern const struct lab_body_field lab_body_target_state[];	/* POST /targets/{name}/state */
extern const struct lab_body_field lab_body_target_check[];	/* POST /targets/{name}/check */
extern const struct lab_body_field lab_body_subscription[];	/* POST /subscriptions */

/*
 * 0 when @body (an object) follows @fields; else -EINVAL and "<where>: ..."
 * in @err (@where names the body or the entry: "kernel", "cases[3]").
 */
int lab_body_check(json_t *body, const struct lab_body_field *fields, const char *where,
		   char *err, size_t errlen);

#endif /* LAB_BODIES_H */
