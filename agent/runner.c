/*
 * runner.c - forked, time-limited case execution and reporting (see runner.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "errnames.h"
#include "jsonw.h"
#include "kmsg.h"
#include "kreport.h"
#include "ktap.h"
#include "record.h"
#include "runner.h"

const char *lab_fault_name(enum lab_fault f)
{
	switch (f) {
	case LAB_FAULT_NONE: return "none";
	case LAB_FAULT_PANIC: return "panic";
	case LAB_FAULT_HANG: return "hang";
	case LAB_FAULT_GARBAGE: return "garbage";
	case LAB_FAULT_NORECORDS: return "norecords";
	case LAB_FAULT_WARN: return "warn";
	case LAB_FAULT_OOPS: return "oops";
	case LAB_FAULT_KPANIC: return "kpanic";
	case LAB_FAULT_BOOT: return "boot";
	}
	return "none";
}

int lab_fault_parse(const char *s, enum lab_fault *f)
{
	enum lab_fault all[] = { LAB_FAULT_NONE, LAB_FAULT_PANIC, LAB_FAULT_HANG,
				 LAB_FAULT_GARBAGE, LAB_FAULT_NORECORDS, LAB_FAULT_WARN,
				 LAB_FAULT_OOPS, LAB_FAULT_KPANIC, LAB_FAULT_BOOT };
	size_t i;

	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, lab_fault_name(all[i])) == 0) {
			*f = all[i];
			return 0;
		}
	return -EINVAL;
}

int lab_runner_selected(const struct lab_run_opts *o, const char *id)
{
	int i;

	if (!o->nfilters)
		return 1;
	for (i = 0; i < o->nfilters; i++)
		if (fnmatch(o->filters[i], id, 0) == 0)
			return 1;
	return 0;
}

static void json_contracts(struct lab_jw *w, const struct lab_contract *c)
{
	lab_jw_key(w, "contracts");
	lab_jw_arr_begin(w);
	for (; c && c->driver; c++) {
		lab_jw_obj_begin(w);
		lab_jw_kstr(w, "kernel_min", c->kernel_min);
		lab_jw_kstr(w, "kernel_max_excl", c->kernel_max_excl);
		lab_jw_kstr(w, "driver", c->driver);
		lab_jw_kstr(w, "expected", lab_errname(c->expected));
		lab_jw_kint(w, "expected_errno", c->expected);
		lab_jw_obj_end(w);
	}
	lab_jw_arr_end(w);
}

int lab_runner_list(const struct lab_run_opts *o, int json, int fd)
{
	static char buf[65536];
	const struct lab_case *const *all;
	struct lab_jw w;
	int n, i, j;

	all = lab_cases_all(&n);
	if (!json) {
		for (i = 0; i < n; i++) {
			char line[512];
			int l;

			if (!lab_runner_selected(o, all[i]->id))
				continue;
			l = snprintf(line, sizeof(line), "%-34s %s\n", all[i]->id,
				     all[i]->description);
			if (l >= (int)sizeof(line))
				l = (int)sizeof(line) - 1;
			if (lab_record_write(fd, line, (size_t)l))
				return -EIO;
		}
		return 0;
	}
	lab_jw_init(&w, buf, sizeof(buf) - 1);
	lab_jw_obj_begin(&w);
	lab_jw_kint(&w, "v", 1);
	lab_jw_key(&w, "cases");
	lab_jw_arr_begin(&w);
	for (i = 0; i < n; i++) {
		const struct lab_case *c = all[i];

		if (!lab_runner_selected(o, c->id))
			continue;
		lab_jw_obj_begin(&w);
		lab_jw_kstr(&w, "id", c->id);
		lab_jw_kstr(&w, "description", c->description);
		lab_jw_key(&w, "needs");
		lab_jw_arr_begin(&w);
		for (j = 0; c->needs && c->needs[j]; j++)
			lab_jw_str(&w, c->needs[j]);
		lab_jw_arr_end(&w);
		lab_jw_key(&w, "expect_reused");
		if (c->expect_reused < 0)
			lab_jw_null(&w);
		else
			lab_jw_bool(&w, c->expect_reused);
		json_contracts(&w, c->contracts);
		lab_jw_obj_end(&w);
	}
	lab_jw_arr_end(&w);
	lab_jw_obj_end(&w);
	if (lab_jw_ok(&w))
		return -ENOSPC;
	buf[w.len++] = '\n';
	return lab_record_write(fd, buf, w.len);
}

enum lab_verdict lab_runner_judge(const struct lab_case *c, const struct lab_env *env,
				  const struct lab_result *res,
				  const struct lab_contract **contract, char *why, size_t len)
{
	enum lab_verdict v;

	*contract = NULL;
	lab_contract_pick(c->contracts, env->release, res->driver, contract);
	switch (res->outcome) {
	case LAB_OUTCOME_SKIP:
		snprintf(why, len, "%s", res->reason);
		return LAB_VERDICT_SKIP;
	case LAB_OUTCOME_ERROR:
		snprintf(why, len, "%s", res->reason);
		return LAB_VERDICT_ERROR;
	case LAB_OUTCOME_FAIL:
		snprintf(why, len, "%s", res->reason);
		return LAB_VERDICT_FAIL;
	case LAB_OUTCOME_JUDGE:
		break;
	}
	v = lab_contract_judge(*contract, res->observed, why, len);
	if (v != LAB_VERDICT_PASS)
		return v;
	if (c->expect_reused >= 0 && res->observed == 0) {
		if (res->reused < 0) {
			snprintf(why, len, "domain reuse could not be checked");
			return LAB_VERDICT_ERROR;
		}
		if (res->reused != c->expect_reused) {
			snprintf(why, len, "expected the existing domain to be %s%s%s",
				 c->expect_reused ? "reused" : "not reused",
				 res->reason[0] ? ": " : "", res->reason);
			return LAB_VERDICT_FAIL;
		}
	}
	return LAB_VERDICT_PASS;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static const char *signame(int sig)
{
	switch (sig) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGABRT: return "SIGABRT";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	case SIGKILL: return "SIGKILL";
	case SIGTERM: return "SIGTERM";
	}
	return "signal";
}

/* read exactly @len bytes before @deadline_us; 1 done, 0 EOF/short, -ETIMEDOUT */
static int read_exact(int fd, void *buf, size_t len, long long deadline_us)
{
	size_t got = 0;

	while (got < len) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long long left = deadline_us - now_us();
		ssize_t n;
		int pr;

		if (left <= 0)
			return -ETIMEDOUT;
		pr = poll(&p, 1, (int)(left / 1000) + 1);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return pr == 0 ? -ETIMEDOUT : -errno;
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return 0;
		got += (size_t)n;
	}
	return 1;
}

