/* SPDX-License-Identifier: GPL-2.0 */
/*
 * record_json.c - records from JSON text, one streaming pass (record_json.h).
 *
 * Structure: yajl calls back once per JSON event; a stack of frames says
 * where the event belongs (the body, the records array, a record, its steps
 * array, one step, or a value being skipped). A record's known keys land in
 * typed slots; when the record's object closes, check_record() applies the
 * rules in docs/records.md order and moves the values into a lab_result.
 * Events inside "steps" are also replayed into a yajl generator, which
 * yields the compact JSON text stored for the steps. Strings are copied into
 * an arena (chunks that never move), so a body's records cost no malloc of
 * their own.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "record_json.h"

#define MAX_DEPTH 64
#define MAX_STEPS 64
#define MAX_ERRNO 4095
#define LAB_RECORD_KERNEL_EXCERPT_MAX 4096	/* bounded by the record line itself */
#define MAX_UNKNOWN_KEYS 64	/* per object: more is refused */
#define CHUNK_MIN (64u << 10)
#define LOWER_DIGITS "abcdefghijklmnopqrstuvwxyz0123456789"

/* ---- arena ------------------------------------------------------------- */

struct chunk {
	struct chunk *next;
	size_t used, cap;
	char data[];
};

struct lab_arena {
	struct chunk *head;
};

static char *arena_copy(struct lab_arena *a, const char *s, size_t len)
{
	struct chunk *c = a->head;
	char *p;

	if (!c || c->cap - c->used < len + 1) {
		size_t cap = len + 1 > CHUNK_MIN ? len + 1 : CHUNK_MIN;

		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		c->next = a->head;
		a->head = c;
	}
	p = c->data + c->used;
	memcpy(p, s, len);
	p[len] = 0;
	c->used += len + 1;
	return p;
}

static void arena_free(struct lab_arena *a)
{
	while (a && a->head) {
		struct chunk *c = a->head;

		a->head = c->next;
		free(c);
	}
}

/* ---- record fields ------------------------------------------------------- */

enum vtype { V_ABSENT, V_NULL, V_BOOL, V_INT, V_REAL, V_STR, V_ARRAY, V_OBJECT };

struct slot {
	enum vtype t;
	bool b;
	long long i;
	const char *s;		/* V_STR: arena copy, NUL-terminated */
	size_t len;
};

/* the record's keys, in the order their rules are checked */
enum field {
	F_V, F_ID, F_TARGET, F_KERNEL, F_ARCH, F_DRIVER, F_IOMMU, F_OBSERVED_NAME,
	F_EXPECTED_NAME, F_CONTRACT, F_VERDICT, F_REASON, F_VERIFIED, F_OBSERVED,
	F_DURATION, F_REPEAT, F_EXPECTED, F_REUSED, F_STEPS,
	/* optional kernel-report keys (docs/records.md "Kernel reports"), checked last */
	F_KERNEL_KIND, F_KERNEL_EXCERPT, F_CONTRACT_VERDICT, F_TAINT_BEFORE, F_TAINT_AFTER,
	F__COUNT, F_UNKNOWN = F__COUNT,
};

static const char *const field_name[F__COUNT] = {
	[F_V] = "v", [F_ID] = "id", [F_TARGET] = "target", [F_KERNEL] = "kernel",
	[F_ARCH] = "arch", [F_DRIVER] = "driver", [F_IOMMU] = "iommu",
	[F_OBSERVED_NAME] = "observed_name", [F_EXPECTED_NAME] = "expected_name",
	[F_CONTRACT] = "contract", [F_VERDICT] = "verdict", [F_REASON] = "reason",
	[F_VERIFIED] = "verified", [F_OBSERVED] = "observed", [F_DURATION] = "duration_us",
	[F_REPEAT] = "repeat", [F_EXPECTED] = "expected", [F_REUSED] = "reused",
	[F_STEPS] = "steps", [F_KERNEL_KIND] = "kernel_kind",
	[F_KERNEL_EXCERPT] = "kernel_excerpt", [F_CONTRACT_VERDICT] = "contract_verdict",
	[F_TAINT_BEFORE] = "taint_before", [F_TAINT_AFTER] = "taint_after",
};

/* string fields: required, max bytes, charset (NULL: any) */
static const struct {
	enum field f;
	bool required;
	size_t max;
	const char *set;
} str_rules[] = {
	{ F_ID, true, 96, LOWER_DIGITS "_.-" },
	{ F_TARGET, true, 64, LOWER_DIGITS "-" },
	{ F_KERNEL, true, 128, NULL },
	{ F_ARCH, false, 32, LOWER_DIGITS "_" },
	{ F_DRIVER, true, 32, NULL },
	{ F_IOMMU, false, 64, NULL },
	{ F_OBSERVED_NAME, false, 32, NULL },
	{ F_EXPECTED_NAME, false, 32, NULL },
	{ F_CONTRACT, false, 128, NULL },
	{ F_VERDICT, true, 16, NULL },
	{ F_REASON, false, 1024, NULL },
	{ F_VERIFIED, false, 8, NULL },
};

