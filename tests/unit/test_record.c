/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_record.c - the record parser and log scanner (server/record.c):
 * good records, every kind of malformed record, truncated logs, kernel
 * messages interleaved with and inside record lines, END count checks.
 */
#include "helpers.h"
#include "record.h"
#include "ingest.h"

#define REC_OK "IOMMULAB-REC {\"v\":1,\"id\":\"kmod.attach.second_domain\"," \
	"\"target\":\"q35-vtd\",\"kernel\":\"6.1.0-56-amd64\",\"arch\":\"x86_64\"," \
	"\"driver\":\"intel-iommu\",\"iommu\":\"dmar0\",\"steps\":[{\"name\":\"alloc\"," \
	"\"errno\":0,\"err\":\"OK\"},{\"name\":\"attach\",\"errno\":16,\"err\":\"EBUSY\"}]," \
	"\"observed\":16,\"observed_name\":\"EBUSY\",\"expected\":16,\"expected_name\":\"EBUSY\"," \
	"\"contract\":\"<6.2:any\",\"verdict\":\"pass\",\"reason\":\"\",\"reused\":null," \
	"\"verified\":\"core\",\"duration_us\":1234,\"repeat\":0,\"future_key\":[1,2]}"

#define BEGIN "IOMMULAB-BEGIN {\"v\":1,\"target\":\"q35-vtd\",\"kernel\":\"6.1.0-56-amd64\"," \
	"\"arch\":\"x86_64\",\"cases\":2}"

static void test_parse_good(void **state)
{
	struct lab_result r;
	char err[256] = "";

	(void)state;
	assert_int_equal(lab_record_parse_line(REC_OK "\r\n", &r, err, sizeof(err)), 0);
	assert_string_equal(r.case_id, "kmod.attach.second_domain");
	assert_string_equal(r.driver, "intel-iommu");
	assert_string_equal(r.iommu, "dmar0");
	assert_int_equal(r.observed, 16);
	assert_int_equal(r.expected, 16);
	assert_int_equal(r.verdict, LAB_VERDICT_PASS);
	assert_int_equal(r.reused, -1);
	assert_int_equal(r.duration_us, 1234);
	assert_non_null(strstr(r.steps_json, "\"attach\""));
	lab_result_clear(&r);
	lab_result_clear(&r);	/* clear twice is fine */
}

/* take REC_OK, replace @from by @to, expect -EINVAL with @why in the error */
static void expect_bad(const char *from, const char *to, const char *why)
{
	char line[8192], err[512] = "";
	const char *p = strstr(REC_OK, from);
	struct lab_result r;
	int rc;

	if (!p)
		fail_msg("fixture lacks '%s'", from);
	snprintf(line, sizeof(line), "%.*s%s%s", (int)(p - REC_OK), REC_OK, to, p + strlen(from));
	rc = lab_record_parse_line(line, &r, err, sizeof(err));
	if (rc != -EINVAL)
		fail_msg("'%s' -> '%s' accepted (%d)", from, to, rc);
	if (!strstr(err, why))
		fail_msg("'%s' -> '%s': error '%s' lacks '%s'", from, to, err, why);
}

