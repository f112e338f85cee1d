/*
 * ktap.c - KTAP and LAVA signal lines (see ktap.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ktap.h"
#include "record.h"

static void flatten(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

static int emit(int fd, const char *buf, int n, size_t cap)
{
	if (n < 0)
		return -EINVAL;
	if ((size_t)n >= cap)
		n = (int)cap - 1;	/* cut long diagnostics, keep the newline below */
	return lab_record_write(fd, buf, (size_t)n);
}

int lab_ktap_header(int fd, int planned)
{
	char buf[64];
	int n = snprintf(buf, sizeof(buf), "KTAP version 1\n1..%d\n", planned);

	return emit(fd, buf, n, sizeof(buf));
}

int lab_ktap_diag(int fd, const char *fmt, ...)
{
	char msg[1024], buf[1100];
	va_list ap;
	int n;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	flatten(msg);
	n = snprintf(buf, sizeof(buf), "# %s\n", msg);
	if (n >= (int)sizeof(buf)) {
		buf[sizeof(buf) - 2] = '\n';
		n = (int)sizeof(buf) - 1;
	}
	return emit(fd, buf, n, sizeof(buf));
}

int lab_ktap_result(int fd, int num, const char *id, enum lab_verdict v, const char *reason)
{
	char why[512], buf[800];
	int n = 0;

	snprintf(why, sizeof(why), "%s", reason ? reason : "");
	flatten(why);
	switch (v) {
	case LAB_VERDICT_PASS:
		n = snprintf(buf, sizeof(buf), "ok %d %s\n", num, id);
		break;
	case LAB_VERDICT_SKIP:
		n = snprintf(buf, sizeof(buf), "ok %d %s # SKIP %s\n", num, id, why);
		break;
	case LAB_VERDICT_FAIL:
		n = snprintf(buf, sizeof(buf), "# %s: %s\nnot ok %d %s\n", id, why, num, id);
		break;
	case LAB_VERDICT_ERROR:
		n = snprintf(buf, sizeof(buf), "# %s: error: %s\nnot ok %d %s # ERROR\n", id, why,
			     num, id);
		break;
	case LAB_VERDICT_CRASH:
	case LAB_VERDICT_WARN:
		n = snprintf(buf, sizeof(buf), "# %s: %s: %s\nnot ok %d %s\n", id,
			     lab_verdict_name(v), why, num, id);
		break;
	}
	return emit(fd, buf, n, sizeof(buf));
}

int lab_ktap_lava(int fd, const char *id, enum lab_verdict v, int measurement)
{
	const char *res = "unknown";
	char buf[256];
	int n;

	switch (v) {
	case LAB_VERDICT_PASS: res = "pass"; break;
	case LAB_VERDICT_FAIL: res = "fail"; break;
	case LAB_VERDICT_SKIP: res = "skip"; break;
	case LAB_VERDICT_ERROR: res = "unknown"; break;
	case LAB_VERDICT_CRASH:
	case LAB_VERDICT_WARN: res = "fail"; break;
	}
	n = snprintf(buf, sizeof(buf),
		     "<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=%s RESULT=%s MEASUREMENT=%d UNITS=errno>\n",
		     id, res, measurement);
	return emit(fd, buf, n, sizeof(buf));
}
