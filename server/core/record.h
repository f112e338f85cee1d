/* SPDX-License-Identifier: GPL-2.0 */
/*
 * record.h - parse and validate agent record lines (docs/records.md).
 *
 * Purpose: the only code that turns a guest console log into results. The
 * QEMU runner, the LAVA backend and the results API all go through it.
 *
 *   lab_record_parse_line()  one "IOMMULAB-REC {...}" line -> struct lab_result
 *                            (the record object itself: record_json.h)
 *   lab_record_scan()        a whole console log: finds BEGIN/REC/END lines
 *                            at column 0, validates every one, checks the END
 *                            count and that records agree with BEGIN
 *
 * Rules (a log is accepted only when status is LAB_SCAN_OK):
 *  - Prefixes count only at column 0; other lines (kernel messages, KTAP)
 *    are ignored. A column-0 line starting "IOMMULAB-" that is not
 *    "IOMMULAB-BEGIN ", "IOMMULAB-REC " or "IOMMULAB-END " is malformed.
 *  - A line may end in "\r\n". A record line is at most 4096 bytes.
 *  - Exactly one BEGIN, before every REC; at most one END, after every REC.
 *  - REC "target"/"kernel"/"arch" must equal BEGIN's.
 *  - Missing END -> LAB_SCAN_NO_END (the run did not finish), even when a
 *    truncated last line is also malformed (error names both).
 *  - Otherwise the first malformed line -> LAB_SCAN_MALFORMED; an END that
 *    is not valid -> LAB_SCAN_BAD_END; END "records" != records found ->
 *    LAB_SCAN_COUNT_MISMATCH.
 *  - @error then says "line N: what was wrong".
 *
 * Robustness: input is untrusted (fuzzed): no asserts, NUL bytes and
 * arbitrary bytes are handled, nothing is read beyond @len.
 *
 * Ownership: the scan owns @res and every string in it until
 * lab_record_scan_clear(); parse_line's @out owns its strings until
 * lab_result_clear(). Both clear functions accept a zeroed struct.
 *
 * Errors: parse_line returns 0, -EINVAL (malformed, @err says why) or
 * -ENOMEM. scan returns 0 (look at @status) or -ENOMEM/-EINVAL (args).
 */
#ifndef LAB_RECORD_H
#define LAB_RECORD_H

#include <stddef.h>

#include "record_json.h"
#include "model.h"

#define LAB_RECORD_LINE_MAX 4096
#define LAB_RECORD_MAX_RECORDS 100000

enum lab_scan_status {
	LAB_SCAN_OK = 0,
	LAB_SCAN_NO_END,
	LAB_SCAN_MALFORMED,
	LAB_SCAN_COUNT_MISMATCH,
	LAB_SCAN_BAD_END,
};

struct lab_record_scan {
	enum lab_scan_status status;
	struct lab_result *res;		/* n valid records, in log order */
	size_t n;
	size_t cap;
	long end_count;			/* END's "records", -1 without END */
	char target[65];		/* from BEGIN ("" without BEGIN) */
	char kernel[129];
	char arch[33];
	size_t error_line;		/* 1-based line of the first problem, 0 none */
	char error[LAB_RECORD_ERR_MAX];
};

const char *lab_scan_status_name(enum lab_scan_status s);

int lab_record_parse_line(const char *line, struct lab_result *out,
			  char *err, size_t errlen);
int lab_record_scan(const char *log, size_t len, struct lab_record_scan *out);
/* read @path (at most 256 MiB) and scan it; -errno if unreadable */
int lab_record_scan_file(const char *path, struct lab_record_scan *out);
void lab_record_scan_clear(struct lab_record_scan *scan);

/* lab_errno_name(): model.h */

#endif /* LAB_RECORD_H */
