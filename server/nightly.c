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
#include <unistd.h>

#include <curl/curl.h>

#include "artifacts.h"
#include "diff.h"
#include "log.h"
#include "nightly.h"

#define NIGHTLY_KEEP_RUNS 60
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

/* the kernel names of the config's "kernels", registering unknown ones */
static int kernels_resolve(struct lab_store *st, json_t *list, json_t *names)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) {
		struct lab_kernel k = { 0 }, old = { 0 };
		char name[72], recipe[1600], tree[520], patches[1032];
		const char *s = json_string_value(v);
		int ret;

		if (s) {	/* a Debian kernel by fetch-debian's name */
			if (!lab_artifacts_name_ok(s) || strlen(s) > 64)
				return -EINVAL;
			snprintf(name, sizeof(name), "%s", s);
			k.source = "debian";
		} else if (json_is_object(v) && json_is_string(json_object_get(v, "tree"))) {
			const char *t = str_of(v, "tree"), *n = str_of(v, "name");
			size_t j, o = 0;

			const char *pp = str_of(v, "patches");

			if (strlen(t) > 512 || strlen(pp) > 1024)
				return -EINVAL;
			if (*pp)
				snprintf(recipe, sizeof(recipe), "tree=%s;patches=%s", t, pp);
			else
				snprintf(recipe, sizeof(recipe), "tree=%s", t);
			k.source = "build";
			k.source_ref = recipe;
			if (lab_artifacts_recipe(&k, tree, sizeof(tree), patches, sizeof(patches)))
				return -EINVAL;
			if (*n) {
				if (!lab_artifacts_name_ok(n) || strlen(n) > 64)
					return -EINVAL;
				snprintf(name, sizeof(name), "%s", n);
			} else {
				o = (size_t)snprintf(name, sizeof(name), "nightly-");
				for (j = 0; t[j] && o < 64; j++)
					name[o++] = name_char((unsigned char)t[j]) ? t[j] : '_';
				name[o] = '\0';
			}
		} else {
			return -EINVAL;
		}
		ret = lab_store_kernel_get(st, name, &old);
		lab_kernel_clear(&old);
		if (ret == -ENOENT) {
			k.name = name;
			k.arch = "x86_64";
			ret = lab_store_kernel_put(st, &k);
			if (!ret)
				lab_info("nightly: kernel %s registered (%s)", name,
					 k.source_ref ? k.source_ref : "debian");
		}
		if (ret)
			return ret;
		json_array_append_new(names, json_string(name));
	}
	return 0;
}

static int fire(struct lab_store *st, time_t slot, time_t now)
{
	static const char *const pass[] = { "targets", "cases", "repeat", "timeout_s",
		"priority", NULL };
	char err[LAB_STORE_ERR_MAX] = "", title[64];
	json_t *plan, *names = json_array();
	int64_t plan_id = 0;
	struct tm tm;
	int njobs = 0, ret;

	ret = kernels_resolve(st, json_object_get(nt.cfg, "kernels"), names);
	if (ret) {
		lab_warn("nightly: bad \"kernels\" in %s: %s", nt.cfg_path, strerror(-ret));
		json_decref(names);
		return ret;
	}
	gmtime_r(&slot, &tm);
	strftime(title, sizeof(title), "nightly %Y-%m-%d %H:%M", &tm);
	plan = json_pack("{s:s, s:s, s:o, s:I}", "kind", "nightly", "name", title,
			 "kernels", names, "nightly_slot", (json_int_t)slot);
	if (!plan)
		return -ENOMEM;
	for (int i = 0; pass[i]; i++)
		if (json_object_get(nt.cfg, pass[i]))
			json_object_set(plan, pass[i], json_object_get(nt.cfg, pass[i]));
	ret = lab_store_plan_create_ex(st, plan, "nightly", &plan_id, &njobs, err, sizeof(err));
	json_decref(plan);
	if (ret) {
		lab_warn("nightly: %s: plan refused: %s (%s)", title, strerror(-ret), err);
		plan_id = 0;
	} else if (now - slot > 120) {
		lab_info("nightly: %s was missed (server down); running it now: plan %lld, %d jobs",
			 title, (long long)plan_id, njobs);
	} else {
		lab_info("nightly: %s: plan %lld, %d jobs", title, (long long)plan_id, njobs);
	}
	json_array_append_new(json_object_get(nt.state, "runs"),
		json_pack("{s:I, s:I, s:b, s:n, s:i, s:i}", "slot", (json_int_t)slot,
			  "plan", (json_int_t)plan_id, "compared", plan_id == 0, "previous",
			  "regressions", 0, "webhook", 0));
	return ret ? ret : 1;
}

/* ---- comparison ------------------------------------------------------------ */

static bool flaky(json_t *side)
{
	return json_is_true(json_object_get(side, "flaky"));
}

