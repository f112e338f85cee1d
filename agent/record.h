/*
 * record.h - the machine-readable lines of docs/records.md.
 *
 * Purpose: format and emit IOMMULAB-BEGIN / IOMMULAB-REC / IOMMULAB-END.
 *
 * Invariants: every line is at most LAB_RECORD_MAX bytes including the
 * prefix and the newline, starts at column 0, is one JSON object on one
 * line, and is written with a single write(2). A record that would not fit
 * is re-emitted without its steps and with a truncation reason, so the line
 * stays valid JSON and carries all required keys. "driver" is always one of
 * the names docs/records.md lists ("none" for anything else, the discovered
 * name then goes to the extra key "driver_detail").
 * Ownership: callers own all strings; nothing is allocated.
 * Error convention: format functions return the line length or -ENOSPC;
 * write functions return 0 or -errno.
 */
#ifndef LAB_RECORD_H
#define LAB_RECORD_H

#include <stddef.h>

#include "case.h"
#include "contract.h"
#include "kreport.h"

#define LAB_RECORD_MAX	4096

struct lab_record {
	const char *id;
	const char *target;
	const char *kernel;
	const char *arch;
	const struct lab_result *res;
	const struct lab_contract *contract;	/* NULL: no entry applies */
	enum lab_verdict verdict;
	const char *reason;			/* "" when none */
	long long duration_us;
	int repeat;
	const struct lab_klog *klog;		/* NULL: not captured (old agents, tests) */
};

/* cut @in's middle lines so it is at most @budget bytes: length, or -ENOSPC (@cap) */
int lab_record_cut_excerpt(const char *in, size_t budget, char *out, size_t cap);

int lab_record_format(const struct lab_record *rec, char *buf, size_t cap);
int lab_record_format_begin(char *buf, size_t cap, const char *target, const char *kernel,
			    const char *arch, int cases);
int lab_record_format_end(char *buf, size_t cap, int records, const char *status);

/* write one whole line with a single write(2) (retried only on EINTR) */
int lab_record_write(int fd, const char *line, size_t len);

#endif
