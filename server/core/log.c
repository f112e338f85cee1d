/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log.c - timestamped, single-write log lines on stderr (see log.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static volatile int log_threshold = LAB_LOG_INFO;

const char *lab_log_level_name(enum lab_log_level l)
{
	switch (l) {
	case LAB_LOG_DEBUG: return "debug";
	case LAB_LOG_INFO: return "info";
	case LAB_LOG_WARN: return "warn";
	case LAB_LOG_ERROR: return "error";
	}
	return "?";
}

int lab_log_level_parse(const char *s, enum lab_log_level *out)
{
	for (int l = LAB_LOG_DEBUG; l <= LAB_LOG_ERROR; l++) {
		if (s && strcmp(s, lab_log_level_name(l)) == 0) {
			*out = l;
			return 0;
		}
	}
	return -EINVAL;
}

void lab_log_set_level(enum lab_log_level l)
{
	log_threshold = l;
}

void lab_log(enum lab_log_level level, const char *fmt, ...)
{
	char line[LAB_LOG_LINE_MAX];
	struct timespec ts;
	struct tm tm;
	va_list ap;
	size_t n;
	int r;

	if ((int)level < log_threshold)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	n = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%S", &tm);
	r = snprintf(line + n, sizeof(line) - n, ".%03ldZ %-5s ",
		     ts.tv_nsec / 1000000, lab_log_level_name(level));
	if (r > 0)
		n += (size_t)r;
	va_start(ap, fmt);
	r = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	if (r > 0)
		n += (size_t)r < sizeof(line) - n ? (size_t)r : sizeof(line) - n - 1;
	if (n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	if (n == 0 || line[n - 1] != '\n')
		line[n++] = '\n';
	/* one write: lines of different threads never interleave */
	if (write(STDERR_FILENO, line, n) < 0)
		return;
}
