/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bisect.c - bisection on an errno or verdict predicate (contract in
 * bisect.h): the request check, git bisect in a lab-owned bare repository,
 * one plan per step, the judgement of a step and the JSON/text views.
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
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "bisect.h"
#include "bisect_int.h"
#include "flowutil.h"
#include "gitrun.h"
#include "joblogs.h"
#include "log.h"
#include "model.h"
#include "names.h"
#include "plan.h"
#include "proc.h"
#include "store_bisect.h"
#include "views.h"

#define GIT_SMALL (64u << 10)

/* trailing white space off */
static char *chomp(char *s)
{
	size_t n = s ? strlen(s) : 0;

	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' '))
		s[--n] = '\0';
	return s;
}

/* ---- git --------------------------------------------------------------------- */

/* git -C @tree ARGS... (or --git-dir=@repo); output into *@out (trimmed) */
static int git(const char *where_opt, const char *where, char **out, bool with_stderr,
	       const char *a1, const char *a2, const char *a3, const char *a4,
	       const char *a5, const char *a6)
{
	const char *argv[12];
	char opt[PATH_MAX + 16];
	int n = 0, ret;
	char *o = NULL;

	argv[n++] = "git";
	if (!strcmp(where_opt, "-C")) {
		argv[n++] = "-C";
		argv[n++] = where;
	} else {
		snprintf(opt, sizeof(opt), "--git-dir=%s", where);
		argv[n++] = opt;
	}
	for (const char *a[] = { a1, a2, a3, a4, a5, a6 }, **p = a; p < a + 6 && *p; p++)
		argv[n++] = *p;
	argv[n] = NULL;
	ret = lab_git_run(argv, with_stderr, LAB_GIT_OUT_MAX, &o);
	if (ret >= 0)
		chomp(o);
	if (out)
		*out = o;
	else
		free(o);
	return ret;
}

/*
 * The lab's bare repository for bisection @id: objects borrowed from the
 * tree through alternates, HEAD detached at the bad commit (git bisect
 * wants a HEAD), then `git bisect start --no-checkout BAD GOOD`. Sets
 * *@said to bisect's output.
 */
static int repo_start(const struct lab_config *cfg, int64_t id, const char *tree,
		      const char *bad, const char *good, char *repo, size_t rlen, char **said,
		      bool start)
{
	char *common = NULL, alt[PATH_MAX + 32], objs[PATH_MAX];
	FILE *f;
	int ret;

	*said = NULL;
	ret = lab_bis_dir(cfg, id, "repo.git", repo, rlen);
	if (ret)
		return ret;
	ret = lab_proc_mkdir_p(repo);
	if (ret)
		return ret;
	if (git("-C", tree, &common, false, "rev-parse", "--path-format=absolute",
		"--git-common-dir", NULL, NULL, NULL) || !common || common[0] != '/') {
		free(common);
		return -EIO;
	}
	snprintf(objs, sizeof(objs), "%s/objects", common);
	free(common);
	if (git("--git-dir", repo, NULL, false, "init", "-q", "--bare", NULL, NULL, NULL))
		return -EIO;
	snprintf(alt, sizeof(alt), "%s/objects/info/alternates", repo);
	f = fopen(alt, "we");
	if (!f)
		return -errno;
	fprintf(f, "%s\n", objs);
	if (fclose(f))
		return -EIO;
	if (git("--git-dir", repo, NULL, false, "update-ref", "--no-deref", "HEAD", bad, NULL,
		NULL))
		return -EIO;
	if (!start)
		return 0;
	ret = git("--git-dir", repo, said, true, "bisect", "start", "--no-checkout", bad, good,
		  NULL);
	return ret ? -EIO : 0;
}

/* git bisect start in a repository repo_start() made without it */
static int bisect_start_now(struct lab_bis *b, char **said)
{
	return git("--git-dir", b->repo, said, true, "bisect", "start", "--no-checkout",
		   lab_flow_str(b->spec, "bad_commit"), lab_flow_str(b->spec, "good_commit"), NULL) ? -EIO : 0;
}

/* ---- steps ------------------------------------------------------------------- */

static int bis_load_row(const struct lab_store_row *r, void *arg)
{
	json_t **o = arg, *obj = json_object();

	for (int i = 0; obj && i < lab_store_row_ncols(r); i++) {
		const char *name = lab_store_row_name(r, i);
		json_t *v;

		switch (lab_store_row_type(r, i)) {
		case LAB_COL_INT:
			v = json_integer(lab_store_row_int(r, i));
			break;
		case LAB_COL_TEXT: {
			const char *t = lab_store_row_text(r, i, NULL);

			/* JSON documents the flow wrote are objects again */
			if ((!strcmp(name, "spec") || !strcmp(name, "result") ||
			     !strcmp(name, "detail")) && t && t[0] == '{')
				v = json_loads(t, 0, NULL);
			else
				v = json_string(t);
			break;
		}
		default:
			v = json_null();
		}
		json_object_set_new(obj, name, v ? v : json_null());
	}
	if (!obj)
		return -ENOMEM;
	if (json_is_array(*o))
		return json_array_append_new(*o, obj) ? -ENOMEM : 0;
	*o = obj;
	return 0;
}