int lab_nightly_compare(struct lab_store *st, int64_t base, int64_t head, json_t **out)
{
	char b[32], h[32], err[LAB_STORE_ERR_MAX], summary[160];
	json_t *diff, *regs, *inc, *row;
	size_t i;
	int ret;

	snprintf(b, sizeof(b), "%lld", (long long)base);
	snprintf(h, sizeof(h), "%lld", (long long)head);
	ret = lab_diff_run(st, true, b, h, true, &diff, err, sizeof(err));
	if (ret)
		return ret;
	regs = json_array();
	inc = json_array();
	json_array_foreach(json_object_get(diff, "rows"), i, row) {
		json_t *bs = json_object_get(row, "base"), *hs = json_object_get(row, "head");
		const char *cls = str_of(row, "class");
		bool hfail = !strcmp(str_of(hs, "verdict"), "fail");
		long long runs;
		json_t *r;

		if (strcmp(cls, "pass_to_fail") &&
		    !(hfail && !strcmp(cls, "errno_changed")))
			continue;
		if (flaky(bs) || flaky(hs)) {
			json_array_append(inc, row);
			continue;
		}
		runs = json_integer_value(json_object_get(bs, "runs"));
		if (json_integer_value(json_object_get(hs, "runs")) < runs)
			runs = json_integer_value(json_object_get(hs, "runs"));
		if (runs < 1)
			runs = 1;
		r = json_deep_copy(row);
		json_object_set_new(r, "runs", json_integer(runs));
		json_object_set_new(r, "confidence", json_real(1.0 - 1.0 / (double)(1LL << (runs > 30 ? 30 : runs))));
		json_array_append_new(regs, r);
	}
	snprintf(summary, sizeof(summary), "%zu regression%s, %zu inconsistent (flaky) change%s "
		 "between nightly plans %lld and %lld", json_array_size(regs),
		 json_array_size(regs) == 1 ? "" : "s", json_array_size(inc),
		 json_array_size(inc) == 1 ? "" : "s", (long long)base, (long long)head);
	json_decref(diff);
	*out = json_pack("{s:o, s:o, s:s}", "regressions", regs, "inconsistent", inc,
			 "summary", summary);
	return *out ? 0 : -ENOMEM;
}

static size_t discard(char *p, size_t sz, size_t nm, void *ud)
{
	(void)p;
	(void)ud;
	return sz * nm;
}

/* POST @body to @url; the HTTP status, or 0 when it could not be sent */
static long webhook_post(const char *url, json_t *body)
{
	struct curl_slist *hdrs = NULL;
	char *payload;
	long status = 0;
	CURL *h;

	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return 0;
	payload = json_dumps(body, JSON_COMPACT);
	h = curl_easy_init();
	if (!payload || !h) {
		free(payload);
		if (h)
			curl_easy_cleanup(h);
		return 0;
	}
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "User-Agent: iommulabd-nightly");
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	free(payload);
	return status;
}

/* compare finished, not yet compared runs with the run before them */
static bool compare_done(struct lab_store *st)
{
	json_t *runs = json_object_get(nt.state, "runs"), *run, *plan, *jobs, *cmp;
	bool changed = false;
	size_t i;

	json_array_foreach(runs, i, run) {
		int64_t pid = json_integer_value(json_object_get(run, "plan")), prev = 0;
		json_t *body;
		long status;

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
		lab_info("nightly: plan %lld vs %lld: %s", (long long)pid, (long long)prev,
			 str_of(cmp, "summary"));
		if (!json_array_size(json_object_get(cmp, "regressions")) ||
		    !*str_of(nt.cfg, "webhook")) {
			json_decref(cmp);
			continue;
		}
		body = json_pack("{s:s, s:I, s:I, s:O, s:O, s:O, s:O}",
				 "event", "nightly.regression", "plan", (json_int_t)pid,
				 "previous_plan", (json_int_t)prev, "slot", json_object_get(run, "slot"),
				 "regressions", json_object_get(cmp, "regressions"),
				 "inconsistent", json_object_get(cmp, "inconsistent"),
				 "summary", json_object_get(cmp, "summary"));
		if (body) {
			char u[96];

			snprintf(u, sizeof(u), "/api/v1/diffs?base_plan=%lld&head_plan=%lld",
				 (long long)prev, (long long)pid);
			json_object_set_new(body, "diff_url", json_string(u));
			status = webhook_post(str_of(nt.cfg, "webhook"), body);
			json_object_set_new(run, "webhook", json_integer(status));
			if (status >= 200 && status < 300)
				lab_info("nightly: webhook %s: HTTP %ld", str_of(nt.cfg, "webhook"), status);
			else
				lab_warn("nightly: webhook %s failed (HTTP %ld)", str_of(nt.cfg, "webhook"),
					 status);
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
		fired = fire(st, slot, now) > 0;
		dirty = true;
	}
	dirty |= compare_done(st);
	if (dirty)
		state_save(cfg);
	return fired;
}
