/* SPDX-License-Identifier: GPL-2.0 */
/*
 * backend_lava.c - run a job in a LAVA lab (lab_backend_lava, backend.h).
 *
 * Purpose: one iommulab job = one LAVA job. Phases of a run:
 *   CHECK    rig/known-broken TARGET (a child in its own process group ->
 *            $state/logs/<job>.prep.log): a target whose known_broken lists
 *            the version this host's QEMU of its generation reports is not
 *            sent to LAVA (it would only time out there and be retried):
 *            LAB_RUN_CONFIG with rig/boot's reason, "not booted: NAME is
 *            known broken on QEMU V: REASON (REF)" (runlog.h). A generation
 *            not set up here (exit 1, nothing downloaded: --no-setup) or a
 *            check that fails otherwise says nothing: the job goes on, and
 *            the device's rig/lava-qemu makes the same check on the worker
 *            (the console's "iommulab-boot: not booted:" line: CONFIG too)
 *   PREPARE  the same artifact preparation the QEMU runner uses
 *            (artifacts.h: kernel, agent, module, initramfs; all cached), a
 *            child in its own process group -> $state/logs/<job>.prep.log
 *   SUBMIT   render the job (lava_job.h, jobs/templates/) and POST it. If the
 *            lab is down or answers garbage the run stays here and retries
 *            with exponential backoff (5 s doubling to 5 min); the job's
 *            backend id says "<lab>:pending" and the reason is in its log.
 *            After LAVA_SUBMIT_GIVEUP_S without success -> LAB_RUN_INFRA.
 *   WAIT     the LAVA job runs. Its end is learnt from the notify callback
 *            (lava_callback.h) or, as a fallback, by polling GET jobs/N/
 *            every lab poll_s seconds (LAVA never retries a callback).
 * Ingest (scheduler thread only, once per run: no double store whichever of
 * callback and poller comes first): the LAVA log (YAML) is decoded back into
 * console text (lava_log.h), saved as the job's log, and scanned by the same
 * record parser as the QEMU runner's serial log (record.h), so stored
 * results equal a local run's. Outcome:
 *   health Complete, log scans OK, and every record has its LAVA test case
 *     (suite "iommulab", id with '.'->'_', same result)      LAB_RUN_DONE
 *     (with a "boot" record when the kernel reported before the agent's
 *     BEGIN, as the QEMU runner makes one: isolate.h)
 *   Complete but a record without its test case, or a result that differs
 *     (LAVA lost or changed signals)                         LAB_RUN_BAD_RESULTS
 *   Complete, malformed records / END count mismatch         LAB_RUN_BAD_RESULTS
 *   Incomplete or Complete without END, and the console shows a kernel
 *     crash (isolate.h: a case in flight with an oops/BUG/panic/WARN after
 *     it, or a crash before the first case): the records the agent printed,
 *     a crash record for the case in flight or a "boot" record are stored
 *     (LAVA's test list is not checked: the crash record has no LAVA test
 *     case). LAVA boots once: the cases after the crash are not run (no
 *     resubmission)                                          LAB_RUN_DONE
 *   the console says the device's rig/lava-qemu did not boot the target
 *     (known broken on the worker's QEMU)                    LAB_RUN_CONFIG
 *   Complete without END, Incomplete, Canceled in LAVA       LAB_RUN_INFRA
 *   still not finished LAVA_WAIT_EXTRA_S after the job's own timeout
 *     (the LAVA job is canceled)                             LAB_RUN_TIMEOUT
 * cancel() cancels the LAVA job (best effort) or kills the preparation.
 *
 * Invariants: the scheduler owns state transitions; this file only sets
 * the backend id ("<lab>:<lava id>") and the log path, the latter when the
 * first line is written to the log (a submission note or LAVA's console):
 * a job refused or failed before that has no log (has_log false). After a final poll()
 * or cancel() the run is unregistered from the callback registry and no
 * child of it is left.
 *
 * Ownership: struct lava_run hangs on run->priv from start() to a final
 * poll() or cancel(), which free it.
 *
 * Errors: start() returns 0 or -errno with @reason filled.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "artifacts.h"
#include "backend.h"
#include "config.h"
#include "ingest.h"
#include "isolate.h"
#include "joblogs.h"
#include "lava_artifacts.h"
#include "lava_callback.h"
#include "lava_client.h"
#include "lava_job.h"
#include "lava_log.h"
#include "log.h"
#include "proc.h"
#include "provenance.h"
#include "record.h"
#include "runlog.h"

#define LAVA_CHECK_S		300	/* rig/known-broken: a QEMU --version or two */
#define LAVA_EXIT_KNOWN_BROKEN	5	/* rig/known-broken's exit: not submitted */
#define LAVA_PREPARE_S		1800
#define LAVA_BACKOFF_MIN_S	5
#define LAVA_BACKOFF_MAX_S	300
#define LAVA_SUBMIT_GIVEUP_S	3600
#define LAVA_WAIT_EXTRA_S	1800	/* queueing in the lab + LAVA's own margins */
#define LAVA_SUITE		"iommulab"
#define LAVA_EXCERPT		700

enum lava_phase { PH_CHECK, PH_PREPARE, PH_SUBMIT, PH_WAIT };

