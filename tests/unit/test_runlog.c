/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_runlog.c - server/run/runlog.c: the rig's "not booted" line (a
 * target known broken on its QEMU, as rig/boot, rig/lava-qemu and
 * rig/known-broken print it) read the same way by both backends, and the
 * naming of a job's log files.
 */
#include "helpers.h"
#include "runlog.h"

#define WHY "q35-amd-q10 is known broken on QEMU 10.0.2: no IO-APIC interrupt (docs/findings.md F3)"

static void test_not_booted(void **state)
{
	char reason[512];

	(void)state;
	/* rig/boot's console log: the line, then the version line */
	assert_true(lab_runlog_not_booted("iommulab-boot: not booted: " WHY "\n"
					  "iommulab-boot: qemu 10.0.2 generation 10.0 binary /q\n",
					  reason, sizeof(reason)));
	assert_string_equal(reason, "not booted: " WHY);
	/* LAVA's console: after the dispatcher's lines, CRLF */
	assert_true(lab_runlog_not_booted("Boot command: x\r\niommulab-boot: not booted: " WHY "\r\n",
					  reason, sizeof(reason)));
	assert_string_equal(reason, "not booted: " WHY);
	/* not at a line start (a guest echoing it), absent, no log */
	reason[0] = '\0';
	assert_false(lab_runlog_not_booted("say iommulab-boot: not booted: x\n", reason,
					   sizeof(reason)));
	assert_false(lab_runlog_not_booted("iommulab-boot: qemu 10.0.2 generation 10.0\n",
					   reason, sizeof(reason)));
	assert_false(lab_runlog_not_booted(NULL, reason, sizeof(reason)));
	assert_string_equal(reason, "");
	/* a short buffer: cut, terminated */
	assert_true(lab_runlog_not_booted("iommulab-boot: not booted: " WHY, reason, 16));
	assert_string_equal(reason, "not booted: q35");
}

static void test_job_path(void **state)
{
	char p[64];

	(void)state;
	assert_int_equal(lab_runlog_job_path("/s", 42, ".prep.log", p, sizeof(p)), 0);
	assert_string_equal(p, "/s/logs/42.prep.log");
	assert_int_equal(lab_runlog_job_path("/s", 7, ".log", p, sizeof(p)), 0);
	assert_string_equal(p, "/s/logs/7.log");
	assert_int_equal(lab_runlog_job_path("/a-state-dir-longer-than-the-buffer", 42,
					     ".prep.log", p, 24), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_booted),
		cmocka_unit_test(test_job_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
