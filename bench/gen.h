/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gen.h - deterministic generator of realistic agent results for the
 * benchmarks (ingest.c, history.c). Header-only: every function is static.
 *
 * Purpose: one place that decides what a "typical" iommulab result looks
 * like, so the ingest benchmark and the 10M-row history store the same kind
 * of rows: 150 cases over the areas the agent has (kmod, vfio, iommufd), a
 * steps array of 2-4 steps, and an errno/verdict mix close to a real lab
 * (mostly pass; attach answers 0, EINVAL, EBUSY, ENODEV, EOPNOTSUPP, ...;
 * a few percent skip/fail/error with a reason).
 *
 * Invariants: the output depends only on the seed/indices (xorshift64*), so
 * two runs generate identical data. Strings written into caller buffers are
 * always NUL-terminated and truncated to the buffer.
 *
 * Ownership: nothing is allocated; callers own every buffer.
 * Errors: none (pure functions).
 */
#ifndef LAB_BENCH_GEN_H
#define LAB_BENCH_GEN_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define GEN_CASES 150

struct gen_rng {
	uint64_t s;
};

static inline uint64_t gen_next(struct gen_rng *r)
{
	uint64_t x = r->s ? r->s : 0x9e3779b97f4a7c15ull;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	r->s = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* uniform in [0, n) */
static inline uint32_t gen_below(struct gen_rng *r, uint32_t n)
{
	return (uint32_t)((gen_next(r) >> 32) % n);
}

static inline double gen_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const char *const gen_areas[] = { "kmod", "vfio", "iommufd" };
static const char *const gen_groups[] = { "attach", "reuse", "detach", "map", "pasid" };

/* case i (0..GEN_CASES-1) -> "area.group.caseNN" */
static inline void gen_case_id(unsigned i, char *buf, size_t n)
{
	snprintf(buf, n, "%s.%s.case%02u", gen_areas[i % 3], gen_groups[(i / 3) % 5],
		 i / 15);
}

struct gen_errno {
	int e;
	const char *name;
};

/* weights per 1000 of the observed errno of a case */
static const struct {
	struct gen_errno v;
	unsigned w;
} gen_errnos[] = {
	{ { 0, "OK" }, 610 },
	{ { 22, "EINVAL" }, 170 },
	{ { 16, "EBUSY" }, 60 },
	{ { 19, "ENODEV" }, 50 },
	{ { 95, "EOPNOTSUPP" }, 60 },
	{ { 12, "ENOMEM" }, 20 },
	{ { 1, "EPERM" }, 15 },
	{ { 28, "ENOSPC" }, 15 },
};

/* the "character" of a case: its usual errno (stable across runs) */
static inline struct gen_errno gen_case_errno(unsigned case_idx)
{
	struct gen_rng r = { 0x1234567ull + case_idx * 7919ull };
	uint32_t x = gen_below(&r, 1000), acc = 0;

	for (size_t i = 0; i < sizeof(gen_errnos) / sizeof(gen_errnos[0]); i++) {
		acc += gen_errnos[i].w;
		if (x < acc)
			return gen_errnos[i].v;
	}
	return gen_errnos[0].v;
}

struct gen_result {
	char case_id[64];
	const char *driver;
	char iommu[16];
	char steps[256];
	int observed;
	const char *observed_name;
	int expected;		/* -1 = null */
	const char *expected_name;
	const char *contract;
	const char *verdict;	/* pass|fail|skip|error */
	int verdict_code;	/* enum lab_verdict */
	const char *reason;
	int reused;		/* -1 null */
	const char *verified;
	int64_t duration_us;
	int repeat;
};

static const char *const gen_drivers[] = { "intel-iommu", "amd-iommu", "virtio-iommu",
	"arm-smmu-v3", "s390-iommu" };

/* one result of case @case_idx on a target using driver @drv, run @run */
static inline void gen_result(struct gen_rng *r, unsigned case_idx, unsigned drv,
			      int repeat, struct gen_result *g)
{
	struct gen_errno ce = gen_case_errno(case_idx);
	uint32_t x = gen_below(r, 1000);

	memset(g, 0, sizeof(*g));
	gen_case_id(case_idx, g->case_id, sizeof(g->case_id));
	g->driver = gen_drivers[drv % 5];
	snprintf(g->iommu, sizeof(g->iommu), "%s0", drv % 5 == 0 ? "dmar" :
		 drv % 5 == 1 ? "ivhd" : drv % 5 == 2 ? "viommu" : "smmu");
	g->observed = ce.e;
	g->observed_name = ce.name;
	g->expected = ce.e;
	g->expected_name = ce.name;
	g->contract = case_idx % 4 ? ">=6.2:any" : "<6.2:intel-iommu";
	g->verdict = "pass";
	g->verdict_code = 0;
	g->reason = "";
	g->reused = gen_groups[(case_idx / 3) % 5][0] == 'r' ? (int)(x & 1) : -1;
	g->verified = ce.e == 0 ? (x & 2 ? "dma" : "core") : "none";
	g->duration_us = 200 + gen_below(r, 50000);
	g->repeat = repeat;
	if (x < 60) {			/* 6% skip: capability missing */
		g->verdict = "skip";
		g->verdict_code = 2;
		g->expected = -1;
		g->expected_name = NULL;
		g->observed = 0;
		g->observed_name = "OK";
		g->reason = "no /dev/iommu: kernel without IOMMUFD";
	} else if (x < 90) {		/* 3% fail: a different errno */
		g->verdict = "fail";
		g->verdict_code = 1;
		g->observed = ce.e == 22 ? 95 : 22;
		g->observed_name = ce.e == 22 ? "EOPNOTSUPP" : "EINVAL";
		g->reason = "observed errno differs from the contract";
	} else if (x < 100) {		/* 1% error */
		g->verdict = "error";
		g->verdict_code = 3;
		g->observed = 5;
		g->observed_name = "EIO";
		g->reason = "setup failed: VFIO_GROUP_SET_CONTAINER returned EIO";
	}
	snprintf(g->steps, sizeof(g->steps),
		 "[{\"name\":\"alloc\",\"errno\":0,\"err\":\"OK\"},"
		 "{\"name\":\"attach\",\"errno\":%d,\"err\":\"%s\"}%s]",
		 g->observed, g->observed_name,
		 g->observed == 0 ? ",{\"name\":\"detach\",\"errno\":0,\"err\":\"OK\"}" : "");
}

/* the record object (docs/records.md) as JSON text; returns its length */
static inline int gen_record_json(const struct gen_result *g, const char *target,
				  const char *kernel, char *buf, size_t n)
{
	char exp[64], expn[32], reused[8];

	if (g->expected >= 0) {
		snprintf(exp, sizeof(exp), "%d", g->expected);
		snprintf(expn, sizeof(expn), "\"%s\"", g->expected_name);
	} else {
		strcpy(exp, "null");
		strcpy(expn, "null");
	}
	snprintf(reused, sizeof(reused), "%s", g->reused < 0 ? "null" : g->reused ? "true" : "false");
	return snprintf(buf, n,
		"{\"v\":1,\"id\":\"%s\",\"target\":\"%s\",\"kernel\":\"%s\",\"arch\":\"x86_64\","
		"\"driver\":\"%s\",\"iommu\":\"%s\",\"steps\":%s,\"observed\":%d,"
		"\"observed_name\":\"%s\",\"expected\":%s,\"expected_name\":%s,"
		"\"contract\":\"%s\",\"verdict\":\"%s\",\"reason\":\"%s\",\"reused\":%s,"
		"\"verified\":\"%s\",\"duration_us\":%lld,\"repeat\":%d}",
		g->case_id, target, kernel, g->driver, g->iommu, g->steps, g->observed,
		g->observed_name, exp, expn, g->contract, g->verdict, g->reason, reused,
		g->verified, (long long)g->duration_us, g->repeat);
}

#endif /* LAB_BENCH_GEN_H */
