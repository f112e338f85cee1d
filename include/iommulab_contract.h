/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iommulab_contract.h - which contract rule applies to (kernel release,
 * IOMMU driver), shared by the on-target agent (agent/contract.c judges a
 * case against the rules compiled into it) and the server
 * (server/core/judge.c judges a record against the rules it stores), so
 * that both pick the same rule by one implementation.
 *
 * A contract is a list of rules; each says which errno a kernel release
 * range and driver must return. The catalogue's "contracts" array
 * (agent -l -j, docs/server.md "Verdicts") carries them to the server.
 *
 * Selection rule: among the rules whose range contains the kernel
 * (kernel_min <= K < kernel_max_excl, NULL = unbounded), a rule naming the
 * driver wins over an "any" rule; among equals the first listed wins.
 * Releases compare numerically on their leading dotted numbers (at most
 * three, each <= 1000000), so "6.1.0-56-amd64" is 6.1.0 and sorts below
 * "6.2"; "6.12.117+deb12-amd64" is 6.12.117.
 *
 * Invariants:
 *  - A list ends at the first rule whose driver is NULL.
 *  - Header only, libc only (<ctype.h>, <errno.h>, <stdio.h>, <string.h>):
 *    nothing here allocates, logs or depends on either side.
 *
 * Ownership: rules and their strings belong to the caller (the agent's
 * static case tables; the server's parsed contract, judge.h); a picked rule
 * points into the caller's list.
 * Errors: 0 or -errno (-ENOENT: no rule applies, -EINVAL: a release with
 * no leading number).
 */
#ifndef IOMMULAB_CONTRACT_H
#define IOMMULAB_CONTRACT_H

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct lab_contract {
	const char *kernel_min;		/* inclusive, NULL = no lower bound */
	const char *kernel_max_excl;	/* exclusive, NULL = no upper bound */
	const char *driver;		/* "intel-iommu", ... or "any"; NULL ends a list */
	int expected;			/* positive errno, 0 = success */
};

#define LAB_CONTRACT_VER_PARTS_ 3

/* leading "A.B.C" of release @s into @v (missing parts are 0) */
static inline int lab_contract_release_parse_(const char *s,
					      unsigned long v[LAB_CONTRACT_VER_PARTS_])
{
	memset(v, 0, sizeof(v[0]) * LAB_CONTRACT_VER_PARTS_);
	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	for (int i = 0; i < LAB_CONTRACT_VER_PARTS_; i++) {
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

/* compare two releases: <0, 0, >0 into *cmp; -EINVAL when one has no leading number */
static inline int lab_contract_vercmp(const char *a, const char *b, int *cmp)
{
	unsigned long va[LAB_CONTRACT_VER_PARTS_], vb[LAB_CONTRACT_VER_PARTS_];

	if (lab_contract_release_parse_(a, va) || lab_contract_release_parse_(b, vb))
		return -EINVAL;
	*cmp = 0;
	for (int i = 0; i < LAB_CONTRACT_VER_PARTS_ && !*cmp; i++)
		if (va[i] != vb[i])
			*cmp = va[i] < vb[i] ? -1 : 1;
	return 0;
}

/* 1 when @kernel lies in @c's range, 0 when not, -EINVAL on a bad release */
static inline int lab_contract_in_range(const struct lab_contract *c, const char *kernel)
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

/* the rule for (@kernel, @driver) from @list (may be NULL: no rules) into
 * *out: 0, -ENOENT none applies, -EINVAL bad input */
static inline int lab_contract_pick(const struct lab_contract *list, const char *kernel,
				    const char *driver, const struct lab_contract **out)
{
	const struct lab_contract *any = NULL, *c;
	int ret;

	*out = NULL;
	if (!kernel || !driver)
		return -EINVAL;
	for (c = list; c && c->driver; c++) {
		ret = lab_contract_in_range(c, kernel);
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

/* the rule's label, as records carry it: ">=6.2:any", "<6.2:intel-iommu",
 * ">=6.2,<6.6:any", "all:any" */
static inline void lab_contract_label(const struct lab_contract *c, char *buf, size_t len)
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

#undef LAB_CONTRACT_VER_PARTS_
#endif /* IOMMULAB_CONTRACT_H */
