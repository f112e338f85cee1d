/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diff_known.c - label diff rows a known issue covers (diff_known.h).
 *
 * Kept apart from diff.c: diff.c classifies, this file only says whether a
 * known issue excuses a row or is contradicted by it; diff.c calls it once
 * per row and writes what it returns.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "diff_known.h"
#include "findings.h"

void lab_diff_known_retire_cmd(int64_t id, char *buf, size_t n)
{
	snprintf(buf, n, "iommulab findings retire %lld --reason TEXT", (long long)id);
}

const char *lab_known_label_name(enum lab_known_label l)
{
	switch (l) {
	case LAB_KNOWN_NONE: return "";
	case LAB_KNOWN_EXPECTED: return "expected";
	case LAB_KNOWN_EXPECTED_PASSED: return "expected_passed";
	}
	return "";
}

int lab_diff_known_load(struct lab_store *st, bool by_plan, json_t *hdesc,
			struct lab_diff_known *k)
{
	const char *v = json_string_value(json_object_get(hdesc, "version"));

	memset(k, 0, sizeof(*k));
	k->st = st;
	k->by_plan = by_plan;
	k->head_id = json_integer_value(json_object_get(hdesc, "id"));
	snprintf(k->head_kernel, sizeof(k->head_kernel), "%s",
		 v && *v ? v : json_string_value(json_object_get(hdesc, "name")) ?: "");
	return lab_store_known_issues_load(st, &k->ki, &k->n);
}

void lab_diff_known_clear(struct lab_diff_known *k)
{
	if (!k)
		return;
	lab_known_issues_free(k->ki, k->n);
	k->ki = NULL;
	k->n = 0;
}

static bool fails(enum lab_verdict v)
{
	return v == LAB_VERDICT_FAIL || v == LAB_VERDICT_ERROR || v == LAB_VERDICT_CRASH ||
	       v == LAB_VERDICT_WARN;
}

/* does some repeat of @s fail (all: does every repeat pass)? */
static bool side_fails(const struct lab_diff_side *s)
{
	for (size_t i = 0; i < s->npairs && i < LAB_DIFF_PAIRS_MAX; i++)
		if (fails(s->pairs[i].verdict))
			return true;
	return false;
}

static bool side_passes(const struct lab_diff_side *s)
{
	return s->npairs == 1 && s->pairs[0].verdict == LAB_VERDICT_PASS;
}

int lab_diff_known_row(struct lab_diff_known *k, const char *target, const char *driver,
		       const char *case_id, int64_t head_result_id,
		       const struct lab_diff_side *b, const struct lab_diff_side *h,
		       enum lab_known_label *label, const struct lab_known_issue **ki)
{
	enum lab_known_label l = LAB_KNOWN_NONE;
	char kernel[129];
	int r;

	*label = LAB_KNOWN_NONE;
	*ki = NULL;
	if (!k->n)
		return 0;
	if (!h || side_fails(h))
		l = LAB_KNOWN_EXPECTED;
	else if (b && side_fails(b) && side_passes(h))
		l = LAB_KNOWN_EXPECTED_PASSED;
	if (l == LAB_KNOWN_NONE)
		return 0;
	if (k->by_plan) {
		r = lab_store_diff_kernel_key(k->st, true, k->head_id, head_result_id, target,
					      kernel, sizeof(kernel));
		if (r == -ENOENT)
			kernel[0] = '\0';	/* no job: only an open range matches */
		else if (r)
			return r;
	} else {
		snprintf(kernel, sizeof(kernel), "%s", k->head_kernel);
	}
	for (size_t i = 0; i < k->n; i++) {
		if (lab_known_issue_matches(&k->ki[i], driver, case_id, target, kernel)) {
			*label = l;
			*ki = &k->ki[i];
			return 0;
		}
	}
	return 0;
}

