/* SPDX-License-Identifier: GPL-2.0 */
/*
 * console.h - read what a guest's serial console says about how a boot
 * ended: the case in flight and the kernel report a dying guest left.
 *
 * Purpose: the QEMU runner's crash isolation (isolate.h) needs three facts
 * from a console log that the record parser (record.h) does not give:
 *   - the in-flight line: the last column-0 "# IOMMULAB-START {...}" the
 *     agent printed (docs/records.md), its "n", "id" and "repeat", and where
 *     the text after it starts;
 *   - where IOMMULAB-BEGIN is (the boot window is everything before it);
 *   - the kernel report in a window of the log: the first line that starts
 *     a report (include/iommulab_kpatterns.h, the table the agent uses),
 *     the worst report's kind and class (the first crash-class report, else
 *     the first warn-class one) and an excerpt from that FIRST report line
 *     (an oops before the panic it caused starts the excerpt, not the
 *     panic) to the window's end or the panic's end marker; when the
 *     worst is only a warning (the kernel went on), to the first report's
 *     own end marker or its max_lines.
 *     A warning before the crash (a boot WARN, then a panic) starts the
 *     excerpt too; when the whole does not fit in LAB_CONSOLE_HEAD +
 *     LAB_CONSOLE_TAIL lines, the excerpt is the warning's first
 *     LAB_CONSOLE_EARLIER lines, one "[... N lines cut ...]" line, then the
 *     crash from its first line (cut as any report), so the lines between
 *     them never push the crash's own lines (the panic line) out.
 * Lines are compared without a leading "[ 12.345678] " timestamp and a
 * trailing "\r". The excerpt has no timestamps, keeps the first
 * LAB_CONSOLE_HEAD lines and the last LAB_CONSOLE_TAIL lines of a longer
 * report (one "[... N lines cut ...]" line between) and leaves out rig/boot's
 * own lines ("iommulab-boot: ...", appended after QEMU exits).
 *
 * Invariants: nothing is read beyond @len; NUL bytes end a line's text
 * but not the scan. Pure functions: no I/O, no globals but the table.
 * Ownership: lab_console_report.excerpt is malloc'd, freed by
 * lab_console_report_clear() (which accepts a zeroed struct).
 * Errors: 0 or -ENOMEM; "not found" is a field, not an error.
 */
#ifndef LAB_CONSOLE_H
#define LAB_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

#include "iommulab_kpatterns.h"

#define LAB_CONSOLE_HEAD	120	/* excerpt lines kept from a report's start */
#define LAB_CONSOLE_TAIL	30	/* and from its end */
#define LAB_CONSOLE_EARLIER	40	/* lines kept of a warning that came before the crash */
#define LAB_CONSOLE_LINE_MAX	512	/* a longer console line is cut */

struct lab_console_start {
	bool found;
	int n;			/* the case's run number (1-based) */
	int repeat;
	char id[97];
	size_t after;		/* offset of the line after the START line */
};

struct lab_console_report {
	const char *kind;	/* worst report's kind (table string), NULL: none */
	enum lab_kclass cls;	/* its class, LAB_KCLASS_NONE without one */
	int reports;		/* report first lines seen in the window */
	char *excerpt;		/* from the first report line, '\n'-joined; NULL: none */
	int lines;		/* the excerpt's lines before any cut */
	char first[LAB_CONSOLE_LINE_MAX];	/* the first report's first line */
	char worst[LAB_CONSOLE_LINE_MAX];	/* the worst report's first line */
};

/* the last in-flight line of @log[0, @len) into @out (out->found) */
void lab_console_last_start(const char *log, size_t len, struct lab_console_start *out);

/*
 * offset of the first column-0 "IOMMULAB-BEGIN " line, or @len without one;
 * *@cases (may be NULL) gets its "cases" (-1: no BEGIN or no number)
 */
size_t lab_console_begin_at(const char *log, size_t len, int *cases);

/*
 * The report (if any) in @text[0, @len) into @out (zeroed first); reports
 * whose kind is in @ignore (NULL-terminated, NULL: none) are passed over.
 */
int lab_console_report_find(const char *text, size_t len, const char *const *ignore,
			    struct lab_console_report *out);
void lab_console_report_clear(struct lab_console_report *r);

#endif /* LAB_CONSOLE_H */
