/*
 * kreport.c - walk the kernel-report tables over a case's kernel lines (see kreport.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "kreport.h"

const char *lab_kclass_name(enum lab_kclass c)
{
	switch (c) {
	case LAB_KCLASS_CRASH: return "crash";
	case LAB_KCLASS_WARN: return "warn";
	case LAB_KCLASS_NONE: break;
	}
	return "none";
}

static int line_has(const char *line, const char *needle, int anchored)
{
	if (anchored)
		return strncmp(line, needle, strlen(needle)) == 0;
	return strstr(line, needle) != NULL;
}

const struct lab_kpattern *lab_kpattern_match(const char *line)
{
	const struct lab_kpattern *p;

	for (p = lab_kpatterns; p->kind; p++)
		if (line_has(line, p->start, p->anchored) && (!p->also || strstr(line, p->also)))
			return p;
	return NULL;
}

/* @line contains one of the '|'-separated texts of @alts */
static int has_any(const char *line, const char *alts)
{
	char one[96];

	while (*alts) {
		size_t n = strcspn(alts, "|");

		snprintf(one, sizeof(one), "%.*s", (int)n, alts);
		if (strstr(line, one))
			return 1;
		alts += n + (alts[n] == '|');
	}
	return 0;
}

static int is_leadin(const char *line)
{
	int i;

	for (i = 0; lab_kleadins[i]; i++)
		if (strstr(line, lab_kleadins[i]))
			return 1;
	return 0;
}

/* extend the report that starts at r->start; returns its last line */
static int report_extent(const struct lab_klines *l, struct lab_kreport *r)
{
	const struct lab_kpattern *p = r->pat;
	int i, limit = r->first + p->max_lines - 1;

	if (limit >= l->n)
		limit = l->n - 1;
	for (i = r->start + 1; i <= limit; i++) {
		const char *s = lab_klines_get(l, i);

		if (p->end) {
			if (has_any(s, p->end)) {
				r->ended = 1;
				return i;
			}
			continue;
		}
		if (p->cont) {
			if (strncmp(s, p->cont, strlen(p->cont)) != 0)
				return i - 1;
			continue;
		}
		if (lab_kpattern_match(s))
			return i - 1;
	}
	return limit;
}

int lab_kreport_scan(const struct lab_klines *l, struct lab_kreport *out, int max)
{
	int i = 0, n = 0, free_from = 0;

	while (i < l->n) {
		const struct lab_kpattern *p = lab_kpattern_match(lab_klines_get(l, i));
		struct lab_kreport r;
		int b;

		if (!p) {
			i++;
			continue;
		}
		r = (struct lab_kreport){ .pat = p, .first = i, .start = i };
		for (b = 1; b <= LAB_KLEADIN_BACK && i - b >= free_from; b++) {
			if (!is_leadin(lab_klines_get(l, i - b)))
				continue;
			r.first = i - b;
		}
		r.last = report_extent(l, &r);
		if (n < max)
			out[n] = r;
		n++;
		i = r.last + 1;
		free_from = i;
	}
	return n;
}

const struct lab_kreport *lab_kreport_worst(const struct lab_kreport *r, int n)
{
	const struct lab_kreport *w = NULL;
	int i;

	for (i = 0; i < n; i++)
		if (!w || r[i].pat->cls > w->pat->cls)
			w = &r[i];
	return w;
}

int lab_kreport_text(const struct lab_klines *l, const struct lab_kreport *r, char *buf,
		     size_t cap)
{
	size_t len = 0;
	int i;

	if (!cap)
		return -ENOSPC;
	buf[0] = '\0';
	for (i = r->first; i <= r->last && i < l->n; i++) {
		const char *s = lab_klines_get(l, i);
		size_t sl = strlen(s) + (i > r->first);

		if (len + sl + 1 > cap)
			return -ENOSPC;
		if (i > r->first)
			buf[len++] = '\n';
		memcpy(buf + len, s, strlen(s) + 1);
		len += strlen(s);
	}
	return (int)len;
}

