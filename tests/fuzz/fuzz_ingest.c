/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz_ingest.c - libFuzzer target: POST /api/v1/results bodies and single
 * record objects through the streaming decoder (record_json.c), checked
 * against jansson as an independent oracle.
 *
 * Invariants beyond the sanitizers: whatever the decoder accepts as JSON,
 * jansson accepts too (with duplicate keys rejected); for a body whose
 * records all passed, jansson sees the same number of records, and each
 * record's stored steps text parses back to a value equal to jansson's
 * "steps", with the same id and observed errno. A refusal always says why.
 *
 * Job cross-checks (issue 16): POST /results checks the body's identity
 * (target, kernel, arch: the decoder's "ident", taken from records[0])
 * against the job's, and relies on the decoder for the rest. So for every
 * accepted body jansson must see every record carry exactly records[0]'s
 * target, kernel and arch (an arch present in one and absent in another
 * is a difference), and "ident" must be records[0]'s.
 */
#include "fuzz.h"
#include <errno.h>
#include <jansson.h>

#include "record_json.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	lab_log_set_level(LAB_LOG_ERROR);
	return 0;
}

/* @rec's @key as the decoder would keep it: the string, or "" */
static const char *field(json_t *rec, const char *key)
{
	const char *v = json_string_value(json_object_get(rec, key));

	return v ? v : "";
}

static void cross_check(const struct lab_results_body *b, json_t *recs)
{
	json_t *r0 = json_array_get(recs, 0);

	if (!b->n)
		return;
	if (strcmp(b->ident.target, field(r0, "target")) ||
	    strcmp(b->ident.kernel, field(r0, "kernel")) ||
	    b->ident.has_arch != (json_object_get(r0, "arch") != NULL) ||
	    strcmp(b->ident.arch, field(r0, "arch")))
		FZ_BUG("ident (%s, %s, %s) is not records[0]'s (%s, %s, %s)", b->ident.target,
		       b->ident.kernel, b->ident.arch, field(r0, "target"), field(r0, "kernel"),
		       field(r0, "arch"));
	for (size_t i = 1; i < b->n; i++) {
		json_t *ri = json_array_get(recs, i);

		if (strcmp(field(ri, "target"), field(r0, "target")) ||
		    strcmp(field(ri, "kernel"), field(r0, "kernel")) ||
		    (json_object_get(ri, "arch") != NULL) != (json_object_get(r0, "arch") != NULL) ||
		    strcmp(field(ri, "arch"), field(r0, "arch")))
			FZ_BUG("records[%zu] runs on (%s, %s, %s), records[0] on (%s, %s, %s), and "
			       "the decoder accepted both: the job check of records[0] would not "
			       "cover it", i, field(ri, "target"), field(ri, "kernel"),
			       field(ri, "arch"), field(r0, "target"), field(r0, "kernel"),
			       field(r0, "arch"));
	}
}

static void compare(const struct lab_results_body *b, json_t *tree)
{
	json_t *recs = json_object_get(tree, "records");

	if (json_array_size(recs) != b->n)
		FZ_BUG("decoder kept %zu records, jansson sees %zu", b->n, json_array_size(recs));
	for (size_t i = 0; i < b->n; i++) {
		json_t *rec = json_array_get(recs, i), *mine;
		json_error_t je;

		mine = json_loads(b->res[i].steps_json, JSON_ALLOW_NUL, &je);
		if (!mine)
			FZ_BUG("records[%zu] stored steps are not JSON: %s", i, je.text);
		if (!json_equal(mine, json_object_get(rec, "steps")))
			FZ_BUG("records[%zu] stored steps differ from the input's", i);
		json_decref(mine);
		if (strcmp(b->res[i].case_id, json_string_value(json_object_get(rec, "id")) ?: "") ||
		    b->res[i].observed != json_integer_value(json_object_get(rec, "observed")))
			FZ_BUG("records[%zu] id/observed differ from the input's", i);
	}
	cross_check(b, recs);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lab_results_body b;
	struct lab_result r;
	char err[LAB_RECORD_ERR_MAX] = "";
	json_error_t je;
	json_t *tree;
	int rc;

	rc = lab_results_body_decode((const char *)data, size, 1000, &b, err, sizeof(err));
	if (rc == -EINVAL && !err[0])
		FZ_BUG("malformed body without a reason");
	if (rc && rc != -EINVAL && rc != -ENOMEM)
		FZ_BUG("lab_results_body_decode returned %d", rc);
	if (rc == 0) {
		tree = json_loadb((const char *)data, size,
				  JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
		if (!tree)
			FZ_BUG("decoder accepted JSON that jansson refuses: %s", je.text);
		if (b.bad_index != SIZE_MAX && !b.bad[0])
			FZ_BUG("bad record %zu without a reason", b.bad_index);
		if (b.records_is_array && b.bad_index == SIZE_MAX)
			compare(&b, tree);
		json_decref(tree);
	}
	lab_results_body_clear(&b);

	err[0] = 0;
	rc = lab_record_decode((const char *)data, size, &r, NULL, err, sizeof(err));
	if (rc == 0) {
		tree = json_loadb((const char *)data, size,
				  JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
		if (!tree)
			FZ_BUG("decoder accepted a record jansson refuses: %s", je.text);
		json_decref(tree);
		lab_result_clear(&r);
	} else if (rc == -EINVAL && !err[0]) {
		FZ_BUG("malformed record without a reason");
	}
	return 0;
}
