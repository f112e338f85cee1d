/* SPDX-License-Identifier: GPL-2.0 */
/*
 * rejudge.c - stored verdicts judged again against the latest contracts
 * (rejudge.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "judge.h"
#include "rejudge.h"
#include "store.h"

struct contract_cache {
	char *case_id;
	bool have;
	struct lab_judge_contract c;
};

static int contract_get(struct lab_store *st, struct contract_cache *cache, size_t *nc,
			const char *case_id, struct contract_cache **out)
{
	struct contract_cache *k;
	char *json = NULL, why[160];
	int v, er, r;

	for (size_t i = 0; i < *nc; i++) {
		if (!strcmp(cache[i].case_id, case_id)) {
			*out = &cache[i];
			return 0;
		}
	}
	k = &cache[(*nc)++];
	memset(k, 0, sizeof(*k));
	k->case_id = strdup(case_id);
	if (!k->case_id)
		return -ENOMEM;
	*out = k;
	r = lab_store_contract_latest(st, case_id, &v, &json, &er);
	if (r == -ENOENT)
		return 0;
	if (r)
		return r;
	/* the import validated it: a version that does not parse judges nothing */
	k->have = !lab_judge_contract_parse(json, v, er, &k->c, why, sizeof(why));
	free(json);
	return 0;
}

static json_t *change_json(const struct lab_store_judged *o, const struct lab_result *now,
			   bool by_cv)
{
	return json_pack("{s:I, s:s, s:s?, s:s, s:s, s:s, s:s, s:o, s:o, s:i}",
		"result_id", (json_int_t)o->id, "case", o->r.case_id, "kernel_release", o->release,
		"driver", o->r.driver, "field", by_cv ? "contract_verdict" : "verdict",
		"old_verdict", lab_verdict_name(by_cv ? o->r.contract_verdict : o->r.verdict),
		"verdict", lab_verdict_name(by_cv ? now->contract_verdict : now->verdict),
		"old_expected", o->r.expected >= 0 ? json_integer(o->r.expected) : json_null(),
		"expected", now->expected >= 0 ? json_integer(now->expected) : json_null(),
		"contract_version", now->contract_version);
}

int lab_rejudge_run(struct lab_store *st, const char *case_id,
		    struct lab_rejudge_counts *out, json_t **changes)
{
	struct lab_store_judged *rows = NULL;
	struct contract_cache *cache = NULL, *k;
	json_t *list = json_array();
	size_t n = 0, nc = 0;
	int64_t now_s = (int64_t)time(NULL);
	int r;

	memset(out, 0, sizeof(*out));
	if (!list)
		return -ENOMEM;
	r = lab_store_tx_begin(st);
	if (r)
		goto put_list;
	r = lab_store_rejudge_load(st, case_id, &rows, &n);
	if (r)
		goto rollback_tx;
	cache = calloc(n ? n : 1, sizeof(*cache));
	if (!cache) {
		r = -ENOMEM;
		goto free_rows;
	}
	for (size_t i = 0; i < n; i++) {
		struct lab_store_judged *o = &rows[i];
		bool by_cv = o->r.verdict == LAB_VERDICT_CRASH || o->r.verdict == LAB_VERDICT_WARN;
		struct lab_result now = o->r;
		struct lab_judgement jd;
		char why[8];

		r = contract_get(st, cache, &nc, o->r.case_id, &k);
		if (r)
			goto free_cache;
		if (!k->have)
			continue;
		/* 0: the stored verdict stands; -EPROTO: it changes to jd.base */
		lab_judge_result(&k->c, o->release, &o->r, &jd, why, sizeof(why));
		if (by_cv)
			now.contract_verdict = jd.base;
		else
			now.verdict = jd.base;
		now.expected = jd.expected;
		now.contract = jd.contract[0] ? jd.contract : NULL;
		now.contract_version = jd.version;
		now.judged_by = jd.by;
		r = lab_store_result_rejudge(st, o, &now, now_s);
		if (r)
			goto free_cache;
		out->looked++;
		if (jd.has_claimed && jd.base != jd.claimed) {
			out->changed++;
			if (json_array_size(list) < LAB_REJUDGE_LIST)
				json_array_append_new(list, change_json(o, &now, by_cv));
		}
	}
	r = lab_store_tx_commit(st);
	if (r)
		goto free_cache;
	for (size_t i = 0; i < nc; i++) {
		free(cache[i].case_id);
		lab_judge_contract_clear(&cache[i].c);
	}
	free(cache);
	lab_store_judged_free(rows, n);
	if (changes)
		*changes = list;
	else
		json_decref(list);
	return 0;
free_cache:
	for (size_t i = 0; i < nc; i++) {
		free(cache[i].case_id);
		lab_judge_contract_clear(&cache[i].c);
	}
	free(cache);
free_rows:
	lab_store_judged_free(rows, n);
rollback_tx:
	lab_store_tx_rollback(st);
put_list:
	json_decref(list);
	memset(out, 0, sizeof(*out));
	return r;
}