/*
 * Read the child's results until its final one (partial == 0): 1 final in
 * @out, 2 only snapshots (the last in @out: the child died mid-case), 0
 * nothing, -ETIMEDOUT (the last snapshot, if any, in @out; @got_partial set).
 */
static int read_result(int fd, struct lab_result *out, long long deadline_us, int *got_partial)
{
	struct lab_result r;
	int rr;

	*got_partial = 0;
	for (;;) {
		rr = read_exact(fd, &r, sizeof(r), deadline_us);
		if (rr != 1)
			return rr == 0 && *got_partial ? 2 : rr;
		*out = r;
		if (!r.partial)
			return 1;
		*got_partial = 1;
	}
}

/* the last step a partial result recorded, "" when none */
static const char *last_step(const struct lab_result *r)
{
	if (r->nsteps <= 0 || r->nsteps > LAB_STEPS_MAX)
		return "";
	return r->steps[r->nsteps - 1].name;
}

/* keep a partial result the child sent (sanitised), with its ERROR reason set by the caller */
static void take_partial(struct lab_result *res, const struct lab_result *part)
{
	*res = *part;
	res->partial = 0;
	res->reason[sizeof(res->reason) - 1] = '\0';
	if (res->nsteps < 0 || res->nsteps > LAB_STEPS_MAX)
		res->nsteps = 0;
	for (int i = 0; i < res->nsteps; i++)
		res->steps[i].name[sizeof(res->steps[i].name) - 1] = '\0';
	res->driver[sizeof(res->driver) - 1] = '\0';
	res->iommu[sizeof(res->iommu) - 1] = '\0';
	res->device[sizeof(res->device) - 1] = '\0';
}

