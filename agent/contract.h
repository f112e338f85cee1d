/*
 * contract.h - expected-errno contracts and verdicts.
 *
 * Purpose: every case carries a list of contract entries; each entry says
 * which errno a kernel release range and IOMMU driver must return. This
 * module picks the entry that applies to (kernel release, driver) and turns
 * an observation into a verdict.
 *
 * Selection rule: among the entries whose range contains the kernel
 * (kernel_min <= K < kernel_max_excl, NULL = unbounded), an entry naming the
 * driver wins over an "any" entry; among equals the first listed wins.
 * Releases compare numerically on their leading dotted numbers, so
 * "6.1.0-56-amd64" is 6.1.0 and sorts below "6.2"; "6.12.117+deb12-amd64"
 * is 6.12.117.
 *
 * Ownership: contract tables are static const data owned by the cases.
 * Error convention: functions return 0 or -errno (-ENOENT: no entry applies,
 * -EINVAL: unparsable release).
 */
#ifndef LAB_CONTRACT_H
#define LAB_CONTRACT_H

#include <stddef.h>

struct lab_contract {
	const char *kernel_min;		/* inclusive, NULL = no lower bound */
	const char *kernel_max_excl;	/* exclusive, NULL = no upper bound */
	const char *driver;		/* "intel-iommu", ... or "any"; NULL ends a list */
	int expected;			/* positive errno, 0 = success */
};

enum lab_verdict {
	LAB_VERDICT_PASS = 1,
	LAB_VERDICT_FAIL,
	LAB_VERDICT_SKIP,
	LAB_VERDICT_ERROR,
	LAB_VERDICT_CRASH,	/* the kernel oopsed/BUGed/panicked during the case (kreport.h) */
	LAB_VERDICT_WARN,	/* the kernel warned: WARN, lockdep, sanitizer, lockup, IOMMU fault */
};
#define LAB_VERDICT_LAST LAB_VERDICT_WARN

const char *lab_verdict_name(enum lab_verdict v);

/* compare two releases: <0, 0, >0 into *cmp; -EINVAL when one has no leading number */
int lab_contract_vercmp(const char *a, const char *b, int *cmp);

/* pick the entry for (kernel, driver) from a NULL-driver-terminated list */
int lab_contract_pick(const struct lab_contract *list, const char *kernel,
		      const char *driver, const struct lab_contract **out);

/* human/machine label of an entry: ">=6.2:any", "<6.2:intel-iommu", ">=6.2,<6.6:any", "all:any" */
void lab_contract_label(const struct lab_contract *c, char *buf, size_t len);

/*
 * verdict for an observation judged against @c (may be NULL = no entry):
 * pass when observed == expected, fail otherwise, skip without an entry.
 * @why receives the reason for a non-pass verdict ("" on pass).
 */
enum lab_verdict lab_contract_judge(const struct lab_contract *c, int observed,
				    char *why, size_t len);

#endif