struct lava_run {
	enum lava_phase phase;
	const struct lab_lava_lab *lab;
	pid_t pid;			/* check/preparation child (group leader), 0 none */
	double t0;			/* start of the current phase */
	double next;			/* next submit try / poll, CLOCK_MONOTONIC */
	int backoff_s;
	int tries;
	int64_t lava_id;		/* 0 until submitted */
	bool registered;
	bool log_named;			/* log_path stored (log_append) */
	char log_path[PATH_MAX];
	char prep_log[PATH_MAX];
	char result_path[PATH_MAX];
	char yaml_path[PATH_MAX];
	char last_err[LAB_LAVA_ERR_MAX];
	char kernel_sha[65], initrd_sha[65];
	struct lab_artifacts art;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int sha256_file(const char *path, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE], buf[65536];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx;
	size_t n;
	FILE *f;
	int r = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	ctx = EVP_MD_CTX_new();
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL)) {
		r = -ENOMEM;
		goto close_f;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		if (!EVP_DigestUpdate(ctx, buf, n)) {
			r = -EIO;
			goto close_f;
		}
	if (ferror(f) || !EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen != 32) {
		r = -EIO;
		goto close_f;
	}
	for (unsigned i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
close_f:
	EVP_MD_CTX_free(ctx);
	fclose(f);
	return r;
}

/* write @len bytes of @data to @f and close it (always): 0 or -errno */
static int put_close(FILE *f, const char *data, size_t len)
{
	int r = 0;

	if (fwrite(data, 1, len, f) != len)
		r = -EIO;
	if (fclose(f) && !r)
		r = -errno;
	return r;
}

/* replace @path with @data (written to @path.tmp, then renamed) */
static int write_file(const char *path, const char *data, size_t len)
{
	char tmp[PATH_MAX + 8];
	FILE *f;
	int r;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	r = put_close(f, data, len);
	if (!r && rename(tmp, path))
		r = -errno;
	if (r)
		unlink(tmp);
	return r;
}

static int append_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "ae");

	if (!f)
		return -errno;
	return put_close(f, data, len);
}

/* append a printable excerpt (the last @max bytes) of @text to @reason */
static void add_excerpt(char *reason, const char *text, size_t max)
{
	lab_runlog_excerpt(reason, LAB_REASON_MAX, text, max, false);
}

static void set_backend_id(struct lab_run *run, struct lava_run *l, const char *what)
{
	char id[96];

	if (what)
		snprintf(id, sizeof(id), "%s:%s", l->lab->name, what);
	else
		snprintf(id, sizeof(id), "%s:%lld", l->lab->name, (long long)l->lava_id);
	lab_store_job_set_backend(run->store, run->job->id, id, NULL);
}

/* append to the job's log; the first write names it in the store (has_log) */
static int log_append(struct lab_run *run, struct lava_run *l, const char *data, size_t len)
{
	int r = append_file(l->log_path, data, len);

	if (!r && !l->log_named &&
	    !lab_store_job_set_backend(run->store, run->job->id, NULL, l->log_path))
		l->log_named = true;
	return r;
}

