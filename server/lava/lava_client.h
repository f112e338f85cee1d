/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lava_client.h - LAVA labs (configuration) and a small REST v0.2 client.
 *
 * Purpose: everything iommulab says to a LAVA server goes through here:
 * validate, submit, job status, the test cases of a suite, the job log,
 * cancel. One blocking libcurl request per call with short timeouts
 * (connect 5 s, whole request 30 s, logs 120 s); callers run on the
 * scheduler thread, which polls LAVA only every few seconds.
 *
 * Labs come from the server's --labs FILE (cfg->labs):
 *   {"labs": [{
 *      "name": "local",                       [a-z0-9-]{1,32}, unique
 *      "url": "http://127.0.0.1:8478",        LAVA's base URL
 *      "token": "...", or "token_file": "/path"   REST token (user's)
 *      "device_types": ["qemu"],              which targets it serves
 *      "artifacts": "file" | "http://HOST:PORT/api/v1/artifacts",
 *                     how its workers fetch kernel/initramfs: file:// paths
 *                     (a worker on this host) or our artifact route
 *      "callback_url": "http://127.0.0.1:8470/api/v1/lava/callback",
 *      "callback_token": "...",               secret LAVA sends back
 *      "callback_token_desc": "iommulab-callback",  its description in LAVA
 *      "poll_s": 10                           fallback poll interval
 *   }]}
 * A target picks its lab by "lava": {"lab": NAME}, else the first lab whose
 * device_types holds the target's device type.
 *
 * Invariants: the REST token and the callback secret are never logged; a
 * response body is at most LAB_LAVA_BODY_MAX bytes (a larger one is an
 * error, never truncated silently).
 *
 * Ownership: lab_lava_labs_parse() fills an array the caller frees with
 * lab_lava_labs_free(); strings in struct lab_lava_lab are inline. JSON
 * results are new references (json_decref), text results malloc'd (free).
 *
 * Errors: 0 or -errno. -ECONNREFUSED/-EHOSTUNREACH/-ETIMEDOUT LAVA not
 * reachable, -EACCES 401/403, -ENOENT 404, -EINVAL 400 (LAVA's message in
 * @err) or a bad argument/configuration, -EBADMSG an answer that is not the
 * expected JSON, -EIO other HTTP errors, -EFBIG a body above the limit,
 * -ENOMEM.
 */
#ifndef LAB_LAVA_CLIENT_H
#define LAB_LAVA_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define LAB_LAVA_BODY_MAX (128u << 20)
#define LAB_LAVA_ERR_MAX 512

struct lab_lava_lab {
	char name[33];
	char url[512];			/* no trailing slash */
	char token[256];
	char artifacts[512];		/* "file" or a base URL */
	char callback_url[512];		/* "" = no callback, poll only */
	char callback_token[256];
	char callback_token_desc[128];
	char device_types[16][64];
	size_t n_device_types;
	int poll_s;
};

/* parse cfg->labs; @labs may be NULL (no labs: *n = 0) */
int lab_lava_labs_parse(json_t *labs, struct lab_lava_lab **out, size_t *n,
			char *err, size_t errlen);
void lab_lava_labs_free(struct lab_lava_lab *labs);
/* the lab for a target: by name (@lab_name non-NULL) or by device type */
const struct lab_lava_lab *lab_lava_lab_find(const struct lab_lava_lab *labs, size_t n,
					     const char *lab_name,
					     const char *device_type);

enum lab_lava_health {
	LAB_LAVA_HEALTH_UNKNOWN = 0,
	LAB_LAVA_HEALTH_COMPLETE,
	LAB_LAVA_HEALTH_INCOMPLETE,
	LAB_LAVA_HEALTH_CANCELED,
};

struct lab_lava_job_status {
	bool finished;			/* state "Finished" */
	char state[32];			/* Submitted ... Finished */
	enum lab_lava_health health;
	char failure[256];		/* failure_comment, "" none */
};

const char *lab_lava_health_name(enum lab_lava_health h);
/* "Complete" -> LAB_LAVA_HEALTH_COMPLETE ...; -EINVAL unknown */
int lab_lava_health_parse(const char *s, enum lab_lava_health *out);

int lab_lava_validate(const struct lab_lava_lab *lab, const char *definition,
		      char *err, size_t errlen);
int lab_lava_submit(const struct lab_lava_lab *lab, const char *definition,
		    int64_t *job_id, char *err, size_t errlen);
int lab_lava_job_status(const struct lab_lava_lab *lab, int64_t job_id,
			struct lab_lava_job_status *out, char *err, size_t errlen);
/* test cases of suite @suite: array of {"name","result","measurement","unit"} */
int lab_lava_job_tests(const struct lab_lava_lab *lab, int64_t job_id,
		       const char *suite, json_t **out, char *err, size_t errlen);
/* the job's YAML log (lava_log.h decodes it) */
int lab_lava_job_log(const struct lab_lava_lab *lab, int64_t job_id,
		     char **out, size_t *len, char *err, size_t errlen);
int lab_lava_job_cancel(const struct lab_lava_lab *lab, int64_t job_id,
			char *err, size_t errlen);

#endif /* LAB_LAVA_CLIENT_H */
