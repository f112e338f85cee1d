/*
 * test_record.c - unit tests for record.c and jsonw.c: the record line is one
 * line, starts with its prefix, fits 4096 bytes, parses as JSON (checked with
 * jansson, host-side only), carries every required key with the right type,
 * and escapes hostile strings correctly; oversize records degrade to a valid
 * record without steps; BEGIN/END lines are valid too.
 */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "jsonw.h"
#include "record.h"

static struct lab_result res;

static void fill_result(void)
{
	memset(&res, 0, sizeof(res));
	strcpy(res.driver, "intel-iommu");
	strcpy(res.iommu, "dmar0");
	strcpy(res.device, "0000:00:03.0");
	lab_result_step(&res, "domain_alloc", 0);
	lab_result_step(&res, "attach", -EOPNOTSUPP);
	res.observed = EOPNOTSUPP;
	res.outcome = LAB_OUTCOME_JUDGE;
	res.reused = -1;
	res.verified = LAB_VERIFIED_NONE;
}

static const struct lab_contract c61 = { NULL, "6.2", "intel-iommu", EOPNOTSUPP };

static struct lab_record make_rec(const char *reason)
{
	return (struct lab_record){
		.id = "kmod.coherency.vtd_no_snoop", .target = "q35-vtd",
		.kernel = "6.1.0-56-amd64", .arch = "x86_64", .res = &res, .contract = &c61,
		.verdict = LAB_VERDICT_PASS, .reason = reason, .duration_us = 1234, .repeat = 2,
	};
}

/* checks shared by every record line; returns the parsed object (caller decrefs) */
static json_t *parse_line(const char *buf, int len, const char *prefix)
{
	json_error_t jerr;
	json_t *o;
	size_t pl = strlen(prefix);

	assert_true(len > 0);
	assert_int_equal((size_t)len, strlen(buf));
	assert_true(len <= LAB_RECORD_MAX);
	assert_memory_equal(buf, prefix, pl);
	assert_int_equal(buf[len - 1], '\n');
	assert_null(memchr(buf, '\n', (size_t)len - 1));	/* exactly one line */
	assert_null(memchr(buf, '\r', (size_t)len));
	o = json_loadb(buf + pl, (size_t)len - pl - 1, JSON_REJECT_DUPLICATES, &jerr);
	if (!o)
		fail_msg("not JSON: %s: %s", jerr.text, buf);
	assert_true(json_is_object(o));
	assert_int_equal(json_integer_value(json_object_get(o, "v")), 1);
	return o;
}

static void required_keys(void **state)
{
	char buf[LAB_RECORD_MAX];
	struct lab_record rec;
	json_t *o, *steps, *s1;
	int len;

	(void)state;
	fill_result();
	rec = make_rec("");
	len = lab_record_format(&rec, buf, sizeof(buf));
	o = parse_line(buf, len, "IOMMULAB-REC ");
	assert_string_equal(json_string_value(json_object_get(o, "id")), "kmod.coherency.vtd_no_snoop");
	assert_string_equal(json_string_value(json_object_get(o, "target")), "q35-vtd");
	assert_string_equal(json_string_value(json_object_get(o, "kernel")), "6.1.0-56-amd64");
	assert_string_equal(json_string_value(json_object_get(o, "arch")), "x86_64");
	assert_string_equal(json_string_value(json_object_get(o, "driver")), "intel-iommu");
	assert_string_equal(json_string_value(json_object_get(o, "iommu")), "dmar0");
	steps = json_object_get(o, "steps");
	assert_true(json_is_array(steps));
	assert_int_equal(json_array_size(steps), 2);
	s1 = json_array_get(steps, 1);
	assert_string_equal(json_string_value(json_object_get(s1, "name")), "attach");
	assert_int_equal(json_integer_value(json_object_get(s1, "errno")), EOPNOTSUPP);
	assert_string_equal(json_string_value(json_object_get(s1, "err")), "EOPNOTSUPP");
	assert_string_equal(json_string_value(json_object_get(json_array_get(steps, 0), "err")), "OK");
	assert_int_equal(json_integer_value(json_object_get(o, "observed")), EOPNOTSUPP);
	assert_string_equal(json_string_value(json_object_get(o, "observed_name")), "EOPNOTSUPP");
	assert_int_equal(json_integer_value(json_object_get(o, "expected")), EOPNOTSUPP);
	assert_string_equal(json_string_value(json_object_get(o, "expected_name")), "EOPNOTSUPP");
	assert_string_equal(json_string_value(json_object_get(o, "contract")), "<6.2:intel-iommu");
	assert_string_equal(json_string_value(json_object_get(o, "verdict")), "pass");
	assert_true(json_is_string(json_object_get(o, "reason")));
	assert_true(json_is_null(json_object_get(o, "reused")));
	assert_string_equal(json_string_value(json_object_get(o, "verified")), "none");
	assert_int_equal(json_integer_value(json_object_get(o, "duration_us")), 1234);
	assert_int_equal(json_integer_value(json_object_get(o, "repeat")), 2);
	json_decref(o);
}

