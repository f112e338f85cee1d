/* SPDX-License-Identifier: GPL-2.0 */
/*
 * provenance.h - what made a job's results, recorded when its guest has run
 * (issue 18.4).
 *
 * Purpose: the QEMU runner calls lab_provenance_note() once per run, after
 * rig/boot exits and before the console log is ingested (the LAVA backend
 * too, with the job's log: its QEMU version comes from rig/lava-qemu's
 * "iommulab-boot: qemu VERSION ..." console line). It records in
 * job_provenance (store_provenance.h): the kernel's source and recipe or
 * package and its release, the SHA-256 of the kernel image, the initramfs,
 * the agent and the probe module that went into it (the preparation's
 * result file names them: artifacts.h) and of the target file, the QEMU
 * version, rig/boot's arguments and the QEMU command line rig/boot
 * assembled (both from rig/boot's log: its "iommulab-boot: args" and
 * "iommulab-boot: command" lines, and "qemu=V" on its "boot" line).
 * `iommulab reproduce JOB` turns the row back into commands.
 *
 * Invariants: best effort: a file that cannot be read leaves its hash NULL,
 * and a failure is logged and never changes the run's outcome. Nothing
 * here runs a process: hashes are computed in-process (OpenSSL).
 *
 * Errors: 0 or -errno (logged by the caller's choice: note() logs itself).
 */
#ifndef LAB_PROVENANCE_H
#define LAB_PROVENANCE_H

#include <stddef.h>

#include "artifacts.h"
#include "backend.h"

/* record run @run's provenance: artifacts @art, rig/boot's log @boot_log */
int lab_provenance_note(const struct lab_run *run, const struct lab_artifacts *art,
			const char *boot_log);

/* SHA-256 of file @path as 64 hex chars into @hex (65 bytes); -errno */
int lab_provenance_sha256_file(const char *path, char hex[65]);

#endif /* LAB_PROVENANCE_H */
