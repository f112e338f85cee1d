/* SPDX-License-Identifier: GPL-2.0 */
/*
 * record.c - agent record lines: parse, validate, scan a log (record.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>

#include "record.h"

#define PFX_BEGIN "IOMMULAB-BEGIN "
#define PFX_REC "IOMMULAB-REC "
#define PFX_END "IOMMULAB-END "
#define PFX_ANY "IOMMULAB-"
#define MAX_STEPS 64
#define LOG_FILE_MAX (256u << 20)

const char *lab_scan_status_name(enum lab_scan_status s)
{
	switch (s) {
	case LAB_SCAN_OK: return "ok";
	case LAB_SCAN_NO_END: return "no_end";
	case LAB_SCAN_MALFORMED: return "malformed";
	case LAB_SCAN_COUNT_MISMATCH: return "count_mismatch";
	case LAB_SCAN_BAD_END: return "bad_end";
	}
	return "?";
}

static bool charset(const char *s, const char *set)
{
	return strspn(s, set) == strlen(s);
}

#define LOWER_DIGITS "abcdefghijklmnopqrstuvwxyz0123456789"

/* a string member: required or optional, max length, optional charset */
static int get_str(json_t *o, const char *key, bool required, size_t max,
		   const char *set, const char **out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return lab_record_fail(err, errlen, "missing \"%s\"", key);
		return 0;
	}
	if (!json_is_string(v))
		return lab_record_fail(err, errlen, "\"%s\" must be a string", key);
	if (json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v))
		return lab_record_fail(err, errlen, "\"%s\" longer than %zu bytes or holds NUL", key, max);
	if (set && !charset(json_string_value(v), set))
		return lab_record_fail(err, errlen, "\"%s\" has characters outside [%s]", key, set);
	*out = json_string_value(v);
	return 0;
}

static int get_int(json_t *o, const char *key, bool required, json_int_t lo,
		   json_int_t hi, json_int_t def, json_int_t *out, char *err,
		   size_t errlen)
{
	json_t *v = json_object_get(o, key);

	*out = def;
	if (!v) {
		if (required)
			return lab_record_fail(err, errlen, "missing \"%s\"", key);
		return 0;
	}
	if (!json_is_integer(v))
		return lab_record_fail(err, errlen, "\"%s\" must be an integer", key);
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return lab_record_fail(err, errlen, "\"%s\" = %lld out of range %lld..%lld", key,
			    (long long)json_integer_value(v), (long long)lo, (long long)hi);
	*out = json_integer_value(v);
	return 0;
}

static json_t *load_obj(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);

	if (!o) {
		lab_record_fail(err, errlen, "invalid JSON at column %d: %s", je.column, je.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		lab_record_fail(err, errlen, "not a JSON object");
		return NULL;
	}
	return o;
}

/* a record line of @len bytes (no newline) */
static int parse_rec(const char *line, size_t len, struct lab_result *out,
		     struct lab_record_ident *ident, char *err, size_t errlen)
{
	size_t pl = strlen(PFX_REC);

	memset(out, 0, sizeof(*out));
	if (len < pl || memcmp(line, PFX_REC, pl) != 0)
		return lab_record_fail(err, errlen, "not an " PFX_REC "line");
	if (len > LAB_RECORD_LINE_MAX)
		return lab_record_fail(err, errlen, "record line of %zu bytes exceeds %d", len,
			    LAB_RECORD_LINE_MAX);
	return lab_record_decode(line + pl, len - pl, out, ident, err, errlen);
}

int lab_record_parse_line(const char *line, struct lab_result *out,
			  char *err, size_t errlen)
{
	size_t len;

	if (!line || !out)
		return -EINVAL;
	len = strlen(line);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	return parse_rec(line, len, out, NULL, err, errlen);
}

void lab_record_scan_clear(struct lab_record_scan *scan)
{
	if (!scan)
		return;
	for (size_t i = 0; i < scan->n; i++)
		lab_result_clear(&scan->res[i]);
	free(scan->res);
	memset(scan, 0, sizeof(*scan));
	scan->end_count = -1;
}

static bool starts(const char *p, size_t len, const char *pfx)
{
	size_t l = strlen(pfx);

	return len >= l && memcmp(p, pfx, l) == 0;
}

/* remember the first problem; later ones do not overwrite it */
static void problem(struct lab_record_scan *sc, enum lab_scan_status st,
		    size_t line, const char *what, const char *detail)
{
	if (sc->error_line)
		return;
	sc->status = st;
	sc->error_line = line;
	snprintf(sc->error, sizeof(sc->error), "line %zu: %.60s%s%.400s", line, what,
		 detail && *detail ? ": " : "", detail ? detail : "");
}

static void copy_str(char *dst, size_t n, json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	snprintf(dst, n, "%s", s ? s : "");
}

