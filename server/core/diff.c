/* SPDX-License-Identifier: GPL-2.0 */
/*
 * diff.c - classify two sides' latest results per (target, case) (diff.h).
 *
 * The store returns each side sorted by (target, case) as C arrays
 * (lab_store_diff_side_load); the diff is one merge pass over both, written
 * straight to JSON text (lab_diff_run_text). lab_diff_run is that text
 * parsed: one implementation serves both forms.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diff.h"
#include "jsonbuf.h"
#include "record.h"
#include "views.h"

const char *lab_diff_class_name(enum lab_diff_class c)
{
	switch (c) {
	case LAB_DIFF_UNCHANGED: return "unchanged";
	case LAB_DIFF_ERRNO_CHANGED: return "errno_changed";
	case LAB_DIFF_PASS_TO_FAIL: return "pass_to_fail";
	case LAB_DIFF_FAIL_TO_PASS: return "fail_to_pass";
	case LAB_DIFF_VERDICT_CHANGED: return "verdict_changed";
	case LAB_DIFF_NEW: return "new";
	case LAB_DIFF_MISSING: return "missing";
	}
	return "?";
}

static bool failing(enum lab_verdict v)
{
	return v == LAB_VERDICT_FAIL || v == LAB_VERDICT_ERROR || v == LAB_VERDICT_CRASH ||
	       v == LAB_VERDICT_WARN;
}

enum lab_diff_class lab_diff_classify(bool has_base, int base_observed,
				      enum lab_verdict base_verdict,
				      bool has_head, int head_observed,
				      enum lab_verdict head_verdict)
{
	if (!has_base)
		return LAB_DIFF_NEW;
	if (!has_head)
		return LAB_DIFF_MISSING;
	if (base_verdict == LAB_VERDICT_PASS && failing(head_verdict))
		return LAB_DIFF_PASS_TO_FAIL;
	if (failing(base_verdict) && head_verdict == LAB_VERDICT_PASS)
		return LAB_DIFF_FAIL_TO_PASS;
	/* a skipped case ran no judged step: its observed errno means nothing */
	if (base_verdict == LAB_VERDICT_SKIP || head_verdict == LAB_VERDICT_SKIP)
		return base_verdict == head_verdict ? LAB_DIFF_UNCHANGED :
		       LAB_DIFF_VERDICT_CHANGED;
	if (base_observed != head_observed)
		return LAB_DIFF_ERRNO_CHANGED;
	if (base_verdict != head_verdict)
		return LAB_DIFF_VERDICT_CHANGED;
	return LAB_DIFF_UNCHANGED;
}

