/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched.c - the scheduler: the pure pick function, target matching, and the
 * scheduler thread that drives backends. See sched.h for the contract.
 *
 * Threading: the thread owns its store connection, its table of running
 * jobs (struct run_slot) and the backends' per-run state. Other threads
 * touch only the fields under s->lock (stop flag, kick, cancel requests,
 * stats). Cancels of running jobs are requests: the thread carries them out
 * so a backend's run state is only ever used by one thread.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>


#include "backend.h"
#include "config.h"
#include "jobstate.h"
#include "log.h"
#include "sched.h"

/* ------------------------------------------------------------------ */
/* the pure decision                                                   */

size_t lab_sched_pick(const struct lab_sched_cand *cands, size_t n,
		      struct lab_sched_slot *slots, size_t nslots,
		      int *host_free, size_t *picked, size_t max_picked)
{
	size_t np = 0, open = 0, open_remote = 0, i;

	for (i = 0; i < nslots; i++) {
		if (!slots[i].usable || slots[i].running >= slots[i].concurrency)
			continue;
		open++;
		if (!slots[i].local)
			open_remote++;
	}

	for (i = 0; i < n && np < max_picked && open > 0; i++) {
		struct lab_sched_slot *t;

		if (cands[i].slot >= nslots)
			continue;
		t = &slots[cands[i].slot];
		if (!t->usable || t->running >= t->concurrency)
			continue;
		if (t->local && *host_free <= 0) {
			if (open_remote == 0)
				break;	/* only host slots could help: none left */
			continue;
		}
		picked[np++] = i;
		t->running++;
		if (t->local)
			(*host_free)--;
		if (t->running >= t->concurrency) {
			open--;
			if (!t->local)
				open_remote--;
		}
	}
	return np;
}

static int cand_cmp(const void *a, const void *b)
{
	const struct lab_sched_cand *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	if (x->job_id != y->job_id)
		return x->job_id < y->job_id ? -1 : 1;
	return 0;
}

#define ORDER_PRIO_MIN (-1000)	/* the plan API's priority range */
#define ORDER_PRIO_MAX 1000

/*
 * The usual input (the store's queue, ids ascending, API priorities) is put
 * in order by a stable counting sort on priority: O(n + 2001), no compare.
 * Anything else falls back to qsort.
 */
void lab_sched_order(struct lab_sched_cand *cands, size_t n)
{
	static const size_t nb = ORDER_PRIO_MAX - ORDER_PRIO_MIN + 1;
	struct lab_sched_cand *tmp;
	size_t *start, i, pos;
	bool linear = n >= 64;

	for (i = 0; linear && i < n; i++) {
		if (cands[i].priority < ORDER_PRIO_MIN || cands[i].priority > ORDER_PRIO_MAX ||
		    (i && cands[i].job_id <= cands[i - 1].job_id))
			linear = false;
	}
	tmp = linear ? malloc(n * sizeof(*tmp)) : NULL;
	start = tmp ? calloc(nb, sizeof(*start)) : NULL;
	if (!start) {
		free(tmp);
		qsort(cands, n, sizeof(*cands), cand_cmp);
		return;
	}
	/* bucket b holds priority ORDER_PRIO_MAX - b: highest first */
	for (i = 0; i < n; i++)
		start[ORDER_PRIO_MAX - cands[i].priority]++;
	for (i = 0, pos = 0; i < nb; i++) {
		size_t c = start[i];

		start[i] = pos;
		pos += c;
	}
	for (i = 0; i < n; i++)
		tmp[start[ORDER_PRIO_MAX - cands[i].priority]++] = cands[i];
	memcpy(cands, tmp, n * sizeof(*cands));
	free(start);
	free(tmp);
}

int lab_sched_host_slots(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (int)n;
}

/* target matching (lab_sched_match): core/match.c */

/* ------------------------------------------------------------------ */
/* the scheduler thread                                                */

