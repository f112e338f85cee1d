/*
 * kreport.h - find kernel reports (oops, BUG, WARNING, sanitizer, lockdep,
 * lockups, hung tasks, IOMMU faults) in a case's kernel messages.
 *
 * Purpose: turn the lines kmsg.c collected for one case into a list of
 * reports, each with its kind ("oops", "warning", "kasan", ...), its class
 * (crash or warn, which becomes the record's verdict) and its extent (from
 * its first line, lead-in included, to its end marker). What a report looks
 * like is DATA: the pattern table lab_kpatterns[] and the lead-in and taint
 * tables, all in kpatterns.c; this module only walks them.
 *
 * Rules (docs/records.md, "Kernel reports"):
 *  - A line starts a report when it matches a pattern (first match in table
 *    order wins, so specific patterns precede generic ones). Up to
 *    LAB_KLEADIN_BACK lines right before it that match a lead-in ("cut
 *    here", a rule of '=') belong to the report, unless an earlier report
 *    holds them.
 *  - The report ends at the first later line containing the pattern's end
 *    marker (included); a pattern without one ends after its continuation
 *    lines, or at the line before the next report's start; every report is
 *    at most max_lines long and never crosses the window's end.
 *  - Lines inside a report never start another one.
 *  - Class order: crash > warn > none; the worst report is the first one of
 *    the highest class.
 * Ownership: reports point into the static table and index the caller's
 * lines. Error convention: counts or -errno.
 */
#ifndef LAB_KREPORT_H
#define LAB_KREPORT_H

#include <stddef.h>

#include "contract.h"
#include "kmsg.h"

#define LAB_KLEADIN_BACK	2
#define LAB_KREPORTS_MAX	32

/* enum lab_kclass, struct lab_kpattern and the table lab_kpatterns[] */
#include "iommulab_kpatterns.h"

/* a taint flag a case may newly set (/proc/sys/kernel/tainted bit @bit) */
struct lab_ktaint {
	int bit;		/* -1 ends the table */
	char letter;		/* as in "Tainted: G  D W" */
	const char *kind;
	enum lab_kclass cls;
};

struct lab_kreport {
	const struct lab_kpattern *pat;
	int first;		/* first line (lead-in included) */
	int start;		/* the line that matched the pattern */
	int last;		/* last line, inclusive */
	int ended;		/* the end marker was seen */
};

/*
 * What the kernel said while a case ran (kmsg.h, kreport.h); all optional.
 * record.c cuts the excerpt in its middle ("[... N lines cut ...]") until
 * the record fits LAB_RECORD_MAX; only then are the steps dropped.
 */
struct lab_klog {
	const char *kind;		/* worst report's kind, NULL: none */
	int reports;			/* reports in the case's window */
	const char *excerpt;		/* the worst report's lines, '\n'-joined, NULL: none */
	int excerpt_lines;		/* its line count before any cut */
	int have_taint;			/* taint_before/after were read */
	unsigned long taint_before, taint_after;
	enum lab_verdict contract_verdict;	/* set when the kernel's report replaced it */
	int lost;			/* kernel records overwritten or not kept */
};

/* the tables (kpatterns.c) */
extern const char *const lab_kleadins[];	/* NULL-terminated substrings */
extern const struct lab_ktaint lab_ktaints[];
extern const char *const lab_ksqueeze[];	/* NULL-terminated line prefixes */

const char *lab_kclass_name(enum lab_kclass c);

/* the pattern a line starts, or NULL */
const struct lab_kpattern *lab_kpattern_match(const char *line);

/* find the reports in @l; fills up to @max, returns how many were found (may exceed @max) */
int lab_kreport_scan(const struct lab_klines *l, struct lab_kreport *out, int max);

/* the first report of the highest class among @n, NULL when @n is 0 */
const struct lab_kreport *lab_kreport_worst(const struct lab_kreport *r, int n);

/*
 * The report's lines joined with '\n' (no trailing newline) into @buf;
 * returns the length, or -ENOSPC (then @buf holds the lines that fit).
 */
int lab_kreport_text(const struct lab_klines *l, const struct lab_kreport *r, char *buf,
		     size_t cap);

/*
 * @in without its lab_ksqueeze[] lines (one "[... N register, code and '?'
 * stack lines dropped ...]" line where the first one was): the length, or
 * -ENOSPC.
 */
int lab_kexcerpt_squeeze(const char *in, char *out, size_t cap);

/* the worst taint flag set in @after but not in @before, NULL when none */
const struct lab_ktaint *lab_ktaint_new(unsigned long before, unsigned long after);

/*
 * The verdict of a case whose kernel lines are @l (NULL: not captured) and
 * whose taint went from @k->taint_before to @k->taint_after (when
 * @k->have_taint): the worst report (or, without one, a newly set taint
 * flag) of class crash or warn replaces @v, whatever errno was observed;
 * @why becomes "kernel KIND: FIRST LINE" followed by the old reason. Fills
 * @k (kind, reports, excerpt into @excerpt, contract_verdict = @v, lost).
 * Returns the verdict.
 */
enum lab_verdict lab_kreport_judge(const struct lab_klines *l, enum lab_verdict v, char *why,
				   size_t whylen, struct lab_klog *k, char *excerpt, size_t cap);

#endif
