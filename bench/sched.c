/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched.c - lab-bench-sched: the cost of one scheduling pass.
 *
 * Purpose: time lab_sched_order() + lab_sched_pick() (server/sched.c, the
 * pure decision the scheduler thread makes every pass) over --jobs queued
 * jobs (default 10,000) spread over --targets targets (default 500) with
 * mixed priorities, concurrency 1-4, a few unusable targets, some targets
 * already full and 2 host QEMU slots (LAVA targets take none). Each pass
 * starts from the same input (copied, untimed), so every pass does the same
 * work. Prints cold, median, p99 and max over --passes passes, and the
 * number of jobs picked (must be > 0 and equal in every pass).
 *
 * Errors: exit 1 if the picks are not the same every pass; 2 for usage.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gen.h"
#include "sched.h"

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "jobs", required_argument, NULL, 'j' }, { "targets", required_argument, NULL, 't' },
		{ "passes", required_argument, NULL, 'p' }, { "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 } };
	long njobs = 10000, ntargets = 500, passes = 200;
	struct lab_sched_cand *c0, *c;
	struct lab_sched_slot *s0, *s;
	struct gen_rng rng = { 42 };
	size_t *picked, npicked = 0, first = 0;
	double *t;
	int opt;

	while ((opt = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (opt) {
		case 'j': njobs = atol(optarg); break;
		case 't': ntargets = atol(optarg); break;
		case 'p': passes = atol(optarg); break;
		case 'h':
			printf("usage: lab-bench-sched [--jobs N (10000)] [--targets N (500)] "
			       "[--passes N (200)]\n");
			return 0;
		default:
			return 2;
		}
	}
	if (njobs < 1 || ntargets < 1 || passes < 2) {
		fprintf(stderr, "lab-bench-sched: --jobs/--targets >= 1, --passes >= 2\n");
		return 2;
	}
	c0 = calloc((size_t)njobs, sizeof(*c0));
	c = calloc((size_t)njobs, sizeof(*c));
	s0 = calloc((size_t)ntargets, sizeof(*s0));
	s = calloc((size_t)ntargets, sizeof(*s));
	picked = calloc((size_t)njobs, sizeof(*picked));
	t = calloc((size_t)passes, sizeof(*t));
	if (!c0 || !c || !s0 || !s || !picked || !t)
		return 1;
	for (long i = 0; i < ntargets; i++) {
		s0[i].concurrency = 1 + (int)gen_below(&rng, 4);
		s0[i].running = i % 5 == 0 ? s0[i].concurrency : (int)gen_below(&rng, 2);
		if (s0[i].running > s0[i].concurrency)
			s0[i].running = s0[i].concurrency;
		s0[i].usable = i % 37 != 0;
		s0[i].local = i % 3 == 0;
	}
	for (long i = 0; i < njobs; i++) {
		c0[i].job_id = i + 1;
		c0[i].priority = (int)gen_below(&rng, 5) * 10 - 20;
		c0[i].slot = gen_below(&rng, (uint32_t)ntargets);
	}
	for (long p = 0; p < passes; p++) {
		int host_free = 2;
		double t0;
		size_t n;

		memcpy(c, c0, sizeof(*c) * (size_t)njobs);
		memcpy(s, s0, sizeof(*s) * (size_t)ntargets);
		t0 = gen_now();
		lab_sched_order(c, (size_t)njobs);
		n = lab_sched_pick(c, (size_t)njobs, s, (size_t)ntargets, &host_free, picked,
				   (size_t)njobs);
		t[p] = gen_now() - t0;
		if (p == 0)
			first = n;
		else if (n != first) {
			fprintf(stderr, "lab-bench-sched: pass %ld picked %zu, pass 0 picked %zu\n",
				p, n, first);
			return 1;
		}
		npicked = n;
	}
	if (!npicked) {
		fprintf(stderr, "lab-bench-sched: no job picked: the input is wrong\n");
		return 1;
	}
	{
		double cold = t[0];

		qsort(t + 1, (size_t)passes - 1, sizeof(double), cmp_double);
		printf("sched: %ld jobs x %ld targets: %zu picked; order+pick cold %.3f ms, "
		       "median %.3f ms, p99 %.3f ms, max %.3f ms (%ld passes)\n", njobs, ntargets,
		       npicked, cold * 1e3, t[1 + (passes - 1) / 2] * 1e3,
		       t[1 + (size_t)((passes - 2) * 0.99)] * 1e3, t[passes - 1] * 1e3, passes);
		printf("BENCH sched_pass_ms=%.3f sched_pass_p99_ms=%.3f\n",
		       t[1 + (passes - 1) / 2] * 1e3, t[1 + (size_t)((passes - 2) * 0.99)] * 1e3);
	}
	free(c0); free(c); free(s0); free(s); free(picked); free(t);
	return 0;
}
