/* SPDX-License-Identifier: GPL-2.0 */
/*
 * backend_qemu.c - the local QEMU runner (lab_backend_qemu, backend.h).
 *
 * Purpose: run one job on this host. A run has two phases, each one child
 * process that leads its own process group:
 *   PREPARE  artifacts.c's preparation (kernel fetch, agent, module,
 *            initramfs; all cached) -> $CACHE/state/logs/<job>.prep.log
 *   BOOT     rig/boot, which assembles the QEMU command line and runs the
 *            guest; the console goes to $CACHE/state/logs/<job>.log
 * poll() reaps with waitpid(WNOHANG) and never blocks. The job's timeout
 * applies to the BOOT phase (rig/boot gets it too and exits 124 itself;
 * we kill the group LAB_QEMU_GRACE_S later if it did not); PREPARE has its
 * own, longer limit (LAB_QEMU_PREPARE_S).
 *
 * When the guest is gone the console log is scanned with the record parser
 * (record.h) and handed to crash isolation (isolate.h): a kernel crash is a
 * result. A complete run, or one that a kernel crash ended, is ingested in
 * one transaction -> LAB_RUN_DONE: the records printed, a "crash" record
 * for the case in flight (excerpt from the first oops/BUG/WARNING line), a
 * "boot" record for a kernel report before the first case. When a case
 * crashed the guest and cases remain, the guest boots again with the agent
 * resuming after it (iommulab.resume=N; console LOG.N, appended to the
 * job's log when it ends), at most LAB_QEMU_MAX_BOOTS boots per job.
 * Otherwise nothing is stored and the outcome says why, with a log excerpt:
 *   no END and no kernel report (QEMU died, no output)   LAB_RUN_INFRA
 *   timeout without a kernel report (rig/boot 124 or our deadline)
 *                                              LAB_RUN_TIMEOUT
 *   malformed record / END count mismatch      LAB_RUN_BAD_RESULTS
 * A preparation that fails deterministically (artifacts.h: the script's
 * "<result>.fail" mark or exit 127) and a target file that is missing are
 * configuration errors (LAB_RUN_CONFIG: reported once, not retried), and so
 * is a target rig/boot refuses as known broken on its QEMU (exit 5, the
 * console log's "iommulab-boot: not booted: REASON"); a
 * preparation that fails otherwise or takes too long is LAB_RUN_INFRA.
 * A boot after a crash that ends with nothing to attribute (no output, a
 * timeout without a kernel report) still stores what the earlier boots
 * kept; the runs it did not reach are missing. Each boot has the job's
 * timeout.
 *
 * Invariants: after a final poll() or cancel() no process of the run's
 * process groups is left (checked with kill(-pgid, 0) -> ESRCH; QEMU runs
 * in rig/boot's process group). Job options reach the guest through the
 * kernel command line: iommulab.filter=, iommulab.repeat=, iommulab.fault=
 * (the fault option comes from a job whose case filter starts with
 * "fault.KIND", used by the tests to make a guest panic, hang, print
 * garbage or run a real kernel fault), iommulab.resume= (after a crash).
 *
 * Timing: when a guest's run ends (any outcome), one line of key=value
 * pairs goes to $CACHE/state/logs/<job>.times (and the server log), for the
 * demo's breakdown of where a plan's time goes; "-" is an unknown value:
 *   queued_s    job created -> started here (waiting for a slot)
 *   prep_s      preparation child started -> its result file written
 *   prep_lag_s  result file written -> rig/boot started (poll interval)
 *   boot_s      rig/boot's QEMU wall time (boot + cases + power-off)
 *   begin_s     QEMU start -> IOMMULAB-BEGIN in the console (the boot part)
 *   boot_lag_s  rig/boot's last line -> reaped here (poll interval)
 *   ingest_s    console log scanned and results stored
 *   start_at, end_at   unix seconds (3 decimals) of start() and of the end
 *
 * The job's log_path (has_log in its JSON) is stored when rig/boot starts,
 * not before: a job whose preparation failed has no console log.
 *
 * Ownership: struct qemu_run hangs on run->priv from start() until a final
 * poll() or cancel(), which free it.
 *
 * Errors: start() returns 0 or -errno with @reason filled.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

#include "artifacts.h"
#include "backend.h"
#include "config.h"
#include "ingest.h"
#include "isolate.h"
#include "joblogs.h"
#include "log.h"
#include "proc.h"
#include "provenance.h"
#include "record.h"
#include "runlog.h"

#define LAB_QEMU_PREPARE_S	1800	/* a cold kernel fetch + builds */
#define LAB_QEMU_GRACE_S	15	/* after the job timeout, for rig/boot's own */
#define LAB_QEMU_LOG_MAX	(64u << 20)	/* larger console logs are cut */
#define LAB_QEMU_EXCERPT	900
#define LAB_QEMU_MAX_BOOTS	5	/* a job's boots: the first and 4 after crashes */

