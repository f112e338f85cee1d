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
#include "diff_known.h"
#include "diff_qemu.h"
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
	case LAB_DIFF_SETUP_CHANGED: return "setup_changed";
	case LAB_DIFF_FLAKY: return "flaky";
	case LAB_DIFF_NEW_CRASH: return "new_crash";
	case LAB_DIFF_CRASH_FIXED: return "crash_fixed";
	case LAB_DIFF_NEW_WARNING: return "new_warning";
	}
	return "?";
}

/* ---- one side, summed up over its repeats ---- */

void lab_diff_side_one(struct lab_diff_side *s, int observed, enum lab_verdict v)
{
	memset(s, 0, sizeof(*s));
	s->observed = observed;
	s->verdict = v;
	s->npairs = 1;
	s->pairs[0].observed = observed;
	s->pairs[0].verdict = v;
	s->pairs[0].count = 1;
}

static void side_add(struct lab_diff_side *s, int observed, enum lab_verdict v)
{
	size_t i;

	for (i = 0; i < s->npairs && i < LAB_DIFF_PAIRS_MAX; i++) {
		if (s->pairs[i].observed == observed && s->pairs[i].verdict == v) {
			s->pairs[i].count++;
			return;
		}
	}
	if (s->npairs < LAB_DIFF_PAIRS_MAX) {
		s->pairs[s->npairs].observed = observed;
		s->pairs[s->npairs].verdict = v;
		s->pairs[s->npairs].count = 1;
	}
	s->npairs++;	/* counted even when it does not fit: flaky all the same */
}

static int pair_cmp(const void *a, const void *b)
{
	const typeof(((struct lab_diff_side *)0)->pairs[0]) *x = a, *y = b;

	if (x->count != y->count)
		return y->count - x->count;
	if (x->observed != y->observed)
		return x->observed - y->observed;
	return (int)x->verdict - (int)y->verdict;
}

static bool ran_judged_step(enum lab_verdict v)
{
	return v != LAB_VERDICT_SKIP && v != LAB_VERDICT_ERROR;
}

static int side_setup_json(struct lab_diff_side *s, const char *steps);

/*
 * The setup refusal: the first step that returned an errno before the
 * judged step (the last step whose errno is the observed one); for a side
 * that never reached its judged step (skip, error), the first at all.
 */
/*
 * The store's steps text is the record decoder's compact JSON,
 * [{"name":"attach","errno":22,"err":"EINVAL"},...]: read it without a
 * JSON tree. -EINVAL for anything else (the caller then parses it).
 */
#define STEPS_FAST_MAX 64
struct fast_step {
	const char *name;
	size_t len;
	long e;
};

static int steps_fast(const char *p, struct fast_step *st, size_t *n)
{
	*n = 0;
	if (*p++ != '[')
		return -EINVAL;
	while (*p == '{') {
		struct fast_step *x;
		char *end;

		if (*n == STEPS_FAST_MAX || strncmp(p, "{\"name\":\"", 9))
			return -EINVAL;
		x = &st[(*n)++];
		x->name = p + 9;
		x->len = strcspn(x->name, "\"\\");
		p = x->name + x->len;
		if (strncmp(p, "\",\"errno\":", 10))
			return -EINVAL;
		x->e = strtol(p + 10, &end, 10);
		if (end == p + 10)
			return -EINVAL;
		p = strchr(end, '}');	/* "err" holds no '}': an errno name */
		if (!p)
			return -EINVAL;
		p++;
		if (*p == ',')
			p++;
	}
	return *p == ']' ? 0 : -EINVAL;
}

static int side_setup(struct lab_diff_side *s, const char *steps)
{
	struct fast_step fs[STEPS_FAST_MAX];
	ssize_t judged = -1;
	size_t n;

	if (!steps_fast(steps ? steps : "[]", fs, &n)) {
		if (ran_judged_step(s->verdict))
			for (size_t i = 0; i < n; i++)
				if (fs[i].e == s->observed)
					judged = (ssize_t)i;
		for (size_t i = 0; i < n && (judged < 0 || (ssize_t)i < judged); i++) {
			if (fs[i].e > 0) {
				snprintf(s->setup_step, sizeof(s->setup_step), "%.*s",
					 (int)fs[i].len, fs[i].name);
				s->setup_errno = (int)fs[i].e;
				break;
			}
		}
		return 0;
	}
	return side_setup_json(s, steps);
}

