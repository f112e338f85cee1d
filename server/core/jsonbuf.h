/* SPDX-License-Identifier: GPL-2.0 */
/*
 * jsonbuf.h - a growing buffer that JSON text is written into directly.
 *
 * Purpose: the hot read endpoints (matrix, diffs) write their responses
 * straight from SQLite rows into text instead of building one jansson
 * object per row. This module is only the text writer: strings, numbers,
 * booleans, null, keys, and an already-built json_t for small parts.
 *
 * Invariants:
 *  - The caller writes the structure ('{', ',', ...) with lab_jsonbuf_raw();
 *    values go through the typed writers, which always emit valid JSON.
 *  - Strings: '"' and '\\' escaped, every control character below 0x20
 *    escaped (\b \f \n \r \t, others \u00XX), valid UTF-8 passed through
 *    unchanged, each byte of an invalid UTF-8 sequence written as \ufffd
 *    (so the output is always valid UTF-8 JSON; jansson would refuse it).
 *  - Errors are sticky: after a failed allocation every writer is a no-op
 *    and lab_jsonbuf_take() returns -ENOMEM.
 *
 * Ownership: the buffer owns its text until lab_jsonbuf_take() hands it to
 * the caller (free() it); lab_jsonbuf_free() releases an untaken buffer and
 * accepts a zeroed struct.
 *
 * Errors: lab_jsonbuf_take() returns 0 or -ENOMEM; writers return nothing.
 */
#ifndef LAB_JSONBUF_H
#define LAB_JSONBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

struct lab_jsonbuf {
	char *p;
	size_t len, cap;
	int err;		/* 0 or -ENOMEM (sticky) */
};

/* @len bytes verbatim (structure: braces, commas, literal keys) */
void lab_jsonbuf_raw(struct lab_jsonbuf *b, const char *s, size_t len);
/* a NUL-terminated literal verbatim */
void lab_jsonbuf_lit(struct lab_jsonbuf *b, const char *s);
/* a JSON string of @len bytes of @s; NULL @s writes null */
void lab_jsonbuf_strn(struct lab_jsonbuf *b, const char *s, size_t len);
/* a JSON string of NUL-terminated @s; NULL writes null */
void lab_jsonbuf_str(struct lab_jsonbuf *b, const char *s);
/* "key": (the key escaped like a string) */
void lab_jsonbuf_key(struct lab_jsonbuf *b, const char *key);
void lab_jsonbuf_int(struct lab_jsonbuf *b, int64_t v);
/* a real as jansson writes it (%.17g, ".0" added to integral values) */
void lab_jsonbuf_real(struct lab_jsonbuf *b, double v);
void lab_jsonbuf_bool(struct lab_jsonbuf *b, bool v);
void lab_jsonbuf_null(struct lab_jsonbuf *b);
/* @j serialised compactly (NULL writes null) */
void lab_jsonbuf_json(struct lab_jsonbuf *b, const json_t *j);

/* hand the NUL-terminated text to the caller: *out (free()), *len bytes */
int lab_jsonbuf_take(struct lab_jsonbuf *b, char **out, size_t *len);
void lab_jsonbuf_free(struct lab_jsonbuf *b);

#endif /* LAB_JSONBUF_H */
