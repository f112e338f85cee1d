/* SPDX-License-Identifier: GPL-2.0 */
/*
 * record_json.h - agent records from JSON text to struct lab_result, in one
 * streaming pass (yajl's event parser; no JSON tree is built).
 *
 * Purpose: the one decoder and validator of record objects (docs/records.md).
 * Both ways results enter the server use it:
 *   lab_record_decode()        one record object, e.g. the JSON after
 *                              "IOMMULAB-REC " in a console log (record.c)
 *   lab_results_body_decode()  a POST /api/v1/results body,
 *                              {"job": ID, "records": [...], "complete": B}
 *                              or {"job": ID, "log": "..."}, records decoded
 *                              as they stream past (api.c)
 *
 * Rules (the same for both): a record needs "v" = 1, "id", "target",
 * "kernel", "driver", "verdict", "observed" and "steps"; strings have a
 * maximum length, no NUL and (for id/target/arch) a charset; integers are
 * range-checked and never reals; "expected" is needed by pass/fail;
 * "steps" is an array of at most 64 {"name", "errno", "err"?} objects and
 * is stored as compact JSON text. Unknown keys are ignored (forward
 * compatibility); duplicate keys make the JSON malformed, as do nesting
 * deeper than 64, more than 64 unknown keys in one object, or an integer
 * outside 64 bits. When a record breaks
 * several rules, the first in the order of docs/records.md's table is
 * reported, whatever the key order in the text.
 *
 * Body rules: every record of one body names the same target, kernel and
 * arch (one job runs on one target); the first record that breaks a rule
 * stops decoding of records (the rest is still checked as JSON). More than
 * @max_records records is an error of its own (bad_errno -E2BIG).
 *
 * Robustness: input is untrusted (fuzzed); nothing is read beyond @len.
 *
 * Ownership: lab_record_decode()'s @out owns its strings (lab_result_clear).
 * A body's records point into the body's arena: free them only with
 * lab_results_body_clear(), never with lab_result_clear().
 *
 * Errors: 0, -EINVAL (malformed: @err says why, at "line L column C" for
 * JSON syntax) or -ENOMEM. For a body, 0 means "well-formed JSON": the
 * caller then looks at the fields and at bad_index.
 */
#ifndef LAB_RECORD_JSON_H
#define LAB_RECORD_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "model.h"

#define LAB_RECORD_ERR_MAX 512

/* what a record says it ran on ("" and has_arch false when absent) */
struct lab_record_ident {
	char target[65];
	char kernel[129];
	char arch[33];
	bool has_arch;
};

/* write a reason into @err (when given); returns -EINVAL */
int lab_record_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

int lab_record_decode(const char *json, size_t len, struct lab_result *out,
		      struct lab_record_ident *ident, char *err, size_t errlen);

struct lab_arena;

struct lab_results_body {
	bool has_job, has_records, has_log, has_complete;	/* key present */
	int64_t job;		/* > 0 when "job" is a positive integer, else 0 */
	bool records_is_array, log_is_string, complete_is_bool;
	bool complete;
	struct lab_result *res;	/* n decoded records (strings in the arena) */
	size_t n;
	struct lab_record_ident ident;	/* records[0]'s */
	const char *log;	/* "log", NUL-terminated (in the arena) */
	size_t log_len;
	/* the first record that broke a rule: its index, why, and the errno
	 * (-EINVAL, or -E2BIG for more than max_records); SIZE_MAX: none */
	size_t bad_index;
	int bad_errno;
	char bad[LAB_RECORD_ERR_MAX];
	/* JSON syntax errors: where */
	size_t err_line, err_column;
	struct lab_arena *arena;
};

int lab_results_body_decode(const char *body, size_t len, size_t max_records,
			    struct lab_results_body *out, char *err, size_t errlen);
void lab_results_body_clear(struct lab_results_body *b);

#endif