#define SCHED_QUEUE_MAX	200000	/* queued jobs looked at per pass */
#define SCHED_PICK_EVERY_MS 2000	/* a pick pass at least this often */
/*
 * Backstop: a run with no outcome this long after its job's own timeout is
 * stopped by the scheduler (covers artifact preparation, which has its own
 * limit in the QEMU backend, and a backend that never answers).
 */
#define SCHED_BACKSTOP_S (1800 + 300)

/* one job this scheduler started and follows */
struct active {
	struct lab_run run;
	struct lab_job job;
	struct lab_kernel kernel;
	struct lab_target target;
	const struct lab_backend *be;
	bool local;		/* holds a host slot */
	double t_start;		/* CLOCK_MONOTONIC seconds at start() */
};

struct lab_sched {
	/* under lock */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stop;
	bool kicked;
	int64_t *cancels;	/* job ids whose cancel was requested */
	size_t ncancels, cancels_cap;
	struct lab_sched_stats stats;

	/* the thread's own */
	pthread_t thread;
	const struct lab_config *cfg;
	struct lab_store *st;
	int host_slots;
	int poll_ms;
	lab_sched_tick_fn tick;		/* lab_sched_opts.tick, NULL = none */
	struct active **act;
	size_t nact, act_cap;
	double last_pick;
	bool have_remote;	/* last pass saw a non-QEMU target (starts true) */
};

static double mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void active_free(struct active *a)
{
	if (!a)
		return;
	lab_job_clear(&a->job);
	lab_kernel_clear(&a->kernel);
	lab_target_clear(&a->target);
	free(a);
}

static int host_used(const struct lab_sched *s)
{
	size_t i;
	int n = 0;

	for (i = 0; i < s->nact; i++)
		n += s->act[i]->local;
	return n;
}

static void publish_stats(struct lab_sched *s)
{
	pthread_mutex_lock(&s->lock);
	s->stats.running = (int)s->nact;
	s->stats.host_used = host_used(s);
	s->stats.host_slots = s->host_slots;
	s->stats.passes++;
	pthread_mutex_unlock(&s->lock);
}

/*
 * A job left running: move it to its final state. Infrastructure failures
 * and timeouts are requeued while attempts remain; results never are.
 */
static void finish_job(struct lab_sched *s, struct active *a,
		       enum lab_run_status rs, const char *reason)
{
	int64_t id = a->job.id;
	int ret;

	switch (rs) {
	case LAB_RUN_RUNNING:
		return;
	case LAB_RUN_DONE:
		ret = lab_job_complete_warn(s->st, id, reason);
		if (ret)
			lab_error("sched: job %lld: running -> complete: %s",
				  (long long)id, strerror(-ret));
		else
			lab_info("sched: job %lld complete%s%.300s", (long long)id,
				 reason && *reason ? ", warning: " : "", reason ? reason : "");
		return;
	case LAB_RUN_CONFIG:
		/* deterministic: reported once, never retried */
		ret = lab_job_config_error(s->st, id, reason);
		if (ret)
			lab_error("sched: job %lld: running -> incomplete: %s",
				  (long long)id, strerror(-ret));
		else
			lab_warn("sched: job %lld: configuration error, not retried: %.300s",
				 (long long)id, reason);
		return;
	case LAB_RUN_INFRA:
	case LAB_RUN_TIMEOUT:
	case LAB_RUN_BAD_RESULTS:
		break;
	}
	ret = lab_job_incomplete(s->st, id, reason);
	if (ret) {
		lab_error("sched: job %lld: running -> incomplete: %s",
			  (long long)id, strerror(-ret));
		return;
	}
	lab_warn("sched: job %lld incomplete (attempt %d/%d): %.300s",
		 (long long)id, a->job.attempts, a->job.max_attempts, reason);
	if (rs == LAB_RUN_BAD_RESULTS)
		return;		/* rerunning does not fix records */
	if (a->job.attempts >= a->job.max_attempts)
		return;
	ret = lab_job_retry(s->st, id, reason);
	if (ret)
		lab_error("sched: job %lld: requeue: %s", (long long)id, strerror(-ret));
	else
		lab_info("sched: job %lld requeued for attempt %d/%d",
			 (long long)id, a->job.attempts + 1, a->job.max_attempts);
}

