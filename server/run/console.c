/* SPDX-License-Identifier: GPL-2.0 */
/*
 * console.c - the in-flight line and the kernel report of a guest's console
 * (see console.h for the rules).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"
#include "model.h"

#define START_PREFIX	"# IOMMULAB-START "
#define PANIC_END	"---[ end Kernel panic"

/* one console line: @p[0, @n) without its '\n' */
struct cline {
	const char *p;
	size_t n;
};

/* the line at @off (its end: the next '\n' or @len); returns the next offset */
static size_t next_line(const char *log, size_t len, size_t off, struct cline *l)
{
	const char *nl = memchr(log + off, '\n', len - off);
	size_t end = nl ? (size_t)(nl - log) : len;

	l->p = log + off;
	l->n = end - off;
	return nl ? end + 1 : len;
}

static bool line_starts(const struct cline *l, const char *prefix)
{
	size_t k = strlen(prefix);

	return l->n >= k && !memcmp(l->p, prefix, k);
}

/*
 * The line's text into @buf: cut at a NUL, at LAB_CONSOLE_LINE_MAX - 1
 * bytes, without a trailing '\r' and a leading "[ 12.345678] ".
 */
static const char *line_text(const struct cline *l, char *buf)
{
	size_t n = l->n < LAB_CONSOLE_LINE_MAX - 1 ? l->n : LAB_CONSOLE_LINE_MAX - 1;
	const char *s;
	char *nul;

	memcpy(buf, l->p, n);
	buf[n] = '\0';
	nul = memchr(buf, '\0', n);
	if (nul)
		n = (size_t)(nul - buf);
	while (n && buf[n - 1] == '\r')
		buf[--n] = '\0';
	s = buf;
	if (*s == '[') {
		const char *q = s + 1;

		while (*q == ' ' || (*q >= '0' && *q <= '9') || *q == '.')
			q++;
		if (*q == ']' && q > s + 1) {
			s = q + 1;
			if (*s == ' ')
				s++;
		}
	}
	return s;
}

/* lines the agent or the rig print, never the kernel */
static bool line_ours(const char *s)
{
	return *s == '#' || !strncmp(s, "ok ", 3) || !strncmp(s, "not ok ", 7) ||
	       !strncmp(s, "IOMMULAB-", 9) || !strncmp(s, "iommulab-", 9);
}

static const struct lab_kpattern *pattern_of(const char *s)
{
	const struct lab_kpattern *p;

	if (line_ours(s))
		return NULL;
	for (p = lab_kpatterns; p->kind; p++) {
		if (p->anchored ? strncmp(s, p->start, strlen(p->start)) : !strstr(s, p->start))
			continue;
		if (p->also && !strstr(s, p->also))
			continue;
		return p;
	}
	return NULL;
}

/* an int after "\"KEY\":" in @s, or @dflt */
static int json_int(const char *s, const char *key, int dflt)
{
	char want[32];
	const char *p;

	snprintf(want, sizeof(want), "\"%s\":", key);
	p = strstr(s, want);
	if (!p)
		return dflt;
	p += strlen(want);
	if (*p < '0' || *p > '9')
		return dflt;
	return (int)strtol(p, NULL, 10);
}

void lab_console_last_start(const char *log, size_t len, struct lab_console_start *out)
{
	size_t off = 0;

	memset(out, 0, sizeof(*out));
	while (off < len) {
		char buf[LAB_CONSOLE_LINE_MAX];
		struct cline l;
		size_t next = next_line(log, len, off, &l);

		if (line_starts(&l, START_PREFIX)) {
			const char *s = line_text(&l, buf), *id = strstr(s, "\"id\":\"");
			size_t k = 0;

			if (id) {
				id += 6;
				while (k < sizeof(out->id) - 1 && id[k] && id[k] != '"')
					k++;
			}
			char cid[sizeof(out->id)];

			if (id && id[k] == '"' && k > 0) {
				memcpy(cid, id, k);
				cid[k] = '\0';
			}
			/* only a line the agent could have written: a valid case id
			 * and repeat (a garbled console line names no case) */
			if (id && id[k] == '"' && k > 0 && lab_case_id_valid(cid) &&
			    json_int(s, "repeat", 0) >= 0) {
				memcpy(out->id, cid, k + 1);
				out->n = json_int(s, "n", 0);
				out->repeat = json_int(s, "repeat", 0);
				out->after = next;
				out->found = out->n > 0;
			}
		}
		off = next;
	}
}

