/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_isolate.c - crash isolation (server/run/isolate.c) and the console
 * reading under it (server/run/console.c), on real guest consoles
 * (tests/unit/data/README): a case that panicked the guest, a kernel that
 * oopsed at boot, a boot WARN on a run that finished, a survived oops, a
 * LAVA job log whose boot WARN precedes a panic, and cut-down variants (no
 * output, a timeout, the reboot bound).
 */
#include <limits.h>

#include "helpers.h"
#include "console.h"
#include "isolate.h"
#include "lava_log.h"
#include "record.h"

/* a console log or LAVA log of tests/unit/data */
static char *load(const char *name, size_t *len)
{
	char rel[256];

	snprintf(rel, sizeof(rel), "tests/unit/data/%s", name);
	return fx_file_load(rel, len);
}

static const struct lab_result *rec_of(const struct lab_isolate *iso, const char *id)
{
	for (size_t i = 0; i < iso->n; i++)
		if (!strcmp(iso->res[i].case_id, id))
			return &iso->res[i];
	return NULL;
}

/* the first line of @s is @want */
static void assert_first_line(const char *s, const char *want)
{
	assert_non_null(s);
	if (strncmp(s, want, strlen(want)))
		fail_msg("excerpt starts '%.80s', expected '%s'", s, want);
}

/* fault.kpanic: the case panicked the guest; 5 cases after it remain */
static void test_case_panic_reboots(void **state)
{
	struct lab_record_scan sc;
	struct lab_isolate iso;
	enum lab_isolate_next next;
	const struct lab_result *r;
	size_t len;
	char *log = load("fault-kpanic-6.12.log", &len);

	(void)state;
	lab_isolate_init(&iso);
	assert_int_equal(lab_record_scan(log, len, &sc), 0);
	assert_int_equal(sc.status, LAB_SCAN_NO_END);
	assert_int_equal(lab_isolate_boot(&iso, log, len, &sc, false, "intel-iommu", 5, &next), 0);
	assert_int_equal(next, LAB_ISOLATE_REBOOT);
	assert_int_equal(iso.resume, 2);
	assert_int_equal(iso.crashes, 1);
	r = rec_of(&iso, "fault.kpanic");
	assert_non_null(r);
	assert_int_equal(r->verdict, LAB_VERDICT_CRASH);
	assert_string_equal(r->kernel_kind, "panic");
	assert_string_equal(r->driver, "intel-iommu");
	assert_first_line(r->kernel_excerpt, "Kernel panic - not syncing: iommulab_probe: fault op");
	assert_non_null(strstr(r->kernel_excerpt, "lab_op_fault"));
	assert_null(strstr(r->kernel_excerpt, "iommulab-boot:"));	/* rig/boot's line is not the kernel's */
	assert_null(strstr(r->kernel_excerpt, "[    5."));		/* no timestamps */
	assert_null(rec_of(&iso, "boot"));	/* 6.12 boots clean on q35-vtd */
	lab_record_scan_clear(&sc);
	lab_isolate_clear(&iso);

	/* the same boot as the last one allowed: the records are stored */
	lab_isolate_init(&iso);
	assert_int_equal(lab_record_scan(log, len, &sc), 0);
	assert_int_equal(lab_isolate_boot(&iso, log, len, &sc, false, NULL, 1, &next), 0);
	assert_int_equal(next, LAB_ISOLATE_STORE);
	assert_non_null(strstr(iso.note, "the bound"));
	assert_string_equal(rec_of(&iso, "fault.kpanic")->driver, "none");
	lab_record_scan_clear(&sc);
	lab_isolate_clear(&iso);
	free(log);
}

