/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_record_json.c - the streaming record decoder (server/record_json.c):
 * rule order independent of key order, duplicate keys, nesting and integer
 * limits, the stored steps text (checked against jansson's compact dump of
 * the same array), and POST /results bodies (flags, records, the first bad
 * record, mixed targets, the record limit).
 */
#include <jansson.h>

#include "helpers.h"
#include "record_json.h"

#define STEPS "[{\"name\":\"alloc\",\"errno\":0,\"err\":\"OK\"}," \
	"{\"name\":\"attach\",\"errno\":22,\"err\":\"EINVAL\",\"extra\":{\"a\":[1,2.5,null,true]}}]"
#define REC(target) "{\"v\":1,\"id\":\"kmod.attach.case00\",\"target\":\"" target "\"," \
	"\"kernel\":\"6.12.57-amd64\",\"arch\":\"x86_64\",\"driver\":\"intel-iommu\"," \
	"\"steps\":" STEPS ",\"observed\":22,\"expected\":22,\"verdict\":\"pass\"," \
	"\"reused\":true,\"repeat\":3,\"duration_us\":77,\"later\":{\"x\":{\"y\":[]}}}"

static int decode(const char *json, struct lab_result *r, char *err, size_t n)
{
	return lab_record_decode(json, strlen(json), r, NULL, err, n);
}

static void test_good_and_steps_text(void **state)
{
	struct lab_record_ident id;
	struct lab_result r;
	char err[512] = "";
	json_error_t je;
	json_t *steps;
	char *want;

	(void)state;
	assert_int_equal(lab_record_decode(REC("q35-vtd"), strlen(REC("q35-vtd")), &r, &id,
					   err, sizeof(err)), 0);
	assert_string_equal(r.case_id, "kmod.attach.case00");
	assert_int_equal(r.observed, 22);
	assert_int_equal(r.expected, 22);
	assert_int_equal(r.reused, 1);
	assert_int_equal(r.repeat, 3);
	assert_int_equal(r.duration_us, 77);
	assert_null(r.iommu);
	assert_string_equal(id.target, "q35-vtd");
	assert_string_equal(id.kernel, "6.12.57-amd64");
	assert_true(id.has_arch);
	/* the stored steps are what jansson's compact dump of them says */
	steps = json_loads(STEPS, 0, &je);
	assert_non_null(steps);
	want = json_dumps(steps, JSON_COMPACT);
	assert_string_equal(r.steps_json, want);
	free(want);
	json_decref(steps);
	lab_result_clear(&r);
	/* whitespace anywhere changes nothing */
	assert_int_equal(decode(" { \"v\" : 1 , \"id\":\"a.b\",\"target\":\"t\",\"kernel\":\"k\","
				"\"driver\":\"none\",\"verdict\":\"skip\",\"observed\":0,"
				"\"steps\" : [ { \"name\" : \"x\" , \"errno\" : 0 } ] }\n",
				&r, err, sizeof(err)), 0);
	assert_string_equal(r.steps_json, "[{\"name\":\"x\",\"errno\":0}]");
	lab_result_clear(&r);
	/* valid multi-byte text passes, escaped or not */
	assert_int_equal(decode("{\"v\":1,\"id\":\"a.b\",\"target\":\"t\",\"kernel\":\"k\","
				"\"driver\":\"none\",\"verdict\":\"skip\",\"observed\":0,"
				"\"reason\":\"caf\xc3\xa9 \\ud83d\\ude00 \xf0\x9f\x98\x80\","
				"\"steps\":[]}", &r, err, sizeof(err)), 0);
	assert_string_equal(r.reason, "caf\xc3\xa9 \xf0\x9f\x98\x80 \xf0\x9f\x98\x80");
	lab_result_clear(&r);
	/* an escaped backslash before "ud800" is text, not an escape */
	assert_int_equal(decode("{\"v\":1,\"id\":\"a.b\",\"target\":\"t\",\"kernel\":\"k\","
				"\"driver\":\"none\",\"verdict\":\"skip\",\"observed\":0,"
				"\"reason\":\"\\\\ud800\",\"steps\":[]}", &r, err, sizeof(err)), 0);
	assert_string_equal(r.reason, "\\ud800");
	assert_int_equal(r.expected, -1);
	assert_int_equal(r.reused, -1);
	lab_result_clear(&r);
}

/* @json must be refused with @why in the error */
static void bad(const char *json, const char *why)
{
	struct lab_result r;
	char err[512] = "";
	int rc = decode(json, &r, err, sizeof(err));

	if (rc != -EINVAL)
		fail_msg("accepted (%d): %s", rc, json);
	if (!strstr(err, why))
		fail_msg("error '%s' lacks '%s' for %s", err, why, json);
}

