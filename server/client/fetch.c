/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fetch.c - one verified download (fetch.h): libcurl streams into a part
 * file while OpenSSL's EVP SHA-256 digests every byte; the part is renamed
 * onto the output only when the transfer ended well and the digest is the
 * one asked for.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/evp.h>

#include "fetch.h"

struct sink {
	FILE *f;
	EVP_MD_CTX *md;
	unsigned long long len;
	int err;		/* -errno of a failed write, -EFBIG */
};

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
	struct sink *s = ud;
	size_t len = size * n;

	if (s->len + len > LAB_FETCH_MAX) {
		s->err = -EFBIG;
		return 0;
	}
	if (fwrite(p, 1, len, s->f) != len) {
		s->err = errno ? -errno : -EIO;
		return 0;
	}
	if (!EVP_DigestUpdate(s->md, p, len)) {
		s->err = -ENOMEM;
		return 0;
	}
	s->len += len;
	return len;
}

bool lab_fetch_deterministic(int err)
{
	return err == -EINVAL || err == -ENOENT || err == -EPROTO || err == -EBADMSG ||
	       err == -EFBIG || err == -EACCES;
}

static bool sha_ok(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

/* the transfer's outcome as -errno (0: a 2xx answer arrived whole) */
static int curl_outcome(CURL *h, CURLcode rc, const struct sink *s, const char *url,
			char *why, size_t why_len)
{
	long code = 0;

	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_WRITE_ERROR && s->err) {
		snprintf(why, why_len, "%s: %s", url, s->err == -EFBIG ?
			 "larger than 4 GiB, not a kernel" : strerror(-s->err));
		return s->err;
	}
	if (rc == CURLE_HTTP_RETURNED_ERROR || (rc == CURLE_OK && code >= 400)) {
		snprintf(why, why_len, "%s: HTTP %ld", url, code);
		if (code == 404 || code == 410)
			return -ENOENT;
		if (code == 401 || code == 403)
			return -EACCES;
		return code < 500 ? -EPROTO : -EIO;
	}
	if (rc == CURLE_OPERATION_TIMEDOUT) {
		snprintf(why, why_len, "%s: no progress for 60 s", url);
		return -ETIMEDOUT;
	}
	if (rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT) {
		snprintf(why, why_len, "%s: %s", url, curl_easy_strerror(rc));
		return -EINVAL;
	}
	if (rc != CURLE_OK) {
		/* refused, reset, DNS, a body shorter than its Content-Length */
		snprintf(why, why_len, "%s: %s", url, curl_easy_strerror(rc));
		return -EIO;
	}
	return 0;
}

int lab_fetch_file(const char *url, const char *sha256, const char *out,
		   char hex_out[65], char *why, size_t why_len)
{
	struct sink s = { 0 };
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char part[4096], hex[65];
	CURL *h = NULL;
	CURLcode rc;
	int ret;

	*why = '\0';
	if (!url || (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))) {
		snprintf(why, why_len, "'%.200s' is not an http:// or https:// URL", url ? url : "");
		return -EINVAL;
	}
	if (sha256 && *sha256 && !sha_ok(sha256)) {
		snprintf(why, why_len, "sha256 '%.80s' is not 64 lowercase hex digits", sha256);
		return -EINVAL;
	}
	if (snprintf(part, sizeof(part), "%s.part.%d", out, (int)getpid()) >= (int)sizeof(part)) {
		snprintf(why, why_len, "output path too long");
		return -ENAMETOOLONG;
	}
	s.md = EVP_MD_CTX_new();
	if (!s.md || !EVP_DigestInit_ex(s.md, EVP_sha256(), NULL)) {
		snprintf(why, why_len, "SHA-256 context: out of memory");
		ret = -ENOMEM;
		goto free_md;
	}
	s.f = fopen(part, "wxe");
	if (!s.f) {
		ret = -errno;
		snprintf(why, why_len, "cannot create %.1024s: %s", part, strerror(errno));
		goto free_md;
	}
	h = curl_easy_init();
	if (!h) {
		snprintf(why, why_len, "libcurl: cannot start a transfer");
		ret = -ENOMEM;
		goto remove_part;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);	/* no byte for 60 s */
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "iommulab-fetch/1");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	rc = curl_easy_perform(h);
	ret = curl_outcome(h, rc, &s, url, why, why_len);
	if (ret)
		goto remove_part;
	if (fflush(s.f) || fsync(fileno(s.f))) {
		ret = -errno;
		snprintf(why, why_len, "writing %.1024s: %s", part, strerror(errno));
		goto remove_part;
	}
	if (!EVP_DigestFinal_ex(s.md, md, &mdlen) || mdlen != 32) {
		snprintf(why, why_len, "SHA-256 of %.1024s failed", part);
		ret = -EIO;
		goto remove_part;
	}
	for (unsigned int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	if (sha256 && *sha256 && strcmp(hex, sha256)) {
		snprintf(why, why_len, "%s: sha256 mismatch: got %s (%llu bytes), expected %s",
			 url, hex, s.len, sha256);
		ret = -EBADMSG;
		goto remove_part;
	}
	fclose(s.f);
	s.f = NULL;
	if (rename(part, out)) {
		ret = -errno;
		snprintf(why, why_len, "rename to %.1024s: %s", out, strerror(errno));
		goto remove_part;
	}
	if (hex_out)
		memcpy(hex_out, hex, 65);
	curl_easy_cleanup(h);
	EVP_MD_CTX_free(s.md);
	return 0;

remove_part:
	if (s.f)
		fclose(s.f);
	unlink(part);
	if (h)
		curl_easy_cleanup(h);
free_md:
	EVP_MD_CTX_free(s.md);
	return ret;
}
