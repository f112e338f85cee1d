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

#include "record.h"

#define PFX_BEGIN "IOMMULAB-BEGIN "
#define PFX_REC "IOMMULAB-REC "
#define PFX_END "IOMMULAB-END "
#define PFX_ANY "IOMMULAB-"
#define MAX_ERRNO 4095
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

const char *lab_errno_name(int e)
{
	const char *n;

	if (e == 0)
		return "OK";
	if (e < 0 || e > MAX_ERRNO)
		return "E?";
	n = strerrorname_np(e);
	return n ? n : "E?";
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
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
			return fail(err, errlen, "missing \"%s\"", key);
		return 0;
	}
	if (!json_is_string(v))
		return fail(err, errlen, "\"%s\" must be a string", key);
	if (json_string_length(v) > max || strlen(json_string_value(v)) != json_string_length(v))
		return fail(err, errlen, "\"%s\" longer than %zu bytes or holds NUL", key, max);
	if (set && !charset(json_string_value(v), set))
		return fail(err, errlen, "\"%s\" has characters outside [%s]", key, set);
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
			return fail(err, errlen, "missing \"%s\"", key);
		return 0;
	}
	if (!json_is_integer(v))
		return fail(err, errlen, "\"%s\" must be an integer", key);
	if (json_integer_value(v) < lo || json_integer_value(v) > hi)
		return fail(err, errlen, "\"%s\" = %lld out of range %lld..%lld", key,
			    (long long)json_integer_value(v), (long long)lo, (long long)hi);
	*out = json_integer_value(v);
	return 0;
}

static bool known_driver(const char *d)
{
	static const char *const drivers[] = {
		"intel-iommu", "amd-iommu", "virtio-iommu", "arm-smmu-v3",
		"s390-iommu", "mtk-iommu", "apple-dart", "iommufd-selftest", "none", NULL,
	};
	for (int i = 0; drivers[i]; i++)
		if (strcmp(d, drivers[i]) == 0)
			return true;
	return false;
}

static int check_steps(json_t *steps, char *err, size_t errlen)
{
	json_t *s;
	size_t i;

	if (!json_is_array(steps))
		return fail(err, errlen, "\"steps\" must be an array");
	if (json_array_size(steps) > MAX_STEPS)
		return fail(err, errlen, "\"steps\" has more than %d entries", MAX_STEPS);
	json_array_foreach(steps, i, s) {
		json_t *name = json_object_get(s, "name"), *e = json_object_get(s, "errno");
		json_t *en = json_object_get(s, "err");

		if (!json_is_object(s))
			return fail(err, errlen, "steps[%zu] is not an object", i);
		if (!json_is_string(name) || json_string_length(name) == 0 ||
		    json_string_length(name) > 64)
			return fail(err, errlen, "steps[%zu].name must be a string of 1-64 bytes", i);
		if (!json_is_integer(e) || json_integer_value(e) < 0 ||
		    json_integer_value(e) > MAX_ERRNO)
			return fail(err, errlen, "steps[%zu].errno must be an integer 0..%d", i, MAX_ERRNO);
		if (en && (!json_is_string(en) || json_string_length(en) > 32))
			return fail(err, errlen, "steps[%zu].err must be a string of <= 32 bytes", i);
	}
	return 0;
}