enum qemu_phase { PH_PREPARE, PH_BOOT };

struct qemu_run {
	enum qemu_phase phase;
	pid_t pid;		/* group leader of the current phase, 0 = none */
	double phase_t0;	/* CLOCK_MONOTONIC seconds */
	int timeout_s;		/* of the current phase */
	char log_path[PATH_MAX];
	char prep_log[PATH_MAX];
	char boot_log[PATH_MAX];	/* rig/boot's own stdout/stderr */
	char result_path[PATH_MAX];
	char times_path[PATH_MAX];	/* the run's timing line (see above) */
	struct lab_artifacts art;
	double start_wall;	/* CLOCK_REALTIME seconds of start() */
	double prep_done_wall;	/* mtime of the result file, 0 = unknown */
	double boot_start_wall;	/* rig/boot spawned, 0 = not yet */
	double ingest_s;	/* scan + ingest, < 0 = not reached */
	struct lab_isolate iso;	/* records kept across boots (isolate.h) */
	char console[PATH_MAX];	/* this boot's console: log_path, then log_path.N */
};

static double now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* mtime of @path in seconds, 0 when it cannot be read */
static double file_mtime(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return 0;
	return (double)st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
}

/* "%.2f" of @v into @buf, or "-" when @v < 0 */
static const char *fmt_s(char *buf, size_t len, double v)
{
	if (v < 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.2f", v);
	return buf;
}

/*
 * The value of "KEY=" on the last line of rig/boot's output ("boot NAME
 * seconds=S exit=RC begin=B"), as seconds; -1 when absent or "-".
 */
static double boot_log_value(const char *boot_log, const char *key)
{
	char line[512], last[512] = "", want[32];
	const char *p;
	FILE *f = fopen(boot_log, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "boot ", 5))
			memcpy(last, line, sizeof(last));
	fclose(f);
	snprintf(want, sizeof(want), " %s=", key);
	p = strstr(last, want);
	if (!p || p[strlen(want)] < '0' || p[strlen(want)] > '9')
		return -1;
	return strtod(p + strlen(want), NULL);
}

/*
 * Write the run's timing line (see the header) to q->times_path and the
 * server log. Best effort: a failure only costs the figure.
 */
static void write_times(struct lab_run *run, struct qemu_run *q)
{
	char a[7][32], line[512];
	double end = now_wall(), boot_end = file_mtime(q->boot_log);
	double queued = run->job->created_at > 0 ? q->start_wall - (double)run->job->created_at : -1;
	FILE *f;

	snprintf(line, sizeof(line),
		 "queued_s=%s prep_s=%s prep_lag_s=%s boot_s=%s begin_s=%s "
		 "boot_lag_s=%s ingest_s=%s start_at=%.3f end_at=%.3f",
		 fmt_s(a[0], 32, queued),
		 fmt_s(a[1], 32, q->prep_done_wall > 0 ? q->prep_done_wall - q->start_wall : -1),
		 fmt_s(a[2], 32, q->prep_done_wall > 0 && q->boot_start_wall > 0 ?
			      q->boot_start_wall - q->prep_done_wall : -1),
		 fmt_s(a[3], 32, boot_log_value(q->boot_log, "seconds")),
		 fmt_s(a[4], 32, boot_log_value(q->boot_log, "begin")),
		 fmt_s(a[5], 32, boot_end > 0 && q->boot_start_wall > 0 ?
			      end - (q->ingest_s > 0 ? q->ingest_s : 0) - boot_end : -1),
		 fmt_s(a[6], 32, q->ingest_s), q->start_wall, end);
	lab_info("qemu: job %lld times: %s", (long long)run->job->id, line);
	f = fopen(q->times_path, "we");
	if (!f)
		return;
	fprintf(f, "%s\n", line);
	fclose(f);
}

/* read /proc/PID/cmdline (NUL-separated) into @buf; returns its length */
static size_t proc_cmdline(pid_t pid, char *buf, size_t len)
{
	char path[64];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n;
}

/* is @arg "file:@log" or "file:@log.N" (a reboot's console, N digits)? */
static bool arg_is_console(const char *arg, const char *want)
{
	size_t k = strlen(want);

	if (strncmp(arg, want, k))
		return false;
	if (!arg[k])
		return true;
	if (arg[k] != '.' || !arg[k + 1])
		return false;
	return strspn(arg + k + 1, "0123456789") == strlen(arg + k + 1);
}

/*
 * QEMU runs in a process group of its own (rig/boot's), so it is found by
 * the one thing unique to the job: its "-serial file:LOG" argument (LOG or
 * LOG.N for the boots after a crash). Kill every such process; returns how
 * many are still alive after 5 s.
 */