static int side_setup_json(struct lab_diff_side *s, const char *steps)
{
	json_t *a = json_loads(steps ? steps : "[]", 0, NULL), *x;
	ssize_t judged = -1;
	size_t i;

	if (!json_is_array(a)) {
		json_decref(a);
		return -EINVAL;
	}
	if (ran_judged_step(s->verdict))
		json_array_foreach(a, i, x)
			if (json_integer_value(json_object_get(x, "errno")) == s->observed)
				judged = (ssize_t)i;
	json_array_foreach(a, i, x) {
		json_int_t e = json_integer_value(json_object_get(x, "errno"));

		if (judged >= 0 && (ssize_t)i >= judged)
			break;
		if (e > 0) {
			snprintf(s->setup_step, sizeof(s->setup_step), "%s",
				 json_string_value(json_object_get(x, "name")) ?: "?");
			s->setup_errno = (int)e;
			break;
		}
	}
	json_decref(a);
	return 0;
}

int lab_diff_side_parse(struct lab_diff_side *s, int observed, enum lab_verdict v,
			const char *outcomes, const char *steps)
{
	const char *p = outcomes;

	memset(s, 0, sizeof(*s));
	s->observed = observed;
	s->verdict = v;
	while (p && *p) {
		char *end;
		long o = strtol(p, &end, 10), w;

		if (end == p || *end != ':')
			return -EINVAL;
		p = end + 1;
		w = strtol(p, &end, 10);
		if (end == p || w < LAB_VERDICT_PASS || w > LAB_VERDICT_LAST)
			return -EINVAL;
		side_add(s, (int)o, (enum lab_verdict)w);
		p = *end == ',' ? end + 1 : end;
	}
	if (!s->npairs)
		side_add(s, observed, v);
	qsort(s->pairs, s->npairs < LAB_DIFF_PAIRS_MAX ? s->npairs : LAB_DIFF_PAIRS_MAX,
	      sizeof(s->pairs[0]), pair_cmp);
	return side_setup(s, steps);
}

static size_t npairs_kept(const struct lab_diff_side *s)
{
	return s->npairs < LAB_DIFF_PAIRS_MAX ? s->npairs : LAB_DIFF_PAIRS_MAX;
}

static bool has_verdict(const struct lab_diff_side *s, enum lab_verdict v)
{
	for (size_t i = 0; i < npairs_kept(s); i++)
		if (s->pairs[i].verdict == v)
			return true;
	return false;
}

static bool has_pair(const struct lab_diff_side *s, int o, enum lab_verdict v)
{
	for (size_t i = 0; i < npairs_kept(s); i++)
		if (s->pairs[i].observed == o && s->pairs[i].verdict == v)
			return true;
	return false;
}

/* the same distinct (errno, verdict) pairs, whatever their counts */
static bool same_pairs(const struct lab_diff_side *b, const struct lab_diff_side *h)
{
	if (b->npairs != h->npairs)
		return false;
	for (size_t i = 0; i < npairs_kept(b); i++)
		if (!has_pair(h, b->pairs[i].observed, b->pairs[i].verdict))
			return false;
	return true;
}

static bool same_setup(const struct lab_diff_side *b, const struct lab_diff_side *h)
{
	return b->setup_errno == h->setup_errno && !strcmp(b->setup_step, h->setup_step);
}

/* a side's errno: the judged step's, or for skip/error its setup refusal's */
static int errno_of(const struct lab_diff_side *s)
{
	if (ran_judged_step(s->verdict))
		return s->observed;
	return s->setup_step[0] ? s->setup_errno : s->observed;
}

static bool failing(enum lab_verdict v)
{
	return v == LAB_VERDICT_FAIL || v == LAB_VERDICT_ERROR;
}

