/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_fastpath.c - the matrix/diff fast paths (issue 8) against an
 * oracle: lab_store_matrix_text() must produce the same JSON document as
 * lab_store_matrix(), and lab_diff_run_text() (which lab_diff_run() parses)
 * the document this test builds itself from the store's rows
 * (lab_store_diff_side) by another route: all keys of both sides sorted and
 * looked up, no merge (compared with json_equal after parsing the text with
 * jansson), on real SQLite files: the two real guest logs of
 * tests/unit/data plus hostile strings, and a generated multi-kernel,
 * multi-target, multi-repeat history. Also
 * the JSON text writer (server/jsonbuf.c), the store generation that
 * invalidates cached bodies, and the response cache (server/respcache.c).
 */
#include <pthread.h>

#include "diff.h"
#include "helpers.h"
#include "jsonbuf.h"
#include "plan.h"
#include "record.h"
#include "respcache.h"
#include "store_provenance.h"
#include "views.h"

/* ---- jsonbuf ------------------------------------------------------------ */

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &e);

	if (!v)
		fail_msg("not JSON (%s): %.200s", e.text, text);
	return v;
}

static void test_jsonbuf_strings(void **state)
{
	/* every control character, quotes, backslash, slash, UTF-8 of 2-4 bytes */
	char all[64];
	const char *utf8 = "\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 /x\x7f";
	struct lab_jsonbuf b = { 0 };
	char *out;
	size_t len;
	json_t *v, *want;

	(void)state;
	for (int i = 0; i < 32; i++)
		all[i] = (char)i;
	memcpy(all + 32, "\"\\ab", 4);
	lab_jsonbuf_raw(&b, "[", 1);
	lab_jsonbuf_strn(&b, all, 36);		/* with the NUL byte */
	lab_jsonbuf_raw(&b, ",", 1);
	lab_jsonbuf_str(&b, utf8);
	lab_jsonbuf_raw(&b, ",", 1);
	lab_jsonbuf_str(&b, NULL);
	lab_jsonbuf_raw(&b, ",", 1);
	lab_jsonbuf_int(&b, INT64_MIN);
	lab_jsonbuf_raw(&b, ",", 1);
	lab_jsonbuf_int(&b, INT64_MAX);
	lab_jsonbuf_raw(&b, ",", 1);
	lab_jsonbuf_real(&b, 2.0);
	lab_jsonbuf_raw(&b, ",", 1);
	lab_jsonbuf_real(&b, -0.125);
	lab_jsonbuf_raw(&b, ",", 1);
	lab_jsonbuf_bool(&b, true);
	lab_jsonbuf_raw(&b, ",", 1);
	lab_jsonbuf_bool(&b, false);
	lab_jsonbuf_raw(&b, ",{", 2);
	lab_jsonbuf_key(&b, "k\"ey");
	lab_jsonbuf_null(&b);
	lab_jsonbuf_raw(&b, "}]", 2);
	assert_int_equal(lab_jsonbuf_take(&b, &out, &len), 0);
	assert_int_equal(strlen(out), len);
	v = parse(out);
	want = json_pack("[s%, s, n, I, I, f, f, b, b, {s:n}]", all, (size_t)36, utf8,
			 (json_int_t)INT64_MIN, (json_int_t)INT64_MAX, 2.0, -0.125, 1, 0, "k\"ey");
	assert_non_null(want);
	if (!json_equal(v, want))
		fail_msg("jsonbuf wrote %s", out);
	/* valid UTF-8 passes through unescaped */
	assert_non_null(strstr(out, "\xf0\x9f\x98\x80"));
	json_decref(v);
	json_decref(want);
	free(out);
	lab_jsonbuf_free(&b);	/* after take: a no-op */
}

static void test_jsonbuf_invalid_utf8(void **state)
{
	/* a lone continuation, an overlong '/', a surrogate, a truncated euro,
	 * a code point above U+10FFFF: each byte becomes U+FFFD */
	static const char *const bad[] = {
		"a\x80z", "\xc0\xaf", "\xed\xa0\x80", "x\xe2\x82", "\xf4\x90\x80\x80", "\xff",
	};
	static const size_t nrep[] = { 1, 2, 3, 2, 4, 1 };

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct lab_jsonbuf b = { 0 };
		const char *s;
		size_t n = 0, len;
		char *out;
		json_t *v;

		lab_jsonbuf_str(&b, bad[i]);
		assert_int_equal(lab_jsonbuf_take(&b, &out, &len), 0);
		v = parse(out);
		assert_true(json_is_string(v));
		for (s = json_string_value(v); (s = strstr(s, "\xef\xbf\xbd")); s += 3)
			n++;
		if (n != nrep[i])
			fail_msg("case %zu: %zu replacement characters in %s, want %zu", i, n, out,
				 nrep[i]);
		json_decref(v);
		free(out);
	}
}

