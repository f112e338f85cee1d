/* SPDX-License-Identifier: GPL-2.0 */
/*
 * auth.h - API tokens: generation, hashing, and the bearer check.
 *
 * Purpose: writes to the API need "Authorization: Bearer <secret>". A secret
 * is 32 random bytes as 64 lowercase hex chars; the store keeps only its
 * SHA-256 (hex) with a name and space-separated scopes ("admin", "ingest").
 * "admin" allows every write; "ingest" allows only posting results.
 *
 * Invariants: secrets never reach the log or the database. Comparison is by
 * hash lookup (the DB holds no secret to compare against in variable time).
 *
 * Ownership: callers provide the output buffers.
 * Errors: 0 or -errno (-EIO when the kernel's RNG or libcrypto fails).
 */
#ifndef LAB_AUTH_H
#define LAB_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#define LAB_TOKEN_HEX_LEN 64	/* secret and hash as hex, without NUL */

struct lab_store;

/*
 * Tokens by secret: these hash the secret (never stored, never logged) and
 * call the store's lab_store_token_put()/_find() with the hash. The names
 * keep the store's prefix for their callers. _add_scoped: -EINVAL for a bad
 * name, a secret shorter than 16 chars or empty scopes; _lookup/_check:
 * -ENOENT for an unknown, empty or over-long (> 256) secret.
 */
int lab_store_token_add_scoped(struct lab_store *st, const char *name,
			       const char *secret, const char *scopes);
int lab_store_token_add(struct lab_store *st, const char *name,
			const char *secret);	/* scope "admin" */
int lab_store_token_lookup(struct lab_store *st, const char *secret,
			   char **name_out, char **scopes_out);
int lab_store_token_check(struct lab_store *st, const char *secret,
			  char **name_out);

/* SHA-256 of @len bytes at @data as 64 hex chars + NUL into @hex */
int lab_auth_sha256_hex(const void *data, size_t len, char hex[LAB_TOKEN_HEX_LEN + 1]);
/* a new random secret, 64 hex chars + NUL */
int lab_auth_token_new(char secret[LAB_TOKEN_HEX_LEN + 1]);
/* does the space-separated @scopes grant @need? "admin" grants everything */
bool lab_auth_scope_allows(const char *scopes, const char *need);
/*
 * First start: when the tokens table has no "admin" token, create one and
 * write its secret to @path (mode 0600, directory created 0700). Sets
 * *created. An existing admin token with a missing file is left alone (the
 * secret cannot be recovered; the log says how to get a new one: delete the
 * token row, or remove the database).
 */
int lab_auth_bootstrap(struct lab_store *st, const char *path, bool *created);

#endif /* LAB_AUTH_H */
