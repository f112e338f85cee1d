/* SPDX-License-Identifier: GPL-2.0 */
/*
 * names.c - the one name and text rule (names.h): one table, one checker.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "names.h"

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define DIGIT "0123456789"
#define ALNUM UPPER LOWER DIGIT

enum {
	F_TEXT = 1 << 0,	/* any UTF-8 text without control bytes; set/first unused */
	F_NO_DOTDOT = 1 << 1,	/* no ".." anywhere (no parent directory, no ranges) */
	F_HTTP = 1 << 2,	/* starts with http:// or https:// */
};

struct name_rule {
	const char *what;	/* "kernel name" */
	const char *set;	/* the bytes allowed */
	const char *first;	/* the bytes allowed first */
	unsigned short min, max;	/* length in bytes */
	unsigned flags;
	const char *reserved;	/* a value refused although it fits, or NULL */
	const char *words;	/* the rule, for messages and docs/openapi.yaml */
};

static const struct name_rule rules[LAB_NAME__COUNT] = {
	[LAB_NAME_KERNEL] = { "kernel name", ALNUM "._+-", ALNUM, 1, 64, 0, NULL,
		"1-64 bytes of [A-Za-z0-9._+-], starting with a letter or digit" },
	[LAB_NAME_TARGET] = { "target name", LOWER DIGIT "-", LOWER DIGIT, 1, 64, 0, NULL,
		"1-64 bytes of [a-z0-9-], starting with a letter or digit" },
	[LAB_NAME_TOKEN] = { "token name", ALNUM "._+-", ALNUM, 1, 64, 0, NULL,
		"1-64 bytes of [A-Za-z0-9._+-], starting with a letter or digit" },
	[LAB_NAME_PLAN] = { "plan name", NULL, NULL, 1, 200, F_TEXT, NULL,
		"1-200 bytes of UTF-8 text without control characters" },
	[LAB_NAME_TEXT] = { "text", NULL, NULL, 1, 2000, F_TEXT, NULL,
		"1-2000 bytes of UTF-8 text without control characters" },
	[LAB_NAME_CASE] = { "case id", LOWER DIGIT "_.-", LOWER DIGIT, 1, 96, 0, NULL,
		"1-96 bytes of [a-z0-9_.-], starting with a letter or digit" },
	[LAB_NAME_CASE_FILTER] = { "case filter", LOWER DIGIT "_.-*,", LOWER DIGIT "*",
		1, 512, 0, NULL,
		"1-512 bytes of [a-z0-9_.*,-], starting with a letter, digit or '*'" },
	[LAB_NAME_RELEASE] = { "kernel release", ALNUM "._+-", ALNUM, 1, 128, 0, NULL,
		"1-128 bytes of [A-Za-z0-9._+-], starting with a letter or digit" },
	[LAB_NAME_VERSION] = { "kernel version", ALNUM "._+~-", ALNUM, 1, 64, 0, NULL,
		"1-64 bytes of [A-Za-z0-9._+~-], starting with a letter or digit" },
	[LAB_NAME_TREE] = { "source tree", ALNUM "._+@/~:-", ALNUM "/", 1, 512, F_NO_DOTDOT,
		NULL, "1-512 bytes of [A-Za-z0-9._+@/~:-], starting with a letter, digit "
		"or '/', without \"..\"" },
	[LAB_NAME_PATH] = { "path", ALNUM "._+/-", "/", 2, 1024, F_NO_DOTDOT, NULL,
		"an absolute path: 2-1024 bytes of [A-Za-z0-9._+/-], starting with '/', "
		"without \"..\"" },
	[LAB_NAME_URL] = { "download URL", ALNUM "._~:/?&=%+@-", "h", 8, 1024,
		F_NO_DOTDOT | F_HTTP, NULL,
		"http:// or https:// and up to 1024 bytes of [A-Za-z0-9._~:/?&=%+@-], "
		"without \"..\"" },
	[LAB_NAME_PACKAGE] = { "package name", LOWER DIGIT ".+-", LOWER DIGIT, 1, 128, 0, NULL,
		"1-128 bytes of [a-z0-9.+-], starting with a letter or digit" },
	[LAB_NAME_PATCH_FILE] = { "patch file name", ALNUM "._+-", ALNUM, 1, 100, 0, "series",
		"1-100 bytes of [A-Za-z0-9._+-], starting with a letter or digit, not \"series\"" },
	[LAB_NAME_SHA256] = { "sha256", DIGIT "abcdef", DIGIT "abcdef", 64, 64, 0, NULL,
		"64 bytes of lowercase hex [0-9a-f]" },
	[LAB_NAME_DRIVER] = { "driver name", LOWER DIGIT "_.-", LOWER DIGIT, 1, 64, 0, NULL,
		"1-64 bytes of [a-z0-9_.-], starting with a letter or digit" },
	[LAB_NAME_PATTERN] = { "pattern", LOWER DIGIT "_.-*?,", LOWER DIGIT "*?", 1, 256, 0, NULL,
		"1-256 bytes of [a-z0-9_.*?,-] (globs, comma-separated), starting with a "
		"letter, digit, '*' or '?'" },
	[LAB_NAME_MSGID] = { "message id", ALNUM "._+=$%&!#~/@-", ALNUM, 3, 250, 0, NULL,
		"3-250 bytes of [A-Za-z0-9._+=$%&!#~/@-], starting with a letter or digit, "
		"without the angle brackets" },
};

