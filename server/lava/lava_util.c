/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lava_util.c - helpers shared by the LAVA modules (lava_util.h).
 * Contract, invariants and error convention: see lava_util.h.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lava_util.h"

#define LAB_LAVA_BUF_FIRST 4096

void lab_lava_seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int lab_lava_buf_reserve(struct lab_lava_buf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->len + n + 1 <= b->cap)
		return 0;
	if (b->max && b->len + n + 1 > b->max)
		return -EFBIG;
	cap = b->cap ? b->cap : LAB_LAVA_BUF_FIRST;
	while (cap < b->len + n + 1)
		cap *= 2;
	p = realloc(b->p, cap);
	if (!p)
		return -ENOMEM;
	b->p = p;
	b->cap = cap;
	return 0;
}

int lab_lava_buf_add(struct lab_lava_buf *b, const char *s, size_t n)
{
	int r = lab_lava_buf_reserve(b, n);

	if (r)
		return r;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}
