/* SPDX-License-Identifier: GPL-2.0 */
/*
 * httpc.c - libcurl client plumbing (httpc.h): a bounded response body.
 * Contract, invariants and error convention: see httpc.h.
 */
#include <stdlib.h>
#include <string.h>

#include "httpc.h"

size_t lab_httpc_on_data(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct lab_httpc_body *b = ud;
	size_t n = size * nmemb;
	char *d;

	if (n > b->max || b->len > b->max - n) {
		b->too_big = true;
		return 0;
	}
	d = realloc(b->data, b->len + n + 1);
	if (!d)
		return 0;
	memcpy(d + b->len, ptr, n);
	b->data = d;
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}