/* validate a record object; fills @out (strings duplicated) */
int lab_record_from_json(json_t *o, struct lab_result *out, char *err, size_t errlen)
{
	const char *id, *target, *kernel, *arch, *driver, *iommu, *contract,
		   *verdict, *reason, *verified, *oname, *ename;
	json_int_t v, observed, expected = -1, duration, repeat;
	enum lab_verdict vd;
	json_t *steps, *x;
	int r;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(o))
		return fail(err, errlen, "record is not a JSON object");
	if ((r = get_int(o, "v", true, 1, 1, 1, &v, err, errlen)))
		return r;
	if ((r = get_str(o, "id", true, 96, LOWER_DIGITS "_.-", &id, err, errlen)) ||
	    (r = get_str(o, "target", true, 64, LOWER_DIGITS "-", &target, err, errlen)) ||
	    (r = get_str(o, "kernel", true, 128, NULL, &kernel, err, errlen)) ||
	    (r = get_str(o, "arch", false, 32, LOWER_DIGITS "_", &arch, err, errlen)) ||
	    (r = get_str(o, "driver", true, 32, NULL, &driver, err, errlen)) ||
	    (r = get_str(o, "iommu", false, 64, NULL, &iommu, err, errlen)) ||
	    (r = get_str(o, "observed_name", false, 32, NULL, &oname, err, errlen)) ||
	    (r = get_str(o, "expected_name", false, 32, NULL, &ename, err, errlen)) ||
	    (r = get_str(o, "contract", false, 128, NULL, &contract, err, errlen)) ||
	    (r = get_str(o, "verdict", true, 16, NULL, &verdict, err, errlen)) ||
	    (r = get_str(o, "reason", false, 1024, NULL, &reason, err, errlen)) ||
	    (r = get_str(o, "verified", false, 8, NULL, &verified, err, errlen)))
		return r;
	if (!*id || !*target || !*kernel)
		return fail(err, errlen, "\"id\", \"target\" and \"kernel\" must not be empty");
	if (!known_driver(driver))
		return fail(err, errlen, "\"driver\" '%s' is not a known IOMMU driver", driver);
	if (lab_verdict_parse(verdict, &vd))
		return fail(err, errlen, "\"verdict\" '%s' is not pass|fail|skip|error", verdict);
	if (verified && strcmp(verified, "dma") && strcmp(verified, "core") &&
	    strcmp(verified, "none"))
		return fail(err, errlen, "\"verified\" '%s' is not dma|core|none", verified);
	if ((r = get_int(o, "observed", true, 0, MAX_ERRNO, 0, &observed, err, errlen)) ||
	    (r = get_int(o, "duration_us", false, 0, INT64_MAX / 2, 0, &duration, err, errlen)) ||
	    (r = get_int(o, "repeat", false, 0, 999, 0, &repeat, err, errlen)))
		return r;
	x = json_object_get(o, "expected");
	if (x && !json_is_null(x) &&
	    (r = get_int(o, "expected", true, 0, MAX_ERRNO, -1, &expected, err, errlen)))
		return r;
	if (expected < 0 && (vd == LAB_VERDICT_PASS || vd == LAB_VERDICT_FAIL))
		return fail(err, errlen, "verdict %s needs an \"expected\" errno", verdict);
	x = json_object_get(o, "reused");
	if (x && !json_is_null(x) && !json_is_boolean(x))
		return fail(err, errlen, "\"reused\" must be true, false or null");
	steps = json_object_get(o, "steps");
	if (!steps)
		return fail(err, errlen, "missing \"steps\"");
	if ((r = check_steps(steps, err, errlen)))
		return r;

	out->case_id = strdup(id);
	out->driver = strdup(driver);
	out->iommu = iommu ? strdup(iommu) : NULL;
	out->steps_json = json_dumps(steps, JSON_COMPACT);
	out->contract = contract ? strdup(contract) : NULL;
	out->reason = reason ? strdup(reason) : NULL;
	out->verified = verified ? strdup(verified) : NULL;
	out->observed = (int)observed;
	out->expected = (int)expected;
	out->verdict = vd;
	out->reused = json_is_boolean(x) ? json_is_true(x) : -1;
	out->duration_us = duration;
	out->repeat = (int)repeat;
	if (!out->case_id || !out->driver || !out->steps_json ||
	    (iommu && !out->iommu) || (contract && !out->contract) ||
	    (reason && !out->reason) || (verified && !out->verified)) {
		lab_result_clear(out);
		return -ENOMEM;
	}
	return 0;
}

static json_t *load_obj(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);

	if (!o) {
		fail(err, errlen, "invalid JSON at column %d: %s", je.column, je.text);
		return NULL;
	}
	if (!json_is_object(o)) {
		json_decref(o);
		fail(err, errlen, "not a JSON object");
		return NULL;
	}
	return o;
}

/* a record line of @len bytes (no newline) */
static int parse_rec(const char *line, size_t len, struct lab_result *out,
		     json_t **obj, char *err, size_t errlen)
{
	size_t pl = strlen(PFX_REC);
	json_t *o;
	int r;

	memset(out, 0, sizeof(*out));
	if (len < pl || memcmp(line, PFX_REC, pl) != 0)
		return fail(err, errlen, "not an " PFX_REC "line");
	if (len > LAB_RECORD_LINE_MAX)
		return fail(err, errlen, "record line of %zu bytes exceeds %d", len,
			    LAB_RECORD_LINE_MAX);
	o = load_obj(line + pl, len - pl, err, errlen);
	if (!o)
		return -EINVAL;
	r = lab_record_from_json(o, out, err, errlen);
	if (r || !obj)
		json_decref(o);
	else
		*obj = o;
	return r;
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

static bool same(const char *a, json_t *o, const char *key)
{
	const char *b = json_string_value(json_object_get(o, key));

	return !b || strcmp(a, b) == 0;	/* absent optional keys are fine */
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
			struct lab_result r;
			json_t *obj = NULL;
			int e;

			if (!begin || end) {
				problem(sc, LAB_SCAN_MALFORMED, lineno,
					end ? "record after IOMMULAB-END" : "record before IOMMULAB-BEGIN",
					NULL);
				continue;
			}
			e = parse_rec(p, l, &r, &obj, err, sizeof(err));
			if (e == -ENOMEM)
				return -ENOMEM;
			if (e) {
				problem(sc, LAB_SCAN_MALFORMED, lineno, "malformed record", err);
				continue;
			}
			if ((sc->target[0] && !same(sc->target, obj, "target")) ||
			    (sc->kernel[0] && !same(sc->kernel, obj, "kernel")) ||
			    (sc->arch[0] && !same(sc->arch, obj, "arch"))) {
				problem(sc, LAB_SCAN_MALFORMED, lineno,
					"record target/kernel/arch differ from IOMMULAB-BEGIN", r.case_id);
				json_decref(obj);
				lab_result_clear(&r);
				continue;
			}
			json_decref(obj);
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
