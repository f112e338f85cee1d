/* SPDX-License-Identifier: GPL-2.0 */
/*
 * judge.h - the server's verdict for a result, from its observed errno and
 * the contract the server holds for its case (issue 15.2, docs/server.md
 * "Verdicts").
 *
 * Purpose: the agent judges each case against the contracts compiled into
 * it and says so in its record; the server does not take that on trust.
 * ingest.c computes every record's verdict with lab_judge_result() against
 * the latest contract version in the store and refuses a batch whose
 * claimed verdict differs; rejudge.c recomputes stored verdicts after a
 * contract change with the same function.
 *
 * Selection rule: the agent's, by the agent's code
 * (include/iommulab_contract.h, lab_contract_pick): among a contract's rules
 * whose kernel range holds the release (kernel_min <= K < kernel_max_excl,
 * null = unbounded; releases compare on their leading A.B.C numerically),
 * a rule naming the driver wins over an "any" rule; among equals the first
 * listed wins.
 *
 * Rules (the base verdict is the record's verdict, or for crash/warn its
 * contract_verdict: a kernel report replaces the errno judgement, never
 * the other way round):
 *  - errno judgement: no rule for (release, driver) -> skip; observed !=
 *    expected -> fail; a reuse case (expect_reused) that succeeded -> fail
 *    when the domain's reuse differs, error when the record could not say;
 *    else pass.
 *  - verdicts only the agent can decide are accepted as claimed ("agent"):
 *    skip for a missing capability (any skip but the agent's "no contract
 *    entry"), error (the case could not reach its judged step), fail of a
 *    successful attach whose verification failed (observed 0 = expected,
 *    verified not dma/core or a "verify*" step with an errno), and
 *    crash/warn without a contract_verdict.
 *  - without a server contract for the case, or without a kernel release
 *    to pick a rule by, the record's own expected errno is the rule
 *    ("record"): a record cannot claim pass for observed != its expected,
 *    nor fail for observed == expected unless its attach verification
 *    failed or it is a reuse case (reused not null: the server cannot know
 *    the expected reuse).
 *
 * Ownership: a parsed contract owns its rules: lab_judge_contract_clear().
 * Errors: 0 or -errno; -EINVAL unparsable contract JSON (with @why).
 */
#ifndef LAB_JUDGE_H
#define LAB_JUDGE_H

#include <stdbool.h>
#include <stddef.h>

#include "iommulab_contract.h"
#include "model.h"

#define LAB_JUDGE_LABEL_MAX 96

/* the text of one rule, which its struct lab_contract points into */
struct lab_judge_rule_text {
	char kernel_min[33];
	char kernel_max_excl[33];
	char driver[65];		/* a driver name or "any" */
};

/* one contract version of one case */
struct lab_judge_contract {
	int version;			/* >= 1 */
	int expect_reused;		/* -1 not a reuse case, 0/1 */
	size_t n;
	struct lab_contract *rules;	/* n rules and a NULL-driver end; an absent
					 * bound is NULL; strings are in text[] */
	struct lab_judge_rule_text *text;
};

/*
 * Parse @json (the catalogue's "contracts" array: [{kernel_min,
 * kernel_max_excl, driver, expected_errno}, ...]) into @out. -EINVAL with
 * a reason naming the rule in @why for anything else.
 */
int lab_judge_contract_parse(const char *json, int version, int expect_reused,
			     struct lab_judge_contract *out, char *why, size_t whylen);
void lab_judge_contract_clear(struct lab_judge_contract *c);

/* the rule for (@release, @driver): 0, -ENOENT (none), -EINVAL (bad
 * release, even when no rule has a bound to compare it with) */
int lab_judge_pick(const struct lab_judge_contract *c, const char *release,
		   const char *driver, const struct lab_contract **out);

struct lab_judgement {
	enum lab_verdict claimed;	/* the record's base verdict */
	bool has_claimed;		/* false: crash/warn without contract_verdict */
	enum lab_verdict base;		/* the server's base verdict */
	enum lab_judged_by by;
	int expected;			/* the rule's errno, -1 none */
	char contract[LAB_JUDGE_LABEL_MAX];	/* the rule's label, "" none */
	int version;			/* the contract version, 0 none */
};

/*
 * Judge @r (a record, or a stored result) on kernel @release against @c
 * (NULL: the server has no contract for the case). Fills @out; returns 0
 * when the record's base verdict is the computed one, -EPROTO when not,
 * with "CASE repeat N: claimed V1, the server computes V2 (observed E,
 * contract LABEL v3 expects E2)" in @why.
 */
int lab_judge_result(const struct lab_judge_contract *c, const char *release,
		     const struct lab_result *r, struct lab_judgement *out,
		     char *why, size_t whylen);

#endif /* LAB_JUDGE_H */
