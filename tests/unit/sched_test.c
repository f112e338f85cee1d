/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched_test.c - cmocka unit tests of the scheduler's pure decision
 * (lab_sched_pick, lab_sched_order) and of target matching (lab_sched_match).
 * Built and run by tests/stages/50-sched-runner.sh against $O/libiommulab.a.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <errno.h>
#include <cmocka.h>

#include "sched.h"

static struct lab_sched_slot slot(int conc, int running, int local)
{
	struct lab_sched_slot s = { .concurrency = conc, .running = running,
				    .usable = true, .local = local };
	return s;
}

static void test_priority_order(void **state)
{
	struct lab_sched_cand c[] = {
		{ 5, 0, 0 }, { 3, 10, 0 }, { 4, 10, 0 }, { 1, -5, 0 }, { 2, 0, 0 },
	};
	struct lab_sched_slot s[] = { slot(2, 0, 1) };
	size_t picked[8];
	int host = 8;
	size_t n;

	(void)state;
	lab_sched_order(c, 5);
	assert_int_equal(c[0].job_id, 3);	/* prio 10, lower id first */
	assert_int_equal(c[1].job_id, 4);
	assert_int_equal(c[2].job_id, 2);	/* prio 0, id 2 before 5 */
	assert_int_equal(c[3].job_id, 5);
	assert_int_equal(c[4].job_id, 1);
	n = lab_sched_pick(c, 5, s, 1, &host, picked, 8);
	assert_int_equal(n, 2);			/* target concurrency 2 */
	assert_int_equal(c[picked[0]].job_id, 3);
	assert_int_equal(c[picked[1]].job_id, 4);
	assert_int_equal(s[0].running, 2);
	assert_int_equal(host, 6);
}

static void test_per_target_concurrency(void **state)
{
	/* target 0 is full: its high-priority jobs must not block target 1 */
	struct lab_sched_cand c[] = {
		{ 1, 9, 0 }, { 2, 9, 0 }, { 3, 1, 1 }, { 4, 1, 1 }, { 5, 1, 1 },
	};
	struct lab_sched_slot s[] = { slot(1, 1, 1), slot(2, 0, 1) };
	size_t picked[8];
	int host = 8;
	size_t n = lab_sched_pick(c, 5, s, 2, &host, picked, 8);

	(void)state;
	assert_int_equal(n, 2);
	assert_int_equal(c[picked[0]].job_id, 3);
	assert_int_equal(c[picked[1]].job_id, 4);
	assert_int_equal(s[0].running, 1);
	assert_int_equal(s[1].running, 2);
}

static void test_global_concurrency(void **state)
{
	/* 4 local targets, 2 host slots; a LAVA target is not limited by them */
	struct lab_sched_cand c[] = {
		{ 1, 5, 0 }, { 2, 5, 1 }, { 3, 5, 2 }, { 4, 5, 3 }, { 5, 1, 4 }, { 6, 1, 4 },
	};
	struct lab_sched_slot s[] = { slot(1, 0, 1), slot(1, 0, 1), slot(1, 0, 1),
				      slot(1, 0, 1), slot(4, 0, 0) };
	size_t picked[8];
	int host = 2;
	size_t n = lab_sched_pick(c, 6, s, 5, &host, picked, 8);

	(void)state;
	assert_int_equal(n, 4);
	assert_int_equal(c[picked[0]].job_id, 1);
	assert_int_equal(c[picked[1]].job_id, 2);
	assert_int_equal(c[picked[2]].job_id, 5);
	assert_int_equal(c[picked[3]].job_id, 6);
	assert_int_equal(host, 0);
	/* no host slot at all: nothing local starts */
	host = 0;
	s[0].running = 0;
	n = lab_sched_pick(c, 4, s, 5, &host, picked, 8);
	assert_int_equal(n, 0);
}

