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
#include <unistd.h>

#include <jansson.h>

#include "catalog.h"
#include "judge.h"
#include "model.h"
#include "store.h"

/*
 * The contract the server judges by, from catalogue entry @c: its rules as
 * compact JSON text with only the keys judge.h reads (the agent's "expected"
 * name is a label), NULL in *@out when the entry has no "contracts" (the
 * server then judges that case's records by their own expected errno).
 * -EINVAL with a reason in @err for a rule judge.h cannot read.
 */
static int contract_of(json_t *c, const char *id, char **out, int *expect_reused,
		       char *err, size_t errlen)
{
	json_t *list = json_object_get(c, "contracts"), *norm, *x;
	struct lab_judge_contract jc;
	char why[160];
	size_t i;
	int r;

	*out = NULL;
	*expect_reused = json_is_boolean(json_object_get(c, "expect_reused")) ?
			 json_is_true(json_object_get(c, "expect_reused")) : -1;
	if (!list)
		return 0;
	norm = json_array();
	if (!norm)
		return -ENOMEM;
	json_array_foreach(list, i, x) {
		json_t *o = json_is_object(x) ? json_pack("{s:O?, s:O?, s:O?, s:O?}",
			"kernel_min", json_object_get(x, "kernel_min"),
			"kernel_max_excl", json_object_get(x, "kernel_max_excl"),
			"driver", json_object_get(x, "driver"),
			"expected_errno", json_object_get(x, "expected_errno")) : json_null();

		if (!o || json_array_append_new(norm, o)) {
			json_decref(norm);
			return -ENOMEM;
		}
	}
	*out = json_dumps(norm, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(norm);
	if (!*out)
		return -ENOMEM;
	r = lab_judge_contract_parse(*out, 1, *expect_reused, &jc, why, sizeof(why));
	if (r) {
		snprintf(err, errlen, "case %s: %s", id, why);
		free(*out);
		*out = NULL;
		return r;
	}
	lab_judge_contract_clear(&jc);
	return 0;
}

int lab_store_cases_import_ex(struct lab_store *st, json_t *catalogue,
			      int *imported, char *err, size_t errlen)
{
	json_t *list = catalogue, *c;
	char dummy[8], *cj;
	size_t i;
	int r, er;

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
		r = contract_of(c, id, &cj, &er, err, errlen);
		free(cj);
		if (r)
			return r;
	}
	r = lab_store_tx_begin(st);
	if (r)
		return r;
	json_array_foreach(list, i, c) {
		const char *id = json_string_value(json_object_get(c, "id"));
		json_t *contracts = json_object_get(c, "contracts");
		const char *title = json_string_value(json_object_get(c, "title"));
		char *cj, *mj, area[97];
		int version;

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
		/* a changed contract becomes the case's next version (judge.h) */
		r = contract_of(c, id, &cj, &er, err, errlen);
		if (!r && cj)
			r = lab_store_contract_put(st, id, cj, er, &version);
		free(cj);
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

int lab_catalog_import_file(struct lab_store *st, const char *path, int *imported,
			    char *err, size_t errlen)
{
	json_error_t je;
	json_t *cat;
	int r;

	cat = json_load_file(path, 0, &je);
	if (!cat) {
		snprintf(err, errlen, "%s:%d: %s", path, je.line, je.text);
		return access(path, F_OK) ? -ENOENT : -EINVAL;
	}
	r = lab_store_cases_import_ex(st, cat, imported, err, errlen);
	json_decref(cat);
	return r;
}

int lab_store_cases_import(struct lab_store *st, json_t *catalogue)
{
	return lab_store_cases_import_ex(st, catalogue, NULL, NULL, 0);
}