/* kernel name of a step: bisect-<commit12>-<sha256(tree)6> */
static int step_kernel(const char *tree, const char *commit, char *name, size_t n,
		       char *recipe, size_t rlen)
{
	char th[65];
	int ret = lab_auth_sha256_hex(tree, strlen(tree), th);

	if (ret)
		return ret;
	snprintf(name, n, "bisect-%.12s-%.6s", commit, th);
	if ((size_t)snprintf(recipe, rlen, "tree=%s@%s", tree, commit) >= rlen)
		return -ENAMETOOLONG;
	return 0;
}

/* step @n of a git bisection on @commit */
static int step_start(struct lab_store *st, struct lab_bis *b, int n, const char *commit)
{
	char kname[64], recipe[PATH_MAX + 64], *subject = NULL;
	int ret;

	ret = step_kernel(b->tree, commit, kname, sizeof(kname), recipe, sizeof(recipe));
	if (ret)
		return ret;
	git("--git-dir", b->repo, &subject, false, "log", "-1", "--format=%s", commit, NULL, NULL);
	ret = lab_bis_step_start(st, b, n, commit, subject, kname, recipe);
	free(subject);
	return ret;
}

/* git's answer after a start or a mark: the next commit, done, or stuck */
enum answer { A_NEXT, A_FOUND, A_ONLY_SKIPPED, A_ERROR };

static enum answer bisect_answer(const char *said, const char *repo, char next[41])
{
	char *o = NULL;

	if (strstr(said, " is the first bad commit"))
		return A_FOUND;
	if (strstr(said, "only 'skip'ped commits left"))
		return A_ONLY_SKIPPED;
	if (git("--git-dir", repo, &o, false, "rev-parse", "--verify", "-q", "BISECT_HEAD",
		NULL, NULL) || !lab_git_sha_ok(o)) {
		free(o);
		return A_ERROR;
	}
	memcpy(next, o, 41);
	free(o);
	return A_NEXT;
}

/* the command that repeats this bisection */
static char *reproduce(json_t *spec)
{
	char *s = NULL;
	json_t *e = json_object_get(spec, "expect");
	int r = asprintf(&s, "iommulab bisect start --tree %s --good %s --bad %s --target %s "
			 "--case %s --%s %s --repeat %lld%s", lab_flow_str(spec, "tree"),
			 lab_flow_str(spec, "good_commit"), lab_flow_str(spec, "bad_commit"),
			 lab_flow_str(spec, "target"), lab_flow_str(spec, "case"), e ? "expect" : "verdict",
			 e ? json_string_value(e) : lab_flow_str(spec, "verdict"),
			 (long long)json_integer_value(json_object_get(spec, "repeat")),
			 json_is_true(json_object_get(spec, "verify")) ? " --verify" : "");

	return r < 0 ? NULL : s;
}

static int count_builds(const struct lab_store_row *r, void *arg)
{
	(void)r;
	(*(int *)arg)++;
	return 0;
}

/* the bisection is over: found (with the first bad commit) or stuck */
static int finish(struct lab_store *st, struct lab_bis *b, enum answer a, const char *said)
{
	json_t *res = json_object(), *fb = json_null(), *cands = json_array();
	char *log = NULL, *rep = reproduce(b->spec), *txt = NULL, sha[41] = "";
	const char *state = "found", *reason = NULL;
	int steps = 0, ret;

	git("--git-dir", b->repo, &log, false, "bisect", "log", NULL, NULL, NULL, NULL);
	lab_store_bisect_steps_rows(st, b->id, count_builds, &steps);
	if (a == A_FOUND && sscanf(said, "%40[0-9a-f] is the first bad commit", sha) == 1 &&
	    lab_git_sha_ok(sha)) {
		char *subj = NULL, *auth = NULL, *date = NULL, *stat = NULL;

		git("--git-dir", b->repo, &subj, false, "log", "-1", "--format=%s", sha, NULL, NULL);
		git("--git-dir", b->repo, &auth, false, "log", "-1", "--format=%an <%ae>", sha, NULL,
		    NULL);
		git("--git-dir", b->repo, &date, false, "log", "-1", "--format=%aI", sha, NULL, NULL);
		git("--git-dir", b->repo, &stat, false, "show", "--stat", "--format=", sha, NULL,
		    NULL);
		fb = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?}", "commit", sha, "subject", subj,
			       "author", auth, "date", date, "diffstat", stat);
		free(subj);
		free(auth);
		free(date);
		free(stat);
	} else {
		/* only skipped commits left: git names them, one per line */
		const char *p = said;

		state = "failed";
		reason = a == A_ONLY_SKIPPED ?
			 "only skipped commits are left: the first bad commit is one of the candidates" :
			 "git bisect gave no next commit";
		while (a == A_ONLY_SKIPPED && (p = strchr(p, '\n'))) {
			char c[41];

			p++;
			if (sscanf(p, "%40[0-9a-f]", c) == 1 && lab_git_sha_ok(c))
				json_array_append_new(cands, json_string(c));
		}
	}
	json_object_set_new(res, "first_bad", fb ? fb : json_null());
	json_object_set_new(res, "candidates", cands);
	json_object_set_new(res, "log", json_string(log ? log : ""));
	json_object_set_new(res, "builds", json_integer(steps));
	json_object_set_new(res, "reproduce", rep ? json_string(rep) : json_null());
	txt = json_dumps(res, JSON_COMPACT);
	ret = txt ? lab_store_bisect_update(st, b->id, state, txt, reason) : -ENOMEM;
	if (!ret)
		lab_info("bisect %lld: %s%s%.12s after %d step(s)", (long long)b->id, state,
			 *sha ? ": first bad commit " : "", sha, steps);
	free(txt);
	free(rep);
	free(log);
	json_decref(res);
	return ret;
}

