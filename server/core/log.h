/* SPDX-License-Identifier: GPL-2.0 */
/*
 * log.h - the server's diagnostic log: one line per message on stderr.
 *
 * Purpose: every server module reports what it does and what went wrong
 * through lab_log(). A line is "2026-11-21T14:05:06.123Z LEVEL message\n".
 *
 * Invariants: each message is written with one write(2), so lines from
 * different threads never interleave. Messages below the threshold
 * (lab_log_set_level, default INFO) are dropped. Messages longer than
 * LAB_LOG_LINE_MAX bytes are truncated. A trailing newline in @fmt is not
 * needed (one is added; an existing one is not doubled).
 *
 * Ownership: nothing is retained. Errors: logging never fails loudly.
 */
#ifndef LAB_LOG_H
#define LAB_LOG_H

#define LAB_LOG_LINE_MAX 4096

enum lab_log_level {
	LAB_LOG_DEBUG = 0,
	LAB_LOG_INFO = 1,
	LAB_LOG_WARN = 2,
	LAB_LOG_ERROR = 3,
};

const char *lab_log_level_name(enum lab_log_level l);
/* "debug", "info", "warn", "error" -> 0, else -EINVAL */
int lab_log_level_parse(const char *s, enum lab_log_level *out);
void lab_log_set_level(enum lab_log_level l);
void lab_log(enum lab_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define lab_debug(...) lab_log(LAB_LOG_DEBUG, __VA_ARGS__)
#define lab_info(...)  lab_log(LAB_LOG_INFO, __VA_ARGS__)
#define lab_warn(...)  lab_log(LAB_LOG_WARN, __VA_ARGS__)
#define lab_error(...) lab_log(LAB_LOG_ERROR, __VA_ARGS__)

#endif /* LAB_LOG_H */
