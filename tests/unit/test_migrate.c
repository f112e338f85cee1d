/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_migrate.c - schema migrations from every earlier version, with data
 * (issue 18.7): for each v < the newest, a database is made with schema/
 * 0001..v only and filled (raw SQL, the columns every version has: a
 * kernel, a target, a plan, a complete job, its results with steps and
 * verdicts, the latest table, a token; from 0005 on a finding with an
 * event and a known issue, from 0006 on a provenance row); then the store opens it with the
 * whole schema/: it reaches the newest version, every row is still there
 * with its values, the views read it (matrix, job with provenance), and
 * the current ingest path (with the findings hook) works on it.
 */
#include <sys/stat.h>
#include <sqlite3.h>

#include "helpers.h"
#include "findings.h"
#include "ingest.h"
#include "views.h"

static int newest_version(const char *schema)
{
	int n = 0;

	for (int v = 1; v < 1000; v++) {
		char cmd[PATH_MAX + 64];

		snprintf(cmd, sizeof(cmd), "ls '%s'/%04d-*.sql >/dev/null 2>&1", schema, v);
		if (system(cmd) != 0)
			break;
		n = v;
	}
	return n;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

static int64_t one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* the data every version's tables hold */
static void fill(sqlite3 *db, int v)
{
	exec_ok(db,
		"INSERT INTO kernels (id, name, release, version, arch) VALUES "
		" (1, '6.1', '6.1.0-57-amd64', '6.1.192', 'x86_64'), "
		" (2, '6.12', '6.12.118+deb12-amd64', '6.12.118', 'x86_64');"
		"INSERT INTO targets (id, name, arch, backend, vendor, driver, definition) VALUES "
		" (1, 'q35-vtd', 'x86_64', 'qemu', 'intel', 'intel-iommu', '{\"name\": \"q35-vtd\"}');"
		"INSERT INTO plans (id, name, kind, spec) VALUES (1, 'n1', 'nightly', '{}');"
		"INSERT INTO jobs (id, plan_id, kernel_id, target_id, state, backend, finished_at) "
		" VALUES (1, 1, 1, 1, 3, 'qemu', 1700000000);"
		"INSERT INTO results (id, job_id, kernel_id, target_id, case_id, driver, iommu, steps, "
		" observed, expected, contract, verdict, reason, reused, verified, duration_us, repeat) "
		" VALUES (1, 1, 1, 1, 'kmod.attach.one', 'intel-iommu', 'dmar0', "
		" '[{\"name\": \"attach\", \"errno\": 22}]', 22, 22, '>=6.2: EINVAL', 0, NULL, 0, "
		" 'core', 1234, 0), "
		" (2, 1, 1, 1, 'kmod.attach.two', 'intel-iommu', 'dmar0', '[]', 19, 22, 't', 1, "
		" 'ENODEV', NULL, NULL, 5, 0);"
		"INSERT INTO latest (kernel_id, target_id, case_id, result_id, job_id) VALUES "
		" (1, 1, 'kmod.attach.one', 1, 1), (1, 1, 'kmod.attach.two', 2, 1);"
		"INSERT INTO tokens (name, sha256, scopes) VALUES ('runner', "
		" 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', 'ingest');");
	if (v >= 5)
		exec_ok(db,
			"INSERT INTO findings (id, key, target_id, case_id, driver, from_name, to_name, "
			" verdict, first_kernel_id, first_job_id, last_kernel_id, last_job_id, "
			" opened_at, updated_at) VALUES (1, '0123456789abcdef', 1, 'kmod.attach.two', "
			" 'intel-iommu', 'EINVAL', 'ENODEV', 1, 1, 1, 1, 1, 1700000000, 1700000000);"
			"INSERT INTO finding_events (finding_id, kind, kernel_id, job_id, at) VALUES "
			" (1, 'opened', 1, 1, 1700000000);"
			"INSERT INTO known_issues (id, case_glob, reason, created_at) VALUES "
			" (1, 'kmod.sva.*', 'SVA on TCG', 1700000000);");
	if (v >= 6)
		exec_ok(db,
			"INSERT INTO job_provenance (job_id, top, cache_dir, arch, kernel_release, "
			" qemu_version, recorded_at) VALUES (1, '/lab', '/cache', 'x86_64', "
			" '6.1.0-57-amd64', '7.2.22', 1700000000);");
}

static void migrate_from(int v, const char *schema, const char *dir)
{
	char sub[PATH_MAX], db[PATH_MAX + 16], cmd[3 * PATH_MAX];
	struct lab_store *st;
	struct lab_ingest_job ij;
	char why[256];
	struct lab_result r;
	struct lab_job j = { 0 };
	json_t *o = NULL, *cells;
	sqlite3 *raw;
	int newest = newest_version(schema);

	snprintf(sub, sizeof(sub), "%s/schema-%d", dir, v);
	snprintf(db, sizeof(db), "%s/v%d.db", dir, v);
	assert_int_equal(mkdir(sub, 0755), 0);
	for (int i = 1; i <= v; i++) {
		snprintf(cmd, sizeof(cmd), "cp '%s'/%04d-*.sql '%s'/", schema, i, sub);
		assert_int_equal(system(cmd), 0);
	}
	/* the old lab: its schema only, then its data */
	assert_int_equal(lab_store_open(db, sub, &st), 0);
	assert_int_equal(lab_store_schema_version(st), v);
	lab_store_close(st);
	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	exec_ok(raw, "PRAGMA foreign_keys = ON");
	fill(raw, v);
	sqlite3_close(raw);

	/* the new lab opens it */
	assert_int_equal(lab_store_open(db, schema, &st), 0);
	assert_int_equal(lab_store_schema_version(st), newest);
	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	assert_int_equal(one_int(raw, "SELECT count(*) FROM results"), 2);
	assert_int_equal(one_int(raw, "SELECT count(*) FROM latest"), 2);
	assert_int_equal(one_int(raw, "SELECT count(*) FROM tokens WHERE name = 'runner'"), 1);
	assert_int_equal(one_int(raw, "SELECT observed * 1000 + verdict FROM results WHERE id = 2"),
			 19001);
	assert_int_equal(one_int(raw, "SELECT duration_us FROM results WHERE id = 1"), 1234);
	assert_int_equal(one_int(raw, "SELECT json_extract(steps, '$[0].errno') FROM results "
				      "WHERE id = 1"), 22);
	assert_int_equal(one_int(raw, "SELECT count(*) FROM findings"), v >= 5 ? 1 : 0);
	/* known issues from before 0013 are active (they can be retired) */
	assert_int_equal(one_int(raw, "SELECT count(*) FROM known_issues WHERE state = 'active' "
				      "AND retired_at IS NULL"), v >= 5 ? 1 : 0);
	assert_int_equal(one_int(raw, "PRAGMA foreign_key_check"), -1);	/* no row: none broken */
	sqlite3_close(raw);
	/* the views read it */
	assert_int_equal(lab_store_matrix(st, 1, &o), 0);
	cells = json_object_get(o, "cells");
	assert_int_equal(json_array_size(cells), 2);
	json_decref(o);
	assert_int_equal(lab_store_job_json(st, 1, &o), 0);
	if (v >= 6)
		assert_string_equal(json_string_value(json_object_get(json_object_get(o, "provenance"),
								      "qemu_version")), "7.2.22");
	else
		assert_true(json_is_null(json_object_get(o, "provenance")));
	json_decref(o);
	/* and today's ingest (with its findings hook) works on it */
	j.kernel_id = 2;
	j.target_id = 1;
	j.backend = "qemu";
	assert_int_equal(lab_store_job_create(st, &j), 0);
	assert_int_equal(lab_store_job_transition(st, j.id, LAB_JOB_QUEUED, LAB_JOB_SCHEDULED, NULL), 0);
	assert_int_equal(lab_store_job_transition(st, j.id, LAB_JOB_SCHEDULED, LAB_JOB_RUNNING, NULL), 0);
	r = fx_result("kmod.attach.one", 19, 22, LAB_VERDICT_FAIL);
	assert_int_equal(lab_ingest_job_load(st, j.id, &ij), 0);
	assert_int_equal(lab_ingest_store(st, &ij, &r, 1, why, sizeof(why)), 0);
	assert_int_equal(lab_store_job_transition(st, j.id, LAB_JOB_RUNNING, LAB_JOB_COMPLETE, NULL), 0);
	lab_store_close(st);
	assert_int_equal(sqlite3_open(db, &raw), SQLITE_OK);
	assert_int_equal(one_int(raw, "SELECT count(*) FROM findings WHERE case_id = 'kmod.attach.one'"), 1);
	assert_int_equal(one_int(raw, "SELECT count(*) FROM latest"), 3);
	sqlite3_close(raw);
}

static void test_every_version(void **state)
{
	char dir[PATH_MAX], schema[PATH_MAX];
	int newest;

	(void)state;
	lab_log_set_level(LAB_LOG_ERROR);
	schema_dir(schema, sizeof(schema));
	newest = newest_version(schema);
	assert_true(newest >= 6);
	tmp_dir(dir, sizeof(dir));
	for (int v = 1; v < newest; v++) {
		print_message("migrating a filled version-%d database to %d\n", v, newest);
		migrate_from(v, schema, dir);
	}
	rm_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_version),
	};
	return cmocka_run_group_tests_name("migrate", tests, NULL, NULL);
}