const char *lab_name_what(enum lab_name_kind k)
{
	return (unsigned)k < LAB_NAME__COUNT ? rules[k].what : "name";
}

const char *lab_name_rule(enum lab_name_kind k)
{
	return (unsigned)k < LAB_NAME__COUNT ? rules[k].words : "unknown kind";
}

/* length of the valid UTF-8 sequence at @s (at most @n bytes), 0 if invalid */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len, i;
	unsigned cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

static bool text_ok(const unsigned char *s, size_t n)
{
	size_t i = 0, l;

	while (i < n) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return false;
		l = utf8_len(s + i, n - i);
		if (!l)
			return false;
		/* C1 controls (U+0080..U+009F) are control characters too */
		if (l == 2 && s[i] == 0xc2 && s[i + 1] < 0xa0)
			return false;
		i += l;
	}
	return true;
}

bool lab_name_ok_n(enum lab_name_kind k, const char *s, size_t len)
{
	const struct name_rule *r;
	size_t i;

	if ((unsigned)k >= LAB_NAME__COUNT || !s)
		return false;
	r = &rules[k];
	if (len < r->min || len > r->max || memchr(s, '\0', len))
		return false;
	if (s[0] == '-')
		return false;
	if (r->flags & F_TEXT)
		return text_ok((const unsigned char *)s, len);
	if (!strchr(r->first, s[0]))
		return false;
	for (i = 0; i < len; i++)
		if (!strchr(r->set, s[i]))
			return false;
	if ((r->flags & F_NO_DOTDOT) && len >= 2) {
		for (i = 0; i + 1 < len; i++)
			if (s[i] == '.' && s[i + 1] == '.')
				return false;
	}
	if ((r->flags & F_HTTP) && strncmp(s, "http://", 7) && strncmp(s, "https://", 8))
		return false;
	if (r->reserved && strlen(r->reserved) == len && !memcmp(s, r->reserved, len))
		return false;
	return true;
}

bool lab_name_ok(enum lab_name_kind k, const char *s)
{
	return s && lab_name_ok_n(k, s, strlen(s));
}

/* @s for a message: at most 64 bytes, non-printable bytes as '?' */
static void shown(char *out, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s && s[i] && i < 64 && i + 1 < n; i++)
		out[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	if (n)
		out[i < n ? i : n - 1] = '\0';
	if (s && strlen(s) > 64 && n > 68)
		strcat(out, "...");
}

int lab_name_check(enum lab_name_kind k, const char *field, const char *s,
		   char *err, size_t errlen)
{
	char v[72];

	if (lab_name_ok(k, s))
		return 0;
	if (err && errlen) {
		shown(v, sizeof(v), s);
		snprintf(err, errlen, "%s%s%s '%s' refused: %s", field ? field : "",
			 field ? ": " : "", lab_name_what(k), v, lab_name_rule(k));
	}
	return -EINVAL;
}

int lab_name_check_source_ref(const char *source, const char *ref, char *err,
			      size_t errlen)
{
	const char *semi, *p;
	char tree[520];
	size_t n;

	if (!source || !strcmp(source, "debian"))
		return lab_name_check(LAB_NAME_PACKAGE, "\"source_ref\"", ref, err, errlen);
	if (!strcmp(source, "url"))
		return lab_name_check(LAB_NAME_URL, "\"source_ref\"", ref, err, errlen);
	if (strcmp(source, "build")) {
		if (err && errlen)
			snprintf(err, errlen, "\"source\" must be debian, url or build");
		return -EINVAL;
	}
	if (!ref || strncmp(ref, "tree=", 5))
		goto bad_recipe;
	semi = strchr(ref + 5, ';');
	n = semi ? (size_t)(semi - ref - 5) : strlen(ref + 5);
	if (n >= sizeof(tree))
		return lab_name_check(LAB_NAME_TREE, "\"source_ref\" tree", ref + 5, err, errlen);
	memcpy(tree, ref + 5, n);
	tree[n] = '\0';
	if (lab_name_check(LAB_NAME_TREE, "\"source_ref\" tree", tree, err, errlen))
		return -EINVAL;
	if (!semi)
		return 0;
	if (strncmp(semi + 1, "patches=", 8))
		goto bad_recipe;
	p = semi + 9;
	if (!strcmp(p, "none"))
		return 0;
	return lab_name_check(LAB_NAME_PATH, "\"source_ref\" patches", p, err, errlen);
bad_recipe:
	if (err && errlen)
		snprintf(err, errlen, "\"source_ref\" of a build kernel is a recipe "
			 "\"tree=TREE[;patches=PATH|none]\": TREE %s; PATH %s",
			 lab_name_rule(LAB_NAME_TREE), lab_name_rule(LAB_NAME_PATH));
	return -EINVAL;
}

int lab_name_uint_n(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!s || len == 0 || len > 20 || (len > 1 && s[0] == '0'))
		return -EINVAL;
	for (i = 0; i < len; i++) {
		unsigned d = (unsigned char)s[i] - '0';

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		v = v * 10 + d;
	}
	if (v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int lab_name_uint(const char *s, uint64_t max, uint64_t *out)
{
	return s ? lab_name_uint_n(s, strlen(s), max, out) : -EINVAL;
}
