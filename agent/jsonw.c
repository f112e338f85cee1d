/*
 * jsonw.c - JSON writer and string escaper (see jsonw.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "jsonw.h"

void lab_jw_init(struct lab_jw *w, char *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	w->first[0] = 1;
	if (cap)
		buf[0] = '\0';
	else
		w->overflow = 1;
}

/* append @n bytes atomically: all or nothing (then overflow) */
static void put(struct lab_jw *w, const char *s, size_t n)
{
	if (w->overflow)
		return;
	if (w->len + n + 1 > w->cap) {
		w->overflow = 1;
		return;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* length of a valid UTF-8 sequence at @s (1..4), 0 when malformed */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n, i;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int lab_json_escape(const char *s, char *out, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t o = 0;
	char tmp[8];

#define EMIT(str, n) do { \
		if (o + (n) + 1 > cap) \
			return -ENOSPC; \
		memcpy(out + o, (str), (n)); \
		o += (n); \
	} while (0)

	EMIT("\"", 1);
	while (*p) {
		size_t n;

		switch (*p) {
		case '"': EMIT("\\\"", 2); p++; continue;
		case '\\': EMIT("\\\\", 2); p++; continue;
		case '\n': EMIT("\\n", 2); p++; continue;
		case '\r': EMIT("\\r", 2); p++; continue;
		case '\t': EMIT("\\t", 2); p++; continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			snprintf(tmp, sizeof(tmp), "\\u%04x", *p);
			EMIT(tmp, 6);
			p++;
			continue;
		}
		n = utf8_len(p);
		if (!n) {
			EMIT("\\ufffd", 6);
			p++;
			continue;
		}
		EMIT((const char *)p, n);
		p += n;
	}
	EMIT("\"", 1);
#undef EMIT
	out[o] = '\0';
	return (int)o;
}

/* separator before a value or key at the current depth */
static void sep(struct lab_jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (!w->first[w->depth])
		put(w, ",", 1);
	w->first[w->depth] = 0;
}

static void open_(struct lab_jw *w, const char *c)
{
	sep(w);
	put(w, c, 1);
	if (w->depth + 1 >= LAB_JW_DEPTH) {
		w->overflow = 1;
		return;
	}
	w->depth++;
	w->first[w->depth] = 1;
}

static void close_(struct lab_jw *w, const char *c)
{
	put(w, c, 1);
	if (w->depth > 0)
		w->depth--;
}

void lab_jw_obj_begin(struct lab_jw *w) { open_(w, "{"); }
void lab_jw_obj_end(struct lab_jw *w) { close_(w, "}"); }
void lab_jw_arr_begin(struct lab_jw *w) { open_(w, "["); }
void lab_jw_arr_end(struct lab_jw *w) { close_(w, "]"); }

static void raw_str(struct lab_jw *w, const char *s)
{
	char tmp[1024];
	int n;

	n = lab_json_escape(s, tmp, sizeof(tmp));
	if (n < 0) {
		w->overflow = 1;
		return;
	}
	put(w, tmp, (size_t)n);
}

void lab_jw_key(struct lab_jw *w, const char *key)
{
	sep(w);
	raw_str(w, key);
	put(w, ":", 1);
	w->after_key = 1;
}

void lab_jw_str(struct lab_jw *w, const char *s)
{
	if (!s) {
		lab_jw_null(w);
		return;
	}
	sep(w);
	raw_str(w, s);
}

void lab_jw_int(struct lab_jw *w, long long v)
{
	char tmp[32];
	int n = snprintf(tmp, sizeof(tmp), "%lld", v);

	sep(w);
	put(w, tmp, (size_t)n);
}

void lab_jw_bool(struct lab_jw *w, int v)
{
	sep(w);
	if (v)
		put(w, "true", 4);
	else
		put(w, "false", 5);
}

void lab_jw_null(struct lab_jw *w)
{
	sep(w);
	put(w, "null", 4);
}

void lab_jw_kstr(struct lab_jw *w, const char *key, const char *s)
{
	lab_jw_key(w, key);
	lab_jw_str(w, s);
}

void lab_jw_kint(struct lab_jw *w, const char *key, long long v)
{
	lab_jw_key(w, key);
	lab_jw_int(w, v);
}

int lab_jw_ok(const struct lab_jw *w)
{
	if (w->overflow)
		return -ENOSPC;
	return w->depth != 0 ? -EINVAL : 0;
}