enum lab_diff_class lab_diff_classify_sides(const struct lab_diff_side *b,
					    const struct lab_diff_side *h)
{
	enum lab_verdict hv;

	if (!b)
		return LAB_DIFF_NEW;
	if (!h)
		return LAB_DIFF_MISSING;
	/* a kernel report in any repeat is the row's class */
	if (has_verdict(h, LAB_VERDICT_CRASH) && !has_verdict(b, LAB_VERDICT_CRASH))
		return LAB_DIFF_NEW_CRASH;
	if (has_verdict(b, LAB_VERDICT_CRASH) && !has_verdict(h, LAB_VERDICT_CRASH))
		return LAB_DIFF_CRASH_FIXED;
	if (has_verdict(h, LAB_VERDICT_WARN) && !has_verdict(b, LAB_VERDICT_WARN) &&
	    !has_verdict(b, LAB_VERDICT_CRASH))
		return LAB_DIFF_NEW_WARNING;
	if (same_pairs(b, h))
		return same_setup(b, h) ? LAB_DIFF_UNCHANGED : LAB_DIFF_SETUP_CHANGED;
	if (h->npairs > 1)
		return LAB_DIFF_FLAKY;
	/* the head is consistent: judged against everything the base did */
	hv = h->pairs[0].verdict;
	if (failing(hv) && has_verdict(b, LAB_VERDICT_PASS))
		return LAB_DIFF_PASS_TO_FAIL;
	if (hv == LAB_VERDICT_PASS && (has_verdict(b, LAB_VERDICT_FAIL) ||
				       has_verdict(b, LAB_VERDICT_ERROR) ||
				       has_verdict(b, LAB_VERDICT_WARN)))
		return LAB_DIFF_FAIL_TO_PASS;
	if (b->npairs > 1)
		return LAB_DIFF_FLAKY;
	/* both consistent: a skip or error side is diffed on its setup refusal */
	if (!ran_judged_step(b->verdict) || !ran_judged_step(h->verdict)) {
		bool both = !ran_judged_step(b->verdict) && !ran_judged_step(h->verdict);
		const struct lab_diff_side *s = ran_judged_step(b->verdict) ? h : b;

		if (!same_setup(b, h))
			return LAB_DIFF_SETUP_CHANGED;
		/* one side skipped without observing any errno: nothing to diff on */
		if (errno_of(b) != errno_of(h) && (both || errno_of(s)))
			return LAB_DIFF_ERRNO_CHANGED;
		return LAB_DIFF_VERDICT_CHANGED;
	}
	if (b->observed != h->observed)
		return LAB_DIFF_ERRNO_CHANGED;
	if (!same_setup(b, h))
		return LAB_DIFF_SETUP_CHANGED;
	return LAB_DIFF_VERDICT_CHANGED;
}

bool lab_diff_regression(enum lab_diff_class c, const struct lab_diff_side *b,
			 const struct lab_diff_side *h)
{
	(void)b;
	switch (c) {
	case LAB_DIFF_MISSING:
	case LAB_DIFF_NEW_CRASH:
	case LAB_DIFF_NEW_WARNING:
	case LAB_DIFF_PASS_TO_FAIL:
		return true;
	case LAB_DIFF_SETUP_CHANGED:
		return h && h->verdict != LAB_VERDICT_PASS;
	case LAB_DIFF_ERRNO_CHANGED:
		return h && h->npairs == 1 && failing(h->verdict);
	case LAB_DIFF_UNCHANGED:
	case LAB_DIFF_FAIL_TO_PASS:
	case LAB_DIFF_VERDICT_CHANGED:
	case LAB_DIFF_NEW:
	case LAB_DIFF_FLAKY:
	case LAB_DIFF_CRASH_FIXED:
		return false;
	}
	return false;
}

enum lab_diff_class lab_diff_classify(bool has_base, int base_observed,
				      enum lab_verdict base_verdict,
				      bool has_head, int head_observed,
				      enum lab_verdict head_verdict)
{
	struct lab_diff_side b, h;

	lab_diff_side_one(&b, base_observed, base_verdict);
	lab_diff_side_one(&h, head_observed, head_verdict);
	return lab_diff_classify_sides(has_base ? &b : NULL, has_head ? &h : NULL);
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

/* {observed, observed_name, expected, expected_name, verdict, result_id, runs,
 *  flaky, distribution, setup} */
static void side_text(struct lab_jsonbuf *b, const struct lab_store_side_row *r,
		      const struct lab_diff_side *d)
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
	lab_jsonbuf_bool(b, d->npairs > 1);
	lab_jsonbuf_lit(b, ",\"distribution\":[");
	for (size_t i = 0; i < d->npairs && i < LAB_DIFF_PAIRS_MAX; i++) {
		if (i)
			lab_jsonbuf_raw(b, ",", 1);
		lab_jsonbuf_lit(b, "{\"observed\":");
		lab_jsonbuf_int(b, d->pairs[i].observed);
		lab_jsonbuf_lit(b, ",\"observed_name\":");
		lab_jsonbuf_str(b, lab_errno_name(d->pairs[i].observed));
		lab_jsonbuf_lit(b, ",\"verdict\":");
		lab_jsonbuf_str(b, lab_verdict_name(d->pairs[i].verdict));
		lab_jsonbuf_lit(b, ",\"count\":");
		lab_jsonbuf_int(b, d->pairs[i].count);
		lab_jsonbuf_raw(b, "}", 1);
	}
	lab_jsonbuf_lit(b, "],\"setup\":");
	if (d->setup_step[0]) {
		lab_jsonbuf_lit(b, "{\"step\":");
		lab_jsonbuf_str(b, d->setup_step);
		lab_jsonbuf_lit(b, ",\"errno\":");
		lab_jsonbuf_int(b, d->setup_errno);
		lab_jsonbuf_lit(b, ",\"errno_name\":");
		lab_jsonbuf_str(b, lab_errno_name(d->setup_errno));
		lab_jsonbuf_raw(b, "}", 1);
	} else {
		lab_jsonbuf_null(b);
	}
	lab_jsonbuf_raw(b, "}", 1);
}