static int kill_log_qemu(const char *log_path)
{
	char want[PATH_MAX + 8];
	int round, left = 0;

	if (!log_path || !*log_path)
		return 0;
	snprintf(want, sizeof(want), "file:%s", log_path);
	for (round = 0; round < 50; round++) {
		struct dirent *d;
		DIR *dir = opendir("/proc");

		if (!dir)
			return 0;
		left = 0;
		while ((d = readdir(dir))) {
			char buf[8192];
			pid_t pid = (pid_t)atoi(d->d_name);
			size_t n, off;

			if (pid <= 0 || pid == getpid())
				continue;
			n = proc_cmdline(pid, buf, sizeof(buf));
			for (off = 0; off < n; off += strlen(buf + off) + 1) {
				if (arg_is_console(buf + off, want)) {
					if (round == 0)
						lab_warn("qemu: killing leftover QEMU %d (%s)",
							 (int)pid, log_path);
					kill(pid, SIGKILL);
					left++;
					break;
				}
			}
		}
		closedir(dir);
		if (!left)
			return 0;
		usleep(100 * 1000);
	}
	return left;
}

/*
 * Stop the group led by @pid (lab_proc_kill_group: SIGTERM, then SIGKILL;
 * rig/boot kills its QEMU on SIGTERM), then make sure no QEMU writing
 * @log_path is left. Returns 0 or -EBUSY when something survived.
 */
static int kill_group(pid_t pid, bool reaped, const char *log_path)
{
	if (lab_proc_kill_group(pid, reaped)) {
		lab_error("qemu: process group %d survived SIGKILL", (int)pid);
		return -EBUSY;
	}
	if (kill_log_qemu(log_path)) {
		lab_error("qemu: a QEMU writing %s survived SIGKILL", log_path);
		return -EBUSY;
	}
	return 0;
}

/* the last @max bytes of @text, as excerpt */
static void add_excerpt(char *reason, const char *text, size_t max)
{
	lab_runlog_excerpt(reason, LAB_REASON_MAX, text, max, false);
}

/* the tail of a file, as excerpt */
static void add_file_tail(char *reason, const char *path)
{
	size_t n = 0;
	char *buf = lab_runlog_read(path, LAB_QEMU_LOG_MAX, &n);

	if (buf) {
		while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = '\0';
		add_excerpt(reason, buf, LAB_QEMU_EXCERPT);
	}
	free(buf);
}

static void run_free(struct lab_run *run)
{
	struct qemu_run *q = run->priv;

	if (!q)
		return;
	lab_isolate_clear(&q->iso);
	lab_artifacts_clear(&q->art);
	free(q);
	run->priv = NULL;
}

/*
 * The fault injection request of a job, or NULL: a case filter whose first
 * item is "fault.KIND" asks the guest to misbehave on purpose
 * (iommulab.fault=KIND): panic, hang, garbage, norecords (the agent, instead
 * of running cases), warn, oops, kpanic (a real kernel fault in the probe
 * module's case fault.KIND before the cases), boot (rig/init.sh panics the
 * kernel before the agent starts). The items after it ("fault.oops,kmod.*")
 * are the case filter (*@rest, NULL: none; untouched when the filter asks
 * for no fault). No case id starts with "fault.",
 * and the plan API accepts the filter as is.
 */
static const char *job_fault(const struct lab_job *j, char *buf, size_t len, const char **rest)
{
	const char *f = j->case_filter, *comma;
	size_t k;

	if (!f || strncmp(f, "fault.", 6))
		return NULL;	/* *@rest stays: the whole filter */
	*rest = NULL;
	comma = strchr(f, ',');
	k = comma ? (size_t)(comma - f - 6) : strlen(f + 6);
	if (k == 0 || k >= len)
		return NULL;
	snprintf(buf, len, "%.*s", (int)k, f + 6);
	if (!lab_artifacts_name_ok(buf))
		return NULL;
	if (comma && comma[1])
		*rest = comma + 1;
	return buf;
}

/*
 * A kernel registered by name only ("6.12") learns its release and image
 * from its first preparation, so later jobs skip the archive lookup.
 */
static void note_kernel(struct lab_run *run, struct qemu_run *q)
{
	const char *src = run->kernel->source ? run->kernel->source : "debian";
	struct lab_kernel k;

	/* built kernels (kernels/build) learn theirs the same way, and a new
	 * one when their recipe's tree@ref moved; so do kernels their users
	 * brought (url, local: kernels/import) */
	bool relearn = !strcmp(src, "build") || !strcmp(src, "url") || !strcmp(src, "local");

	if (!q->art.release || (strcmp(src, "debian") && !relearn))
		return;
	if (run->kernel->release && *run->kernel->release &&
	    (!relearn || !strcmp(run->kernel->release, q->art.release)))
		return;
	k = *run->kernel;
	k.release = q->art.release;
	k.image_path = q->art.kernel;
	if (lab_store_kernel_put(run->store, &k))
		lab_warn("qemu: could not record release %s of kernel %s",
			 q->art.release, run->kernel->name);
}

