/*
 * jsonw.h - a tiny JSON writer into a caller-owned fixed buffer.
 *
 * Purpose: the agent emits JSON (records, the catalogue) without a JSON
 * library; this module is the one place strings are escaped.
 *
 * Invariants: the buffer is always NUL-terminated; once an append does not
 * fit, @overflow is set, the text is cut at the last complete append and all
 * later appends are ignored, so a truncated object is never mistaken for a
 * complete one (callers check lab_jw_ok()). Strings are emitted as valid
 * UTF-8 JSON: '"', '\\' and control characters are escaped, malformed UTF-8
 * bytes become U+FFFD. Commas between members/elements are inserted by the
 * writer (nesting depth up to LAB_JW_DEPTH).
 * Ownership: the caller owns @buf; nothing is allocated.
 * Error convention: lab_jw_ok() returns 0, -ENOSPC (did not fit) or -EINVAL
 * (an object/array left open).
 */
#ifndef LAB_JSONW_H
#define LAB_JSONW_H

#include <stddef.h>
#include <stdint.h>

#define LAB_JW_DEPTH 8

struct lab_jw {
	char *buf;
	size_t cap;
	size_t len;
	int overflow;
	int depth;
	int first[LAB_JW_DEPTH];	/* no member written yet at this depth */
	int after_key;			/* a key was written, value pending */
};

void lab_jw_init(struct lab_jw *w, char *buf, size_t cap);
void lab_jw_obj_begin(struct lab_jw *w);
void lab_jw_obj_end(struct lab_jw *w);
void lab_jw_arr_begin(struct lab_jw *w);
void lab_jw_arr_end(struct lab_jw *w);
void lab_jw_key(struct lab_jw *w, const char *key);
void lab_jw_str(struct lab_jw *w, const char *s);	/* NULL -> null */
void lab_jw_int(struct lab_jw *w, long long v);
void lab_jw_bool(struct lab_jw *w, int v);
void lab_jw_null(struct lab_jw *w);
/* the common "key": value pairs */
void lab_jw_kstr(struct lab_jw *w, const char *key, const char *s);
void lab_jw_kint(struct lab_jw *w, const char *key, long long v);
int lab_jw_ok(const struct lab_jw *w);

/* escape @s as a JSON string (with quotes) into @out; -ENOSPC if it does not fit */
int lab_json_escape(const char *s, char *out, size_t cap);

#endif
