/* SPDX-License-Identifier: GPL-2.0 */
/*
 * health.c - health checks: queue, judge, admin states (health.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <jansson.h>

#include "health.h"
#include "log.h"
#include "model.h"
#include "names.h"
#include "outbox.h"
#include "plan.h"
#include "store.h"
#include "store_health.h"
#include "views.h"

#define HEALTH_TARGETS_MAX 512
#define HEALTH_PRIORITY 1000

/* the config cache: the scheduler thread's tick and the API's requests share
 * it under @lock; config() hands out new references */
static struct {
	pthread_mutex_t lock;
	time_t last_scan;
	char path[4096];
	struct timespec mtime;
	json_t *cfg;
} hs = { .lock = PTHREAD_MUTEX_INITIALIZER };

static json_t *config_locked(const struct lab_config *cfg)
{
	const char *env = getenv("IOMMULAB_HEALTH");
	json_error_t je;
	struct stat sb;
	json_t *j;

	if (env && *env)
		snprintf(hs.path, sizeof(hs.path), "%s", env);
	else if (snprintf(hs.path, sizeof(hs.path), "%s/health.json", cfg->state_dir) >=
		 (int)sizeof(hs.path))
		return NULL;
	if (stat(hs.path, &sb)) {
		json_decref(hs.cfg);
		hs.cfg = NULL;
		return NULL;
	}
	if (hs.cfg && sb.st_mtim.tv_sec == hs.mtime.tv_sec && sb.st_mtim.tv_nsec == hs.mtime.tv_nsec)
		return hs.cfg;
	hs.mtime = sb.st_mtim;
	j = json_load_file(hs.path, 0, &je);
	if (!json_is_object(j) || !lab_name_ok(LAB_NAME_KERNEL, json_string_value(json_object_get(j, "kernel")))) {
		lab_warn("health: %s: %s (want {\"kernel\": K, \"cases\": F, \"every_s\": N, "
			 "\"after_failures\": N})", hs.path, j ? "no valid \"kernel\"" : je.text);
		json_decref(j);
		j = NULL;
	}
	json_decref(hs.cfg);
	hs.cfg = j;
	return j;
}

/* the config as a new reference (NULL: none), the path it came from in @path */
static json_t *config(const struct lab_config *cfg, char *path, size_t n)
{
	json_t *c;

	pthread_mutex_lock(&hs.lock);
	c = json_incref(config_locked(cfg));
	if (path)
		snprintf(path, n, "%s", hs.path);
	pthread_mutex_unlock(&hs.lock);
	return c;
}

static int64_t cfg_int(json_t *c, const char *k, int64_t dflt)
{
	json_t *v = json_object_get(c, k);

	return json_is_integer(v) && json_integer_value(v) > 0 ? json_integer_value(v) : dflt;
}

static int queue_check(struct lab_store *st, const struct lab_target *t, const char *kernel,
		       const char *cases, int64_t timeout_s, const char *why, const char *by,
		       int64_t *job_id, char *err, size_t errlen)
{
	char name[128];
	int64_t plan = 0, jid = 0;
	json_t *p, *jobs = NULL;
	struct lab_job_filter f = { .state = -1, .limit = 2 };
	int nj = 0, r;

	snprintf(name, sizeof(name), "health-check %s", t->name);
	p = json_pack("{s:s, s:s, s:[s], s:[s], s:i, s:i, s:I}", "kind", "manual", "name", name,
		      "kernels", kernel, "targets", t->name, "priority", HEALTH_PRIORITY,
		      "max_attempts", 1, "timeout_s", (json_int_t)timeout_s);
	if (!p)
		return -ENOMEM;
	if (cases && *cases)
		json_object_set_new(p, "cases", json_string(cases));
	/* a bad target lets its check run: unknown until the check says */
	if (t->health && !strcmp(t->health, "bad") &&
	    (r = lab_store_health_log(st, t->id, "checking", "unknown", 0,
				      "a health check is queued", by))) {
		json_decref(p);
		return r;
	}
	r = lab_store_plan_create_ex(st, p, by ? by : "health", &plan, &nj, err, errlen);
	json_decref(p);
	if (r)
		return r;
	f.plan_id = plan;
	r = lab_store_jobs_list(st, &f, &jobs);
	if (!r && json_array_size(jobs) == 1)
		jid = json_integer_value(json_object_get(json_array_get(jobs, 0), "id"));
	json_decref(jobs);
	if (!jid) {
		snprintf(err, errlen, "the health check of %s made no job (kernel %s of another arch?)",
			 t->name, kernel);
		return -EINVAL;
	}
	r = lab_store_health_job_add(st, jid, t->id, why);
	if (!r && job_id)
		*job_id = jid;
	lab_info("health: %s: check queued (job %lld, kernel %s): %s", t->name, (long long)jid,
		 kernel, why);
	return r;
}

