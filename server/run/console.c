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

/* append @s and '\n' to the growing @buf */
static int put(char **buf, size_t *used, size_t *cap, const char *s, size_t n)
{
	if (*used + n + 2 > *cap) {
		size_t c = (*cap ? *cap * 2 : 4096) + n;
		char *b = realloc(*buf, c);

		if (!b)
			return -ENOMEM;
		*buf = b;
		*cap = c;
	}
	memcpy(*buf + *used, s, n);
	*used += n;
	(*buf)[(*used)++] = '\n';
	(*buf)[*used] = '\0';
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
	size_t off = 0, first = len, used = 0, cap = 0, mark = 0;
	char *buf = NULL, cut[64];
	int total = 0, kept = 0, ret;

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
				snprintf(out->worst, sizeof(out->worst), "%s", s);
			}
		}
		off = next;
	}
	if (!worst)
		return 0;
	out->kind = worst->kind;
	out->cls = worst->cls;

	/* the excerpt: its lines from the first report on, head and tail kept */
	for (off = first; off < len;) {
		char lb[LAB_CONSOLE_LINE_MAX];
		struct cline l;
		size_t next = next_line(text, len, off, &l);
		const char *s = line_text(&l, lb);

		off = next;
		if (!strncmp(s, "iommulab-boot:", 14))
			continue;
		total++;
		if (strstr(s, PANIC_END))
			break;
		/* the kernel went on: the report ends at its own end */
		if (out->cls == LAB_KCLASS_WARN &&
		    (has_end(s, first_p->end) || total >= first_p->max_lines))
			break;
	}
	for (off = first; off < len && kept < total;) {
		char lb[LAB_CONSOLE_LINE_MAX];
		struct cline l;
		size_t next = next_line(text, len, off, &l);
		const char *s = line_text(&l, lb);

		off = next;
		if (!strncmp(s, "iommulab-boot:", 14))
			continue;
		kept++;
		if (total > LAB_CONSOLE_HEAD + LAB_CONSOLE_TAIL &&
		    kept > LAB_CONSOLE_HEAD && kept <= total - LAB_CONSOLE_TAIL) {
			if (kept == LAB_CONSOLE_HEAD + 1) {
				snprintf(cut, sizeof(cut), "[... %d lines cut ...]",
					 total - LAB_CONSOLE_HEAD - LAB_CONSOLE_TAIL);
				ret = put(&buf, &used, &cap, cut, strlen(cut));
				if (ret)
					goto err;
			}
			continue;
		}
		ret = put(&buf, &used, &cap, s, strlen(s));
		if (ret)
			goto err;
		mark = used;
	}
	if (buf && mark)
		buf[mark - 1] = '\0';	/* no trailing newline */
	out->excerpt = buf;
	out->lines = total;
	return 0;

err:
	free(buf);
	memset(out, 0, sizeof(*out));
	return ret;
}

void lab_console_report_clear(struct lab_console_report *r)
{
	free(r->excerpt);
	memset(r, 0, sizeof(*r));
}