static const char *s_of(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static int resolve(struct lab_store *st, bool by_plan, const char *name,
		   int64_t *id, json_t **desc, char *err, size_t errlen)
{
	char *end;
	int r;

	if (!name || !*name) {
		snprintf(err, errlen, "base and head are required");
		return -EINVAL;
	}
	if (by_plan) {
		long long v = strtoll(name, &end, 10);

		if (*end || v <= 0) {
			snprintf(err, errlen, "plan id '%.64s' is not a positive integer", name);
			return -EINVAL;
		}
		r = lab_store_plan_json(st, v, desc);
		if (r == -ENOENT)
			snprintf(err, errlen, "unknown plan %lld", v);
		*id = v;
		return r;
	}
	r = lab_store_kernel_json(st, name, desc);
	if (r == -ENOENT)
		snprintf(err, errlen, "unknown kernel '%.64s'", name);
	if (!r)
		*id = json_integer_value(json_object_get(*desc, "id"));
	return r;
}

/* ---- the diff: rows merged over C arrays, written as JSON text ---- */

static const char *pool_str(const struct lab_store_side *sd, size_t off)
{
	return sd->pool + off;
}

/* the row's verdict; out of range reads as pass (the schema's CHECK keeps it in range) */
static enum lab_verdict verdict_of(int v)
{
	return v >= LAB_VERDICT_PASS && v <= LAB_VERDICT_LAST ? (enum lab_verdict)v :
	       LAB_VERDICT_PASS;
}

/* {observed, observed_name, expected, expected_name, verdict, result_id, runs, flaky} */
static void side_text(struct lab_jsonbuf *b, const struct lab_store_side_row *r)
{
	if (!r) {
		lab_jsonbuf_null(b);
		return;
	}
	lab_jsonbuf_lit(b, "{\"observed\":");
	lab_jsonbuf_int(b, r->observed);
	lab_jsonbuf_lit(b, ",\"observed_name\":");
	lab_jsonbuf_str(b, lab_errno_name((int)r->observed));
	lab_jsonbuf_lit(b, ",\"expected\":");
	if (r->has_expected)
		lab_jsonbuf_int(b, r->expected);
	else
		lab_jsonbuf_null(b);
	lab_jsonbuf_lit(b, ",\"expected_name\":");
	if (r->has_expected)
		lab_jsonbuf_str(b, lab_errno_name((int)r->expected));
	else
		lab_jsonbuf_null(b);
	lab_jsonbuf_lit(b, ",\"verdict\":");
	lab_jsonbuf_str(b, lab_verdict_name(r->verdict));
	lab_jsonbuf_lit(b, ",\"result_id\":");
	lab_jsonbuf_int(b, r->result_id);
	lab_jsonbuf_lit(b, ",\"runs\":");
	lab_jsonbuf_int(b, r->runs);
	lab_jsonbuf_lit(b, ",\"flaky\":");
	lab_jsonbuf_bool(b, r->distinct_observed > 1);
	lab_jsonbuf_raw(b, "}", 1);
}

int lab_diff_run_text(struct lab_store *st, bool by_plan, const char *base,
		      const char *head, bool changes_only, char **out, size_t *len,
		      char *err, size_t errlen)
{
	struct lab_store_side bs = { 0 }, hs = { 0 };
	struct lab_jsonbuf rows = { 0 }, doc = { 0 };
	int counts[LAB_DIFF_NCLASSES] = { 0 };
	json_t *bdesc = NULL, *hdesc = NULL;
	size_t i = 0, j = 0, nrows = 0;
	int64_t bid, hid;
	int r;

	r = resolve(st, by_plan, base, &bid, &bdesc, err, errlen);
	if (r)
		return r;
	r = resolve(st, by_plan, head, &hid, &hdesc, err, errlen);
	if (r)
		goto put_desc;
	r = lab_store_diff_side_load(st, by_plan, bid, &bs);
	if (r)
		goto put_desc;
	r = lab_store_diff_side_load(st, by_plan, hid, &hs);
	if (r)
		goto free_sides;
	lab_jsonbuf_raw(&rows, "[", 1);
	while (i < bs.n || j < hs.n) {
		const struct lab_store_side_row *b = i < bs.n ? &bs.rows[i] : NULL;
		const struct lab_store_side_row *h = j < hs.n ? &hs.rows[j] : NULL;
		const struct lab_store_side *ks;
		const struct lab_store_side_row *k;
		enum lab_diff_class c;
		int cmp;

		if (!b)
			cmp = 1;
		else if (!h)
			cmp = -1;
		else {
			cmp = strcmp(pool_str(&bs, b->target_off), pool_str(&hs, h->target_off));
			if (!cmp)
				cmp = strcmp(pool_str(&bs, b->case_off), pool_str(&hs, h->case_off));
		}
		if (cmp < 0)
			h = NULL;
		else if (cmp > 0)
			b = NULL;
		if (b)
			i++;
		if (h)
			j++;
		c = lab_diff_classify(b != NULL, b ? (int)b->observed : 0,
				      b ? verdict_of(b->verdict) : LAB_VERDICT_PASS,
				      h != NULL, h ? (int)h->observed : 0,
				      h ? verdict_of(h->verdict) : LAB_VERDICT_PASS);
		counts[c]++;
		if (changes_only && c == LAB_DIFF_UNCHANGED)
			continue;
		/* names from the head's row, the base's when only it has one */
		ks = h ? &hs : &bs;
		k = h ? h : b;
		if (nrows++)
			lab_jsonbuf_raw(&rows, ",", 1);
		lab_jsonbuf_lit(&rows, "{\"target\":");
		lab_jsonbuf_str(&rows, pool_str(ks, k->target_off));
		lab_jsonbuf_lit(&rows, ",\"driver\":");
		lab_jsonbuf_str(&rows, pool_str(ks, k->driver_off));
		lab_jsonbuf_lit(&rows, ",\"case\":");
		lab_jsonbuf_str(&rows, pool_str(ks, k->case_off));
		lab_jsonbuf_lit(&rows, ",\"class\":");
		lab_jsonbuf_str(&rows, lab_diff_class_name(c));
		lab_jsonbuf_lit(&rows, ",\"base\":");
		side_text(&rows, b);
		lab_jsonbuf_lit(&rows, ",\"head\":");
		side_text(&rows, h);
		lab_jsonbuf_raw(&rows, "}", 1);
	}
	lab_jsonbuf_raw(&rows, "]", 1);
	/* members in diff.h's order */
	lab_jsonbuf_lit(&doc, "{\"by\":");
	lab_jsonbuf_str(&doc, by_plan ? "plan" : "kernel");
	lab_jsonbuf_lit(&doc, ",\"base\":");
	lab_jsonbuf_json(&doc, bdesc);
	lab_jsonbuf_lit(&doc, ",\"head\":");
	lab_jsonbuf_json(&doc, hdesc);
	lab_jsonbuf_lit(&doc, ",\"summary\":{");
	for (int c = 0; c < LAB_DIFF_NCLASSES; c++) {
		if (c)
			lab_jsonbuf_raw(&doc, ",", 1);
		lab_jsonbuf_key(&doc, lab_diff_class_name(c));
		lab_jsonbuf_int(&doc, counts[c]);
	}
	lab_jsonbuf_lit(&doc, "},\"rows\":");
	if (rows.err)
		doc.err = rows.err;
	lab_jsonbuf_raw(&doc, rows.p, rows.len);
	lab_jsonbuf_raw(&doc, "}", 1);
	r = lab_jsonbuf_take(&doc, out, len);
	lab_jsonbuf_free(&rows);
free_sides:
	lab_store_side_free(&bs);
	lab_store_side_free(&hs);
put_desc:
	json_decref(bdesc);
	json_decref(hdesc);
	return r;
}

/*
 * The json_t form serves the callers that read the document (nightly,
 * patch, the text table): the text above, parsed. It is our own well-formed
 * JSON, so a failed parse is a failed allocation.
 */
int lab_diff_run(struct lab_store *st, bool by_plan, const char *base,
		 const char *head, bool changes_only, json_t **out,
		 char *err, size_t errlen)
{
	char *text;
	size_t len;
	int r;

	r = lab_diff_run_text(st, by_plan, base, head, changes_only, &text, &len, err, errlen);
	if (r)
		return r;
	*out = json_loadb(text, len, JSON_ALLOW_NUL, NULL);
	free(text);
	return *out ? 0 : -ENOMEM;
}

/* "EINVAL (pass)" or "-" for an absent side */
static void cell(json_t *s, char *buf, size_t n)
{
	if (!json_is_object(s))
		snprintf(buf, n, "-");
	else if (strcmp(s_of(s, "verdict"), "skip") == 0)
		snprintf(buf, n, "- (skip)");	/* not run: no errno to show */
	else
		snprintf(buf, n, "%s (%s%s)", s_of(s, "observed_name"), s_of(s, "verdict"),
			 json_is_true(json_object_get(s, "flaky")) ? ", flaky" : "");
}

static void expected_cell(json_t *b, json_t *h, char *buf, size_t n)
{
	const char *be = json_is_object(b) ? json_string_value(json_object_get(b, "expected_name")) : NULL;
	const char *he = json_is_object(h) ? json_string_value(json_object_get(h, "expected_name")) : NULL;

	if (be && he && strcmp(be, he) != 0)
		snprintf(buf, n, "%s -> %s", be, he);
	else
		snprintf(buf, n, "%s", he ? he : be ? be : "-");
}

#define NCOLS 7

char *lab_diff_text(json_t *diff)
{
	static const char *const hdr[NCOLS] = {
		"TARGET", "DRIVER", "CASE", "BASE", "HEAD", "EXPECTED", "CLASS",
	};
	json_t *rows = json_object_get(diff, "rows"), *row, *summary;
	size_t w[NCOLS], i, len = 0;
	char c[NCOLS][160];
	const char *k;
	json_t *v;
	char *buf = NULL;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (int x = 0; x < NCOLS; x++)
		w[x] = strlen(hdr[x]);
	/* two passes: widths, then the lines */
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			fprintf(f, "diff %s: %s -> %s\n", s_of(diff, "by"),
				json_is_object(json_object_get(diff, "base")) ?
				(json_string_value(json_object_get(json_object_get(diff, "base"), "name")) ?:
				 "?") : "?",
				json_is_object(json_object_get(diff, "head")) ?
				(json_string_value(json_object_get(json_object_get(diff, "head"), "name")) ?:
				 "?") : "?");
			for (int x = 0; x < NCOLS; x++)
				fprintf(f, "%-*s%s", (int)w[x], hdr[x], x == NCOLS - 1 ? "\n" : "  ");
		}
		json_array_foreach(rows, i, row) {
			snprintf(c[0], sizeof(c[0]), "%s", s_of(row, "target"));
			snprintf(c[1], sizeof(c[1]), "%s", s_of(row, "driver"));
			snprintf(c[2], sizeof(c[2]), "%s", s_of(row, "case"));
			cell(json_object_get(row, "base"), c[3], sizeof(c[3]));
			cell(json_object_get(row, "head"), c[4], sizeof(c[4]));
			expected_cell(json_object_get(row, "base"), json_object_get(row, "head"),
				      c[5], sizeof(c[5]));
			snprintf(c[6], sizeof(c[6]), "%s", s_of(row, "class"));
			for (int x = 0; x < NCOLS; x++) {
				if (pass == 0) {
					if (strlen(c[x]) > w[x])
						w[x] = strlen(c[x]);
				} else {
					fprintf(f, "%-*s%s", x == NCOLS - 1 ? 0 : (int)w[x], c[x],
						x == NCOLS - 1 ? "\n" : "  ");
				}
			}
		}
	}
	summary = json_object_get(diff, "summary");
	fprintf(f, "%zu rows;", json_array_size(rows));
	json_object_foreach(summary, k, v)
		if (json_integer_value(v))
			fprintf(f, " %s %lld", k, (long long)json_integer_value(v));
	fprintf(f, "\n");
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
