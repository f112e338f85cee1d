/* SPDX-License-Identifier: GPL-2.0 */
/*
 * judge.c - a result's verdict from its observed errno and the server's
 * contract (judge.h). Pure: no store, no I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "judge.h"

void lab_judge_contract_clear(struct lab_judge_contract *c)
{
	if (!c)
		return;
	free(c->rules);
	free(c->text);
	memset(c, 0, sizeof(*c));
}

/* @k of rule @o: a release bound, a string or null; -EINVAL otherwise */
static int bound(json_t *o, const char *k, char *buf, size_t len)
{
	json_t *v = json_object_get(o, k);
	int cmp;

	buf[0] = '\0';
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v) || json_string_length(v) >= len ||
	    lab_contract_vercmp(json_string_value(v), json_string_value(v), &cmp))
		return -EINVAL;
	snprintf(buf, len, "%s", json_string_value(v));
	return 0;
}

int lab_judge_contract_parse(const char *json, int version, int expect_reused,
			     struct lab_judge_contract *out, char *why, size_t whylen)
{
	json_t *a = json_loads(json ? json : "", 0, NULL), *o;
	size_t i;
	int r = -EINVAL;

	memset(out, 0, sizeof(*out));
	out->version = version;
	out->expect_reused = expect_reused;
	if (!json_is_array(a)) {
		snprintf(why, whylen, "contracts must be an array");
		goto out;
	}
	out->rules = calloc(json_array_size(a) + 1, sizeof(*out->rules));
	out->text = calloc(json_array_size(a) + 1, sizeof(*out->text));
	if (!out->rules || !out->text) {
		r = -ENOMEM;
		goto out;
	}
	json_array_foreach(a, i, o) {
		struct lab_judge_rule_text *rl = &out->text[i];
		json_t *d = json_object_get(o, "driver"), *e = json_object_get(o, "expected_errno");

		if (!json_is_object(o) || !json_is_string(d) || !json_string_length(d) ||
		    json_string_length(d) >= sizeof(rl->driver) || !json_is_integer(e) ||
		    json_integer_value(e) < 0 || json_integer_value(e) > 4095 ||
		    bound(o, "kernel_min", rl->kernel_min, sizeof(rl->kernel_min)) ||
		    bound(o, "kernel_max_excl", rl->kernel_max_excl, sizeof(rl->kernel_max_excl))) {
			snprintf(why, whylen, "contracts[%zu]: needs \"driver\" (a name or \"any\"), "
				 "\"expected_errno\" (0-4095) and release bounds (\"A.B[.C]\" or null)", i);
			goto out;
		}
		snprintf(rl->driver, sizeof(rl->driver), "%s", json_string_value(d));
		out->rules[i] = (struct lab_contract){
			.kernel_min = rl->kernel_min[0] ? rl->kernel_min : NULL,
			.kernel_max_excl = rl->kernel_max_excl[0] ? rl->kernel_max_excl : NULL,
			.driver = rl->driver,
			.expected = (int)json_integer_value(e),
		};
		out->n++;
	}
	r = 0;
out:
	json_decref(a);
	if (r)
		lab_judge_contract_clear(out);
	return r;
}

int lab_judge_pick(const struct lab_judge_contract *c, const char *release,
		   const char *driver, const struct lab_contract **out)
{
	int cmp;

	*out = NULL;
	if (!release || !driver || lab_contract_vercmp(release, release, &cmp))
		return -EINVAL;
	return lab_contract_pick(c->rules, release, driver, out);
}

/* the agent's reason for a skip that only means "no contract entry" (agent/contract.c) */
#define NO_ENTRY "no contract entry"

static bool verified_attach(const char *v)
{
	return v && (!strcmp(v, "dma") || !strcmp(v, "core"));
}

/* did a verification step ("verify", "verify.dma", ...) return an errno? */
static bool verify_step_failed(const char *steps)
{
	json_t *a = json_loads(steps ? steps : "[]", 0, NULL), *x;
	bool failed = false;
	size_t i;

	json_array_foreach(a, i, x) {
		const char *n = json_string_value(json_object_get(x, "name"));

		if (n && !strncmp(n, "verify", 6) && json_integer_value(json_object_get(x, "errno")))
			failed = true;
	}
	json_decref(a);
	return failed;
}