void lab_diff_known_json(struct lab_jsonbuf *b, enum lab_known_label l,
			 const struct lab_known_issue *ki)
{
	lab_jsonbuf_lit(b, ",\"known_issue\":");
	if (l == LAB_KNOWN_NONE || !ki) {
		lab_jsonbuf_null(b);
		return;
	}
	lab_jsonbuf_lit(b, "{\"id\":");
	lab_jsonbuf_int(b, ki->id);
	lab_jsonbuf_lit(b, ",\"label\":");
	lab_jsonbuf_str(b, lab_known_label_name(l));
	lab_jsonbuf_lit(b, ",\"reason\":");
	lab_jsonbuf_str(b, ki->reason ? ki->reason : "");
	if (l == LAB_KNOWN_EXPECTED_PASSED) {
		char cmd[96];

		lab_diff_known_retire_cmd(ki->id, cmd, sizeof(cmd));
		lab_jsonbuf_lit(b, ",\"retire\":");
		lab_jsonbuf_str(b, cmd);
	}
	lab_jsonbuf_raw(b, "}", 1);
}

void lab_diff_known_summary(struct lab_jsonbuf *b, const int counts[LAB_KNOWN_NLABELS])
{
	lab_jsonbuf_lit(b, ",\"expected\":");
	lab_jsonbuf_int(b, counts[LAB_KNOWN_EXPECTED]);
	lab_jsonbuf_lit(b, ",\"expected_passed\":");
	lab_jsonbuf_int(b, counts[LAB_KNOWN_EXPECTED_PASSED]);
}

enum lab_known_label lab_diff_known_of(json_t *row, int64_t *id, const char **reason)
{
	json_t *k = json_object_get(row, "known_issue");
	const char *l = json_string_value(json_object_get(k, "label"));

	if (!json_is_object(k) || !l)
		return LAB_KNOWN_NONE;
	if (id)
		*id = json_integer_value(json_object_get(k, "id"));
	if (reason)
		*reason = json_string_value(json_object_get(k, "reason")) ?: "";
	if (!strcmp(l, "expected"))
		return LAB_KNOWN_EXPECTED;
	if (!strcmp(l, "expected_passed"))
		return LAB_KNOWN_EXPECTED_PASSED;
	return LAB_KNOWN_NONE;
}

void lab_diff_known_cell(json_t *row, char *buf, size_t n)
{
	int64_t id = 0;

	switch (lab_diff_known_of(row, &id, NULL)) {
	case LAB_KNOWN_NONE:
		snprintf(buf, n, "%s", "");
		return;
	case LAB_KNOWN_EXPECTED:
		snprintf(buf, n, " [expected: known issue %lld]", (long long)id);
		return;
	case LAB_KNOWN_EXPECTED_PASSED:
		snprintf(buf, n, " [expected failure passed: known issue %lld]", (long long)id);
		return;
	}
}

void lab_diff_known_text(FILE *f, json_t *diff)
{
	json_t *rows = json_object_get(diff, "rows"), *row;
	struct { int64_t id; bool passed; } *seen;
	size_t i, j, nseen = 0;
	char cmd[96];

	seen = calloc(json_array_size(rows) + 1, sizeof(*seen));
	if (!seen)
		return;
	/* the known issues in the order the rows name them, and whether a row
	 * of theirs passes again */
	json_array_foreach(rows, i, row) {
		enum lab_known_label l;
		int64_t id = 0;

		l = lab_diff_known_of(row, &id, NULL);
		if (l == LAB_KNOWN_NONE)
			continue;
		for (j = 0; j < nseen && seen[j].id != id; j++)
			;
		if (j == nseen)
			seen[nseen++].id = id;
		if (l == LAB_KNOWN_EXPECTED_PASSED)
			seen[j].passed = true;
	}
	for (j = 0; j < nseen; j++) {
		json_array_foreach(rows, i, row) {
			const char *reason = "";
			int64_t id = 0;

			if (lab_diff_known_of(row, &id, &reason) != LAB_KNOWN_NONE && id == seen[j].id) {
				fprintf(f, "known issue %lld: %s\n", (long long)id, reason);
				break;
			}
		}
		if (!seen[j].passed)
			continue;
		lab_diff_known_retire_cmd(seen[j].id, cmd, sizeof(cmd));
		fprintf(f, "known issue %lld passes again: retire it with: %s\n",
			(long long)seen[j].id, cmd);
	}
	free(seen);
}
