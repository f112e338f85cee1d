/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_int.h - what the /api/v1 handler files (api_*.c) share: argument
 * and list helpers, the named kinds (kernel, target, case), and the
 * response cache helpers. Handler files only; see api.h for the handlers.
 */
#ifndef LAB_API_INT_H
#define LAB_API_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "api.h"
#include "http.h"

struct lab_store;

#define LIST_MAX 1000
#define INGEST_MAX_RECORDS 100000
#define CACHE_KEY_MAX 600

struct named_kind {
	int (*get)(struct lab_store *st, const char *name, json_t **out);
	const char *what;	/* "kernel" */
	int max;		/* at most this much of the name in the message */
};

extern const struct named_kind api_kernel_kind, api_target_kind, api_case_kind;

int api_list_resp(struct lab_resp *rs, json_t *items, int64_t limit);
int api_list_all(struct lab_req *rq, struct lab_resp *rs,
		    int (*list)(struct lab_store *, json_t **));
int api_named_get(struct lab_req *rq, struct lab_resp *rs,
		     const struct named_kind *kind, const char *name, json_t **out);
int api_id_get(struct lab_req *rq, struct lab_resp *rs, const char *what,
		  int (*get)(struct lab_store *, int64_t, json_t **));
size_t api_cache_key(char *key, const char *const *parts, int n);
bool api_cache_hit(struct lab_resp *rs, const char *key, size_t klen, uint64_t gen);
int api_cache_answer(struct lab_resp *rs, const char *key, size_t klen, uint64_t gen);
/*
 * The body as a JSON object that follows @fields (bodies.h: unknown keys,
 * types, ranges, the one name rule): 0 with *@out (the caller puts it), or
 * -EINVAL with the reason in rs->err. Handlers call it before any write.
 */
struct lab_body_field;
int api_req_body(struct lab_req *rq, struct lab_resp *rs,
		 const struct lab_body_field *fields, const char *what, json_t **out);
/* a string member of a checked body, or NULL (absent or null) */
const char *api_str_of(json_t *o, const char *key);
int api_named_id(struct lab_req *rq, struct lab_resp *rs,
		    const struct named_kind *kind, const char *name, int64_t *id);

#endif /* LAB_API_INT_H */