/* ---- equivalence with the jansson oracle ---------------------------------- */

static void same_matrix(struct fx *f, int64_t kid)
{
	json_t *want, *got;
	char *text;
	size_t len;
	int r1, r2;

	r1 = lab_store_matrix(f->st, kid, &want);
	r2 = lab_store_matrix_text(f->st, kid, &text, &len);
	assert_int_equal(r2, r1);
	if (r1)
		return;
	assert_int_equal(strlen(text), len);
	got = parse(text);
	if (!json_equal(got, want)) {
		char *w = json_dumps(want, JSON_COMPACT);

		fail_msg("matrix of kernel %lld differs:\n new %.600s\n old %.600s", (long long)kid,
			 text, w);
	}
	json_decref(got);
	json_decref(want);
	free(text);
}

/* ---- the diff oracle: diff.h's document from the store's rows ------------- */

/* a kernel by name, or a plan by its decimal id: its id and descriptor */
static int oracle_resolve(struct fx *f, bool by_plan, const char *name, int64_t *id,
			  json_t **desc)
{
	char *end;
	long long v;
	int r;

	if (!by_plan) {
		r = lab_store_kernel_json(f->st, name, desc);
		if (!r)
			*id = json_integer_value(json_object_get(*desc, "id"));
		return r;
	}
	v = strtoll(name, &end, 10);
	if (!*name || *end || v <= 0)
		return -EINVAL;
	*id = v;
	return lab_store_plan_json(f->st, v, desc);
}

/* a column of a store row: json null when absent; "" for a text column that is not text */
static json_t *oracle_col(json_t *row, const char *k)
{
	json_t *v = json_object_get(row, k);

	return v ? v : json_null();
}

static const char *oracle_text(json_t *row, const char *k)
{
	const char *v = json_string_value(json_object_get(row, k));

	return v ? v : "";
}

/* the row of @side with this target and case, NULL when there is none */
static json_t *oracle_row(json_t *side, const char *target, const char *case_id)
{
	size_t i;
	json_t *row;

	json_array_foreach(side, i, row)
		if (!strcmp(oracle_text(row, "target"), target) &&
		    !strcmp(oracle_text(row, "case"), case_id))
			return row;
	return NULL;
}

/* the QEMU a side ran @target on: the first of its rows of @target that
 * recorded one, "" when none did (the absent side of a new/missing row) */
static const char *oracle_qemu(json_t *side, const char *target)
{
	size_t i;
	json_t *row;

	json_array_foreach(side, i, row)
		if (!strcmp(oracle_text(row, "target"), target) && *oracle_text(row, "qemu"))
			return oracle_text(row, "qemu");
	return "";
}

static json_t *oracle_errno_name(json_t *v)
{
	return json_is_integer(v) ? json_string(lab_errno_name((int)json_integer_value(v))) :
				    json_null();
}

/* a row's side summed up (diff.h's struct lab_diff_side), from the store row */
static void oracle_dside(json_t *row, struct lab_diff_side *d)
{
	enum lab_verdict v = LAB_VERDICT_PASS;
	json_t *st = json_object_get(row, "steps");
	char *steps = json_is_string(st) ? strdup(json_string_value(st)) :
		      json_dumps(st, JSON_COMPACT | JSON_ENCODE_ANY);

	assert_int_equal(lab_verdict_parse(oracle_text(row, "verdict"), &v), 0);
	assert_int_equal(lab_diff_side_parse(d, (int)json_integer_value(json_object_get(row, "observed")),
					     v, oracle_text(row, "outcomes"), steps), 0);
	free(steps);
}

