/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli_plans.c - `iommulab plan submit|jobs|cancel|log|watch|results`:
 * queue a plan of kernel x target jobs and follow it through
 * /api/v1/plans, /api/v1/jobs and /api/v1/results (cli.h's helpers).
 *
 *   plan submit --kernel K... --target T...|--all-targets [...]  queue jobs
 *   jobs [--state S] [--plan N] [--kernel K] [--target T] [--limit N]
 *   cancel JOB / log JOB             kill a job / print its console log
 *   watch PLAN [--interval S] [--timeout S]   progress until all are final
 *   results --kernel K [...] | --job N        stored results, one per case
 *
 * Invariants: reads need no token, submit and cancel send it (request());
 * watch exits 1 when a job ends other than complete.
 * Ownership as cli.c says: every json_t here is decref'd by its getter.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

int cmd_plan_submit(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "target", required_argument, NULL, 't' },
		{ "all-targets", no_argument, NULL, 'a' },
		{ "filter", required_argument, NULL, 'f' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "kind", required_argument, NULL, 'K' },
		{ "name", required_argument, NULL, 'n' },
		{ "priority", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "max-attempts", required_argument, NULL, 'm' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *plan = json_object(), *kernels = json_array(), *targets = json_array();
	json_t *r = NULL;
	bool all = false, js = false;
	long st;
	int o;

	json_object_set_new(plan, "kind", json_string("manual"));
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'k': json_array_append_new(kernels, json_string(optarg)); break;
		case 't': json_array_append_new(targets, json_string(optarg)); break;
		case 'a': all = true; break;
		case 'f': json_object_set_new(plan, "cases", json_string(optarg)); break;
		case 'r':
			json_object_set_new(plan, "repeat",
					    json_integer(parse_long("--repeat", optarg, 1, 1000)));
			break;
		case 'K':
			if (strcmp(optarg, "manual") && strcmp(optarg, "nightly") &&
			    strcmp(optarg, "patch"))
				die_usage("--kind is manual, nightly or patch, not '%s'", optarg);
			json_object_set_new(plan, "kind", json_string(optarg));
			break;
		case 'n': json_object_set_new(plan, "name", json_string(optarg)); break;
		case 'p':
			json_object_set_new(plan, "priority",
					    json_integer(parse_long("--priority", optarg, -1000, 1000)));
			break;
		case 'T':
			json_object_set_new(plan, "timeout_s",
					    json_integer(parse_long("--timeout", optarg, 1, 86400)));
			break;
		case 'm':
			json_object_set_new(plan, "max_attempts",
					    json_integer(parse_long("--max-attempts", optarg, 1, 20)));
			break;
		case 'j': js = true; break;
		default: exit(CLI_USAGE);
		}
	}
	if (optind < argc)
		die_usage("plan submit: unexpected argument '%s'", argv[optind]);
	if (json_array_size(kernels) == 0)
		die_usage("plan submit needs at least one --kernel");
	if (all && json_array_size(targets))
		die_usage("give --target or --all-targets, not both");
	if (!all && json_array_size(targets) == 0)
		die_usage("plan submit needs --target NAME (repeatable) or --all-targets");
	json_object_set_new(plan, "kernels", kernels);
	if (!all)
		json_object_set_new(plan, "targets", targets);
	else
		json_decref(targets);

	st = request(c, "POST", "/api/v1/plans", plan, &r, false);
	json_decref(plan);
	if (st < 200 || st >= 300)
		return CLI_FAIL;
	if (js)
		print_json(r);
	else
		printf("plan %lld: %lld jobs queued\n", jint(r, "id", -1),
		       jint(r, "njobs", -1));
	json_decref(r);
	return CLI_OK;
}