int lab_judge_result(const struct lab_judge_contract *c, const char *release,
		     const struct lab_result *r, struct lab_judgement *out,
		     char *why, size_t whylen)
{
	const struct lab_contract *rule = NULL;
	enum lab_verdict v;
	int er = -1;

	memset(out, 0, sizeof(*out));
	out->expected = -1;
	if (whylen)
		why[0] = '\0';
	out->has_claimed = true;
	out->claimed = r->verdict;
	if (r->verdict == LAB_VERDICT_CRASH || r->verdict == LAB_VERDICT_WARN) {
		out->has_claimed = r->has_contract_verdict;
		out->claimed = r->contract_verdict;
	}
	/* the rule: the server's contract, else the record's own expected errno */
	if (c && release && *release && lab_judge_pick(c, release, r->driver, &rule) != -EINVAL) {
		out->by = LAB_JUDGED_CONTRACT;
		out->version = c->version;
		er = c->expect_reused;
		if (rule) {
			out->expected = rule->expected;
			lab_contract_label(rule, out->contract, sizeof(out->contract));
		}
	} else {
		out->by = LAB_JUDGED_RECORD;
		out->expected = r->expected;
		if (r->contract)
			snprintf(out->contract, sizeof(out->contract), "%s", r->contract);
	}
	/* verdicts only the agent can decide */
	if (!out->has_claimed ||
	    (out->claimed == LAB_VERDICT_SKIP && !(r->reason && !strncmp(r->reason, NO_ENTRY,
									 strlen(NO_ENTRY)))) ||
	    out->claimed == LAB_VERDICT_ERROR) {
		out->base = out->claimed;
		out->by = LAB_JUDGED_AGENT;
		return 0;
	}
	/* the errno judgement */
	if (out->expected < 0)
		v = LAB_VERDICT_SKIP;
	else if (r->observed != out->expected)
		v = LAB_VERDICT_FAIL;
	else if (er >= 0 && r->observed == 0 && r->reused < 0)
		v = LAB_VERDICT_ERROR;
	else if (er >= 0 && r->observed == 0 && r->reused != er)
		v = LAB_VERDICT_FAIL;
	else
		v = LAB_VERDICT_PASS;
	/* an attach that succeeded as expected but was not where it claimed:
	 * the agent's verification failed (verified is neither dma nor core,
	 * or a verify step returned an errno: verify.core can pass before
	 * verify.dma fails); without a server contract the reuse check of a reuse case
	 * (reused not null) too is the agent's */
	if (v == LAB_VERDICT_PASS && out->claimed == LAB_VERDICT_FAIL &&
	    ((r->observed == 0 && (!verified_attach(r->verified) ||
				   verify_step_failed(r->steps_json))) ||
	     (out->by == LAB_JUDGED_RECORD && r->reused >= 0))) {
		out->base = LAB_VERDICT_FAIL;
		out->by = LAB_JUDGED_AGENT;
		return 0;
	}
	out->base = v;
	if (v == out->claimed)
		return 0;
	if (out->expected >= 0)
		snprintf(why, whylen, "%.96s repeat %d: claimed %s, the server computes %s "
			 "(observed %s, contract %s%s%.0d expects %s%s)", r->case_id, r->repeat,
			 lab_verdict_name(out->claimed), lab_verdict_name(v),
			 lab_errno_name(r->observed), out->contract[0] ? out->contract : "?",
			 out->version ? " v" : " (the record's own)", out->version,
			 lab_errno_name(out->expected),
			 er >= 0 && r->observed == out->expected ?
			 (er ? ", the domain reused" : ", the domain not reused") : "");
	else
		snprintf(why, whylen, "%.96s repeat %d: claimed %s, the server computes %s "
			 "(observed %s, no contract rule for kernel %.64s and driver %.64s%s)",
			 r->case_id, r->repeat, lab_verdict_name(out->claimed), lab_verdict_name(v),
			 lab_errno_name(r->observed), release && *release ? release : "?",
			 r->driver ? r->driver : "?",
			 out->by == LAB_JUDGED_CONTRACT ? "" : " in the record");
	return -EPROTO;
}