/* take the cancel request for @id, if any (under lock) */
static bool take_cancel(struct lab_sched *s, int64_t id)
{
	size_t i;
	bool hit = false;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->ncancels; i++) {
		if (s->cancels[i] == id) {
			s->cancels[i] = s->cancels[--s->ncancels];
			hit = true;
			break;
		}
	}
	pthread_mutex_unlock(&s->lock);
	return hit;
}

static void cancel_active(struct lab_sched *s, struct active *a, bool mark)
{
	int ret = a->be->cancel(&a->run);

	if (ret)
		lab_error("sched: job %lld: cancel on %s: %s", (long long)a->job.id,
			  a->be->name, strerror(-ret));
	if (mark) {
		/* the API may have moved it already: then there is nothing to do */
		ret = lab_job_cancel(s->st, a->job.id, LAB_JOB_RUNNING, "canceled");
		if (ret && ret != -EAGAIN)
			lab_error("sched: job %lld: running -> canceled: %s",
				  (long long)a->job.id, strerror(-ret));
	}
}

/* drop cancel requests for jobs that are not ours and not running any more */
static void prune_cancels(struct lab_sched *s)
{
	size_t i = 0, k;

	pthread_mutex_lock(&s->lock);
	while (i < s->ncancels) {
		struct lab_job j = { 0 };
		bool ours = false, stale;

		for (k = 0; k < s->nact; k++)
			ours |= s->act[k]->job.id == s->cancels[i];
		stale = !ours && (lab_store_job_get(s->st, s->cancels[i], &j) ||
				  (j.state != LAB_JOB_SCHEDULED && j.state != LAB_JOB_RUNNING));
		lab_job_clear(&j);
		if (stale)
			s->cancels[i] = s->cancels[--s->ncancels];
		else
			i++;
	}
	pthread_mutex_unlock(&s->lock);
}

/* poll every running job; returns how many reached a final state */
static int poll_active(struct lab_sched *s)
{
	char reason[LAB_REASON_MAX];
	size_t i = 0;
	int finished = 0;

	while (i < s->nact) {
		struct active *a = s->act[i];
		enum lab_run_status rs;
		struct lab_job now = { 0 };
		bool cancel = take_cancel(s, a->job.id);

		/*
		 * A cancel may also arrive through the store (another process),
		 * and the API may have completed the job (POST /results with
		 * "complete"): a job final in the store has no guest left to
		 * run, stop it at once (the RUNNING -> CANCELED below then
		 * fails harmlessly for a complete job).
		 */
		if (!cancel && lab_store_job_get(s->st, a->job.id, &now) == 0 &&
		    (now.state == LAB_JOB_CANCELED || now.state == LAB_JOB_COMPLETE ||
		     now.state == LAB_JOB_INCOMPLETE))
			cancel = true;
		if (cancel) {
			cancel_active(s, a, true);
			lab_info("sched: job %lld %s: its run on %s stopped", (long long)a->job.id,
				 now.state == LAB_JOB_COMPLETE ? "completed through the API" :
				 now.state == LAB_JOB_INCOMPLETE ? "made incomplete elsewhere" :
				 "canceled", a->be->name);
			lab_job_clear(&now);
			rs = LAB_RUN_DONE;	/* only to drop it below */
			goto drop;
		}
		lab_job_clear(&now);
		reason[0] = '\0';
		rs = a->be->poll(&a->run, reason);
		if (rs == LAB_RUN_RUNNING &&
		    mono_s() - a->t_start > a->job.timeout_s + SCHED_BACKSTOP_S) {
			a->be->cancel(&a->run);
			snprintf(reason, sizeof(reason),
				 "timeout: no outcome from backend %s after %ds (job timeout %ds "
				 "+ %ds); stopped by the scheduler", a->be->name,
				 (int)(mono_s() - a->t_start), a->job.timeout_s, SCHED_BACKSTOP_S);
			rs = LAB_RUN_TIMEOUT;
		}
		if (rs == LAB_RUN_RUNNING) {
			i++;
			continue;
		}
		finish_job(s, a, rs, reason);
drop:
		active_free(a);
		s->act[i] = s->act[--s->nact];
		finished++;
	}
	prune_cancels(s);
	return finished;
}

