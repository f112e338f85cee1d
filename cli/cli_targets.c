/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli_targets.c - `iommulab targets state|check|health`: a target's admin
 * state, health checks and health history (/api/v1/targets/NAME/...,
 * server/flows/health.h).
 *
 *   targets state NAME active|maintenance|retired [--reason TEXT]
 *   targets check NAME [--kernel K] [--filter GLOB]   queue a health check
 *   targets health NAME [--json]                      health, state, history
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static void print_health(json_t *h)
{
	json_t *e;
	size_t i;

	printf("target %s: health %s, state %s\n", jstr(h, "target", "?"), jstr(h, "health", "?"),
	       jstr(h, "state", "?"));
	json_array_foreach(json_object_get(h, "history"), i, e) {
		time_t t = (time_t)jint(e, "at", 0);
		char when[32];
		struct tm tm;

		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
		printf("  %s  %-18s -> %-8s", when, jstr(e, "event", "?"), jstr(e, "health", "-"));
		if (jint(e, "job", 0))
			printf(" job %lld", jint(e, "job", 0));
		if (json_is_string(json_object_get(e, "by")))
			printf(" by %s", jstr(e, "by", ""));
		if (json_is_string(json_object_get(e, "reason")))
			printf(": %s", jstr(e, "reason", ""));
		putchar('\n');
	}
}

static const char *target_arg(int argc, char **argv)
{
	if (optind >= argc)
		die_usage("a target name is required");
	return argv[optind];
}

int cmd_targets_health(struct cli *c, int argc, char **argv)
{
	char path[256], esc[200];
	bool json = argc > 2 && !strcmp(argv[2], "--json");
	json_t *h;

	optind = 1;
	qesc(esc, sizeof(esc), target_arg(argc, argv));
	snprintf(path, sizeof(path), "/api/v1/targets/%s/health", esc);
	h = get_json(c, path);
	if (json)
		print_json(h);
	else
		print_health(h);
	json_decref(h);
	return CLI_OK;
}

int cmd_targets_state(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *body = json_object(), *h;
	char path[256], esc[200];
	long st;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != 'r')
			die_usage("bad option for targets state");
		json_object_set_new(body, "reason", json_string(optarg));
	}
	if (optind + 2 != argc)
		die_usage("usage: iommulab targets state NAME active|maintenance|retired [--reason TEXT]");
	qesc(esc, sizeof(esc), argv[optind]);
	json_object_set_new(body, "state", json_string(argv[optind + 1]));
	snprintf(path, sizeof(path), "/api/v1/targets/%s/state", esc);
	st = request(c, "POST", path, body, &h, false);
	json_decref(body);
	if (st < 200 || st >= 300) {
		json_decref(h);
		return CLI_FAIL;
	}
	print_health(h);
	json_decref(h);
	return CLI_OK;
}

int cmd_targets_check(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "filter", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *body = json_object(), *r;
	char path[256], esc[200];
	long st;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'k': json_object_set_new(body, "kernel", json_string(optarg)); break;
		case 'f': json_object_set_new(body, "cases", json_string(optarg)); break;
		default: die_usage("bad option for targets check");
		}
	}
	if (optind + 1 != argc)
		die_usage("usage: iommulab targets check NAME [--kernel K] [--filter GLOB]");
	qesc(esc, sizeof(esc), argv[optind]);
	snprintf(path, sizeof(path), "/api/v1/targets/%s/check", esc);
	st = request(c, "POST", path, body, &r, false);
	json_decref(body);
	if (st < 200 || st >= 300) {
		json_decref(r);
		return CLI_FAIL;
	}
	printf("health check of %s queued: job %lld\n", jstr(r, "target", "?"), jint(r, "job", 0));
	json_decref(r);
	return CLI_OK;
}
