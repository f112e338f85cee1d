/*
 * test_kreport.c - the kernel-report classifier (kreport.c over the table in
 * kpatterns.c) and the kernel keys of the record line, on real kernel text:
 *  - tests/data/6.12-*.txt, 6.1-vtd-fault-oops.txt: captured by this lab
 *    (rig/matrix, Debian 6.12.118 on q35-virtio and q35-vtd-sm, 6.1.0-57 on
 *    q35-vtd): the probe module's fault.warn WARN and fault.oops NULL
 *    dereference, the virtio-iommu oops of kmod.map.before_attach (map into a
 *    never-attached domain), the VT-d fault of docs/findings.md F1, console
 *    text with timestamps as rig/boot logged it;
 *  - kasan-iommufd-selftest.txt: a syzbot KASAN report on the IOMMUFD selftest
 *    (page_owner stack left out), lockdep-circular.txt: a syzbot lockdep report
 *    (chain entries #5..#0 and some frames left out), iommu-faults.txt: AMD-Vi
 *    and VT-d fault lines quoted in upstream commit messages.
 * Every check names what the rule in kreport.h / docs/records.md promises.
 */
#include <errno.h>
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kmsg.h"
#include "kreport.h"
#include "record.h"

#ifndef LAB_TEST_DATA
#define LAB_TEST_DATA "tests/data"
#endif

static struct lab_klines lines;
static char text[65536], excerpt[16384];

/* load one data file (or two, concatenated) into @lines */
static void load(const char *a, const char *b)
{
	const char *names[2] = { a, b };
	size_t len = 0;
	int i;

	for (i = 0; i < 2 && names[i]; i++) {
		char path[512];
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", LAB_TEST_DATA, names[i]);
		f = fopen(path, "r");
		assert_non_null(f);
		len += fread(text + len, 1, sizeof(text) - 1 - len, f);
		fclose(f);
	}
	text[len] = '\0';
	assert_int_equal(lab_klines_from_text(&lines, text), 0);
	assert_int_equal(lines.dropped, 0);
}

static int find_line(const char *needle)
{
	int i;

	for (i = 0; i < lines.n; i++)
		if (strstr(lab_klines_get(&lines, i), needle))
			return i;
	return -1;
}

static void test_table_sane(void **state)
{
	const struct lab_kpattern *p;
	int n = 0;

	(void)state;
	for (p = lab_kpatterns; p->kind; p++, n++) {
		assert_non_null(p->start);
		assert_true(p->max_lines > 0);
		assert_true(p->cls == LAB_KCLASS_WARN || p->cls == LAB_KCLASS_CRASH);
		assert_false(p->end && p->cont);	/* one way to end */
	}
	assert_true(n >= 20);
}

static void test_timestamps_stripped(void **state)
{
	(void)state;
	load("6.12-virtio-fault-warn.txt", NULL);
	assert_string_equal(lab_klines_get(&lines, 0), "------------[ cut here ]------------");
}

static void test_warn_612(void **state)
{
	struct lab_kreport r[4];
	int n;

	(void)state;
	load("6.12-virtio-fault-warn.txt", NULL);
	n = lab_kreport_scan(&lines, r, 4);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].pat->kind, "warning");
	assert_int_equal(r[0].pat->cls, LAB_KCLASS_WARN);
	/* the lead-in "cut here" and WARN()'s message belong to the report */
	assert_int_equal(r[0].first, 0);
	assert_int_equal(r[0].start, find_line("WARNING: CPU: 0 PID: 221 at "));
	assert_int_equal(r[0].start, 2);
	assert_true(r[0].ended);
	assert_int_equal(r[0].last, find_line("---[ end trace"));
	assert_int_equal(r[0].last, lines.n - 1);
}

