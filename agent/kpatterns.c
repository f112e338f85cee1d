/*
 * kpatterns.c - the agent's tables around kernel reports (data only;
 * kreport.c walks them): lead-ins, taint flags, lines an excerpt gives up
 * first. The report first lines themselves (lab_kpatterns[]) are shared with
 * the server: include/iommulab_kpatterns.h, where the notes below apply.
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

/* lab_kpatterns[], the report first lines: include/iommulab_kpatterns.h (shared with the server) */
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