static int squeezable(const char *line, size_t len)
{
	int i;

	while (len && *line == ' ')
		line++, len--;
	for (i = 0; lab_ksqueeze[i]; i++) {
		size_t n = strlen(lab_ksqueeze[i]);

		if (n <= len && strncmp(line, lab_ksqueeze[i], n) == 0)
			return 1;
	}
	return 0;
}

int lab_kexcerpt_squeeze(const char *in, char *out, size_t cap)
{
	const char *p = in;
	size_t w = 0;
	int dropped = 0, marker = -1;	/* where the marker goes (offset in out) */
	char note[64];

	if (!cap)
		return -ENOSPC;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		if (squeezable(p, len)) {
			if (marker < 0)
				marker = (int)w;
			dropped++;
		} else {
			if (w + len + 2 > cap)
				return -ENOSPC;
			if (w)
				out[w++] = '\n';
			memcpy(out + w, p, len);
			w += len;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	out[w] = '\0';
	if (!dropped)
		return (int)w;
	snprintf(note, sizeof(note), "%s[... %d register, code and '?' stack lines dropped ...]",
		 marker ? "\n" : "", dropped);
	if (w + strlen(note) + 2 > cap)
		return -ENOSPC;
	/* insert the note at @marker (before the line that followed the first dropped one) */
	memmove(out + marker + strlen(note), out + marker, w - (size_t)marker + 1);
	memcpy(out + marker, note, strlen(note));
	w += strlen(note);
	if (!marker && w > strlen(note) && out[strlen(note)] != '\n') {
		memmove(out + strlen(note) + 1, out + strlen(note), w - strlen(note) + 1);
		out[strlen(note)] = '\n';
		w++;
	}
	return (int)w;
}

const struct lab_ktaint *lab_ktaint_new(unsigned long before, unsigned long after)
{
	const struct lab_ktaint *t, *w = NULL;
	unsigned long fresh = after & ~before;

	for (t = lab_ktaints; t->bit >= 0; t++)
		if ((fresh >> t->bit) & 1 && (!w || t->cls > w->cls))
			w = t;
	return w;
}

enum lab_verdict lab_kreport_judge(const struct lab_klines *l, enum lab_verdict v, char *why,
				   size_t whylen, struct lab_klog *k, char *excerpt, size_t cap)
{
	struct lab_kreport reps[LAB_KREPORTS_MAX];
	const struct lab_kreport *w = NULL;
	const struct lab_ktaint *t = NULL;
	enum lab_kclass cls;
	const char *first = "";
	int n = 0, from_taint = 0;
	char old[512];

	k->kind = NULL;
	k->reports = 0;
	k->excerpt = NULL;
	k->excerpt_lines = 0;
	k->contract_verdict = v;
	k->lost = l ? l->lost + l->dropped : 0;
	if (l) {
		n = lab_kreport_scan(l, reps, LAB_KREPORTS_MAX);
		w = lab_kreport_worst(reps, n < LAB_KREPORTS_MAX ? n : LAB_KREPORTS_MAX);
	}
	if (k->have_taint)
		t = lab_ktaint_new(k->taint_before, k->taint_after);
	k->reports = n;
	if (w) {
		k->kind = w->pat->kind;
		first = lab_klines_get(l, w->start);
		if (lab_kreport_text(l, w, excerpt, cap) >= 0 || excerpt[0])
			k->excerpt = excerpt;
		k->excerpt_lines = w->last - w->first + 1;
	}
	cls = w ? w->pat->cls : LAB_KCLASS_NONE;
	if (t && t->cls > cls) {
		/* the taint says more than the log kept (lost or unrecognised report) */
		cls = t->cls;
		k->kind = t->kind;
		from_taint = 1;
	}
	if (cls == LAB_KCLASS_NONE)
		return v;
	snprintf(old, sizeof(old), "%s", why);
	if (from_taint)
		snprintf(why, whylen, "kernel %s: taint flag %c newly set, no such report kept in the log%s%s",
			 k->kind, t->letter, old[0] ? "; " : "", old);
	else
		snprintf(why, whylen, "kernel %s: %s%s%s", k->kind, first, old[0] ? "; " : "", old);
	return cls == LAB_KCLASS_CRASH ? LAB_VERDICT_CRASH : LAB_VERDICT_WARN;
}
