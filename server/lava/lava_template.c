/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lava_template.c - the LAVA job template renderer (lava_template.h).
 *
 * One pass over the template, line by line, appending to a growing buffer.
 * A line is first copied into the output; if a {{name?}} on it has no
 * value, the output is cut back to the start of the line and the rest of
 * the line is skipped.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lava_template.h"
#include "lava_util.h"

static bool str_ok(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}

int lab_lava_template_value_ok(json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_STRING:
		return str_ok(json_string_value(v)) ? 0 : -EINVAL;
	case JSON_ARRAY:
		json_array_foreach(v, i, x)
			if (lab_lava_template_value_ok(x))
				return -EINVAL;
		return 0;
	case JSON_OBJECT:
		json_object_foreach(v, key, x)
			if (!str_ok(key) || lab_lava_template_value_ok(x))
				return -EINVAL;
		return 0;
	case JSON_INTEGER:
	case JSON_REAL:
	case JSON_TRUE:
	case JSON_FALSE:
	case JSON_NULL:
		return 0;
	}
	return -EINVAL;
}

static bool name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/* render one line [s, e) (without its newline); *drop set for a missing {{x?}} */
static int render_line(struct lab_lava_buf *b, const char *s, const char *e, json_t *vars,
		       unsigned lineno, bool *drop, char *err, size_t errlen)
{
	const char *p = s;

	*drop = false;
	while (p < e) {
		const char *o = memmem(p, e - p, "{{", 2);
		char name[64];
		size_t n = 0;
		bool optional = false;
		json_t *v;
		char *enc;
		int r;

		if (!o)
			return lab_lava_buf_add(b, p, e - p);
		r = lab_lava_buf_add(b, p, o - p);
		if (r)
			return r;
		p = o + 2;
		while (p < e && name_char(*p) && n < sizeof(name) - 1)
			name[n++] = *p++;
		name[n] = '\0';
		if (p < e && *p == '?') {
			optional = true;
			p++;
		}
		if (!n || e - p < 2 || p[0] != '}' || p[1] != '}') {
			lab_lava_seterr(err, errlen, "line %u: bad placeholder (want {{name}} or {{name?}}, name [a-z0-9_]{1,63})",
			       lineno);
			return -EINVAL;
		}
		p += 2;
		v = json_object_get(vars, name);
		if (!v || json_is_null(v)) {
			if (optional) {
				*drop = true;
				return 0;
			}
			lab_lava_seterr(err, errlen, "line %u: no value for {{%s}}", lineno, name);
			return -EINVAL;
		}
		if (lab_lava_template_value_ok(v)) {
			lab_lava_seterr(err, errlen, "line %u: value of {{%s}} has a character outside printable ASCII",
			       lineno, name);
			return -EINVAL;
		}
		enc = json_dumps(v, JSON_ENCODE_ANY | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
		if (!enc)
			return -ENOMEM;
		r = lab_lava_buf_add(b, enc, strlen(enc));
		free(enc);
		if (r)
			return r;
	}
	return 0;
}

int lab_lava_template_render(const char *tmpl, json_t *vars, char **out,
			     char *err, size_t errlen)
{
	struct lab_lava_buf b = { 0 };
	const char *p = tmpl;
	unsigned lineno = 0;
	int r;

	if (!tmpl || !out || (vars && !json_is_object(vars)))
		return -EINVAL;
	*out = NULL;
	r = lab_lava_buf_add(&b, "", 0);
	if (r)
		return r;
	while (*p) {
		const char *nl = strchr(p, '\n');
		const char *e = nl ? nl : p + strlen(p);
		const char *q = p;
		size_t mark = b.len;
		bool drop;

		lineno++;
		while (q < e && (*q == ' ' || *q == '\t'))
			q++;
		if (q < e && *q == '#') {
			p = nl ? nl + 1 : e;
			continue;
		}
		r = render_line(&b, p, e, vars, lineno, &drop, err, errlen);
		if (r)
			goto free_buf;
		if (drop) {
			b.len = mark;
			b.p[b.len] = '\0';
		} else if (nl) {
			r = lab_lava_buf_add(&b, "\n", 1);
			if (r)
				goto free_buf;
		}
		p = nl ? nl + 1 : e;
	}
	*out = b.p;
	return 0;
free_buf:
	free(b.p);
	return r;
}

int lab_lava_template_render_file(const char *path, json_t *vars, char **out,
				  char *err, size_t errlen)
{
	struct stat sb;
	char *text;
	size_t n;
	FILE *f;
	int r;

	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		lab_lava_seterr(err, errlen, "%s: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fileno(f), &sb) || sb.st_size > (off_t)LAB_LAVA_TEMPLATE_MAX) {
		lab_lava_seterr(err, errlen, "%s: not a readable file of at most %u bytes", path,
		       LAB_LAVA_TEMPLATE_MAX);
		fclose(f);
		return -EFBIG;
	}
	text = malloc(sb.st_size + 1);
	if (!text) {
		fclose(f);
		return -ENOMEM;
	}
	n = fread(text, 1, sb.st_size, f);
	fclose(f);
	text[n] = '\0';
	if (memchr(text, '\0', n)) {
		lab_lava_seterr(err, errlen, "%s: holds a NUL byte", path);
		free(text);
		return -EINVAL;
	}
	r = lab_lava_template_render(text, vars, out, err, errlen);
	free(text);
	return r;
}
