/*
 * contract.c - verdicts from a contract entry (see contract.h); the entry is
 * picked by include/iommulab_contract.h, which the server shares.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "contract.h"
#include "errnames.h"
#include "iommulab_record.h"

/* the words are the record format's (include/iommulab_record.h); this
 * enum counts from 1, the shared list from 0 */
const char *lab_verdict_name(enum lab_verdict v)
{
	const char *w = lab_record_verdict_word((int)v - LAB_VERDICT_PASS);

	return w ? w : "error";
}

enum lab_verdict lab_contract_judge(const struct lab_contract *c, int observed,
				    char *why, size_t len)
{
	if (!c) {
		snprintf(why, len, "no contract entry for this kernel and driver (observed %s)",
			 lab_errname(observed));
		return LAB_VERDICT_SKIP;
	}
	if (observed == c->expected) {
		if (len)
			why[0] = '\0';
		return LAB_VERDICT_PASS;
	}
	snprintf(why, len, "expected %s, got %s", lab_errname(c->expected),
		 lab_errname(observed));
	return LAB_VERDICT_FAIL;
}