/* ---- start ------------------------------------------------------------------- */

/* the checks every bisection shares: target, case, predicate, repeat */
static int common_check(struct lab_store *st, json_t *req, json_t *spec, char *err,
			size_t errlen)
{
	const char *target, *case_id, *expect, *verdict;
	struct lab_target tg = { 0 };
	json_t *v, *c = NULL;
	enum lab_verdict vd;
	int ret;

	target = json_string_value(json_object_get(req, "target"));
	if (!target || !lab_name_ok(LAB_NAME_TARGET, target))
		return lab_flow_errf(err, errlen, -EINVAL, "\"target\": one target name (%s)",
			    lab_name_rule(LAB_NAME_TARGET));
	ret = lab_store_target_get(st, target, &tg);
	if (ret == -ENOENT)
		return lab_flow_errf(err, errlen, -ENOENT, "unknown target '%s'", target);
	if (ret)
		return ret;
	ret = strcmp(tg.arch ? tg.arch : "", "x86_64") ? -EINVAL : 0;
	lab_target_clear(&tg);
	if (ret)
		return lab_flow_errf(err, errlen, -EINVAL, "target '%s' is not x86_64: the lab builds "
			    "x86_64 kernels only so far", target);
	case_id = json_string_value(json_object_get(req, "case"));
	if (!case_id || !lab_name_ok(LAB_NAME_CASE, case_id))
		return lab_flow_errf(err, errlen, -EINVAL, "\"case\": one case id (%s)",
			    lab_name_rule(LAB_NAME_CASE));
	/* a catalogue that is loaded (POST /cases) knows the case */
	if (lab_store_case_json(st, case_id, &c)) {
		json_t *all = NULL;
		bool empty = !lab_store_cases_list(st, &all) && json_array_size(all) == 0;

		json_decref(all);
		if (!empty)
			return lab_flow_errf(err, errlen, -ENOENT, "unknown case '%s'", case_id);
	}
	json_decref(c);
	expect = json_string_value(json_object_get(req, "expect"));
	verdict = json_string_value(json_object_get(req, "verdict"));
	if ((json_object_get(req, "expect") && !expect) ||
	    (json_object_get(req, "verdict") && !verdict) || !expect == !verdict)
		return lab_flow_errf(err, errlen, -EINVAL, "exactly one of \"expect\" (an errno name, OK for "
			    "0) and \"verdict\" (pass, fail, ...) is the predicate");
	if (expect && lab_bis_errno_number(expect) < 0)
		return lab_flow_errf(err, errlen, -EINVAL, "\"expect\": '%.32s' is not an errno name "
			    "(EINVAL, ENODEV, ..., OK)", expect);
	if (verdict && lab_verdict_parse(verdict, &vd))
		return lab_flow_errf(err, errlen, -EINVAL, "\"verdict\": '%.32s' is not a verdict", verdict);
	v = json_object_get(req, "repeat");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 ||
		  json_integer_value(v) > LAB_BISECT_REPEAT_MAX))
		return lab_flow_errf(err, errlen, -EINVAL, "\"repeat\": 1..%d", LAB_BISECT_REPEAT_MAX);
	json_object_set_new(spec, "repeat", json_integer(v ? json_integer_value(v) : 1));
	v = json_object_get(req, "timeout_s");
	if (v && (!json_is_integer(v) || json_integer_value(v) < 30 ||
		  json_integer_value(v) > 86400))
		return lab_flow_errf(err, errlen, -EINVAL, "\"timeout_s\": 30..86400");
	if (v)
		json_object_set(spec, "timeout_s", v);
	json_object_set_new(spec, "target", json_string(target));
	json_object_set_new(spec, "case", json_string(case_id));
	json_object_set_new(spec, expect ? "expect" : "verdict",
			    json_string(expect ? expect : verdict));
	return 0;
}

/* a git bisection's own checks: the tree and the two refs */
static int git_check(json_t *req, json_t *spec, char *err, size_t errlen)
{
	char good[41], bad[41], real[PATH_MAX];
	int ret;

	ret = lab_git_tree_check("tree", json_string_value(json_object_get(req, "tree")), real,
				 err, errlen);
	if (!ret)
		ret = lab_git_resolve(real, "good", lab_flow_str(req, "good"), good, err, errlen);
	if (!ret)
		ret = lab_git_resolve(real, "bad", lab_flow_str(req, "bad"), bad, err, errlen);
	if (ret)
		return ret;
	if (!strcmp(good, bad))
		return lab_flow_errf(err, errlen, -EINVAL, "\"good\" and \"bad\" are the same commit");
	if (git("-C", real, NULL, false, "merge-base", "--is-ancestor", good, bad, NULL, NULL))
		return lab_flow_errf(err, errlen, -EINVAL, "\"good\" (%.12s) is not an ancestor of \"bad\" "
			    "(%.12s)", good, bad);
	json_object_set_new(spec, "tree", json_string(real));
	json_object_set_new(spec, "good", json_string(lab_flow_str(req, "good")));
	json_object_set_new(spec, "bad", json_string(lab_flow_str(req, "bad")));
	json_object_set_new(spec, "good_commit", json_string(good));
	json_object_set_new(spec, "bad_commit", json_string(bad));
	if (json_object_get(req, "verify") && !json_is_boolean(json_object_get(req, "verify")))
		return lab_flow_errf(err, errlen, -EINVAL, "\"verify\": true or false");
	if (json_is_true(json_object_get(req, "verify")))
		json_object_set_new(spec, "verify", json_true());
	return 0;
}

