/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli_subscribe.c - `iommulab subscribe|subscriptions|deliveries`: webhooks
 * and maildir drafts for findings, infrastructure-failure storms, finished
 * patch checks and nightly regressions
 * (/api/v1/subscriptions, server/core/outbox.h, server/flows/deliver.h).
 *
 *   subscribe webhook URL --secret S | subscribe maildir DIR
 *             [--driver D] [--vendor V] [--case GLOB] [--events E,E]
 *   subscriptions                    the subscriptions (no secrets)
 *   deliveries SUB                   one's deliveries and every attempt
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_subscribe(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "secret", required_argument, NULL, 's' },
		{ "driver", required_argument, NULL, 'd' },
		{ "vendor", required_argument, NULL, 'v' },
		{ "case", required_argument, NULL, 'c' },
		{ "events", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *body = json_object(), *r;
	long st;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		const char *k = o == 's' ? "secret" : o == 'd' ? "driver" : o == 'v' ? "vendor" :
				o == 'c' ? "case" : o == 'e' ? "events" : NULL;

		if (!k)
			die_usage("bad option for subscribe");
		json_object_set_new(body, k, json_string(optarg));
	}
	if (optind + 2 != argc || (strcmp(argv[optind], "webhook") && strcmp(argv[optind], "maildir")))
		die_usage("usage: iommulab subscribe webhook URL --secret S | maildir DIR [filters]");
	json_object_set_new(body, "kind", json_string(argv[optind]));
	json_object_set_new(body, strcmp(argv[optind], "webhook") ? "maildir" : "url",
			    json_string(argv[optind + 1]));
	st = request(c, "POST", "/api/v1/subscriptions", body, &r, false);
	json_decref(body);
	if (st < 200 || st >= 300) {
		json_decref(r);
		return CLI_FAIL;
	}
	printf("subscription %lld: %s %s, events %s\n", jint(r, "id", 0), jstr(r, "kind", "?"),
	       jstr(r, "url", jstr(r, "maildir", "?")), jstr(r, "events", "?"));
	json_decref(r);
	return CLI_OK;
}

int cmd_subscriptions(struct cli *c, int argc, char **argv)
{
	json_t *r, *v;
	size_t i;

	(void)argc;
	(void)argv;
	c->auth_reads = true;	/* who is told what is the admin's */
	r = get_json(c, "/api/v1/subscriptions");
	json_array_foreach(json_object_get(r, "items"), i, v)
		printf("%-4lld %-8s %-40s events %s%s%s%s%s  (%lld of %lld delivered)\n",
		       jint(v, "id", 0), jstr(v, "kind", "?"), jstr(v, "url", jstr(v, "maildir", "?")),
		       jstr(v, "events", "?"), json_is_string(json_object_get(v, "driver")) ? " driver " : "",
		       jstr(v, "driver", ""), json_is_string(json_object_get(v, "case")) ? " case " : "",
		       jstr(v, "case", ""), jint(v, "delivered", 0), jint(v, "deliveries", 0));
	json_decref(r);
	return CLI_OK;
}

int cmd_deliveries(struct cli *c, int argc, char **argv)
{
	char path[96];
	json_t *r, *v, *a;
	size_t i, k;

	if (argc != 2)
		die_usage("usage: iommulab deliveries SUBSCRIPTION");
	c->auth_reads = true;
	snprintf(path, sizeof(path), "/api/v1/subscriptions/%ld/deliveries",
		 parse_long("subscription", argv[1], 1, 1L << 53));
	r = get_json(c, path);
	json_array_foreach(json_object_get(r, "items"), i, v) {
		printf("delivery %lld  %-15s %-9s attempts %lld\n", jint(v, "id", 0),
		       jstr(v, "event", "?"), jstr(v, "state", "?"), jint(v, "attempts", 0));
		json_array_foreach(json_object_get(v, "attempts_log"), k, a)
			printf("    at %lld  status %lld  %s\n", jint(a, "at", 0), jint(a, "status", 0),
			       jstr(a, "error", "ok"));
	}
	json_decref(r);
	return CLI_OK;
}