static void test_oops_612_virtio(void **state)
{
	struct lab_kreport r[4];
	int n, len;

	(void)state;
	load("6.12-virtio-map-before-attach-oops.txt", NULL);
	n = lab_kreport_scan(&lines, r, 4);
	/* the "Oops:" line inside and the register dump after the end are no new reports */
	assert_int_equal(n, 1);
	assert_string_equal(r[0].pat->kind, "oops");
	assert_int_equal(r[0].pat->cls, LAB_KCLASS_CRASH);
	assert_int_equal(r[0].first, 0);
	assert_true(r[0].ended);
	assert_int_equal(r[0].last, find_line("---[ end trace"));
	assert_true(r[0].last < lines.n - 1);
	len = lab_kreport_text(&lines, &r[0], excerpt, sizeof(excerpt));
	assert_true(len > 0);
	assert_non_null(strstr(excerpt, "viommu_sync_req+0x1a/0x60 [virtio_iommu]"));
	assert_null(strstr(excerpt, "exited with irqs disabled"));
	assert_int_equal(strncmp(excerpt, "BUG: kernel NULL pointer dereference, address: 0000000000000068\n", 64), 0);
}

static void test_oops_61(void **state)
{
	struct lab_kreport r[4];
	int n;

	(void)state;
	load("6.1-vtd-fault-oops.txt", NULL);
	n = lab_kreport_scan(&lines, r, 4);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].pat->kind, "oops");
	/* the module's own pr_emerg before it is not part of the report */
	assert_int_equal(r[0].first, 1);
	assert_string_equal(lab_klines_get(&lines, r[0].start),
			    "BUG: kernel NULL pointer dereference, address: 0000000000000000");
	assert_true(r[0].ended);
	assert_int_equal(r[0].last, find_line("---[ end trace"));
}

static void test_kasan(void **state)
{
	struct lab_kreport r[4];
	int n;

	(void)state;
	load("kasan-iommufd-selftest.txt", NULL);
	n = lab_kreport_scan(&lines, r, 4);
	assert_int_equal(n, 1);	/* both "BUG: KASAN:" lines are one report */
	assert_string_equal(r[0].pat->kind, "kasan");
	assert_int_equal(r[0].pat->cls, LAB_KCLASS_WARN);
	assert_int_equal(r[0].first, 1);	/* the rule, not the line before it */
	assert_int_equal(r[0].start, 2);
	assert_true(r[0].ended);
	assert_int_equal(r[0].last, lines.n - 1);
}

static void test_lockdep(void **state)
{
	struct lab_kreport r[4];
	int n;

	(void)state;
	load("lockdep-circular.txt", NULL);
	n = lab_kreport_scan(&lines, r, 4);
	assert_int_equal(n, 1);
	assert_string_equal(r[0].pat->kind, "lockdep");
	assert_int_equal(r[0].pat->cls, LAB_KCLASS_WARN);
	assert_int_equal(r[0].first, 0);
	assert_true(r[0].ended);
	assert_string_equal(lab_klines_get(&lines, r[0].last), " </TASK>");
}

static void test_iommu_faults(void **state)
{
	struct lab_kreport r[4];
	int n;

	(void)state;
	load("iommu-faults.txt", NULL);
	n = lab_kreport_scan(&lines, r, 4);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].pat->kind, "iommu_fault");
	assert_int_equal(r[0].first, 0);
	assert_int_equal(r[0].last, 0);
	assert_string_equal(r[1].pat->kind, "iommu_fault");
	assert_int_equal(r[1].first, 1);
	assert_int_equal(r[1].last, 2);	/* the DMAR detail line, not the xhci line after it */
}

