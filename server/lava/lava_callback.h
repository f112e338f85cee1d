/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lava_callback.h - LAVA notify callbacks, and the state the HTTP threads
 * share with the LAVA backend: the configured labs and the pending runs.
 *
 * Purpose: a LAVA job rendered by lava_job.c carries a notify block; when
 * the job finishes LAVA POSTs the whole job (state, health, log, results as
 * YAML strings) to POST /api/v1/lava/callback with the raw secret of the
 * token named in the job in the Authorization header. The handler
 *   1. finds the lab whose callback_token equals that secret (constant-time
 *      compare); none -> 401, nothing kept;
 *   2. parses the JSON body (an object with a positive integer "id");
 *   3. hands the payload to the pending run registered for (lab, id) and
 *      wakes the scheduler; the run's next poll() ingests it.
 * Only the scheduler thread ingests (backend_lava.c poll()), once per run,
 * so a callback racing the fallback poller can never store twice: whichever
 * of them delivers the finished job first is used, the other is dropped.
 * A callback for a job that is not pending (already ingested by the poller,
 * canceled, or unknown) is answered 404 and changes nothing; LAVA does not
 * retry callbacks, which is fine because the poller never stops.
 *
 * Invariants: the registry holds at most one payload per (lab, id); it is
 * guarded by one mutex; payloads are kept as json_t until taken.
 *
 * Ownership: lab_lava_labs_get() returns the process-wide array parsed once
 * from cfg->labs (valid until exit). lab_lava_pending_take() returns a new
 * reference the caller json_decref()s.
 *
 * Errors: 0 or -errno; the handler follows http.h (-EPERM -> 401).
 */
#ifndef LAB_LAVA_CALLBACK_H
#define LAB_LAVA_CALLBACK_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "http.h"
#include "lava_client.h"

struct lab_config;

/* the labs of @cfg, parsed on first use; -EINVAL (with @err) if malformed */
int lab_lava_labs_get(const struct lab_config *cfg, const struct lab_lava_lab **labs,
		      size_t *n, char *err, size_t errlen);

int lab_lava_pending_add(const char *lab, int64_t lava_id);
void lab_lava_pending_del(const char *lab, int64_t lava_id);
/* the callback payload for (lab, id) if one arrived, else NULL */
json_t *lab_lava_pending_take(const char *lab, int64_t lava_id);

/* POST /api/v1/lava/callback: the secret, from the headers alone (the
 * route's auth: the body of a caller without it is never read) ... */
int lab_lava_callback_auth(struct lab_req *rq, struct lab_resp *rs);
/* ... and the callback itself */
int lab_lava_callback_handle(struct lab_req *rq, struct lab_resp *rs);

#endif /* LAB_LAVA_CALLBACK_H */