static int load_run(struct lab_sched *s, int64_t id, struct active *a)
{
	int ret;

	ret = lab_store_job_get(s->st, id, &a->job);
	if (ret)
		return ret;
	ret = lab_store_kernel_get_id(s->st, a->job.kernel_id, &a->kernel);
	if (ret)
		return ret;
	ret = lab_store_target_get_id(s->st, a->job.target_id, &a->target);
	if (ret)
		return ret;
	a->be = lab_backend_find(a->job.backend ? a->job.backend : a->target.backend);
	if (!a->be)
		return -EOPNOTSUPP;
	a->run.job = &a->job;
	a->run.kernel = &a->kernel;
	a->run.target = &a->target;
	a->run.cfg = s->cfg;
	a->run.store = s->st;
	return 0;
}

/* start job @id: queued -> scheduled -> running, then the backend */
static void start_job(struct lab_sched *s, int64_t id)
{
	char reason[LAB_REASON_MAX];
	struct active *a;
	int ret;

	a = calloc(1, sizeof(*a));
	if (!a)
		return;
	ret = lab_job_schedule(s->st, id);
	if (ret) {	/* canceled meanwhile (-EAGAIN) or gone */
		lab_debug("sched: job %lld not started: %s", (long long)id,
			  strerror(-ret));
		goto err_free_active;
	}
	ret = lab_job_run(s->st, id);
	if (ret)
		goto err_free_active;
	ret = load_run(s, id, a);
	if (ret) {
		snprintf(reason, sizeof(reason), "cannot start: %s%s",
			 strerror(-ret), ret == -EOPNOTSUPP ?
			 " (no backend of that name in this server)" : "");
		goto err_incomplete;
	}
	if (s->nact == s->act_cap) {
		size_t cap = s->act_cap ? s->act_cap * 2 : 16;
		struct active **n = realloc(s->act, cap * sizeof(*n));

		if (!n) {
			snprintf(reason, sizeof(reason), "out of memory");
			goto err_incomplete;
		}
		s->act = n;
		s->act_cap = cap;
	}
	reason[0] = '\0';
	ret = a->be->start(&a->run, reason);
	if (ret) {
		if (!reason[0])
			snprintf(reason, sizeof(reason), "backend %s: %s",
				 a->be->name, strerror(-ret));
		/* an infrastructure failure: same retry rule as a failed run */
		a->job.attempts = a->job.attempts ? a->job.attempts : 1;
		finish_job(s, a, LAB_RUN_INFRA, reason);
		goto err_free_active;
	}
	a->local = a->be->uses_host_slots;
	a->t_start = mono_s();
	s->act[s->nact++] = a;
	lab_info("sched: job %lld started on %s (%s, kernel %s, attempt %d/%d)",
		 (long long)id, a->target.name, a->be->name, a->kernel.name,
		 a->job.attempts, a->job.max_attempts);
	return;

err_incomplete:
	lab_job_incomplete(s->st, id, reason);
	lab_error("sched: job %lld: %s", (long long)id, reason);
err_free_active:
	active_free(a);
}

/* slot index of target @name in the sorted name table, or -1 */
struct slot_name {
	const char *name;
	uint32_t slot;
};

static int slot_name_cmp(const void *a, const void *b)
{
	return strcmp(((const struct slot_name *)a)->name,
		      ((const struct slot_name *)b)->name);
}

