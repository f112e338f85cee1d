/* SPDX-License-Identifier: GPL-2.0 */
/*
 * catalog.c - the case catalogue as the agent lists it (iommulab-agent
 * -l -j), validated and written to the store in one transaction
 * (catalog.h). Above the store: the store only puts case rows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "catalog.h"
#include "model.h"
#include "store.h"

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

		if (!json_is_object(c) || !lab_case_id_valid(id)) {
			snprintf(err, errlen, "cases[%zu]: missing or invalid \"id\" "
				 "([a-z0-9_.-], 1-96 chars)", i);
			return -EINVAL;
		}
		if (title && !json_is_string(title) && !json_is_null(title)) {
			snprintf(err, errlen, "cases[%zu] (%s): \"title\" must be a string", i, id);
			return -EINVAL;
		}
	}
	r = lab_store_tx_begin(st);
	if (r)
		return r;
	json_array_foreach(list, i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));
		json_t *contracts = json_object_get(c, "contracts");
		const char *title = json_string_value(json_object_get(c, "title"));
		char *cj, *mj, area[97];

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
		r = lab_store_case_put(st, id, area, title, cj, mj);
		free(cj);
		free(mj);
		if (r)
			goto rollback_tx;
	}
	r = lab_store_tx_commit(st);
	if (r)
		goto rollback_tx;
	if (imported)
		*imported = (int)json_array_size(list);
	return 0;
rollback_tx:
	lab_store_tx_rollback(st);
	return r;
}

int lab_store_cases_import(struct lab_store *st, json_t *catalogue)
{
	return lab_store_cases_import_ex(st, catalogue, NULL, NULL, 0);
}

