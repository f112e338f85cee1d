/* SPDX-License-Identifier: GPL-2.0 */
/*
 * respcache.h - the serialized bodies of expensive GET responses, in memory.
 *
 * Purpose: GET /api/v1/matrix?kernel=K, GET /api/v1/diffs and GET
 * /api/v1/jobs (every filter and page) answer the same body until the
 * store changes; this cache keeps those bodies (bounded, LRU by bytes) so
 * a repeated request costs a lookup and a copy.
 *
 * Invariants:
 *  - An entry is valid only for the store generation it was built at
 *    (lab_store_generation()): the caller reads the generation BEFORE it
 *    runs the queries that build the body and stores the body under that
 *    generation; a lookup with any other generation misses (and drops the
 *    stale entry). A body built from data newer than its generation is only
 *    ever replaced early, never served stale.
 *  - Total bytes held <= the capacity (LAB_RESPCACHE_BYTES, 64 MiB); a body
 *    larger than a quarter of it is not kept. Least recently used entries
 *    are evicted first.
 *  - One process-wide cache, guarded by one mutex: safe from every HTTP
 *    worker thread. Keys are opaque byte strings (the caller encodes the
 *    request: route, arguments, options).
 *
 * Ownership: lab_respcache_put() copies key and body; lab_respcache_get()
 * returns a malloc'd copy of the body the caller frees.
 *
 * Errors: lab_respcache_get() returns 0 (hit), -ENOENT (miss) or -ENOMEM;
 * lab_respcache_put() returns 0, -E2BIG (body too large to keep) or -ENOMEM.
 */
#ifndef LAB_RESPCACHE_H
#define LAB_RESPCACHE_H

#include <stddef.h>
#include <stdint.h>

#define LAB_RESPCACHE_BYTES ((size_t)64 << 20)

int lab_respcache_get(const char *key, size_t keylen, uint64_t gen,
		      char **body, size_t *len);
int lab_respcache_put(const char *key, size_t keylen, uint64_t gen,
		      const char *body, size_t len);
/* drop every entry (tests) */
void lab_respcache_clear(void);
/* entries and bytes held, hits and misses since start (tests, logs) */
void lab_respcache_stats(size_t *entries, size_t *bytes, uint64_t *hits,
			 uint64_t *misses);

#endif /* LAB_RESPCACHE_H */