/* index of column @name in @row, -1 when it has none */
static int col_of(const struct lab_store_row *row, const char *name)
{
	int n = lab_store_row_ncols(row);

	for (int i = 0; i < n; i++)
		if (strcmp(lab_store_row_name(row, i), name) == 0)
			return i;
	return -1;
}

/* a text column (NULL when absent or NULL), valid during the visit */
static const char *col_text(const struct lab_store_row *row, int i)
{
	return i >= 0 && lab_store_row_type(row, i) == LAB_COL_TEXT ?
	       lab_store_row_text(row, i, NULL) : NULL;
}

/* what one pick pass reads: the targets as slots, the queued jobs as candidates */
struct pick_read {
	struct lab_sched_slot *slots;
	struct slot_name *names;	/* sorted by name once every target is in */
	size_t nt, tcap;
	struct lab_sched_cand *cands;
	size_t nc, ccap;
	bool have_remote;
};

static int pick_target(const struct lab_store_row *row, void *arg)
{
	struct pick_read *p = arg;
	const char *name = col_text(row, col_of(row, "name"));
	const char *health = col_text(row, col_of(row, "health"));
	const char *backend = col_text(row, col_of(row, "backend"));
	const struct lab_backend *be;
	int ci = col_of(row, "concurrency");
	int64_t conc = ci >= 0 && lab_store_row_type(row, ci) == LAB_COL_INT ?
		       lab_store_row_int(row, ci) : 0;
	size_t i = p->nt;

	if (p->nt == p->tcap) {
		size_t cap = p->tcap ? p->tcap * 2 : 64;
		struct lab_sched_slot *sl = realloc(p->slots, cap * sizeof(*sl));
		struct slot_name *nm;

		if (!sl)
			return -ENOMEM;
		p->slots = sl;
		nm = realloc(p->names, cap * sizeof(*nm));
		if (!nm)
			return -ENOMEM;
		p->names = nm;
		p->tcap = cap;
	}
	memset(&p->slots[i], 0, sizeof(p->slots[i]));
	p->names[i].name = strdup(name ? name : "");
	if (!p->names[i].name)
		return -ENOMEM;
	p->names[i].slot = (uint32_t)i;
	p->slots[i].concurrency = conc > 0 ? (int)conc : 1;
	p->slots[i].usable = !health || (strcmp(health, "retired") && strcmp(health, "bad"));
	be = backend ? lab_backend_find(backend) : NULL;
	/* no backend named: the default, QEMU; an unknown one: none */
	p->slots[i].local = !backend || (be && be->uses_host_slots);
	if (!p->slots[i].local && p->slots[i].usable)
		p->have_remote = true;
	p->nt++;
	return 0;
}

static int pick_job(const struct lab_store_row *row, void *arg)
{
	struct pick_read *p = arg;
	struct slot_name key = { .name = col_text(row, col_of(row, "target")) }, *hit;
	int ii = col_of(row, "id"), pi = col_of(row, "priority");

	if (!key.name)
		return 0;
	hit = bsearch(&key, p->names, p->nt, sizeof(*p->names), slot_name_cmp);
	if (!hit)
		return 0;
	if (p->nc == p->ccap) {
		size_t cap = p->ccap ? p->ccap * 2 : 256;
		struct lab_sched_cand *c = realloc(p->cands, cap * sizeof(*c));

		if (!c)
			return -ENOMEM;
		p->cands = c;
		p->ccap = cap;
	}
	memset(&p->cands[p->nc], 0, sizeof(p->cands[p->nc]));
	p->cands[p->nc].job_id = ii >= 0 ? lab_store_row_int(row, ii) : 0;
	p->cands[p->nc].priority = pi >= 0 ? (int)lab_store_row_int(row, pi) : 0;
	p->cands[p->nc].slot = hit->slot;
	p->nc++;
	return 0;
}

/*
 * One pick pass: read the targets (one query) and the queued jobs (one
 * query) as rows, count what runs, call lab_sched_pick(), start the picks.
 */