/* captured here: 6.12 q35-vtd-sm, kmod.attach.group_multi_device (docs/findings.md F1) */
static void test_dmar_fault_612(void **state)
{
	struct lab_klog k = { 0 };
	char why[256] = "driver reported success without attaching (DMA through the domain did not arrive)";
	struct lab_kreport r[4];
	int n;

	(void)state;
	load("6.12-vtd-sm-dmar-fault.txt", NULL);
	n = lab_kreport_scan(&lines, r, 4);
	assert_int_equal(n, 2);	/* the read fault and the write fault */
	assert_string_equal(r[0].pat->kind, "iommu_fault");
	assert_int_equal(r[0].first, 0);
	assert_int_equal(r[0].last, 1);	/* the status line and its detail line */
	assert_int_equal(r[1].first, 2);
	assert_int_equal(r[1].last, 3);
	assert_int_equal(lab_kreport_judge(&lines, LAB_VERDICT_FAIL, why, sizeof(why), &k, excerpt,
					   sizeof(excerpt)), LAB_VERDICT_WARN);
	assert_int_equal(k.contract_verdict, LAB_VERDICT_FAIL);
	assert_int_equal(k.reports, 2);
	assert_non_null(strstr(excerpt, "Request device [02:00.0] fault addr 0x100000"));
	assert_non_null(strstr(why, "; driver reported success without attaching"));
}

static void test_worst_is_crash(void **state)
{
	struct lab_kreport r[4];
	const struct lab_kreport *w;
	int n;

	(void)state;
	load("6.12-virtio-fault-warn.txt", "6.12-virtio-map-before-attach-oops.txt");
	n = lab_kreport_scan(&lines, r, 4);
	assert_int_equal(n, 2);
	w = lab_kreport_worst(r, n);
	assert_ptr_equal(w, &r[1]);
	assert_string_equal(w->pat->kind, "oops");
}

static void test_judge_warn_overrides_pass(void **state)
{
	struct lab_klog k = { .have_taint = 1, .taint_before = 0x3000, .taint_after = 0x3200 };
	char why[256] = "";
	enum lab_verdict v;

	(void)state;
	load("6.12-virtio-fault-warn.txt", NULL);
	v = lab_kreport_judge(&lines, LAB_VERDICT_PASS, why, sizeof(why), &k, excerpt,
			      sizeof(excerpt));
	assert_int_equal(v, LAB_VERDICT_WARN);
	assert_string_equal(k.kind, "warning");
	assert_int_equal(k.contract_verdict, LAB_VERDICT_PASS);
	assert_int_equal(k.reports, 1);
	assert_int_equal(k.excerpt_lines, lines.n);
	assert_int_equal(strncmp(why, "kernel warning: WARNING: CPU: 0 PID: 221 at ", 44), 0);
}

static void test_judge_oops_names_the_kernel(void **state)
{
	struct lab_klog k = { .have_taint = 1, .taint_before = 0x3000, .taint_after = 0x3080 };
	char why[256] = "case crashed after step domain_alloc: SIGKILL (9)";
	enum lab_verdict v;

	(void)state;
	load("6.12-virtio-map-before-attach-oops.txt", NULL);
	v = lab_kreport_judge(&lines, LAB_VERDICT_ERROR, why, sizeof(why), &k, excerpt,
			      sizeof(excerpt));
	assert_int_equal(v, LAB_VERDICT_CRASH);
	assert_int_equal(k.contract_verdict, LAB_VERDICT_ERROR);
	assert_string_equal(why, "kernel oops: BUG: kernel NULL pointer dereference, address: 0000000000000068; case crashed after step domain_alloc: SIGKILL (9)");
}

static void test_judge_taint_only(void **state)
{
	struct lab_klog k = { .have_taint = 1, .taint_before = 0x3000, .taint_after = 0x3080 };
	char why[256] = "";
	enum lab_verdict v;

	(void)state;
	load("iommu-faults.txt", NULL);
	lines.n = 0;	/* the ring buffer lost the report */
	v = lab_kreport_judge(&lines, LAB_VERDICT_PASS, why, sizeof(why), &k, excerpt,
			      sizeof(excerpt));
	assert_int_equal(v, LAB_VERDICT_CRASH);
	assert_string_equal(k.kind, "oops");
	assert_null(k.excerpt);
	assert_non_null(strstr(why, "taint flag D newly set"));
	/* an old taint is no news */
	k.taint_before = 0x3080;
	why[0] = '\0';
	assert_int_equal(lab_kreport_judge(&lines, LAB_VERDICT_PASS, why, sizeof(why), &k,
					   excerpt, sizeof(excerpt)), LAB_VERDICT_PASS);
	assert_null(k.kind);
	assert_string_equal(why, "");
}