static void test_rules(void **state)
{
	(void)state;
	/* the first rule in docs/records.md order wins, whatever the key order:
	 * bad steps come first in the text, the bad "v" is reported */
	bad("{\"steps\":7,\"v\":2,\"id\":\"a\",\"target\":\"t\",\"kernel\":\"k\","
	    "\"driver\":\"none\",\"verdict\":\"skip\",\"observed\":0}", "\"v\" = 2 out of range");
	bad("{\"v\":1,\"id\":\"a\",\"target\":\"t\",\"kernel\":\"k\",\"driver\":\"none\","
	    "\"verdict\":\"skip\",\"observed\":0,\"steps\":7}", "\"steps\" must be an array");
	bad("{\"v\":1,\"id\":\"a\",\"target\":\"t\",\"kernel\":\"k\",\"driver\":\"none\","
	    "\"verdict\":\"skip\",\"observed\":0}", "missing \"steps\"");
	bad("{\"v\":1,\"id\":\"A\",\"target\":\"t\",\"kernel\":\"k\",\"driver\":\"none\","
	    "\"verdict\":\"skip\",\"observed\":0,\"steps\":[]}", "\"id\" has characters outside");
	bad("{\"v\":1,\"id\":\"a\",\"target\":\"t\",\"kernel\":\"k\",\"driver\":\"none\","
	    "\"verdict\":\"pass\",\"observed\":0,\"steps\":[]}", "needs an \"expected\"");
	bad("{\"v\":1,\"id\":\"a\",\"target\":\"t\",\"kernel\":\"k\",\"driver\":\"none\","
	    "\"verdict\":\"skip\",\"observed\":1.0,\"steps\":[]}", "\"observed\" must be an integer");
	bad("{\"v\":1,\"id\":\"a\",\"target\":\"t\",\"kernel\":\"k\\u0000\",\"driver\":\"none\","
	    "\"verdict\":\"skip\",\"observed\":0,\"steps\":[]}", "holds NUL");
	bad("{\"v\":1,\"id\":\"a\",\"target\":\"t\",\"kernel\":\"k\",\"driver\":\"none\","
	    "\"verdict\":\"skip\",\"observed\":0,\"steps\":[{\"name\":\"\",\"errno\":0}]}",
	    "steps[0].name must be a string of 1-64 bytes");
	bad("{\"v\":1,\"id\":\"a\",\"target\":\"t\",\"kernel\":\"k\",\"driver\":\"none\","
	    "\"verdict\":\"skip\",\"observed\":0,\"steps\":[{\"name\":\"x\",\"errno\":0},3]}",
	    "steps[1] is not an object");
	bad("{\"v\":1,\"id\":\"a\",\"target\":\"t\",\"kernel\":\"k\",\"driver\":\"none\","
	    "\"verdict\":\"skip\",\"observed\":0,\"steps\":[{\"name\":\"x\",\"errno\":0,\"err\":null}]}",
	    "steps[0].err must be a string");
	bad("{\"v\":1,\"id\":\"a\",\"target\":\"t\",\"kernel\":\"k\",\"driver\":\"none\","
	    "\"verdict\":\"skip\",\"observed\":0,\"reused\":1,\"steps\":[]}", "\"reused\" must be");
	/* JSON-level: duplicates (known and unknown keys), overflow, depth, syntax */
	bad("{\"v\":1,\"v\":1}", "duplicate key \"v\"");
	bad("{\"zz\":1,\"zz\":2}", "duplicate key \"zz\"");
	bad("{\"v\":99999999999999999999}", "integer out of range");
	bad("[1]", "not a JSON object");
	bad("{\"v\":1,", "invalid JSON");
	bad("{\"v\":1} {}", "invalid JSON");
	/* found by fuzz_ingest against jansson: yajl's leniencies */
	bad("{\"v\":1}\"", "data after the document");
	bad("{\v\"v\":1}", "control character 0x0b");
	bad("{\"v\":1e999}", "real number out of range");
	bad("{\"a\\u0000b\":1}", "NUL byte in an object key");
	/* found by fuzz_ingest in a fresh clone: yajl's UTF-8 check is lax */
	bad("{\"v\":\"\xc1\xbf\"}", "invalid UTF-8 in a string");
	bad("{\"v\":\"\\ud800\"}", "lone UTF-16 surrogate");
	bad("{\"v\":\"\\udc00\\ud800\"}", "lone UTF-16 surrogate");
	bad("{\"v\":\"\\\\\\ud800x\"}", "lone UTF-16 surrogate");
	bad("{\"\xed\xa0\x80\":1}", "invalid UTF-8 in an object key");
	bad("{\"v\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8");
	/* found by fuzz_api: a key naming "out of memory" is not an allocation failure */
	{
		struct lab_result r;
		char err[512] = "";

		assert_int_equal(decode("{\"x out of memory\":1,\"x out of memory\":2}", &r, err,
					sizeof(err)), -EINVAL);
	}
}