/* an oops inside a case that then panics: the excerpt starts at the oops */
static void test_oops_then_panic_starts_at_oops(void **state)
{
	struct lab_record_scan sc;
	struct lab_isolate iso;
	enum lab_isolate_next next;
	const struct lab_result *r;
	size_t len, cut;
	char *log = load("fault-oops-6.1.log", &len), *p, *text;

	(void)state;
	/* the real oops of fault.oops, then the kernel dies before its record */
	p = strstr(log, "IOMMULAB-REC ");
	assert_non_null(p);
	cut = (size_t)(p - log);
	assert_int_equal(asprintf(&text, "%.*s[    9.000000] Kernel panic - not syncing: Fatal exception\n"
				  "[    9.000001] ---[ end Kernel panic - not syncing: Fatal exception ]---\n"
				  "iommulab-boot: qemu 7.2.22 generation 7.2 binary /usr/bin/qemu-system-x86_64\n",
				  (int)cut, log) > 0, 1);
	lab_isolate_init(&iso);
	assert_int_equal(lab_record_scan(text, strlen(text), &sc), 0);
	assert_int_equal(sc.status, LAB_SCAN_NO_END);
	assert_int_equal(lab_isolate_boot(&iso, text, strlen(text), &sc, false, "intel-iommu", 5,
					  &next), 0);
	assert_int_equal(next, LAB_ISOLATE_REBOOT);
	r = rec_of(&iso, "fault.oops");
	assert_non_null(r);
	assert_int_equal(r->verdict, LAB_VERDICT_CRASH);
	assert_string_equal(r->kernel_kind, "oops");
	assert_first_line(r->kernel_excerpt, "BUG: kernel NULL pointer dereference");
	assert_non_null(strstr(r->kernel_excerpt, "Kernel panic - not syncing: Fatal exception"));
	/* the boot's own WARN (6.1 on q35-vtd) is a boot record, not the case's */
	assert_int_equal(rec_of(&iso, "boot")->verdict, LAB_VERDICT_WARN);
	assert_first_line(rec_of(&iso, "boot")->kernel_excerpt, "WARNING: CPU: 0 PID: 1 at drivers/pci/msi");
	lab_record_scan_clear(&sc);
	lab_isolate_clear(&iso);
	free(text);
	free(log);
}

/* the 6.1 oops survived: a finished run; its boot WARN is a boot record */
static void test_finished_run_boot_warn(void **state)
{
	struct lab_record_scan sc;
	struct lab_isolate iso;
	enum lab_isolate_next next;
	const struct lab_result *r;
	size_t len;
	char *log = load("fault-oops-6.1.log", &len);

	(void)state;
	lab_isolate_init(&iso);
	assert_int_equal(lab_record_scan(log, len, &sc), 0);
	assert_int_equal(sc.status, LAB_SCAN_OK);
	assert_int_equal(lab_isolate_boot(&iso, log, len, &sc, false, "intel-iommu", 5, &next), 0);
	assert_int_equal(next, LAB_ISOLATE_STORE);
	assert_int_equal(iso.n, 7);	/* 6 records + boot */
	assert_int_equal(sc.n, 0);	/* moved, not copied */
	r = rec_of(&iso, "boot");
	assert_non_null(r);
	assert_int_equal(r->verdict, LAB_VERDICT_WARN);
	assert_string_equal(r->kernel_kind, "warning");
	assert_first_line(r->kernel_excerpt, "WARNING: CPU: 0 PID: 1 at drivers/pci/msi/msi.h:17");
	/* a warning ends at its own end marker: the boot goes on after it */
	assert_non_null(strstr(r->kernel_excerpt, "---[ end trace"));
	assert_null(strstr(r->kernel_excerpt, "msi.h:23"));
	assert_int_equal(rec_of(&iso, "fault.oops")->verdict, LAB_VERDICT_CRASH);
	lab_record_scan_clear(&sc);
	lab_isolate_clear(&iso);
	free(log);
}

