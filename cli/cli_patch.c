/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli_patch.c - `iommulab patch submit|report`: validate a patch series
 * (base and base+series, built and run) through /api/v1/patches
 * (server/patch.c), and print a finished check's report (cli.h's helpers;
 * the series files are read by series_of() in cli.c).
 *
 *   patch submit --base KERNEL|debian-6.12|/git/tree@ref [--target T...]
 *                [--filter GLOB] [--repeat N] [--name NAME] [--json] MBOX|DIR
 *   patch report PLAN [--json]       text for a mailing-list reply
 *
 * Invariants: report exits 1 when the check fails. Ownership as cli.c says.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_patch_submit(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "base", required_argument, NULL, 'b' },
		{ "target", required_argument, NULL, 't' },
		{ "targets", required_argument, NULL, 't' },
		{ "filter", required_argument, NULL, 'f' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *req = json_object(), *targets = json_array(), *r = NULL, *spec;
	bool js = false;
	long st;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'b': json_object_set_new(req, "base", json_string(optarg)); break;
		case 't': json_array_append_new(targets, json_string(optarg)); break;
		case 'f': json_object_set_new(req, "cases", json_string(optarg)); break;
		case 'r':
			json_object_set_new(req, "repeat",
					    json_integer(parse_long("--repeat", optarg, 1, 1000)));
			break;
		case 'n': json_object_set_new(req, "name", json_string(optarg)); break;
		case 'j': js = true; break;
		default: exit(CLI_USAGE);
		}
	}
	if (optind + 1 != argc)
		die_usage("usage: iommulab patch submit --base B [--target T...] SERIES");
	if (!json_object_get(req, "base"))
		die_usage("patch submit needs --base (a build kernel, debian-6.12 or /git/tree@ref)");
	if (series_of(argv[optind], req)) {
		json_decref(req);
		json_decref(targets);
		return CLI_FAIL;
	}
	if (json_array_size(targets))
		json_object_set_new(req, "targets", targets);
	else
		json_decref(targets);
	st = request(c, "POST", "/api/v1/patches", req, &r, false);
	json_decref(req);
	if (st < 200 || st >= 300)
		return CLI_FAIL;
	spec = json_object_get(json_object_get(r, "spec"), "patch");
	if (js)
		print_json(r);
	else
		printf("patch plan %lld: base %s, candidate %s, %lld jobs queued\n"
		       "  follow: iommulab watch %lld; report: iommulab patch report %lld\n",
		       jint(r, "id", -1), jstr(spec, "base", "?"), jstr(spec, "head", "?"),
		       jint(r, "njobs", -1), jint(r, "id", -1), jint(r, "id", -1));
	json_decref(r);
	return CLI_OK;
}

int cmd_patch_report(struct cli *c, int argc, char **argv)
{
	char path[128];
	json_t *rep, *text = NULL;
	int ret;
	long id;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--json")))
		die_usage("usage: iommulab patch report PLAN [--json]");
	id = parse_long("PLAN", argv[1], 1, LONG_MAX);
	snprintf(path, sizeof(path), "/api/v1/patches/%ld", id);
	rep = get_json(c, path);
	ret = !strcmp(jstr(rep, "state", ""), "fail") ? CLI_FAIL : CLI_OK;
	if (argc == 3) {
		print_json(rep);
	} else {
		snprintf(path, sizeof(path), "/api/v1/patches/%ld?format=text", id);
		text = get_json(c, path);
		fputs(json_string_value(text) ? json_string_value(text) : "", stdout);
	}
	json_decref(text);
	json_decref(rep);
	return ret;
}
