/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz_record.c - libFuzzer target: agent record lines and console logs.
 *
 * The input is a console log (what a guest prints): lab_record_scan() over
 * all of it, then lab_record_parse_line() on its first line. Invariants
 * checked beyond the sanitizers: a scan that says OK has n == END's count
 * and every stored record passes the store's range rules (observed 0..4095,
 * verdict known); error_line is set exactly when the status is not OK.
 * The same log then goes through crash isolation (server/run/isolate.h):
 * every record it keeps or makes passes the store's rules too, and the
 * next boot's resume point never goes back.
 */
#include "fuzz.h"
#include <errno.h>

#include "isolate.h"
#include "record.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	lab_log_set_level(LAB_LOG_ERROR);
	return 0;
}

static void fuzz_isolate(const char *log, size_t size, struct lab_record_scan *scan)
{
	struct lab_isolate iso;
	enum lab_isolate_next next;
	int rc;

	lab_isolate_init(&iso);
	rc = lab_isolate_boot(&iso, log, size, scan, size & 1, "intel-iommu", 3, &next);
	if (rc && rc != -ENOMEM)
		FZ_BUG("lab_isolate_boot returned %d", rc);
	if (!rc && next != LAB_ISOLATE_NONE && scan->n)
		FZ_BUG("isolation kept records but left %zu in the scan", scan->n);
	if (iso.resume < 1)
		FZ_BUG("resume %d went back", iso.resume);
	for (size_t i = 0; i < iso.n; i++) {
		const struct lab_result *x = &iso.res[i];

		if (!lab_case_id_valid(x->case_id) || !x->driver || !*x->driver || !x->steps_json ||
		    x->observed < 0 || x->observed > 4095 || x->verdict > LAB_VERDICT_LAST ||
		    x->expected < -1 || x->repeat < 0)
			FZ_BUG("isolation kept record %zu out of the store's rules", i);
	}
	lab_isolate_clear(&iso);
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
		if (scan.status == LAB_SCAN_OK || scan.status == LAB_SCAN_NO_END)
			fuzz_isolate((const char *)data, size, &scan);
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