/* remember the phase's process group in the store: a restarted server
 * kills what a dead one left behind (qemu_recover); and, from the boot on,
 * the console log: a job has a log (has_log) only when its guest booted,
 * not when its preparation failed (its prep log says why) */
static void note_pgid(struct lab_run *run, struct qemu_run *q)
{
	char id[32];

	snprintf(id, sizeof(id), "pgid:%d", (int)q->pid);
	lab_store_job_set_backend(run->store, run->job->id, id,
				  q->phase == PH_BOOT ? q->log_path : NULL);
}

/*
 * Crash isolation (isolate.h): a boot after a case crashed the guest starts
 * the agent at the next case run (iommulab.resume=N) and writes its console
 * to LOG.N (N: the boot's number); its text is appended to the job's log
 * when it ends (append_console), so the job's log holds every boot.
 */
static void append_resume(const struct qemu_run *q, char *append, size_t len)
{
	size_t l = strlen(append);

	if (q->iso.resume > 1)
		snprintf(append + l, len - l, "%siommulab.resume=%d", l ? " " : "",
			 q->iso.resume);
}

static int set_console(struct qemu_run *q)
{
	int k = q->iso.boots + 1;

	if (k == 1)
		return snprintf(q->console, sizeof(q->console), "%s", q->log_path) >=
		       (int)sizeof(q->console) ? -ENAMETOOLONG : 0;
	return snprintf(q->console, sizeof(q->console), "%s.%d", q->log_path, k) >=
	       (int)sizeof(q->console) ? -ENAMETOOLONG : 0;
}

/*
 * Onto the job's log: a reboot's console @text (boot @boot > 1; the first
 * boot's console is the job's log), then "iommulab-runner: @note" when
 * crash isolation said something.
 */
static void append_console(struct qemu_run *q, int boot, const char *text, size_t len,
			   const char *note)
{
	bool own = strcmp(q->console, q->log_path) != 0;
	FILE *f;

	if (!own && !*note)
		return;
	f = fopen(q->log_path, "ae");
	if (!f) {
		lab_warn("qemu: cannot append to %s: %s", q->log_path, strerror(errno));
		return;
	}
	if (own) {
		fprintf(f, "\niommulab-runner: boot %d, console %s follows\n", boot, q->console);
		fwrite(text, 1, len, f);
	}
	if (*note)
		fprintf(f, "\niommulab-runner: boot %d: %s\n", boot, note);
	fclose(f);
	if (own)
		unlink(q->console);
}

static int start_boot(struct lab_run *run, struct qemu_run *q, char *reason)
{
	const struct lab_job *j = run->job;
	char target_file[PATH_MAX], append[1024], timeout[32], fault[64];
	const char *filter = j->case_filter, *fault_kind;
	char *argv[16];
	char boot[PATH_MAX];
	size_t n = 0;
	int ret;

	if (set_console(q)) {
		snprintf(reason, LAB_REASON_MAX, "console log path too long");
		return -ENAMETOOLONG;
	}
	if (snprintf(boot, sizeof(boot), "%s/rig/boot", run->cfg->top) >= (int)sizeof(boot)) {
		snprintf(reason, LAB_REASON_MAX, "repo path too long");
		return -ENAMETOOLONG;
	}
	if (snprintf(target_file, sizeof(target_file), "%s/%s/%s.json",
		     run->cfg->targets_dir, run->target->arch,
		     run->target->name) >= (int)sizeof(target_file)) {
		snprintf(reason, LAB_REASON_MAX, "target path too long");
		return -ENAMETOOLONG;
	}
	if (access(target_file, R_OK)) {
		snprintf(reason, LAB_REASON_MAX, "target file %.1024s: %s",
			 target_file, strerror(errno));
		return -ENOENT;	/* a configuration error (qemu_poll) */
	}
	append[0] = '\0';
	fault_kind = job_fault(j, fault, sizeof(fault), &filter);
	if (fault_kind)
		snprintf(append, sizeof(append), "iommulab.fault=%s", fault_kind);
	if (filter && *filter) {
		/* the filter is a glob of case ids: [a-z0-9_.*?-] only */
		const char *c;
		size_t l = strlen(append);

		for (c = filter; *c; c++)
			if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789_.*?-,", *c)) {
				snprintf(reason, LAB_REASON_MAX,
					 "case filter '%.64s' has a character outside [a-z0-9_.*?,-]",
					 j->case_filter);
				return -EINVAL;
			}
		snprintf(append + l, sizeof(append) - l, "%siommulab.filter=%s", l ? " " : "",
			 filter);
	}
	append_resume(q, append, sizeof(append));
	if (j->repeat > 1) {
		size_t l = strlen(append);

		snprintf(append + l, sizeof(append) - l, "%siommulab.repeat=%d",
			 l ? " " : "", j->repeat);
	}
	snprintf(timeout, sizeof(timeout), "%d", j->timeout_s);

	argv[n++] = boot;
	argv[n++] = "--target";
	argv[n++] = target_file;
	argv[n++] = "--kernel";
	argv[n++] = q->art.kernel;
	argv[n++] = "--initrd";
	argv[n++] = q->art.initrd;
	argv[n++] = "--log";
	argv[n++] = q->console;
	argv[n++] = "--timeout";
	argv[n++] = timeout;
	if (*append) {
		argv[n++] = "--append";
		argv[n++] = append;
	}
	argv[n] = NULL;

	ret = lab_proc_spawn_group(argv, q->boot_log, &q->pid);
	if (ret) {
		snprintf(reason, LAB_REASON_MAX, "cannot start rig/boot: %s",
			 strerror(-ret));
		return ret;
	}
	q->phase = PH_BOOT;
	q->phase_t0 = now_mono();
	q->boot_start_wall = now_wall();
	note_pgid(run, q);
	q->timeout_s = j->timeout_s + LAB_QEMU_GRACE_S;
	lab_info("qemu: job %lld boots %s on %s (pid %d, log %s%s)",
		 (long long)j->id, q->art.release ? q->art.release : "?",
		 run->target->name, (int)q->pid, q->console,
		 q->iso.resume > 1 ? ", after a crash" : "");
	return 0;
}