/* a row's side as diff.h specifies it; null for an absent row */
static json_t *oracle_side(json_t *row)
{
	struct lab_diff_side d;
	json_t *dist;

	if (!row)
		return json_null();
	oracle_dside(row, &d);
	dist = json_array();
	for (size_t i = 0; i < d.npairs && i < LAB_DIFF_PAIRS_MAX; i++)
		json_array_append_new(dist, json_pack("{s:i, s:s, s:s, s:i}",
			"observed", d.pairs[i].observed,
			"observed_name", lab_errno_name(d.pairs[i].observed),
			"verdict", lab_verdict_name(d.pairs[i].verdict), "count", d.pairs[i].count));
	return json_pack("{s:O, s:o, s:O, s:o, s:O, s:O, s:O, s:b, s:o, s:o}",
			 "observed", oracle_col(row, "observed"),
			 "observed_name", oracle_errno_name(oracle_col(row, "observed")),
			 "expected", oracle_col(row, "expected"),
			 "expected_name", oracle_errno_name(oracle_col(row, "expected")),
			 "verdict", oracle_col(row, "verdict"),
			 "result_id", oracle_col(row, "result_id"),
			 "runs", oracle_col(row, "runs"),
			 "flaky", d.npairs > 1, "distribution", dist,
			 "setup", d.setup_step[0] ?
			 json_pack("{s:s, s:i, s:s}", "step", d.setup_step, "errno", d.setup_errno,
				   "errno_name", lab_errno_name(d.setup_errno)) : json_null());
}

struct oracle_key {
	const char *target, *case_id;
};

static int oracle_key_cmp(const void *a, const void *b)
{
	const struct oracle_key *x = a, *y = b;
	int c = strcmp(x->target, y->target);

	return c ? c : strcmp(x->case_id, y->case_id);
}

static enum lab_verdict oracle_verdict(json_t *row)
{
	enum lab_verdict v = LAB_VERDICT_PASS;

	if (row)
		assert_int_equal(lab_verdict_parse(oracle_text(row, "verdict"), &v), 0);
	return v;
}

/* the expected document, or NULL with *r the expected error */
static json_t *oracle_diff(struct fx *f, bool by_plan, const char *base, const char *head,
			   bool changes_only, int *r)
{
	json_t *desc[2] = { NULL, NULL }, *side[2] = { NULL, NULL }, *rows, *summary, *doc;
	const char *name[2] = { base, head };
	int counts[LAB_DIFF_NCLASSES] = { 0 }, regressions = 0, qemu_changes = 0;
	struct oracle_key *keys;
	size_t nkeys = 0, i;
	int64_t id;
	json_t *row;

	for (int s = 0; s < 2; s++) {
		*r = oracle_resolve(f, by_plan, name[s], &id, &desc[s]);
		if (*r) {
			json_decref(desc[0]);
			return NULL;
		}
	}
	for (int s = 0; s < 2; s++)
		assert_int_equal(lab_store_diff_side(f->st, by_plan,
				json_integer_value(json_object_get(desc[s], "id")), &side[s]), 0);
	keys = calloc(json_array_size(side[0]) + json_array_size(side[1]) + 1, sizeof(*keys));
	assert_non_null(keys);
	for (int s = 0; s < 2; s++)
		json_array_foreach(side[s], i, row)
			keys[nkeys++] = (struct oracle_key){
				oracle_text(row, "target"), oracle_text(row, "case"),
			};
	qsort(keys, nkeys, sizeof(*keys), oracle_key_cmp);
	rows = json_array();
	for (i = 0; i < nkeys; i++) {
		json_t *b, *h, *named;
		struct lab_diff_side bd, hd;
		enum lab_diff_class c;
		const char *q[2];
		bool reg, qc;

		if (i && !oracle_key_cmp(&keys[i - 1], &keys[i]))
			continue;	/* the key of both sides, seen already */
		b = oracle_row(side[0], keys[i].target, keys[i].case_id);
		h = oracle_row(side[1], keys[i].target, keys[i].case_id);
		if (b)
			oracle_dside(b, &bd);
		if (h)
			oracle_dside(h, &hd);
		c = lab_diff_classify_sides(b ? &bd : NULL, h ? &hd : NULL);
		/* a changed row whose sides ran on two known QEMU versions that differ */
		q[0] = oracle_qemu(side[0], keys[i].target);
		q[1] = oracle_qemu(side[1], keys[i].target);
		if (b)
			q[0] = oracle_text(b, "qemu");
		if (h)
			q[1] = oracle_text(h, "qemu");
		qc = c != LAB_DIFF_UNCHANGED && *q[0] && *q[1] && strcmp(q[0], q[1]);
		reg = !qc && lab_diff_regression(c, b ? &bd : NULL, h ? &hd : NULL);
		(void)oracle_verdict;
		counts[c]++;
		regressions += reg;
		qemu_changes += qc;
		if (changes_only && c == LAB_DIFF_UNCHANGED)
			continue;
		named = h ? h : b;
		/* no known issues here: every row's "known_issue" is null (test_known) */
		json_array_append_new(rows, json_pack("{s:s, s:s, s:s, s:s, s:b, s:n, s:{s:o, s:o}, s:b, s:o, s:o}",
			"target", oracle_text(named, "target"),
			"driver", oracle_text(named, "driver"),
			"case", oracle_text(named, "case"),
			"class", lab_diff_class_name(c), "regression", reg, "known_issue",
			"qemu", "base", *q[0] ? json_string(q[0]) : json_null(),
			"head", *q[1] ? json_string(q[1]) : json_null(), "qemu_change", qc,
			"base", oracle_side(b), "head", oracle_side(h)));
	}
	summary = json_object();
	for (int c = 0; c < LAB_DIFF_NCLASSES; c++)
		json_object_set_new(summary, lab_diff_class_name(c), json_integer(counts[c]));
	json_object_set_new(summary, "regressions", json_integer(regressions));
	json_object_set_new(summary, "expected", json_integer(0));
	json_object_set_new(summary, "expected_passed", json_integer(0));
	json_object_set_new(summary, "qemu_changes", json_integer(qemu_changes));
	doc = json_pack("{s:s, s:o, s:o, s:o, s:n, s:o}", "by", by_plan ? "plan" : "kernel",
			"base", desc[0], "head", desc[1], "summary", summary, "targets",
			"rows", rows);
	assert_non_null(doc);
	free(keys);
	json_decref(side[0]);
	json_decref(side[1]);
	return doc;
}