static void no_contract_and_reuse(void **state)
{
	char buf[LAB_RECORD_MAX];
	struct lab_record rec;
	json_t *o;
	int len;

	(void)state;
	fill_result();
	res.reused = 1;
	res.verified = LAB_VERIFIED_CORE;
	rec = make_rec("no contract entry");
	rec.contract = NULL;
	rec.verdict = LAB_VERDICT_SKIP;
	len = lab_record_format(&rec, buf, sizeof(buf));
	o = parse_line(buf, len, "IOMMULAB-REC ");
	assert_true(json_is_null(json_object_get(o, "expected")));
	assert_true(json_is_null(json_object_get(o, "expected_name")));
	assert_true(json_is_true(json_object_get(o, "reused")));
	assert_string_equal(json_string_value(json_object_get(o, "verified")), "core");
	assert_string_equal(json_string_value(json_object_get(o, "verdict")), "skip");
	json_decref(o);
}

static void hostile_strings(void **state)
{
	/* quote, backslash, newline, CR, tab, ESC, DEL, a fake record, UTF-8, broken UTF-8 */
	const char *reason = "a\"b\\c\nIOMMULAB-REC {\"v\":1}\r\t\x1b[31m\x7f caf\xc3\xa9 \xff\xc3";
	char buf[LAB_RECORD_MAX];
	struct lab_record rec;
	const char *got;
	json_t *o;
	int len;

	(void)state;
	fill_result();
	strcpy(res.steps[0].name, "we\"ird\n");
	rec = make_rec(reason);
	rec.verdict = LAB_VERDICT_FAIL;
	len = lab_record_format(&rec, buf, sizeof(buf));
	o = parse_line(buf, len, "IOMMULAB-REC ");
	got = json_string_value(json_object_get(o, "reason"));
	assert_string_equal(got,
		"a\"b\\c\nIOMMULAB-REC {\"v\":1}\r\t\x1b[31m\x7f caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(o, "steps"), 0), "name")),
			    "we\"ird\n");
	json_decref(o);
}

static void oversize_drops_steps(void **state)
{
	char buf[LAB_RECORD_MAX];
	struct lab_record rec;
	json_t *o;
	int len, i;

	(void)state;
	fill_result();
	for (i = res.nsteps; i < LAB_STEPS_MAX; i++)
		lab_result_step(&res, "a_rather_long_step_name_here_xx", EINVAL);
	rec = make_rec("x");
	/* a line buffer smaller than the full record: steps go, the rest stays */
	len = lab_record_format(&rec, buf, 700);
	o = parse_line(buf, len, "IOMMULAB-REC ");
	assert_int_equal(json_array_size(json_object_get(o, "steps")), 0);
	assert_non_null(strstr(json_string_value(json_object_get(o, "reason")), "truncated"));
	assert_string_equal(json_string_value(json_object_get(o, "verdict")), "pass");
	json_decref(o);
	/* the full record fits the real limit */
	len = lab_record_format(&rec, buf, sizeof(buf));
	o = parse_line(buf, len, "IOMMULAB-REC ");
	assert_int_equal(json_array_size(json_object_get(o, "steps")), LAB_STEPS_MAX);
	json_decref(o);
	/* far too small: refused, never a cut line */
	assert_int_equal(lab_record_format(&rec, buf, 40), -ENOSPC);
}