static void pick_pass(struct lab_sched *s)
{
	struct lab_job_filter f = { .state = LAB_JOB_QUEUED, .limit = SCHED_QUEUE_MAX };
	struct pick_read p = { 0 };
	size_t *picked = NULL, np, i;
	int host_free, ret;

	host_free = s->host_slots - host_used(s);
	if (host_free <= 0 && !s->have_remote)
		return;		/* nothing could start: spare the queries */
	ret = lab_store_targets_rows(s->st, pick_target, &p);
	if (ret < 0) {
		lab_error("sched: listing targets: %s", strerror(-ret));
		goto out;
	}
	s->have_remote = p.have_remote;
	qsort(p.names, p.nt, sizeof(*p.names), slot_name_cmp);
	ret = lab_store_jobs_rows(s->st, &f, pick_job, &p);
	if (ret < 0) {
		lab_error("sched: listing queued jobs: %s", strerror(-ret));
		goto out;
	}
	if (p.nc == 0)
		goto out;
	/* the store lists newest first: oldest first for lab_sched_order() */
	for (i = 0; i < p.nc / 2; i++) {
		struct lab_sched_cand t = p.cands[i];

		p.cands[i] = p.cands[p.nc - 1 - i];
		p.cands[p.nc - 1 - i] = t;
	}
	picked = calloc(p.nc, sizeof(*picked));
	if (!picked)
		goto out;
	/* what runs now, by target */
	for (i = 0; i < s->nact; i++) {
		struct slot_name key = { .name = s->act[i]->target.name }, *hit;

		hit = bsearch(&key, p.names, p.nt, sizeof(*p.names), slot_name_cmp);
		if (hit)
			p.slots[hit->slot].running++;
	}
	lab_sched_order(p.cands, p.nc);
	np = lab_sched_pick(p.cands, p.nc, p.slots, p.nt, &host_free, picked, p.nc);
	for (i = 0; i < np; i++)
		start_job(s, p.cands[picked[i]].job_id);
out:
	free(picked);
	free(p.cands);
	for (i = 0; i < p.nt; i++)
		free((char *)p.names[i].name);
	free(p.names);
	free(p.slots);
}

static void *sched_main(void *arg)
{
	struct lab_sched *s = arg;

	lab_info("sched: running, %d host QEMU slots", s->host_slots);
	for (;;) {
		struct timespec until;
		bool kicked, stop;
		int finished;

		finished = poll_active(s);
		pthread_mutex_lock(&s->lock);
		kicked = s->kicked;
		s->kicked = false;
		stop = s->stop;
		pthread_mutex_unlock(&s->lock);
		if (stop)
			break;
		/* main.c's hook (the nightly: due nightlies become plans) */
		if (s->tick && s->tick(s->st, s->cfg) > 0)
			kicked = true;
		if (kicked || finished || mono_s() - s->last_pick > SCHED_PICK_EVERY_MS / 1e3) {
			pick_pass(s);
			s->last_pick = mono_s();
		}
		publish_stats(s);

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += (long)s->poll_ms * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_mutex_lock(&s->lock);
		while (!s->stop && !s->kicked &&
		       pthread_cond_timedwait(&s->cond, &s->lock, &until) == 0)
			;
		pthread_mutex_unlock(&s->lock);
	}
	/* stop: no guest may outlive the server; the store keeps them running
	 * so the next start's recovery requeues them */
	while (s->nact) {
		struct active *a = s->act[--s->nact];

		cancel_active(s, a, false);
		active_free(a);
	}
	lab_info("sched: stopped");
	return NULL;
}

