/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_contracts.c - contract versions, rejudged verdicts and their
 * history (store.h "Contracts"; schema 0005; shared helpers: store_int.h).
 *
 * SQL in, structs out: what a contract means and how a verdict is computed
 * are judge.h's; the import (catalog.c) and the rejudge (rejudge.c) call
 * these inside their own transactions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>

#include "log.h"
#include "model.h"
#include "store.h"
#include "store_int.h"

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);

	return t ? strdup((const char *)t) : NULL;
}

int lab_store_contract_latest(struct lab_store *st, const char *case_id, int *version,
			      char **contracts_json, int *expect_reused)
{
	sqlite3_stmt *s = store_stmt_by_name(st, S_CONTRACT_LATEST, case_id);
	int rc, r = 0;

	if (!s)
		return -EIO;
	*contracts_json = NULL;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*version = sqlite3_column_int(s, 0);
		*contracts_json = col_dup(s, 1);
		*expect_reused = sqlite3_column_type(s, 2) == SQLITE_NULL ? -1 :
				 sqlite3_column_int(s, 2);
		if (!*contracts_json)
			r = -ENOMEM;
	} else {
		r = rc == SQLITE_DONE ? -ENOENT : store_db_err(st, rc, "contract latest");
	}
	store_done(s);
	return r;
}

void lab_store_contracts_free(struct lab_store_contract *c, size_t n)
{
	for (size_t i = 0; c && i < n; i++) {
		free(c[i].case_id);
		free(c[i].contracts_json);
	}
	free(c);
}

int lab_store_contracts_latest(struct lab_store *st, struct lab_store_contract **out, size_t *n)
{
	sqlite3_stmt *s = store_stmt(st, S_CONTRACTS_LATEST);
	struct lab_store_contract *a = NULL;
	size_t cap = 0, cnt = 0;
	int rc, r = 0;

	if (!s)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lab_store_contract *c;

		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct lab_store_contract *g = realloc(a, nc * sizeof(*g));

			if (!g) {
				r = -ENOMEM;
				break;
			}
			a = g;
			cap = nc;
		}
		c = &a[cnt++];
		c->case_id = col_dup(s, 0);
		c->version = sqlite3_column_int(s, 1);
		c->contracts_json = col_dup(s, 2);
		c->expect_reused = sqlite3_column_type(s, 3) == SQLITE_NULL ? -1 :
				   sqlite3_column_int(s, 3);
		if (!c->case_id || !c->contracts_json) {
			r = -ENOMEM;
			break;
		}
	}
	if (!r && rc != SQLITE_DONE)
		r = store_db_err(st, rc, "contracts latest");
	store_done(s);
	if (r) {
		lab_store_contracts_free(a, cnt);
		return r;
	}
	*out = a;
	*n = cnt;
	return 0;
}

int lab_store_contract_put(struct lab_store *st, const char *case_id,
			   const char *contracts_json, int expect_reused, int *version)
{
	char *cur = NULL;
	int v = 0, er = -1, r;
	sqlite3_stmt *s;

	r = lab_store_contract_latest(st, case_id, &v, &cur, &er);
	if (r && r != -ENOENT)
		return r;
	if (!r && !strcmp(cur, contracts_json) && er == expect_reused) {
		free(cur);
		*version = v;	/* unchanged: no new version */
		return 0;
	}
	free(cur);
	s = store_stmt(st, S_CONTRACT_INSERT);
	if (!s)
		return -EIO;
	store_bind_text(s, 1, case_id);
	sqlite3_bind_int(s, 2, v + 1);
	store_bind_text(s, 3, contracts_json);
	if (expect_reused >= 0)
		sqlite3_bind_int(s, 4, expect_reused);
	r = store_exec_stmt(st, s, "contract insert");
	if (!r)
		*version = v + 1;
	return r;
}

void lab_store_judged_free(struct lab_store_judged *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++) {
		lab_result_clear(&rows[i].r);
		free(rows[i].release);
	}
	free(rows);
}

int lab_store_rejudge_load(struct lab_store *st, const char *case_id,
			   struct lab_store_judged **out, size_t *n)
{
	sqlite3_stmt *s = store_stmt(st, S_REJUDGE_LOAD);
	struct lab_store_judged *rows = NULL;
	size_t cap = 0, cnt = 0;
	int rc, r = 0;