int lab_record_scan(const char *log, size_t len, struct lab_record_scan *sc)
{
	char err[LAB_RECORD_ERR_MAX];
	bool begin = false, end = false;
	size_t lineno = 0, pos = 0;
	const char *p;

	if (!sc || (!log && len))
		return -EINVAL;
	memset(sc, 0, sizeof(*sc));
	sc->end_count = -1;
	while (pos < len) {
		const char *nl = memchr(log + pos, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - (log + pos)) : len - pos;
		json_t *o;

		p = log + pos;
		pos += l + (nl ? 1 : 0);
		lineno++;
		while (l && p[l - 1] == '\r')
			l--;
		if (!starts(p, l, PFX_ANY))
			continue;
		if (starts(p, l, PFX_BEGIN)) {
			json_int_t v;

			if (begin) {
				problem(sc, LAB_SCAN_MALFORMED, lineno, "second IOMMULAB-BEGIN", NULL);
				continue;
			}
			begin = true;
			o = load_obj(p + strlen(PFX_BEGIN), l - strlen(PFX_BEGIN), err, sizeof(err));
			if (!o || get_int(o, "v", true, 1, 1, 1, &v, err, sizeof(err))) {
				problem(sc, LAB_SCAN_MALFORMED, lineno, "bad IOMMULAB-BEGIN", err);
				json_decref(o);
				continue;
			}
			copy_str(sc->target, sizeof(sc->target), o, "target");
			copy_str(sc->kernel, sizeof(sc->kernel), o, "kernel");
			copy_str(sc->arch, sizeof(sc->arch), o, "arch");
			json_decref(o);
		} else if (starts(p, l, PFX_REC)) {
			struct lab_record_ident id;
			struct lab_result r;
			int e;

			if (!begin || end) {
				problem(sc, LAB_SCAN_MALFORMED, lineno,
					end ? "record after IOMMULAB-END" : "record before IOMMULAB-BEGIN",
					NULL);
				continue;
			}
			e = parse_rec(p, l, &r, &id, err, sizeof(err));
			if (e == -ENOMEM)
				return -ENOMEM;
			if (e) {
				problem(sc, LAB_SCAN_MALFORMED, lineno, "malformed record", err);
				continue;
			}
			/* a record without "arch" agrees with any BEGIN arch */
			if ((sc->target[0] && strcmp(sc->target, id.target)) ||
			    (sc->kernel[0] && strcmp(sc->kernel, id.kernel)) ||
			    (sc->arch[0] && id.has_arch && strcmp(sc->arch, id.arch))) {
				problem(sc, LAB_SCAN_MALFORMED, lineno,
					"record target/kernel/arch differ from IOMMULAB-BEGIN", r.case_id);
				lab_result_clear(&r);
				continue;
			}
			if (sc->n == LAB_RECORD_MAX_RECORDS) {
				problem(sc, LAB_SCAN_MALFORMED, lineno, "too many records", NULL);
				lab_result_clear(&r);
				continue;
			}
			if (sc->n == sc->cap) {
				size_t nc = sc->cap ? sc->cap * 2 : 64;
				struct lab_result *nr = realloc(sc->res, nc * sizeof(*nr));

				if (!nr) {
					lab_result_clear(&r);
					return -ENOMEM;
				}
				sc->res = nr;
				sc->cap = nc;
			}
			sc->res[sc->n++] = r;
		} else if (starts(p, l, PFX_END)) {
			json_int_t v, cnt;
			const char *status;

			if (end) {
				problem(sc, LAB_SCAN_BAD_END, lineno, "second IOMMULAB-END", NULL);
				continue;
			}
			end = true;
			o = load_obj(p + strlen(PFX_END), l - strlen(PFX_END), err, sizeof(err));
			if (!o || get_int(o, "v", true, 1, 1, 1, &v, err, sizeof(err)) ||
			    get_int(o, "records", true, 0, LAB_RECORD_MAX_RECORDS, 0, &cnt,
				    err, sizeof(err)) ||
			    get_str(o, "status", true, 32, NULL, &status, err, sizeof(err))) {
				problem(sc, LAB_SCAN_BAD_END, lineno, "bad IOMMULAB-END", err);
				json_decref(o);
				continue;
			}
			sc->end_count = cnt;
			if (strcmp(status, "ok") != 0)
				problem(sc, LAB_SCAN_BAD_END, lineno, "IOMMULAB-END status is not ok",
					status);
			json_decref(o);
		} else {
			char what[48];
			size_t k = 0;

			/* bounded by the line: the log is not NUL-terminated (fuzz_record) */
			while (k < l && p[k] != ' ' && p[k] != '{')
				k++;
			snprintf(what, sizeof(what), "unknown line prefix '%.*s'",
				 (int)(k < l ? k : (l > 24 ? 24 : l)), p);
			for (char *c = what; *c; c++)
				if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
					*c = '?';
			problem(sc, LAB_SCAN_MALFORMED, lineno, what, NULL);
		}
	}
	if (!end) {
		char first[LAB_RECORD_ERR_MAX];

		snprintf(first, sizeof(first), "%s", sc->error);
		sc->status = LAB_SCAN_NO_END;
		sc->error_line = lineno;
		if (!begin)
			snprintf(sc->error, sizeof(sc->error),
				 "no IOMMULAB-BEGIN and no IOMMULAB-END in %zu lines", lineno);
		else
			snprintf(sc->error, sizeof(sc->error),
				 "no IOMMULAB-END after %zu records (%zu lines)%s%.300s", sc->n,
				 lineno, first[0] ? "; also " : "", first);
		return 0;
	}
	if (sc->error_line)
		return 0;
	if (!begin) {
		problem(sc, LAB_SCAN_MALFORMED, 1, "no IOMMULAB-BEGIN", NULL);
		return 0;
	}
	if ((size_t)sc->end_count != sc->n) {
		char d[96];

		snprintf(d, sizeof(d), "END says %ld records, %zu found", sc->end_count, sc->n);
		problem(sc, LAB_SCAN_COUNT_MISMATCH, lineno, "record count mismatch", d);
	}
	return 0;
}

int lab_record_scan_file(const char *path, struct lab_record_scan *out)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t len;
	long sz;
	int r;

	if (!f)
		return -errno;
	if (fseek(f, 0, SEEK_END) || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fclose(f);
		return -EIO;
	}
	if ((unsigned long)sz > LOG_FILE_MAX) {
		fclose(f);
		return -EFBIG;
	}
	buf = malloc((size_t)sz + 1);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	len = fread(buf, 1, (size_t)sz, f);
	fclose(f);
	r = lab_record_scan(buf, len, out);
	free(buf);
	return r;
}
