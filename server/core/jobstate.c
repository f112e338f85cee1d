/* SPDX-License-Identifier: GPL-2.0 */
/*
 * jobstate.c - the job state machine's steps (jobstate.h), each one store
 * call.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jobstate.h"
#include "store.h"

int lab_job_schedule(struct lab_store *st, int64_t id)
{
	return lab_store_job_transition(st, id, LAB_JOB_QUEUED, LAB_JOB_SCHEDULED, NULL);
}

int lab_job_run(struct lab_store *st, int64_t id)
{
	return lab_store_job_transition(st, id, LAB_JOB_SCHEDULED, LAB_JOB_RUNNING, NULL);
}

int lab_job_complete(struct lab_store *st, int64_t id)
{
	return lab_store_job_transition(st, id, LAB_JOB_RUNNING, LAB_JOB_COMPLETE, NULL);
}

int lab_job_complete_warn(struct lab_store *st, int64_t id, const char *warning)
{
	char *full;
	int ret;

	if (!warning || !*warning)
		return lab_job_complete(st, id);
	if (asprintf(&full, "%s%s", LAB_JOB_WARNING_PREFIX, warning) < 0)
		return -ENOMEM;
	ret = lab_store_job_transition(st, id, LAB_JOB_RUNNING, LAB_JOB_COMPLETE, full);
	free(full);
	return ret;
}

int lab_job_incomplete(struct lab_store *st, int64_t id, const char *reason)
{
	return lab_store_job_transition(st, id, LAB_JOB_RUNNING, LAB_JOB_INCOMPLETE, reason);
}

int lab_job_config_error(struct lab_store *st, int64_t id, const char *reason)
{
	char *full;
	int ret;

	if (!reason)
		reason = "";
	if (!strncmp(reason, LAB_JOB_CONFIG_PREFIX, strlen(LAB_JOB_CONFIG_PREFIX)))
		return lab_job_incomplete(st, id, reason);
	if (asprintf(&full, "%s%s", LAB_JOB_CONFIG_PREFIX, reason) < 0)
		return -ENOMEM;
	ret = lab_job_incomplete(st, id, full);
	free(full);
	return ret;
}

int lab_job_cancel(struct lab_store *st, int64_t id, enum lab_job_state from,
		   const char *reason)
{
	return lab_store_job_transition(st, id, from, LAB_JOB_CANCELED, reason);
}

int lab_job_retry(struct lab_store *st, int64_t id, const char *reason)
{
	return lab_store_job_retry(st, id, reason);
}

int lab_job_recover_all(struct lab_store *st, int *recovered)
{
	return lab_store_jobs_recover(st, recovered);
}