enum step_field { S_NAME, S_ERRNO, S_ERR, S__COUNT, S_UNKNOWN = S__COUNT };
static const char *const step_name[S__COUNT] = { "name", "errno", "err" };

enum body_field { B_JOB, B_RECORDS, B_LOG, B_COMPLETE, B__COUNT, B_UNKNOWN = B__COUNT };
static const char *const body_name[B__COUNT] = { "job", "records", "log", "complete" };

/* ---- decoder state ------------------------------------------------------- */

enum frame_kind { FR_BODY, FR_RECORDS, FR_RECORD, FR_STEPS, FR_STEP, FR_SKIP };

struct frame {
	enum frame_kind kind;
	int key;			/* the field the next value belongs to */
	uint64_t seen;			/* known keys met (duplicate check) */
	uint64_t unknown[MAX_UNKNOWN_KEYS];	/* hashes of unknown keys met */
	int nunknown;
};

struct dec {
	bool body_mode;			/* a results body, or one record */
	struct frame st[MAX_DEPTH + 1];
	int depth;			/* frames in use */
	bool in_steps;			/* a "steps" array is open: only STEP and
					 * SKIP frames can sit above it, so every
					 * event until it closes is replayed into gen */
	char jerr[160];			/* why a callback stopped the parser */
	bool oom;			/* ... because memory ran out */
	yajl_handle h;
	size_t end_off;			/* just past the document's closing brace */
	struct lab_arena *arena;

	/* the record being decoded */
	struct slot f[F__COUNT];
	struct slot step[S__COUNT];
	size_t nsteps;
	char step_err[160];		/* first problem inside "steps" */
	const char *steps_text;		/* compact JSON of "steps" (arena) */
	yajl_gen gen;

	/* single-record mode: the result */
	bool have_one;
	struct lab_result one;
	struct lab_record_ident one_ident;
	char one_err[LAB_RECORD_ERR_MAX];

	/* body mode */
	struct lab_results_body *b;
	size_t max_records;
	size_t cap;
	size_t nrec;			/* records met, good or bad */
	bool stop_records;		/* a record failed: skip the others */
};