static void test_parse_malformed(void **state)
{
	(void)state;
	expect_bad("\"v\":1", "\"v\":2", "\"v\"");
	expect_bad("\"v\":1,", "", "missing \"v\"");
	expect_bad("\"id\":\"kmod.attach.second_domain\"", "\"id\":\"Kmod Attach\"", "\"id\"");
	expect_bad("\"id\":\"kmod.attach.second_domain\"", "\"id\":7", "\"id\" must be a string");
	expect_bad("\"target\":\"q35-vtd\",", "", "missing \"target\"");
	expect_bad("\"kernel\":\"6.1.0-56-amd64\",", "", "missing \"kernel\"");
	expect_bad("\"driver\":\"intel-iommu\"", "\"driver\":\"bogus-iommu\"", "driver");
	expect_bad("\"steps\":[", "\"stepz\":[", "missing \"steps\"");
	expect_bad("\"errno\":16", "\"errno\":-16", "steps[1].errno");
	expect_bad("\"errno\":16", "\"errno\":\"16\"", "steps[1].errno");
	expect_bad("{\"name\":\"alloc\",", "{", "steps[0].name");
	expect_bad("\"observed\":16,", "", "missing \"observed\"");
	expect_bad("\"observed\":16", "\"observed\":4096", "out of range");
	expect_bad("\"observed\":16", "\"observed\":1.5", "integer");
	expect_bad("\"expected\":16", "\"expected\":-3", "out of range");
	expect_bad("\"expected\":16", "\"expected\":null", "needs an \"expected\"");
	expect_bad("\"verdict\":\"pass\"", "\"verdict\":\"ok\"", "verdict");
	expect_bad("\"verdict\":\"pass\",", "", "missing \"verdict\"");
	expect_bad("\"reused\":null", "\"reused\":\"yes\"", "reused");
	expect_bad("\"verified\":\"core\"", "\"verified\":\"maybe\"", "verified");
	expect_bad("\"repeat\":0", "\"repeat\":-1", "repeat");
	expect_bad("\"repeat\":0", "\"repeat\":0,\"repeat\":1", "duplicate");
	expect_bad("IOMMULAB-REC {", "IOMMULAB-REC [", "JSON");
	expect_bad("\"future_key\":[1,2]}", "\"future_key\":[1,2]", "JSON");
	expect_bad("IOMMULAB-REC ", "IOMMULAB-REC", "not an");
	{
		/* > 4096 bytes */
		char big[6000], err[256];
		struct lab_result r;

		snprintf(big, sizeof(big), "%.*s\"reason\":\"%0*d\"%s",
			 (int)(strstr(REC_OK, "\"reason\":\"\"") - REC_OK), REC_OK, 4500, 0,
			 strstr(REC_OK, "\"reason\":\"\"") + strlen("\"reason\":\"\""));
		assert_int_equal(lab_record_parse_line(big, &r, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "exceeds"));
	}
}

static struct lab_record_scan scan_text(const char *text)
{
	struct lab_record_scan s;

	assert_int_equal(lab_record_scan(text, strlen(text), &s), 0);
	return s;
}

static void test_scan_good(void **state)
{
	struct lab_record_scan s;
	char rec2[8192];
	char log[32768];

	(void)state;
	snprintf(rec2, sizeof(rec2), "%s", REC_OK);
	memcpy(strstr(rec2, "second_domain"), "other_domain_", 13);
	snprintf(log, sizeof(log),
		 "[    0.000000] Linux version 6.1.0-56-amd64\n"
		 "KTAP version 1\r\n"
		 BEGIN "\r\n"
		 "[    1.234] DMAR: something about IOMMULAB-REC {not a record}\n"
		 "ok 1 kmod.attach.second_domain\n"
		 "%s\r\n"
		 "  IOMMULAB-REC {\"not\":\"at column 0\"}\n"
		 "%s\n"
		 "IOMMULAB-END {\"v\":1,\"records\":2,\"status\":\"ok\"}\n"
		 "[    2.000000] reboot: Power down\n", REC_OK, rec2);
	s = scan_text(log);
	assert_int_equal(s.status, LAB_SCAN_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.res[1].case_id, "kmod.attach.other_domain_");
	assert_string_equal(s.target, "q35-vtd");
	lab_record_scan_clear(&s);
	/* no trailing newline after END is fine */
	s = scan_text(BEGIN "\nIOMMULAB-END {\"v\":1,\"records\":0,\"status\":\"ok\"}");
	assert_int_equal(s.status, LAB_SCAN_OK);
	assert_int_equal(s.n, 0);
	lab_record_scan_clear(&s);
}

static void expect_scan(const char *log, enum lab_scan_status want, const char *why)
{
	struct lab_record_scan s = scan_text(log);

	if (s.status != want)
		fail_msg("status %s, want %s (%s)", lab_scan_status_name(s.status),
			 lab_scan_status_name(want), s.error);
	if (!strstr(s.error, why))
		fail_msg("error '%s' lacks '%s'", s.error, why);
	lab_record_scan_clear(&s);
}

#define END1 "IOMMULAB-END {\"v\":1,\"records\":1,\"status\":\"ok\"}\n"

