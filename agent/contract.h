/*
 * contract.h - expected-errno contracts and verdicts.
 *
 * Purpose: every case carries a list of contract entries (struct
 * lab_contract); each says which errno a kernel release range and IOMMU
 * driver must return. include/iommulab_contract.h picks the entry that
 * applies to (kernel release, driver) - lab_contract_pick(), with the
 * selection rule and release comparison, shared with the server's judge -
 * and this module turns an observation into a verdict.
 *
 * Ownership: contract tables are static const data owned by the cases.
 * Error convention: functions return 0 or -errno (-ENOENT: no entry applies,
 * -EINVAL: unparsable release).
 */
#ifndef LAB_CONTRACT_H
#define LAB_CONTRACT_H

#include <stddef.h>

#include "iommulab_contract.h"

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

/*
 * verdict for an observation judged against @c (may be NULL = no entry):
 * pass when observed == expected, fail otherwise, skip without an entry.
 * @why receives the reason for a non-pass verdict ("" on pass).
 */
enum lab_verdict lab_contract_judge(const struct lab_contract *c, int observed,
				    char *why, size_t len);

#endif
