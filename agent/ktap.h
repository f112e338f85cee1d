/*
 * ktap.h - KTAP output for humans and kselftest-style parsers.
 *
 * Purpose: the agent's stdout (the guest console) is a KTAP v1 stream; the
 * record lines (record.h) and optional LAVA signal lines are interleaved
 * with it. Every KTAP line is formatted first and written with one write(2)
 * so lines from the agent never interleave with each other.
 * Invariants: reasons are flattened to one line (control characters become
 * spaces) and "#" in ids cannot occur (ids are [a-z0-9_.-]).
 * Error convention: functions return 0 or -errno from write(2).
 */
#ifndef LAB_KTAP_H
#define LAB_KTAP_H

#include "contract.h"

int lab_ktap_header(int fd, int planned);
int lab_ktap_result(int fd, int num, const char *id, enum lab_verdict v, const char *reason);
int lab_ktap_diag(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* <LAVA_SIGNAL_TESTCASE TEST_CASE_ID=id RESULT=pass|fail|skip|unknown MEASUREMENT=n UNITS=errno> */
int lab_ktap_lava(int fd, const char *id, enum lab_verdict v, int measurement);

#endif
