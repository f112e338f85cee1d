/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bisect_series.c - bisection over a patch series (issue 17.2): which
 * patch of base+series flips the predicate. Contract in bisect.h; shared
 * parts in bisect_int.h.
 *
 * The series is written once under STATE/bisect/<id>/series/: the request's
 * mbox (series.mbox, split with `git mailsplit -b` into split/0001...) or
 * its files in order (split/0001...). A step on the first K patches is a
 * build kernel "bisect<id>-p<K>" with recipe tree=TREE;patches=.../p<K>,
 * a directory of hard links to split/0001..000K and a "series" file, so
 * kernels/build starts it from the base's objects like any candidate. The
 * base (K = 0) is taken as good and the whole series (K = N) as bad; the
 * range is halved until one patch is left; a skipped K is replaced by the
 * nearest untested K of the range (all skipped: the candidates are named).
 *
 * Invariants: the spec gains "series": {"n", "dir", "patches": [{"name",
 * "subject"}]} before the first step; a step's commit id is "patch:K".
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flowutil.h"
#include "artifacts.h"
#include "bisect_int.h"
#include "gitrun.h"
#include "log.h"
#include "model.h"
#include "names.h"
#include "patch.h"
#include "proc.h"
#include "store_bisect.h"
#include "views.h"

#define SERIES_FILES_MAX 200

static bool has_diff(const char *t)
{
	return !strncmp(t, "--- ", 4) || !strncmp(t, "diff ", 5) || strstr(t, "\n--- ") ||
	       strstr(t, "\ndiff ");
}

/* the base as a kernels/build tree: a registered build kernel without
 * patches, debian-6.12, or /abs/git@ref (pinned to its commit) */
static int base_tree(struct lab_store *st, const char *base, char *tree, size_t tlen,
		     char *err, size_t errlen)
{
	char patches[1032], real[PATH_MAX], sha[41], path[PATH_MAX + 128];
	struct lab_kernel k = { 0 };
	const char *at;
	int ret;

	if (!base || !*base)
		return lab_flow_errf(err, errlen, -EINVAL, "\"base\" (a build kernel, debian-6.12 or "
			    "/abs/git/checkout[@ref]) is required");
	ret = lab_store_kernel_get(st, base, &k);
	if (!ret) {
		ret = lab_artifacts_recipe(&k, tree, tlen, patches, sizeof(patches));
		lab_kernel_clear(&k);
		if (ret || *patches)
			return lab_flow_errf(err, errlen, -EINVAL, "base kernel '%.64s' is not one the lab "
				    "builds from a tree alone", base);
		/* pinned below like a tree given directly */
		snprintf(path, sizeof(path), "%s", tree);
		base = path;
	} else if (ret != -ENOENT) {
		return ret;
	}
	if (!strcmp(base, "debian-6.12")) {
		snprintf(tree, tlen, "debian-6.12");
		return 0;
	}
	at = strchr(base, '@');
	snprintf(path, sizeof(path), "%.*s", at ? (int)(at - base) : (int)strlen(base), base);
	ret = lab_git_tree_check("base", path, real, err, errlen);
	if (!ret)
		ret = lab_git_resolve(real, "base", at ? at + 1 : "HEAD", sha, err, errlen);
	if (ret)
		return ret;
	if ((size_t)snprintf(tree, tlen, "%s@%s", real, sha) >= tlen)
		return lab_flow_errf(err, errlen, -EINVAL, "\"base\": path too long");
	return 0;
}

int lab_bisect_series_check(struct lab_store *st, json_t *req, json_t *spec, char *err,
			    size_t errlen)
{
	json_t *s = json_object_get(req, "series"), *e;
	char tree[PATH_MAX + 64];
	size_t i, total = 0;
	int ret;

	ret = base_tree(st, json_string_value(json_object_get(req, "base")), tree, sizeof(tree),
			err, errlen);
	if (ret)
		return ret;
	if (json_is_string(s)) {
		total = json_string_length(s);
		if (!total || strlen(json_string_value(s)) != total || !has_diff(json_string_value(s)))
			return lab_flow_errf(err, errlen, -EINVAL, "\"series\" is empty, holds a NUL byte or "
				    "no diff");
	} else if (json_is_array(s) && json_array_size(s) >= 1 &&
		   json_array_size(s) <= SERIES_FILES_MAX) {
		json_array_foreach(s, i, e) {
			const char *n = json_string_value(json_object_get(e, "name"));
			const char *t = json_string_value(json_object_get(e, "text"));

			if (!json_is_object(e) || json_object_size(e) != 2 || !n || !t ||
			    !lab_name_ok(LAB_NAME_PATCH_FILE, n) || !*t || !has_diff(t))
				return lab_flow_errf(err, errlen, -EINVAL, "\"series\"[%zu]: {\"name\": a patch "
					    "file name (%s), \"text\": a diff}", i,
					    lab_name_rule(LAB_NAME_PATCH_FILE));
			total += strlen(t);
		}
	} else {
		return lab_flow_errf(err, errlen, -EINVAL, "\"series\": an mbox (text) or 1..%d "
			    "{\"name\", \"text\"} files", SERIES_FILES_MAX);
	}
	if (total > LAB_PATCH_SERIES_MAX)
		return lab_flow_errf(err, errlen, -EINVAL, "\"series\": more than %u bytes",
			    LAB_PATCH_SERIES_MAX);
	json_object_set_new(spec, "base", json_string(lab_flow_str(req, "base")));
	json_object_set_new(spec, "tree", json_string(tree));
	return 0;
}