int lab_health_check_now(struct lab_store *st, const struct lab_config *cfg,
			 const char *target, const char *kernel, const char *cases,
			 const char *by, int64_t *job_id, char *err, size_t errlen)
{
	struct lab_health_target *ts = NULL;
	char admin[16], path[4096];
	json_t *c = config(cfg, path, sizeof(path));
	struct lab_target t;
	size_t n = 0;
	int r;

	r = lab_store_target_get(st, target, &t);
	if (r == -ENOENT)
		snprintf(err, errlen, "unknown target '%s'", target);
	if (r) {
		json_decref(c);
		return r;
	}
	if (!kernel)
		kernel = json_string_value(json_object_get(c, "kernel"));
	if (!cases)
		cases = json_string_value(json_object_get(c, "cases"));
	r = -EINVAL;
	if (!kernel) {
		snprintf(err, errlen, "no kernel for the check: give one, or \"kernel\" in %s", path);
		goto clear_t;
	}
	r = lab_store_target_admin_get(st, t.id, admin, sizeof(admin));
	if (!r && strcmp(admin, "active")) {
		snprintf(err, errlen, "target %s is in %s: set it active first", target, admin);
		r = -EINVAL;
		goto clear_t;
	}
	ts = calloc(HEALTH_TARGETS_MAX, sizeof(*ts));
	r = ts ? lab_store_health_targets(st, ts, HEALTH_TARGETS_MAX, &n) : -ENOMEM;
	for (size_t i = 0; !r && i < n; i++)
		if (ts[i].id == t.id && ts[i].pending) {
			snprintf(err, errlen, "a health check of %s is pending already", target);
			r = -EBUSY;
		}
	if (!r)
		r = queue_check(st, &t, kernel, cases, cfg_int(c, "timeout_s", 300),
				"requested", by, job_id, err, errlen);
clear_t:
	free(ts);
	lab_target_clear(&t);
	json_decref(c);
	return r;
}

int lab_health_set_state(struct lab_store *st, const struct lab_config *cfg,
			 const char *target, const char *state, const char *reason,
			 const char *by, char *err, size_t errlen)
{
	struct lab_target t;
	const char *health;
	int r;

	if (!state || (strcmp(state, "active") && strcmp(state, "maintenance") &&
		       strcmp(state, "retired"))) {
		snprintf(err, errlen, "state must be active, maintenance or retired");
		return -EINVAL;
	}
	r = lab_store_target_get(st, target, &t);
	if (r == -ENOENT)
		snprintf(err, errlen, "unknown target '%s'", target);
	if (r)
		return r;
	health = !strcmp(state, "maintenance") ? "bad" : !strcmp(state, "retired") ? "retired" :
		 "unknown";
	r = lab_store_target_admin_set(st, t.id, state, health, reason, by);
	if (!r)
		lab_info("health: %s: state %s by %s%s%s", target, state, by ? by : "?",
			 reason ? ": " : "", reason ? reason : "");
	/* back in service: prove it works, as LAVA does */
	if (!r && !strcmp(state, "active")) {
		json_t *c = config(cfg, NULL, 0);
		const char *k = json_string_value(json_object_get(c, "kernel"));
		char why[LAB_STORE_ERR_MAX] = "";

		free(t.health);
		t.health = strdup(health);
		if (k && t.health && queue_check(st, &t, k,
						 json_string_value(json_object_get(c, "cases")),
						 cfg_int(c, "timeout_s", 300), "back from maintenance",
						 by, NULL, why, sizeof(why)))
			lab_warn("health: %s: no check queued: %s", target, why);
		json_decref(c);
	}
	lab_target_clear(&t);
	return r;
}