static int qemu_start(struct lab_run *run, char *reason)
{
	const struct lab_config *cfg = run->cfg;
	struct qemu_run *q;
	char logs[PATH_MAX];
	int ret;

	reason[0] = '\0';
	q = calloc(1, sizeof(*q));
	if (!q) {
		snprintf(reason, LAB_REASON_MAX, "out of memory");
		return -ENOMEM;
	}
	if (snprintf(logs, sizeof(logs), "%s/logs", cfg->state_dir) >= (int)sizeof(logs)) {
		snprintf(reason, LAB_REASON_MAX, "state dir path too long");
		ret = -ENAMETOOLONG;
		goto err_free_run;
	}
	ret = lab_proc_mkdir_p(logs);
	if (ret) {
		snprintf(reason, LAB_REASON_MAX, "cannot create %.1024s: %s", logs,
			 strerror(-ret));
		goto err_free_run;
	}
	/* the job's files, named as joblogs.h names them for their readers */
	if (lab_joblog_path(cfg->state_dir, run->job->id, LAB_JOBLOG_CONSOLE, q->log_path,
			    sizeof(q->log_path)) ||
	    lab_joblog_path(cfg->state_dir, run->job->id, LAB_JOBLOG_PREP, q->prep_log,
			    sizeof(q->prep_log)) ||
	    lab_joblog_path(cfg->state_dir, run->job->id, LAB_JOBLOG_BOOT, q->boot_log,
			    sizeof(q->boot_log)) ||
	    lab_joblog_path(cfg->state_dir, run->job->id, LAB_JOBLOG_ARTIFACTS, q->result_path,
			    sizeof(q->result_path)) ||
	    lab_joblog_path(cfg->state_dir, run->job->id, LAB_JOBLOG_TIMES, q->times_path,
			    sizeof(q->times_path))) {
		snprintf(reason, LAB_REASON_MAX, "state dir path too long");
		ret = -ENAMETOOLONG;
		goto err_free_run;
	}
	unlink(q->log_path);
	unlink(q->times_path);
	q->start_wall = now_wall();
	q->ingest_s = -1;
	lab_isolate_init(&q->iso);
	ret = lab_artifacts_start(cfg, run->kernel, run->target->arch, q->result_path,
				  q->prep_log, &q->pid, reason, LAB_REASON_MAX);
	if (ret)
		goto err_free_run;
	q->phase = PH_PREPARE;
	q->phase_t0 = now_mono();
	q->timeout_s = LAB_QEMU_PREPARE_S;
	run->priv = q;
	note_pgid(run, q);
	return 0;

err_free_run:
	free(q);
	return ret;
}

/* store the records crash isolation kept (isolate.h); DONE, BAD_RESULTS
 * (a claimed verdict the server's judgement refuses) or INFRA */
