/*
 * test_errnames.c - unit tests for errnames.c: names, numbers, round trips.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "errnames.h"

static void names_of_iommu_errnos(void **state)
{
	(void)state;
	assert_string_equal(lab_errname(0), "OK");
	assert_string_equal(lab_errname(EINVAL), "EINVAL");
	assert_string_equal(lab_errname(-EINVAL), "EINVAL");
	assert_string_equal(lab_errname(EBUSY), "EBUSY");
	assert_string_equal(lab_errname(ENODEV), "ENODEV");
	assert_string_equal(lab_errname(EOPNOTSUPP), "EOPNOTSUPP");
	assert_string_equal(lab_errname(EFAULT), "EFAULT");
	assert_string_equal(lab_errname(ENOSPC), "ENOSPC");
	assert_string_equal(lab_errname(EXDEV), "EXDEV");
	assert_string_equal(lab_errname(ENXIO), "ENXIO");
	assert_string_equal(lab_errname(EMEDIUMTYPE), "EMEDIUMTYPE");
	assert_string_equal(lab_errname(EPERM), "EPERM");
}

static void unknown_number(void **state)
{
	(void)state;
	assert_string_equal(lab_errname(4000), "E?4000");
}

static void parse_names_and_numbers(void **state)
{
	int e = -1;

	(void)state;
	assert_int_equal(lab_errno_parse("EBUSY", &e), 0);
	assert_int_equal(e, EBUSY);
	assert_int_equal(lab_errno_parse("OK", &e), 0);
	assert_int_equal(e, 0);
	assert_int_equal(lab_errno_parse("22", &e), 0);
	assert_int_equal(e, 22);
	assert_int_equal(lab_errno_parse("EWHATEVER", &e), -EINVAL);
	assert_int_equal(lab_errno_parse("", &e), -EINVAL);
	assert_int_equal(lab_errno_parse(NULL, &e), -EINVAL);
	assert_int_equal(lab_errno_parse("12x", &e), -EINVAL);
	assert_int_equal(lab_errno_parse("5000", &e), -EINVAL);
	assert_int_equal(lab_errno_parse("einval", &e), -EINVAL);	/* names are exact */
}

/* every named errno parses back to its own number */
static void round_trip(void **state)
{
	int i, e, named = 0;

	(void)state;
	for (i = 0; i < 200; i++) {
		const char *n = lab_errname(i);

		if (strncmp(n, "E?", 2) == 0)
			continue;
		named++;
		assert_int_equal(lab_errno_parse(n, &e), 0);
		assert_int_equal(e, i);
	}
	assert_true(named > 60);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names_of_iommu_errnos),
		cmocka_unit_test(unknown_number),
		cmocka_unit_test(parse_names_and_numbers),
		cmocka_unit_test(round_trip),
	};

	return cmocka_run_group_tests_name("errnames", tests, NULL, NULL);
}