static void same_diff(struct fx *f, bool by_plan, const char *base, const char *head,
		      bool changes_only)
{
	char e1[256] = "", e2[256] = "", *text, *t1, *t2;
	json_t *want, *got, *doc = NULL;
	int r0, r1, r2;
	size_t len;

	want = oracle_diff(f, by_plan, base, head, changes_only, &r0);
	r2 = lab_diff_run_text(f->st, by_plan, base, head, changes_only, &text, &len, e2,
			       sizeof(e2));
	r1 = lab_diff_run(f->st, by_plan, base, head, changes_only, &doc, e1, sizeof(e1));
	assert_int_equal(r2, r0);
	assert_int_equal(r1, r0);
	if (r0) {
		assert_true(e2[0]);	/* the caller is told which side */
		assert_string_equal(e1, e2);
		return;
	}
	assert_int_equal(strlen(text), len);
	got = parse(text);
	if (!json_equal(got, want)) {
		char *w = json_dumps(want, JSON_COMPACT);

		fail_msg("diff %s..%s (plan %d, changes %d) differs:\n got  %.800s\n want %.800s",
			 base, head, by_plan, changes_only, text, w);
	}
	assert_true(json_equal(doc, want));
	/* the text table of lab_diff_run()'s document is the expected document's */
	t1 = lab_diff_text(want);
	t2 = lab_diff_text(doc);
	assert_non_null(t1);
	assert_non_null(t2);
	assert_string_equal(t2, t1);
	free(t1);
	free(t2);
	json_decref(doc);
	json_decref(got);
	json_decref(want);
	free(text);
}

static int64_t add_target(struct fx *f, const char *name, const char *driver)
{
	struct lab_target t = {
		.name = (char *)name, .arch = "x86_64", .backend = "qemu", .driver = (char *)driver,
		.definition = "{}", .concurrency = 1,
	};

	assert_int_equal(lab_store_target_put(f->st, &t), 0);
	return t.id;
}

/* one complete job of kernel @kid on target @tid with @n results */
static int64_t complete(struct fx *f, int64_t kid, int64_t tid, struct lab_result *res,
			size_t n)
{
	struct lab_job j = { .kernel_id = kid, .target_id = tid, .backend = "qemu" };

	assert_int_equal(lab_store_job_create(f->st, &j), 0);
	assert_int_equal(lab_store_job_transition(f->st, j.id, LAB_JOB_QUEUED,
						  LAB_JOB_SCHEDULED, NULL), 0);
	assert_int_equal(lab_store_job_transition(f->st, j.id, LAB_JOB_SCHEDULED,
						  LAB_JOB_RUNNING, NULL), 0);
	assert_int_equal(lab_store_results_ingest(f->st, j.id, res, n), 0);
	assert_int_equal(lab_store_job_transition(f->st, j.id, LAB_JOB_RUNNING,
						  LAB_JOB_COMPLETE, NULL), 0);
	return j.id;
}