static enum lab_run_status store_kept(struct lab_run *run, struct qemu_run *q,
				      const struct lab_ingest_job *ij, double t_scan, char *reason)
{
	char why[LAB_INGEST_WHY_MAX];
	int ret = lab_ingest_store(run->store, ij, q->iso.res, q->iso.n, why, sizeof(why));

	q->ingest_s = now_wall() - t_scan;
	if (ret == -EPROTO) {	/* a verdict the server computes otherwise (ingest.h) */
		snprintf(reason, LAB_REASON_MAX, "bad results: %s", why);
		return LAB_RUN_BAD_RESULTS;
	}
	if (ret) {
		snprintf(reason, LAB_REASON_MAX, "storing %zu results failed: %s",
			 q->iso.n, strerror(-ret));
		return LAB_RUN_INFRA;
	}
	lab_info("qemu: job %lld done, %zu results stored (%d boot(s), %d case crash(es)%s)",
		 (long long)run->job->id, q->iso.n, q->iso.boots, q->iso.crashes,
		 q->iso.have_boot ? ", a boot record" : "");
	return LAB_RUN_DONE;
}

/*
 * What crash isolation made of a boot (isolate.h): RUNNING after starting
 * the next boot, DONE (or INFRA when storing failed) after storing what it
 * kept. *@decided is false when isolation had nothing to say (NONE) and no
 * earlier boot kept records: then the caller's classification stands.
 */
static enum lab_run_status isolate_boot(struct lab_run *run, struct qemu_run *q,
					const struct lab_ingest_job *ij, const char *log,
					size_t len, struct lab_record_scan *scan, int exit_code,
					double t_scan, bool *decided, char *reason)
{
	enum lab_isolate_next next;
	int ret, boot = q->iso.boots + 1;

	*decided = true;
	ret = lab_isolate_boot(&q->iso, log, len, scan, exit_code == 124,
			       run->target->driver, LAB_QEMU_MAX_BOOTS, &next);
	append_console(q, boot, log, len, q->iso.note);
	if (ret) {
		snprintf(reason, LAB_REASON_MAX, "crash isolation: %s", strerror(-ret));
		return LAB_RUN_INFRA;
	}
	if (q->iso.note[0])
		lab_info("qemu: job %lld boot %d: %s", (long long)run->job->id, boot, q->iso.note);
	switch (next) {
	case LAB_ISOLATE_REBOOT:
		if (!start_boot(run, q, reason))
			return LAB_RUN_RUNNING;
		lab_warn("qemu: job %lld: the boot after a crash did not start: %s",
			 (long long)run->job->id, reason);
		reason[0] = '\0';
		return store_kept(run, q, ij, t_scan, reason);
	case LAB_ISOLATE_STORE:
		return store_kept(run, q, ij, t_scan, reason);
	case LAB_ISOLATE_NONE:
		break;
	}
	if (q->iso.n) {
		/* a boot after a crash ended with nothing to attribute: keep what was found */
		lab_warn("qemu: job %lld: boot %d ended without results (rig/boot exit %d); "
			 "runs from %d were not run", (long long)run->job->id, boot, exit_code,
			 q->iso.resume);
		return store_kept(run, q, ij, t_scan, reason);
	}
	*decided = false;
	return LAB_RUN_INFRA;
}

/*
 * rig/boot's exit 5: the target is known broken on the QEMU it would run
 * (its "known_broken", docs/targets.md) and was not booted; the console log
 * says why ("iommulab-boot: not booted: ..."). True with @reason set.
 */
#define BOOT_EXIT_KNOWN_BROKEN 5
static bool known_broken(const char *log, int exit_code, char *reason)
{
	return exit_code == BOOT_EXIT_KNOWN_BROKEN &&
	       lab_runlog_not_booted(log, reason, LAB_REASON_MAX);
}

/*
 * Classify a finished boot's console log: crash isolation first (a kernel
 * crash is a result, isolate.h), then, when it had nothing to say, the
 * infrastructure outcomes. RUNNING when the guest boots again.
 */
