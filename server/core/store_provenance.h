/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_provenance.h - the store's job_provenance table
 * (schema/0006-provenance.sql): what made a job's results.
 *
 * Purpose: run/provenance.c fills struct lab_provenance when a guest has
 * run and stores it here (one row per job, replaced by a retry's); the
 * views read it as rows (GET /jobs/{id} "provenance"), a diff reads the
 * QEMU version of each side's jobs in one query per side.
 *
 * Invariants: parameterised SQL only; a put is one statement.
 * Ownership: the struct's strings are the caller's (not copied but bound).
 * Errors: 0 or -errno (store.h); -EINVAL without job, top, cache or arch.
 */
#ifndef LAB_STORE_PROVENANCE_H
#define LAB_STORE_PROVENANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct lab_provenance {
	int64_t job_id;
	const char *top, *cache_dir;
	const char *kernel_source, *kernel_ref, *kernel_release, *arch;
	const char *kernel_image, *kernel_sha256;
	const char *initrd, *initrd_sha256;
	const char *agent, *agent_sha256;
	const char *kmod, *kmod_sha256;
	const char *target_file, *target_sha256;
	const char *qemu_version, *boot_args, *qemu_cmdline;
};

int lab_store_provenance_put(struct lab_store *st, const struct lab_provenance *p);
/* the row of job @job_id (0 or 1 row; every column but job_id) */
int lab_store_provenance_rows(struct lab_store *st, int64_t job_id, lab_store_row_fn fn,
			      void *arg);
/*
 * Rows (job_id, qemu_version), ascending job_id, of the jobs of kernel @id
 * (by_plan false) or plan @id that recorded a QEMU version: the versions a
 * diff side (lab_store_diff_side_load / _rows) ran on, one query per side
 * instead of one provenance read per result row. The number of rows or
 * -errno (store.h's _rows convention).
 */
int lab_store_provenance_side_rows(struct lab_store *st, bool by_plan, int64_t id,
				   lab_store_row_fn fn, void *arg);

#endif /* LAB_STORE_PROVENANCE_H */