int cmd_jobs(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "plan", required_argument, NULL, 'p' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "target", required_argument, NULL, 't' },
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	char path[1024] = "/api/v1/jobs?", q[256];
	long limit = 100;
	json_t *arr, *j;
	bool js = false;
	size_t i;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		size_t l = strlen(path);

		switch (o) {
		case 's':
		case 'k':
		case 't':
			qesc(q, sizeof(q), optarg);
			snprintf(path + l, sizeof(path) - l, "%s=%s&",
				 o == 's' ? "state" : o == 'k' ? "kernel" : "target", q);
			break;
		case 'p':
			snprintf(path + l, sizeof(path) - l, "plan=%ld&",
				 parse_long("--plan", optarg, 1, LONG_MAX));
			break;
		case 'l': limit = parse_long("--limit", optarg, 1, 1000000); break;
		case 'j': js = true; break;
		default: exit(CLI_USAGE);
		}
	}
	if (optind < argc)
		die_usage("jobs: unexpected argument '%s'", argv[optind]);
	path[strlen(path) - 1] = '\0';
	arr = get_all(c, path, (size_t)limit);
	while (json_array_size(arr) > (size_t)limit)
		json_array_remove(arr, json_array_size(arr) - 1);
	if (js) {
		print_json(arr);
		json_decref(arr);
		return CLI_OK;
	}
	printf("%-6s %-5s %-12s %-20s %-10s %-6s %s\n", "JOB", "PLAN", "KERNEL",
	       "TARGET", "STATE", "TRIES", "REASON");
	json_array_foreach(arr, i, j) {
		const char *reason = jstr(j, "reason", "");
		char tries[32];

		snprintf(tries, sizeof(tries), "%lld/%lld", jint(j, "attempts", 0),
			 jint(j, "max_attempts", 0));
		printf("%-6lld %-5lld %-12s %-20s %-10s %-6s %.*s\n", jint(j, "id", 0),
		       jint(j, "plan_id", 0), jstr(j, "kernel", "?"),
		       jstr(j, "target", "?"), jstr(j, "state", "?"), tries,
		       (int)strcspn(reason, "\n"), reason);
	}
	json_decref(arr);
	return CLI_OK;
}

int cmd_cancel(struct cli *c, int argc, char **argv)
{
	char path[128];
	json_t *r;
	long st, id;

	if (argc != 2)
		die_usage("usage: iommulab cancel JOB");
	id = parse_long("JOB", argv[1], 1, LONG_MAX);
	snprintf(path, sizeof(path), "/api/v1/jobs/%ld/cancel", id);
	st = request(c, "POST", path, NULL, &r, false);
	json_decref(r);
	if (st < 200 || st >= 300)
		return CLI_FAIL;
	printf("job %ld: cancel requested\n", id);
	return CLI_OK;
}

int cmd_log(struct cli *c, int argc, char **argv)
{
	char path[128];
	json_t *r;
	long id;

	if (argc != 2)
		die_usage("usage: iommulab log JOB");
	id = parse_long("JOB", argv[1], 1, LONG_MAX);
	snprintf(path, sizeof(path), "/api/v1/jobs/%ld/log", id);
	r = get_json(c, path);
	if (json_is_string(r))
		fputs(json_string_value(r), stdout);
	else
		print_json(r);
	json_decref(r);
	return CLI_OK;
}

/* counts of a plan's jobs by state, from GET /api/plans/N */
struct plan_counts {
	long long total, queued, scheduled, running, complete, incomplete, canceled;
};

static void plan_counts(json_t *plan, struct plan_counts *pc)
{
	json_t *js = json_object_get(plan, "jobs");
	json_t *counts = json_object_get(plan, "counts");
	const char *k;
	json_t *v;
	size_t i;

	memset(pc, 0, sizeof(*pc));
	if (!json_is_object(counts) && json_is_object(js))
		counts = js;
	if (json_is_object(counts)) {
		json_object_foreach(counts, k, v) {
			long long n = json_integer_value(v);

			if (!strcmp(k, "queued")) pc->queued += n;
			else if (!strcmp(k, "scheduled")) pc->scheduled += n;
			else if (!strcmp(k, "running")) pc->running += n;
			else if (!strcmp(k, "complete")) pc->complete += n;
			else if (!strcmp(k, "incomplete")) pc->incomplete += n;
			else if (!strcmp(k, "canceled")) pc->canceled += n;
		}
	} else if (json_is_array(js)) {
		json_array_foreach(js, i, v) {
			const char *s = jstr(v, "state", "");

			if (!strcmp(s, "queued")) pc->queued++;
			else if (!strcmp(s, "scheduled")) pc->scheduled++;
			else if (!strcmp(s, "running")) pc->running++;
			else if (!strcmp(s, "complete")) pc->complete++;
			else if (!strcmp(s, "incomplete")) pc->incomplete++;
			else if (!strcmp(s, "canceled")) pc->canceled++;
		}
	}
	pc->total = pc->queued + pc->scheduled + pc->running + pc->complete +
		    pc->incomplete + pc->canceled;
}