size_t lab_console_begin_at(const char *log, size_t len, int *cases)
{
	size_t off = 0;

	if (cases)
		*cases = -1;
	while (off < len) {
		char buf[LAB_CONSOLE_LINE_MAX];
		struct cline l;
		size_t next = next_line(log, len, off, &l);

		if (line_starts(&l, "IOMMULAB-BEGIN ")) {
			if (cases)
				*cases = json_int(line_text(&l, buf), "cases", -1);
			return off;
		}
		off = next;
	}
	return len;
}

/* does @s hold the end marker @end ("a|b": either text)? */
static bool has_end(const char *s, const char *end)
{
	char one[64];
	const char *bar;

	while (end && *end) {
		bar = strchr(end, '|');
		snprintf(one, sizeof(one), "%.*s", bar ? (int)(bar - end) : (int)strlen(end), end);
		if (*one && strstr(s, one))
			return true;
		end = bar ? bar + 1 : NULL;
	}
	return false;
}

/* the excerpt being built: '\n'-joined lines, NUL-terminated */
struct excerpt {
	char *buf;
	size_t used, cap;
};

/* append @s[0, @n) and '\n' to @x */
static int put(struct excerpt *x, const char *s, size_t n)
{
	if (x->used + n + 2 > x->cap) {
		size_t c = (x->cap ? x->cap * 2 : 4096) + n;
		char *b = realloc(x->buf, c);

		if (!b)
			return -ENOMEM;
		x->buf = b;
		x->cap = c;
	}
	memcpy(x->buf + x->used, s, n);
	x->used += n;
	x->buf[x->used++] = '\n';
	x->buf[x->used] = '\0';
	return 0;
}

static int put_cut(struct excerpt *x, int n)
{
	char cut[64];

	snprintf(cut, sizeof(cut), "[... %d lines cut ...]", n);
	return put(x, cut, strlen(cut));
}

/* rig/boot's own lines ("iommulab-boot: ...", appended after QEMU exits) */
static bool rig_line(const char *s)
{
	return !strncmp(s, "iommulab-boot:", 14);
}

/*
 * The next line of @text[*@off, @len) before offset @stop that is not
 * rig/boot's own: its text (in @lb), *@off moved past it; NULL when none.
 */
static const char *next_kernel_line(const char *text, size_t len, size_t stop, size_t *off,
				    char *lb)
{
	while (*off < len && *off < stop) {
		struct cline l;
		const char *s;

		*off = next_line(text, len, *off, &l);
		s = line_text(&l, lb);
		if (!rig_line(s))
			return s;
	}
	return NULL;
}

/*
 * The excerpt lines of a report starting at offset @from (rig/boot's lines
 * not counted): up to the panic's end marker, up to offset @stop (not
 * included) or, with @own (a report the kernel went on after), up to its
 * own end marker or its max_lines.
 */
static int span(const char *text, size_t len, size_t from, size_t stop,
		const struct lab_kpattern *own)
{
	char lb[LAB_CONSOLE_LINE_MAX];
	const char *s;
	size_t off = from;
	int n = 0;

	while ((s = next_kernel_line(text, len, stop, &off, lb))) {
		n++;
		if (strstr(s, PANIC_END) ||
		    (own && (has_end(s, own->end) || n >= own->max_lines)))
			break;
	}
	return n;
}