static int jfail(struct dec *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int jfail(struct dec *d, const char *fmt, ...)
{
	va_list ap;

	if (!d->jerr[0]) {
		va_start(ap, fmt);
		vsnprintf(d->jerr, sizeof(d->jerr), fmt, ap);
		va_end(ap);
	}
	return 0;	/* stops yajl */
}

int lab_record_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int oom(struct dec *d)
{
	d->oom = true;
	return jfail(d, "out of memory");
}

/*
 * Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing above
 * U+10FFFF. yajl's own check lets some of those through (0xc1 lead bytes;
 * "\ud800" decoded to a surrogate); jansson, the API's other parser, and
 * SQLite's text functions expect valid text.
 */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

static uint64_t hash_key(const unsigned char *k, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 0x100000001b3ull;
	return h;
}

/* look @k up in @names; duplicate keys stop the parse */
static int take_key(struct dec *d, struct frame *fr, const char *const *names, int n,
		    const unsigned char *k, size_t len)
{
	uint64_t h;

	for (int i = 0; i < n; i++)
		if (len && names[i][0] == (char)k[0] &&	/* keys hold no NUL */
		    strncmp(names[i], (const char *)k, len) == 0 && names[i][len] == 0) {
			if (fr->seen & (1ull << i))
				return jfail(d, "duplicate key \"%s\"", names[i]);
			fr->seen |= 1ull << i;
			fr->key = i;
			return 1;
		}
	fr->key = n;	/* unknown: its value is skipped */
	h = hash_key(k, len);
	for (int i = 0; i < fr->nunknown; i++)
		if (fr->unknown[i] == h)
			return jfail(d, "duplicate key \"%.*s\"", (int)(len > 40 ? 40 : len), k);
	if (fr->nunknown == MAX_UNKNOWN_KEYS)
		return jfail(d, "more than %d unknown keys in one object", MAX_UNKNOWN_KEYS);
	fr->unknown[fr->nunknown++] = h;
	return 1;
}

static struct frame *top(struct dec *d)
{
	return d->depth ? &d->st[d->depth - 1] : NULL;
}

static int push(struct dec *d, enum frame_kind k)
{
	struct frame *fr;

	if (d->depth == MAX_DEPTH)
		return jfail(d, "nesting deeper than %d", MAX_DEPTH);
	fr = &d->st[d->depth++];
	fr->kind = k;
	fr->key = -1;
	fr->seen = 0;
	fr->nunknown = 0;
	return 1;
}

static void step_problem(struct dec *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void step_problem(struct dec *d, const char *fmt, ...)
{
	va_list ap;

	if (d->step_err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(d->step_err, sizeof(d->step_err), fmt, ap);
	va_end(ap);
}

/* ---- record rules ---------------------------------------------------------- */

static bool known_driver(const char *s)
{
	static const char *const drivers[] = {
		"intel-iommu", "amd-iommu", "virtio-iommu", "arm-smmu-v3",
		"s390-iommu", "mtk-iommu", "apple-dart", "iommufd-selftest", "none", NULL,
	};
	for (int i = 0; drivers[i]; i++)
		if (strcmp(s, drivers[i]) == 0)
			return true;
	return false;
}

/* every byte of @s is in @set (a few short sets: a scan per byte is cheap) */
static bool in_charset(const char *s, size_t len, const char *set)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			continue;	/* LOWER_DIGITS: every set has them */
		if (!c || !strchr(set, c))
			return false;
	}
	return true;
}

static int rule_int(const struct slot *s, const char *key, bool required, long long lo,
		    long long hi, long long def, long long *out, char *err, size_t errlen)
{
	*out = def;
	if (s->t == V_ABSENT)
		return required ? lab_record_fail(err, errlen, "missing \"%s\"", key) : 0;
	if (s->t != V_INT)
		return lab_record_fail(err, errlen, "\"%s\" must be an integer", key);
	if (s->i < lo || s->i > hi)
		return lab_record_fail(err, errlen, "\"%s\" = %lld out of range %lld..%lld", key, s->i,
			     lo, hi);
	*out = s->i;
	return 0;
}

/* the first step problem, or the rules of the steps array itself */
static int rule_steps(struct dec *d, char *err, size_t errlen)
{
	const struct slot *s = &d->f[F_STEPS];

	if (s->t == V_ABSENT)
		return lab_record_fail(err, errlen, "missing \"steps\"");
	if (s->t != V_ARRAY)
		return lab_record_fail(err, errlen, "\"steps\" must be an array");
	if (d->nsteps > MAX_STEPS)
		return lab_record_fail(err, errlen, "\"steps\" has more than %d entries", MAX_STEPS);
	if (d->step_err[0])
		return lab_record_fail(err, errlen, "%s", d->step_err);
	return 0;
}

/* an optional string slot: NULL when absent/null, else bounded and NUL-free */
static int opt_str(const struct slot *s, const char *key, size_t max, const char *set,
		   const char **out, char *err, size_t errlen)
{
	*out = NULL;
	if (s->t == V_ABSENT || s->t == V_NULL)
		return 0;
	if (s->t != V_STR)
		return lab_record_fail(err, errlen, "\"%s\" must be a string", key);
	if (s->len > max || memchr(s->s, 0, s->len))
		return lab_record_fail(err, errlen, "\"%s\" longer than %zu bytes or holds NUL", key, max);
	if (set && !in_charset(s->s, s->len, set))
		return lab_record_fail(err, errlen, "\"%s\" has characters outside [%s]", key, set);
	*out = s->s;
	return 0;
}

/* the optional kernel-report keys; fills @out's kernel fields */
static int rule_kernel(struct dec *d, struct lab_result *out, char *err, size_t errlen)
{
	const char *kind, *excerpt, *cv;
	long long tb, ta;
	enum lab_verdict v;
	int r;

	if ((r = opt_str(&d->f[F_KERNEL_KIND], "kernel_kind", 32, LOWER_DIGITS "_", &kind, err,
			 errlen)) ||
	    (r = opt_str(&d->f[F_KERNEL_EXCERPT], "kernel_excerpt", LAB_RECORD_KERNEL_EXCERPT_MAX,
			 NULL, &excerpt, err, errlen)) ||
	    (r = opt_str(&d->f[F_CONTRACT_VERDICT], "contract_verdict", 16, NULL, &cv, err,
			 errlen)) ||
	    (r = rule_int(&d->f[F_TAINT_BEFORE], "taint_before", false, 0, INT64_MAX, -1, &tb,
			  err, errlen)) ||
	    (r = rule_int(&d->f[F_TAINT_AFTER], "taint_after", false, 0, INT64_MAX, -1, &ta,
			  err, errlen)))
		return r;
	if (cv && (lab_verdict_parse(cv, &v) || v > LAB_VERDICT_ERROR))
		return lab_record_fail(err, errlen, "\"contract_verdict\" '%s' is not pass|fail|skip|error", cv);
	if ((tb < 0) != (ta < 0))
		return lab_record_fail(err, errlen, "\"taint_before\" and \"taint_after\" come together");
	out->kernel_kind = (char *)kind;
	out->kernel_excerpt = (char *)excerpt;
	out->has_contract_verdict = cv != NULL;
	out->contract_verdict = cv ? v : LAB_VERDICT_PASS;
	out->has_taint = tb >= 0;
	out->taint_before = tb >= 0 ? tb : 0;
	out->taint_after = ta >= 0 ? ta : 0;
	return 0;
}

/* apply the rules to the slots; fills @out with arena/slot pointers */
static int check_record(struct dec *d, struct lab_result *out, struct lab_record_ident *id,
			char *err, size_t errlen)
{
	const char *sv[F__COUNT] = { 0 };
	long long v, observed, expected = -1, duration, repeat;
	enum lab_verdict vd;
	int r;

	memset(out, 0, sizeof(*out));
	if ((r = rule_int(&d->f[F_V], "v", true, 1, 1, 1, &v, err, errlen)))
		return r;
	for (size_t i = 0; i < sizeof(str_rules) / sizeof(str_rules[0]); i++) {
		const struct slot *s = &d->f[str_rules[i].f];
		const char *key = field_name[str_rules[i].f];

		if (s->t == V_ABSENT || s->t == V_NULL) {
			if (str_rules[i].required)
				return lab_record_fail(err, errlen, "missing \"%s\"", key);
			continue;
		}
		if (s->t != V_STR)
			return lab_record_fail(err, errlen, "\"%s\" must be a string", key);
		if (s->len > str_rules[i].max || memchr(s->s, 0, s->len))
			return lab_record_fail(err, errlen, "\"%s\" longer than %zu bytes or holds NUL", key,
				     str_rules[i].max);
		if (str_rules[i].set && !in_charset(s->s, s->len, str_rules[i].set))
			return lab_record_fail(err, errlen, "\"%s\" has characters outside [%s]", key,
				     str_rules[i].set);
		sv[str_rules[i].f] = s->s;
	}
	if (!*sv[F_ID] || !*sv[F_TARGET] || !*sv[F_KERNEL])
		return lab_record_fail(err, errlen, "\"id\", \"target\" and \"kernel\" must not be empty");
	if (!known_driver(sv[F_DRIVER]))
		return lab_record_fail(err, errlen, "\"driver\" '%s' is not a known IOMMU driver",
			     sv[F_DRIVER]);
	if (lab_verdict_parse(sv[F_VERDICT], &vd))
		return lab_record_fail(err, errlen, "\"verdict\" '%s' is not pass|fail|skip|error|crash|warn",
			     sv[F_VERDICT]);
	if (sv[F_VERIFIED] && strcmp(sv[F_VERIFIED], "dma") && strcmp(sv[F_VERIFIED], "core") &&
	    strcmp(sv[F_VERIFIED], "none"))
		return lab_record_fail(err, errlen, "\"verified\" '%s' is not dma|core|none", sv[F_VERIFIED]);
	if ((r = rule_int(&d->f[F_OBSERVED], "observed", true, 0, MAX_ERRNO, 0, &observed,
			  err, errlen)) ||
	    (r = rule_int(&d->f[F_DURATION], "duration_us", false, 0, INT64_MAX / 2, 0,
			  &duration, err, errlen)) ||
	    (r = rule_int(&d->f[F_REPEAT], "repeat", false, 0, 999, 0, &repeat, err, errlen)))
		return r;
	if (d->f[F_EXPECTED].t != V_NULL &&
	    (r = rule_int(&d->f[F_EXPECTED], "expected", false, 0, MAX_ERRNO, -1, &expected,
			  err, errlen)))
		return r;
	if (expected < 0 && (vd == LAB_VERDICT_PASS || vd == LAB_VERDICT_FAIL))
		return lab_record_fail(err, errlen, "verdict %s needs an \"expected\" errno", sv[F_VERDICT]);
	if (d->f[F_REUSED].t != V_ABSENT && d->f[F_REUSED].t != V_NULL &&
	    d->f[F_REUSED].t != V_BOOL)
		return lab_record_fail(err, errlen, "\"reused\" must be true, false or null");
	if ((r = rule_steps(d, err, errlen)))
		return r;
	if ((r = rule_kernel(d, out, err, errlen)))
		return r;

	out->case_id = (char *)sv[F_ID];
	out->driver = (char *)sv[F_DRIVER];
	out->iommu = (char *)sv[F_IOMMU];
	out->steps_json = (char *)d->steps_text;
	out->contract = (char *)sv[F_CONTRACT];
	out->reason = (char *)sv[F_REASON];
	out->verified = (char *)sv[F_VERIFIED];
	out->observed = (int)observed;
	out->expected = (int)expected;
	out->verdict = vd;
	out->reused = d->f[F_REUSED].t == V_BOOL ? d->f[F_REUSED].b : -1;
	out->duration_us = duration;
	out->repeat = (int)repeat;
	if (id) {	/* the rules above bound each length by its buffer */
		memcpy(id->target, sv[F_TARGET], d->f[F_TARGET].len + 1);
		memcpy(id->kernel, sv[F_KERNEL], d->f[F_KERNEL].len + 1);
		id->has_arch = sv[F_ARCH] != NULL;
		if (id->has_arch)
			memcpy(id->arch, sv[F_ARCH], d->f[F_ARCH].len + 1);
		else
			id->arch[0] = 0;
	}
	return 0;
}

static void record_reset(struct dec *d)
{
	memset(d->f, 0, sizeof(d->f));
	d->nsteps = 0;
	d->step_err[0] = 0;
	d->steps_text = NULL;
}

/* a record object closed: check it and keep it (or remember why not) */
static int record_done(struct dec *d)
{
	struct lab_record_ident id;
	struct lab_results_body *b = d->b;
	struct lab_result res;
	char err[LAB_RECORD_ERR_MAX];
	size_t i = d->nrec - 1;

	if (!d->body_mode) {
		if (check_record(d, &d->one, &d->one_ident, d->one_err, sizeof(d->one_err)) == 0)
			d->have_one = true;
		return 1;
	}
	if (check_record(d, &res, &id, err, sizeof(err))) {
		b->bad_index = i;
		b->bad_errno = -EINVAL;
		snprintf(b->bad, sizeof(b->bad), "%s", err);
		d->stop_records = true;
		return 1;
	}
	if (b->n == 0) {
		b->ident = id;
	} else if (strcmp(id.target, b->ident.target) || strcmp(id.kernel, b->ident.kernel) ||
		   id.has_arch != b->ident.has_arch || strcmp(id.arch, b->ident.arch)) {
		b->bad_index = i;
		b->bad_errno = -EINVAL;
		snprintf(b->bad, sizeof(b->bad), "target/kernel/arch '%.64s'/'%.80s'/'%.32s' "
			 "differ from records[0]'s (one job runs one kernel on one target)",
			 id.target, id.kernel, id.arch);
		d->stop_records = true;
		return 1;
	}
	if (b->n == d->cap) {
		size_t nc = d->cap ? d->cap * 2 : 256;
		struct lab_result *nr = realloc(b->res, nc * sizeof(*nr));

		if (!nr)
			return oom(d);
		b->res = nr;
		d->cap = nc;
	}
	b->res[b->n++] = res;
	return 1;
}

/* ---- yajl callbacks ------------------------------------------------------- */

/*
 * A value event (scalar, or the start of an array/object) at the current
 * position. @t is its type; scalars carry their data in @s. Returns 1 to go
 * on, 0 to stop the parse; for containers it pushes the frame that will
 * receive their contents.
 */
static int on_value(struct dec *d, enum vtype t, const struct slot *s)
{
	struct frame *fr = top(d);
	bool container = t == V_ARRAY || t == V_OBJECT;

	if (!fr) {		/* the document itself */
		if (t != V_OBJECT)
			return jfail(d, "not a JSON object");
		if (!d->body_mode)
			record_reset(d);
		return push(d, d->body_mode ? FR_BODY : FR_RECORD);
	}
	switch (fr->kind) {
	case FR_BODY: {
		struct lab_results_body *b = d->b;

		switch (fr->key) {
		case B_JOB:
			b->has_job = true;
			b->job = t == V_INT && s->i > 0 ? s->i : 0;
			break;
		case B_RECORDS:
			b->has_records = true;
			b->records_is_array = t == V_ARRAY;
			if (t == V_ARRAY)
				return push(d, FR_RECORDS);
			break;
		case B_LOG:
			b->has_log = true;
			b->log_is_string = t == V_STR;
			if (t == V_STR) {
				b->log = s->s;
				b->log_len = s->len;
			}
			break;
		case B_COMPLETE:
			b->has_complete = true;
			b->complete_is_bool = t == V_BOOL;
			b->complete = t == V_BOOL && s->b;
			break;
		}
		break;
	}
	case FR_RECORDS:
		d->nrec++;
		if (d->stop_records)
			break;
		if (d->nrec > d->max_records) {
			d->b->bad_index = d->nrec - 1;
			d->b->bad_errno = -E2BIG;
			snprintf(d->b->bad, sizeof(d->b->bad), "more than %zu records",
				 d->max_records);
			d->stop_records = true;
			break;
		}
		if (t != V_OBJECT) {
			d->b->bad_index = d->nrec - 1;
			d->b->bad_errno = -EINVAL;
			snprintf(d->b->bad, sizeof(d->b->bad), "record is not a JSON object");
			d->stop_records = true;
			break;
		}
		record_reset(d);
		return push(d, FR_RECORD);
	case FR_RECORD:
		if (fr->key == F_UNKNOWN)
			break;
		d->f[fr->key] = *s;
		d->f[fr->key].t = t;
		if (fr->key == F_STEPS && t == V_ARRAY) {
			yajl_gen_clear(d->gen);
			yajl_gen_reset(d->gen, NULL);
			yajl_gen_array_open(d->gen);
			d->in_steps = true;
			return push(d, FR_STEPS);
		}
		break;
	case FR_STEPS: {
		size_t i = d->nsteps++;

		if (t != V_OBJECT) {
			step_problem(d, "steps[%zu] is not an object", i);
			break;
		}
		memset(d->step, 0, sizeof(d->step));
		return push(d, FR_STEP);
	}
	case FR_STEP:
		if (fr->key != S_UNKNOWN) {
			d->step[fr->key] = *s;
			d->step[fr->key].t = t;
		}
		break;
	case FR_SKIP:
		break;
	}
	return container ? push(d, FR_SKIP) : 1;
}

/* a step object closed: its rules, in order (name, errno, err) */
static void step_done(struct dec *d)
{
	const struct slot *n = &d->step[S_NAME], *e = &d->step[S_ERRNO], *x = &d->step[S_ERR];
	size_t i = d->nsteps - 1;

	if (n->t != V_STR || n->len == 0 || n->len > 64)
		step_problem(d, "steps[%zu].name must be a string of 1-64 bytes", i);
	else if (e->t != V_INT || e->i < 0 || e->i > MAX_ERRNO)
		step_problem(d, "steps[%zu].errno must be an integer 0..%d", i, MAX_ERRNO);
	else if (x->t != V_ABSENT && (x->t != V_STR || x->len > 32))
		step_problem(d, "steps[%zu].err must be a string of <= 32 bytes", i);
}

static int cb_null(void *ctx)
{
	struct dec *d = ctx;

	if (d->in_steps)
		yajl_gen_null(d->gen);
	return on_value(d, V_NULL, &(struct slot){ 0 });
}

static int cb_bool(void *ctx, int v)
{
	struct dec *d = ctx;

	if (d->in_steps)
		yajl_gen_bool(d->gen, v);
	return on_value(d, V_BOOL, &(struct slot){ .b = v != 0 });
}

static int cb_number(void *ctx, const char *num, size_t len)
{
	struct dec *d = ctx;
	struct slot s = { 0 };
	char buf[64], *end;

	if (d->in_steps)
		yajl_gen_number(d->gen, num, len);
	if (memchr(num, '.', len) || memchr(num, 'e', len) || memchr(num, 'E', len)) {
		char *tmp = strndup(num, len);
		double x;

		if (!tmp)
			return oom(d);
		errno = 0;
		x = strtod(tmp, NULL);
		free(tmp);
		if (errno == ERANGE && (x == HUGE_VAL || x == -HUGE_VAL))
			return jfail(d, "real number out of range");
		return on_value(d, V_REAL, &s);
	}
	if (len < 19) {		/* fits in 63 bits whatever the digits */
		size_t i = num[0] == '-';
		long long v = 0;

		for (; i < len; i++)
			v = v * 10 + (num[i] - '0');
		s.i = num[0] == '-' ? -v : v;
		return on_value(d, V_INT, &s);
	}
	if (len >= sizeof(buf))
		return jfail(d, "integer out of range");
	memcpy(buf, num, len);
	buf[len] = 0;
	errno = 0;
	s.i = strtoll(buf, &end, 10);
	if (errno || *end)
		return jfail(d, "integer out of range");
	return on_value(d, V_INT, &s);
}

static int cb_string(void *ctx, const unsigned char *v, size_t len)
{
	struct dec *d = ctx;
	struct frame *fr = top(d);
	struct slot s = { .len = len };

	if (!utf8_valid(v, len))
		return jfail(d, "invalid UTF-8 in a string");
	if (d->in_steps)
		yajl_gen_string(d->gen, v, len);
	/* copy only what is kept or checked: record and step fields, "log" */
	if (fr && ((fr->kind == FR_RECORD && fr->key != F_UNKNOWN) ||
		   (fr->kind == FR_STEP && fr->key != S_UNKNOWN) ||
		   (fr->kind == FR_BODY && fr->key == B_LOG))) {
		if (fr->kind == FR_STEP) {
			s.s = "";	/* steps keep only the length; the text is in gen */
		} else {
			s.s = arena_copy(d->arena, (const char *)v, len);
			if (!s.s)
				return oom(d);
		}
	}
	return on_value(d, V_STR, &s);
}

static int cb_start_map(void *ctx)
{
	struct dec *d = ctx;

	if (d->in_steps)
		yajl_gen_map_open(d->gen);
	return on_value(d, V_OBJECT, &(struct slot){ 0 });
}

static int cb_map_key(void *ctx, const unsigned char *k, size_t len)
{
	struct dec *d = ctx;
	struct frame *fr = top(d);

	if (memchr(k, 0, len))
		return jfail(d, "NUL byte in an object key");
	if (!utf8_valid(k, len))
		return jfail(d, "invalid UTF-8 in an object key");
	if (d->in_steps)
		yajl_gen_string(d->gen, k, len);
	switch (fr->kind) {
	case FR_BODY:
		return take_key(d, fr, body_name, B__COUNT, k, len);
	case FR_RECORD:
		return take_key(d, fr, field_name, F__COUNT, k, len);
	case FR_STEP:
		return take_key(d, fr, step_name, S__COUNT, k, len);
	case FR_SKIP:
		return take_key(d, fr, NULL, 0, k, len);
	case FR_RECORDS:
	case FR_STEPS:
		break;
	}
	return 1;
}

static int cb_end_map(void *ctx)
{
	struct dec *d = ctx;
	enum frame_kind k = top(d)->kind;

	if (d->in_steps)
		yajl_gen_map_close(d->gen);
	if (--d->depth == 0)
		d->end_off = yajl_get_bytes_consumed(d->h);
	if (k == FR_RECORD)
		return record_done(d);
	if (k == FR_STEP)
		step_done(d);
	return 1;
}

static int cb_start_array(void *ctx)
{
	struct dec *d = ctx;

	if (d->in_steps)
		yajl_gen_array_open(d->gen);
	return on_value(d, V_ARRAY, &(struct slot){ 0 });
}

static int cb_end_array(void *ctx)
{
	struct dec *d = ctx;
	enum frame_kind k = top(d)->kind;
	const unsigned char *buf;
	size_t len;

	if (k != FR_STEPS) {
		if (d->in_steps)
			yajl_gen_array_close(d->gen);
		d->depth--;
		return 1;
	}
	d->depth--;
	d->in_steps = false;
	yajl_gen_array_close(d->gen);
	if (yajl_gen_get_buf(d->gen, &buf, &len) != yajl_gen_status_ok)
		return jfail(d, "steps could not be re-encoded");
	d->steps_text = arena_copy(d->arena, (const char *)buf, len);
	yajl_gen_clear(d->gen);
	return d->steps_text ? 1 : oom(d);
}

static const yajl_callbacks callbacks = {
	.yajl_null = cb_null,
	.yajl_boolean = cb_bool,
	.yajl_number = cb_number,
	.yajl_string = cb_string,
	.yajl_start_map = cb_start_map,
	.yajl_map_key = cb_map_key,
	.yajl_end_map = cb_end_map,
	.yajl_start_array = cb_start_array,
	.yajl_end_array = cb_end_array,
};

/* ---- driver ---------------------------------------------------------------- */

static int hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * The offset of a "\uXXXX" escape holding a UTF-16 surrogate that is not
 * half of a pair, or SIZE_MAX. yajl turns such an escape into '?', so it
 * must be caught in the text: an escape is a 'u' after an odd run of
 * backslashes (outside strings a backslash is a syntax error anyway).
 */
static size_t lone_surrogate(const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while ((p = memchr(p, '\\', (size_t)(end - p)))) {
		const char *run = p;
		int v;

		while (p < end && *p == '\\')
			p++;
		if ((p - run) % 2 == 0 || end - p < 5 || *p != 'u' || (v = hex4(p + 1)) < 0xd800 ||
		    v > 0xdfff)
			continue;
		if (v <= 0xdbff && end - p >= 11 && p[5] == '\\' && p[6] == 'u' &&
		    (v = hex4(p + 7)) >= 0xdc00 && v <= 0xdfff) {
			p += 11;	/* a pair */
			continue;
		}
		return (size_t)(run + (p - run) - 1 - text);
	}
	return SIZE_MAX;
}

/* 1-based line and column of byte @off */
static void where(const char *text, size_t off, size_t *line, size_t *col)
{
	size_t l = 1, c = 1;

	for (size_t i = 0; i < off; i++, c++)
		if (text[i] == '\n') {
			l++;
			c = 0;
		}
	*line = l;
	*col = c;
}

static bool json_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* parse @text; on a syntax error fill @err with where and why */
static int run(struct dec *d, const char *text, size_t len, size_t *line, size_t *col,
	       char *err, size_t errlen)
{
	unsigned char *msg = NULL;
	yajl_handle h;
	yajl_status st;
	size_t off;
	int r = 0;

	/* yajl takes \v and \f for whitespace; JSON has them nowhere raw */
	for (const char *bad = "\v\f"; *bad; bad++) {
		const char *p = memchr(text, *bad, len);

		if (p) {
			where(text, (size_t)(p - text), line, col);
			return lab_record_fail(err, errlen, "invalid JSON at line %zu column %zu: control "
				     "character 0x%02x", *line, *col, (unsigned)*bad);
		}
	}
	off = lone_surrogate(text, len);
	if (off != SIZE_MAX) {
		where(text, off, line, col);
		return lab_record_fail(err, errlen, "invalid JSON at line %zu column %zu: lone "
				       "UTF-16 surrogate escape", *line, *col);
	}
	d->gen = yajl_gen_alloc(NULL);
	if (!d->gen)
		return -ENOMEM;
	h = yajl_alloc(&callbacks, NULL, d);
	if (!h) {
		r = -ENOMEM;
		goto free_gen;
	}
	d->h = h;
	st = yajl_parse(h, (const unsigned char *)text, len);
	if (st == yajl_status_ok)
		st = yajl_complete_parse(h);
	if (st == yajl_status_ok) {
		/* yajl can stop inside a token it never finished (a lone '"'
		 * after the document): only whitespace may follow it */
		for (off = d->end_off; off < len && json_space(text[off]); off++)
			;
		if (off < len) {
			where(text, off, line, col);
			r = lab_record_fail(err, errlen, "invalid JSON at line %zu column %zu: data after "
				  "the document", *line, *col);
		}
		goto free_handle;
	}
	if (d->oom) {
		r = -ENOMEM;
		goto free_handle;
	}
	off = yajl_get_bytes_consumed(h);
	where(text, off < len ? off : len, line, col);
	if (st != yajl_status_client_canceled)
		msg = yajl_get_error(h, 0, NULL, 0);
	{
		char *m = msg ? (char *)msg : d->jerr;
		size_t ml = strlen(m);

		while (ml && (m[ml - 1] == '\n' || m[ml - 1] == ' '))
			m[--ml] = 0;
		r = lab_record_fail(err, errlen, "invalid JSON at line %zu column %zu: %s", *line, *col,
			  *m ? m : "syntax error");
	}
	if (msg)
		yajl_free_error(h, msg);
free_handle:
	yajl_free(h);
free_gen:
	yajl_gen_free(d->gen);
	d->gen = NULL;
	return r;
}

int lab_record_decode(const char *json, size_t len, struct lab_result *out,
		      struct lab_record_ident *ident, char *err, size_t errlen)
{
	struct lab_arena arena = { 0 };
	struct dec *d;
	size_t line, col;
	int r;

	if (!json || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->arena = &arena;
	r = run(d, json, len, &line, &col, err, errlen);
	if (r)
		goto free_all;
	if (!d->have_one) {
		r = lab_record_fail(err, errlen, "%s", d->one_err);
		goto free_all;
	}
	/* the result outlives the arena: own copies */
	out->case_id = strdup(d->one.case_id);
	out->driver = strdup(d->one.driver);
	out->iommu = d->one.iommu ? strdup(d->one.iommu) : NULL;
	out->steps_json = strdup(d->one.steps_json);
	out->contract = d->one.contract ? strdup(d->one.contract) : NULL;
	out->reason = d->one.reason ? strdup(d->one.reason) : NULL;
	out->verified = d->one.verified ? strdup(d->one.verified) : NULL;
	out->kernel_kind = d->one.kernel_kind ? strdup(d->one.kernel_kind) : NULL;
	out->kernel_excerpt = d->one.kernel_excerpt ? strdup(d->one.kernel_excerpt) : NULL;
	out->has_contract_verdict = d->one.has_contract_verdict;
	out->contract_verdict = d->one.contract_verdict;
	out->has_taint = d->one.has_taint;
	out->taint_before = d->one.taint_before;
	out->taint_after = d->one.taint_after;
	out->observed = d->one.observed;
	out->expected = d->one.expected;
	out->verdict = d->one.verdict;
	out->reused = d->one.reused;
	out->duration_us = d->one.duration_us;
	out->repeat = d->one.repeat;
	if (!out->case_id || !out->driver || !out->steps_json ||
	    (d->one.iommu && !out->iommu) || (d->one.contract && !out->contract) ||
	    (d->one.reason && !out->reason) || (d->one.verified && !out->verified) ||
	    (d->one.kernel_kind && !out->kernel_kind) ||
	    (d->one.kernel_excerpt && !out->kernel_excerpt)) {
		lab_result_clear(out);
		r = -ENOMEM;
		goto free_all;
	}
	if (ident)
		*ident = d->one_ident;
free_all:
	arena_free(&arena);
	free(d);
	return r;
}

int lab_results_body_decode(const char *body, size_t len, size_t max_records,
			    struct lab_results_body *out, char *err, size_t errlen)
{
	struct dec *d;
	int r;

	if (!body || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	out->bad_index = SIZE_MAX;
	out->arena = calloc(1, sizeof(*out->arena));
	d = calloc(1, sizeof(*d));
	if (!d || !out->arena) {
		free(d);
		lab_results_body_clear(out);
		return -ENOMEM;
	}
	d->body_mode = true;
	d->b = out;
	d->max_records = max_records;
	d->arena = out->arena;
	r = run(d, body, len, &out->err_line, &out->err_column, err, errlen);
	free(d);
	if (r) {
		size_t l = out->err_line, c = out->err_column;

		lab_results_body_clear(out);
		out->err_line = l;
		out->err_column = c;
	}
	return r;
}

void lab_results_body_clear(struct lab_results_body *b)
{
	if (!b)
		return;
	arena_free(b->arena);
	free(b->arena);
	free(b->res);
	memset(b, 0, sizeof(*b));
	b->bad_index = SIZE_MAX;
}