static void test_judge_quiet_kernel(void **state)
{
	struct lab_klog k = { 0 };
	char why[64] = "expected EINVAL, got OK";

	(void)state;
	assert_int_equal(lab_klines_from_text(&lines, "virtio_iommu virtio0: input address: 64 bits\n"
					      "iommulab_probe: ready, abi 1, features 0x7\n"), 0);
	assert_int_equal(lab_kreport_judge(&lines, LAB_VERDICT_FAIL, why, sizeof(why), &k,
					   excerpt, sizeof(excerpt)), LAB_VERDICT_FAIL);
	assert_string_equal(why, "expected EINVAL, got OK");
	assert_int_equal(lab_kreport_judge(NULL, LAB_VERDICT_SKIP, why, sizeof(why), &k,
					   excerpt, sizeof(excerpt)), LAB_VERDICT_SKIP);
}

/* ---- the record line ---- */

static struct lab_result res;
static const struct lab_contract c_ok = { NULL, NULL, "any", 0 };

static json_t *format_and_parse(const struct lab_record *rec, char *buf)
{
	json_error_t jerr;
	json_t *o;
	int len = lab_record_format(rec, buf, LAB_RECORD_MAX);

	assert_true(len > 0 && len <= LAB_RECORD_MAX);
	assert_null(memchr(buf, '\n', (size_t)len - 1));
	o = json_loads(buf + strlen("IOMMULAB-REC "), 0, &jerr);
	assert_non_null(o);
	return o;
}

static struct lab_record crash_record(struct lab_klog *k, const char *data, enum lab_verdict *v,
				      char *why, size_t whylen)
{
	memset(&res, 0, sizeof(res));
	strcpy(res.driver, "virtio-iommu");
	strcpy(res.device, "0000:00:03.0");
	lab_result_step(&res, "domain_alloc", 0);
	res.reused = -1;
	res.verified = LAB_VERIFIED_NONE;
	load(data, NULL);
	*v = lab_kreport_judge(&lines, LAB_VERDICT_ERROR, why, whylen, k, excerpt, sizeof(excerpt));
	return (struct lab_record){
		.id = "kmod.map.before_attach", .target = "q35-virtio",
		.kernel = "6.12.118+deb12-amd64", .arch = "x86_64", .res = &res,
		.contract = NULL, .verdict = *v, .reason = why, .duration_us = 17890, .klog = k,
	};
}

static void test_record_crash_keys(void **state)
{
	static char buf[LAB_RECORD_MAX];
	struct lab_klog k = { .have_taint = 1, .taint_before = 12288, .taint_after = 12416 };
	char why[256] = "case crashed after step domain_alloc: SIGKILL (9)";
	struct lab_record rec;
	enum lab_verdict v;
	const char *ex;
	json_t *o;

	(void)state;
	rec = crash_record(&k, "6.12-virtio-map-before-attach-oops.txt", &v, why, sizeof(why));
	o = format_and_parse(&rec, buf);
	assert_string_equal(json_string_value(json_object_get(o, "verdict")), "crash");
	assert_string_equal(json_string_value(json_object_get(o, "contract_verdict")), "error");
	assert_string_equal(json_string_value(json_object_get(o, "kernel_kind")), "oops");
	assert_int_equal(json_integer_value(json_object_get(o, "kernel_reports")), 1);
	assert_int_equal(json_integer_value(json_object_get(o, "taint_before")), 12288);
	assert_int_equal(json_integer_value(json_object_get(o, "taint_after")), 12416);
	assert_int_equal(json_array_size(json_object_get(o, "steps")), 1);	/* steps kept */
	ex = json_string_value(json_object_get(o, "kernel_excerpt"));
	assert_non_null(ex);
	/* squeezed to fit, but the first line, the reliable trace and the end marker stay */
	assert_int_equal(strncmp(ex, "BUG: kernel NULL pointer dereference", 36), 0);
	assert_non_null(strstr(ex, "\n viommu_sync_req+0x1a/0x60 [virtio_iommu]\n"));
	assert_non_null(strstr(ex, "\n iommu_map+0x42/0xd0\n"));
	assert_non_null(strstr(ex, "register, code and '?' stack lines dropped"));
	assert_null(strstr(ex, "RAX: "));
	assert_non_null(strstr(ex, "---[ end trace 0000000000000000 ]---"));
	assert_true(json_integer_value(json_object_get(o, "kernel_excerpt_lines")) >= 40);
	json_decref(o);
}

