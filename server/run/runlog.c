/* SPDX-License-Identifier: GPL-2.0 */
/*
 * runlog.c - read a run's log, quote an excerpt of it (runlog.h).
 * Contract, invariants and error convention: see runlog.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runlog.h"

char *lab_runlog_read(const char *path, size_t max, size_t *len_out)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max, f);
	fclose(f);
	buf[n] = '\0';
	if (len_out)
		*len_out = n;
	return buf;
}

/* @text[@i] is ESC: the index of the escape sequence's last byte */
static size_t skip_escape(const char *text, size_t i, size_t n)
{
	if (i + 1 < n && text[i + 1] == '[') {
		for (i += 2; i < n && !((unsigned char)text[i] >= 0x40 &&
					(unsigned char)text[i] <= 0x7e); i++)
			;
		return i;
	}
	return i + 1;
}

void lab_runlog_excerpt(char *reason, size_t cap, const char *text, size_t max,
			bool from_head)
{
	size_t used = strlen(reason), room, n, i;
	const char *hdr = from_head ? ": " : ": ...";

	if (!text || !*text || used + 8 >= cap)
		return;
	room = cap - used - 1 - strlen(hdr);
	n = strlen(text);
	if (n > max) {
		if (!from_head)
			text += n - max;
		n = max;
	}
	memcpy(reason + used, hdr, strlen(hdr));
	used += strlen(hdr);
	for (i = 0; i < n && room > 0; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '\r')
			continue;
		if (c == 0x1b) {
			i = skip_escape(text, i, n);
			continue;
		}
		reason[used++] = (c == '\n' || (c >= 0x20 && c < 0x7f)) ? (char)c : '?';
		room--;
	}
	reason[used] = '\0';
}

bool lab_runlog_not_booted(const char *text, char *reason, size_t cap)
{
	static const char tag[] = LAB_RUNLOG_NOT_BOOTED;
	const char *p = text;

	/* the tag at a line start: not a guest that happens to print it mid-line */
	while (p && strncmp(p, tag, sizeof(tag) - 1))
		p = (p = strchr(p, '\n')) ? p + 1 : NULL;
	if (!p)
		return false;
	p += sizeof(tag) - 1;
	snprintf(reason, cap, "not booted: %.*s", (int)strcspn(p, "\r\n"), p);
	return true;
}