/* git bisect start in the lab's repository, and its first step */
static int git_begin(struct lab_store *st, const struct lab_config *cfg, struct lab_bis *b,
		     char *err, size_t errlen)
{
	char *said = NULL, next[41];
	enum answer a;
	int ret;

	bool verify = json_is_true(json_object_get(b->spec, "verify"));

	ret = repo_start(cfg, b->id, b->tree, lab_flow_str(b->spec, "bad_commit"),
			 lab_flow_str(b->spec, "good_commit"), b->repo, sizeof(b->repo), &said, !verify);
	if (ret) {
		lab_bis_fail(st, b->id, "git bisect start failed in the lab's repository");
		ret = lab_flow_errf(err, errlen, -EIO, "git bisect start failed: %.200s", said ? said : "");
		goto out;
	}
	/* verify: the good end is step 1; git bisect starts when it is good */
	if (verify)
		ret = step_start(st, b, 1, lab_flow_str(b->spec, "good_commit"));
	else if ((a = bisect_answer(said ? said : "", b->repo, next)) == A_NEXT)
		ret = step_start(st, b, 1, next);
	else
		ret = finish(st, b, a, said ? said : "");
	if (ret) {
		lab_bis_fail(st, b->id, "the first step could not be started");
		ret = lab_flow_errf(err, errlen, -EIO, "the first step could not be started: %s",
			   strerror(-ret));
	}
out:
	free(said);
	return ret;
}

int lab_bisect_start(struct lab_store *st, const struct lab_config *cfg, json_t *req,
		     const char *created_by, json_t **out, char *err, size_t errlen)
{
	static const char *const allowed[] = { "tree", "good", "bad", "verify", "base", "series",
		"patch", "target", "case", "expect", "verdict", "repeat", "timeout_s", NULL };
	json_t *v, *spec = json_object(), *own = NULL;
	struct lab_bis b = { 0 };
	const char *key, *kind;
	char *sp = NULL;
	int ret;

	if (!spec)
		return -ENOMEM;
	if (!json_is_object(req)) {
		ret = lab_flow_errf(err, errlen, -EINVAL, "a bisection is a JSON object");
		goto out;
	}
	json_object_foreach(req, key, v) {
		bool ok = false;

		for (int i = 0; allowed[i]; i++)
			ok |= !strcmp(key, allowed[i]);
		if (!ok) {
			ret = lab_flow_errf(err, errlen, -EINVAL, "unknown key \"%.64s\" (allowed: tree, good, "
				   "bad, verify | base, series | patch; target, case, expect, "
				   "verdict, repeat, timeout_s)", key);
			goto out;
		}
	}
	/* a failing patch report: its series, base and first changed row */
	if (json_object_get(req, "patch")) {
		ret = lab_bisect_series_from_patch(st, cfg, req, &own, err, errlen);
		if (ret)
			goto out;
		req = own;
	}
	kind = json_object_get(req, "series") || json_object_get(req, "base") ? "series" : "git";
	if (!strcmp(kind, "series") && (json_object_get(req, "tree") ||
					 json_object_get(req, "good") || json_object_get(req, "bad"))) {
		ret = lab_flow_errf(err, errlen, -EINVAL, "a bisection is over a tree (tree, good, bad) or "
			   "over a series (base, series), not both");
		goto out;
	}
	ret = common_check(st, req, spec, err, errlen);
	if (!ret)
		ret = !strcmp(kind, "git") ? git_check(req, spec, err, errlen) :
		      lab_bisect_series_check(st, req, spec, err, errlen);
	if (ret)
		goto out;

	/* checked: record it, then start */
	sp = json_dumps(spec, JSON_COMPACT);
	ret = sp ? lab_store_bisect_insert(st, kind, sp, created_by, &b.id) : -ENOMEM;
	free(sp);
	if (ret)
		goto out;
	b.spec = spec;
	b.tree = lab_flow_str(spec, "tree");
	b.target = lab_flow_str(spec, "target");
	b.case_id = lab_flow_str(spec, "case");
	b.repeat = (int)json_integer_value(json_object_get(spec, "repeat"));
	if (!strcmp(kind, "git"))
		ret = git_begin(st, cfg, &b, err, errlen);
	else
		ret = lab_bisect_series_begin(st, cfg, &b, req, err, errlen);
	if (ret)
		goto out;
	lab_info("bisect %lld: %s bisection on %s, %s %s %s (repeat %d)", (long long)b.id, kind,
		 b.target, b.case_id, json_object_get(spec, "expect") ? "expect" : "verdict",
		 json_object_get(spec, "expect") ? lab_flow_str(spec, "expect") : lab_flow_str(spec, "verdict"),
		 b.repeat);
	ret = lab_bisect_json(st, b.id, out);
out:
	json_decref(own);
	json_decref(spec);
	return ret;
}

/* ---- judging a step ---------------------------------------------------------- */

struct judge {
	int expect;		/* errno, or -1 */
	int verdict;		/* verdict, or -1 */
	int good, bad;
	json_t *dist, *verdicts;
};

