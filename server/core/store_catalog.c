/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_catalog.c - kernels, targets and the case catalogue (store.h; shared helpers: store_int.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>
#include <jansson.h>

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

int lab_store_cases_import_ex(struct lab_store *st, json_t *catalogue,
			      int *imported, char *err, size_t errlen)
{
	json_t *list = catalogue, *c;
	char dummy[8];
	size_t i;
	int r;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (json_is_object(catalogue))
		list = json_object_get(catalogue, "cases");
	if (!json_is_array(list)) {
		snprintf(err, errlen, "catalogue must be an array of cases or {\"cases\": [...]}");
		return -EINVAL;
	}
	/* validate everything first: a bad entry imports nothing */
	json_array_foreach(list, i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));
		json_t *title = json_object_get(c, "title");

		if (!json_is_object(c) || !store_valid_case_id(id)) {
			snprintf(err, errlen, "cases[%zu]: missing or invalid \"id\" "
				 "([a-z0-9_.-], 1-96 chars)", i);
			return -EINVAL;
		}
		if (title && !json_is_string(title) && !json_is_null(title)) {
			snprintf(err, errlen, "cases[%zu] (%s): \"title\" must be a string", i, id);
			return -EINVAL;
		}
	}
	r = store_tx(st, S_BEGIN_IMM);
	if (r)
		return r;
	json_array_foreach(list, i, c) {
		sqlite3_stmt *s = store_stmt(st, S_CASE_PUT);
		const char *id = json_string_value(json_object_get(c, "id"));
		json_t *contracts = json_object_get(c, "contracts");
		const char *title = json_string_value(json_object_get(c, "title"));
		char *cj, *mj, area[97];

		if (!s) {
			r = -EIO;
			goto rollback_tx;
		}
		if (!title)
			title = json_string_value(json_object_get(c, "description"));
		snprintf(area, sizeof(area), "%.*s", (int)strcspn(id, "."), id);
		cj = contracts ? json_dumps(contracts, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("[]");
		mj = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
		if (!cj || !mj) {
			free(cj);
			free(mj);
			r = -ENOMEM;
			goto rollback_tx;
		}
		store_bind_text(s, 1, id);
		store_bind_text(s, 2, area);
		store_bind_text(s, 3, title);
		store_bind_text(s, 4, cj);
		store_bind_text(s, 5, mj);
		r = store_exec_stmt(st, s, "case put");
		free(cj);
		free(mj);
		if (r)
			goto rollback_tx;
	}
	r = store_tx(st, S_COMMIT);
	if (r)
		goto rollback_tx;
	if (imported)
		*imported = (int)json_array_size(list);
	return 0;
rollback_tx:
	store_rollback(st);
	return r;
}

int lab_store_cases_import(struct lab_store *st, json_t *catalogue)
{
	return lab_store_cases_import_ex(st, catalogue, NULL, NULL, 0);
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