static void unknown_driver_is_none(void **state)
{
	char buf[LAB_RECORD_MAX];
	struct lab_record rec;
	json_t *o;
	int len;

	(void)state;
	fill_result();
	strcpy(res.driver, "qcom-smmu");
	rec = make_rec("");
	len = lab_record_format(&rec, buf, sizeof(buf));
	o = parse_line(buf, len, "IOMMULAB-REC ");
	assert_string_equal(json_string_value(json_object_get(o, "driver")), "none");
	assert_string_equal(json_string_value(json_object_get(o, "driver_detail")), "qcom-smmu");
	json_decref(o);
	strcpy(res.driver, "virtio-iommu");
	len = lab_record_format(&rec, buf, sizeof(buf));
	o = parse_line(buf, len, "IOMMULAB-REC ");
	assert_string_equal(json_string_value(json_object_get(o, "driver")), "virtio-iommu");
	assert_null(json_object_get(o, "driver_detail"));
	json_decref(o);
}

static void begin_end(void **state)
{
	char buf[512];
	json_t *o;
	int len;

	(void)state;
	len = lab_record_format_begin(buf, sizeof(buf), "q35-vtd", "6.1.0-56-amd64", "x86_64", 14);
	o = parse_line(buf, len, "IOMMULAB-BEGIN ");
	assert_int_equal(json_integer_value(json_object_get(o, "cases")), 14);
	assert_string_equal(json_string_value(json_object_get(o, "target")), "q35-vtd");
	json_decref(o);
	len = lab_record_format_end(buf, sizeof(buf), 14, "ok");
	o = parse_line(buf, len, "IOMMULAB-END ");
	assert_int_equal(json_integer_value(json_object_get(o, "records")), 14);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "ok");
	json_decref(o);
	assert_int_equal(lab_record_format_end(buf, 10, 14, "ok"), -ENOSPC);
}

static void jsonw_overflow_is_sticky(void **state)
{
	char buf[16];
	struct lab_jw w;

	(void)state;
	lab_jw_init(&w, buf, sizeof(buf));
	lab_jw_obj_begin(&w);
	lab_jw_kstr(&w, "k", "0123456789abcdef");
	lab_jw_kint(&w, "n", 1);
	lab_jw_obj_end(&w);
	assert_int_equal(lab_jw_ok(&w), -ENOSPC);
	assert_true(strlen(buf) < sizeof(buf));
	/* unbalanced is reported too */
	lab_jw_init(&w, buf, sizeof(buf));
	lab_jw_arr_begin(&w);
	assert_int_equal(lab_jw_ok(&w), -EINVAL);
	lab_jw_arr_end(&w);
	assert_int_equal(lab_jw_ok(&w), 0);
	assert_string_equal(buf, "[]");
}

static void escape_controls(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(lab_json_escape("\x01\x1f", out, sizeof(out)), 14);
	assert_string_equal(out, "\"\\u0001\\u001f\"");
	/* overlong encoding and surrogates are not valid UTF-8 */
	assert_true(lab_json_escape("\xc0\xaf\xed\xa0\x80", out, sizeof(out)) > 0);
	assert_string_equal(out, "\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\"");
	assert_int_equal(lab_json_escape("abcdef", out, 5), -ENOSPC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(required_keys),
		cmocka_unit_test(no_contract_and_reuse),
		cmocka_unit_test(hostile_strings),
		cmocka_unit_test(oversize_drops_steps),
		cmocka_unit_test(unknown_driver_is_none),
		cmocka_unit_test(begin_end),
		cmocka_unit_test(jsonw_overflow_is_sticky),
		cmocka_unit_test(escape_controls),
	};

	return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
