/* SPDX-License-Identifier: GPL-2.0 */
/*
 * joblogs.h - the names of a job's files under STATE/logs, in one place.
 *
 * Purpose: the backends write them (the QEMU runner, the LAVA backend),
 * the API, patch checks and bisections read them, the store's prune
 * deletes them; all of them name the files here, so a new kind of file is
 * one line in this header and pruning removes it too.
 *
 * Files, STATE/logs/<job id><suffix>:
 *   .log        the console (the job's log_path once its guest boots)
 *   .prep.log   the artifact preparation (there whether or not a boot followed)
 *   .boot.log   rig/boot's own log (QEMU)
 *   .times      the boot's timings (QEMU)
 *   .artifacts  the run's result records as the rig collected them
 *   .lava.yaml  the job definition submitted to LAVA (LAVA)
 *
 * Invariants: lab_joblog_path() never writes past @len and says when the
 * name did not fit. Nothing is allocated; leaf of core (C library only).
 */
#ifndef LAB_JOBLOGS_H
#define LAB_JOBLOGS_H

#include <stddef.h>
#include <stdint.h>

#define LAB_JOBLOG_CONSOLE	".log"
#define LAB_JOBLOG_PREP		".prep.log"
#define LAB_JOBLOG_BOOT		".boot.log"
#define LAB_JOBLOG_TIMES	".times"
#define LAB_JOBLOG_ARTIFACTS	".artifacts"
#define LAB_JOBLOG_LAVA_YAML	".lava.yaml"

/* every suffix above, NULL-terminated (what pruning a job removes) */
extern const char *const lab_joblog_suffixes[];

/* STATE/logs/<@job_id><@suffix> in @buf (@len bytes). 0 or -ENAMETOOLONG. */
int lab_joblog_path(const char *state_dir, int64_t job_id, const char *suffix,
		    char *buf, size_t len);

#endif