static void test_unusable_and_bounds(void **state)
{
	struct lab_sched_cand c[] = { { 1, 0, 0 }, { 2, 0, 7 }, { 3, 0, 1 } };
	struct lab_sched_slot s[] = { slot(4, 0, 1), slot(4, 0, 1) };
	size_t picked[8];
	int host = 4;
	size_t n;

	(void)state;
	s[0].usable = false;
	n = lab_sched_pick(c, 3, s, 2, &host, picked, 8);
	assert_int_equal(n, 1);
	assert_int_equal(c[picked[0]].job_id, 3);
	/* max_picked bounds the output */
	s[0].usable = true;
	s[1].running = 0;
	host = 4;
	n = lab_sched_pick(c, 3, s, 2, &host, picked, 1);
	assert_int_equal(n, 1);
	assert_int_equal(c[picked[0]].job_id, 1);
}

static void test_big_pass(void **state)
{
	/* 10,000 jobs x 500 targets: one pass must be linear and fast */
	enum { NJ = 10000, NT = 500 };
	struct lab_sched_cand *c = calloc(NJ, sizeof(*c));
	struct lab_sched_slot *s = calloc(NT, sizeof(*s));
	size_t *picked = calloc(NJ, sizeof(*picked));
	struct timespec t0, t1;
	size_t i, n, total = 0;
	int host, pass;
	double us;

	(void)state;
	assert_non_null(c);
	assert_non_null(s);
	assert_non_null(picked);
	for (i = 0; i < NJ; i++) {
		c[i].job_id = (int64_t)i + 1;
		c[i].priority = (int)(i * 7919 % 5);
		c[i].slot = (uint32_t)(i * 104729 % NT);
	}
	for (i = 0; i < NT; i++)
		s[i] = slot(1 + (int)(i % 3), 0, i % 10 != 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	lab_sched_order(c, NJ);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("# lab_sched_order: %d jobs: %.1f us\n", NJ,
	       ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (pass = 0; pass < 100; pass++) {
		for (i = 0; i < NT; i++)
			s[i].running = 0;
		host = 2;
		n = lab_sched_pick(c, NJ, s, NT, &host, picked, NJ);
		total += n;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	us = ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / 1e3 / 100;
	/* 2 host slots + the 50 remote targets' capacity (1+2+3... per i%3) */
	{
		size_t remote = 0;

		for (i = 0; i < NT; i += 10)
			remote += 1 + i % 3;
		assert_int_equal(n, 2 + remote);
	}
	/* the first picks are the highest priority */
	assert_int_equal(c[picked[0]].priority, 4);
	printf("# lab_sched_pick: %d jobs x %d targets: %.1f us per pass (%zu picks)\n",
	       NJ, NT, us, total / 100);
	assert_true(us < 20000.0);	/* generous: a linear pass takes ~100 us */
	free(c);
	free(s);
	free(picked);
}

static int ref_cmp(const void *a, const void *b)
{
	const struct lab_sched_cand *x = a, *y = b;

	if (x->priority != y->priority)
		return x->priority > y->priority ? -1 : 1;
	return x->job_id < y->job_id ? -1 : x->job_id > y->job_id;
}

static void test_order_linear_matches_qsort(void **state)
{
	enum { N = 10000 };
	struct lab_sched_cand *a = calloc(N, sizeof(*a)), *b = calloc(N, sizeof(*b));
	unsigned r = 12345;
	size_t i;
	int round;

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	for (round = 0; round < 3; round++) {
		for (i = 0; i < N; i++) {
			r = r * 1103515245u + 12345u;
			a[i].job_id = (int64_t)i * 3 + 1;	/* ascending: linear path */
			a[i].priority = (int)(r >> 8) % 2001 - 1000;
			if (round == 1)
				a[i].priority %= 3;		/* few distinct values */
			if (round == 2 && i == N / 2)
				a[i].priority = 5000;		/* out of range: qsort path */
			a[i].slot = (uint32_t)(r % 500);
		}
		memcpy(b, a, N * sizeof(*a));
		lab_sched_order(a, N);
		qsort(b, N, sizeof(*b), ref_cmp);
		for (i = 0; i < N; i++) {
			assert_int_equal(a[i].job_id, b[i].job_id);
			assert_int_equal(a[i].priority, b[i].priority);
			assert_int_equal(a[i].slot, b[i].slot);
		}
	}
	free(a);
	free(b);
}

static struct lab_target tgt(const char *name, const char *driver, const char *tags,
			     const char *health)
{
	struct lab_target t = { .name = (char *)name, .arch = "x86_64",
				.backend = "qemu", .vendor = "intel",
				.driver = (char *)driver, .tags = (char *)tags,
				.health = (char *)health, .concurrency = 1 };
	return t;
}

static void test_match(void **state)
{
	struct lab_target vtd = tgt("q35-vtd", "intel-iommu", "[\"vtd\",\"aw48\"]", "good");
	struct lab_target amd = tgt("q35-amd", "amd-iommu", "[\"amd\"]", "unknown");
	struct lab_target old = tgt("q35-old", "intel-iommu", "[]", "retired");

	(void)state;
	assert_int_equal(lab_sched_match("q35-vtd", &vtd), 1);
	assert_int_equal(lab_sched_match("q35-vtd", &amd), 0);
	assert_int_equal(lab_sched_match("q35-*", &amd), 1);
	assert_int_equal(lab_sched_match("all", &amd), 1);
	assert_int_equal(lab_sched_match("*", &vtd), 1);
	assert_int_equal(lab_sched_match("driver=intel-iommu", &vtd), 1);
	assert_int_equal(lab_sched_match("driver=intel-iommu", &amd), 0);
	assert_int_equal(lab_sched_match("driver=intel-iommu|amd-iommu", &amd), 1);
	assert_int_equal(lab_sched_match("arch=x86_64,vendor=intel", &vtd), 1);
	assert_int_equal(lab_sched_match("arch=x86_64,tag=vtd", &vtd), 1);
	assert_int_equal(lab_sched_match("arch=x86_64,tag=vtd", &amd), 0);
	assert_int_equal(lab_sched_match("tag=aw*", &vtd), 1);
	assert_int_equal(lab_sched_match("arch=arm64", &vtd), 0);
	assert_int_equal(lab_sched_match("all", &old), 0);	/* retired */
	assert_int_equal(lab_sched_match("", &vtd), -EINVAL);
	assert_int_equal(lab_sched_match("colour=red", &vtd), -EINVAL);
	assert_int_equal(lab_sched_match("name=", &vtd), -EINVAL);
	assert_int_equal(lab_sched_match("a,,b", &vtd), -EINVAL);
	assert_int_equal(lab_sched_match("name=x;rm", &vtd), -EINVAL);
	assert_int_equal(lab_sched_match_check("driver=a|b,tag=c"), 0);
	assert_int_equal(lab_sched_match_check("driver=a|,tag=c"), -EINVAL);
}

/* the one comma-separated glob list rule (plans' case filters, known
 * issues' case and target globs, subscriptions' case globs) */
static void test_globs_match(void **state)
{
	char longglob[600];

	(void)state;
	assert_true(lab_globs_match(NULL, "vfio.attach.x"));
	assert_true(lab_globs_match("", "vfio.attach.x"));
	assert_true(lab_globs_match("kmod.*,vfio.*", "vfio.attach.x"));
	assert_false(lab_globs_match("kmod.*,iommufd.*", "vfio.attach.x"));
	assert_true(lab_globs_match(",vfio.*", "vfio.attach.x"));	/* empty one skipped */
	assert_false(lab_globs_match(",", "vfio.attach.x"));		/* only empty ones */
	assert_true(lab_globs_match("*", NULL));			/* NULL is "" */
	assert_false(lab_globs_match("q35-*", NULL));
	memset(longglob, '*', sizeof(longglob) - 1);
	longglob[sizeof(longglob) - 1] = '\0';
	assert_false(lab_globs_match(longglob, "x"));	/* never truncated */
	assert_true(lab_case_filter_match("kmod.*", "kmod.attach.a"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_priority_order),
		cmocka_unit_test(test_per_target_concurrency),
		cmocka_unit_test(test_global_concurrency),
		cmocka_unit_test(test_unusable_and_bounds),
		cmocka_unit_test(test_big_pass),
		cmocka_unit_test(test_order_linear_matches_qsort),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_globs_match),
	};

	return cmocka_run_group_tests_name("sched", tests, NULL, NULL);
}
