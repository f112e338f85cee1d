/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_auth.c - token hashing and checking (server/auth.c, store tokens):
 * SHA-256 test vectors, random secrets, only the hash in the database,
 * scopes, the first-start admin token file (0600).
 */
#include <sys/stat.h>
#include <sqlite3.h>

#include "auth.h"
#include "helpers.h"

static void test_sha256(void **state)
{
	char hex[LAB_TOKEN_HEX_LEN + 1];

	(void)state;
	assert_int_equal(lab_auth_sha256_hex("abc", 3, hex), 0);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(lab_auth_sha256_hex("", 0, hex), 0);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_token_new(void **state)
{
	char a[LAB_TOKEN_HEX_LEN + 1], b[LAB_TOKEN_HEX_LEN + 1];

	(void)state;
	assert_int_equal(lab_auth_token_new(a), 0);
	assert_int_equal(lab_auth_token_new(b), 0);
	assert_int_equal(strlen(a), 64);
	assert_int_equal(strspn(a, "0123456789abcdef"), 64);
	assert_string_not_equal(a, b);
}

static void test_scopes(void **state)
{
	(void)state;
	assert_true(lab_auth_scope_allows("admin", "ingest"));
	assert_true(lab_auth_scope_allows("ingest", "ingest"));
	assert_true(lab_auth_scope_allows("read ingest", "ingest"));
	assert_false(lab_auth_scope_allows("ingest", "admin"));
	assert_false(lab_auth_scope_allows("ingestion", "ingest"));
	assert_false(lab_auth_scope_allows("", "ingest"));
}

static void test_store_tokens(void **state)
{
	struct fx *f = *state;
	char secret[LAB_TOKEN_HEX_LEN + 1], hex[LAB_TOKEN_HEX_LEN + 1];
	char *name = NULL, *scopes = NULL;
	sqlite3 *raw;
	sqlite3_stmt *s;

	assert_int_equal(lab_auth_token_new(secret), 0);
	assert_int_equal(lab_store_token_add_scoped(f->st, "lava-cb", secret, "ingest"), 0);
	assert_int_equal(lab_store_token_add_scoped(f->st, "lava-cb", secret, "ingest"), -EEXIST);
	assert_int_equal(lab_store_token_add(f->st, "bad name!", secret), -EINVAL);
	assert_int_equal(lab_store_token_lookup(f->st, secret, &name, &scopes), 0);
	assert_string_equal(name, "lava-cb");
	assert_string_equal(scopes, "ingest");
	free(name);
	free(scopes);
	{
		char wrong[LAB_TOKEN_HEX_LEN + 1];

		memcpy(wrong, secret, sizeof(wrong));
		wrong[0] = wrong[0] == 'a' ? 'b' : 'a';
		assert_int_equal(lab_store_token_check(f->st, wrong, &name), -ENOENT);
		assert_int_equal(lab_store_token_check(f->st, "", &name), -ENOENT);
	}

	/* the database holds the hash, never the secret */
	assert_int_equal(lab_auth_sha256_hex(secret, strlen(secret), hex), 0);
	assert_int_equal(sqlite3_open(f->db, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT sha256 FROM tokens WHERE name = 'lava-cb'",
					    -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), hex);
	sqlite3_finalize(s);
	assert_int_equal(sqlite3_prepare_v2(raw, "SELECT count(*) FROM tokens WHERE "
					    "instr(sha256 || name || scopes, ?1) > 0", -1, &s, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(s, 1, secret, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(s, 0), 0);
	sqlite3_finalize(s);
	sqlite3_close(raw);
}

static void test_bootstrap(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX + 32], secret[80] = "";
	bool created = false;
	struct stat sb;
	FILE *fp;
	char *name = NULL;

	snprintf(path, sizeof(path), "%s/state/sub/admin.token", f->dir);
	assert_int_equal(lab_auth_bootstrap(f->st, path, &created), 0);
	assert_true(created);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(secret, sizeof(secret), fp));
	fclose(fp);
	secret[strcspn(secret, "\n")] = 0;
	assert_int_equal(lab_store_token_check(f->st, secret, &name), 0);
	assert_string_equal(name, "admin");
	free(name);
	/* second start: nothing new, the file is untouched */
	assert_int_equal(lab_auth_bootstrap(f->st, path, &created), 0);
	assert_false(created);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_token_new),
		cmocka_unit_test(test_scopes),
		cmocka_unit_test_setup_teardown(test_store_tokens, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_bootstrap, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
