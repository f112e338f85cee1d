/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_names.c - the one name rule (server/names.c): every example of
 * tests/unit/data/names.txt against its kind; what the API accepts for a
 * kernel, a release or a build recipe the runner (artifacts.c) accepts too;
 * messages carry the rule, docs/openapi.yaml states it in the same words;
 * strict integers (ids, query arguments).
 */
#include "artifacts.h"
#include "helpers.h"
#include "names.h"

static const struct { const char *key; enum lab_name_kind kind; } kinds[] = {
	{ "kernel", LAB_NAME_KERNEL }, { "target", LAB_NAME_TARGET },
	{ "token", LAB_NAME_TOKEN }, { "plan", LAB_NAME_PLAN }, { "text", LAB_NAME_TEXT },
	{ "case", LAB_NAME_CASE }, { "case_filter", LAB_NAME_CASE_FILTER },
	{ "release", LAB_NAME_RELEASE }, { "version", LAB_NAME_VERSION },
	{ "tree", LAB_NAME_TREE }, { "path", LAB_NAME_PATH }, { "url", LAB_NAME_URL },
	{ "package", LAB_NAME_PACKAGE }, { "patch_file", LAB_NAME_PATCH_FILE },
	{ "sha256", LAB_NAME_SHA256 }, { "driver", LAB_NAME_DRIVER },
	{ "pattern", LAB_NAME_PATTERN }, { "msgid", LAB_NAME_MSGID },
};

/* unescape \xHH \t \n \\ and a lone \e (empty) in place; returns the length */
static size_t unescape(char *s)
{
	char *o = s, *p = s;

	if (!strcmp(s, "\\e")) {
		*s = 0;
		return 0;
	}
	while (*p) {
		if (p[0] == '\\' && p[1] == 'x' && p[2] && p[3]) {
			char hex[3] = { p[2], p[3], 0 };

			*o++ = (char)strtol(hex, NULL, 16);
			p += 4;
		} else if (p[0] == '\\' && (p[1] == 't' || p[1] == 'n' || p[1] == '\\')) {
			*o++ = p[1] == 't' ? '\t' : p[1] == 'n' ? '\n' : '\\';
			p += 2;
		} else {
			*o++ = *p++;
		}
	}
	*o = 0;
	return (size_t)(o - s);
}

static void test_examples(void **state)
{
	char path[PATH_MAX], line[2048];
	int seen[LAB_NAME__COUNT][2] = { { 0 } };
	int n = 0, bad = 0;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/tests/unit/data/names.txt", top_dir());
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		char *kind = line, *verdict, *value;
		size_t len, i;
		bool want, got;
		int k = -1;

		line[strcspn(line, "\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		verdict = strchr(kind, ' ');
		assert_non_null(verdict);
		*verdict++ = 0;
		value = strchr(verdict, ' ');
		assert_non_null(value);
		*value++ = 0;
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (!strcmp(kinds[i].key, kind))
				k = (int)kinds[i].kind;
		if (k < 0)
			fail_msg("names.txt: unknown kind '%s'", kind);
		if (strcmp(verdict, "ok") && strcmp(verdict, "bad"))
			fail_msg("names.txt: '%s' is neither ok nor bad", verdict);
		want = !strcmp(verdict, "ok");
		len = unescape(value);
		got = lab_name_ok_n(k, value, len);
		if (got != want) {
			print_error("%s '%s' (%zu bytes): %s, want %s\n", kind, value, len,
				    got ? "accepted" : "refused", verdict);
			bad++;
		}
		/* the NUL-terminated entry point agrees when there is no NUL inside */
		if (strlen(value) == len)
			assert_int_equal(lab_name_ok(k, value), got);
		/* what the API takes for a kernel or release, the runner takes */
		if (got && (k == LAB_NAME_KERNEL || k == LAB_NAME_RELEASE))
			assert_true(lab_artifacts_name_ok(value));
		seen[k][want]++;
		n++;
	}
	fclose(f);
	assert_int_equal(bad, 0);
	assert_true(n > 100);
	/* every kind has examples both ways */
	for (int k = 0; k < LAB_NAME__COUNT; k++) {
		if (!seen[k][0] || !seen[k][1])
			fail_msg("kind %s lacks an ok or a bad example", lab_name_what(k));
	}
}

static void test_message(void **state)
{
	char err[256];

	(void)state;
	assert_int_equal(lab_name_check(LAB_NAME_KERNEL, "\"name\"", "-rf", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "\"name\": kernel name '-rf' refused: "));
	assert_non_null(strstr(err, lab_name_rule(LAB_NAME_KERNEL)));
	assert_int_equal(lab_name_check(LAB_NAME_RELEASE, NULL, "a\x1b[31mb", err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "'a?[31mb'"));
	assert_int_equal(lab_name_check(LAB_NAME_TOKEN, "x", NULL, err, sizeof(err)), -EINVAL);
	assert_int_equal(lab_name_check(LAB_NAME_TOKEN, "x", "runner", err, sizeof(err)), 0);
	assert_int_equal(lab_name_check(LAB_NAME_TOKEN, "x", "-x", NULL, 0), -EINVAL);
	/* every rule has its words and its name */
	for (int k = 0; k < LAB_NAME__COUNT; k++) {
		assert_true(strlen(lab_name_rule(k)) > 10);
		assert_true(strlen(lab_name_what(k)) > 2);
	}
}

/* what the API takes as a build recipe, the runner's recipe parser takes */
static void test_source_ref(void **state)
{
	static const struct { const char *src, *ref; int want; } cases[] = {
		{ "build", "tree=debian-6.12", 0 },
		{ "build", "tree=/home/me/linux@v6.12", 0 },
		{ "build", "tree=/srv/linux;patches=/var/lib/x/patches/0a/series.mbox", 0 },
		{ "build", "tree=/srv/linux;patches=none", 0 },
		{ "build", "tree=/tmp/../etc", -EINVAL },
		{ "build", "tree=-rf", -EINVAL },
		{ "build", "tree=/srv/linux;patches=rel/x", -EINVAL },
		{ "build", "tree=/srv/linux;rm -rf /", -EINVAL },
		{ "build", "/srv/linux", -EINVAL },
		{ "build", NULL, -EINVAL },
		{ "url", "https://x/linux.deb", 0 },
		{ "url", "http://x/; rm -rf ~", -EINVAL },
		{ "debian", "linux-image-6.1.0-56-amd64-unsigned", 0 },
		{ NULL, "linux-image-6.1.0-56-amd64-unsigned", 0 },
		{ "debian", "$(id)", -EINVAL },
		{ "git", "x", -EINVAL },
	};
	char err[512], tree[520], patches[1032];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int r = lab_name_check_source_ref(cases[i].src, cases[i].ref, err, sizeof(err));

		if (r != cases[i].want)
			fail_msg("source %s ref '%s': %d, want %d (%s)", cases[i].src,
				 cases[i].ref, r, cases[i].want, err);
		if (!r && cases[i].src && !strcmp(cases[i].src, "build")) {
			struct lab_kernel k = { .source = "build", .source_ref = (char *)cases[i].ref };

			assert_int_equal(lab_artifacts_recipe(&k, tree, sizeof(tree), patches,
							      sizeof(patches)), 0);
		}
		if (r)
			assert_true(strlen(err) > 10);
	}
}

