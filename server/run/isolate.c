/* SPDX-License-Identifier: GPL-2.0 */
/*
 * isolate.c - crash isolation for the QEMU runner (see isolate.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "isolate.h"

/*
 * Panics that say the guest's set-up is broken, not the kernel: no init in
 * the initramfs, no root file system (a missing or corrupt initramfs, a bad
 * command line). Alone (no oops or BUG before them: "Attempted to kill
 * init!" after an oops in init's context is that oops' doing) they leave
 * the outcome to the caller: infrastructure, retried.
 */
static const char *const setup_panics[] = {
	"No working init found",
	"Requested init ",
	"Unable to mount root fs",
	"Attempted to kill init!",
	NULL,
};

static bool setup_panic(const struct lab_console_report *rep)
{
	const char *const *p;

	if (!rep->kind || strcmp(rep->kind, "panic"))
		return false;
	for (p = setup_panics; *p; p++)
		if (strstr(rep->worst, *p))
			return true;
	return false;
}

void lab_isolate_init(struct lab_isolate *iso)
{
	memset(iso, 0, sizeof(*iso));
	iso->resume = 1;
}

void lab_isolate_clear(struct lab_isolate *iso)
{
	size_t i;

	for (i = 0; i < iso->n; i++)
		lab_result_clear(&iso->res[i]);
	free(iso->res);
	lab_isolate_init(iso);
}

