/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_runlog.c - server/run/runlog.c: the rig's "not booted" line (a
 * target known broken on its QEMU, as rig/boot, rig/lava-qemu and
 * rig/known-broken print it) read the same way by both backends (and from
 * a real LAVA job log: rig/lava-qemu refusing q35-amd-q10 on a worker), and
 * the naming of a job's log files.
 */
#include <jansson.h>

#include "helpers.h"
#include "joblogs.h"
#include "lava_log.h"
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

/*
 * A LAVA job whose device's rig/lava-qemu refused the target (stage 70 j.,
 * tests/unit/data/README): decoded as backend_lava.c's finish() decodes it,
 * the console gives rig/boot's reason, worded from the target file.
 */
static void test_not_booted_lava(void **state)
{
	char path[PATH_MAX], reason[2048], want[2048];
	struct lab_lava_log_stats stats;
	size_t clen;
	char *con = NULL, *yaml;
	json_t *t, *kb;
	size_t n;

	(void)state;
	yaml = fx_file_load("tests/unit/data/lava-q35-amd-q10-not-booted.yaml", &n);
	assert_int_equal(lab_lava_log_console(yaml, n, &con, &clen, &stats), 0);
	snprintf(path, sizeof(path), "%s/targets/x86_64/q35-amd-q10.json", top_dir());
	t = json_load_file(path, 0, NULL);
	assert_non_null(t);
	kb = json_object_get(t, "known_broken");
	snprintf(want, sizeof(want), "not booted: q35-amd-q10 is known broken on QEMU %s: %s (%s)",
		 json_string_value(json_array_get(json_object_get(kb, "qemu"), 0)),
		 json_string_value(json_object_get(kb, "reason")),
		 json_string_value(json_object_get(kb, "reference")));
	assert_true(lab_runlog_not_booted(con, reason, sizeof(reason)));
	assert_string_equal(reason, want);
	json_decref(t);
	free(con);
	free(yaml);
}

static void test_job_path(void **state)
{
	char p[64];

	(void)state;
	assert_int_equal(lab_joblog_path("/s", 42, LAB_JOBLOG_PREP, p, sizeof(p)), 0);
	assert_string_equal(p, "/s/logs/42.prep.log");
	assert_int_equal(lab_joblog_path("/s", 7, LAB_JOBLOG_CONSOLE, p, sizeof(p)), 0);
	assert_string_equal(p, "/s/logs/7.log");
	assert_int_equal(lab_joblog_path("/a-state-dir-longer-than-the-buffer", 42,
					 LAB_JOBLOG_PREP, p, 24), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_booted),
		cmocka_unit_test(test_not_booted_lava),
		cmocka_unit_test(test_job_path),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
