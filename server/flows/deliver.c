/* SPDX-License-Identifier: GPL-2.0 */
/*
 * deliver.c - webhooks and maildir drafts for the outbox (deliver.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "deliver.h"
#include "log.h"
#include "outbox.h"
#include "store.h"

#define DELIVER_MAX_PASS 16
#define DELIVER_ATTEMPTS 8
#define DELIVER_CAP_S 3600

static time_t last_pass;

/* "sha256=" + hex HMAC-SHA256(@secret, @body) into @out (72 bytes) */
static int sign(const char *secret, const char *body, char out[72])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)body,
		  strlen(body), md, &n) || n != 32)
		return -EIO;
	memcpy(out, "sha256=", 7);
	for (unsigned int i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[71] = '\0';
	return 0;
}

static size_t discard(char *p, size_t s, size_t n, void *u)
{
	(void)p;
	(void)u;
	return s * n;
}

/* one POST; the HTTP status (0: none) and why in @err */
static long post(const struct lab_delivery *d, char *err, size_t errlen)
{
	char sig[72], h1[64], h2[64], h3[128], cerr[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	long status = 0;
	CURL *h;

	if (!d->secret || sign(d->secret, d->payload, sig)) {
		snprintf(err, errlen, "cannot sign");
		return 0;
	}
	h = curl_easy_init();
	if (!h) {
		snprintf(err, errlen, "curl init");
		return 0;
	}
	snprintf(h1, sizeof(h1), "X-Iommulab-Event: %s", d->event);
	snprintf(h2, sizeof(h2), "X-Iommulab-Delivery: %lld", (long long)d->id);
	snprintf(h3, sizeof(h3), "X-Iommulab-Signature-256: %s", sig);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "User-Agent: iommulabd-deliver");
	hdrs = curl_slist_append(hdrs, h1);
	hdrs = curl_slist_append(hdrs, h2);
	hdrs = curl_slist_append(hdrs, h3);
	curl_easy_setopt(h, CURLOPT_URL, d->url);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, d->payload);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 3L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	else
		snprintf(err, errlen, "%s", cerr[0] ? cerr : "no answer");
	if (status && (status < 200 || status >= 300))
		snprintf(err, errlen, "HTTP %ld", status);
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	return status;
}

/* the maildir protocol: write tmp/NAME, rename to new/NAME */
static int draft(const struct lab_delivery *d, char *err, size_t errlen)
{
	char host[128] = "localhost", name[256], tmp[PATH_MAX], dst[PATH_MAX], date[64];
	time_t now = time(NULL);
	struct tm tm;
	FILE *f;
	int fd;

	gethostname(host, sizeof(host) - 1);
	host[sizeof(host) - 1] = '\0';
	for (char *c = host; *c; c++)
		if (*c == '/' || *c == ':')
			*c = '-';
	snprintf(name, sizeof(name), "%lld.iommulab-%lld.%s", (long long)now, (long long)d->id, host);
	if (snprintf(tmp, sizeof(tmp), "%s/tmp/%s", d->maildir, name) >= (int)sizeof(tmp) ||
	    snprintf(dst, sizeof(dst), "%s/new/%s", d->maildir, name) >= (int)sizeof(dst)) {
		snprintf(err, errlen, "maildir path too long");
		return -ENAMETOOLONG;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		snprintf(err, errlen, "maildir tmp/%.120s: %s", name, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", gmtime_r(&now, &tm));
	fprintf(f, "From: iommulab <iommulab@%s>\nTo: subscriber-%lld\nSubject: [iommulab] %s\n"
		"Date: %s\nMessage-ID: <iommulab.delivery-%lld@%s>\nMIME-Version: 1.0\n"
		"Content-Type: application/json; charset=UTF-8\nX-Iommulab-Event: %s\n\n%s\n",
		host, (long long)d->subscription_id, d->event, date, (long long)d->id, host,
		d->event, d->payload);
	if (fclose(f) || rename(tmp, dst)) {
		snprintf(err, errlen, "maildir new/%.120s: %s", name, strerror(errno));
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

int lab_deliver_tick(struct lab_store *st, const struct lab_config *cfg)
{
	struct lab_delivery d[DELIVER_MAX_PASS];
	const char *b = getenv("IOMMULAB_DELIVERY_BACKOFF_S");
	long base = b && atol(b) > 0 ? atol(b) : 30;
	time_t now = time(NULL);
	size_t n = 0;

	(void)cfg;
	if (now == last_pass)
		return 0;
	last_pass = now;
	if (lab_outbox_due(st, (int64_t)now, d, DELIVER_MAX_PASS, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char err[256] = "";
		long status = 0;
		bool ok;
		int64_t next = 0;

		if (!d[i].payload) {
			snprintf(err, sizeof(err), "out of memory");
			ok = false;
		} else if (!strcmp(d[i].kind, "webhook")) {
			status = post(&d[i], err, sizeof(err));
			ok = status >= 200 && status < 300;
		} else {
			ok = draft(&d[i], err, sizeof(err)) == 0;
		}
		if (!ok && d[i].attempts + 1 < DELIVER_ATTEMPTS) {
			long wait = base << (d[i].attempts < 16 ? d[i].attempts : 16);

			next = (int64_t)now + (wait > DELIVER_CAP_S ? DELIVER_CAP_S : wait);
		}
		if (lab_outbox_attempt(st, d[i].id, (int)status, ok ? NULL : err, ok, next))
			lab_warn("deliver: delivery %lld: attempt not logged", (long long)d[i].id);
		if (!ok)
			lab_warn("deliver: delivery %lld (%s, subscription %lld) attempt %d: %s%s",
				 (long long)d[i].id, d[i].event, (long long)d[i].subscription_id,
				 d[i].attempts + 1, err, next ? "" : "; giving up");
		lab_delivery_clear(&d[i]);
	}
	return 0;
}