static void test_depth(void **state)
{
	char json[1024];
	struct lab_result r;
	char err[512] = "";
	int n = 0;

	(void)state;
	/* an unknown key may hold nesting up to the limit, not beyond */
	n = snprintf(json, sizeof(json), "{\"x\":");
	for (int i = 0; i < 70; i++)
		json[n++] = '[';
	for (int i = 0; i < 70; i++)
		json[n++] = ']';
	snprintf(json + n, sizeof(json) - (size_t)n, "}");
	assert_int_equal(decode(json, &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "nesting deeper than"));
}

static void test_body(void **state)
{
	static const char body[] = "{\"complete\":true,\"records\":[" REC("q35-vtd") ","
		REC("q35-vtd") "],\"job\":42}";
	struct lab_results_body b;
	char err[512] = "";

	(void)state;
	assert_int_equal(lab_results_body_decode(body, strlen(body), 100, &b, err, sizeof(err)), 0);
	assert_int_equal(b.job, 42);
	assert_true(b.has_records && b.records_is_array && !b.has_log);
	assert_true(b.has_complete && b.complete_is_bool && b.complete);
	assert_int_equal(b.n, 2);
	assert_true(b.bad_index == SIZE_MAX);
	assert_string_equal(b.ident.target, "q35-vtd");
	assert_string_equal(b.res[1].case_id, "kmod.attach.case00");
	assert_non_null(strstr(b.res[1].steps_json, "\"extra\":{\"a\":[1,2.5,null,true]}"));
	lab_results_body_clear(&b);

	/* records that disagree on the target: the second is the bad one */
	{
		static const char mixed[] = "{\"job\":1,\"records\":[" REC("q35-vtd") ","
			REC("q35-amd") "]}";

		assert_int_equal(lab_results_body_decode(mixed, strlen(mixed), 100, &b, err,
							 sizeof(err)), 0);
		assert_int_equal(b.bad_index, 1);
		assert_int_equal(b.bad_errno, -EINVAL);
		assert_non_null(strstr(b.bad, "differ from records[0]"));
		lab_results_body_clear(&b);
	}
	/* over the limit, a non-object record, a log body, wrong types */
	assert_int_equal(lab_results_body_decode(body, strlen(body), 1, &b, err, sizeof(err)), 0);
	assert_int_equal(b.bad_index, 1);
	assert_int_equal(b.bad_errno, -E2BIG);
	lab_results_body_clear(&b);
	{
		static const char s1[] = "{\"job\":1,\"records\":[" REC("t") ",7]}";
		static const char s2[] = "{\"job\":\"1\",\"log\":\"IOMMULAB-BEGIN {}\\n\"}";
		static const char s3[] = "{\"job\":-3,\"records\":{},\"complete\":1}";

		assert_int_equal(lab_results_body_decode(s1, strlen(s1), 100, &b, err,
							 sizeof(err)), 0);
		assert_int_equal(b.bad_index, 1);
		assert_non_null(strstr(b.bad, "not a JSON object"));
		lab_results_body_clear(&b);
		assert_int_equal(lab_results_body_decode(s2, strlen(s2), 100, &b, err,
							 sizeof(err)), 0);
		assert_true(b.has_job && b.job == 0 && b.has_log && b.log_is_string);
		assert_string_equal(b.log, "IOMMULAB-BEGIN {}\n");
		lab_results_body_clear(&b);
		assert_int_equal(lab_results_body_decode(s3, strlen(s3), 100, &b, err,
							 sizeof(err)), 0);
		assert_true(b.job == 0 && b.has_records && !b.records_is_array);
		assert_true(b.has_complete && !b.complete_is_bool);
		lab_results_body_clear(&b);
	}
	/* malformed JSON: where */
	assert_int_equal(lab_results_body_decode("{\n\"job\":1,\n\"records\":[}", 24, 100, &b, err,
						 sizeof(err)), -EINVAL);
	assert_int_equal(b.err_line, 3);
	assert_non_null(strstr(err, "line 3"));
	assert_null(b.res);
	lab_results_body_clear(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_and_steps_text),
		cmocka_unit_test(test_rules),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_body),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
