/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lava_util.h - small helpers shared by the LAVA modules (lava_client,
 * lava_job, lava_template, lava_log): an error message into a caller's
 * buffer, and a growing NUL-terminated text buffer.
 *
 * Invariants: lab_lava_seterr() accepts a NULL or zero-length @err and then
 * does nothing; the message is truncated to @errlen - 1 bytes. In a struct
 * lab_lava_buf, cap > len whenever p is non-NULL (room for the NUL), and
 * len + 1 never exceeds max when max is not 0.
 *
 * Ownership: the caller owns the struct lab_lava_buf and frees p with
 * free(); a zeroed struct (max optionally set) is an empty buffer.
 *
 * Errors: 0 or -errno: -ENOMEM, -EFBIG when the buffer would pass max.
 */
#ifndef LAB_LAVA_UTIL_H
#define LAB_LAVA_UTIL_H

#include <stddef.h>

void lab_lava_seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

struct lab_lava_buf {
	char *p;
	size_t len, cap;
	size_t max;		/* the largest cap (bytes, NUL included); 0 = none */
};

/* make room for @n more bytes and a NUL */
int lab_lava_buf_reserve(struct lab_lava_buf *b, size_t n);
/* append @n bytes of @s and keep p NUL-terminated */
int lab_lava_buf_add(struct lab_lava_buf *b, const char *s, size_t n);

#endif