/* an RCU stall at boot (a starved TCG vCPU) is no boot record of a run that went on */
static void test_boot_rcu_stall_no_record(void **state)
{
	struct lab_record_scan sc;
	struct lab_isolate iso;
	enum lab_isolate_next next;
	size_t len, at;
	char *log = load("q35-vtd-6.12.log", &len), *p, *text;

	(void)state;
	p = strstr(log, "IOMMULAB-BEGIN");
	assert_non_null(p);
	at = (size_t)(p - log);
	assert_true(asprintf(&text, "%.*s[    3.1] rcu: INFO: rcu_preempt detected stalls on CPUs/tasks:\n"
			     "[    3.1] rcu: \t0-...!: (1 GPs behind) idle=6b4c/1/0x4000000000000000\n"
			     "[    3.2]  </TASK>\n%s", (int)at, log, p) > 0);
	lab_isolate_init(&iso);
	assert_int_equal(lab_record_scan(text, strlen(text), &sc), 0);
	assert_int_equal(sc.status, LAB_SCAN_OK);
	assert_int_equal(lab_isolate_boot(&iso, text, strlen(text), &sc, false, "intel-iommu", 5,
					  &next), 0);
	assert_int_equal(next, LAB_ISOLATE_STORE);
	assert_int_equal(iso.n, 14);
	assert_null(rec_of(&iso, "boot"));
	lab_record_scan_clear(&sc);
	lab_isolate_clear(&iso);
	free(text);
	free(log);
}

/* amd-iommu with a bypass bus oopses at boot, then init dies: a boot record */
static void test_boot_oops(void **state)
{
	struct lab_record_scan sc;
	struct lab_isolate iso;
	enum lab_isolate_next next;
	const struct lab_result *r;
	size_t len;
	char *log = load("q35-amd-bypass-6.12.log", &len);

	(void)state;
	lab_isolate_init(&iso);
	assert_int_equal(lab_record_scan(log, len, &sc), 0);
	assert_int_equal(sc.status, LAB_SCAN_NO_END);
	assert_int_equal(lab_isolate_boot(&iso, log, len, &sc, false, "amd-iommu", 5, &next), 0);
	assert_int_equal(next, LAB_ISOLATE_STORE);	/* no reboot: it would crash again */
	assert_int_equal(iso.n, 1);
	r = rec_of(&iso, "boot");
	assert_non_null(r);
	assert_int_equal(r->verdict, LAB_VERDICT_CRASH);
	assert_string_equal(r->kernel_kind, "oops");
	assert_first_line(r->kernel_excerpt, "BUG: unable to handle page fault");
	assert_non_null(strstr(r->kernel_excerpt, "Kernel panic - not syncing: Attempted to kill init"));
	assert_non_null(strstr(r->reason, "before the first case"));
	lab_record_scan_clear(&sc);
	lab_isolate_clear(&iso);
	free(log);
}