static void bump(json_t *o, const char *k)
{
	json_object_set_new(o, k, json_integer(json_integer_value(json_object_get(o, k)) + 1));
}

static int judge_row(const struct lab_store_row *r, void *arg)
{
	struct judge *j = arg;
	int obs = (int)lab_store_row_int(r, 0), ver = (int)lab_store_row_int(r, 1);
	bool good = j->expect >= 0 ? obs == j->expect : ver == j->verdict;

	bump(j->dist, lab_errno_name(obs));
	bump(j->verdicts, lab_verdict_name((enum lab_verdict)ver));
	good ? j->good++ : j->bad++;
	return 0;
}

struct jobrow {
	json_t *ids;
	int64_t id;
	int state, attempts, max_attempts;
	char reason[512];
	int n;
};

static int job_row(const struct lab_store_row *r, void *arg)
{
	struct jobrow *j = arg;

	for (int i = 0; i < lab_store_row_ncols(r); i++) {
		const char *n = lab_store_row_name(r, i);

		if (!strcmp(n, "id"))
			j->id = lab_store_row_int(r, i);
		else if (!strcmp(n, "state"))
			j->state = (int)lab_store_row_int(r, i);
		else if (!strcmp(n, "attempts"))
			j->attempts = (int)lab_store_row_int(r, i);
		else if (!strcmp(n, "max_attempts"))
			j->max_attempts = (int)lab_store_row_int(r, i);
		else if (!strcmp(n, "reason") && lab_store_row_type(r, i) == LAB_COL_TEXT)
			snprintf(j->reason, sizeof(j->reason), "%s", lab_store_row_text(r, i, NULL));
	}
	json_array_append_new(j->ids, json_integer(j->id));
	j->n++;
	return 0;
}

/* seconds kernels/build reported in the job's prep log ("[Ns]: done:" or
 * "cached"), -1 when it is not there */
static int build_seconds(const struct lab_config *cfg, int64_t job_id)
{
	char path[PATH_MAX], line[512];
	int secs = -1, s;
	FILE *f;

	/* by the job's id: a job whose preparation failed has no log_path */
	if (lab_joblog_path(cfg->state_dir, job_id, LAB_JOBLOG_PREP, path, sizeof(path)))
		return -1;
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "kernels/build [");

		if (p && sscanf(p, "kernels/build [%ds]:", &s) == 1 &&
		    (strstr(p, "]: done:") || strstr(p, "]: cached:")))
			secs = s;
	}
	fclose(f);
	return secs;
}

/* utf-8 and control bytes out (a compiler's quotes), in place */
static void ascii(char *s)
{
	char *w = s;

	for (; *s; s++)
		if ((unsigned char)*s >= 0x20 && (unsigned char)*s < 0x7f)
			*w++ = *s;
	*w = '\0';
}

/*
 * Why a job did not complete, in one line: when its preparation says the
 * kernel build failed, "the kernel does not build: " and the first
 * compiler error of kernels/build's log (a file under CACHE/kbuild named by
 * the prep log); else the job's state and the first line of its reason.
 */
static void not_complete_why(struct lab_store *st, const struct lab_config *cfg,
			     const struct jobrow *jr, char *buf, size_t n)
{
	char path[PATH_MAX], line[512], blog[PATH_MAX] = "", want[PATH_MAX];
	FILE *f = NULL;

	(void)st;
	snprintf(buf, n, "the job did not complete (%s): %.*s",
		 lab_job_state_name((enum lab_job_state)jr->state),
		 (int)strcspn(jr->reason, "\n"), jr->reason);
	ascii(buf);
	/* by the job's id: a job whose preparation failed has no log_path */
	if (!lab_joblog_path(cfg->state_dir, jr->id, LAB_JOBLOG_PREP, path, sizeof(path)))
		f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "the kernel build failed (log: ");

		if (p) {
			snprintf(blog, sizeof(blog), "%s", p + 30);
			blog[strcspn(blog, ")\n")] = '\0';
		}
	}
	if (f)
		fclose(f);
	if ((size_t)snprintf(want, sizeof(want), "%s/kbuild/", cfg->cache_dir) >= sizeof(want) ||
	    !*blog || strncmp(blog, want, strlen(want)) || strstr(blog, ".."))
		return;
	snprintf(buf, n, "the kernel does not build");
	f = fopen(blog, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (strstr(line, "error:")) {
			line[strcspn(line, "\n")] = '\0';
			ascii(line);
			snprintf(buf, n, "the kernel does not build: %.300s", line);
			break;
		}
	}
	if (f)
		fclose(f);
}

struct open_step {
	int64_t id, plan;
	int n;
	char commit[64];
	bool open;
	int count;
};

static int step_row(const struct lab_store_row *r, void *arg)
{
	struct open_step *s = arg;
	int64_t id = 0, plan = 0, n = 0;
	const char *commit = "";
	bool judged = false;

	for (int i = 0; i < lab_store_row_ncols(r); i++) {
		const char *c = lab_store_row_name(r, i);

		if (!strcmp(c, "id"))
			id = lab_store_row_int(r, i);
		else if (!strcmp(c, "n"))
			n = lab_store_row_int(r, i);
		else if (!strcmp(c, "plan"))
			plan = lab_store_row_int(r, i);
		else if (!strcmp(c, "commit"))
			commit = lab_store_row_text(r, i, NULL);
		else if (!strcmp(c, "judgement"))
			judged = lab_store_row_type(r, i) != LAB_COL_NULL;
	}
	s->count++;
	if (!judged) {
		s->id = id;
		s->plan = plan;
		s->n = (int)n;
		snprintf(s->commit, sizeof(s->commit), "%s", commit ? commit : "");
		s->open = true;
	}
	return 0;
}