static void test_scan_rejects(void **state)
{
	(void)state;
	/* truncated: the guest died in the middle of a record */
	expect_scan(BEGIN "\n" "IOMMULAB-REC {\"v\":1,\"id\":\"kmod.at", LAB_SCAN_NO_END,
		    "no IOMMULAB-END");
	expect_scan(BEGIN "\n" REC_OK "\n[ 3.1] Kernel panic - not syncing\n",
		    LAB_SCAN_NO_END, "after 1 records");
	expect_scan("just a kernel log\n", LAB_SCAN_NO_END, "no IOMMULAB-BEGIN");
	/* a kernel message landed inside the record line */
	{
		char log[16384];
		size_t cut = 200;

		snprintf(log, sizeof(log), BEGIN "\n%.*s[    5.1234] intel-iommu: msg\n%s\n" END1,
			 (int)cut, REC_OK, REC_OK + cut);
		expect_scan(log, LAB_SCAN_MALFORMED, "line 2: malformed record");
	}
	expect_scan(BEGIN "\n" REC_OK "\n" REC_OK "\n" END1, LAB_SCAN_COUNT_MISMATCH,
		    "END says 1 records, 2 found");
	expect_scan(BEGIN "\n" END1, LAB_SCAN_COUNT_MISMATCH, "1 records, 0 found");
	expect_scan(REC_OK "\n" BEGIN "\n" END1, LAB_SCAN_MALFORMED,
		    "line 1: record before IOMMULAB-BEGIN");
	expect_scan(BEGIN "\n" END1 REC_OK "\n", LAB_SCAN_MALFORMED, "record after");
	expect_scan(BEGIN "\n" BEGIN "\n" REC_OK "\n" END1, LAB_SCAN_MALFORMED,
		    "line 2: second IOMMULAB-BEGIN");
	expect_scan(BEGIN "\nIOMMULAB-RECORD {}\n" REC_OK "\n" END1, LAB_SCAN_MALFORMED,
		    "line 2: unknown line prefix");
	expect_scan(BEGIN "\n" REC_OK "\nIOMMULAB-END {\"v\":1,\"records\":\"1\"}\n",
		    LAB_SCAN_BAD_END, "bad IOMMULAB-END");
	expect_scan(BEGIN "\n" REC_OK "\nIOMMULAB-END {\"v\":1,\"records\":1,\"status\":\"aborted\"}\n",
		    LAB_SCAN_BAD_END, "status is not ok");
	expect_scan(BEGIN "\n" REC_OK "\n" END1 END1, LAB_SCAN_BAD_END, "second IOMMULAB-END");
	{
		/* a record for another target than BEGIN announced */
		char log[16384], rec[8192];

		snprintf(rec, sizeof(rec), "%s", REC_OK);
		memcpy(strstr(rec, "q35-vtd"), "q35-amd", 7);
		snprintf(log, sizeof(log), BEGIN "\n%s\n" END1, rec);
		expect_scan(log, LAB_SCAN_MALFORMED, "differ from IOMMULAB-BEGIN");
	}
}

static void test_scan_hostile(void **state)
{
	struct lab_record_scan s;
	char buf[4096];

	(void)state;
	/* NUL bytes and garbage: no crash, a clear status */
	memset(buf, 0, sizeof(buf));
	memcpy(buf, BEGIN "\nIOMMULAB-REC {\"v\":1", strlen(BEGIN) + 21);
	assert_int_equal(lab_record_scan(buf, sizeof(buf), &s), 0);
	assert_int_equal(s.status, LAB_SCAN_NO_END);
	lab_record_scan_clear(&s);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)((i * 7919u) ^ (i >> 3));
	assert_int_equal(lab_record_scan(buf, sizeof(buf), &s), 0);
	assert_int_not_equal(s.status, LAB_SCAN_OK);
	lab_record_scan_clear(&s);
	assert_int_equal(lab_record_scan(NULL, 0, &s), 0);
	assert_int_equal(s.status, LAB_SCAN_NO_END);
	lab_record_scan_clear(&s);
	assert_int_equal(lab_record_scan(NULL, 5, &s), -EINVAL);
}

/*
 * Mutation fuzz: 20,000 deterministic mutations (byte flips, truncation,
 * inserted newlines/NULs, duplicated slices) of a valid log. Invariants: the
 * scanner never fails for non-memory reasons; an accepted log has as many
 * records as its END says, each with a valid id and verdict.
 */