static int grow(struct lab_isolate *iso, size_t more)
{
	struct lab_result *r;
	size_t cap;

	if (iso->n + more <= iso->cap)
		return 0;
	cap = iso->cap ? iso->cap * 2 : 64;
	while (cap < iso->n + more)
		cap *= 2;
	r = realloc(iso->res, cap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	iso->res = r;
	iso->cap = cap;
	return 0;
}

/* move the scan's records into @iso (the scan keeps none) */
static int keep_scan(struct lab_isolate *iso, struct lab_record_scan *scan)
{
	int ret = grow(iso, scan->n + 1);

	if (ret)
		return ret;
	if (!scan->n)
		return 0;	/* scan->res may be NULL */
	memcpy(iso->res + iso->n, scan->res, scan->n * sizeof(*scan->res));
	iso->n += scan->n;
	memset(scan->res, 0, scan->n * sizeof(*scan->res));
	scan->n = 0;
	return 0;
}

/* did this boot print the record of case @id, repetition @rep? */
static bool scan_has(const struct lab_record_scan *scan, const char *id, int rep)
{
	size_t i;

	for (i = 0; i < scan->n; i++)
		if (scan->res[i].repeat == rep && !strcmp(scan->res[i].case_id, id))
			return true;
	return false;
}

/*
 * Append a record the console gave: @id, verdict @v, kind @kind, the
 * excerpt (taken: *@excerpt becomes NULL) and @reason.
 */
static int add_record(struct lab_isolate *iso, const char *id, int repeat, const char *driver,
		      enum lab_verdict v, const char *kind, char **excerpt, const char *reason)
{
	struct lab_result *r;
	int ret = grow(iso, 1);

	if (ret)
		return ret;
	r = &iso->res[iso->n];
	memset(r, 0, sizeof(*r));
	r->case_id = strdup(id);
	r->driver = strdup(driver && *driver ? driver : "none");
	r->iommu = strdup("");
	r->steps_json = strdup("[]");
	r->reason = strdup(reason);
	r->verified = strdup("none");
	r->kernel_kind = strdup(kind);
	if (!r->case_id || !r->driver || !r->iommu || !r->steps_json || !r->reason ||
	    !r->verified || !r->kernel_kind) {
		lab_result_clear(r);
		return -ENOMEM;
	}
	r->expected = -1;
	r->reused = -1;
	r->verdict = v;
	r->repeat = repeat;
	r->kernel_excerpt = *excerpt;
	*excerpt = NULL;
	iso->n++;
	return 0;
}

static enum lab_verdict verdict_of(enum lab_kclass c)
{
	return c == LAB_KCLASS_CRASH ? LAB_VERDICT_CRASH : LAB_VERDICT_WARN;
}

/* a "boot" record from the report @rep found before any case */
static int add_boot(struct lab_isolate *iso, struct lab_console_report *rep, const char *driver,
		    bool died)
{
	char why[LAB_CONSOLE_LINE_MAX + 128];

	if (iso->have_boot)
		return 0;
	snprintf(why, sizeof(why), "kernel %s before the first case%s: %s", rep->kind,
		 died ? " (the guest did not reach a case)" : "", rep->worst);
	iso->have_boot = true;
	return add_record(iso, LAB_ISOLATE_BOOT_ID, 0, driver,
			  died ? LAB_VERDICT_CRASH : verdict_of(rep->cls), rep->kind,
			  &rep->excerpt, why);
}

/*
 * Watchdogs that measure time: under TCG on a loaded host a vCPU starves
 * and the kernel reports an RCU stall or a lockup at boot that says more
 * about the host than about the kernel (seen: "rcu: INFO: rcu_preempt
 * detected stalls" at load 12 on 2 cores). A boot that went on is not
 * given a record for them alone; they stay in the job's log. (A guest that
 * died keeps every report in its excerpt.)
 */
static const char *const timing_kinds[] = {
	"rcu_stall", "soft_lockup", "hard_lockup", "hung_task", "workqueue_lockup", NULL,
};

/* a report in the boot window @log[0, @begin) of a guest that went on */
static int boot_before_begin(struct lab_isolate *iso, const char *log, size_t begin,
			     const char *driver)
{
	struct lab_console_report rep;
	int ret = lab_console_report_find(log, begin, timing_kinds, &rep);

	if (ret || !rep.kind)
		return ret;
	ret = add_boot(iso, &rep, driver, false);
	if (!ret)
		snprintf(iso->note, sizeof(iso->note), "boot record: kernel %s before the first case",
			 rep.kind);
	lab_console_report_clear(&rep);
	return ret;
}

int lab_isolate_boot(struct lab_isolate *iso, const char *log, size_t len,
		     struct lab_record_scan *scan, bool timed_out, const char *driver,
		     int max_boots, enum lab_isolate_next *next)
{
	struct lab_console_report rep = { 0 };
	struct lab_console_start st;
	int cases, ret, total, resume = iso->resume;
	size_t begin = lab_console_begin_at(log, len, &cases);

	*next = LAB_ISOLATE_NONE;
	iso->note[0] = '\0';
	iso->boots++;

	if (scan->status == LAB_SCAN_OK) {
		/* finished: a report before BEGIN on the first boot is the boot's */
		ret = keep_scan(iso, scan);
		if (!ret && iso->boots == 1)
			ret = boot_before_begin(iso, log, begin, driver);
		if (!ret)
			*next = LAB_ISOLATE_STORE;
		return ret;
	}
	if (scan->status != LAB_SCAN_NO_END)
		return 0;

	lab_console_last_start(log, len, &st);
	if (!st.found || st.after < begin) {
		/* no case started: only a kernel report makes this a result */
		ret = lab_console_report_find(log, len, NULL, &rep);
		if (ret)
			return ret;
		if (rep.cls != LAB_KCLASS_CRASH || setup_panic(&rep)) {
			/* a warning the kernel went on after did not stop the guest;
			 * a panic for want of init or root is the set-up's */
			lab_console_report_clear(&rep);
			return 0;
		}
		ret = keep_scan(iso, scan);
		if (!ret)
			ret = add_boot(iso, &rep, driver, true);
		if (!ret) {
			snprintf(iso->note, sizeof(iso->note),
				 "kernel %s before the first case of boot %d: boot record; no reboot (it would crash again)",
				 rep.kind, iso->boots);
			*next = LAB_ISOLATE_STORE;
		}
		lab_console_report_clear(&rep);
		return ret;
	}
	if (scan_has(scan, st.id, st.repeat))
		return 0;	/* stopped between cases: nothing to attribute */

	ret = lab_console_report_find(log + st.after, len - st.after, NULL, &rep);
	if (ret)
		return ret;
	if (rep.cls == LAB_KCLASS_NONE && timed_out) {
		lab_console_report_clear(&rep);
		return 0;
	}
	ret = keep_scan(iso, scan);
	if (!ret && iso->boots == 1)
		ret = boot_before_begin(iso, log, begin, driver);
	if (!ret) {
		char why[LAB_CONSOLE_LINE_MAX + 160], *tail = NULL;

		if (rep.kind) {
			snprintf(why, sizeof(why), "kernel %s: %s; the guest did not survive the case",
				 rep.kind, rep.worst);
			ret = add_record(iso, st.id, st.repeat, driver, LAB_VERDICT_CRASH, rep.kind,
					 &rep.excerpt, why);
		} else {
			/* no report: the console after the in-flight line says what there is */
			size_t n = len - st.after, keep = n > 2000 ? 2000 : n;

			tail = strndup(log + len - keep, keep);
			snprintf(why, sizeof(why),
				 "the guest stopped during the case with no kernel report on the console");
			ret = tail ? add_record(iso, st.id, st.repeat, driver, LAB_VERDICT_CRASH,
						"guest_exit", &tail, why) : -ENOMEM;
			free(tail);
		}
	}
	lab_console_report_clear(&rep);
	if (ret)
		return ret;
	iso->crashes++;
	total = cases >= 0 ? cases + resume - 1 : st.n;
	if (st.n > iso->resume - 1)
		iso->resume = st.n + 1;
	if (st.n >= total) {
		snprintf(iso->note, sizeof(iso->note),
			 "case %s (run %d) crashed the guest; it was the last case", st.id, st.n);
		*next = LAB_ISOLATE_STORE;
	} else if (iso->boots >= max_boots) {
		snprintf(iso->note, sizeof(iso->note),
			 "case %s (run %d) crashed the guest; %d boots done (the bound): runs %d-%d not run",
			 st.id, st.n, iso->boots, st.n + 1, total);
		*next = LAB_ISOLATE_STORE;
	} else {
		snprintf(iso->note, sizeof(iso->note),
			 "case %s (run %d) crashed the guest: booting again from run %d of %d",
			 st.id, st.n, iso->resume, total);
		*next = LAB_ISOLATE_REBOOT;
	}
	return 0;
}