static bool job_final(const struct jobrow *j)
{
	return j->state == LAB_JOB_COMPLETE || j->state == LAB_JOB_CANCELED ||
	       (j->state == LAB_JOB_INCOMPLETE && j->attempts >= j->max_attempts);
}

/* 1: the open step was judged and the next one queued; 0: nothing to do */
static int advance(struct lab_store *st, const struct lab_config *cfg, int64_t id)
{
	struct lab_job_filter f = { .state = -1, .limit = 10 };
	struct open_step os = { 0 };
	struct jobrow jr = { 0 };
	struct judge jd = { .expect = -1, .verdict = -1 };
	json_t *row = NULL, *detail = NULL, *e;
	const char *judgement, *why = NULL;
	char *txt = NULL, *said = NULL, next[41], whybuf[600];
	struct lab_bis b = { .id = id };
	enum lab_verdict vd;
	enum answer a;
	int ret, secs;

	ret = lab_store_bisect_rows(st, id, bis_load_row, &row);
	if (ret < 0 || !row)
		return ret < 0 ? ret : -ENOENT;
	b.spec = json_object_get(row, "spec");
	b.tree = lab_flow_str(b.spec, "tree");
	b.target = lab_flow_str(b.spec, "target");
	b.case_id = lab_flow_str(b.spec, "case");
	b.repeat = (int)json_integer_value(json_object_get(b.spec, "repeat"));
	ret = lab_bis_dir(cfg, id, "repo.git", b.repo, sizeof(b.repo));
	if (ret)
		goto out;
	ret = lab_store_bisect_steps_rows(st, id, step_row, &os);
	if (ret < 0 || !os.open) {
		ret = ret < 0 ? ret : 0;
		goto out;
	}
	f.plan_id = os.plan;
	jr.ids = json_array();
	ret = lab_store_jobs_rows(st, &f, job_row, &jr);
	if (ret < 0)
		goto out;
	ret = 0;
	if (jr.n != 1 || !job_final(&jr))
		goto out;	/* still running */

	/* the evidence */
	e = json_object_get(b.spec, "expect");
	if (e)
		jd.expect = lab_bis_errno_number(json_string_value(e));
	else if (!lab_verdict_parse(lab_flow_str(b.spec, "verdict"), &vd))
		jd.verdict = (int)vd;
	jd.dist = json_object();
	jd.verdicts = json_object();
	if (jr.state == LAB_JOB_COMPLETE)
		lab_store_job_case_rows(st, jr.id, b.case_id, judge_row, &jd);
	secs = build_seconds(cfg, jr.id);
	if (jr.state != LAB_JOB_COMPLETE) {
		judgement = "skip";
		not_complete_why(st, cfg, &jr, whybuf, sizeof(whybuf));
		why = whybuf;
	} else if (!jd.good && !jd.bad) {
		judgement = "skip";
		why = "no result of the case (the kernel did not boot to the agent?)";
	} else if (jd.good == jd.bad) {
		judgement = "skip";
		why = "no majority among the repeats";
	} else {
		judgement = jd.good > jd.bad ? "good" : "bad";
	}
	detail = json_pack("{s:O, s:O, s:O, s:i, s:i, s:s?}", "jobs", jr.ids, "distribution",
			   jd.dist, "verdicts", jd.verdicts, "good", jd.good, "bad", jd.bad,
			   "why", why);
	if (detail && secs >= 0)
		json_object_set_new(detail, "build_s", json_integer(secs));
	txt = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
	if (!txt) {
		ret = -ENOMEM;
		goto out;
	}
	ret = lab_store_bisect_step_judge(st, os.id, judgement, txt);
	if (ret)
		goto out;
	lab_info("bisect %lld: step %d %.12s: %s (good %d, bad %d)%s%s", (long long)id, os.n,
		 os.commit, judgement, jd.good, jd.bad, why ? ": " : "", why ? why : "");

	if (!strcmp(lab_flow_str(row, "kind"), "series")) {
		ret = lab_bisect_series_next(st, cfg, &b);
		goto out;
	}
	/* verify: the good end judged; bisect only when it holds there */
	if (os.n == 1 && json_is_true(json_object_get(b.spec, "verify")) &&
	    !strcmp(os.commit, lab_flow_str(b.spec, "good_commit"))) {
		if (strcmp(judgement, "good")) {
			char fail[800], obs[160] = "";
			size_t u = 0;
			const char *k;
			json_t *c;

			json_object_foreach(jd.dist, k, c)
				u += snprintf(obs + u, u < sizeof(obs) ? sizeof(obs) - u : 0, "%s%s x%lld",
					      u ? ", " : "", k, (long long)json_integer_value(c));
			snprintf(fail, sizeof(fail), "the good end %.12s is judged %s (observed %s)%s%.500s: "
				 "the predicate does not hold there", os.commit, judgement,
				 *obs ? obs : "nothing", why ? ": " : "", why ? why : "");
			lab_bis_fail(st, id, fail);
			ret = 0;
			goto out;
		}
		if (bisect_start_now(&b, &said)) {
			lab_bis_fail(st, id, "git bisect start failed in the lab's repository");
			goto out;
		}
	} else if (git("--git-dir", b.repo, &said, true, "bisect", judgement, os.commit, NULL, NULL,
		       NULL)) {
		lab_bis_fail(st, id, "git bisect refused the mark (see the server log)");
		lab_warn("bisect %lld: git bisect %s %s: %s", (long long)id, judgement, os.commit,
			 said ? said : "");
		goto out;
	}
	a = bisect_answer(said ? said : "", b.repo, next);
	if (a == A_NEXT && os.count >= LAB_BISECT_STEPS_MAX) {
		lab_bis_fail(st, id, "too many steps");
	} else if (a == A_NEXT) {
		ret = step_start(st, &b, os.n + 1, next);
		if (ret)
			lab_bis_fail(st, id, "the next step could not be started");
		else
			ret = 1;
	} else {
		ret = finish(st, &b, a, said ? said : "");
	}
out:
	free(said);
	free(txt);
	json_decref(detail);
	json_decref(jd.dist);
	json_decref(jd.verdicts);
	json_decref(jr.ids);
	json_decref(row);
	return ret;
}