static uint32_t rng(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static void test_scan_fuzz(void **state)
{
	char base[16384], buf[40000];
	uint32_t seed = 0x1f2e3d4c;
	size_t blen;
	int accepted = 0;

	(void)state;
	blen = (size_t)snprintf(base, sizeof(base), "boot\n" BEGIN "\n" REC_OK "\n[ 1.0] kmsg\n"
				"IOMMULAB-END {\"v\":1,\"records\":1,\"status\":\"ok\"}\n");
	for (int iter = 0; iter < 20000; iter++) {
		struct lab_record_scan sc;
		size_t len = blen;
		int muts = 1 + rng(&seed) % 4;

		memcpy(buf, base, blen);
		for (int m = 0; m < muts; m++) {
			size_t at = len ? rng(&seed) % len : 0;

			switch (rng(&seed) % 5) {
			case 0:
				buf[at] ^= (char)(1u << (rng(&seed) % 8));
				break;
			case 1:
				len = at;
				break;
			case 2:
			case 3:
				if (len + 1 < sizeof(buf)) {
					memmove(buf + at + 1, buf + at, len - at);
					buf[at] = rng(&seed) % 2 ? '\n' : 0;
					len++;
				}
				break;
			case 4: {
				size_t n = rng(&seed) % 512;

				if (at + n <= len && len + n < sizeof(buf)) {
					memmove(buf + at + n, buf + at, len - at);
					len += n;
				}
				break;
			}
			}
		}
		assert_int_equal(lab_record_scan(buf, len, &sc), 0);
		if (sc.status == LAB_SCAN_OK) {
			accepted++;
			assert_int_equal((long)sc.n, sc.end_count);
			for (size_t i = 0; i < sc.n; i++) {
				assert_non_null(sc.res[i].case_id);
				assert_true(strlen(sc.res[i].case_id) <= 96);
				assert_true(sc.res[i].verdict <= LAB_VERDICT_LAST);
				assert_true(sc.res[i].observed >= 0 && sc.res[i].observed <= 4095);
			}
		} else {
			assert_true(sc.error[0] != 0);
			assert_int_equal(sc.n == 0 || sc.res != NULL, 1);
		}
		lab_record_scan_clear(&sc);
	}
	/* some mutations are harmless (inside the kernel noise): both paths ran */
	assert_true(accepted > 0 && accepted < 20000);
}

static void test_errno_names(void **state)
{
	(void)state;
	assert_string_equal(lab_errno_name(0), "OK");
	assert_string_equal(lab_errno_name(22), "EINVAL");
	assert_string_equal(lab_errno_name(95), "EOPNOTSUPP");
	assert_string_equal(lab_errno_name(-1), "E?");
}

/*
 * A record names the guest's uname -m ("aarch64"), a job the lab's arch
 * name ("arm64"): the identity check treats them as one arch (the demo's
 * arm64 jobs were refused as "bad results" when it compared the words),
 * and still refuses a different arch.
 */
static void test_ingest_arch_names(void **state)
{
	struct lab_ingest_job job = { .id = 7 };
	char why[256] = "";

	(void)state;
	snprintf(job.arch, sizeof(job.arch), "arm64");
	snprintf(job.target, sizeof(job.target), "virt-smmuv3");
	assert_int_equal(lab_ingest_identity(&job, "log", "virt-smmuv3", NULL, "aarch64", why, sizeof(why)), 0);
	assert_int_equal(lab_ingest_identity(&job, "log", "virt-smmuv3", NULL, "arm64", why, sizeof(why)), 0);
	assert_int_equal(lab_ingest_identity(&job, "log", "virt-smmuv3", NULL, "x86_64", why, sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "arch 'x86_64', but job 7 runs on arm64"));
	snprintf(job.arch, sizeof(job.arch), "x86_64");
	assert_int_equal(lab_ingest_identity(&job, "log", "virt-smmuv3", NULL, "aarch64", why, sizeof(why)), -EINVAL);
	assert_true(lab_arch_same("s390x", "s390x"));
	assert_false(lab_arch_same("riscv64", "arm64"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_malformed),
		cmocka_unit_test(test_scan_good),
		cmocka_unit_test(test_scan_rejects),
		cmocka_unit_test(test_scan_hostile),
		cmocka_unit_test(test_scan_fuzz),
		cmocka_unit_test(test_errno_names),
		cmocka_unit_test(test_ingest_arch_names),
	};
	return cmocka_run_group_tests_name("record", tests, NULL, NULL);
}
