/* SPDX-License-Identifier: GPL-2.0 */
/*
 * flowutil.h - the two small helpers every flow (patch, bisect, series
 * bisection) used to keep a copy of: an error message with its return
 * value, and a JSON object's string member or "". Header-only; includes
 * only libc and jansson.
 */
#ifndef LAB_FLOWUTIL_H
#define LAB_FLOWUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

/* format @fmt into @err (when given) and return @ret */
static inline int lab_flow_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static inline int lab_flow_errf(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* @o's string member @k, "" when it is absent or not a string */
static inline const char *lab_flow_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : "";
}

#endif /* LAB_FLOWUTIL_H */