/* run one case in a child; the result (or the crash/timeout) lands in @res */
static void run_forked(const struct lab_case *c, const struct lab_env *env, int timeout_s,
		       struct lab_result *res)
{
	struct lab_result child_res;
	int pfd[2], status = 0, rr, partial = 0;
	char after[64] = "", last[64] = "";
	long long deadline;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC)) {
		lab_result_out(res, LAB_OUTCOME_ERROR, "pipe: %s", lab_errname(errno));
		return;
	}
	pid = fork();
	if (pid < 0) {
		lab_result_out(res, LAB_OUTCOME_ERROR, "fork: %s", lab_errname(errno));
		close(pfd[0]);
		close(pfd[1]);
		return;
	}
	if (pid == 0) {
		close(pfd[0]);
		child_res = *res;
		lab_result_stream(pfd[1]);
		child_res.outcome = c->run(env, &child_res);
		child_res.partial = 0;
		if (lab_record_write(pfd[1], (const char *)&child_res, sizeof(child_res)))
			_exit(3);
		_exit(0);
	}
	close(pfd[1]);
	deadline = now_us() + (long long)timeout_s * 1000000;
	rr = read_result(pfd[0], &child_res, deadline, &partial);
	close(pfd[0]);
	if (partial && rr != 1) {
		take_partial(res, &child_res);
		snprintf(after, sizeof(after), " after step %s", last_step(res));
		snprintf(last, sizeof(last), " (last step %s)", last_step(res));
	}
	if (rr == -ETIMEDOUT) {
		kill(pid, SIGKILL);
		/* a child stuck in the kernel may not die; do not wait forever */
		for (int i = 0; i < 50 && waitpid(pid, &status, WNOHANG) == 0; i++)
			usleep(100000);
		lab_result_out(res, LAB_OUTCOME_ERROR, "timeout after %d s%s: case killed", timeout_s,
			       last);
		return;
	}
	waitpid(pid, &status, 0);
	if (rr == 1) {
		*res = child_res;
		res->reason[sizeof(res->reason) - 1] = '\0';
		if (res->nsteps < 0 || res->nsteps > LAB_STEPS_MAX)
			res->nsteps = 0;
		return;
	}
	if (WIFSIGNALED(status))
		lab_result_out(res, LAB_OUTCOME_ERROR, "case crashed%s: %s (%d)", after,
			       signame(WTERMSIG(status)), WTERMSIG(status));
	else
		lab_result_out(res, LAB_OUTCOME_ERROR, "case exited with status %d without a result%s",
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1, after);
}

