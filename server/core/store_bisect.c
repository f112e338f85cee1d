/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_bisect.c - bisections and their steps (store_bisect.h; shared
 * helpers: store_int.h). Statements are prepared per call and finalized:
 * a bisection writes a few rows a minute, nothing here is hot.
 */
#include <errno.h>
#include <string.h>
#include <sqlite3.h>

#include "store.h"
#include "store_bisect.h"
#include "store_int.h"

#define BISECT_COLS "id, kind, state, spec, result, reason, created_by, created_at, " \
	"finished_at, (SELECT COUNT(*) FROM bisect_steps s WHERE s.bisection_id = b.id) AS steps"

static bool one_of(const char *s, const char *const *set)
{
	for (; s && *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

/* run @sql (no rows) with text/int binds: "t" text (NULL binds NULL), "i" int64 */
static int exec_sql(struct lab_store *st, const char *sql, const char *what,
		    const char *types, const void *const *vals, int64_t *id)
{
	sqlite3_stmt *s = store_prep_sql(st, sql);
	int rc, r = 0;

	if (!s)
		return -EIO;
	for (int i = 0; types[i]; i++) {
		if (types[i] == 't')
			store_bind_text(s, i + 1, vals[i]);
		else
			store_bind_id(s, i + 1, *(const int64_t *)vals[i]);
	}
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if (id)
			*id = sqlite3_column_int64(s, 0);
	if (rc != SQLITE_DONE)
		r = store_db_err(st, rc, what);
	else if (id && !sqlite3_changes(st->db))
		r = -ENOENT;
	sqlite3_finalize(s);
	return r;
}

static int rows_sql(struct lab_store *st, const char *sql, const char *what, int64_t id,
		    const char *text, lab_store_row_fn fn, void *arg)
{
	sqlite3_stmt *s = store_prep_sql(st, sql);
	int r;

	if (!s)
		return -EIO;
	store_bind_id(s, 1, id);
	if (text)
		store_bind_text(s, 2, text);
	r = store_rows_each(st, s, fn, arg, what);
	sqlite3_finalize(s);
	return r;
}

int lab_store_bisect_insert(struct lab_store *st, const char *kind, const char *spec,
			    const char *created_by, int64_t *id)
{
	static const char *const kinds[] = { "git", "series", NULL };
	const void *v[] = { kind, spec, created_by };

	if (!one_of(kind, kinds) || !spec || !id)
		return -EINVAL;
	return exec_sql(st, "INSERT INTO bisections (kind, state, spec, created_by) "
			"VALUES (?1, 'running', ?2, ?3) RETURNING id", "bisect insert",
			"ttt", v, id);
}

int lab_store_bisect_update(struct lab_store *st, int64_t id, const char *state,
			    const char *result, const char *reason)
{
	static const char *const states[] = { "running", "found", "failed", "canceled", NULL };
	const void *v[] = { &id, state, result, reason };
	int64_t got = 0;

	if (!one_of(state, states))
		return -EINVAL;
	return exec_sql(st, "UPDATE bisections SET state = ?2, result = COALESCE(?3, result), "
			"reason = COALESCE(?4, reason), finished_at = CASE WHEN ?2 = 'running' "
			"THEN NULL ELSE COALESCE(finished_at, " NOW ") END WHERE id = ?1 "
			"RETURNING id", "bisect update", "ittt", v, &got);
}

int lab_store_bisect_set_spec(struct lab_store *st, int64_t id, const char *spec)
{
	const void *v[] = { &id, spec };
	int64_t got = 0;

	if (!spec)
		return -EINVAL;
	return exec_sql(st, "UPDATE bisections SET spec = ?2 WHERE id = ?1 RETURNING id",
			"bisect spec", "it", v, &got);
}

int lab_store_bisect_rows(struct lab_store *st, int64_t id, lab_store_row_fn fn, void *arg)
{
	return rows_sql(st, "SELECT " BISECT_COLS " FROM bisections b WHERE id = ?1",
			"bisect get", id, NULL, fn, arg);
}

int lab_store_bisects_rows(struct lab_store *st, int64_t limit, lab_store_row_fn fn,
			   void *arg)
{
	return rows_sql(st, "SELECT " BISECT_COLS " FROM bisections b ORDER BY id DESC "
			"LIMIT ?1", "bisect list", limit > 0 ? limit : 100, NULL, fn, arg);
}

int lab_store_bisects_running(struct lab_store *st, int64_t *ids, size_t max, size_t *n)
{
	sqlite3_stmt *s = store_prep_sql(st, "SELECT id FROM bisections WHERE state = 'running' "
					 "ORDER BY id");
	int rc;

	*n = 0;
	if (!s)
		return -EIO;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && *n < max)
		ids[(*n)++] = sqlite3_column_int64(s, 0);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : store_db_err(st, rc, "bisect running");
	sqlite3_finalize(s);
	return rc;
}

int lab_store_bisect_step_insert(struct lab_store *st, int64_t bid, int n,
				 const char *commit, const char *subject,
				 const char *kernel, int64_t plan_id, int64_t *id)
{
	int64_t n64 = n;
	const void *v[] = { &bid, &n64, commit, subject, kernel, &plan_id };

	if (n < 1 || !commit || !kernel || !id)
		return -EINVAL;
	return exec_sql(st, "INSERT INTO bisect_steps (bisection_id, n, commit_id, subject, "
			"kernel, plan_id) VALUES (?1, ?2, ?3, ?4, ?5, NULLIF(?6, 0)) RETURNING id",
			"bisect step insert", "iittti", v, id);
}

int lab_store_bisect_step_judge(struct lab_store *st, int64_t id, const char *judgement,
				const char *detail)
{
	static const char *const js[] = { "good", "bad", "skip", NULL };
	const void *v[] = { &id, judgement, detail };
	int64_t got = 0;

	if (!one_of(judgement, js))
		return -EINVAL;
	return exec_sql(st, "UPDATE bisect_steps SET judgement = ?2, detail = ?3, "
			"finished_at = " NOW " WHERE id = ?1 RETURNING id", "bisect step judge",
			"itt", v, &got);
}

int lab_store_bisect_steps_rows(struct lab_store *st, int64_t bid, lab_store_row_fn fn,
				void *arg)
{
	return rows_sql(st, "SELECT id, n, commit_id AS \"commit\", subject, kernel, "
			"plan_id AS plan, judgement, detail, created_at, finished_at "
			"FROM bisect_steps WHERE bisection_id = ?1 ORDER BY n",
			"bisect steps", bid, NULL, fn, arg);
}

int lab_store_job_case_rows(struct lab_store *st, int64_t job_id, const char *case_id,
			    lab_store_row_fn fn, void *arg)
{
	if (!case_id)
		return -EINVAL;
	return rows_sql(st, "SELECT observed, verdict, repeat FROM results "
			"WHERE job_id = ?1 AND case_id = ?2 ORDER BY repeat, id",
			"job case results", job_id, case_id, fn, arg);
}
