/* SPDX-License-Identifier: GPL-2.0 */
/*
 * auth.c - token secrets, SHA-256, scopes, first-start admin token (auth.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <openssl/evp.h>

#include "auth.h"
#include "log.h"
#include "store.h"

static void to_hex(const unsigned char *b, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[b[i] >> 4];
		hex[2 * i + 1] = digits[b[i] & 15];
	}
	hex[2 * n] = 0;
}

int lab_auth_sha256_hex(const void *data, size_t len, char hex[LAB_TOKEN_HEX_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL) || mdlen != 32)
		return -EIO;
	to_hex(md, 32, hex);
	return 0;
}

int lab_auth_token_new(char secret[LAB_TOKEN_HEX_LEN + 1])
{
	unsigned char b[32];
	size_t got = 0;

	while (got < sizeof(b)) {
		ssize_t n = getrandom(b + got, sizeof(b) - got, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -EIO;
		}
		got += (size_t)n;
	}
	to_hex(b, sizeof(b), secret);
	return 0;
}

bool lab_auth_scope_allows(const char *scopes, const char *need)
{
	size_t nl = strlen(need);
	const char *p = scopes;

	while (p && *p) {
		size_t l;

		while (*p == ' ')
			p++;
		l = strcspn(p, " ");
		if ((l == 5 && strncmp(p, "admin", 5) == 0) ||
		    (l == nl && strncmp(p, need, nl) == 0))
			return true;
		p += l;
	}
	return false;
}

static int mkdir_parent(const char *path)
{
	char dir[4096];
	char *slash;

	if (strlen(path) >= sizeof(dir))
		return -ENAMETOOLONG;
	strcpy(dir, path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	for (char *p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(dir, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int lab_auth_bootstrap(struct lab_store *st, const char *path, bool *created)
{
	char secret[LAB_TOKEN_HEX_LEN + 1];
	char line[LAB_TOKEN_HEX_LEN + 2];
	int exists, fd, r;

	*created = false;
	r = lab_store_token_exists(st, "admin", &exists);
	if (r)
		return r;
	if (exists) {
		if (access(path, R_OK) != 0)
			lab_warn("auth: admin token exists but %s is missing; "
				 "to make a new one, stop the server and run: sqlite3 DB "
				 "\"DELETE FROM tokens WHERE name='admin'\"", path);
		return 0;
	}
	r = lab_auth_token_new(secret);
	if (r)
		return r;
	r = mkdir_parent(path);
	if (r) {
		lab_error("auth: cannot create the directory of %s: %s", path, strerror(-r));
		return r;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		lab_error("auth: cannot write %s: %s", path, strerror(errno));
		return r;
	}
	if (fchmod(fd, 0600) < 0) {
		r = -errno;
		goto remove_file;
	}
	snprintf(line, sizeof(line), "%s\n", secret);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line)) {
		r = errno ? -errno : -EIO;
		goto remove_file;
	}
	if (fsync(fd) < 0) {
		r = -errno;
		goto remove_file;
	}
	r = lab_store_token_add_scoped(st, "admin", secret, "admin");
	if (r)
		goto remove_file;
	close(fd);
	*created = true;
	return 0;
remove_file:
	unlink(path);
	close(fd);
	return r;
}

/* ---- tokens by secret: hash here, store the hash ---------------------- */

int lab_store_token_add_scoped(struct lab_store *st, const char *name,
			       const char *secret, const char *scopes)
{
	char hex[LAB_TOKEN_HEX_LEN + 1];
	size_t l = name ? strlen(name) : 0;
	int r;

	if (l == 0 || l > 64 ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != l ||
	    !secret || strlen(secret) < 16 || !scopes || !*scopes)
		return -EINVAL;
	r = lab_auth_sha256_hex(secret, strlen(secret), hex);
	if (r)
		return r;
	return lab_store_token_put(st, name, hex, scopes);
}

int lab_store_token_add(struct lab_store *st, const char *name, const char *secret)
{
	return lab_store_token_add_scoped(st, name, secret, "admin");
}

int lab_store_token_lookup(struct lab_store *st, const char *secret,
			   char **name_out, char **scopes_out)
{
	char hex[LAB_TOKEN_HEX_LEN + 1];
	int r;

	if (!secret || !*secret || strlen(secret) > 256)
		return -ENOENT;
	r = lab_auth_sha256_hex(secret, strlen(secret), hex);
	if (r)
		return r;
	return lab_store_token_find(st, hex, name_out, scopes_out);
}

int lab_store_token_check(struct lab_store *st, const char *secret,
			  char **name_out)
{
	return lab_store_token_lookup(st, secret, name_out, NULL);
}
