/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nightly.c - nightly plans, comparison with the previous nightly, webhook
 * on regressions. Contract in nightly.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "artifacts.h"
#include "diff.h"
#include "diff_known.h"
#include "log.h"
#include "nightly.h"
#include "outbox.h"
#include "plan.h"
#include "proc.h"
#include "views.h"

#define NIGHTLY_KEEP_RUNS 60
#define NIGHTLY_OWNER "config:nightly.json"	/* its webhook's subscription (outbox.h) */
#define NIGHTLY_SCAN_MIN (8 * 1440)	/* cron: look back at most 8 days */

/* scheduler-thread-only state */
static struct {
	char cfg_path[PATH_MAX];
	struct timespec cfg_mtime;
	json_t *cfg;			/* parsed config, NULL = none */
	json_t *state;			/* nightly-state.json */
	bool loaded;			/* state read once */
	time_t last_tick;
} nt;

static const char *str_of(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

static time_t clock_now(void)
{
	const char *f = getenv("IOMMULAB_CLOCK_FILE");
	long long v;
	FILE *fp;

	if (!f || !*f)
		return time(NULL);
	fp = fopen(f, "re");
	if (!fp)
		return time(NULL);
	if (fscanf(fp, "%lld", &v) != 1)
		v = (long long)time(NULL);
	fclose(fp);
	return (time_t)v;
}

/* ---- schedule ------------------------------------------------------------- */

/* does @v match a cron field (*, N or N,M,...) within [lo, hi]? -EINVAL bad */
static int cron_field(const char *f, size_t len, int v, int lo, int hi)
{
	const char *p = f, *end = f + len;

	if (len == 1 && *f == '*')
		return 1;
	while (p < end) {
		char *e;
		long n = strtol(p, &e, 10);

		if (e == p || e > end || n < lo || n > hi || (e < end && *e != ','))
			return -EINVAL;
		if (n == v)
			return 1;
		p = e + 1;
	}
	return 0;
}

/* minute, hour, dow fields of "M H * * D"; NULL tokens when malformed */
static int cron_split(const char *cron, const char *tok[5], size_t len[5])
{
	const char *p = cron;
	int n = 0;

	while (*p && n < 5) {
		while (*p == ' ')
			p++;
		if (!*p)
			break;
		tok[n] = p;
		len[n] = strcspn(p, " ");
		p += len[n];
		n++;
	}
	while (*p == ' ')
		p++;
	if (n != 5 || *p || len[2] != 1 || *tok[2] != '*' || len[3] != 1 || *tok[3] != '*')
		return -EINVAL;
	return 0;
}

static int cron_match(const char *tok[5], size_t len[5], const struct tm *tm)
{
	int a = cron_field(tok[0], len[0], tm->tm_min, 0, 59);
	int b = cron_field(tok[1], len[1], tm->tm_hour, 0, 23);
	int c = cron_field(tok[4], len[4], tm->tm_wday, 0, 6);

	if (a < 0 || b < 0 || c < 0)
		return -EINVAL;
	return a && b && c;
}

int lab_nightly_slot(json_t *cfg, time_t now, time_t *slot)
{
	const char *at = json_string_value(json_object_get(cfg, "at"));
	const char *cron = json_string_value(json_object_get(cfg, "cron"));

	if (at && !cron) {
		unsigned h, m;
		char extra;
		time_t day = now - (now % 86400), s;

		if (sscanf(at, "%2u:%2u%c", &h, &m, &extra) != 2 || h > 23 || m > 59)
			return -EINVAL;
		s = day + h * 3600 + m * 60;
		*slot = s <= now ? s : s - 86400;
		return 0;
	}
	if (cron && !at) {
		const char *tok[5];
		size_t len[5];
		time_t t = now - (now % 60);

		if (cron_split(cron, tok, len))
			return -EINVAL;
		for (int i = 0; i < NIGHTLY_SCAN_MIN; i++, t -= 60) {
			struct tm tm;
			int r;

			gmtime_r(&t, &tm);
			r = cron_match(tok, len, &tm);
			if (r < 0)
				return r;
			if (r) {
				*slot = t;
				return 0;
			}
		}
		return -EINVAL;	/* never fires (e.g. no matching day) */
	}
	return -EINVAL;
}

/* ---- config and state files ----------------------------------------------- */

static void entries_check(json_t *cfg_json);

static void cfg_reload(const struct lab_config *cfg)
{
	const char *env = getenv("IOMMULAB_NIGHTLY");
	json_error_t je;
	struct stat sb;
	json_t *j;
	time_t slot;

	if (env && *env)
		snprintf(nt.cfg_path, sizeof(nt.cfg_path), "%s", env);
	else if (snprintf(nt.cfg_path, sizeof(nt.cfg_path), "%s/nightly.json",
			  cfg->state_dir) >= (int)sizeof(nt.cfg_path))
		return;
	if (stat(nt.cfg_path, &sb)) {
		if (nt.cfg)
			lab_info("nightly: %s is gone: no nightlies", nt.cfg_path);
		json_decref(nt.cfg);
		nt.cfg = NULL;
		return;
	}
	if (nt.cfg && sb.st_mtim.tv_sec == nt.cfg_mtime.tv_sec &&
	    sb.st_mtim.tv_nsec == nt.cfg_mtime.tv_nsec)
		return;
	nt.cfg_mtime = sb.st_mtim;
	j = json_load_file(nt.cfg_path, 0, &je);
	if (!j || !json_is_object(j) || !json_is_array(json_object_get(j, "kernels")) ||
	    !json_array_size(json_object_get(j, "kernels")) ||
	    lab_nightly_slot(j, clock_now(), &slot)) {
		lab_warn("nightly: %s: %s (want {\"at\": \"HH:MM\" | \"cron\": \"M H * * D\", "
			 "\"kernels\": [...], ...}); keeping the previous schedule", nt.cfg_path,
			 j ? "bad schedule or no kernels" : je.text);
		json_decref(j);
		return;
	}
	json_decref(nt.cfg);
	nt.cfg = j;
	lab_info("nightly: schedule loaded from %s", nt.cfg_path);
	entries_check(j);
}

static int state_path(const struct lab_config *cfg, char *buf, size_t n)
{
	return snprintf(buf, n, "%s/nightly-state.json", cfg->state_dir) >= (int)n ?
		-ENAMETOOLONG : 0;
}

static void state_load(const struct lab_config *cfg)
{
	char path[PATH_MAX];

	nt.loaded = true;
	if (!state_path(cfg, path, sizeof(path)))
		nt.state = json_load_file(path, 0, NULL);
	if (!json_is_object(nt.state)) {
		json_decref(nt.state);
		nt.state = json_pack("{s:I, s:[]}", "last_slot", (json_int_t)0, "runs");
	}
}

static int state_save(const struct lab_config *cfg)
{
	char path[PATH_MAX], tmp[PATH_MAX + 8];
	json_t *runs = json_object_get(nt.state, "runs");

	while (json_array_size(runs) > NIGHTLY_KEEP_RUNS)
		json_array_remove(runs, 0);
	if (state_path(cfg, path, sizeof(path)))
		return -ENAMETOOLONG;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_dump_file(nt.state, tmp, JSON_INDENT(1) | JSON_SORT_KEYS) ||
	    rename(tmp, path)) {
		lab_warn("nightly: cannot write %s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

/* ---- firing ---------------------------------------------------------------- */

static bool name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '-' || c == '+';
}

/* one "kernels" entry of the config, checked (entry_parse) */
struct kentry {
	bool debian;			/* else a tree the lab builds */
	char spec[72];			/* debian: series or release as fetch-debian takes it */
	const char *arch;		/* debian: x86_64 | arm64 | s390x (static) */
	struct lab_kernel k;		/* tree: source/source_ref (recipe) */
	char name[72], recipe[1600];
};

static const char *arch_of(const char *a)
{
	static const char *const arches[] = { "x86_64", "arm64", "s390x", NULL };

	for (int i = 0; arches[i]; i++)
		if (!strcmp(a, arches[i]))
			return arches[i];
	return NULL;
}

/* check "kernels"[@i]; -EINVAL with a one-line reason in @why */
static int entry_parse(json_t *v, size_t i, struct kentry *e, char *why, size_t n)
{
	const char *s = json_string_value(v);

	memset(e, 0, sizeof(*e));
	if (s || (json_is_object(v) && json_object_get(v, "debian"))) {
		const char *a = "x86_64";	/* a plain string, or no "arch" */

		if (!s) {
			s = json_string_value(json_object_get(v, "debian"));
			if (json_object_get(v, "arch"))
				a = str_of(v, "arch");
		}
		if (!s || !lab_artifacts_name_ok(s) || strlen(s) > 64) {
			snprintf(why, n, "kernels[%zu]: a Debian kernel is a series (6.1, 6.12) or a "
				 "release of [A-Za-z0-9.+_-], at most 64 bytes", i);
			return -EINVAL;
		}
		e->arch = arch_of(a);
		if (!e->arch) {
			snprintf(why, n, "kernels[%zu]: arch '%.32s' is not x86_64, arm64 or s390x", i, a);
			return -EINVAL;
		}
		e->debian = true;
		snprintf(e->spec, sizeof(e->spec), "%s", s);
		return 0;
	}
	if (json_is_object(v) && json_is_string(json_object_get(v, "tree"))) {
		const char *t = str_of(v, "tree"), *nm = str_of(v, "name"), *pp = str_of(v, "patches");
		char tree[520], patches[1032];
		size_t j, o;

		if (strlen(t) > 512 || strlen(pp) > 1024) {
			snprintf(why, n, "kernels[%zu]: tree or patches path too long", i);
			return -EINVAL;
		}
		if (*pp)
			snprintf(e->recipe, sizeof(e->recipe), "tree=%s;patches=%s", t, pp);
		else
			snprintf(e->recipe, sizeof(e->recipe), "tree=%s", t);
		e->k.source = "build";
		e->k.source_ref = e->recipe;
		if (lab_artifacts_recipe(&e->k, tree, sizeof(tree), patches, sizeof(patches))) {
			snprintf(why, n, "kernels[%zu]: bad tree/patches (want debian-6.1|debian-6.12 "
				 "or /abs/git@ref, patches an absolute path)", i);
			return -EINVAL;
		}
		if (*nm) {
			if (!lab_artifacts_name_ok(nm) || strlen(nm) > 64) {
				snprintf(why, n, "kernels[%zu]: bad name '%.64s'", i, nm);
				return -EINVAL;
			}
			snprintf(e->name, sizeof(e->name), "%s", nm);
		} else {
			o = (size_t)snprintf(e->name, sizeof(e->name), "nightly-");
			for (j = 0; t[j] && o < 64; j++)
				e->name[o++] = name_char((unsigned char)t[j]) ? t[j] : '_';
			e->name[o] = '\0';
		}
		return 0;
	}
	snprintf(why, n, "kernels[%zu]: want \"6.12\", {\"debian\": \"6.12\", \"arch\": "
		 "\"arm64\"} or {\"tree\": ..., \"name\": ...}", i);
	return -EINVAL;
}

/* warn at load time about entries fire() would refuse (it still refuses them) */
static void entries_check(json_t *cfg_json)
{
	char why[240];
	struct kentry e;
	size_t i;
	json_t *v;

	json_array_foreach(json_object_get(cfg_json, "kernels"), i, v)
		if (entry_parse(v, i, &e, why, sizeof(why)))
			lab_warn("nightly: %s: %s: nightlies will be refused until it is fixed",
				 nt.cfg_path, why);
}

/* the last non-empty line of @text (trimmed, at most @n - 1 bytes) into @out */
static void last_line(const char *text, char *out, size_t n)
{
	const char *end = text + strlen(text), *b;

	while (end > text && (end[-1] == '\n' || end[-1] == ' '))
		end--;
	for (b = end; b > text && b[-1] != '\n'; b--)
		;
	snprintf(out, n, "%.*s", (int)(end - b), b);
}

/*
 * Resolve a Debian series/release to the newest package's release with
 * `kernels/fetch-debian --resolve` (apt metadata only, no download; a few
 * seconds; $IOMMULAB_FETCH_DEBIAN names another resolver for tests).
 * *out = {"release", "version", "arch", "series", "package"}; else -errno
 * and the resolver's last output line in @why.
 */
static int debian_resolve(const struct lab_config *cfg, const struct kentry *e, json_t **out,
			  char *why, size_t n)
{
	const char *env = getenv("IOMMULAB_FETCH_DEBIAN");
	char prog[PATH_MAX], log[PATH_MAX], *text = NULL, *line;
	char *argv[] = { prog, "--kernel", (char *)e->spec, "--arch", (char *)e->arch,
			 "--resolve", NULL };
	int status = 0, ret, waited;
	size_t len = 0;
	pid_t pid, w;
	FILE *fp;

	if (env && *env == '/')
		snprintf(prog, sizeof(prog), "%s", env);
	else if (snprintf(prog, sizeof(prog), "%s/kernels/fetch-debian", cfg->top) >= (int)sizeof(prog))
		return -ENAMETOOLONG;
	if (snprintf(log, sizeof(log), "%s/nightly-resolve.log", cfg->state_dir) >= (int)sizeof(log))
		return -ENAMETOOLONG;
	ret = lab_proc_spawn_group(argv, log, &pid);
	if (ret) {
		snprintf(why, n, "cannot run %.120s: %s", prog, strerror(-ret));
		return ret;
	}
	for (waited = 0; (w = waitpid(pid, &status, WNOHANG)) == 0 && waited < 60000; waited += 50)
		usleep(50 * 1000);
	if (w != pid) {
		lab_proc_kill_group(pid, false);
		snprintf(why, n, "%.120s --resolve did not finish within 60 s", prog);
		return -ETIMEDOUT;
	}
	fp = fopen(log, "re");
	if (fp) {
		text = calloc(1, 16385);
		if (text)
			len = fread(text, 1, 16384, fp);
		fclose(fp);
	}
	if (!text)
		return -ENOMEM;
	text[len] = '\0';
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		last_line(text, why, n);
		if (!*why)
			snprintf(why, n, "%.120s exited with status %d", prog, WIFEXITED(status) ?
				 WEXITSTATUS(status) : 128 + WTERMSIG(status));
		free(text);
		return -ENOENT;
	}
	/* the JSON line is the last one starting with '{' (stderr shares the log) */
	line = NULL;
	for (char *p = text; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (*p == '{')
			line = p;
	}
	*out = line ? json_loadb(line, strcspn(line, "\n"), 0, NULL) : NULL;
	free(text);
	if (!*out || !json_is_string(json_object_get(*out, "release")) ||
	    !lab_artifacts_name_ok(str_of(*out, "release")) ||
	    strcmp(str_of(*out, "arch"), e->arch)) {
		json_decref(*out);
		*out = NULL;
		snprintf(why, n, "%.120s --resolve printed no valid release", prog);
		return -EPROTO;
	}
	return 0;
}

/* does Debian release @rel belong to entry @spec ("6.12" -> 6.12.N+deb12-..)? */
static bool release_of(const char *rel, const char *spec)
{
	size_t n = strlen(spec);

	return !strncmp(rel, spec, n) && (rel[n] == '.' || rel[n] == '-' || rel[n] == '\0');
}

/* the last kernel registered for @e (name debian-*, same arch), into @name */
static int debian_fallback(struct lab_store *st, const struct kentry *e, char *name, size_t n)
{
	json_int_t best = 0;
	json_t *all, *k;
	size_t i;

	if (lab_store_kernels_list(st, &all))
		return -EIO;
	json_array_foreach(all, i, k) {
		json_int_t id = json_integer_value(json_object_get(k, "id"));

		if (!strcmp(str_of(k, "source"), "debian") && !strcmp(str_of(k, "arch"), e->arch) &&
		    !strncmp(str_of(k, "name"), "debian-", 7) &&
		    release_of(str_of(k, "release"), e->spec) && id > best) {
			best = id;
			snprintf(name, n, "%s", str_of(k, "name"));
		}
	}
	json_decref(all);
	return best ? 0 : -ENOENT;
}

/*
 * A Debian entry: resolve it now and register "debian-<release>"; when
 * resolving fails, the last kernel registered for it. Appends the kernel
 * name to @names (nothing when there is none) and what happened to @report.
 */
static void debian_kernel(struct lab_store *st, const struct lab_config *cfg,
			  const struct kentry *e, json_t *names, json_t *report)
{
	char why[240] = "", name[80] = "";
	json_t *res = NULL, *rep;
	int ret;

	rep = json_pack("{s:s, s:s}", "debian", e->spec, "arch", e->arch);
	ret = debian_resolve(cfg, e, &res, why, sizeof(why));
	if (!ret) {
		struct lab_kernel k = {
			.name = name, .release = (char *)str_of(res, "release"),
			.version = (char *)json_string_value(json_object_get(res, "version")),
			.arch = (char *)e->arch, .source = "debian",
			.source_ref = (char *)json_string_value(json_object_get(res, "package")),
		};

		snprintf(name, sizeof(name), "debian-%s", k.release);
		ret = lab_store_kernel_put(st, &k);
		if (ret)
			snprintf(why, sizeof(why), "cannot register %s: %s", name, strerror(-ret));
		else
			lab_info("nightly: Debian %s (%s) resolved to %s (%s)", e->spec, e->arch,
				 k.release, k.version ? k.version : "?");
		json_object_set_new(rep, "release", json_string(k.release));
	}
	json_decref(res);
	if (!ret) {
		json_object_set_new(rep, "resolved", json_true());
	} else if (!debian_fallback(st, e, name, sizeof(name))) {
		lab_warn("nightly: Debian %s (%s): cannot resolve (%s); falling back to %s, the "
			 "last kernel registered for it", e->spec, e->arch, why, name);
		json_object_set_new(rep, "resolved", json_false());
		json_object_set_new(rep, "fallback", json_true());
		json_object_set_new(rep, "error", json_string(why));
	} else {
		lab_warn("nightly: Debian %s (%s): cannot resolve (%s) and no kernel was "
			 "registered for it before: left out of this nightly", e->spec, e->arch, why);
		*name = '\0';
		json_object_set_new(rep, "resolved", json_false());
		json_object_set_new(rep, "error", json_string(why));
	}
	json_object_set_new(rep, "kernel", *name ? json_string(name) : json_null());
	if (*name)
		json_array_append_new(names, json_string(name));
	json_array_append_new(report, rep);
}

/*
 * The kernel names for tonight from the config's "kernels" (every entry is
 * checked before anything is resolved or registered: a bad entry refuses
 * the whole nightly with -EINVAL and the reason in @why). Debian entries are
 * resolved now (debian_kernel); trees are registered once by name.
 */
static int kernels_resolve(struct lab_store *st, const struct lab_config *cfg, json_t *list,
			   json_t *names, json_t *report, char *why, size_t n)
{
	struct kentry *e;
	size_t i, cnt = json_array_size(list);
	json_t *v;
	int ret = 0;

	e = calloc(cnt ? cnt : 1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	json_array_foreach(list, i, v) {
		ret = entry_parse(v, i, &e[i], why, n);
		if (ret)
			goto free_entries;
	}
	for (i = 0; i < cnt; i++) {
		struct lab_kernel old = { 0 };

		if (e[i].debian) {
			debian_kernel(st, cfg, &e[i], names, report);
			continue;
		}
		ret = lab_store_kernel_get(st, e[i].name, &old);
		lab_kernel_clear(&old);
		if (ret == -ENOENT) {
			e[i].k.name = e[i].name;
			e[i].k.arch = "x86_64";
			ret = lab_store_kernel_put(st, &e[i].k);
			if (!ret)
				lab_info("nightly: kernel %s registered (%s)", e[i].name, e[i].recipe);
		}
		if (ret) {
			snprintf(why, n, "kernels[%zu]: cannot register %s: %s", i, e[i].name,
				 strerror(-ret));
			goto free_entries;
		}
		json_array_append_new(names, json_string(e[i].name));
		json_array_append_new(report, json_pack("{s:s, s:s}", "recipe", e[i].recipe,
							"kernel", e[i].name));
	}
free_entries:
	free(e);
	return ret;
}

/* record a nightly that made no plan (never silently: the state says why) */
static void run_refused(time_t slot, json_t *report, const char *why)
{
	json_t *run = json_pack("{s:I, s:I, s:b, s:n, s:i, s:i, s:s}", "slot", (json_int_t)slot,
				"plan", (json_int_t)0, "compared", 1, "previous", "regressions", 0,
				"webhook", 0, "error", why);

	if (run && report)
		json_object_set(run, "kernels", report);
	json_array_append_new(json_object_get(nt.state, "runs"), run);
}

static int fire(struct lab_store *st, const struct lab_config *cfg, time_t slot, time_t now)
{
	static const char *const pass[] = { "targets", "cases", "repeat", "timeout_s",
		"priority", NULL };
	char err[LAB_STORE_ERR_MAX] = "", title[64], why[320] = "";
	json_t *plan, *names = json_array(), *report = json_array(), *run;
	int64_t plan_id = 0;
	struct tm tm;
	int njobs = 0, ret;

	gmtime_r(&slot, &tm);
	strftime(title, sizeof(title), "nightly %Y-%m-%d %H:%M", &tm);
	ret = kernels_resolve(st, cfg, json_object_get(nt.cfg, "kernels"), names, report,
			      why, sizeof(why));
	if (!ret && !json_array_size(names)) {
		snprintf(why, sizeof(why), "no kernel could be resolved (see \"kernels\")");
		ret = -ENOENT;
	}
	if (ret) {
		lab_warn("nightly: %s refused, no plan: %s (in %s)", title,
			 *why ? why : strerror(-ret), nt.cfg_path);
		run_refused(slot, report, *why ? why : strerror(-ret));
		json_decref(names);
		json_decref(report);
		return ret;
	}
	plan = json_pack("{s:s, s:s, s:o, s:I}", "kind", "nightly", "name", title,
			 "kernels", names, "nightly_slot", (json_int_t)slot);
	if (!plan) {
		json_decref(report);
		return -ENOMEM;
	}
	for (int i = 0; pass[i]; i++)
		if (json_object_get(nt.cfg, pass[i]))
			json_object_set(plan, pass[i], json_object_get(nt.cfg, pass[i]));
	ret = lab_store_plan_create_ex(st, plan, "nightly", &plan_id, &njobs, err, sizeof(err));
	json_decref(plan);
	if (ret) {
		lab_warn("nightly: %s: plan refused: %s (%s)", title, strerror(-ret), err);
		run_refused(slot, report, err);
		json_decref(report);
		return ret;
	} else if (now - slot > 120) {
		lab_info("nightly: %s was missed (server down); running it now: plan %lld, %d jobs",
			 title, (long long)plan_id, njobs);
	} else {
		lab_info("nightly: %s: plan %lld, %d jobs", title, (long long)plan_id, njobs);
	}
	run = json_pack("{s:I, s:I, s:b, s:n, s:i, s:i, s:o}", "slot", (json_int_t)slot,
			"plan", (json_int_t)plan_id, "compared", 0, "previous",
			"regressions", 0, "webhook", 0, "kernels", report);
	json_array_append_new(json_object_get(nt.state, "runs"), run);
	return 1;
}

/* ---- comparison ------------------------------------------------------------ */

static bool flaky(json_t *side)
{
	return json_is_true(json_object_get(side, "flaky"));
}

/* did some repeat of this side fail, error, crash or warn? (diff.h distribution) */
static bool head_fails(json_t *side)
{
	json_t *p;
	size_t i;

	json_array_foreach(json_object_get(side, "distribution"), i, p) {
		const char *v = str_of(p, "verdict");

		if (!strcmp(v, "fail") || !strcmp(v, "error") || !strcmp(v, "crash") ||
		    !strcmp(v, "warn"))
			return true;
	}
	return false;
}

/* each side of @row gains "errnos": the errno distribution of its repeats */
static void add_errnos(struct lab_store *st, json_t *row)
{
	static const char *const sides[] = { "base", "head", NULL };

	for (int i = 0; sides[i]; i++) {
		json_t *side = json_object_get(row, sides[i]), *dist;
		json_int_t id = json_integer_value(json_object_get(side, "result_id"));

		if (json_is_object(side) && id > 0 && !lab_store_result_errnos(st, id, &dist))
			json_object_set_new(side, "errnos", dist);
	}
}

/*
 * The targets of plan @plan none of whose jobs ran to an end of their own:
 * every one canceled (an operator's decision, not a result). Their rows
 * that are missing from the head are no regression; a crashed or hung run
 * (incomplete) is one. An object used as a set, or NULL.
 */
static json_t *canceled_targets(struct lab_store *st, int64_t plan)
{
	struct lab_job_filter jf = { .state = -1, .plan_id = plan, .limit = 1000 };
	json_t *jobs, *set = json_object(), *ran = json_object(), *j;
	size_t i;

	if (!set || !ran || lab_store_jobs_list(st, &jf, &jobs)) {
		json_decref(set);
		json_decref(ran);
		return NULL;
	}
	json_array_foreach(jobs, i, j) {
		const char *t = str_of(j, "target");

		if (!strcmp(str_of(j, "state"), "canceled"))
			json_object_set_new(set, t, json_true());
		else
			json_object_set_new(ran, t, json_true());
	}
	json_array_foreach(jobs, i, j)
		if (json_object_get(ran, str_of(j, "target")))
			json_object_del(set, str_of(j, "target"));
	json_decref(jobs);
	json_decref(ran);
	return set;
}

int lab_nightly_compare(struct lab_store *st, int64_t base, int64_t head, json_t **out)
{
	char b[32], h[32], err[LAB_STORE_ERR_MAX], summary[1024];
	json_t *diff, *regs, *inc, *row, *canceled, *expd, *expp, *qch;
	size_t n;
	size_t i;
	int ret;

	snprintf(b, sizeof(b), "%lld", (long long)base);
	snprintf(h, sizeof(h), "%lld", (long long)head);
	ret = lab_diff_run(st, true, b, h, true, &diff, err, sizeof(err));
	if (ret)
		return ret;
	canceled = canceled_targets(st, head);
	regs = json_array();
	inc = json_array();
	expd = json_array();
	expp = json_array();
	qch = json_array();
	json_array_foreach(json_object_get(diff, "rows"), i, row) {
		json_t *bs = json_object_get(row, "base"), *hs = json_object_get(row, "head");
		const char *cls = str_of(row, "class");
		enum lab_known_label kl = lab_diff_known_of(row, NULL, NULL);
		long long runs;
		json_t *r;

		/* a known issue covers it (diff_known.h): listed, never a regression */
		if (kl != LAB_KNOWN_NONE) {
			r = json_deep_copy(row);
			add_errnos(st, r);
			json_array_append_new(kl == LAB_KNOWN_EXPECTED ? expd : expp, r);
			continue;
		}
		/* its two sides ran on two QEMU versions (diff_qemu.h): listed,
		 * never a regression (a host's QEMU upgrade between nightlies) */
		if (json_is_true(json_object_get(row, "qemu_change"))) {
			r = json_deep_copy(row);
			add_errnos(st, r);
			json_array_append_new(qch, r);
			continue;
		}
		/* a flaky head with a failing repeat: reported, never a regression */
		if (!strcmp(cls, "flaky") && flaky(hs) && head_fails(hs)) {
			r = json_deep_copy(row);
			add_errnos(st, r);
			json_array_append_new(inc, r);
			continue;
		}
		if (!json_is_true(json_object_get(row, "regression")))
			continue;
		if (!strcmp(cls, "missing") && json_object_get(canceled, str_of(row, "target")))
			continue;	/* canceled, not lost */
		runs = json_integer_value(json_object_get(bs, "runs"));
		if (json_integer_value(json_object_get(hs, "runs")) < runs)
			runs = json_integer_value(json_object_get(hs, "runs"));
		if (runs < 1)
			runs = 1;
		r = json_deep_copy(row);
		add_errnos(st, r);
		json_object_set_new(r, "runs", json_integer(runs));
		json_object_set_new(r, "confidence", json_real(1.0 - 1.0 / (double)(1LL << (runs > 30 ? 30 : runs))));
		json_array_append_new(regs, r);
	}
	snprintf(summary, sizeof(summary), "%zu regression%s, %zu inconsistent (flaky) change%s, "
		 "%zu expected failure%s (known issues), %zu expected failure%s passed, "
		 "%zu QEMU change%s between nightly plans %lld and %lld", json_array_size(regs),
		 json_array_size(regs) == 1 ? "" : "s", json_array_size(inc),
		 json_array_size(inc) == 1 ? "" : "s", json_array_size(expd),
		 json_array_size(expd) == 1 ? "" : "s", json_array_size(expp),
		 json_array_size(expp) == 1 ? "" : "s", json_array_size(qch),
		 json_array_size(qch) == 1 ? "" : "s", (long long)base, (long long)head);
	/* each known issue that passes again, once, with the command that
	 * retires it (diff_known.h) */
	n = strlen(summary);
	json_array_foreach(expp, i, row) {
		json_t *k = json_object_get(row, "known_issue");
		char one[160], cmd[96];
		int64_t id = json_integer_value(json_object_get(k, "id"));

		lab_diff_known_retire_cmd(id, cmd, sizeof(cmd));
		snprintf(one, sizeof(one), "; known issue %lld passes again: retire it with: %s",
			 (long long)id, cmd);
		if (!strstr(summary, one) && n + strlen(one) < sizeof(summary)) {
			memcpy(summary + n, one, strlen(one) + 1);
			n += strlen(one);
		}
	}
	json_decref(diff);
	json_decref(canceled);
	*out = json_pack("{s:o, s:o, s:o, s:o, s:o, s:s}", "regressions", regs, "inconsistent", inc,
			 "expected", expd, "expected_passed", expp, "qemu_changes", qch,
			 "summary", summary);
	return *out ? 0 : -ENOMEM;
}

/*
 * A compared nightly's regressions into the outbox (outbox.h), one
 * transaction: event "nightly-regression" (@body) for every subscription
 * that wants it, filtered by the rows' drivers, targets' vendors and cases,
 * and for nightly.json's own "webhook", kept as the subscription owned by
 * NIGHTLY_OWNER (signed with "webhook_secret", retried and logged by
 * flows/deliver.c like any other). Sets *@sub to that subscription (0: the
 * config has no webhook, or it was refused: @why says why).
 */
static int emit_regressions(struct lab_store *st, json_t *body, int64_t *sub, char *why,
			    size_t whylen)
{
	struct lab_subscription s = { .kind = "webhook", .url = str_of(nt.cfg, "webhook"),
		.secret = json_string_value(json_object_get(nt.cfg, "webhook_secret")),
		.events = "nightly-regression" };
	struct lab_outbox_keys keys = { 0 };
	char *text = json_dumps(body, JSON_COMPACT);
	json_t *row;
	size_t i;
	int r = text ? 0 : -ENOMEM;

	*sub = 0;
	why[0] = '\0';
	json_array_foreach(json_object_get(body, "regressions"), i, row)
		r = r ?: lab_outbox_keys_add(st, &keys, str_of(row, "driver"), str_of(row, "target"),
					     str_of(row, "case"));
	r = r ?: lab_store_tx_begin(st);
	if (r)
		goto out;
	if (*s.url) {
		r = lab_subscription_own(st, &s, NIGHTLY_OWNER, why, whylen);
		if (!r)
			*sub = s.id;
		else if (r == -EINVAL)	/* a bad webhook or secret: the other subscribers still get it */
			r = lab_subscription_disown(st, NIGHTLY_OWNER);
	} else {
		r = lab_subscription_disown(st, NIGHTLY_OWNER);
	}
	r = r ?: lab_outbox_emit_keys(st, "nightly-regression", &keys, text);
	r = r ?: lab_store_tx_commit(st);
	if (r)
		lab_store_tx_rollback(st);
out:
	lab_outbox_keys_clear(&keys);
	free(text);
	return r;
}

/* compare finished, not yet compared runs with the run before them */
static bool compare_done(struct lab_store *st)
{
	json_t *runs = json_object_get(nt.state, "runs"), *run, *plan, *jobs, *cmp, *xp;
	bool changed = false;
	size_t i, ei;

	json_array_foreach(runs, i, run) {
		int64_t pid = json_integer_value(json_object_get(run, "plan")), prev = 0;
		json_t *body;

		if (json_is_true(json_object_get(run, "compared")) || pid <= 0)
			continue;
		if (lab_store_plan_json(st, pid, &plan)) {
			json_object_set_new(run, "compared", json_true());
			changed = true;
			continue;
		}
		jobs = json_object_get(plan, "jobs");
		if (json_integer_value(json_object_get(jobs, "queued")) +
		    json_integer_value(json_object_get(jobs, "scheduled")) +
		    json_integer_value(json_object_get(jobs, "running")) > 0) {
			json_decref(plan);
			continue;
		}
		json_decref(plan);
		for (size_t k = i; k-- > 0;) {
			int64_t p = json_integer_value(json_object_get(json_array_get(runs, k), "plan"));

			if (p > 0) {
				prev = p;
				break;
			}
		}
		json_object_set_new(run, "compared", json_true());
		changed = true;
		if (!prev) {
			lab_info("nightly: plan %lld final; the first nightly, nothing to compare",
				 (long long)pid);
			continue;
		}
		json_object_set_new(run, "previous", json_integer(prev));
		if (lab_nightly_compare(st, prev, pid, &cmp)) {
			lab_warn("nightly: cannot compare plans %lld and %lld", (long long)prev,
				 (long long)pid);
			continue;
		}
		json_object_set_new(run, "regressions",
				    json_integer((json_int_t)json_array_size(json_object_get(cmp, "regressions"))));
		json_object_set_new(run, "inconsistent",
				    json_integer((json_int_t)json_array_size(json_object_get(cmp, "inconsistent"))));
		json_object_set_new(run, "expected",
				    json_integer((json_int_t)json_array_size(json_object_get(cmp, "expected"))));
		json_object_set_new(run, "expected_passed",
				    json_integer((json_int_t)json_array_size(json_object_get(cmp, "expected_passed"))));
		json_object_set_new(run, "qemu_changes",
				    json_integer((json_int_t)json_array_size(json_object_get(cmp, "qemu_changes"))));
		/* an expected failure that passes again: the known issue may be retired */
		json_array_foreach(json_object_get(cmp, "expected_passed"), ei, xp)
			lab_warn("nightly: plan %lld: %s %s passes again: known issue %lld "
				 "(\"%s\") may be retired: %s", (long long)pid, str_of(xp, "target"),
				 str_of(xp, "case"), (long long)json_integer_value(json_object_get(
				 json_object_get(xp, "known_issue"), "id")),
				 str_of(json_object_get(xp, "known_issue"), "reason"),
				 str_of(json_object_get(xp, "known_issue"), "retire"));
		lab_info("nightly: plan %lld vs %lld: %s", (long long)pid, (long long)prev,
			 str_of(cmp, "summary"));
		if (!json_array_size(json_object_get(cmp, "regressions"))) {
			json_decref(cmp);
			continue;
		}
		body = json_pack("{s:s, s:I, s:I, s:O, s:O, s:O, s:O, s:O, s:O, s:O}",
				 "event", "nightly.regression", "plan", (json_int_t)pid,
				 "previous_plan", (json_int_t)prev, "slot", json_object_get(run, "slot"),
				 "regressions", json_object_get(cmp, "regressions"),
				 "inconsistent", json_object_get(cmp, "inconsistent"),
				 "expected", json_object_get(cmp, "expected"),
				 "expected_passed", json_object_get(cmp, "expected_passed"),
				 "qemu_changes", json_object_get(cmp, "qemu_changes"),
				 "summary", json_object_get(cmp, "summary"));
		if (body) {
			char u[96], why[256];
			int64_t sub;
			int r;

			snprintf(u, sizeof(u), "/api/v1/diffs?base_plan=%lld&head_plan=%lld",
				 (long long)prev, (long long)pid);
			json_object_set_new(body, "diff_url", json_string(u));
			r = emit_regressions(st, body, &sub, why, sizeof(why));
			if (r) {
				lab_warn("nightly: plan %lld: the regressions were not queued: %s",
					 (long long)pid, strerror(-r));
				json_object_set_new(run, "webhook", json_string("error"));
			} else if (sub) {
				lab_info("nightly: plan %lld: regressions queued (webhook: subscription %lld)",
					 (long long)pid, (long long)sub);
				json_object_set_new(run, "webhook", json_string("queued"));
				json_object_set_new(run, "subscription", json_integer(sub));
			} else if (why[0]) {
				lab_warn("nightly: %s: webhook refused: %s", nt.cfg_path, why);
				json_object_set_new(run, "webhook", json_string(why));
			}
			json_decref(body);
		}
		json_decref(cmp);
	}
	return changed;
}

int lab_nightly_tick(struct lab_store *st, const struct lab_config *cfg)
{
	time_t now = clock_now(), slot;
	bool dirty = false;
	int fired = 0;

	if (nt.last_tick == time(NULL))
		return 0;
	nt.last_tick = time(NULL);
	cfg_reload(cfg);
	if (!nt.cfg)
		return 0;
	if (!nt.loaded)
		state_load(cfg);
	if (!nt.state || lab_nightly_slot(nt.cfg, now, &slot))
		return 0;
	if (json_integer_value(json_object_get(nt.state, "last_slot")) == 0) {
		/* a new schedule starts at the current slot */
		json_object_set_new(nt.state, "last_slot", json_integer(slot));
		lab_info("nightly: schedule starts; the next run after slot %lld",
			 (long long)slot);
		dirty = true;
	} else if (slot > json_integer_value(json_object_get(nt.state, "last_slot"))) {
		json_object_set_new(nt.state, "last_slot", json_integer(slot));
		fired = fire(st, cfg, slot, now) > 0;
		dirty = true;
	}
	dirty |= compare_done(st);
	if (dirty)
		state_save(cfg);
	return fired;
}