/* both sides and their descriptions, from one read snapshot; @tg NULL: every target */
static int load_sides(struct lab_store *st, bool by_plan, const char *base, const char *head,
		      const char *const *tg, struct lab_store_side *bs,
		      struct lab_store_side *hs, json_t **bdesc, json_t **hdesc, char *err,
		      size_t errlen)
{
	int64_t bid, hid;
	bool began;
	int r;

	r = lab_store_read_begin(st, &began);
	if (r)
		return r;
	r = resolve(st, by_plan, base, &bid, bdesc, err, errlen);
	if (!r)
		r = resolve(st, by_plan, head, &hid, hdesc, err, errlen);
	if (!r && tg)
		r = lab_diff_qemu_check_targets(st, tg, err, errlen);
	if (!r)
		r = lab_store_diff_side_load(st, by_plan, bid, tg ? tg[0] : NULL, bs);
	if (!r)
		r = lab_store_diff_side_load(st, by_plan, hid, tg ? tg[1] : NULL, hs);
	lab_store_read_end(st, began);
	return r;
}

static int side_of(const struct lab_store_side *sd, const struct lab_store_side_row *r,
		   struct lab_diff_side *out)
{
	return lab_diff_side_parse(out, (int)r->observed, verdict_of(r->verdict),
				   pool_str(sd, r->outcomes_off), pool_str(sd, r->steps_off));
}