	if (!s)
		return -EIO;
	store_bind_text(s, 1, case_id);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct lab_store_judged *j;

		if (cnt == cap) {
			size_t nc = cap ? cap * 2 : 256;
			struct lab_store_judged *a = realloc(rows, nc * sizeof(*a));

			if (!a) {
				r = -ENOMEM;
				break;
			}
			rows = a;
			cap = nc;
		}
		j = &rows[cnt++];
		memset(j, 0, sizeof(*j));
		/* columns: S_REJUDGE_LOAD's */
		j->id = sqlite3_column_int64(s, 0);
		j->r.case_id = col_dup(s, 1);
		j->release = col_dup(s, 2);
		j->r.driver = col_dup(s, 3);
		j->r.observed = sqlite3_column_int(s, 4);
		j->r.expected = sqlite3_column_type(s, 5) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 5);
		j->r.contract = col_dup(s, 6);
		j->r.verdict = sqlite3_column_int(s, 7);
		j->r.has_contract_verdict = sqlite3_column_type(s, 8) != SQLITE_NULL;
		j->r.contract_verdict = sqlite3_column_int(s, 8);
		j->r.reason = col_dup(s, 9);
		j->r.reused = sqlite3_column_type(s, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(s, 10);
		j->r.verified = col_dup(s, 11);
		j->r.repeat = sqlite3_column_int(s, 12);
		j->r.contract_version = sqlite3_column_int(s, 13);
		if (!j->r.case_id || !j->r.driver) {
			r = -ENOMEM;
			break;
		}
	}
	if (!r && rc != SQLITE_DONE)
		r = store_db_err(st, rc, "rejudge load");
	store_done(s);
	if (r) {
		lab_store_judged_free(rows, cnt);
		return r;
	}
	*out = rows;
	*n = cnt;
	return 0;
}

int lab_store_result_rejudge(struct lab_store *st, const struct lab_store_judged *old,
			     const struct lab_result *now, int64_t when)
{
	bool by_cv = old->r.verdict == LAB_VERDICT_CRASH || old->r.verdict == LAB_VERDICT_WARN;
	enum lab_verdict ov = by_cv ? old->r.contract_verdict : old->r.verdict;
	enum lab_verdict nv = by_cv ? now->contract_verdict : now->verdict;
	sqlite3_stmt *s = store_stmt(st, S_RESULT_REJUDGE);
	int r;

	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, old->id);
	sqlite3_bind_int(s, 2, now->verdict);
	if (now->has_contract_verdict)
		sqlite3_bind_int(s, 3, now->contract_verdict);
	if (now->expected >= 0)
		sqlite3_bind_int(s, 4, now->expected);
	store_bind_text(s, 5, now->contract);
	if (now->contract_version > 0)
		sqlite3_bind_int(s, 6, now->contract_version);
	store_bind_text(s, 7, lab_judged_by_name(now->judged_by));
	r = store_exec_stmt(st, s, "result rejudge");
	if (r || ov == nv || (by_cv && !old->r.has_contract_verdict))
		return r;
	s = store_stmt(st, S_HISTORY_INSERT);
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, old->id);
	store_bind_text(s, 2, old->r.case_id);
	store_bind_text(s, 3, by_cv ? "contract_verdict" : "verdict");
	sqlite3_bind_int(s, 4, ov);
	sqlite3_bind_int(s, 5, nv);
	if (old->r.expected >= 0)
		sqlite3_bind_int(s, 6, old->r.expected);
	if (now->expected >= 0)
		sqlite3_bind_int(s, 7, now->expected);
	if (old->r.contract_version > 0)
		sqlite3_bind_int(s, 8, old->r.contract_version);
	sqlite3_bind_int(s, 9, now->contract_version);
	sqlite3_bind_int64(s, 10, when);
	return store_exec_stmt(st, s, "verdict history insert");
}

int lab_store_verdict_history_rows(struct lab_store *st, const char *case_id, int64_t limit,
				   lab_store_row_fn fn, void *arg)
{
	sqlite3_stmt *s = store_stmt(st, S_HISTORY_LIST);

	if (!s)
		return -EIO;
	store_bind_text(s, 1, case_id);
	sqlite3_bind_int64(s, 2, limit > 0 ? limit : 100);
	return store_rows_each(st, s, fn, arg, "verdict history");
}