int cmd_watch(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	long interval = 2, timeout = 0, id;
	char path[128], last[256] = "";
	time_t t0 = time(NULL);
	bool tty = isatty(1);
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'i': interval = parse_long("--interval", optarg, 1, 3600); break;
		case 'T': timeout = parse_long("--timeout", optarg, 1, 7 * 86400); break;
		default: exit(CLI_USAGE);
		}
	}
	if (optind + 1 != argc)
		die_usage("usage: iommulab watch PLAN [--interval S] [--timeout S]");
	id = parse_long("PLAN", argv[optind], 1, LONG_MAX);
	snprintf(path, sizeof(path), "/api/v1/plans/%ld", id);
	for (;;) {
		struct plan_counts pc;
		char line[256];
		long long fin;
		json_t *r = get_json(c, path);

		plan_counts(r, &pc);
		json_decref(r);
		fin = pc.complete + pc.incomplete + pc.canceled;
		snprintf(line, sizeof(line),
			 "plan %ld: %lld/%lld final (complete %lld, incomplete %lld, canceled %lld;"
			 " running %lld, queued %lld) %lds",
			 id, fin, pc.total, pc.complete, pc.incomplete, pc.canceled,
			 pc.running + pc.scheduled, pc.queued, (long)(time(NULL) - t0));
		/* print on change (or every line on a terminal) */
		if (tty) {
			printf("\r%s\033[K", line);
			fflush(stdout);
		} else if (strncmp(line, last, strrchr(line, ')') - line)) {
			puts(line);
			fflush(stdout);
		}
		snprintf(last, sizeof(last), "%s", line);
		if (pc.total > 0 && fin == pc.total) {
			if (tty)
				putchar('\n');
			return pc.incomplete || pc.canceled ? CLI_FAIL : CLI_OK;
		}
		if (timeout && time(NULL) - t0 > timeout) {
			if (tty)
				putchar('\n');
			fprintf(stderr, "iommulab: watch: plan %ld not final after %lds\n",
				id, timeout);
			return CLI_FAIL;
		}
		sleep((unsigned)interval);
	}
}

int cmd_results(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "target", required_argument, NULL, 't' },
		{ "job", required_argument, NULL, 'J' },
		{ "verdict", required_argument, NULL, 'v' },
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *kernel = NULL, *target = NULL, *verdict = NULL;
	char path[1024] = "/api/v1/results?", q[256], b1[16], b2[16];
	long job = 0, limit = 100000;
	json_t *arr, *v;
	bool js = false;
	size_t i, l;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'k': kernel = optarg; break;
		case 't': target = optarg; break;
		case 'v': verdict = optarg; break;
		case 'J': job = parse_long("--job", optarg, 1, LONG_MAX); break;
		case 'l': limit = parse_long("--limit", optarg, 1, 10000000); break;
		case 'j': js = true; break;
		default: exit(CLI_USAGE);
		}
	}
	if (optind < argc)
		die_usage("results: unexpected argument '%s'", argv[optind]);
	if (!kernel && !job)
		die_usage("results needs --kernel K (and optionally --target T) or --job N");
	if (kernel) {
		qesc(q, sizeof(q), kernel);
		l = strlen(path);
		snprintf(path + l, sizeof(path) - l, "kernel=%s&", q);
	}
	if (target) {
		qesc(q, sizeof(q), target);
		l = strlen(path);
		snprintf(path + l, sizeof(path) - l, "target=%s&", q);
	}
	if (verdict) {
		qesc(q, sizeof(q), verdict);
		l = strlen(path);
		snprintf(path + l, sizeof(path) - l, "verdict=%s&", q);
	}
	if (job) {
		l = strlen(path);
		snprintf(path + l, sizeof(path) - l, "job=%ld&", job);
	}
	path[strlen(path) - 1] = '\0';
	arr = get_all(c, path, (size_t)limit);
	if (js) {
		print_json(arr);
		json_decref(arr);
		return CLI_OK;
	}
	printf("%-6s %-20s %-13s %-40s %-11s %-11s %s\n", "JOB", "TARGET", "DRIVER",
	       "CASE", "OBSERVED", "EXPECTED", "VERDICT");
	json_array_foreach(arr, i, v) {
		printf("%-6lld %-20s %-13s %-40s %-11s %-11s %s\n", jint(v, "job_id", 0),
		       jstr(v, "target", "?"), jstr(v, "driver", "?"),
		       jstr(v, "case", jstr(v, "case_id", "?")),
		       errname(json_object_get(v, "observed"), b1, sizeof(b1)),
		       errname(json_object_get(v, "expected"), b2, sizeof(b2)),
		       jstr(v, "verdict", "?"));
	}
	printf("%zu results\n", json_array_size(arr));
	json_decref(arr);
	return CLI_OK;
}
