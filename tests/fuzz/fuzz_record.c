/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz_record.c - libFuzzer target: agent record lines and console logs.
 *
 * The input is a console log (what a guest prints): lab_record_scan() over
 * all of it, then lab_record_parse_line() on its first line. Invariants
 * checked beyond the sanitizers: a scan that says OK has n == END's count
 * and every stored record passes the store's range rules (observed 0..4095,
 * verdict known); error_line is set exactly when the status is not OK.
 */
#include "fuzz.h"
#include <errno.h>

#include "record.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	lab_log_set_level(LAB_LOG_ERROR);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lab_record_scan scan = { 0 };
	struct lab_result r;
	char err[LAB_RECORD_ERR_MAX], *line, *nl;
	int rc;

	rc = lab_record_scan((const char *)data, size, &scan);
	if (rc == 0) {
		if (scan.status == LAB_SCAN_OK) {
			if ((long)scan.n != scan.end_count)
				FZ_BUG("scan OK with %zu records but END says %ld", scan.n,
				       scan.end_count);
			for (size_t i = 0; i < scan.n; i++) {
				if (scan.res[i].observed < 0 || scan.res[i].observed > 4095 ||
				    scan.res[i].verdict > LAB_VERDICT_LAST || !scan.res[i].case_id)
					FZ_BUG("accepted record %zu is out of range", i);
			}
		} else if (!scan.error_line && scan.status != LAB_SCAN_NO_END) {
			FZ_BUG("status %s without an error line", lab_scan_status_name(scan.status));
		}
		lab_record_scan_clear(&scan);
	} else if (rc != -ENOMEM && rc != -EINVAL) {
		FZ_BUG("lab_record_scan returned %d", rc);
	}

	line = fz_strdup(data, size > LAB_RECORD_LINE_MAX + 16 ? LAB_RECORD_LINE_MAX + 16 : size);
	nl = strchr(line, '\n');
	if (nl)
		nl[1] = 0;
	err[0] = 0;
	rc = lab_record_parse_line(line, &r, err, sizeof(err));
	if (rc == 0)
		lab_result_clear(&r);
	else if (rc == -EINVAL && !err[0])
		FZ_BUG("malformed line without a reason");
	free(line);
	return 0;
}