/* the final checks: good or bad */
static void judge(struct lab_store *st)
{
	struct lab_health_done d[64];
	size_t n = 0;

	if (lab_store_health_done(st, d, 64, &n))
		return;
	for (size_t i = 0; i < n; i++) {
		char why[400];
		const char *ev, *health;

		if (d[i].state == LAB_JOB_CANCELED) {
			ev = "check-canceled";
			health = NULL;
			snprintf(why, sizeof(why), "%s", d[i].reason);
		} else if (d[i].state == LAB_JOB_COMPLETE && d[i].bad == 0 && d[i].results > 0) {
			ev = "check-passed";
			health = "good";
			snprintf(why, sizeof(why), "%lld results, all pass or skip", (long long)d[i].results);
		} else {
			ev = "check-failed";
			health = "bad";
			if (d[i].state == LAB_JOB_COMPLETE)
				snprintf(why, sizeof(why), "%lld of %lld results failed", (long long)d[i].bad,
					 (long long)d[i].results);
			else
				snprintf(why, sizeof(why), "job incomplete: %.300s", d[i].reason);
		}
		if (lab_store_health_log(st, d[i].target_id, ev, health, d[i].job_id, why, NULL) ||
		    lab_store_health_judged(st, d[i].job_id))
			continue;
		lab_info("health: target %lld: %s (job %lld): %s", (long long)d[i].target_id, ev,
			 (long long)d[i].job_id, why);
	}
}

int lab_health_tick(struct lab_store *st, const struct lab_config *cfg)
{
	struct lab_health_target *ts;
	time_t now = time(NULL);
	json_t *c;
	size_t n = 0;
	int queued = 0;

	judge(st);	/* every pass: before the scheduler picks */
	if (hs.last_scan == now)	/* the scheduler thread's own */
		return 0;
	hs.last_scan = now;
	c = config(cfg, NULL, 0);
	if (!c)
		return 0;
	ts = calloc(HEALTH_TARGETS_MAX, sizeof(*ts));
	if (!ts || lab_store_health_targets(st, ts, HEALTH_TARGETS_MAX, &n)) {
		free(ts);
		json_decref(c);
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t every = cfg_int(c, "every_s", 0), after = cfg_int(c, "after_failures", 0);
		char why[128] = "", err[LAB_STORE_ERR_MAX];
		struct lab_target t;

		if (ts[i].pending || strcmp(ts[i].admin, "active") || !strcmp(ts[i].health, "retired"))
			continue;
		if (after && ts[i].infra_streak >= after)
			snprintf(why, sizeof(why), "%d infrastructure failures in a row",
				 ts[i].infra_streak);
		else if (every && now - ts[i].last_check >= every)
			snprintf(why, sizeof(why), "scheduled (every %llds)", (long long)every);
		if (!why[0] || lab_store_target_get(st, ts[i].name, &t))
			continue;
		if (queue_check(st, &t, json_string_value(json_object_get(c, "kernel")),
				json_string_value(json_object_get(c, "cases")),
				cfg_int(c, "timeout_s", 300), why, NULL, NULL, err, sizeof(err)))
			lab_warn("health: %s: %s", ts[i].name, err);
		else
			queued++;
		if (after && ts[i].infra_streak >= after) {	/* subscribers hear of it */
			json_t *p = json_pack("{s:s, s:s, s:s?, s:s?, s:i, s:s}", "event", "infra-storm",
					      "target", t.name, "driver", t.driver, "vendor", t.vendor,
					      "failures", ts[i].infra_streak, "reason", why);
			char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;

			if (!text || lab_outbox_emit(st, "infra-storm", t.driver, t.vendor, NULL, text))
				lab_warn("health: %s: the infra-storm event was not queued", t.name);
			free(text);
			json_decref(p);
		}
		lab_target_clear(&t);
	}
	free(ts);
	json_decref(c);
	return queued;
}