/* a line for the job's log while nothing else is there */
static void note(struct lab_run *run, struct lava_run *l, const char *what)
{
	char line[LAB_LAVA_ERR_MAX + 128];
	int n = snprintf(line, sizeof(line), "iommulab-lava: %s\n", what);

	if (n > 0)
		log_append(run, l, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

static void run_free(struct lab_run *run)
{
	struct lava_run *l = run->priv;

	if (!l)
		return;
	if (l->pid > 0)
		lab_proc_kill_group(l->pid, false);
	if (l->registered)
		lab_lava_pending_del(l->lab->name, l->lava_id);
	lab_artifacts_clear(&l->art);
	free(l);
	run->priv = NULL;
}

static const char *target_lab(const struct lab_target *t, json_t **def_out)
{
	json_t *def = t->definition ? json_loads(t->definition, 0, NULL) : NULL;

	*def_out = def;
	return def ? lab_lava_job_target_lab(def) : NULL;
}

/*
 * rig/known-broken --no-setup TARGET_FILE, with this server's cache (where
 * rig/setup-qemu keeps a generation's QEMU), output to the prep log.
 */
static int start_check(struct lab_run *run, struct lava_run *l, char *reason)
{
	const struct lab_config *cfg = run->cfg;
	char prog[PATH_MAX], file[PATH_MAX], cache[PATH_MAX + 8];
	char *argv[] = { "/usr/bin/env", cache, prog, "--no-setup", file, NULL };
	int ret;

	if (snprintf(prog, sizeof(prog), "%s/rig/known-broken", cfg->top) >= (int)sizeof(prog) ||
	    snprintf(file, sizeof(file), "%s/%s/%s.json", cfg->targets_dir, run->target->arch,
		     run->target->name) >= (int)sizeof(file) ||
	    snprintf(cache, sizeof(cache), "CACHE=%s", cfg->cache_dir) >= (int)sizeof(cache)) {
		snprintf(reason, LAB_REASON_MAX, "rig/known-broken: path too long");
		return -ENAMETOOLONG;
	}
	ret = lab_proc_spawn_group(argv, l->prep_log, &l->pid);
	if (ret)
		snprintf(reason, LAB_REASON_MAX, "cannot start rig/known-broken: %s",
			 strerror(-ret));
	return ret;
}

static int lava_start(struct lab_run *run, char *reason)
{
	const struct lab_lava_lab *labs;
	const struct lab_config *cfg = run->cfg;
	struct lava_run *l;
	char logs[PATH_MAX], err[256] = "";
	const char *lname;
	json_t *def;
	size_t n;
	int ret;

	pthread_once(&curl_once, curl_init);
	ret = lab_lava_labs_get(cfg, &labs, &n, err, sizeof(err));
	if (ret) {
		snprintf(reason, LAB_REASON_MAX, "LAVA labs configuration: %s", err);
		return ret;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		snprintf(reason, LAB_REASON_MAX, "out of memory");
		return -ENOMEM;
	}
	lname = target_lab(run->target, &def);
	l->lab = lab_lava_lab_find(labs, n, lname, run->target->device_type);
	if (!l->lab) {
		snprintf(reason, LAB_REASON_MAX, "no LAVA lab %s%s%s (configure one with --labs)",
			 lname ? "named " : "serves device type ",
			 lname ? lname : run->target->device_type ? run->target->device_type : "(none)",
			 n ? "" : "; no lab is configured");
		json_decref(def);
		ret = -ENOENT;
		goto err_free;
	}
	json_decref(def);
	if (snprintf(logs, sizeof(logs), "%s/logs", cfg->state_dir) >= (int)sizeof(logs) ||
	    lab_joblog_path(cfg->state_dir, run->job->id, LAB_JOBLOG_CONSOLE, l->log_path,
			    sizeof(l->log_path)) ||
	    lab_joblog_path(cfg->state_dir, run->job->id, LAB_JOBLOG_PREP, l->prep_log,
			    sizeof(l->prep_log)) ||
	    lab_joblog_path(cfg->state_dir, run->job->id, LAB_JOBLOG_LAVA_YAML, l->yaml_path,
			    sizeof(l->yaml_path)) ||
	    lab_joblog_path(cfg->state_dir, run->job->id, LAB_JOBLOG_ARTIFACTS, l->result_path,
			    sizeof(l->result_path))) {
		snprintf(reason, LAB_REASON_MAX, "state dir path too long");
		ret = -ENAMETOOLONG;
		goto err_free;
	}
	ret = lab_proc_mkdir_p(logs);
	if (ret) {
		snprintf(reason, LAB_REASON_MAX, "cannot create %.1024s: %s", logs, strerror(-ret));
		goto err_free;
	}
	unlink(l->log_path);
	ret = start_check(run, l, reason);
	if (ret)
		goto err_free;
	l->phase = PH_CHECK;
	l->t0 = now_mono();
	run->priv = l;
	set_backend_id(run, l, "preparing");
	return 0;
err_free:
	free(l);
	return ret;
}

static int start_prepare(struct lab_run *run, struct lava_run *l, char *reason)
{
	int ret = lab_artifacts_start(run->cfg, run->kernel, run->target->arch, l->result_path,
				      l->prep_log, &l->pid, reason, LAB_REASON_MAX);

	if (ret)
		return ret;
	l->phase = PH_PREPARE;
	l->t0 = now_mono();
	lab_info("lava: job %lld: preparing artifacts for lab %s (pid %d)",
		 (long long)run->job->id, l->lab->name, (int)l->pid);
	return 0;
}

/*
 * CHECK done (or given up): known broken -> CONFIG with rig/known-broken's
 * line; anything else -> the preparation starts. RUNNING or final.
 */
static enum lab_run_status poll_check(struct lab_run *run, struct lava_run *l, char *reason)
{
	int status = 0;
	pid_t w = waitpid(l->pid, &status, WNOHANG);

	if (w == 0) {
		if (now_mono() - l->t0 <= LAVA_CHECK_S)
			return LAB_RUN_RUNNING;
		lab_proc_kill_group(l->pid, false);
		lab_warn("lava: job %lld: rig/known-broken took more than %d s; not checked here",
			 (long long)run->job->id, LAVA_CHECK_S);
	} else if (w > 0 && WIFEXITED(status) && WEXITSTATUS(status) == LAVA_EXIT_KNOWN_BROKEN) {
		char *log = lab_runlog_read(l->prep_log, LAB_LAVA_LOG_MAX, NULL);
		bool refused = lab_runlog_not_booted(log, reason, LAB_REASON_MAX);

		free(log);
		l->pid = 0;
		if (refused) {
			lab_info("lava: job %lld: not submitted to lab %s: %.300s",
				 (long long)run->job->id, l->lab->name, reason);
			return LAB_RUN_CONFIG;
		}
		lab_warn("lava: job %lld: rig/known-broken exit 5 without its line; not checked here",
			 (long long)run->job->id);
	} else if (w > 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
		/* the generation is not set up here, or no QEMU at all: the
		 * device's rig/lava-qemu checks on the worker */
		lab_info("lava: job %lld: known_broken not checked here (rig/known-broken %s %d, %s)",
			 (long long)run->job->id, WIFEXITED(status) ? "exit" : "signal",
			 WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status), l->prep_log);
	}
	l->pid = 0;
	if (start_prepare(run, l, reason))
		return LAB_RUN_INFRA;
	return LAB_RUN_RUNNING;
}

/* "file:///abs/path" or "<artifacts base>/<sha256>/<basename>" */
static int artifact_url(const struct lava_run *l, const char *path, const char *sha,
			char *out, size_t len)
{
	char real[PATH_MAX];
	const char *base;
	int n;

	if (path[0] != '/')
		return -EINVAL;
	if (!realpath(path, real))	/* the artifact route names files by this */
		return -errno;
	base = strrchr(real, '/') + 1;
	if (!strcmp(l->lab->artifacts, "file"))
		n = snprintf(out, len, "file://%s", real);
	else
		n = snprintf(out, len, "%s/%s/%s", l->lab->artifacts, sha, base);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static enum lab_run_status poll_prepare(struct lab_run *run, struct lava_run *l, char *reason)
{
	char what[512];
	int status, ret;
	pid_t w;

	w = waitpid(l->pid, &status, WNOHANG);
	if (w == 0) {
		if (now_mono() - l->t0 > LAVA_PREPARE_S) {
			lab_proc_kill_group(l->pid, false);
			l->pid = 0;
			snprintf(reason, LAB_REASON_MAX, "artifact preparation took more than %d s",
				 LAVA_PREPARE_S);
			return LAB_RUN_TIMEOUT;
		}
		return LAB_RUN_RUNNING;
	}
	l->pid = 0;
	if (w < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    (ret = lab_artifacts_read(l->result_path, &l->art))) {
		size_t len = 0;
		char *log = lab_runlog_read(l->prep_log, LAB_LAVA_LOG_MAX, &len);

		snprintf(reason, LAB_REASON_MAX, "artifact preparation failed (%s %d)",
			 w > 0 && WIFEXITED(status) ? "exit" : "signal",
			 w > 0 && WIFEXITED(status) ? WEXITSTATUS(status) :
			 w > 0 && WIFSIGNALED(status) ? WTERMSIG(status) : -1);
		add_excerpt(reason, log, LAVA_EXCERPT);
		free(log);
		/* a deterministic failure is not retried (artifacts.h) */
		return w > 0 && WIFEXITED(status) && WEXITSTATUS(status) != 0 &&
		       lab_artifacts_config_failed(l->result_path, WEXITSTATUS(status),
						   what, sizeof(what)) ?
		       LAB_RUN_CONFIG : LAB_RUN_INFRA;
	}
	if ((ret = sha256_file(l->art.kernel, l->kernel_sha)) ||
	    (ret = sha256_file(l->art.initrd, l->initrd_sha))) {
		snprintf(reason, LAB_REASON_MAX, "cannot hash the artifacts: %s", strerror(-ret));
		return LAB_RUN_INFRA;
	}
	if (strcmp(l->lab->artifacts, "file") &&
	    ((ret = lab_lava_artifact_register(l->kernel_sha, l->art.kernel)) ||
	     (ret = lab_lava_artifact_register(l->initrd_sha, l->art.initrd)))) {
		snprintf(reason, LAB_REASON_MAX, "cannot register the artifacts: %s", strerror(-ret));
		return LAB_RUN_INFRA;
	}
	lab_info("lava: job %lld: artifacts ready (%s, %s)", (long long)run->job->id,
		 l->art.kernel, l->art.initrd);
	l->phase = PH_SUBMIT;
	l->t0 = now_mono();
	l->next = 0;
	l->backoff_s = LAVA_BACKOFF_MIN_S;
	return LAB_RUN_RUNNING;
}

static enum lab_run_status poll_submit(struct lab_run *run, struct lava_run *l, char *reason)
{
	struct lab_lava_job_in in = { 0 };
	char kurl[PATH_MAX + 128], iurl[PATH_MAX + 128], jobs[PATH_MAX];
	char err[LAB_LAVA_ERR_MAX] = "", *yaml = NULL;
	double now = now_mono();
	int ret;

	if (now < l->next)
		return LAB_RUN_RUNNING;
	if (artifact_url(l, l->art.kernel, l->kernel_sha, kurl, sizeof(kurl)) ||
	    artifact_url(l, l->art.initrd, l->initrd_sha, iurl, sizeof(iurl)) ||
	    snprintf(jobs, sizeof(jobs), "%s/jobs", run->cfg->top) >= (int)sizeof(jobs)) {
		snprintf(reason, LAB_REASON_MAX, "artifact path or URL too long");
		return LAB_RUN_INFRA;
	}
	in.job = run->job;
	in.kernel = run->kernel;
	in.target = run->target;
	in.kernel_url = kurl;
	in.initrd_url = iurl;
	in.kernel_sha256 = l->kernel_sha;
	in.initrd_sha256 = l->initrd_sha;
	in.lab_name = l->lab->name;
	if (l->lab->callback_url[0]) {
		in.callback_url = l->lab->callback_url;
		in.callback_token_desc = l->lab->callback_token_desc;
	}
	ret = lab_lava_job_render(jobs, &in, &yaml, err, sizeof(err));
	if (ret) {
		/* the target or job cannot make a LAVA job: retrying will not help */
		snprintf(reason, LAB_REASON_MAX, "cannot render the LAVA job: %s", err);
		return LAB_RUN_BAD_RESULTS;
	}
	write_file(l->yaml_path, yaml, strlen(yaml));
	ret = lab_lava_submit(l->lab, yaml, &l->lava_id, err, sizeof(err));
	free(yaml);
	l->tries++;
	if (ret == -EINVAL || ret == -EACCES || ret == -ENOENT) {
		/* LAVA refused this job (bad definition, token, unknown device type) */
		snprintf(reason, LAB_REASON_MAX, "LAVA lab %s refused the job: %s", l->lab->name, err);
		return ret == -EINVAL ? LAB_RUN_BAD_RESULTS : LAB_RUN_INFRA;
	}
	if (ret) {
		/* LAVA down or answering garbage: stay pending, back off */
		snprintf(l->last_err, sizeof(l->last_err), "%s", err);
		if (now - l->t0 > LAVA_SUBMIT_GIVEUP_S) {
			snprintf(reason, LAB_REASON_MAX,
				 "LAVA lab %s unreachable for %d s (%d tries): %s", l->lab->name,
				 (int)(now - l->t0), l->tries, err);
			return LAB_RUN_INFRA;
		}
		l->next = now + l->backoff_s;
		lab_warn("lava: job %lld: submit to %s failed (try %d), retry in %d s: %s",
			 (long long)run->job->id, l->lab->name, l->tries, l->backoff_s, err);
		{
			char line[LAB_LAVA_ERR_MAX + 96];

			snprintf(line, sizeof(line), "submit try %d failed, retry in %d s: %s",
				 l->tries, l->backoff_s, err);
			note(run, l, line);
		}
		set_backend_id(run, l, "pending");
		l->backoff_s = l->backoff_s * 2 > LAVA_BACKOFF_MAX_S ? LAVA_BACKOFF_MAX_S :
			       l->backoff_s * 2;
		return LAB_RUN_RUNNING;
	}
	ret = lab_lava_pending_add(l->lab->name, l->lava_id);
	l->registered = ret == 0;
	l->phase = PH_WAIT;
	l->t0 = now;
	l->next = now + l->lab->poll_s;
	set_backend_id(run, l, NULL);
	lab_info("lava: job %lld submitted to lab %s as LAVA job %lld (try %d)",
		 (long long)run->job->id, l->lab->name, (long long)l->lava_id, l->tries);
	return LAB_RUN_RUNNING;
}

/* minimal reader of the callback's results YAML: top-level list items with
 * "  name: X" and "  result: Y" keys (PyYAML block style, as LAVA sends) */
static json_t *yaml_tests(const char *yaml)
{
	json_t *arr = json_array(), *cur = NULL;
	const char *p = yaml;

	if (!arr)
		return NULL;
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char val[256];
		const char *key = NULL, *v;
		size_t vl;

		if (n >= 2 && p[0] == '-' && p[1] == ' ') {
			cur = json_object();
			if (!cur || json_array_append_new(arr, cur))
				break;
			v = p + 2;	/* "- id: '1'": first key on the dash line */
		} else if (n >= 2 && p[0] == ' ' && p[1] == ' ' && p[2] != ' ') {
			v = p + 2;
		} else {
			v = NULL;
		}
		if (v && cur) {
			if (!strncmp(v, "name: ", 6))
				key = "name";
			else if (!strncmp(v, "result: ", 8))
				key = "result";
		}
		if (key) {
			v = strchr(v, ' ') + 1;
			vl = n - (size_t)(v - p);
			if (vl >= 2 && v[0] == '\'' && v[vl - 1] == '\'') {
				v++;
				vl -= 2;
			}
			if (vl < sizeof(val)) {
				memcpy(val, v, vl);
				val[vl] = '\0';
				json_object_set_new(cur, key, json_string(val));
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	return arr;
}

static const char *lava_result_of(enum lab_verdict v)
{
	switch (v) {
	case LAB_VERDICT_PASS: return "pass";
	case LAB_VERDICT_FAIL: return "fail";
	case LAB_VERDICT_SKIP: return "skip";
	case LAB_VERDICT_ERROR: return "unknown";
	case LAB_VERDICT_CRASH:
	case LAB_VERDICT_WARN: return "fail";	/* as the agent's --lava lines (agent/ktap.c) */
	}
	return "?";
}

/* does every record have its LAVA test case with the same result? */
static int check_tests(const struct lab_record_scan *scan, json_t *tests, char *why, size_t len)
{
	size_t i, k, named = 0;
	json_t *t;

	json_array_foreach(tests, k, t)
		if (json_is_string(json_object_get(t, "name")))
			named++;
	for (i = 0; i < scan->n; i++) {
		char want[128];
		const char *res = lava_result_of(scan->res[i].verdict);
		bool found = false, same = false;

		snprintf(want, sizeof(want), "%s", scan->res[i].case_id);
		for (char *c = want; *c; c++)
			if (*c == '.')
				*c = '_';
		json_array_foreach(tests, k, t) {
			const char *n = json_string_value(json_object_get(t, "name"));
			const char *r = json_string_value(json_object_get(t, "result"));

			if (n && !strcmp(n, want)) {
				found = true;
				/* the job's fixupdict maps "error" to fail */
				if (r && (!strcmp(r, res) ||
					  (!strcmp(res, "unknown") && !strcmp(r, "fail"))))
					same = true;
			}
		}
		if (!found) {
			snprintf(why, len, "LAVA has no test case for %s (%zu of %zu records have one)",
				 scan->res[i].case_id, named, scan->n);
			return -ENOENT;
		}
		if (!same) {
			snprintf(why, len, "LAVA's result for %s differs from the record's %s",
				 scan->res[i].case_id, res);
			return -EBADMSG;
		}
	}
	return 0;
}

/*
 * A LAVA job that did not finish its cases: when its console shows a
 * kernel crash, store what LAVA delivered (isolate.h, one boot: LAVA does
 * not boot again) and return DONE; otherwise RUNNING ("not a crash": the
 * caller's outcome stands). A timeout is assumed (LAVA may have killed the
 * guest), so only a kernel report on the console makes it a crash.
 */
static enum lab_run_status crash_results(struct lab_run *run, struct lava_run *l,
					 const char *console, size_t clen, char *reason)
{
	struct lab_record_scan scan = { 0 };
	struct lab_isolate iso;
	struct lab_ingest_job ij;
	enum lab_ingest_class cls;
	enum lab_isolate_next next = LAB_ISOLATE_NONE;
	char bad[LAB_INGEST_WHY_MAX];
	enum lab_run_status rs = LAB_RUN_RUNNING;
	int ret;

	lab_isolate_init(&iso);
	lab_ingest_job_of(run->job, run->target, run->kernel, &ij);
	if (lab_ingest_scan_log(&ij, console, clen, &scan, &cls, bad, sizeof(bad)) ||
	    cls != LAB_INGEST_UNFINISHED ||
	    (scan.target[0] && lab_ingest_identity(&ij, "log (IOMMULAB-BEGIN)", scan.target,
						   scan.kernel, scan.arch, bad, sizeof(bad))))
		goto out;
	ret = lab_isolate_boot(&iso, console, clen, &scan, true, run->target->driver, 1, &next);
	if (ret || next != LAB_ISOLATE_STORE)
		goto out;
	ret = lab_ingest_store(run->store, &ij, iso.res, iso.n, bad, sizeof(bad));
	if (ret == -EPROTO) {	/* a verdict the server computes otherwise (ingest.h) */
		snprintf(reason, LAB_REASON_MAX, "bad results: %s", bad);
		rs = LAB_RUN_BAD_RESULTS;
		goto out;
	}
	if (ret) {
		snprintf(reason, LAB_REASON_MAX, "storing %zu results: %s", iso.n, strerror(-ret));
		rs = LAB_RUN_INFRA;
		goto out;
	}
	lab_info("lava: job %lld: LAVA job %lld ended in a kernel crash: %zu results stored (%s)",
		 (long long)run->job->id, (long long)l->lava_id, iso.n, iso.note);
	{
		char line[LAB_ISOLATE_NOTE_MAX + 96];
		int n = snprintf(line, sizeof(line),
				 "\niommulab-runner: %s (LAVA: no reboot, later cases not run)\n",
				 iso.note);

		if (n > 0)
			log_append(run, l, line, (size_t)n < sizeof(line) ? (size_t)n :
				   sizeof(line) - 1);
	}
	rs = LAB_RUN_DONE;
out:
	lab_record_scan_clear(&scan);
	lab_isolate_clear(&iso);
	return rs;
}

/*
 * Store a finished run's records and, as the QEMU runner does (isolate.h),
 * a "boot" record when the console shows a kernel report before
 * IOMMULAB-BEGIN. 0 or -errno (-EPROTO: a claimed verdict the server's
 * judgement refuses, @why says which).
 */
static int store_complete(struct lab_run *run, const struct lab_ingest_job *ij,
			  const char *console, size_t clen, struct lab_record_scan *scan,
			  char *why, size_t whylen)
{
	struct lab_isolate iso;
	enum lab_isolate_next next;
	int ret;

	lab_isolate_init(&iso);
	ret = lab_isolate_boot(&iso, console, clen, scan, true, run->target->driver, 1, &next);
	if (!ret)
		ret = next == LAB_ISOLATE_STORE ? lab_ingest_store(run->store, ij, iso.res, iso.n,
								 why, whylen) : -EIO;
	lab_isolate_clear(&iso);
	return ret;
}

/*
 * Did the QEMU generation the target needs (qemu.version) run? LAVA's qemu
 * type cannot be told (lava_job.h); the device's command, rig/lava-qemu,
 * prints "iommulab-boot: qemu VERSION generation GEN binary PATH" before
 * QEMU starts. A console where the agent began (IOMMULAB-BEGIN) must carry
 * that line with the target's generation; only for 7.2, what a stock LAVA
 * qemu device runs, may it be absent (then no version is recorded).
 * 0, or -EPROTO with @why.
 */
static int qemu_check(const struct lab_run *run, const char *console, char *why, size_t len)
{
	static const char pfx[] = "iommulab-boot: qemu ";
	const char *p = console, *want;
	char ver[32] = "", gen[32] = "";
	json_t *def;
	int r = 0;

	if (!strstr(console, "IOMMULAB-BEGIN "))
		return 0;	/* QEMU may not have run: nothing to say */
	def = run->target->definition ? json_loads(run->target->definition, 0, NULL) : NULL;
	want = lab_lava_job_qemu_generation(def);
	while (p && strncmp(p, pfx, sizeof(pfx) - 1))
		p = (p = strchr(p, '\n')) ? p + 1 : NULL;
	if (p && sscanf(p + sizeof(pfx) - 1, "%31s generation %31s", ver, gen) != 2)
		gen[0] = '\0';
	if (!gen[0] && strcmp(want, "7.2")) {
		snprintf(why, len, "target %s needs QEMU %s, but the LAVA device did not say which "
			 "QEMU ran (its command is not rig/lava-qemu: jobs/devices/qemu10-01.jinja2)",
			 run->target->name, want);
		r = -EPROTO;
	} else if (gen[0] && strcmp(gen, want)) {
		snprintf(why, len, "target %s needs QEMU %s, but the LAVA device ran QEMU %s "
			 "(generation %s)", run->target->name, want, ver, gen);
		r = -EPROTO;
	}
	json_decref(def);
	return r;
}

/* LAVA job finished: decide and ingest. @payload: the callback, or NULL (poll) */
static enum lab_run_status finish(struct lab_run *run, struct lava_run *l, json_t *payload,
				  char *reason)
{
	struct lab_lava_job_status st = { 0 };
	struct lab_record_scan scan = { 0 };
	char err[LAB_LAVA_ERR_MAX] = "", why[512], bad[LAB_INGEST_WHY_MAX];
	struct lab_ingest_job ij;
	enum lab_ingest_class cls;
	char *yaml = NULL, *console = NULL;
	size_t ylen = 0, clen = 0;
	json_t *tests = NULL;
	enum lab_run_status rs;
	const char *via = payload ? "callback" : "poll";
	int ret;

	if (payload) {
		const char *h = json_string_value(json_object_get(payload, "health_string"));
		const char *s = json_string_value(json_object_get(payload, "state_string"));
		const char *log = json_string_value(json_object_get(payload, "log"));
		const char *res = json_string_value(json_object_get(json_object_get(payload, "results"),
								     LAVA_SUITE));
		const char *fc = json_string_value(json_object_get(payload, "failure_comment"));

		if (!h || lab_lava_health_parse(h, &st.health) || !s) {
			lab_warn("lava: job %lld: callback without a known health, polling instead",
				 (long long)run->job->id);
			return LAB_RUN_RUNNING;
		}
		snprintf(st.state, sizeof(st.state), "%s", s);
		st.finished = true;
		if (fc)
			snprintf(st.failure, sizeof(st.failure), "%s", fc);
		if (log) {
			ylen = strlen(log);
			yaml = strdup(log);
		}
		tests = res ? yaml_tests(res) : json_array();
	}
	if (!payload) {
		ret = lab_lava_job_status(l->lab, l->lava_id, &st, err, sizeof(err));
		if (ret) {
			rs = LAB_RUN_RUNNING;
			l->next = now_mono() + l->lab->poll_s;
			goto out;
		}
	}
	if (!yaml) {
		ret = lab_lava_job_log(l->lab, l->lava_id, &yaml, &ylen, err, sizeof(err));
		if (ret && st.health == LAB_LAVA_HEALTH_COMPLETE) {
			snprintf(reason, LAB_REASON_MAX, "LAVA job %lld finished, but its log: %s",
				 (long long)l->lava_id, err);
			rs = LAB_RUN_RUNNING;	/* try again at the next poll */
			l->next = now_mono() + l->lab->poll_s;
			goto out;
		}
		/* a job canceled before it ran has no log: that is fine */
	}
	if (yaml) {
		write_file(l->yaml_path, yaml, ylen);
		ret = lab_lava_log_console(yaml, ylen, &console, &clen, NULL);
		if (ret) {
			snprintf(reason, LAB_REASON_MAX, "LAVA job %lld: cannot decode its log: %s",
				 (long long)l->lava_id, strerror(-ret));
			rs = LAB_RUN_INFRA;
			goto out;
		}
		/* after the "iommulab-lava:" lines of the submission, if any */
		log_append(run, l, console, clen);
	}
	/* the device's rig/lava-qemu refused a target known broken on its QEMU:
	 * said once, not retried (as rig/boot's refusal, backend_qemu.c) */
	if (console && lab_runlog_not_booted(console, reason, LAB_REASON_MAX)) {
		rs = LAB_RUN_CONFIG;
		goto out;
	}
	if (console && qemu_check(run, console, why, sizeof(why))) {
		snprintf(reason, LAB_REASON_MAX, "LAVA job %lld on lab %s: %s",
			 (long long)l->lava_id, l->lab->name, why);
		rs = LAB_RUN_BAD_RESULTS;
		goto out;
	}
	if (console)	/* the QEMU that ran and the artifacts (provenance.h) */
		lab_provenance_note(run, &l->art, l->log_path);
	if (console && st.health != LAB_LAVA_HEALTH_CANCELED) {
		rs = crash_results(run, l, console, clen, reason);
		if (rs != LAB_RUN_RUNNING)
			goto out;
	}
	if (st.health != LAB_LAVA_HEALTH_COMPLETE) {
		snprintf(reason, LAB_REASON_MAX, "LAVA job %lld on lab %s: %s%s%s",
			 (long long)l->lava_id, l->lab->name,
			 st.health == LAB_LAVA_HEALTH_CANCELED ? "canceled in LAVA" :
			 lab_lava_health_name(st.health),
			 st.failure[0] ? ": " : "", st.failure);
		add_excerpt(reason, console, LAVA_EXCERPT);
		rs = LAB_RUN_INFRA;
		goto out;
	}
	if (!console) {
		snprintf(reason, LAB_REASON_MAX, "LAVA job %lld complete without a log",
			 (long long)l->lava_id);
		rs = LAB_RUN_INFRA;
		goto out;
	}
	/* ingest.h: the same identity check and classification as QEMU and the API */
	lab_ingest_job_of(run->job, run->target, run->kernel, &ij);
	ret = lab_ingest_scan_log(&ij, console, clen, &scan, &cls, bad, sizeof(bad));
	if (ret) {
		snprintf(reason, LAB_REASON_MAX, "record scan: %s", strerror(-ret));
		rs = LAB_RUN_INFRA;
		goto out;
	}
	if (cls != LAB_INGEST_OK && scan.status != LAB_SCAN_OK) {
		snprintf(reason, LAB_REASON_MAX, "LAVA job %lld complete, but %s: %s",
			 (long long)l->lava_id, lab_scan_status_name(scan.status), scan.error);
		add_excerpt(reason, console, LAVA_EXCERPT);
		rs = cls == LAB_INGEST_UNFINISHED ? LAB_RUN_INFRA : LAB_RUN_BAD_RESULTS;
		goto out;
	}
	if (cls != LAB_INGEST_OK) {	/* another job's records */
		snprintf(reason, LAB_REASON_MAX, "LAVA job %lld complete, but bad results: %s",
			 (long long)l->lava_id, bad);
		rs = LAB_RUN_BAD_RESULTS;
		goto out;
	}
	if (!tests) {
		ret = lab_lava_job_tests(l->lab, l->lava_id, LAVA_SUITE, &tests, err, sizeof(err));
		if (ret) {
			rs = LAB_RUN_RUNNING;
			l->next = now_mono() + l->lab->poll_s;
			goto out;
		}
	}
	if (check_tests(&scan, tests, why, sizeof(why))) {
		snprintf(reason, LAB_REASON_MAX,
			 "LAVA job %lld complete with missing or different test cases: %s",
			 (long long)l->lava_id, why);
		rs = LAB_RUN_BAD_RESULTS;
		goto out;
	}
	ret = store_complete(run, &ij, console, clen, &scan, why, sizeof(why));
	if (ret == -EPROTO) {	/* a verdict the server computes otherwise (ingest.h) */
		snprintf(reason, LAB_REASON_MAX, "bad results: %s", why);
		rs = LAB_RUN_BAD_RESULTS;
		goto out;
	}
	if (ret) {
		snprintf(reason, LAB_REASON_MAX, "storing %zu results: %s", scan.n, strerror(-ret));
		rs = LAB_RUN_INFRA;
		goto out;
	}
	lab_info("lava: job %lld: LAVA job %lld complete, results stored (via %s)",
		 (long long)run->job->id, (long long)l->lava_id, via);
	rs = LAB_RUN_DONE;
out:
	if (rs != LAB_RUN_RUNNING && rs != LAB_RUN_DONE)
		lab_info("lava: job %lld: LAVA job %lld finished (via %s): %.300s",
			 (long long)run->job->id, (long long)l->lava_id, via, reason);
	lab_record_scan_clear(&scan);
	json_decref(tests);
	free(console);
	free(yaml);
	return rs;
}

static enum lab_run_status poll_wait(struct lab_run *run, struct lava_run *l, char *reason)
{
	struct lab_lava_job_status st;
	char err[LAB_LAVA_ERR_MAX] = "";
	json_t *payload;
	double now = now_mono();
	enum lab_run_status rs;
	int ret;

	payload = l->registered ? lab_lava_pending_take(l->lab->name, l->lava_id) : NULL;
	if (payload) {
		rs = finish(run, l, payload, reason);
		json_decref(payload);
		if (rs != LAB_RUN_RUNNING)
			return rs;
	}
	if (now < l->next)
		return LAB_RUN_RUNNING;
	l->next = now + l->lab->poll_s;
	ret = lab_lava_job_status(l->lab, l->lava_id, &st, err, sizeof(err));
	if (ret) {
		lab_warn("lava: job %lld: polling LAVA job %lld: %s", (long long)run->job->id,
			 (long long)l->lava_id, err);
		if (ret == -ENOENT) {
			snprintf(reason, LAB_REASON_MAX, "LAVA job %lld vanished from lab %s",
				 (long long)l->lava_id, l->lab->name);
			return LAB_RUN_INFRA;
		}
	} else if (st.finished) {
		return finish(run, l, NULL, reason);
	}
	if (now - l->t0 > run->job->timeout_s + LAVA_WAIT_EXTRA_S) {
		lab_lava_job_cancel(l->lab, l->lava_id, err, sizeof(err));
		snprintf(reason, LAB_REASON_MAX,
			 "LAVA job %lld on lab %s not finished after %d s (canceled)",
			 (long long)l->lava_id, l->lab->name, (int)(now - l->t0));
		return LAB_RUN_TIMEOUT;
	}
	return LAB_RUN_RUNNING;
}

static enum lab_run_status lava_poll(struct lab_run *run, char *reason)
{
	struct lava_run *l = run->priv;
	enum lab_run_status rs;

	if (!l) {
		snprintf(reason, LAB_REASON_MAX, "no LAVA run state");
		return LAB_RUN_INFRA;
	}
	switch (l->phase) {
	case PH_CHECK:
		rs = poll_check(run, l, reason);
		break;
	case PH_PREPARE:
		rs = poll_prepare(run, l, reason);
		break;
	case PH_SUBMIT:
		rs = poll_submit(run, l, reason);
		break;
	case PH_WAIT:
		rs = poll_wait(run, l, reason);
		break;
	default:
		rs = LAB_RUN_INFRA;
		break;
	}
	if (rs != LAB_RUN_RUNNING)
		run_free(run);
	return rs;
}

static int lava_cancel(struct lab_run *run)
{
	struct lava_run *l = run->priv;
	char err[LAB_LAVA_ERR_MAX] = "";
	int ret = 0;

	if (!l)
		return 0;
	if (l->phase == PH_WAIT && l->lava_id > 0) {
		ret = lab_lava_job_cancel(l->lab, l->lava_id, err, sizeof(err));
		if (ret)
			lab_warn("lava: job %lld: cancel LAVA job %lld: %s", (long long)run->job->id,
				 (long long)l->lava_id, err);
		else
			lab_info("lava: job %lld: LAVA job %lld canceled", (long long)run->job->id,
				 (long long)l->lava_id);
	}
	run_free(run);
	return ret;
}

const struct lab_backend lab_backend_lava = {
	.name = "lava",
	.uses_host_slots = false,
	.start = lava_start,
	.poll = lava_poll,
	.cancel = lava_cancel,
};