static enum lab_run_status scan_log(struct lab_run *run, struct qemu_run *q,
				    int exit_code, char *reason)
{
	double t_scan = now_wall();
	struct lab_record_scan scan;
	struct lab_ingest_job ij;
	enum lab_ingest_class cls;
	char why[LAB_INGEST_WHY_MAX];
	size_t len = 0;
	char *log = lab_runlog_read(q->console, LAB_QEMU_LOG_MAX, &len);
	const char *panic;
	enum lab_run_status st;
	bool decided;
	int ret;

	lab_ingest_job_of(run->job, run->target, run->kernel, &ij);
	if (!log) {
		snprintf(reason, LAB_REASON_MAX, "no console log %.1024s (rig/boot exit %d)",
			 q->console, exit_code);
		add_file_tail(reason, q->console);
		if (q->iso.n) {	/* a boot after a crash: keep what the others found */
			lab_warn("qemu: job %lld: %s", (long long)run->job->id, reason);
			reason[0] = '\0';
			return store_kept(run, q, &ij, t_scan, reason);
		}
		return LAB_RUN_INFRA;
	}

	/* a known limit of this QEMU, said once, not retried (not a silent timeout) */
	if (known_broken(log, exit_code, reason)) {
		st = LAB_RUN_CONFIG;
		goto out_free_log;
	}
	/* ingest.h: the same identity check and classification as LAVA and the API */
	ret = lab_ingest_scan_log(&ij, log, len, &scan, &cls, why, sizeof(why));
	if (ret) {
		if (ret == -ENOMEM)
			snprintf(reason, LAB_REASON_MAX, "out of memory scanning the log");
		else
			snprintf(reason, LAB_REASON_MAX, "scanning the log: %s", strerror(-ret));
		st = LAB_RUN_INFRA;
		goto out_free_log;
	}
	/* an unfinished log's BEGIN must be this job's too */
	if (cls == LAB_INGEST_UNFINISHED && scan.target[0] &&
	    lab_ingest_identity(&ij, "log (IOMMULAB-BEGIN)", scan.target, scan.kernel,
				scan.arch, why, sizeof(why)))
		cls = LAB_INGEST_BAD;
	if (cls == LAB_INGEST_BAD) {
		snprintf(reason, LAB_REASON_MAX, "bad results: %s", why[0] ? why : scan.error);
		st = LAB_RUN_BAD_RESULTS;
		goto out_clear_scan;
	}
	st = isolate_boot(run, q, &ij, log, len, &scan, exit_code, t_scan, &decided, reason);
	if (decided)
		goto out_clear_scan;

	panic = strstr(log, "Kernel panic - not syncing");
	if (panic) {
		/* isolation finds every panic; this is a guard */
		snprintf(reason, LAB_REASON_MAX, "guest kernel panic");
		lab_runlog_excerpt(reason, LAB_REASON_MAX, panic, LAB_QEMU_EXCERPT, true);
		st = LAB_RUN_INFRA;
		goto out_clear_scan;
	}
	if (exit_code == 124) {
		snprintf(reason, LAB_REASON_MAX,
			 "timeout: the guest did not finish within %ds (rig/boot exit 124)",
			 run->job->timeout_s);
		add_excerpt(reason, log, LAB_QEMU_EXCERPT);
		st = LAB_RUN_TIMEOUT;
		goto out_clear_scan;
	}
	snprintf(reason, LAB_REASON_MAX,
		 "no IOMMULAB-END: the run did not finish (%zu records seen, rig/boot exit %d)",
		 scan.n, exit_code);
	add_excerpt(reason, log, LAB_QEMU_EXCERPT);
	st = LAB_RUN_INFRA;

out_clear_scan:
	lab_record_scan_clear(&scan);
out_free_log:
	free(log);
	return st;
}

static enum lab_run_status qemu_poll(struct lab_run *run, char *reason)
{
	struct qemu_run *q = run->priv;
	enum lab_run_status st;
	int wst, code;
	pid_t r;

	reason[0] = '\0';
	if (!q) {
		snprintf(reason, LAB_REASON_MAX, "run has no state (not started)");
		return LAB_RUN_INFRA;
	}
	r = waitpid(q->pid, &wst, WNOHANG);
	if (r == 0) {
		if (now_mono() - q->phase_t0 <= q->timeout_s)
			return LAB_RUN_RUNNING;
		kill_group(q->pid, false, q->log_path);
		q->pid = 0;
		if (q->phase == PH_PREPARE) {
			snprintf(reason, LAB_REASON_MAX,
				 "artifact preparation took more than %ds", q->timeout_s);
			add_file_tail(reason, q->prep_log);
			st = LAB_RUN_INFRA;
		} else {
			snprintf(reason, LAB_REASON_MAX,
				 "timeout: guest killed after %ds", q->timeout_s);
			add_file_tail(reason, q->log_path);
			st = LAB_RUN_TIMEOUT;
		}
		goto out_final;
	}
	if (r < 0) {
		snprintf(reason, LAB_REASON_MAX, "waitpid %d: %s", (int)q->pid,
			 strerror(errno));
		kill_group(q->pid, true, q->log_path);
		q->pid = 0;
		st = LAB_RUN_INFRA;
		goto out_final;
	}
	code = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
	/* the leader is gone; nothing of its group may stay behind */
	if (kill_group(q->pid, true, q->log_path)) {
		snprintf(reason, LAB_REASON_MAX,
			 "processes of group %d survived; job abandoned", (int)q->pid);
		q->pid = 0;
		st = LAB_RUN_INFRA;
		goto out_final;
	}
	q->pid = 0;