int lab_bisect_tick(struct lab_store *st, const struct lab_config *cfg)
{
	static time_t last;
	int64_t ids[32];
	size_t n = 0;
	time_t now = time(NULL);
	int queued = 0;

	if (now == last)
		return 0;
	last = now;
	if (lab_store_bisects_running(st, ids, 32, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		int r = advance(st, cfg, ids[i]);

		if (r > 0)
			queued = 1;
		else if (r < 0)
			lab_warn("bisect %lld: %s (retried at the next tick)", (long long)ids[i],
				 strerror(-r));
	}
	return queued;
}

static int open_jobs_row(const struct lab_store_row *r, void *arg)
{
	json_t *jobs = arg;
	int64_t plan = 0;
	bool open = false;

	for (int i = 0; i < lab_store_row_ncols(r); i++) {
		const char *c = lab_store_row_name(r, i);

		if (!strcmp(c, "plan") && lab_store_row_type(r, i) == LAB_COL_INT)
			plan = lab_store_row_int(r, i);
		else if (!strcmp(c, "judgement"))
			open = lab_store_row_type(r, i) == LAB_COL_NULL;
	}
	if (open && plan > 0)
		json_array_append_new(jobs, json_integer(plan));	/* a plan id, for now */
	return 0;
}

static int job_id_row(const struct lab_store_row *r, void *arg)
{
	for (int i = 0; i < lab_store_row_ncols(r); i++)
		if (!strcmp(lab_store_row_name(r, i), "id"))
			return json_array_append_new(arg, json_integer(lab_store_row_int(r, i)));
	return 0;
}

int lab_bisect_cancel(struct lab_store *st, int64_t id, const char *by, json_t **jobs)
{
	json_t *row = NULL, *plans = json_array(), *ids = json_array(), *p;
	char why[128];
	size_t i;
	int ret;

	*jobs = NULL;
	if (!plans || !ids) {
		ret = -ENOMEM;
		goto out;
	}
	ret = lab_store_bisect_rows(st, id, bis_load_row, &row);
	if (ret >= 0 && !row)
		ret = -ENOENT;
	if (ret < 0)
		goto out;
	if (strcmp(lab_flow_str(row, "state"), "running")) {
		ret = -EINVAL;
		goto out;
	}
	ret = lab_store_bisect_steps_rows(st, id, open_jobs_row, plans);
	if (ret < 0)
		goto out;
	json_array_foreach(plans, i, p) {
		struct lab_job_filter f = { .state = -1, .limit = 10,
					    .plan_id = json_integer_value(p) };

		lab_store_jobs_rows(st, &f, job_id_row, ids);
	}
	snprintf(why, sizeof(why), "canceled by %.64s", by ? by : "?");
	ret = lab_store_bisect_update(st, id, "canceled", NULL, why);
	if (!ret) {
		lab_info("bisect %lld: %s", (long long)id, why);
		*jobs = ids;
		ids = NULL;
	}
out:
	json_decref(row);
	json_decref(plans);
	json_decref(ids);
	return ret;
}

/* ---- views ------------------------------------------------------------------- */

int lab_bisect_json(struct lab_store *st, int64_t id, json_t **out)
{
	json_t *row = NULL, *steps = json_array(), *s;
	size_t i;
	int ret;

	if (!steps)
		return -ENOMEM;
	ret = lab_store_bisect_rows(st, id, bis_load_row, &row);
	if (ret >= 0 && !row)
		ret = -ENOENT;
	if (ret >= 0)
		ret = lab_store_bisect_steps_rows(st, id, bis_load_row, &steps);
	if (ret < 0) {
		json_decref(row);
		json_decref(steps);
		return ret;
	}
	/* a step's evidence flattened into it */
	json_array_foreach(steps, i, s) {
		json_t *d = json_object_get(s, "detail");

		if (json_is_object(d))
			json_object_update(s, d);
		json_object_del(s, "detail");
	}
	json_object_set_new(row, "steps", steps);
	*out = row;
	return 0;
}

int lab_bisect_list(struct lab_store *st, int64_t limit, json_t **out)
{
	json_t *a = json_array(), *b;
	size_t i;
	int ret;

	if (!a)
		return -ENOMEM;
	ret = lab_store_bisects_rows(st, limit, bis_load_row, &a);
	if (ret < 0) {
		json_decref(a);
		return ret;
	}
	/* the list carries the first bad commit, not the log */
	json_array_foreach(a, i, b) {
		json_t *r = json_object_get(b, "result");

		if (json_is_object(r))
			json_object_del(r, "log");
	}
	*out = json_pack("{s:o}", "items", a);
	return *out ? 0 : -ENOMEM;
}

char *lab_bisect_text(json_t *b)
{
	json_t *spec = json_object_get(b, "spec"), *res = json_object_get(b, "result");
	json_t *fb = json_object_get(res, "first_bad"), *steps = json_object_get(b, "steps"), *s;
	json_t *e = json_object_get(spec, "expect");
	char *buf = NULL;
	size_t len = 0, i;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return NULL;
	fprintf(m, "bisection %lld: %s\n", (long long)json_integer_value(json_object_get(b, "id")),
		lab_flow_str(b, "state"));
	if (!strcmp(lab_flow_str(b, "kind"), "series"))
		fprintf(m, "  base %s (tree %s), a series of %lld patches\n", lab_flow_str(spec, "base"),
			lab_flow_str(spec, "tree"), (long long)json_integer_value(
				json_object_get(json_object_get(spec, "series"), "n")));
	else
		fprintf(m, "  tree %s, good %s (%.12s), bad %s (%.12s)\n", lab_flow_str(spec, "tree"),
			lab_flow_str(spec, "good"), lab_flow_str(spec, "good_commit"), lab_flow_str(spec, "bad"),
			lab_flow_str(spec, "bad_commit"));
	fprintf(m, "  predicate: %s on %s is good when %s %s (repeat %lld, majority)\n",
		lab_flow_str(spec, "case"), lab_flow_str(spec, "target"), e ? "it observes" : "its verdict is",
		e ? json_string_value(e) : lab_flow_str(spec, "verdict"),
		(long long)json_integer_value(json_object_get(spec, "repeat")));
	if (json_is_string(json_object_get(b, "reason")))
		fprintf(m, "  reason: %s\n", lab_flow_str(b, "reason"));
	fprintf(m, "\nsteps:\n  %-3s %-12s %-8s %7s  %-28s %s\n", "n", "commit", "judged", "build",
		"errnos", "jobs / why");
	json_array_foreach(steps, i, s) {
		json_t *d = json_object_get(s, "distribution"), *j = json_object_get(s, "jobs"), *v;
		char dist[256] = "", jobs[128] = "", bs[16] = "-";
		const char *k;
		size_t u = 0, x;

		json_object_foreach(d, k, v)
			u += snprintf(dist + u, u < sizeof(dist) ? sizeof(dist) - u : 0, "%s%s:%lld",
				      u ? "," : "", k, (long long)json_integer_value(v));
		u = 0;
		json_array_foreach(j, x, v)
			u += snprintf(jobs + u, u < sizeof(jobs) ? sizeof(jobs) - u : 0, "%s%lld",
				      u ? "," : "", (long long)json_integer_value(v));
		if (json_is_integer(json_object_get(s, "build_s")))
			snprintf(bs, sizeof(bs), "%llds",
				 (long long)json_integer_value(json_object_get(s, "build_s")));
		fprintf(m, "  %-3lld %-12.12s %-8s %7s  %-28s %s%s%s\n",
			(long long)json_integer_value(json_object_get(s, "n")), lab_flow_str(s, "commit"),
			json_is_string(json_object_get(s, "judgement")) ? lab_flow_str(s, "judgement") :
			"running", bs, *dist ? dist : "-", *jobs ? jobs : "-",
			json_is_string(json_object_get(s, "why")) ? "  " : "", lab_flow_str(s, "why"));
		fprintf(m, "      %s\n", lab_flow_str(s, "subject"));
	}
	if (json_is_object(fb) && json_object_get(fb, "patch")) {
		fprintf(m, "\nfirst bad patch: %lld (%s)\n  %s\n%s\n",
			(long long)json_integer_value(json_object_get(fb, "patch")), lab_flow_str(fb, "name"),
			lab_flow_str(fb, "subject"), lab_flow_str(fb, "diffstat"));
	} else if (json_is_object(fb)) {
		fprintf(m, "\nfirst bad commit: %s\n  %s\n  author: %s, %s\n%s\n",
			lab_flow_str(fb, "commit"), lab_flow_str(fb, "subject"), lab_flow_str(fb, "author"),
			lab_flow_str(fb, "date"), lab_flow_str(fb, "diffstat"));
	}
	if (json_array_size(json_object_get(res, "candidates"))) {
		fprintf(m, "\nthe first bad commit is one of:\n");
		json_array_foreach(json_object_get(res, "candidates"), i, s)
			fprintf(m, "  %s\n", json_string_value(s));
	}
	if (json_is_string(json_object_get(res, "log")))
		fprintf(m, "\ngit bisect log:\n%s\n", lab_flow_str(res, "log"));
	if (json_is_string(json_object_get(res, "reproduce")))
		fprintf(m, "\nreproduce:\n  %s\n", lab_flow_str(res, "reproduce"));
	if (fclose(m)) {
		free(buf);
		return NULL;
	}
	return buf;
}