/* the real guest logs, plus rows with hostile strings and NULL columns */
static void test_same_real(void **state)
{
	struct fx *f = *state;
	const char *names[2] = { "q35-vtd-6.1.log", "q35-vtd-6.12.log" };
	struct lab_result odd[] = {
		fx_result("kmod.odd.quote", 22, -1, LAB_VERDICT_PASS),
		fx_result("kmod.odd.ctl", 95, 22, LAB_VERDICT_FAIL),
		fx_result("kmod.odd.utf8", 0, 0, LAB_VERDICT_SKIP),
		fx_result("kmod.odd.error", 5, 22, LAB_VERDICT_ERROR),
		fx_result("kmod.odd.flaky", 22, 22, LAB_VERDICT_PASS),
		fx_result("kmod.odd.flaky", 16, 22, LAB_VERDICT_FAIL),
	};
	char path[PATH_MAX];
	int64_t odd_t;

	odd[0].reason = "reason with \"quotes\", \\ and \x7f";
	odd[0].reused = 1;
	odd[1].reused = 0;
	odd[1].contract = NULL;
	odd[1].reason = "ctl \x01\x1f\t\n\r\b\f end";
	odd[1].verified = "v\xc3\xa9rified \xe2\x82\xac";
	odd[2].driver = "dr\xc3\xafver-\xf0\x9f\x98\x80";
	odd[2].verified = NULL;
	odd[3].iommu = NULL;
	odd[5].repeat = 1;
	for (int k = 0; k < 2; k++) {
		struct lab_record_scan sc;

		snprintf(path, sizeof(path), "%s/tests/unit/data/%s", top_dir(), names[k]);
		assert_int_equal(lab_record_scan_file(path, &sc), 0);
		if (sc.status != LAB_SCAN_OK)
			fail_msg("%s: %s", names[k], sc.error);
		assert_true(sc.n > 0);
		complete(f, f->kernel[k], f->target[0], sc.res, sc.n);
		lab_record_scan_clear(&sc);
	}
	odd_t = add_target(f, "odd-\xc3\xa9-target", "amd-iommu");
	complete(f, f->kernel[1], odd_t, odd, 6);
	complete(f, f->kernel[0], odd_t, odd + 3, 2);
	for (int k = 0; k < 2; k++)
		same_matrix(f, f->kernel[k]);
	same_matrix(f, 999);	/* -ENOENT on both paths */
	for (int c = 0; c < 2; c++) {
		same_diff(f, false, "6.1", "6.12", c);
		same_diff(f, false, "6.12", "6.1", c);
		same_diff(f, false, "6.12", "6.12", c);
	}
	same_diff(f, false, "6.1", "nope", false);
	same_diff(f, true, "1", "x", false);
	same_diff(f, true, "1", "2", false);	/* unknown plans: -ENOENT */
}

