/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lava_artifacts.h - serve prepared kernels and initramfs images to LAVA
 * workers: GET /api/v1/artifacts/<sha256>/<file>.
 *
 * Purpose: a LAVA lab that does not share this host's filesystem fetches a
 * job's kernel and initramfs over HTTP from the server (lab "artifacts":
 * "http://HOST:PORT/api/v1/artifacts"). The LAVA job names each file by
 * its SHA-256 and carries the same value as sha256sum, so the worker
 * checks what it got.
 *
 * Invariants: only files the LAVA backend registered (after hashing them)
 * are served; the request's path never reaches the filesystem: <sha256>
 * must be 64 lowercase hex chars naming a registered entry and <file> must
 * equal that entry's base name; the registered path is the realpath()
 * taken at registration and is opened with O_NOFOLLOW and must still be a
 * regular file. The registry keeps the last LAB_LAVA_ARTIFACTS_MAX entries
 * (a mutex guards it).
 *
 * Ownership: paths are copied. Errors: 0 or -errno (-ENOENT unknown or
 * gone, -EINVAL malformed hash/name, -ENAMETOOLONG).
 */
#ifndef LAB_LAVA_ARTIFACTS_H
#define LAB_LAVA_ARTIFACTS_H

#include "http.h"

#define LAB_LAVA_ARTIFACTS_MAX 256

int lab_lava_artifact_register(const char *sha256_hex, const char *path);
/* GET /api/v1/artifacts/{sha256}/{file} */
int lab_lava_artifact_get(struct lab_req *rq, struct lab_resp *rs);

#endif /* LAB_LAVA_ARTIFACTS_H */