static int write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "wxe");
	int ret = 0;

	if (!f)
		return -errno;
	if (fputs(text, f) == EOF)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -EIO;
	return ret;
}

/* "Subject: ..." of a mail file (folded lines joined), or "a diff of FILE" */
static json_t *subject_of(const char *path)
{
	char buf[8192], out[200];
	size_t n, o = 0;
	const char *s;
	FILE *f = fopen(path, "re");

	if (!f)
		return json_string("?");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	s = !strncmp(buf, "Subject: ", 9) ? buf : strstr(buf, "\nSubject: ");
	if (!s) {
		s = strstr(buf, "+++ b/");
		snprintf(out, sizeof(out), "a diff of %.*s", s ? (int)strcspn(s + 6, " \t\r\n") : 1,
			 s ? s + 6 : "?");
		return json_string(out);
	}
	s += s == buf ? 9 : 10;
	if (*s == '[' && strchr(s, ']') && strchr(s, ']') < strchr(s, '\n'))	/* [PATCH n/m] */
		s = strchr(s, ']') + 1 + (strchr(s, ']')[1] == ' ');
	while (*s && o + 1 < sizeof(out)) {
		if (*s == '\n' && (s[1] == ' ' || s[1] == '\t')) {
			s++;
			continue;
		}
		if (*s == '\n' || *s == '\r')
			break;
		out[o++] = (unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f ? ' ' : *s;
		s++;
	}
	out[o] = '\0';
	return json_string(out);
}

int lab_bisect_series_begin(struct lab_store *st, const struct lab_config *cfg,
			    struct lab_bis *b, json_t *req, char *err, size_t errlen)
{
	json_t *s = json_object_get(req, "series"), *e, *patches = json_array(), *ser;
	char dir[PATH_MAX], split[PATH_MAX], p[PATH_MAX + 32], *o = NULL, *sp;
	size_t i;
	int ret, n = 0;

	if (!patches)
		return -ENOMEM;
	ret = lab_bis_dir(cfg, b->id, "series", dir, sizeof(dir));
	if (!ret && (size_t)snprintf(split, sizeof(split), "%s/split", dir) >= sizeof(split))
		ret = -ENAMETOOLONG;
	if (!ret)
		ret = lab_proc_mkdir_p(split);
	if (ret)
		goto fail;
	if (json_is_string(s)) {
		char outopt[PATH_MAX + 8];
		const char *argv[] = { "git", "mailsplit", "-b", outopt, p, NULL };

		snprintf(p, sizeof(p), "%s/series.mbox", dir);
		snprintf(outopt, sizeof(outopt), "-o%s", split);
		ret = write_text(p, json_string_value(s));
		if (ret)
			goto fail;
		if (lab_git_run(argv, false, 4096, &o) || (n = atoi(o ? o : "0")) < 1 ||
		    n > SERIES_FILES_MAX) {
			ret = -EINVAL;
			goto fail;
		}
	} else {
		json_array_foreach(s, i, e) {
			snprintf(p, sizeof(p), "%s/%04zu", split, i + 1);
			ret = write_text(p, lab_flow_str(e, "text"));
			if (ret)
				goto fail;
		}
		n = (int)json_array_size(s);
	}
	for (int k = 1; k <= n; k++) {
		const char *name = json_is_array(s) ? lab_flow_str(json_array_get(s, k - 1), "name") : NULL;
		char nb[32];

		snprintf(p, sizeof(p), "%s/%04d", split, k);
		snprintf(nb, sizeof(nb), "series.mbox#%d", k);
		json_array_append_new(patches, json_pack("{s:s, s:o}", "name", name ? name : nb,
							 "subject", subject_of(p)));
	}
	ser = json_pack("{s:i, s:s, s:O}", "n", n, "dir", dir, "patches", patches);
	if (!ser || json_object_set_new(b->spec, "series", ser)) {
		ret = -ENOMEM;
		goto fail;
	}
	sp = json_dumps(b->spec, JSON_COMPACT);
	ret = sp ? lab_store_bisect_set_spec(st, b->id, sp) : -ENOMEM;
	free(sp);
	if (ret)
		goto fail;
	ret = lab_bisect_series_next(st, cfg, b);
	if (ret < 0)
		goto fail;
	free(o);
	json_decref(patches);
	return 0;
fail:
	free(o);
	json_decref(patches);
	lab_bis_fail(st, b->id, "the series could not be written or split");
	return lab_flow_errf(err, errlen, ret == -EINVAL ? -EINVAL : -EIO, "the series could not be %s "
		    "(%s)", ret == -EINVAL ? "split into mails" : "written", strerror(-ret));
}

/* ---- the search ---------------------------------------------------------- */

struct range {
	int lo, hi, steps;
	bool open;
	unsigned char tested[SERIES_FILES_MAX + 1];	/* 1 good/bad, 2 skip */
	json_t *log;
};

static int range_row(const struct lab_store_row *r, void *arg)
{
	struct range *g = arg;
	const char *commit = NULL, *j = NULL;
	int k;

	for (int i = 0; i < lab_store_row_ncols(r); i++) {
		const char *c = lab_store_row_name(r, i);

		if (!strcmp(c, "commit"))
			commit = lab_store_row_text(r, i, NULL);
		else if (!strcmp(c, "judgement") && lab_store_row_type(r, i) == LAB_COL_TEXT)
			j = lab_store_row_text(r, i, NULL);
	}
	g->steps++;
	if (!commit || sscanf(commit, "patch:%d", &k) != 1 || k < 0 || k > SERIES_FILES_MAX)
		return 0;
	if (!j) {
		g->open = true;
		return 0;
	}
	g->tested[k] = strcmp(j, "skip") ? 1 : 2;
	if (!strcmp(j, "good") && k > g->lo)
		g->lo = k;
	if (!strcmp(j, "bad") && k < g->hi)
		g->hi = k;
	if (g->log) {
		char line[64];

		snprintf(line, sizeof(line), "%s: first %d patch(es)", j, k);
		json_array_append_new(g->log, json_string(line));
	}
	return 0;
}

/* p<K>: links to the first K patches and a series file naming them */
static int prefix_dir(const char *dir, int k, char *out, size_t n)
{
	char src[PATH_MAX + 16], dst[PATH_MAX + 16];
	FILE *f;
	int ret;

	if ((size_t)snprintf(out, n, "%s/p%d", dir, k) >= n)
		return -ENAMETOOLONG;
	if (mkdir(out, 0755) && errno != EEXIST)
		return -errno;
	snprintf(dst, sizeof(dst), "%s/series", out);
	f = fopen(dst, "we");
	if (!f)
		return -errno;
	for (int i = 1; i <= k; i++) {
		snprintf(src, sizeof(src), "%s/split/%04d", dir, i);
		snprintf(dst, sizeof(dst), "%s/%04d", out, i);
		if (link(src, dst) && errno != EEXIST) {
			ret = -errno;
			fclose(f);
			return ret;
		}
		fprintf(f, "%04d\n", i);
	}
	return fclose(f) ? -EIO : 0;
}

static int series_finish(struct lab_store *st, struct lab_bis *b, struct range *g)
{
	json_t *ser = json_object_get(b->spec, "series"), *res, *cands = json_array(), *fb;
	json_t *pt = json_object_get(ser, "patches");
	const char *dir = lab_flow_str(ser, "dir");
	char *txt = NULL, *log = NULL, *dstat = NULL, *rep = NULL, file[PATH_MAX + 16];
	bool found = true;
	size_t i, len = 0;
	json_t *l;
	FILE *m;
	int ret;

	/* a skipped patch between the last good and the first bad: not decided */
	for (int k = g->lo + 1; k < g->hi; k++)
		if (g->tested[k] == 2)
			found = false;
	if (!found)
		for (int k = g->lo + 1; k <= g->hi; k++)
			json_array_append_new(cands, json_integer(k));
	snprintf(file, sizeof(file), "%s/split/%04d", dir, g->hi);
	{
		const char *argv[] = { "git", "apply", "--stat", file, NULL };

		lab_git_run(argv, false, 65536, &dstat);
	}
	l = json_array_get(pt, (size_t)g->hi - 1);
	fb = found ? json_pack("{s:i, s:s, s:s, s:s?}", "patch", g->hi, "name", lab_flow_str(l, "name"),
			       "subject", lab_flow_str(l, "subject"), "diffstat", dstat) : json_null();
	m = open_memstream(&log, &len);
	if (m) {
		json_array_foreach(g->log, i, l)
			fprintf(m, "%s\n", json_string_value(l));
		if (found)
			fprintf(m, "first bad patch: %d/%lld %s\n", g->hi,
				(long long)json_integer_value(json_object_get(ser, "n")),
				lab_flow_str(json_array_get(pt, (size_t)g->hi - 1), "subject"));
		fclose(m);
	}
	{
		json_t *e = json_object_get(b->spec, "expect");
		struct stat sb;
		int n = (int)json_integer_value(json_object_get(ser, "n"));
		char whole[PATH_MAX + 32];

		/* the series as stored: the mbox, or the whole-series prefix dir */
		snprintf(whole, sizeof(whole), "%s/series.mbox", dir);
		if (stat(whole, &sb) && prefix_dir(dir, n, whole, sizeof(whole)))
			snprintf(whole, sizeof(whole), "SERIES");
		if (asprintf(&rep, "iommulab bisect series --base %s --target %s --case %s --%s %s "
			     "--repeat %d %s", lab_flow_str(b->spec, "base"), b->target, b->case_id,
			     e ? "expect" : "verdict", e ? json_string_value(e) :
			     lab_flow_str(b->spec, "verdict"), b->repeat, whole) < 0)
			rep = NULL;
	}
	res = json_pack("{s:o, s:o, s:s, s:i, s:s?}", "first_bad", fb ? fb : json_null(),
			"candidates", cands, "log", log ? log : "", "builds", g->steps,
			"reproduce", rep);
	txt = res ? json_dumps(res, JSON_COMPACT) : NULL;
	ret = txt ? lab_store_bisect_update(st, b->id, found ? "found" : "failed", txt,
					    found ? NULL : "only skipped patches are left: the "
					    "first bad patch is one of the candidates") : -ENOMEM;
	if (!ret)
		lab_info("bisect %lld: %s: patch %d of the series after %d step(s)",
			 (long long)b->id, found ? "found" : "failed", g->hi, g->steps);
	json_decref(res);
	free(txt);
	free(log);
	free(dstat);
	free(rep);
	return ret;
}

int lab_bisect_series_next(struct lab_store *st, const struct lab_config *cfg,
			   struct lab_bis *b)
{
	json_t *ser = json_object_get(b->spec, "series");
	struct range g = { .lo = 0 };
	char pdir[PATH_MAX], kname[64], recipe[PATH_MAX * 2], cid[32];
	int n = (int)json_integer_value(json_object_get(ser, "n")), best = -1, ret;
	double mid;

	(void)cfg;
	if (n < 1 || n > SERIES_FILES_MAX)
		return -EINVAL;
	g.hi = n;
	g.log = json_array();
	ret = lab_store_bisect_steps_rows(st, b->id, range_row, &g);
	if (ret < 0 || g.open)
		goto out;
	if (g.hi - g.lo <= 1) {
		ret = series_finish(st, b, &g);
		goto out;
	}
	mid = (g.lo + g.hi) / 2.0;
	for (int k = g.lo + 1; k < g.hi; k++)
		if (!g.tested[k] && (best < 0 || (k - mid) * (k - mid) < (best - mid) * (best - mid)))
			best = k;
	if (best < 0) {
		ret = series_finish(st, b, &g);
		goto out;
	}
	if (g.steps >= LAB_BISECT_STEPS_MAX) {
		lab_bis_fail(st, b->id, "too many steps");
		ret = 0;
		goto out;
	}
	ret = prefix_dir(lab_flow_str(ser, "dir"), best, pdir, sizeof(pdir));
	if (ret)
		goto out;
	snprintf(kname, sizeof(kname), "bisect%lld-p%d", (long long)b->id, best);
	snprintf(recipe, sizeof(recipe), "tree=%s;patches=%s", b->tree, pdir);
	snprintf(cid, sizeof(cid), "patch:%d", best);
	ret = lab_bis_step_start(st, b, g.steps + 1, cid,
				 lab_flow_str(json_array_get(json_object_get(ser, "patches"),
						       (size_t)best - 1), "subject"), kname, recipe);
	if (!ret)
		ret = 1;
out:
	json_decref(g.log);
	return ret;
}

/* ---- from a patch report ---------------------------------------------------- */

static json_t *first_changed_row(json_t *rep)
{
	static const char *const kinds[] = { "contract_violations", "new_failures",
		"errno_changes", NULL };
	json_t *d;
	size_t i;

	for (const char *const *k = kinds; *k; k++)
		json_array_foreach(json_object_get(rep, "drivers"), i, d)
			if (json_array_size(json_object_get(d, *k)))
				return json_array_get(json_object_get(d, *k), 0);
	return NULL;
}

static char *slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(max + 1);
	n = buf ? fread(buf, 1, max, f) : 0;
	fclose(f);
	if (buf)
		buf[n] = '\0';
	return buf;
}