int lab_diff_run_targets_text(struct lab_store *st, bool by_plan, const char *base,
			      const char *head, const char *const *targets, bool changes_only,
			      char **out, size_t *len, char *err, size_t errlen)
{
	struct lab_store_side bs = { 0 }, hs = { 0 };
	struct lab_jsonbuf rows = { 0 }, doc = { 0 };
	int counts[LAB_DIFF_NCLASSES] = { 0 }, regressions = 0, qemu_changes = 0;
	struct lab_diff_known known = { 0 };
	int nknown[LAB_KNOWN_NLABELS] = { 0 };
	json_t *bdesc = NULL, *hdesc = NULL;
	size_t i = 0, j = 0, nrows = 0;
	int r;

	r = load_sides(st, by_plan, base, head, targets, &bs, &hs, &bdesc, &hdesc, err, errlen);
	if (!r)
		r = lab_diff_known_load(st, by_plan, hdesc, &known);
	if (r)
		goto free_sides;
	lab_jsonbuf_raw(&rows, "[", 1);
	while (i < bs.n || j < hs.n) {
		const struct lab_store_side_row *b = i < bs.n ? &bs.rows[i] : NULL;
		const struct lab_store_side_row *h = j < hs.n ? &hs.rows[j] : NULL;
		struct lab_diff_side bd, hd, *bp, *hp;
		const struct lab_store_side *ks;
		const struct lab_store_side_row *k;
		const struct lab_known_issue *ki;
		enum lab_known_label kl;
		const char *bq, *hq;
		enum lab_diff_class c;
		bool reg, qc;
		int cmp;

		if (!b)
			cmp = 1;
		else if (!h)
			cmp = -1;
		else {
			/* across two targets the rows match on the case alone */
			cmp = targets ? 0 : strcmp(pool_str(&bs, b->target_off),
						   pool_str(&hs, h->target_off));
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
		if ((b && side_of(&bs, b, &bd)) || (h && side_of(&hs, h, &hd))) {
			r = -EIO;	/* the store's own text: never unreadable */
			goto free_rows;
		}
		bp = b ? &bd : NULL;
		hp = h ? &hd : NULL;
		/* no "boot" record is a clean boot: a pass, not a missing case */
		if (lab_case_is_boot(pool_str(b ? &bs : &hs, (b ? b : h)->case_off))) {
			if (!bp)
				lab_diff_side_one(bp = &bd, 0, LAB_VERDICT_PASS);
			if (!hp)
				lab_diff_side_one(hp = &hd, 0, LAB_VERDICT_PASS);
		}
		c = lab_diff_classify_sides(bp, hp);
		/* names from the head's row, the base's when only it has one */
		ks = h ? &hs : &bs;
		k = h ? h : b;
		/* the QEMU each side ran on; an absent side's: its target's */
		bq = b ? pool_str(&bs, b->qemu_off) :
		     lab_diff_qemu_of(&bs, targets ? NULL : pool_str(&hs, h->target_off));
		hq = h ? pool_str(&hs, h->qemu_off) :
		     lab_diff_qemu_of(&hs, targets ? NULL : pool_str(&bs, b->target_off));
		qc = c != LAB_DIFF_UNCHANGED && lab_diff_qemu_differs(bq, hq);
		reg = !qc && lab_diff_regression(c, bp, hp);
		/* a known issue's expected failure is no regression (diff_known.h) */
		r = lab_diff_known_row(&known, pool_str(ks, k->target_off), pool_str(ks, k->driver_off),
				       pool_str(ks, k->case_off), h ? h->result_id : 0, bp, hp,
				       &kl, &ki);
		if (r)
			goto free_rows;
		reg &= kl != LAB_KNOWN_EXPECTED;
		nknown[kl]++;
		counts[c]++;
		regressions += reg;
		qemu_changes += qc;
		if (changes_only && c == LAB_DIFF_UNCHANGED)
			continue;
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
		lab_jsonbuf_lit(&rows, ",\"regression\":");
		lab_jsonbuf_bool(&rows, reg);
		lab_diff_known_json(&rows, kl, ki);
		lab_diff_qemu_row_text(&rows, bq, hq, qc);
		lab_jsonbuf_lit(&rows, ",\"base\":");
		side_text(&rows, b, &bd);
		lab_jsonbuf_lit(&rows, ",\"head\":");
		side_text(&rows, h, &hd);
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
	lab_jsonbuf_lit(&doc, ",\"regressions\":");
	lab_jsonbuf_int(&doc, regressions);
	lab_diff_known_summary(&doc, nknown);
	lab_jsonbuf_lit(&doc, ",\"qemu_changes\":");
	lab_jsonbuf_int(&doc, qemu_changes);
	lab_jsonbuf_lit(&doc, "},\"targets\":");
	if (targets) {
		lab_jsonbuf_lit(&doc, "{\"base\":");
		lab_jsonbuf_str(&doc, targets[0]);
		lab_jsonbuf_lit(&doc, ",\"head\":");
		lab_jsonbuf_str(&doc, targets[1]);
		lab_jsonbuf_raw(&doc, "}", 1);
	} else {
		lab_jsonbuf_null(&doc);
	}
	lab_jsonbuf_lit(&doc, ",\"rows\":");
	if (rows.err)
		doc.err = rows.err;
	lab_jsonbuf_raw(&doc, rows.p, rows.len);
	lab_jsonbuf_raw(&doc, "}", 1);
	r = lab_jsonbuf_take(&doc, out, len);
free_rows:
	lab_jsonbuf_free(&rows);
	if (r)
		lab_jsonbuf_free(&doc);
free_sides:
	lab_diff_known_clear(&known);
	lab_store_side_free(&bs);
	lab_store_side_free(&hs);
	json_decref(bdesc);
	json_decref(hdesc);
	return r;
}

int lab_diff_run_text(struct lab_store *st, bool by_plan, const char *base,
		      const char *head, bool changes_only, char **out, size_t *len,
		      char *err, size_t errlen)
{
	return lab_diff_run_targets_text(st, by_plan, base, head, NULL, changes_only, out, len,
					 err, errlen);
}

/*
 * The json_t form serves the callers that read the document (nightly,
 * patch, the text table): the text above, parsed. It is our own well-formed
 * JSON, so a failed parse is a failed allocation.
 */
int lab_diff_run_targets(struct lab_store *st, bool by_plan, const char *base,
			 const char *head, const char *const *targets, bool changes_only,
			 json_t **out, char *err, size_t errlen)
{
	char *text;
	size_t len;
	int r;

	r = lab_diff_run_targets_text(st, by_plan, base, head, targets, changes_only, &text,
				      &len, err, errlen);
	if (r)
		return r;
	*out = json_loadb(text, len, JSON_ALLOW_NUL, NULL);
	free(text);
	return *out ? 0 : -ENOMEM;
}

int lab_diff_run(struct lab_store *st, bool by_plan, const char *base,
		 const char *head, bool changes_only, json_t **out,
		 char *err, size_t errlen)
{
	return lab_diff_run_targets(st, by_plan, base, head, NULL, changes_only, out, err,
				    errlen);
}

/*
 * "EINVAL (pass)", "-" for an absent side, "- (skip)" for a skip that
 * observed nothing; a setup refusal is added ("; setup domain_alloc
 * EOPNOTSUPP"), and a flaky side shows its distribution ("EINVAL (pass) x2
 * | ENODEV (fail) x1").
 */
static void cell(json_t *s, char *buf, size_t n)
{
	json_t *dist = json_object_get(s, "distribution"), *setup = json_object_get(s, "setup"), *p;
	size_t used = 0, i;

	if (!json_is_object(s)) {
		snprintf(buf, n, "-");
		return;
	}
	if (json_is_true(json_object_get(s, "flaky")) && json_array_size(dist) > 1) {
		buf[0] = '\0';
		json_array_foreach(dist, i, p)
			used += snprintf(buf + used, used < n ? n - used : 0, "%s%s (%s) x%lld",
					 i ? " | " : "", s_of(p, "observed_name"), s_of(p, "verdict"),
					 (long long)json_integer_value(json_object_get(p, "count")));
	} else if (strcmp(s_of(s, "verdict"), "skip") == 0 && !json_is_object(setup) &&
		   !json_integer_value(json_object_get(s, "observed"))) {
		used = snprintf(buf, n, "- (skip)");	/* not run: no errno to show */
	} else {
		used = snprintf(buf, n, "%s (%s)", s_of(s, "observed_name"), s_of(s, "verdict"));
	}
	if (json_is_object(setup) && used < n)
		snprintf(buf + used, n - used, "; setup %s %s", s_of(setup, "step"),
			 s_of(setup, "errno_name"));
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
	char c[NCOLS][256];
	const char *k;
	json_t *v;
	char *buf = NULL;
	FILE *f;

	f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	for (int x = 0; x < NCOLS; x++)
		w[x] = strlen(hdr[x]);
	/* three passes: widths, the lines, then the QEMU changes apart */
	for (int pass = 0; pass < 3; pass++) {
		if (pass == 2 && !lab_diff_qemu_text_header(f, diff))
			break;
		if (pass == 1) {
			fprintf(f, "diff %s: %s -> %s", s_of(diff, "by"),
				json_is_object(json_object_get(diff, "base")) ?
				(json_string_value(json_object_get(json_object_get(diff, "base"), "name")) ?:
				 "?") : "?",
				json_is_object(json_object_get(diff, "head")) ?
				(json_string_value(json_object_get(json_object_get(diff, "head"), "name")) ?:
				 "?") : "?");
			if (json_is_object(json_object_get(diff, "targets")))
				fprintf(f, ", target %s -> %s",
					s_of(json_object_get(diff, "targets"), "base"),
					s_of(json_object_get(diff, "targets"), "head"));
			fputc('\n', f);
			for (int x = 0; x < NCOLS; x++)
				fprintf(f, "%-*s%s", (int)w[x], hdr[x], x == NCOLS - 1 ? "\n" : "  ");
		}
		json_array_foreach(rows, i, row) {
			if (pass && (pass == 2) != json_is_true(json_object_get(row, "qemu_change")))
				continue;
			snprintf(c[0], sizeof(c[0]), "%s", s_of(row, "target"));
			snprintf(c[1], sizeof(c[1]), "%s", s_of(row, "driver"));
			snprintf(c[2], sizeof(c[2]), "%s", s_of(row, "case"));
			cell(json_object_get(row, "base"), c[3], sizeof(c[3]));
			cell(json_object_get(row, "head"), c[4], sizeof(c[4]));
			expected_cell(json_object_get(row, "base"), json_object_get(row, "head"),
				      c[5], sizeof(c[5]));
			lab_diff_qemu_class_cell(row, c[6], sizeof(c[6]));
			lab_diff_known_cell(row, c[6] + strlen(c[6]), sizeof(c[6]) - strlen(c[6]));
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
	lab_diff_known_text(f, diff);
	if (fclose(f)) {
		free(buf);
		return NULL;
	}
	return buf;
}
