/* SPDX-License-Identifier: GPL-2.0 */
/*
 * isolate.h - crash isolation for the QEMU runner: a kernel crash is a
 * result of the case (or the boot) it happened in, never the job's end.
 *
 * Purpose: after each boot of a job's guest, the runner (backend_qemu.c)
 * hands this module the boot's console log and its record scan (record.h);
 * the module keeps every record the agent printed, adds the records only
 * the console can give, and says what to do next:
 *   - the boot finished (IOMMULAB-END): its records are kept; on the job's
 *     first boot, a kernel report before IOMMULAB-BEGIN (console.h) adds a
 *     "boot" record (crash or warn by the report's class) -> STORE. Timing
 *     watchdogs alone (RCU stall, lockups, hung task: a starved TCG vCPU
 *     on a loaded host) make no boot record of a guest that went on.
 *   - the guest died during a case (an in-flight line without that case's
 *     record; console.h) and the console shows a kernel report after the
 *     in-flight line, or the guest stopped by itself (not a timeout): the
 *     records are kept and the case gets a "crash" record whose excerpt
 *     starts at the FIRST report line after the in-flight line
 *     (kernel_kind: the worst report's kind; "guest_exit" when the guest
 *     stopped with no report). Cases after it remain -> REBOOT with
 *     iso->resume = n + 1 (the agent's iommulab.resume=), at most
 *     max_boots boots in all; none remain or the bound is reached -> STORE
 *     (the reason says which cases did not run).
 *   - the guest died before its first case (no in-flight line) and the
 *     console shows a crash-class report (oops, BUG, panic): a "boot"
 *     record (crash) -> STORE; a boot crash repeats on every boot, so it
 *     costs no reboot. A warning alone did not stop the guest, and a
 *     panic for want of init or a root file system (with no oops before
 *     it) is the set-up's: NONE.
 *   - anything else (no kernel report and a timeout, no output at all, a
 *     guest that stopped between cases): NONE, the caller's infrastructure
 *     outcome stands. A timeout during a case without a kernel report is
 *     not called a crash: a slow machine and a hung kernel look alike.
 * Synthesised records carry the job's target's driver (records.md: the
 * driver of the device under test; the case's own record never came),
 * steps [], observed 0, no contract, verified "none".
 *
 * Invariants: a record is kept once: the records of a boot are moved out
 * of its scan (scan->n becomes 0); at most one "boot" record per job;
 * iso->resume only grows.
 * Ownership: struct lab_isolate owns the kept records until
 * lab_isolate_clear() (a zeroed struct is valid and empty).
 * Errors: 0 or -ENOMEM (nothing is kept from that boot then).
 */
#ifndef LAB_ISOLATE_H
#define LAB_ISOLATE_H

#include <stdbool.h>
#include <stddef.h>

#include "model.h"
#include "record.h"

#define LAB_ISOLATE_BOOT_ID	LAB_CASE_BOOT
#define LAB_ISOLATE_NOTE_MAX	1024

enum lab_isolate_next {
	LAB_ISOLATE_NONE = 0,	/* no crash to account for: the caller decides */
	LAB_ISOLATE_STORE,	/* ingest iso->res[0, iso->n): the job is complete */
	LAB_ISOLATE_REBOOT,	/* boot again, the agent resuming at iso->resume */
};

struct lab_isolate {
	struct lab_result *res;	/* kept records, in order */
	size_t n, cap;
	int boots;		/* boots handed in so far */
	int resume;		/* the next boot's first case run (1 = from the start) */
	int crashes;		/* crash records made for cases in flight */
	bool have_boot;		/* a "boot" record is kept */
	char note[LAB_ISOLATE_NOTE_MAX];	/* what happened, for the job's log */
};

/* the start of a job: empty, resume 1 */
void lab_isolate_init(struct lab_isolate *iso);
void lab_isolate_clear(struct lab_isolate *iso);

/*
 * One boot ended. @log/@len: its console; @scan: its record scan (status
 * LAB_SCAN_OK or LAB_SCAN_NO_END; other statuses are the caller's);
 * @timed_out: the guest was killed for time; @driver: the job's target's
 * driver (NULL: "none"); @max_boots: the bound on boots. Fills *@next.
 */
int lab_isolate_boot(struct lab_isolate *iso, const char *log, size_t len,
		     struct lab_record_scan *scan, bool timed_out, const char *driver,
		     int max_boots, enum lab_isolate_next *next);

#endif /* LAB_ISOLATE_H */