int lab_bisect_series_from_patch(struct lab_store *st, const struct lab_config *cfg,
				 json_t *req, json_t **own, char *err, size_t errlen)
{
	json_t *v = json_object_get(req, "patch"), *plan = NULL, *rep = NULL, *ps, *row, *r;
	char dir[PATH_MAX + 32], path[PATH_MAX + 300], *text = NULL;
	const char *key, *sha;
	int ret;

	*own = NULL;
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return lab_flow_errf(err, errlen, -EINVAL, "\"patch\": the id of a patch plan");
	json_object_foreach(req, key, r)
		if (!strcmp(key, "tree") || !strcmp(key, "good") || !strcmp(key, "bad") ||
		    !strcmp(key, "base") || !strcmp(key, "series"))
			return lab_flow_errf(err, errlen, -EINVAL, "\"patch\" names the base and the series: "
				    "\"%s\" is not taken with it", key);
	ret = lab_store_plan_json(st, json_integer_value(v), &plan);
	ps = json_object_get(json_object_get(plan, "spec"), "patch");
	sha = lab_flow_str(ps, "series");
	if (ret || !json_is_object(ps) || !lab_name_ok(LAB_NAME_SHA256, sha)) {
		json_decref(plan);
		return lab_flow_errf(err, errlen, -ENOENT, "no patch plan %lld",
			    (long long)json_integer_value(v));
	}
	ret = lab_patch_report(st, cfg, json_integer_value(v), "", &rep, err, errlen);
	if (ret)
		goto out;
	row = first_changed_row(rep);
	r = json_deep_copy(req);
	json_object_del(r, "patch");
	json_object_set_new(r, "base", json_string(lab_flow_str(ps, "tree")));
	if (row && !json_object_get(r, "target"))
		json_object_set_new(r, "target", json_string(lab_flow_str(row, "target")));
	if (row && !json_object_get(r, "case"))
		json_object_set_new(r, "case", json_string(lab_flow_str(row, "case")));
	if (row && !json_object_get(r, "expect") && !json_object_get(r, "verdict"))
		json_object_set_new(r, "expect", json_string(lab_flow_str(json_object_get(row, "base"),
								    "observed_name")));
	if (!row && (!json_object_get(r, "target") || !json_object_get(r, "case"))) {
		json_decref(r);
		ret = lab_flow_errf(err, errlen, -EINVAL, "patch plan %lld has no changed row to bisect "
			   "(state %s): give target, case and expect",
			   (long long)json_integer_value(v), lab_flow_str(rep, "state"));
		goto out;
	}
	snprintf(dir, sizeof(dir), "%s/patches/%.16s", cfg->state_dir, sha);
	if (!strcmp(lab_flow_str(ps, "format"), "mbox")) {
		snprintf(path, sizeof(path), "%s/series.mbox", dir);
		text = slurp(path, LAB_PATCH_SERIES_MAX);
		json_object_set_new(r, "series", text ? json_string(text) : json_null());
	} else {
		json_t *files = json_array();
		char *list, *save = NULL, *line;

		snprintf(path, sizeof(path), "%s/series", dir);
		list = slurp(path, 65536);
		for (line = list ? strtok_r(list, "\n", &save) : NULL; line;
		     line = strtok_r(NULL, "\n", &save)) {
			if (!lab_name_ok(LAB_NAME_PATCH_FILE, line))
				continue;
			snprintf(path, sizeof(path), "%s/%s", dir, line);
			free(text);
			text = slurp(path, LAB_PATCH_SERIES_MAX);
			json_array_append_new(files, json_pack("{s:s, s:s}", "name", line, "text",
							       text ? text : ""));
		}
		free(list);
		json_object_set_new(r, "series", files);
	}
	*own = r;
	ret = 0;
out:
	free(text);
	json_decref(rep);
	json_decref(plan);
	return ret;
}
