/* SPDX-License-Identifier: GPL-2.0 */
/*
 * httpc.h - libcurl client plumbing shared by the HTTP clients (the CLI and
 * the LAVA REST client): a response body collected into a bounded buffer.
 *
 * Purpose: both clients read a whole answer into memory before parsing it
 * and refuse an answer above a size they choose. lab_httpc_on_data() is
 * the CURLOPT_WRITEFUNCTION for that, with a struct lab_httpc_body as its
 * CURLOPT_WRITEDATA.
 *
 * Invariants: when data is non-NULL it is NUL-terminated at data[len]
 * (the NUL is not counted), so a body can be handed to string functions.
 * len never exceeds max: a chunk that would pass it sets too_big and ends
 * the transfer (libcurl then fails with CURLE_WRITE_ERROR); an allocation
 * failure ends it the same way with too_big false.
 *
 * Ownership: the caller owns the struct and frees data with free(); a
 * zeroed struct with max set is an empty body.
 *
 * Errors: reported through libcurl's write-callback convention (a short
 * count ends the transfer), as said above.
 */
#ifndef LAB_HTTPC_H
#define LAB_HTTPC_H

#include <stdbool.h>
#include <stddef.h>

struct lab_httpc_body {
	char *data;	/* malloc'd, NUL-terminated; NULL until the first byte */
	size_t len;	/* bytes in data, without the NUL */
	size_t max;	/* the largest body accepted; set by the caller */
	bool too_big;	/* the answer was larger than max */
};

/* CURLOPT_WRITEFUNCTION appending to the struct lab_httpc_body at @ud */
size_t lab_httpc_on_data(char *ptr, size_t size, size_t nmemb, void *ud);

#endif
