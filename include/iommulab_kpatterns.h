/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommulab_kpatterns.h - THE table of kernel report first lines, shared by
 * the agent (agent/kreport.c classifies a case's /dev/kmsg lines with it)
 * and the server (server/run/console.c finds the report a dying guest left
 * on its console). Data only; docs/records.md "Kernel reports" lists the
 * kinds.
 *
 * Order matters: the first matching entry wins, so specific patterns come
 * before generic ones ("BUG: KASAN:" before "BUG: ", lockdep's "WARNING:
 * possible ..." are distinct from WARN()'s "WARNING: CPU:"). Match texts
 * are the kernel's own format strings (lib/bug.c, kernel/panic.c,
 * arch/x86/mm/fault.c, arch/arm64/mm/fault.c, mm/kasan/report.c,
 * lib/ubsan.c, kernel/locking/lockdep.c, kernel/watchdog.c,
 * kernel/hung_task.c, kernel/rcu/tree_stall.h, drivers/iommu/...) as
 * printed in Debian's 6.1 and 6.12; agent/tests/test_kreport.c feeds real
 * captured reports through them.
 *
 * Columns: kind, class, start text, anchored at column 0?, second text on
 * the same line, end marker, continuation prefix, max lines.
 *
 * Header only (include/README.md): the table is a static const array, one
 * copy per program that includes it; C library only.
 */
#ifndef IOMMULAB_KPATTERNS_H
#define IOMMULAB_KPATTERNS_H

#include <stddef.h>

enum lab_kclass {
	LAB_KCLASS_NONE = 0,
	LAB_KCLASS_WARN,	/* the kernel goes on: WARN, lockdep, sanitizers, lockups, IOMMU faults */
	LAB_KCLASS_CRASH,	/* oops, BUG, panic */
};

struct lab_kpattern {
	const char *kind;	/* record's "kernel_kind"; NULL ends the table */
	enum lab_kclass cls;
	const char *start;	/* the first line contains this ... */
	int anchored;		/* ... at its start (1) or anywhere (0) */
	const char *also;	/* and also contains this (NULL: no second condition) */
	const char *end;	/* a later line containing this ends the report (NULL: none;
				 * "a|b": either text) */
	const char *cont;	/* no end marker: the following lines starting with this belong to it */
	int max_lines;		/* bound on the report, lead-in included */
};

#define LAB_KP_CRASH	LAB_KCLASS_CRASH
#define LAB_KP_WARN	LAB_KCLASS_WARN
#define LAB_KP_TRACE_END	"</TASK>"	/* x86 stack dumps close with it; elsewhere max_lines bounds */

static const struct lab_kpattern lab_kpatterns[] = {
	/* panics: nothing runs after them */
	{ "panic", LAB_KP_CRASH, "Kernel panic - not syncing", 1, NULL, "---[ end Kernel panic", NULL, 120 },
	/* sanitizers (they say "BUG:" but the kernel goes on) */
	{ "kasan", LAB_KP_WARN, "BUG: KASAN: ", 1, NULL, "=========", NULL, 160 },
	{ "kfence", LAB_KP_WARN, "BUG: KFENCE: ", 1, NULL, "=========", NULL, 80 },
	{ "kmsan", LAB_KP_WARN, "BUG: KMSAN: ", 1, NULL, "=========", NULL, 160 },
	{ "kcsan", LAB_KP_WARN, "BUG: KCSAN: ", 1, NULL, "=========", NULL, 80 },
	/* UBSAN: a rule of '=' closes it up to 6.4, "---[ end trace ]---" from 6.5 */
	{ "ubsan", LAB_KP_WARN, "UBSAN: ", 1, NULL, "=========|---[ end trace ", NULL, 80 },
	/* lockups and stalls */
	{ "soft_lockup", LAB_KP_WARN, "BUG: soft lockup - CPU#", 0, NULL, LAB_KP_TRACE_END, NULL, 120 },
	{ "hard_lockup", LAB_KP_WARN, "Watchdog detected hard LOCKUP", 0, NULL, LAB_KP_TRACE_END, NULL, 120 },
	{ "hung_task", LAB_KP_WARN, "INFO: task ", 1, " blocked for more than ", LAB_KP_TRACE_END, NULL, 80 },
	{ "rcu_stall", LAB_KP_WARN, "rcu: INFO: ", 1, " stall", LAB_KP_TRACE_END, NULL, 120 },
	{ "workqueue_lockup", LAB_KP_WARN, "BUG: workqueue lockup", 1, NULL, NULL, NULL, 40 },
	/* atomic-context bugs: reported, the kernel goes on */
	{ "atomic_sleep", LAB_KP_WARN, "BUG: sleeping function called from invalid context", 1, NULL,
	  LAB_KP_TRACE_END, NULL, 60 },
	{ "atomic_sleep", LAB_KP_WARN, "BUG: scheduling while atomic", 1, NULL, LAB_KP_TRACE_END, NULL, 60 },
	{ "bad_page", LAB_KP_WARN, "BUG: Bad page state", 1, NULL, LAB_KP_TRACE_END, NULL, 60 },
	/* lockdep (its reports begin with "WARNING:" too, without "CPU:") */
	{ "lockdep", LAB_KP_WARN, "WARNING: possible ", 1, NULL, LAB_KP_TRACE_END, NULL, 200 },
	{ "lockdep", LAB_KP_WARN, "WARNING: inconsistent lock state", 1, NULL, LAB_KP_TRACE_END, NULL, 200 },
	{ "lockdep", LAB_KP_WARN, "WARNING: suspicious RCU usage", 1, NULL, LAB_KP_TRACE_END, NULL, 120 },
	{ "lockdep", LAB_KP_WARN, "WARNING: bad unlock balance detected!", 1, NULL, LAB_KP_TRACE_END, NULL, 120 },
	{ "lockdep", LAB_KP_WARN, "WARNING: held lock freed!", 1, NULL, LAB_KP_TRACE_END, NULL, 120 },
	{ "lockdep", LAB_KP_WARN, "WARNING: lock held when returning to user space!", 1, NULL, NULL, NULL, 20 },
	{ "lockdep", LAB_KP_WARN, "WARNING: Nested lock was not taken", 1, NULL, LAB_KP_TRACE_END, NULL, 120 },
	/* LAB_KP_WARN(), WARN_ON() */
	{ "warning", LAB_KP_WARN, "WARNING: CPU: ", 1, NULL, "---[ end trace ", NULL, 120 },
	{ "warning", LAB_KP_WARN, "WARNING: at ", 1, NULL, "---[ end trace ", NULL, 120 },
	/* oopses: a bad access in kernel mode (x86, arm64, s390), BUG() */
	{ "oops", LAB_KP_CRASH, "BUG: kernel NULL pointer dereference", 1, NULL, "---[ end trace ", NULL, 160 },
	{ "oops", LAB_KP_CRASH, "BUG: unable to handle ", 1, NULL, "---[ end trace ", NULL, 160 },
	{ "oops", LAB_KP_CRASH, "general protection fault", 1, NULL, "---[ end trace ", NULL, 160 },
	{ "oops", LAB_KP_CRASH, "Unable to handle kernel ", 1, NULL, "---[ end trace ", NULL, 160 },
	{ "oops", LAB_KP_CRASH, "Oops: ", 1, NULL, "---[ end trace ", NULL, 160 },
	{ "oops", LAB_KP_CRASH, "Internal error: ", 1, NULL, "---[ end trace ", NULL, 160 },
	{ "bug", LAB_KP_CRASH, "kernel BUG at ", 1, NULL, "---[ end trace ", NULL, 160 },
	{ "bug", LAB_KP_CRASH, "BUG: ", 1, NULL, "---[ end trace ", NULL, 120 },
	/* IOMMU fault reports (one event each; the kernel goes on) */
	{ "iommu_fault", LAB_KP_WARN, "DMAR: DRHD: handling fault", 1, NULL, NULL, "DMAR: [", 3 },
	{ "iommu_fault", LAB_KP_WARN, "AMD-Vi: Event logged [", 0, NULL, NULL, NULL, 1 },
	{ "iommu_fault", LAB_KP_WARN, "arm-smmu-v3 ", 1, ": event 0x", NULL, "arm-smmu-v3 ", 5 },
	{ "iommu_fault", LAB_KP_WARN, "arm-smmu-v3 ", 1, ": event: ", NULL, "arm-smmu-v3 ", 5 },
	{ NULL, LAB_KCLASS_NONE, NULL, 0, NULL, NULL, NULL, 0 },
};

#endif /* IOMMULAB_KPATTERNS_H */