/* what stays infrastructure: no output, a silent timeout, a quiet stop */
static void test_not_a_crash(void **state)
{
	struct lab_record_scan sc;
	struct lab_isolate iso;
	enum lab_isolate_next next;
	size_t len;
	char *log = load("fault-kpanic-6.12.log", &len), *p;

	(void)state;
	lab_isolate_init(&iso);
	assert_int_equal(lab_record_scan("", 0, &sc), 0);
	assert_int_equal(lab_isolate_boot(&iso, "", 0, &sc, false, NULL, 5, &next), 0);
	assert_int_equal(next, LAB_ISOLATE_NONE);
	assert_int_equal(iso.n, 0);
	lab_record_scan_clear(&sc);

	/* the guest went silent in fault.kpanic before any kernel text: a timeout */
	p = strstr(log, "# IOMMULAB-START");
	p = strchr(p, '\n') + 1;
	assert_int_equal(lab_record_scan(log, (size_t)(p - log), &sc), 0);
	assert_int_equal(lab_isolate_boot(&iso, log, (size_t)(p - log), &sc, true, NULL, 5, &next), 0);
	assert_int_equal(next, LAB_ISOLATE_NONE);
	assert_int_equal(iso.n, 0);
	lab_record_scan_clear(&sc);

	/* ... the guest stopped there by itself: the case in flight crashed it */
	assert_int_equal(lab_record_scan(log, (size_t)(p - log), &sc), 0);
	assert_int_equal(lab_isolate_boot(&iso, log, (size_t)(p - log), &sc, false, NULL, 5, &next), 0);
	assert_int_equal(next, LAB_ISOLATE_REBOOT);
	assert_string_equal(rec_of(&iso, "fault.kpanic")->kernel_kind, "guest_exit");
	lab_record_scan_clear(&sc);
	lab_isolate_clear(&iso);
	free(log);

	/* a kernel without a usable init panics: the set-up's fault, not the kernel's */
	{
		static const char noinit[] =
			"[    1.9] Run /nonexistent as init process\n"
			"[    1.9] Kernel panic - not syncing: Requested init /nonexistent failed (error -2).\n"
			"[    1.9] CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.0-57-amd64 #1\n"
			"[    1.9] ---[ end Kernel panic - not syncing: Requested init /nonexistent failed (error -2). ]---\n";

		lab_isolate_init(&iso);
		assert_int_equal(lab_record_scan(noinit, sizeof(noinit) - 1, &sc), 0);
		assert_int_equal(lab_isolate_boot(&iso, noinit, sizeof(noinit) - 1, &sc, false, NULL, 5,
						  &next), 0);
		assert_int_equal(next, LAB_ISOLATE_NONE);
		assert_int_equal(iso.n, 0);
		lab_record_scan_clear(&sc);
		lab_isolate_clear(&iso);
	}

	/* 6.1 WARNs at boot, then the agent printed nothing: not the kernel's doing */
	log = load("fault-oops-6.1.log", &len);
	p = strstr(log, "IOMMULAB-BEGIN");
	lab_isolate_init(&iso);
	assert_int_equal(lab_record_scan(log, (size_t)(p - log), &sc), 0);
	assert_int_equal(sc.status, LAB_SCAN_NO_END);
	assert_int_equal(lab_isolate_boot(&iso, log, (size_t)(p - log), &sc, false, NULL, 5, &next), 0);
	assert_int_equal(next, LAB_ISOLATE_NONE);
	assert_int_equal(iso.n, 0);
	lab_record_scan_clear(&sc);
	lab_isolate_clear(&iso);
	free(log);
}

/*
 * A LAVA job (stage 70 e3): Debian 6.1 on q35-vtd WARNs twice at boot
 * (pcieport MSI), then the agent's fault=panic crashes the kernel by sysrq
 * after BEGIN, before the first case. The job log is a "boot" record,
 * crash, panic, whose excerpt starts at the boot WARN and keeps the panic:
 * 215 lines from the WARN to the panic's last, the panic alone 38, so a
 * plain first-120-and-last-30 cut dropped the panic line and its caller.
 */
static void test_lava_boot_warn_then_panic(void **state)
{
	struct lab_lava_log_stats stats;
	struct lab_record_scan sc;
	struct lab_isolate iso;
	enum lab_isolate_next next;
	const struct lab_result *r;
	size_t ylen, clen;
	char *yaml = load("lava-6.1-boot-warn-panic.yaml", &ylen), *con = NULL;

	(void)state;
	assert_int_equal(lab_lava_log_console(yaml, ylen, &con, &clen, &stats), 0);
	assert_int_equal(stats.skipped, 0);
	assert_int_equal(lab_record_scan(con, clen, &sc), 0);
	assert_int_equal(sc.status, LAB_SCAN_NO_END);
	lab_isolate_init(&iso);
	/* as backend_lava.c's crash_results calls it: a timeout, one boot */
	assert_int_equal(lab_isolate_boot(&iso, con, clen, &sc, true, "intel-iommu", 1, &next), 0);
	assert_int_equal(next, LAB_ISOLATE_STORE);
	assert_int_equal(iso.n, 1);
	r = rec_of(&iso, "boot");
	assert_non_null(r);
	assert_int_equal(r->verdict, LAB_VERDICT_CRASH);
	assert_string_equal(r->kernel_kind, "panic");
	assert_first_line(r->kernel_excerpt, "WARNING: CPU: 0 PID: 1 at drivers/pci/msi/msi.h:17");
	if (!strstr(r->kernel_excerpt, "\nKernel panic - not syncing: sysrq triggered crash\n"))
		fail_msg("the panic line was cut from the excerpt:\n%s", r->kernel_excerpt);
	assert_non_null(strstr(r->kernel_excerpt, "sysrq_handle_crash"));
	assert_non_null(strstr(r->kernel_excerpt, " lines cut ...]\n"));
	assert_null(strstr(r->kernel_excerpt, "iommulab-boot:"));
	assert_null(strstr(r->kernel_excerpt, "[   10."));		/* no timestamps */
	lab_record_scan_clear(&sc);
	lab_isolate_clear(&iso);
	free(con);
	free(yaml);
}