static void test_record_long_report_is_cut(void **state)
{
	static char buf[LAB_RECORD_MAX];
	struct lab_klog k = { .have_taint = 0 };
	char why[256] = "";
	struct lab_record rec;
	enum lab_verdict v;
	const char *ex;
	json_t *o;

	(void)state;
	rec = crash_record(&k, "kasan-iommufd-selftest.txt", &v, why, sizeof(why));
	assert_int_equal(v, LAB_VERDICT_WARN);
	o = format_and_parse(&rec, buf);
	ex = json_string_value(json_object_get(o, "kernel_excerpt"));
	assert_non_null(ex);
	assert_non_null(strstr(ex, "lines cut ...]"));
	assert_int_equal(strncmp(ex, "======", 6), 0);
	assert_non_null(strstr(ex, "BUG: KASAN: slab-use-after-free in fwnode_is_primary"));
	/* the closing rule survives the cut */
	assert_int_equal(strcmp(ex + strlen(ex) - 6, "======"), 0);
	assert_null(json_object_get(o, "taint_before"));
	assert_int_equal(json_array_size(json_object_get(o, "steps")), 1);
	json_decref(o);
}

static void test_record_without_klog_is_v1(void **state)
{
	static char buf[LAB_RECORD_MAX];
	struct lab_klog k = { 0 };
	char why[256] = "";
	struct lab_record rec;
	enum lab_verdict v;
	json_t *o;
	const char *key;
	json_t *val;

	(void)state;
	rec = crash_record(&k, "iommu-faults.txt", &v, why, sizeof(why));
	rec.klog = NULL;
	rec.verdict = LAB_VERDICT_PASS;
	rec.contract = &c_ok;
	o = format_and_parse(&rec, buf);
	json_object_foreach(o, key, val) {
		assert_null(strstr(key, "kernel_"));
		assert_null(strstr(key, "taint"));
		assert_null(strstr(key, "contract_verdict"));
	}
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_sane),
		cmocka_unit_test(test_timestamps_stripped),
		cmocka_unit_test(test_warn_612),
		cmocka_unit_test(test_oops_612_virtio),
		cmocka_unit_test(test_oops_61),
		cmocka_unit_test(test_kasan),
		cmocka_unit_test(test_lockdep),
		cmocka_unit_test(test_iommu_faults),
		cmocka_unit_test(test_dmar_fault_612),
		cmocka_unit_test(test_worst_is_crash),
		cmocka_unit_test(test_judge_warn_overrides_pass),
		cmocka_unit_test(test_judge_oops_names_the_kernel),
		cmocka_unit_test(test_judge_taint_only),
		cmocka_unit_test(test_judge_quiet_kernel),
		cmocka_unit_test(test_record_crash_keys),
		cmocka_unit_test(test_record_long_report_is_cut),
		cmocka_unit_test(test_record_without_klog_is_v1),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
