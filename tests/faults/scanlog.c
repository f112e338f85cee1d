/* SPDX-License-Identifier: GPL-2.0 */
/*
 * scanlog.c - lab-scanlog: run the server's record scanner on a console log
 * file (lab_record_scan_file, what the QEMU runner does with a guest's
 * serial log) and report the outcome and the peak memory it took.
 *
 * Output, one line: "scan: status=<name> records=<n> rc=<0|-errno>
 * maxrss_kib=<n> secs=<s> error=<first problem or strerror>". Exit 0 when the scan ran
 * (whatever the status), 1 when lab_record_scan_file failed (-errno), 2 for
 * usage. Used by tests/stages/90-faults.sh (a guest flooding its console).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "record.h"

int main(int argc, char **argv)
{
	struct lab_record_scan scan = { 0 };
	struct timespec a, b;
	char line[256];
	long hwm = -1;
	FILE *f;
	int r;

	if (argc != 2 || !strcmp(argv[1], "--help")) {
		fprintf(argc == 2 ? stdout : stderr, "usage: lab-scanlog CONSOLE_LOG\n");
		return argc == 2 ? 0 : 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	r = lab_record_scan_file(argv[1], &scan);
	clock_gettime(CLOCK_MONOTONIC, &b);
	/* VmHWM, not ru_maxrss: the latter keeps the parent's peak across exec */
	f = fopen("/proc/self/status", "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmHWM: %ld", &hwm) == 1)
			break;
	if (f)
		fclose(f);
	printf("scan: status=%s records=%zu rc=%d maxrss_kib=%ld secs=%.2f error=%s\n",
	       r ? "-" : lab_scan_status_name(scan.status), r ? 0 : scan.n,
	       r, hwm,
	       (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9,
	       r ? strerror(-r) : scan.error);
	lab_record_scan_clear(&scan);
	return r ? 1 : 0;
}
