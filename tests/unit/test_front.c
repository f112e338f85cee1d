/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_front.c - the parts of the HTTP front (server/front.c) that need no
 * connection: the unescaper keeps "%00" (so "/jobs/1%00" is not job 1) and
 * decodes the rest. The deadlines, limits and framing checks run against a
 * real iommulabd in tests/stages/29-hostile.sh.
 */
#include "front.h"
#include "helpers.h"

static void test_unescape(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "1", "1" }, { "%31", "1" }, { "%20%201", "  1" }, { "1%00", "1%00" },
		{ "6.1%00junk", "6.1%00junk" }, { "a%2Fb", "a/b" }, { "%zz", "%zz" },
		{ "%2", "%2" }, { "%", "%" }, { "100%", "100%" }, { "%e2%9c%93", "\xe2\x9c\x93" },
		{ "", "" },
	};
	char buf[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t n;

		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		n = lab_front_unescape(NULL, NULL, buf);
		assert_string_equal(buf, cases[i].out);
		assert_int_equal(n, strlen(cases[i].out));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unescape),
	};
	return cmocka_run_group_tests_name("front", tests, NULL, NULL);
}
