/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz_lava.c - libFuzzer target: what a LAVA callback or poll hands us.
 *
 * Input: "<job log YAML>\0<results YAML>" (no NUL: all of it is the log and
 * the results are empty). The log goes through lab_lava_log_console() (the
 * YAML + ShellLogger unescaping), its console text through
 * lab_record_scan(), and the results YAML through backend_lava.c's own
 * yaml_tests() and check_tests() (static there, so that file is included
 * here and this target links the library without backend_lava.o).
 * Invariants: the decoded console is NUL-terminated at out_len and never
 * longer than the input plus the newlines it adds (one per YAML line).
 */
#include "../../server/lava/backend_lava.c"

#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	lab_log_set_level(LAB_LOG_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *z = memchr(data, 0, size);
	size_t loglen = z ? (size_t)(z - data) : size;
	struct lab_lava_log_stats stats = { 0 };
	struct lab_record_scan scan = { 0 };
	char *console = NULL, *results, why[512];
	size_t clen = 0;
	json_t *tests;
	int r;

	r = lab_lava_log_console((const char *)data, loglen, &console, &clen, &stats);
	if (r == 0) {
		if (console[clen] != 0)
			FZ_BUG("console not NUL-terminated at its length");
		if (clen > loglen + stats.lines + 1)
			FZ_BUG("console %zu bytes from %zu bytes of log", clen, loglen);
		if (stats.target > stats.lines)
			FZ_BUG("more console lines than input lines");
		if (lab_record_scan(console, clen, &scan) != 0)
			memset(&scan, 0, sizeof(scan));
	} else if (r != -EINVAL && r != -ENOMEM && r != -EFBIG) {
		FZ_BUG("lab_lava_log_console returned %d", r);
	}
	results = fz_strdup(z ? z + 1 : data + size, z ? size - loglen - 1 : 0);
	tests = yaml_tests(results);
	if (tests) {
		why[0] = 0;
		r = check_tests(&scan, tests, why, sizeof(why));
		if (r && !why[0])
			FZ_BUG("check_tests failed (%d) without saying why", r);
		json_decref(tests);
	}
	lab_record_scan_clear(&scan);
	free(results);
	free(console);
	return 0;
}