static int console_level_get(void)
{
	char buf[32] = "";
	int fd = open("/proc/sys/kernel/printk", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	return atoi(buf);
}

static int console_level_set(int level)
{
	char buf[16];
	int fd = open("/proc/sys/kernel/printk", O_WRONLY | O_CLOEXEC);
	int n, ret = 0;

	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%d\n", level);
	if (write(fd, buf, (size_t)n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Quiet windows: the console shows kernel warnings and worse (rig/init.sh
 * sets level 5) except while the agent writes its own lines: then only
 * KERN_EMERG passes, and the window closes once the tty has sent them
 * (tcdrain), so a kernel message never lands inside a record line. What the
 * kernel logs meanwhile still reaches /dev/kmsg (and the next case's window
 * or the between-cases check). @saved is the level to go back to, <= 0:
 * windows off (--root runs, unreadable printk).
 */
static void quiet_begin(int saved)
{
	if (saved > 1)
		console_level_set(1);
}

static void quiet_end(int saved)
{
	if (saved <= 1)
		return;
	tcdrain(1);
	console_level_set(saved);
}

static void write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, s, strlen(s)) < 0) {
		/* nothing left to do: the caller reports the fault itself */
	}
	close(fd);
}

static void fault_before_cases(const struct lab_run_opts *o)
{
	switch (o->fault) {
	case LAB_FAULT_PANIC:
		lab_ktap_diag(1, "fault=panic: crashing the kernel via sysrq");
		write_file("/proc/sys/kernel/sysrq", "1");
		write_file("/proc/sysrq-trigger", "c");
		lab_ktap_diag(1, "fault=panic: sysrq-trigger did not crash the kernel");
		for (;;)
			pause();
	case LAB_FAULT_HANG:
		lab_ktap_diag(1, "fault=hang: hanging forever");
		for (;;)
			pause();
	case LAB_FAULT_GARBAGE: {
		static const char bad[] = "IOMMULAB-REC {\"v\":1,\"id\":\"fault.garbage\",\"verdict\":\"pa\n";

		lab_ktap_diag(1, "fault=garbage: one malformed record line follows");
		lab_record_write(1, bad, sizeof(bad) - 1);
		break;
	}
	case LAB_FAULT_NONE:
	case LAB_FAULT_NORECORDS:
	case LAB_FAULT_WARN:
	case LAB_FAULT_OOPS:
	case LAB_FAULT_KPANIC:
	case LAB_FAULT_BOOT:
		break;
	}
}

/*
 * The kernel's side of one case (kmsg.h): mark the log and read the taint
 * before it runs, then collect what it logged and judge it (kreport.h).
 */
struct kwatch {
	struct lab_kmsg km;
	const char *root;
	struct lab_klines lines;
	struct lab_klog klog;
	char excerpt[16384];
};

static void kwatch_before(struct kwatch *kw)
{
	struct lab_kreport r[4];
	int n, i;

	/* what the kernel logged since the last case belongs to no case: say so */
	if (kw->km.fd >= 0 && !lab_kmsg_collect(&kw->km, &kw->lines)) {
		n = lab_kreport_scan(&kw->lines, r, 4);
		for (i = 0; i < n && i < 4; i++)
			lab_ktap_diag(1, "kernel %s outside any case: %s", r[i].pat->kind,
				      lab_klines_get(&kw->lines, r[i].start));
	}
	kw->klog.have_taint = !lab_taint_read(kw->root, &kw->klog.taint_before);
}

static enum lab_verdict kwatch_after(struct kwatch *kw, enum lab_verdict v, char *why,
				     size_t len)
{
	const struct lab_klines *l = NULL;

	if (kw->km.fd >= 0 && !lab_kmsg_collect(&kw->km, &kw->lines))
		l = &kw->lines;
	if (kw->klog.have_taint && lab_taint_read(kw->root, &kw->klog.taint_after))
		kw->klog.have_taint = 0;
	return lab_kreport_judge(l, v, why, len, &kw->klog, kw->excerpt, sizeof(kw->excerpt));
}

/*
 * The in-flight line, a KTAP diagnostic printed (and drained to the
 * console) before case number @num starts: when the guest dies during the
 * case, the console's last such line names it (docs/records.md).
 */
static void print_start(int num, const char *id, int rep)
{
	char line[256];
	int n;

	n = snprintf(line, sizeof(line), "# IOMMULAB-START {\"v\":1,\"n\":%d,\"id\":\"%s\",\"repeat\":%d}\n",
		     num, id, rep);
	if (n > 0 && n < (int)sizeof(line))
		lab_record_write(1, line, (size_t)n);
}

int lab_runner_run(const struct lab_env *env, const struct lab_run_opts *o)
{
	static struct kwatch kw;
	const struct lab_case *const *all;
	const struct lab_case *sel[64];
	char line[LAB_RECORD_MAX];
	int n, nsel = 0, i, rep, num = 0, records = 0, bad = 0, level = -1, len, skip;
	int counts[LAB_VERDICT_LAST + 1] = { 0 };

	if (o->fault == LAB_FAULT_NORECORDS) {
		lab_ktap_diag(1, "fault=norecords: exiting without records");
		return 0;
	}
	all = lab_cases_all(&n);
	if (o->fault == LAB_FAULT_WARN)
		sel[nsel++] = &lab_case_fault_warn;
	else if (o->fault == LAB_FAULT_OOPS)
		sel[nsel++] = &lab_case_fault_oops;
	else if (o->fault == LAB_FAULT_KPANIC)
		sel[nsel++] = &lab_case_fault_kpanic;
	for (i = 0; i < n && nsel < (int)(sizeof(sel) / sizeof(sel[0])); i++)
		if (lab_runner_selected(o, all[i]->id))
			sel[nsel++] = all[i];
	kw.root = env->root;
	if (lab_kmsg_open(&kw.km, env->root))
		kw.km.fd = -1;	/* no kernel log: records carry no kernel keys */
	if (o->quiet_console)
		level = console_level_get();
	quiet_begin(level);
	skip = o->resume > 1 ? o->resume - 1 : 0;
	if (skip > nsel * o->repeat)
		skip = nsel * o->repeat;
	lab_ktap_header(1, nsel * o->repeat - skip);
	lab_env_print(env, stdout);
	lab_ktap_diag(1, "iommulab-agent: target %s, %d case(s) x %d, timeout %d s%s", o->target,
		      nsel, o->repeat, o->timeout_s, o->lava ? ", lava" : "");
	len = lab_record_format_begin(line, sizeof(line), o->target, env->release, env->machine,
				      nsel * o->repeat - skip);
	if (len > 0)
		lab_record_write(1, line, (size_t)len);
	if (skip)
		lab_ktap_diag(1, "iommulab-agent: resuming at case run %d (%d before it skipped)",
			      skip + 1, skip);
	quiet_end(level);
	if (!skip)
		fault_before_cases(o);

	for (rep = 0; rep < o->repeat; rep++) {
		for (i = 0; i < nsel; i++) {
			const struct lab_case *c = sel[i];
			const struct lab_contract *contract = NULL;
			char why[LAB_REASON_LEN], need_why[LAB_REASON_LEN];
			struct lab_result res;
			struct lab_record rec;
			enum lab_verdict v;
			long long t0 = now_us();
			int j, unmet = 0;

			if (num < skip) {
				num++;	/* ran in an earlier boot: keep its number */
				continue;
			}
			lab_result_init(&res, env);
			for (j = 0; c->needs && c->needs[j] && !unmet; j++)
				if (lab_env_check_need(env, c->needs[j], need_why, sizeof(need_why)))
					unmet = 1;
			kwatch_before(&kw);
			quiet_begin(level);
			print_start(num + 1, c->id, rep);
			quiet_end(level);
			if (unmet)
				lab_result_out(&res, LAB_OUTCOME_SKIP, "%s", need_why);
			else
				run_forked(c, env, o->timeout_s, &res);
			v = lab_runner_judge(c, env, &res, &contract, why, sizeof(why));
			v = kwatch_after(&kw, v, why, sizeof(why));
			counts[v]++;
			if (v != LAB_VERDICT_PASS && v != LAB_VERDICT_SKIP)
				bad = 1;
			rec = (struct lab_record){
				.id = c->id, .target = o->target, .kernel = env->release,
				.arch = env->machine, .res = &res, .contract = contract,
				.verdict = v, .reason = why, .duration_us = now_us() - t0,
				.repeat = rep, .klog = kw.km.fd >= 0 || kw.klog.have_taint ? &kw.klog : NULL,
			};
			len = lab_record_format(&rec, line, sizeof(line));
			quiet_begin(level);
			if (len > 0 && !lab_record_write(1, line, (size_t)len))
				records++;
			lab_ktap_result(1, ++num - skip, c->id, v, why);	/* KTAP counts this boot's runs */
			if (o->lava)
				lab_ktap_lava(1, c->id, v, res.observed);
			quiet_end(level);
		}
	}
	quiet_begin(level);
	len = lab_record_format_end(line, sizeof(line), records, "ok");
	if (len > 0)
		lab_record_write(1, line, (size_t)len);
	lab_ktap_diag(1, "totals: pass:%d fail:%d skip:%d error:%d crash:%d warn:%d",
		      counts[LAB_VERDICT_PASS], counts[LAB_VERDICT_FAIL], counts[LAB_VERDICT_SKIP],
		      counts[LAB_VERDICT_ERROR], counts[LAB_VERDICT_CRASH], counts[LAB_VERDICT_WARN]);
	lab_kmsg_close(&kw.km);
	quiet_end(level);
	return bad;
}