/*
 * Append the @n lines from offset @from (as span() counts them) to @x: all
 * of them, or with more than @head + @tail the first @head and the last
 * @tail, one "[... N lines cut ...]" line between.
 */
static int put_span(struct excerpt *x, const char *text, size_t len, size_t from, int n,
		    int head, int tail)
{
	char lb[LAB_CONSOLE_LINE_MAX];
	const char *s;
	size_t off = from;
	int kept = 0, ret;

	while (kept < n && (s = next_kernel_line(text, len, len, &off, lb))) {
		kept++;
		if (n > head + tail && kept > head && kept <= n - tail) {
			if (kept == head + 1) {
				ret = put_cut(x, n - head - tail);
				if (ret)
					return ret;
			}
			continue;
		}
		ret = put(x, s, strlen(s));
		if (ret)
			return ret;
	}
	return 0;
}

static bool ignored(const struct lab_kpattern *p, const char *const *ignore)
{
	for (; ignore && *ignore; ignore++)
		if (!strcmp(p->kind, *ignore))
			return true;
	return false;
}

int lab_console_report_find(const char *text, size_t len, const char *const *ignore,
			    struct lab_console_report *out)
{
	const struct lab_kpattern *worst = NULL, *first_p = NULL;
	size_t off = 0, first = len, worst_at = len;
	struct excerpt x = { 0 };
	int total, ret;

	memset(out, 0, sizeof(*out));
	/* the first report line and the worst report */
	while (off < len) {
		char lb[LAB_CONSOLE_LINE_MAX];
		struct cline l;
		size_t next = next_line(text, len, off, &l);
		const char *s = line_text(&l, lb);
		const struct lab_kpattern *p = pattern_of(s);

		if (p && ignored(p, ignore))
			p = NULL;
		if (p) {
			if (!out->reports++) {
				first = off;
				first_p = p;
				snprintf(out->first, sizeof(out->first), "%s", s);
			}
			if (!worst || (p->cls == LAB_KCLASS_CRASH && worst->cls != LAB_KCLASS_CRASH)) {
				worst = p;
				worst_at = off;
				snprintf(out->worst, sizeof(out->worst), "%s", s);
			}
		}
		off = next;
	}
	if (!worst)
		return 0;
	out->kind = worst->kind;
	out->cls = worst->cls;

	/* the excerpt: its lines from the first report on (a warning the
	 * kernel went on after: to its own end) */
	total = span(text, len, first, len, out->cls == LAB_KCLASS_WARN ? first_p : NULL);
	if (out->cls == LAB_KCLASS_CRASH && worst_at > first &&
	    total > LAB_CONSOLE_HEAD + LAB_CONSOLE_TAIL) {
		/* a warning before the crash, too long to keep whole: the
		 * warning's start, then the crash from its first line, so no
		 * cut falls between the crash and its panic line */
		int warn = span(text, len, first, worst_at, first_p);
		int crash = span(text, len, worst_at, len, NULL);

		if (warn > LAB_CONSOLE_EARLIER)
			warn = LAB_CONSOLE_EARLIER;
		ret = put_span(&x, text, len, first, warn, warn, 0);
		if (!ret && total - warn - crash > 0)
			ret = put_cut(&x, total - warn - crash);
		if (!ret)
			ret = put_span(&x, text, len, worst_at, crash, LAB_CONSOLE_HEAD,
				       LAB_CONSOLE_TAIL);
	} else {
		ret = put_span(&x, text, len, first, total, LAB_CONSOLE_HEAD, LAB_CONSOLE_TAIL);
	}
	if (ret)
		goto err;
	if (x.used)
		x.buf[x.used - 1] = '\0';	/* no trailing newline */
	out->excerpt = x.buf;
	out->lines = total;
	return 0;

err:
	free(x.buf);
	memset(out, 0, sizeof(*out));
	return ret;
}

void lab_console_report_clear(struct lab_console_report *r)
{
	free(r->excerpt);
	memset(r, 0, sizeof(*r));
}
