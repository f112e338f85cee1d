/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fetch.h - download one file over http(s) into the cache, its SHA-256
 * checked as it streams (libcurl + OpenSSL's EVP, Debian's libraries).
 *
 * Purpose: the bring-your-own-kernel path (kernels/import, run by a job's
 * preparation through `iommulabd fetch`) downloads a kernel once. The file
 * appears at @out only complete and verified: it is written to
 * "@out.part.<pid>" and renamed; on any failure the part is removed, so
 * the cache never holds a half download.
 *
 * Errors, split the way the runner classifies them (backend.h):
 * deterministic (a configuration error: rerunning gives the same answer)
 *   -EINVAL   not an http:// or https:// URL, or a malformed @sha256
 *   -ENOENT   HTTP 404 or 410
 *   -EACCES   HTTP 401 or 403
 *   -EPROTO   another HTTP 4xx
 *   -EBADMSG  the SHA-256 of what arrived is not @sha256 (a truncated or
 *             different file)
 *   -EFBIG    larger than LAB_FETCH_MAX
 * transient (infrastructure: retried)
 *   -EIO      connection refused or reset, DNS, 5xx, a transfer cut short
 *   -ETIMEDOUT no progress for 60 s
 *   -ENOSPC, -EACCES on the output, other -errno from the file system
 * lab_fetch_deterministic() says which class an error is in. @why gets one
 * line for a human in every failure.
 *
 * Ownership: nothing is kept; @hex_out (65 bytes, may be NULL) receives the
 * SHA-256 of the file on success.
 */
#ifndef LAB_FETCH_H
#define LAB_FETCH_H

#include <stdbool.h>
#include <stddef.h>

#define LAB_FETCH_MAX	(4ULL << 30)	/* 4 GiB: larger is not a kernel */

int lab_fetch_file(const char *url, const char *sha256, const char *out,
		   char hex_out[65], char *why, size_t why_len);
bool lab_fetch_deterministic(int err);

#endif /* LAB_FETCH_H */
