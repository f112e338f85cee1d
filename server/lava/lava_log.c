/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lava_log.c - LAVA YAML job log -> console text (lava_log.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lava_log.h"
#include "lava_util.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* UTF-8 encode @cp into @d (4 bytes room); returns bytes written, 0 if invalid */
static size_t utf8_put(uint32_t cp, char *d)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | (cp >> 6));
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp >= 0xd800 && cp <= 0xdfff)
		return 0;
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | (cp >> 12));
		d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	if (cp < 0x110000) {
		d[0] = (char)(0xf0 | (cp >> 18));
		d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		d[3] = (char)(0x80 | (cp & 0x3f));
		return 4;
	}
	return 0;
}

/*
 * Decode the YAML double-quoted scalar starting after its opening quote at
 * @s (bounded by @e) into @b. Returns the position after the closing quote,
 * or NULL when malformed (then @b is left with partial output; the caller
 * cuts it back).
 */
static const char *yaml_dq_decode(const char *s, const char *e, struct lab_lava_buf *b)
{
	while (s < e) {
		char c = *s++;
		char u[4];
		size_t n = 0;

		if (c == '"')
			return s;
		if (c != '\\') {
			if (lab_lava_buf_reserve(b, 1))
				return NULL;
			b->p[b->len++] = c;
			continue;
		}
		if (s >= e)
			return NULL;
		c = *s++;
		switch (c) {
		case '0': u[0] = '\0'; n = 1; break;
		case 'a': u[0] = '\a'; n = 1; break;
		case 'b': u[0] = '\b'; n = 1; break;
		case 't': case '\t': u[0] = '\t'; n = 1; break;
		case 'n': u[0] = '\n'; n = 1; break;
		case 'v': u[0] = '\v'; n = 1; break;
		case 'f': u[0] = '\f'; n = 1; break;
		case 'r': u[0] = '\r'; n = 1; break;
		case 'e': u[0] = 0x1b; n = 1; break;
		case ' ': case '"': case '/': case '\\': u[0] = c; n = 1; break;
		case 'N': n = utf8_put(0x85, u); break;
		case '_': n = utf8_put(0xa0, u); break;
		case 'L': n = utf8_put(0x2028, u); break;
		case 'P': n = utf8_put(0x2029, u); break;
		case 'x': case 'u': case 'U': {
			int digits = c == 'x' ? 2 : c == 'u' ? 4 : 8;
			uint32_t cp = 0;

			if (e - s < digits)
				return NULL;
			for (int i = 0; i < digits; i++) {
				int h = hexval(s[i]);

				if (h < 0)
					return NULL;
				cp = cp << 4 | (uint32_t)h;
			}
			s += digits;
			n = utf8_put(cp, u);
			if (!n)
				return NULL;
			break;
		}
		default:
			return NULL;
		}
		if (lab_lava_buf_reserve(b, n))
			return NULL;
		memcpy(b->p + b->len, u, n);
		b->len += n;
	}
	return NULL;
}

/* console lines: "target" while an action reads the console, "feedback"
 * (with an "ns" key after "msg") for what arrives between actions, e.g. the
 * rest of the line a monitor's end pattern matched */
static const char TARGET_KEYS[] = "\"lvl\": \"target\", \"msg\": \"";
static const char FEEDBACK_KEYS[] = "\"lvl\": \"feedback\", \"msg\": \"";
static const char NS_KEY[] = ", \"ns\": \"";

/* one log line [s, e): append its console text + '\n' to @b; 1 done, 0 not a target line, -1 bad */
static int one_line(const char *s, const char *e, struct lab_lava_buf *b)
{
	static const char head[] = "- {\"dt\": \"";
	size_t mark = b->len, i, j;
	const char *p;

	if ((size_t)(e - s) < sizeof(head) - 1 || memcmp(s, head, sizeof(head) - 1))
		return 0;
	p = s + sizeof(head) - 1;
	while (p < e && *p != '"' && *p != '\\')
		p++;
	if (e - p < 3 || p[0] != '"' || p[1] != ',' || p[2] != ' ')
		return 0;
	p += 3;
	if ((size_t)(e - p) >= sizeof(TARGET_KEYS) - 1 &&
	    !memcmp(p, TARGET_KEYS, sizeof(TARGET_KEYS) - 1))
		p += sizeof(TARGET_KEYS) - 1;
	else if ((size_t)(e - p) >= sizeof(FEEDBACK_KEYS) - 1 &&
		 !memcmp(p, FEEDBACK_KEYS, sizeof(FEEDBACK_KEYS) - 1))
		p += sizeof(FEEDBACK_KEYS) - 1;
	else
		return 0;
	p = yaml_dq_decode(p, e, b);
	if (p && (size_t)(e - p) > sizeof(NS_KEY) - 1 &&
	    !memcmp(p, NS_KEY, sizeof(NS_KEY) - 1)) {
		/* skip the namespace value: plain [a-z0-9_-] names */
		p += sizeof(NS_KEY) - 1;
		while (p < e && *p != '"' && *p != '\\')
			p++;
		p = p < e && *p == '"' ? p + 1 : NULL;
	}
	if (!p || e - p != 1 || *p != '}') {
		b->len = mark;
		return -1;
	}
	/* undo ShellLogger: one backslash was put before every '"' */
	for (i = j = mark; i < b->len; i++) {
		if (b->p[i] == '\\' && i + 1 < b->len && b->p[i + 1] == '"')
			continue;
		b->p[j++] = b->p[i];
	}
	b->len = j;
	if (lab_lava_buf_reserve(b, 1)) {
		b->len = mark;
		return -1;
	}
	b->p[b->len++] = '\n';
	return 1;
}

int lab_lava_log_console(const char *yaml, size_t len, char **out,
			 size_t *out_len, struct lab_lava_log_stats *stats)
{
	struct lab_lava_log_stats st = { 0 };
	struct lab_lava_buf b = { .max = LAB_LAVA_LOG_MAX };
	const char *p = yaml, *end = yaml + len;
	int r;

	if (!yaml || !out)
		return -EINVAL;
	r = lab_lava_buf_reserve(&b, 0);
	if (r)
		return r;
	while (p < end) {
		const char *nl = memchr(p, '\n', end - p);
		const char *e = nl ? nl : end;

		st.lines++;
		if (e > p && e[-1] == '\r')
			e--;
		r = one_line(p, e, &b);
		if (r > 0)
			st.target++;
		else if (r < 0)
			st.skipped++;
		if (b.len + 1 >= LAB_LAVA_LOG_MAX) {
			free(b.p);
			return -EFBIG;
		}
		p = nl ? nl + 1 : end;
	}
	b.p[b.len] = '\0';
	*out = b.p;
	if (out_len)
		*out_len = b.len;
	if (stats)
		*stats = st;
	return 0;
}