/* a generated history: 3 kernels x 6 targets x 40 cases, repeats, gaps */
static void test_same_generated(void **state)
{
	static const int errnos[] = { 0, 22, 95, 19, 16, 1, 12, 5 };
	struct fx *f = *state;
	const char *kn[3] = { "6.1", "6.12", "6.13-rc1" };
	int64_t kid[3] = { f->kernel[0], f->kernel[1], 0 }, tid[6];
	char tname[6][32], cases[40][48], err[256], id[2][32];
	struct lab_kernel k3 = { .name = "6.13-rc1", .arch = "x86_64" };
	unsigned seed = 12345;
	json_t *plan, *jobs;
	int64_t pid[2], jid;
	int n;

	assert_int_equal(lab_store_kernel_put(f->st, &k3), 0);
	kid[2] = k3.id;
	for (int t = 0; t < 6; t++) {
		snprintf(tname[t], sizeof(tname[t]), "gen-%c-target%d", "zayb"[t % 4], t);
		tid[t] = add_target(f, tname[t], t % 2 ? "amd-iommu" : "arm-smmu-v3");
	}
	for (int c = 0; c < 40; c++)
		snprintf(cases[c], sizeof(cases[c]), "%s.case%02d", c % 3 ? "kmod.gen" : "vfio.gen",
			 (c * 7) % 40);
	for (int k = 0; k < 3; k++) {
		for (int t = 0; t < 6; t++) {
			struct lab_result res[80];
			size_t nr = 0;

			if ((k + t) % 5 == 4)
				continue;	/* this target did not run this kernel */
			for (int rep = 0; rep < 1 + (t == 2); rep++) {
				for (int c = 0; c < 40; c++) {
					seed = seed * 1103515245 + 12345;
					if ((seed >> 16) % 11 == 0)
						continue;	/* a gap: missing/new rows */
					res[nr] = fx_result(cases[c], errnos[(seed >> 8) % 8],
							    (seed >> 20) % 4 ? errnos[(seed >> 12) % 8] : -1,
							    (enum lab_verdict)((seed >> 24) % 4));
					res[nr].driver = t % 2 ? "amd-iommu" : "arm-smmu-v3";
					res[nr].reused = (int)((seed >> 4) % 3) - 1;
					res[nr].repeat = rep;
					nr++;
				}
			}
			jid = complete(f, kid[k], tid[t], res, nr);
			/* the QEMU it ran on: none recorded, 7.2 or 10.0 (QEMU changes) */
			if (t % 3) {
				struct lab_provenance p = {
					.job_id = jid, .top = "/t", .cache_dir = "/c", .arch = "x86_64",
					.qemu_version = (k + t) % 2 ? "10.0.2" : "7.2.19",
				};

				assert_int_equal(lab_store_provenance_put(f->st, &p), 0);
			}
		}
	}
	for (int k = 0; k < 3; k++)
		same_matrix(f, kid[k]);
	for (int a = 0; a < 3; a++)
		for (int b = 0; b < 3; b++)
			for (int c = 0; c < 2; c++)
				same_diff(f, false, kn[a], kn[b], c);
	/* plan diffs: two plans over two targets, different kernels */
	for (int p = 0; p < 2; p++) {
		struct lab_job_filter jf = { .state = -1, .limit = 10 };
		size_t i;
		json_t *j;

		plan = json_pack("{s:s, s:[s], s:[s, s]}", "kind", "patch", "kernels", kn[p],
				 "targets", tname[0], tname[1]);
		assert_int_equal(lab_store_plan_create_ex(f->st, plan, NULL, &pid[p], &n, err,
							  sizeof(err)), 0);
		json_decref(plan);
		jf.plan_id = pid[p];
		assert_int_equal(lab_store_jobs_list(f->st, &jf, &jobs), 0);
		json_array_foreach(jobs, i, j) {
			int64_t jid = json_integer_value(json_object_get(j, "id"));
			struct lab_result res[3] = {
				fx_result(cases[0], p ? 22 : 95, 22, p ? LAB_VERDICT_PASS : LAB_VERDICT_FAIL),
				fx_result(cases[p + 1], 0, -1, LAB_VERDICT_SKIP),
				fx_result(cases[0], 22, 22, LAB_VERDICT_PASS),
			};

			res[2].repeat = 1;
			assert_int_equal(lab_store_job_transition(f->st, jid, 0, 1, NULL), 0);
			assert_int_equal(lab_store_job_transition(f->st, jid, 1, 2, NULL), 0);
			assert_int_equal(lab_store_results_ingest(f->st, jid, res, 3), 0);
			assert_int_equal(lab_store_job_transition(f->st, jid, 2, 3, NULL), 0);
		}
		json_decref(jobs);
		snprintf(id[p], sizeof(id[p]), "%lld", (long long)pid[p]);
	}
	for (int c = 0; c < 2; c++) {
		same_diff(f, true, id[0], id[1], c);
		same_diff(f, true, id[1], id[0], c);
	}
}

/* ---- generation ---------------------------------------------------------- */

static void test_generation(void **state)
{
	struct fx *f = *state;
	struct lab_result r[] = { fx_result("kmod.g.one", 22, 22, LAB_VERDICT_PASS) };
	struct lab_store *other;
	uint64_t g0, g1, g2, g3;
	int64_t jid;

	g0 = lab_store_generation(f->st);
	assert_int_equal(lab_store_generation(f->st), g0);	/* nothing changed */
	/* this connection completes a job: its results become visible */
	complete(f, f->kernel[0], f->target[0], r, 1);
	g1 = lab_store_generation(f->st);
	assert_true(g1 != g0);
	assert_int_equal(lab_store_generation(f->st), g1);
	/* another connection (another thread's store) writes */
	assert_int_equal(lab_store_open(f->db, f->schema, &other), 0);
	assert_int_equal(lab_store_generation(other), lab_store_generation(other));
	g2 = lab_store_generation(f->st);
	jid = fx_running_job(f, 0, 1);
	(void)jid;
	g3 = lab_store_generation(other);
	assert_true(g3 != g2);
	/* f->st wrote too: it sees its own commit */
	assert_true(lab_store_generation(f->st) != g2);
	lab_store_close(other);
}