	if (q->phase == PH_PREPARE) {
		int ret;

		if (code != 0) {
			char what[512];
			bool conf = lab_artifacts_config_failed(q->result_path, code,
								what, sizeof(what));

			/* configuration error: what, then the log's tail */
			snprintf(reason, LAB_REASON_MAX,
				 "artifact preparation failed (exit %d)%s%.400s", code,
				 conf && *what ? ": " : "", conf ? what : "");
			add_file_tail(reason, q->prep_log);
			st = conf ? LAB_RUN_CONFIG : LAB_RUN_INFRA;
			goto out_final;
		}
		q->prep_done_wall = file_mtime(q->result_path);
		ret = lab_artifacts_read(q->result_path, &q->art);
		if (ret) {
			snprintf(reason, LAB_REASON_MAX,
				 "artifact preparation left no usable result: %s",
				 strerror(-ret));
			add_file_tail(reason, q->prep_log);
			st = LAB_RUN_INFRA;
			goto out_final;
		}
		note_kernel(run, q);
		ret = start_boot(run, q, reason);
		if (ret) {
			/* a missing target file or a bad filter will not appear
			 * on a retry; failing to spawn might */
			st = ret == -ENOENT || ret == -EINVAL ? LAB_RUN_CONFIG : LAB_RUN_INFRA;
			goto out_final;
		}
		return LAB_RUN_RUNNING;
	}
	/* the job's first boot is its provenance (a reboot after a crash adds
	 * only iommulab.resume=, isolate.h) */
	if (!q->iso.boots)
		lab_provenance_note(run, &q->art, q->boot_log);	/* best effort, logs itself */
	st = scan_log(run, q, code, reason);
	if (st == LAB_RUN_RUNNING)
		return st;	/* booted again after a crash (isolate.h) */
	/* complete without the probe module: the job's warning (backend.h) */
	if (st == LAB_RUN_DONE && q->art.kmod_missing)
		snprintf(reason, LAB_REASON_MAX, "no probe module, kmod cases skipped: %.1500s",
			 q->art.kmod_missing);
	write_times(run, q);

out_final:
	run_free(run);
	return st;
}

static int qemu_cancel(struct lab_run *run)
{
	struct qemu_run *q = run->priv;
	int ret = 0;

	if (!q)
		return 0;
	ret = kill_group(q->pid, false, q->log_path);
	lab_info("qemu: job %lld canceled%s", (long long)run->job->id,
		 ret ? " (processes survived!)" : ", guest killed");
	run_free(run);
	return ret;
}

/* is @pid one of ours: rig/boot, QEMU, or the preparation shell? */
static bool proc_is_runner(pid_t pid)
{
	char buf[4096];
	size_t n = proc_cmdline(pid, buf, sizeof(buf)), i;

	for (i = 0; i < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	return strstr(buf, "rig/boot") || strstr(buf, "qemu-system") ||
	       strstr(buf, "iommulab-prepare");
}

/* does process group @pgid hold a runner process (from /proc/PID/stat)? */
static bool group_is_runner(pid_t pgid)
{
	struct dirent *d;
	bool hit = false;
	DIR *dir = opendir("/proc");

	if (!dir)
		return false;
	while (!hit && (d = readdir(dir))) {
		char path[300], buf[1024], *rp;
		long pg = 0;
		FILE *f;
		pid_t pid = (pid_t)atoi(d->d_name);

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", d->d_name);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (!fgets(buf, sizeof(buf), f))
			buf[0] = '\0';
		fclose(f);
		/* "pid (comm) state ppid pgrp ...": comm may hold spaces */
		rp = strrchr(buf, ')');
		if (!rp || sscanf(rp + 1, " %*c %*d %ld", &pg) != 1)
			continue;
		if (pg == pgid && proc_is_runner(pid))
			hit = true;
	}
	closedir(dir);
	return hit;
}

/*
 * The server died under this job: stop what is left of it. rig/boot's group
 * (from backend_job_id "pgid:N", checked to still hold one of our programs)
 * gets SIGTERM so rig/boot kills its QEMU, then SIGKILL; any QEMU still
 * writing the job's console log is killed by its log path.
 */
static int qemu_recover(const struct lab_job *job, const struct lab_config *cfg)
{
	long pgid = 0;

	(void)cfg;
	if (job->backend_job_id && sscanf(job->backend_job_id, "pgid:%ld", &pgid) == 1 &&
	    pgid > 1 && lab_proc_group_alive((pid_t)pgid) && group_is_runner((pid_t)pgid)) {
		lab_warn("qemu: job %lld: stopping process group %ld left by the previous server",
			 (long long)job->id, pgid);
		/* not our child: nothing to reap */
		lab_proc_kill_group((pid_t)pgid, true);
	}
	if (kill_log_qemu(job->log_path))
		return -EBUSY;
	return pgid > 1 && lab_proc_group_alive((pid_t)pgid) && group_is_runner((pid_t)pgid) ? -EBUSY : 0;
}

const struct lab_backend lab_backend_qemu = {
	.name = "qemu",
	.uses_host_slots = true,
	.start = qemu_start,
	.poll = qemu_poll,
	.cancel = qemu_cancel,
	.recover = qemu_recover,
};
