/*
 * kpatterns.c - THE table of kernel reports the agent recognises (data only;
 * kreport.c walks it). docs/records.md "Kernel reports" lists the kinds.
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
 */
#include <stddef.h>

#include "kreport.h"

#define CRASH	LAB_KCLASS_CRASH
#define WARN	LAB_KCLASS_WARN
#define TRACE_END	"</TASK>"	/* x86 stack dumps close with it; elsewhere max_lines bounds */

const struct lab_kpattern lab_kpatterns[] = {
	/* panics: nothing runs after them */
	{ "panic", CRASH, "Kernel panic - not syncing", 1, NULL, "---[ end Kernel panic", NULL, 120 },
	/* sanitizers (they say "BUG:" but the kernel goes on) */
	{ "kasan", WARN, "BUG: KASAN: ", 1, NULL, "=========", NULL, 160 },
	{ "kfence", WARN, "BUG: KFENCE: ", 1, NULL, "=========", NULL, 80 },
	{ "kmsan", WARN, "BUG: KMSAN: ", 1, NULL, "=========", NULL, 160 },
	{ "kcsan", WARN, "BUG: KCSAN: ", 1, NULL, "=========", NULL, 80 },
	/* UBSAN: a rule of '=' closes it up to 6.4, "---[ end trace ]---" from 6.5 */
	{ "ubsan", WARN, "UBSAN: ", 1, NULL, "=========|---[ end trace ", NULL, 80 },
	/* lockups and stalls */
	{ "soft_lockup", WARN, "BUG: soft lockup - CPU#", 0, NULL, TRACE_END, NULL, 120 },
	{ "hard_lockup", WARN, "Watchdog detected hard LOCKUP", 0, NULL, TRACE_END, NULL, 120 },
	{ "hung_task", WARN, "INFO: task ", 1, " blocked for more than ", TRACE_END, NULL, 80 },
	{ "rcu_stall", WARN, "rcu: INFO: ", 1, " stall", TRACE_END, NULL, 120 },
	{ "workqueue_lockup", WARN, "BUG: workqueue lockup", 1, NULL, NULL, NULL, 40 },
	/* atomic-context bugs: reported, the kernel goes on */
	{ "atomic_sleep", WARN, "BUG: sleeping function called from invalid context", 1, NULL,
	  TRACE_END, NULL, 60 },
	{ "atomic_sleep", WARN, "BUG: scheduling while atomic", 1, NULL, TRACE_END, NULL, 60 },
	{ "bad_page", WARN, "BUG: Bad page state", 1, NULL, TRACE_END, NULL, 60 },
	/* lockdep (its reports begin with "WARNING:" too, without "CPU:") */
	{ "lockdep", WARN, "WARNING: possible ", 1, NULL, TRACE_END, NULL, 200 },
	{ "lockdep", WARN, "WARNING: inconsistent lock state", 1, NULL, TRACE_END, NULL, 200 },
	{ "lockdep", WARN, "WARNING: suspicious RCU usage", 1, NULL, TRACE_END, NULL, 120 },
	{ "lockdep", WARN, "WARNING: bad unlock balance detected!", 1, NULL, TRACE_END, NULL, 120 },
	{ "lockdep", WARN, "WARNING: held lock freed!", 1, NULL, TRACE_END, NULL, 120 },
	{ "lockdep", WARN, "WARNING: lock held when returning to user space!", 1, NULL, NULL, NULL, 20 },
	{ "lockdep", WARN, "WARNING: Nested lock was not taken", 1, NULL, TRACE_END, NULL, 120 },
	/* WARN(), WARN_ON() */
	{ "warning", WARN, "WARNING: CPU: ", 1, NULL, "---[ end trace ", NULL, 120 },
	{ "warning", WARN, "WARNING: at ", 1, NULL, "---[ end trace ", NULL, 120 },
	/* oopses: a bad access in kernel mode (x86, arm64, s390), BUG() */
	{ "oops", CRASH, "BUG: kernel NULL pointer dereference", 1, NULL, "---[ end trace ", NULL, 160 },
	{ "oops", CRASH, "BUG: unable to handle ", 1, NULL, "---[ end trace ", NULL, 160 },
	{ "oops", CRASH, "general protection fault", 1, NULL, "---[ end trace ", NULL, 160 },
	{ "oops", CRASH, "Unable to handle kernel ", 1, NULL, "---[ end trace ", NULL, 160 },
	{ "oops", CRASH, "Oops: ", 1, NULL, "---[ end trace ", NULL, 160 },
	{ "oops", CRASH, "Internal error: ", 1, NULL, "---[ end trace ", NULL, 160 },
	{ "bug", CRASH, "kernel BUG at ", 1, NULL, "---[ end trace ", NULL, 160 },
	{ "bug", CRASH, "BUG: ", 1, NULL, "---[ end trace ", NULL, 120 },
	/* IOMMU fault reports (one event each; the kernel goes on) */
	{ "iommu_fault", WARN, "DMAR: DRHD: handling fault", 1, NULL, NULL, "DMAR: [", 3 },
	{ "iommu_fault", WARN, "AMD-Vi: Event logged [", 0, NULL, NULL, NULL, 1 },
	{ "iommu_fault", WARN, "arm-smmu-v3 ", 1, ": event 0x", NULL, "arm-smmu-v3 ", 5 },
	{ "iommu_fault", WARN, "arm-smmu-v3 ", 1, ": event: ", NULL, "arm-smmu-v3 ", 5 },
	{ NULL, LAB_KCLASS_NONE, NULL, 0, NULL, NULL, NULL, 0 },
};

/* lines right before a report's first line that open it */
const char *const lab_kleadins[] = {
	"------------[ cut here ]------------",	/* WARN, BUG() */
	"==========",				/* KASAN/KFENCE/UBSAN rules, lockdep's header */
	NULL,
};

/*
 * Taint flags a case may set (include/linux/panic.h TAINT_*): a new one with
 * no report in the log (the ring buffer lost it) still decides the verdict.
 */
const struct lab_ktaint lab_ktaints[] = {
	{ 5, 'B', "bad_page", WARN },
	{ 7, 'D', "oops", CRASH },
	{ 9, 'W', "warning", WARN },
	{ 14, 'L', "soft_lockup", WARN },
	{ -1, 0, NULL, LAB_KCLASS_NONE },
};

/*
 * Lines an excerpt gives up first when the record has no room for all of it
 * (after leading blanks; kreport.c lab_kexcerpt_squeeze): register and
 * instruction dumps and unreliable stack entries, which say least about
 * which path went wrong. The report's first line, RIP/pc, the reliable call
 * trace and the end marker stay.
 */
const char *const lab_ksqueeze[] = {
	/* x86 */
	"Code: ", "RSP: ", "RAX: ", "RDX: ", "RBP: ", "R10: ", "R13: ", "FS: ", "CS: ",
	"CR2: ", "DR0: ", "DR3: ", "DR6: ", "PKRU: ", "EFLAGS: ",
	/* unreliable stack entries ("? func+0x..") of any arch */
	"? ",
	/* arm64 */
	"pstate: ", "sp : ", "x29: ", "x26: ", "x23: ", "x20: ", "x17: ", "x14: ", "x11: ",
	"x8 : ", "x5 : ", "x2 : ",
	/* s390 */
	"Krnl GPRS: ", "Krnl Code: ", "Last Breaking-Event-Address: ",
	NULL,
};
