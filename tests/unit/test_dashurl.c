/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_dashurl.c - the dashboard's base URL (server/core/dashurl.c) and
 * --public-url (config.c): a fixed port before the server bound; --port 0
 * has no URL until main.c reports the bound port, then names it; 0.0.0.0
 * is replaced by this host's name; --public-url wins, without its trailing
 * '/'; a bad --public-url is refused with the option named; a buffer too
 * small is -ENAMETOOLONG with "" in it.
 */
#include <unistd.h>

#include "config.h"
#include "dashurl.h"
#include "helpers.h"

/* lab_config_from_args on a NULL-terminated argv; its result */
static int parse(struct lab_config *cfg, const char **args, char *err, size_t errlen)
{
	char *argv[16];
	int argc = 0;

	argv[argc++] = (char *)"iommulabd";
	while (*args && argc < 15)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	lab_config_defaults(cfg);
	return lab_config_from_args(cfg, argc, argv, err, errlen);
}

/* one process: the unbound cases first, then lab_dashurl_bound() */
static void test_dashurl(void **state)
{
	struct lab_config cfg;
	char buf[LAB_DASHURL_MAX], err[512], host[256] = "";
	(void)state;

	/* the default port is fixed: it is the bound one */
	assert_int_equal(parse(&cfg, (const char *[]){ NULL }, err, sizeof(err)), 0);
	assert_int_equal(lab_dashurl(&cfg, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "http://127.0.0.1:8470");
	/* --port 0: nothing bound yet, no URL (never ":0") */
	assert_int_equal(parse(&cfg, (const char *[]){ "--port", "0", NULL }, err, sizeof(err)), 0);
	assert_int_equal(lab_dashurl(&cfg, buf, sizeof(buf)), -EAGAIN);
	assert_string_equal(buf, "");
	/* --public-url needs no port; its trailing '/' goes */
	assert_int_equal(parse(&cfg, (const char *[]){ "--port", "0", "--public-url",
			 "https://iommulab.example.org:8443/lab/", NULL }, err, sizeof(err)), 0);
	assert_int_equal(lab_dashurl(&cfg, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "https://iommulab.example.org:8443/lab");
	assert_int_equal(lab_dashurl(&cfg, buf, 10), -ENAMETOOLONG);
	assert_string_equal(buf, "");
	/* refused: not http(s), no host, a query, "..", control bytes */
	static const char *const bad[] = {
		"ftp://lab.example.org", "https://", "https:///x", "lab.example.org",
		"https://lab.example.org/?a=b", "https://lab.example.org/../x",
		"https://lab example.org", "", "/",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(parse(&cfg, (const char *[]){ "--public-url", bad[i], NULL },
				       err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, "--public-url"));
	}
	/* the server bound port 41234 (main.c after lab_http_start) */
	lab_dashurl_bound(41234);
	assert_int_equal(parse(&cfg, (const char *[]){ "--port", "0", NULL }, err, sizeof(err)), 0);
	assert_int_equal(lab_dashurl(&cfg, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "http://127.0.0.1:41234");
	/* every address: this host's name, never 0.0.0.0 */
	assert_int_equal(parse(&cfg, (const char *[]){ "--listen", "0.0.0.0", "--port", "0", NULL },
			       err, sizeof(err)), 0);
	assert_int_equal(lab_dashurl(&cfg, buf, sizeof(buf)), 0);
	assert_int_equal(gethostname(host, sizeof(host) - 1), 0);
	assert_non_null(strstr(buf, ":41234"));
	assert_null(strstr(buf, "0.0.0.0"));
	if (host[0]) {
		char want[300];

		snprintf(want, sizeof(want), "http://%s:41234", host);
		assert_string_equal(buf, want);
	}
	/* --public-url still wins */
	assert_int_equal(parse(&cfg, (const char *[]){ "--public-url", "http://lab:1", NULL },
			       err, sizeof(err)), 0);
	assert_int_equal(lab_dashurl(&cfg, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "http://lab:1");
	lab_config_clear(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dashurl),
	};

	return cmocka_run_group_tests_name("dashurl", tests, NULL, NULL);
}