/* let backends clean up after a dead server (before the store's recovery) */
static void recover_backends(struct lab_sched *s)
{
	static const enum lab_job_state states[] = { LAB_JOB_SCHEDULED, LAB_JOB_RUNNING };
	int64_t ids[4096];
	size_t n, i, k;

	for (k = 0; k < 2; k++) {
		if (lab_store_jobs_in_state(s->st, states[k], ids, 4096, &n))
			continue;
		for (i = 0; i < n; i++) {
			struct lab_job j = { 0 };
			const struct lab_backend *be;

			if (lab_store_job_get(s->st, ids[i], &j))
				continue;
			be = lab_backend_find(j.backend);
			if (be && be->recover && be->recover(&j, s->cfg))
				lab_error("sched: job %lld: %s could not clean up after the "
					  "previous server", (long long)j.id, be->name);
			lab_job_clear(&j);
		}
	}
}

int lab_sched_start(const struct lab_config *cfg,
		    const struct lab_sched_opts *opts, struct lab_sched **out)
{
	struct lab_sched *s;
	int recovered = 0, ret;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->cfg = cfg;
	s->host_slots = opts && opts->host_slots > 0 ? opts->host_slots
						     : lab_sched_host_slots();
	s->poll_ms = opts && opts->poll_ms > 0 ? opts->poll_ms : 200;
	s->tick = opts ? opts->tick : NULL;
	ret = lab_store_open(opts && opts->db_path ? opts->db_path : cfg->db_path,
			     opts && opts->schema_dir ? opts->schema_dir : cfg->schema_dir,
			     &s->st);
	if (ret)
		goto err_free_sched;
	recover_backends(s);
	ret = lab_job_recover_all(s->st, &recovered);
	if (ret)
		goto err_close_store;
	if (recovered)
		lab_warn("sched: %d job(s) were running when the server stopped: "
			 "marked incomplete, requeued while attempts remain", recovered);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->kicked = true;
	s->have_remote = true;
	ret = -pthread_create(&s->thread, NULL, sched_main, s);
	if (ret)
		goto err_destroy_sync;
	*out = s;
	return 0;

err_destroy_sync:
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
err_close_store:
	lab_store_close(s->st);
err_free_sched:
	free(s);
	return ret;
}

void lab_sched_stop(struct lab_sched *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->thread, NULL);
	lab_store_close(s->st);
	free(s->act);
	free(s->cancels);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void lab_sched_kick(struct lab_sched *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->kicked = true;
	pthread_cond_signal(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

int lab_sched_cancel(struct lab_sched *s, struct lab_store *st,
		     int64_t job_id, const char *reason)
{
	struct lab_job j = { 0 };
	int ret;

	ret = lab_store_job_get(st, job_id, &j);
	if (ret)
		return ret;
	switch (j.state) {
	case LAB_JOB_QUEUED:
		ret = lab_job_cancel(st, job_id, LAB_JOB_QUEUED,
				     reason ? reason : "canceled");
		if (ret != -EAGAIN)
			break;
		/* it was just picked: cancel it as a running job */
		/* fall through */
	case LAB_JOB_SCHEDULED:
	case LAB_JOB_RUNNING:
		ret = 0;
		if (!s) {
			ret = -EOPNOTSUPP;	/* no scheduler in this process */
			break;
		}
		pthread_mutex_lock(&s->lock);
		if (s->ncancels == s->cancels_cap) {
			size_t cap = s->cancels_cap ? s->cancels_cap * 2 : 16;
			int64_t *n = realloc(s->cancels, cap * sizeof(*n));

			if (!n) {
				ret = -ENOMEM;
				pthread_mutex_unlock(&s->lock);
				break;
			}
			s->cancels = n;
			s->cancels_cap = cap;
		}
		s->cancels[s->ncancels++] = job_id;
		s->kicked = true;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		break;
	case LAB_JOB_COMPLETE:
	case LAB_JOB_INCOMPLETE:
	case LAB_JOB_CANCELED:
		ret = -EINVAL;
		break;
	}
	lab_job_clear(&j);
	return ret;
}

void lab_sched_stats(struct lab_sched *s, struct lab_sched_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	*out = s->stats;
	pthread_mutex_unlock(&s->lock);
}