/* ---- response cache ------------------------------------------------------- */

static void test_respcache(void **state)
{
	static char big[1 << 20];
	char *body, key[32];
	size_t len, entries, bytes;
	uint64_t hits, misses;

	(void)state;
	lab_respcache_clear();
	assert_int_equal(lab_respcache_get("k", 1, 1, &body, &len), -ENOENT);
	assert_int_equal(lab_respcache_put("k", 1, 1, "{\"a\":1}", 7), 0);
	assert_int_equal(lab_respcache_get("k", 1, 1, &body, &len), 0);
	assert_int_equal(len, 7);
	assert_string_equal(body, "{\"a\":1}");
	free(body);
	/* a key is bytes: "k\0x" is not "k" */
	assert_int_equal(lab_respcache_get("k\0x", 3, 1, &body, &len), -ENOENT);
	/* another generation misses and drops the entry */
	assert_int_equal(lab_respcache_get("k", 1, 2, &body, &len), -ENOENT);
	assert_int_equal(lab_respcache_get("k", 1, 1, &body, &len), -ENOENT);
	/* an older generation never replaces a newer body */
	assert_int_equal(lab_respcache_put("k", 1, 5, "new", 3), 0);
	assert_int_equal(lab_respcache_put("k", 1, 4, "old", 3), 0);
	assert_int_equal(lab_respcache_get("k", 1, 5, &body, &len), 0);
	assert_string_equal(body, "new");
	free(body);
	/* bounded: 100 bodies of 1 MiB keep at most 64 MiB, the newest stay */
	memset(big, 'x', sizeof(big));
	for (int i = 0; i < 100; i++) {
		snprintf(key, sizeof(key), "big%d", i);
		assert_int_equal(lab_respcache_put(key, strlen(key), 1, big, sizeof(big)), 0);
	}
	lab_respcache_stats(&entries, &bytes, &hits, &misses);
	assert_true(bytes <= LAB_RESPCACHE_BYTES);
	assert_true(entries >= 50 && entries < 100);
	assert_int_equal(lab_respcache_get("big99", 5, 1, &body, &len), 0);
	assert_int_equal(len, sizeof(big));
	free(body);
	assert_int_equal(lab_respcache_get("big0", 4, 1, &body, &len), -ENOENT);
	/* a body over a quarter of the capacity is refused */
	assert_int_equal(lab_respcache_put("huge", 4, 1, big, LAB_RESPCACHE_BYTES / 4), -E2BIG);
	lab_respcache_clear();
	lab_respcache_stats(&entries, &bytes, NULL, NULL);
	assert_int_equal(entries, 0);
	assert_int_equal(bytes, 0);
}

static void *hammer(void *arg)
{
	long id = (long)arg;
	char key[16], val[32], *body;
	size_t len;

	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof(key), "h%d", i % 37);
		snprintf(val, sizeof(val), "body-%d", i % 37);
		if (lab_respcache_get(key, strlen(key), (uint64_t)(i % 3), &body, &len) == 0) {
			if (strcmp(body, val) != 0)
				return (void *)1;
			free(body);
		} else if (lab_respcache_put(key, strlen(key), (uint64_t)(i % 3), val,
					     strlen(val))) {
			return (void *)2;
		}
	}
	(void)id;
	return NULL;
}

static void test_respcache_threads(void **state)
{
	pthread_t t[4];
	void *rv;

	(void)state;
	lab_respcache_clear();
	for (long i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, (void *)i), 0);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], &rv), 0);
		assert_null(rv);
	}
	lab_respcache_clear();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_jsonbuf_strings),
		cmocka_unit_test(test_jsonbuf_invalid_utf8),
		cmocka_unit_test_setup_teardown(test_same_real, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_same_generated, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_generation, fx_setup, fx_teardown),
		cmocka_unit_test(test_respcache),
		cmocka_unit_test(test_respcache_threads),
	};
	return cmocka_run_group_tests_name("fastpath", tests, NULL, NULL);
}
