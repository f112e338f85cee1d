/* SPDX-License-Identifier: GPL-2.0 */
/*
 * store_tokens.c - API tokens by their SHA-256 (store.h; shared helpers: store_int.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sqlite3.h>

#include "log.h"
#include "model.h"
#include "names.h"
#include "store.h"
#include "store_int.h"

/* ---- tokens --------------------------------------------------------------- */

/* the one name rule (names.h) */
static bool valid_token_name(const char *n)
{
	return lab_name_ok(LAB_NAME_TOKEN, n);
}

/* the token's SHA-256 comes from auth.c (lab_store_token_add_scoped()):
 * the store never sees a secret */
int lab_store_token_put(struct lab_store *st, const char *name,
			const char *sha256_hex, const char *scopes)
{
	sqlite3_stmt *s = store_stmt(st, S_TOKEN_ADD);

	if (!s)
		return -EIO;
	if (!valid_token_name(name) || !sha256_hex ||
	    strlen(sha256_hex) != LAB_STORE_TOKEN_HASH_LEN || !scopes || !*scopes)
		return -EINVAL;
	store_bind_text(s, 1, name);
	store_bind_text(s, 2, sha256_hex);
	store_bind_text(s, 3, scopes);
	return store_exec_stmt(st, s, "token add");
}

int lab_store_token_find(struct lab_store *st, const char *sha256_hex,
			 char **name_out, char **scopes_out)
{
	sqlite3_stmt *s = store_stmt(st, S_TOKEN_LOOKUP);
	int rc, r, stale = 0;

	if (!s)
		return -EIO;
	if (!sha256_hex)
		return -ENOENT;
	store_bind_text(s, 1, sha256_hex);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		if (name_out)
			*name_out = store_col_dup(s, 0);
		if (scopes_out)
			*scopes_out = store_col_dup(s, 1);
		stale = sqlite3_column_int(s, 2);
		r = 0;
	} else {
		r = rc == SQLITE_DONE ? -ENOENT : store_db_err(st, rc, "token lookup");
	}
	store_done(s);
	/* last_used_at at most once a minute: reads stay free of write locks */
	if (!r && stale && (s = store_stmt(st, S_TOKEN_TOUCH))) {
		store_bind_text(s, 1, sha256_hex);
		store_exec_stmt(st, s, "token touch");	/* best effort */
	}
	return r;
}

int lab_store_token_exists(struct lab_store *st, const char *name, int *exists)
{
	sqlite3_stmt *s = store_stmt(st, S_TOKEN_EXISTS);
	int rc;

	if (!s)
		return -EIO;
	store_bind_text(s, 1, name);
	rc = sqlite3_step(s);
	*exists = rc == SQLITE_ROW;
	store_done(s);
	return (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : store_db_err(st, rc, "token exists");
}

