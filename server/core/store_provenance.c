/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_provenance.c - job_provenance rows (store_provenance.h; shared
 * helpers: store_int.h; statements in the extension slots from
 * STORE_EXT_PROVENANCE).
 */
#include <errno.h>
#include <stdbool.h>
#include <time.h>
#include <sqlite3.h>

#include "store.h"
#include "store_int.h"
#include "store_provenance.h"

enum { PV_PUT, PV_ROWS, PV_SIDE_KERNEL, PV_SIDE_PLAN };

static const char *const pv_sql[] = {
	[PV_PUT] =
		"INSERT OR REPLACE INTO job_provenance (job_id, top, cache_dir, kernel_source, "
		"kernel_ref, kernel_release, arch, kernel_image, kernel_sha256, initrd, "
		"initrd_sha256, agent, agent_sha256, kmod, kmod_sha256, target_file, "
		"target_sha256, qemu_version, boot_args, qemu_cmdline, recorded_at) VALUES "
		"(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, "
		"?19, ?20, ?21)",
	[PV_ROWS] =
		"SELECT top, cache_dir, kernel_source, kernel_ref, kernel_release, arch, "
		"kernel_image, kernel_sha256, initrd, initrd_sha256, agent, agent_sha256, kmod, "
		"kmod_sha256, target_file, target_sha256, qemu_version, boot_args, qemu_cmdline, "
		"recorded_at FROM job_provenance WHERE job_id = ?1",
	/* a diff side's QEMU versions: its jobs' (jobs_kernel / jobs_plan
	 * index range), one rowid lookup per job, never one per result */
	[PV_SIDE_KERNEL] =
		"SELECT p.job_id, p.qemu_version FROM jobs j JOIN job_provenance p "
		"ON p.job_id = j.id WHERE j.kernel_id = ?1 AND p.qemu_version <> '' "
		"ORDER BY p.job_id",
	[PV_SIDE_PLAN] =
		"SELECT p.job_id, p.qemu_version FROM jobs j JOIN job_provenance p "
		"ON p.job_id = j.id WHERE j.plan_id = ?1 AND p.qemu_version <> '' "
		"ORDER BY p.job_id",
};

int lab_store_provenance_put(struct lab_store *st, const struct lab_provenance *p)
{
	sqlite3_stmt *s = store_ext_stmt(st, STORE_EXT_PROVENANCE + PV_PUT, pv_sql[PV_PUT]);
	const char *v[19] = {
		p->top, p->cache_dir, p->kernel_source, p->kernel_ref, p->kernel_release,
		p->arch, p->kernel_image, p->kernel_sha256, p->initrd, p->initrd_sha256,
		p->agent, p->agent_sha256, p->kmod, p->kmod_sha256, p->target_file,
		p->target_sha256, p->qemu_version, p->boot_args, p->qemu_cmdline,
	};

	if (!s)
		return -EIO;
	if (p->job_id <= 0 || !p->top || !p->cache_dir || !p->arch)
		return -EINVAL;
	sqlite3_bind_int64(s, 1, p->job_id);
	for (int i = 0; i < 19; i++)
		store_bind_text(s, i + 2, v[i]);
	sqlite3_bind_int64(s, 21, (int64_t)time(NULL));
	return store_exec_stmt(st, s, "provenance put");
}

int lab_store_provenance_rows(struct lab_store *st, int64_t job_id, lab_store_row_fn fn,
			      void *arg)
{
	sqlite3_stmt *s = store_ext_stmt(st, STORE_EXT_PROVENANCE + PV_ROWS, pv_sql[PV_ROWS]);

	if (s)
		sqlite3_bind_int64(s, 1, job_id);
	return store_rows_each(st, s, fn, arg, "provenance");
}

int lab_store_provenance_side_rows(struct lab_store *st, bool by_plan, int64_t id,
				   lab_store_row_fn fn, void *arg)
{
	int slot = by_plan ? PV_SIDE_PLAN : PV_SIDE_KERNEL;
	sqlite3_stmt *s = store_ext_stmt(st, STORE_EXT_PROVENANCE + slot, pv_sql[slot]);

	if (s)
		sqlite3_bind_int64(s, 1, id);
	return store_rows_each(st, s, fn, arg, "provenance of a diff side");
}