/* docs/openapi.yaml states every rule in the same words */
static void test_documented(void **state)
{
	char path[PATH_MAX];
	char *doc = NULL;
	size_t n = 0;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/docs/openapi.yaml", top_dir());
	f = fopen(path, "r");
	assert_non_null(f);
	doc = malloc(1 << 20);
	assert_non_null(doc);
	n = fread(doc, 1, (1 << 20) - 1, f);
	doc[n] = 0;
	fclose(f);
	for (int k = 0; k < LAB_NAME__COUNT; k++) {
		char row[400];

		snprintf(row, sizeof(row), "| %s", lab_name_rule(k));
		if (!strstr(doc, row))
			fail_msg("docs/openapi.yaml lacks the rule of %s: '%s'", lab_name_what(k),
				 lab_name_rule(k));
	}
	free(doc);
}

static void test_uint(void **state)
{
	static const struct { const char *s; size_t len; uint64_t max; int want; uint64_t v; } cases[] = {
		{ "1", 1, 100, 0, 1 },
		{ "0", 1, 100, 0, 0 },
		{ "100", 3, 100, 0, 100 },
		{ "101", 3, 100, -EINVAL, 0 },
		{ "18446744073709551615", 20, UINT64_MAX, 0, UINT64_MAX },
		{ "18446744073709551616", 20, UINT64_MAX, -EINVAL, 0 },
		{ "99999999999999999999", 20, UINT64_MAX, -EINVAL, 0 },
		{ "+1", 2, 100, -EINVAL, 0 },
		{ "-1", 2, 100, -EINVAL, 0 },
		{ " 1", 2, 100, -EINVAL, 0 },
		{ "1 ", 2, 100, -EINVAL, 0 },
		{ "  1", 3, 100, -EINVAL, 0 },
		{ "01", 2, 100, -EINVAL, 0 },
		{ "00", 2, 100, -EINVAL, 0 },
		{ "1\0", 2, 100, -EINVAL, 0 },
		{ "1%00", 4, 100, -EINVAL, 0 },
		{ "0x1", 3, 100, -EINVAL, 0 },
		{ "1.0", 3, 100, -EINVAL, 0 },
		{ "", 0, 100, -EINVAL, 0 },
	};
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 4242;
		if (lab_name_uint_n(cases[i].s, cases[i].len, cases[i].max, &v) != cases[i].want)
			fail_msg("'%.*s': want %d", (int)cases[i].len, cases[i].s, cases[i].want);
		if (!cases[i].want)
			assert_true(v == cases[i].v);
		else
			assert_true(v == 4242);	/* untouched on failure */
	}
	assert_int_equal(lab_name_uint(NULL, 10, &v), -EINVAL);
	assert_int_equal(lab_name_uint("7", 10, &v), 0);
	assert_true(v == 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_message),
		cmocka_unit_test(test_source_ref),
		cmocka_unit_test(test_documented),
		cmocka_unit_test(test_uint),
	};
	return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
