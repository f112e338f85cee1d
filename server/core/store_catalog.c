/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_catalog.c - kernels, targets and the case catalogue (store.h; shared helpers: store_int.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "log.h"
#include "model.h"
#include "store.h"
#include "store_int.h"

/* ---- kernels --------------------------------------------------------------- */

int lab_store_kernel_put(struct lab_store *st, struct lab_kernel *k)
{
	sqlite3_stmt *s = store_stmt(st, S_KERNEL_PUT);

	if (!s)
		return -EIO;
	if (!k || !k->name || !*k->name)
		return -EINVAL;
	store_bind_text(s, 1, k->name);
	store_bind_text(s, 2, k->release);
	store_bind_text(s, 3, k->version);
	store_bind_text(s, 4, k->arch);
	store_bind_text(s, 5, k->source);
	store_bind_text(s, 6, k->source_ref);
	store_bind_text(s, 7, k->image_path);
	store_bind_text(s, 8, k->modules_path);
	store_bind_text(s, 9, k->headers_path);
	store_bind_text(s, 10, k->sha256);
	return store_exec_returning_id(st, s, &k->id, "kernel put");
}

int lab_store_kernel_get(struct lab_store *st, const char *name, struct lab_kernel *out)
{
	return store_row_struct(st, store_stmt_by_name(st, S_KERNEL_GET, name), &store_kernel_layout, out);
}

int lab_store_kernel_get_id(struct lab_store *st, int64_t id, struct lab_kernel *out)
{
	return store_row_struct(st, store_stmt_by_id(st, S_KERNEL_GET_ID, id), &store_kernel_layout, out);
}

int lab_store_kernels_rows(struct lab_store *st, lab_store_row_fn fn, void *arg)
{
	return store_rows_each(st, store_stmt(st, S_KERNELS_LIST), fn, arg, "kernels list");
}

int lab_store_kernel_rows(struct lab_store *st, const char *name, lab_store_row_fn fn,
			  void *arg)
{
	return store_rows_each(st, store_stmt_by_name(st, S_KERNEL_GET, name), fn, arg,
			       "kernel get");
}

int lab_store_kernel_id_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn,
			     void *arg)
{
	return store_rows_each(st, store_stmt_by_id(st, S_KERNEL_GET_ID, id), fn, arg,
			       "kernel get");
}

/* ---- targets ---------------------------------------------------------------- */

int lab_store_target_put(struct lab_store *st, struct lab_target *t)
{
	sqlite3_stmt *s = store_stmt(st, S_TARGET_PUT);

	if (!s)
		return -EIO;
	if (!t || !t->name || !t->arch || !t->backend || !t->definition)
		return -EINVAL;
	store_bind_text(s, 1, t->name);
	store_bind_text(s, 2, t->arch);
	store_bind_text(s, 3, t->backend);
	store_bind_text(s, 4, t->vendor);
	store_bind_text(s, 5, t->driver);
	store_bind_text(s, 6, t->device_type);
	store_bind_text(s, 7, t->definition);
	store_bind_text(s, 8, t->tags);
	store_bind_text(s, 9, t->health);
	sqlite3_bind_int(s, 10, t->concurrency > 0 ? t->concurrency : 1);
	return store_exec_returning_id(st, s, &t->id, "target put");
}

int lab_store_target_get(struct lab_store *st, const char *name, struct lab_target *out)
{
	return store_row_struct(st, store_stmt_by_name(st, S_TARGET_GET, name), &store_target_layout, out);
}

int lab_store_target_get_id(struct lab_store *st, int64_t id, struct lab_target *out)
{
	return store_row_struct(st, store_stmt_by_id(st, S_TARGET_GET_ID, id), &store_target_layout, out);
}

int lab_store_targets_rows(struct lab_store *st, lab_store_row_fn fn, void *arg)
{
	return store_rows_each(st, store_stmt(st, S_TARGETS_LIST), fn, arg, "targets list");
}

int lab_store_target_rows(struct lab_store *st, const char *name, lab_store_row_fn fn,
			  void *arg)
{
	return store_rows_each(st, store_stmt_by_name(st, S_TARGET_GET, name), fn, arg,
			       "target get");
}

/* ---- cases ----------------------------------------------------------------- */

/* the catalogue import (the agent's JSON -> case rows) is above the store: catalog.c */
int lab_store_case_put(struct lab_store *st, const char *id, const char *area,
		       const char *title, const char *contracts_json, const char *meta_json)
{
	sqlite3_stmt *s = store_stmt(st, S_CASE_PUT);

	if (!s)
		return -EIO;
	store_bind_text(s, 1, id);
	store_bind_text(s, 2, area);
	store_bind_text(s, 3, title);
	store_bind_text(s, 4, contracts_json);
	store_bind_text(s, 5, meta_json);
	return store_exec_stmt(st, s, "case put");
}

int lab_store_cases_rows(struct lab_store *st, lab_store_row_fn fn, void *arg)
{
	return store_rows_each(st, store_stmt(st, S_CASES_LIST), fn, arg, "cases list");
}

int lab_store_case_rows(struct lab_store *st, const char *case_id, lab_store_row_fn fn,
			void *arg)
{
	return store_rows_each(st, store_stmt_by_name(st, S_CASE_GET, case_id), fn, arg,
			       "case get");
}

