/* SPDX-License-Identifier: GPL-2.0 */
/*
 * joblogs.c - the names of a job's files under STATE/logs (joblogs.h).
 */
#include <errno.h>
#include <stdio.h>

#include "joblogs.h"

const char *const lab_joblog_suffixes[] = {
	LAB_JOBLOG_CONSOLE, LAB_JOBLOG_PREP, LAB_JOBLOG_BOOT, LAB_JOBLOG_TIMES,
	LAB_JOBLOG_ARTIFACTS, LAB_JOBLOG_LAVA_YAML, NULL,
};

int lab_joblog_path(const char *state_dir, int64_t job_id, const char *suffix,
		    char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/logs/%lld%s", state_dir, (long long)job_id, suffix);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}