/* the console helpers: START parsing, BEGIN's count, report matching */
static void test_console(void **state)
{
	struct lab_console_start st;
	struct lab_console_report rep;
	int cases;
	const char *t =
		"IOMMULAB-BEGIN {\"v\":1,\"target\":\"x\",\"cases\":7}\r\n"
		"# IOMMULAB-START {\"v\":1,\"n\":3,\"id\":\"kmod.a.b\",\"repeat\":1}\r\n"
		"not ok 3 kmod.a.b # kernel oops: BUG: soft lockup - CPU#0\n"
		"[   12.5] ------------[ cut here ]------------\r\n"
		"[   12.5] WARNING: CPU: 0 PID: 9 at x.c:1 f+0x1/0x2\r\n"
		"[   12.6] ---[ end trace 0000000000000000 ]---\n"
		"[   12.7] general protection fault, probably for non-canonical address\n"
		"[   12.8] Kernel panic - not syncing: Fatal exception\n";

	(void)state;
	assert_int_equal(lab_console_begin_at(t, strlen(t), &cases), 0);
	assert_int_equal(cases, 7);
	lab_console_last_start(t, strlen(t), &st);
	assert_true(st.found);
	assert_int_equal(st.n, 3);
	assert_int_equal(st.repeat, 1);
	assert_string_equal(st.id, "kmod.a.b");
	assert_int_equal(lab_console_report_find(t + st.after, strlen(t) - st.after, NULL, &rep), 0);
	/* the agent's KTAP line quoting a report is not one */
	assert_int_equal(rep.reports, 3);
	assert_string_equal(rep.kind, "oops");		/* the first crash */
	assert_int_equal(rep.cls, LAB_KCLASS_CRASH);
	assert_first_line(rep.excerpt, "WARNING: CPU: 0");	/* the first report */
	assert_int_equal(rep.lines, 4);
	lab_console_report_clear(&rep);
	lab_console_report_clear(&rep);
	/* passed-over kinds are not reports */
	{
		static const char *const no_warn[] = { "warning", NULL };

		assert_int_equal(lab_console_report_find(t + st.after, strlen(t) - st.after, no_warn,
							 &rep), 0);
		assert_int_equal(rep.reports, 2);
		assert_first_line(rep.excerpt, "general protection fault");
		lab_console_report_clear(&rep);
	}
	assert_int_equal(lab_console_begin_at("x\n", 2, &cases), 2);
	assert_int_equal(cases, -1);
	lab_console_last_start("# IOMMULAB-START {\"n\":0}\n", 25, &st);
	assert_false(st.found);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_case_panic_reboots),
		cmocka_unit_test(test_oops_then_panic_starts_at_oops),
		cmocka_unit_test(test_finished_run_boot_warn),
		cmocka_unit_test(test_boot_oops),
		cmocka_unit_test(test_boot_rcu_stall_no_record),
		cmocka_unit_test(test_not_a_crash),
		cmocka_unit_test(test_lava_boot_warn_then_panic),
		cmocka_unit_test(test_console),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
