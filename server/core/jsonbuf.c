/* SPDX-License-Identifier: GPL-2.0 */
/*
 * jsonbuf.c - JSON text written straight into a growing buffer (jsonbuf.h).
 *
 * The buffer doubles when full and always keeps one byte for the final NUL.
 * String escaping runs over maximal runs of bytes that need no escape and
 * copies each run with one memcpy.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonbuf.h"

static bool reserve(struct lab_jsonbuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->err)
		return false;
	if (b->len + n + 1 <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p) {
		b->err = -ENOMEM;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

void lab_jsonbuf_raw(struct lab_jsonbuf *b, const char *s, size_t len)
{
	if (!reserve(b, len))
		return;
	memcpy(b->p + b->len, s, len);
	b->len += len;
	b->p[b->len] = 0;
}

void lab_jsonbuf_lit(struct lab_jsonbuf *b, const char *s)
{
	lab_jsonbuf_raw(b, s, strlen(s));
}

/* length of the valid UTF-8 sequence starting at @s (0: invalid) */
static size_t utf8_len(const unsigned char *s, size_t left)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (n > left)
		return 0;
	/* the second byte's range excludes overlongs, surrogates, > U+10FFFF */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

void lab_jsonbuf_strn(struct lab_jsonbuf *b, const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;

	if (!str) {
		lab_jsonbuf_null(b);
		return;
	}
	lab_jsonbuf_raw(b, "\"", 1);
	while (i < len) {
		unsigned char c = s[i];
		char esc[8];
		size_t n;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			continue;
		}
		if (c >= 0x80) {
			n = utf8_len(s + i, len - i);
			if (n) {
				i += n;
				continue;
			}
		}
		/* flush the clean run before this byte */
		lab_jsonbuf_raw(b, str + run, i - run);
		switch (c) {
		case '"': lab_jsonbuf_raw(b, "\\\"", 2); break;
		case '\\': lab_jsonbuf_raw(b, "\\\\", 2); break;
		case '\b': lab_jsonbuf_raw(b, "\\b", 2); break;
		case '\f': lab_jsonbuf_raw(b, "\\f", 2); break;
		case '\n': lab_jsonbuf_raw(b, "\\n", 2); break;
		case '\r': lab_jsonbuf_raw(b, "\\r", 2); break;
		case '\t': lab_jsonbuf_raw(b, "\\t", 2); break;
		default:
			if (c < 0x20) {
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				lab_jsonbuf_raw(b, esc, 6);
			} else {
				lab_jsonbuf_raw(b, "\\ufffd", 6);	/* invalid UTF-8 */
			}
		}
		i++;
		run = i;
	}
	lab_jsonbuf_raw(b, str + run, i - run);
	lab_jsonbuf_raw(b, "\"", 1);
}

void lab_jsonbuf_str(struct lab_jsonbuf *b, const char *s)
{
	lab_jsonbuf_strn(b, s, s ? strlen(s) : 0);
}

void lab_jsonbuf_key(struct lab_jsonbuf *b, const char *key)
{
	lab_jsonbuf_str(b, key);
	lab_jsonbuf_raw(b, ":", 1);
}

void lab_jsonbuf_int(struct lab_jsonbuf *b, int64_t v)
{
	char n[24];
	int l = snprintf(n, sizeof(n), "%" PRId64, v);

	lab_jsonbuf_raw(b, n, (size_t)l);
}

void lab_jsonbuf_real(struct lab_jsonbuf *b, double v)
{
	char n[40];
	int l = snprintf(n, sizeof(n), "%.17g", v);

	if (l <= 0 || (size_t)l >= sizeof(n) - 2 || strpbrk(n, "ni")) {
		lab_jsonbuf_null(b);		/* inf/nan have no JSON form */
		return;
	}
	if (strspn(n, "0123456789-") == (size_t)l) {
		memcpy(n + l, ".0", 3);
		l += 2;
	}
	lab_jsonbuf_raw(b, n, (size_t)l);
}

void lab_jsonbuf_bool(struct lab_jsonbuf *b, bool v)
{
	if (v)
		lab_jsonbuf_raw(b, "true", 4);
	else
		lab_jsonbuf_raw(b, "false", 5);
}

void lab_jsonbuf_null(struct lab_jsonbuf *b)
{
	lab_jsonbuf_raw(b, "null", 4);
}

void lab_jsonbuf_json(struct lab_jsonbuf *b, const json_t *j)
{
	size_t n;

	if (!j) {
		lab_jsonbuf_null(b);
		return;
	}
	n = json_dumpb(j, NULL, 0, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!n) {
		b->err = b->err ? b->err : -ENOMEM;
		return;
	}
	if (!reserve(b, n))
		return;
	if (json_dumpb(j, b->p + b->len, n, JSON_COMPACT | JSON_ENCODE_ANY) != n) {
		b->err = -ENOMEM;
		return;
	}
	b->len += n;
	b->p[b->len] = 0;
}

int lab_jsonbuf_take(struct lab_jsonbuf *b, char **out, size_t *len)
{
	int r = b->err;

	if (!r && !reserve(b, 0))
		r = b->err;
	if (r) {
		lab_jsonbuf_free(b);
		return r;
	}
	b->p[b->len] = 0;
	*out = b->p;
	*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return 0;
}

void lab_jsonbuf_free(struct lab_jsonbuf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
	b->err = 0;
}
