/*
 * contract.c - contract selection, release comparison, verdicts (see contract.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "contract.h"
#include "errnames.h"

const char *lab_verdict_name(enum lab_verdict v)
{
	switch (v) {
	case LAB_VERDICT_PASS: return "pass";
	case LAB_VERDICT_FAIL: return "fail";
	case LAB_VERDICT_SKIP: return "skip";
	case LAB_VERDICT_ERROR: return "error";
	case LAB_VERDICT_CRASH: return "crash";
	case LAB_VERDICT_WARN: return "warn";
	}
	return "error";
}

#define VER_PARTS 3

/* leading "A.B.C" of a release into @v (missing parts are 0) */
static int parse_release(const char *s, unsigned long v[VER_PARTS])
{
	int i;

	memset(v, 0, sizeof(v[0]) * VER_PARTS);
	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	for (i = 0; i < VER_PARTS; i++) {
		unsigned long n = 0;

		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		while (isdigit((unsigned char)*s)) {
			n = n * 10 + (unsigned long)(*s - '0');
			if (n > 1000000)
				return -EINVAL;
			s++;
		}
		v[i] = n;
		if (*s != '.')
			break;
		s++;
	}
	return 0;
}

int lab_contract_vercmp(const char *a, const char *b, int *cmp)
{
	unsigned long va[VER_PARTS], vb[VER_PARTS];
	int i;

	if (parse_release(a, va) || parse_release(b, vb))
		return -EINVAL;
	*cmp = 0;
	for (i = 0; i < VER_PARTS; i++) {
		if (va[i] != vb[i]) {
			*cmp = va[i] < vb[i] ? -1 : 1;
			break;
		}
	}
	return 0;
}

/* 1 when @kernel lies in the entry's range, 0 when not, -EINVAL on bad input */
static int in_range(const struct lab_contract *c, const char *kernel)
{
	int cmp, ret;

	if (c->kernel_min) {
		ret = lab_contract_vercmp(kernel, c->kernel_min, &cmp);
		if (ret)
			return ret;
		if (cmp < 0)
			return 0;
	}
	if (c->kernel_max_excl) {
		ret = lab_contract_vercmp(kernel, c->kernel_max_excl, &cmp);
		if (ret)
			return ret;
		if (cmp >= 0)
			return 0;
	}
	return 1;
}

int lab_contract_pick(const struct lab_contract *list, const char *kernel,
		      const char *driver, const struct lab_contract **out)
{
	const struct lab_contract *any = NULL, *c;
	int ret;

	*out = NULL;
	if (!kernel || !driver)
		return -EINVAL;
	for (c = list; c && c->driver; c++) {
		ret = in_range(c, kernel);
		if (ret < 0)
			return ret;
		if (!ret)
			continue;
		if (strcmp(c->driver, driver) == 0) {
			*out = c;
			return 0;
		}
		if (!any && strcmp(c->driver, "any") == 0)
			any = c;
	}
	if (!any)
		return -ENOENT;
	*out = any;
	return 0;
}

void lab_contract_label(const struct lab_contract *c, char *buf, size_t len)
{
	const char *drv = c->driver ? c->driver : "any";

	if (c->kernel_min && c->kernel_max_excl)
		snprintf(buf, len, ">=%s,<%s:%s", c->kernel_min, c->kernel_max_excl, drv);
	else if (c->kernel_min)
		snprintf(buf, len, ">=%s:%s", c->kernel_min, drv);
	else if (c->kernel_max_excl)
		snprintf(buf, len, "<%s:%s", c->kernel_max_excl, drv);
	else
		snprintf(buf, len, "all:%s", drv);
}

enum lab_verdict lab_contract_judge(const struct lab_contract *c, int observed,
				    char *why, size_t len)
{
	if (!c) {
		snprintf(why, len, "no contract entry for this kernel and driver (observed %s)",
			 lab_errname(observed));
		return LAB_VERDICT_SKIP;
	}
	if (observed == c->expected) {
		if (len)
			why[0] = '\0';
		return LAB_VERDICT_PASS;
	}
	snprintf(why, len, "expected %s, got %s", lab_errname(c->expected),
		 lab_errname(observed));
	return LAB_VERDICT_FAIL;
}
