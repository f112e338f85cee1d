/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli_contracts.c - `iommulab contracts import|rejudge|history`: the
 * agent's case catalogue and the verdicts the server judges from it
 * (docs/server.md "Verdicts"; cmd_list() and the other helpers of cli.h).
 *
 *   contracts import CATALOGUE.json  a changed contract is a new version
 *   contracts rejudge [--case ID] [--json]   recompute stored verdicts
 *   contracts history [--case ID] [--json]   verdicts a rejudge changed
 *
 * Invariants: rejudge keeps the history; import and rejudge need the
 * token. Ownership as cli.c says.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_contracts_import(struct cli *c, int argc, char **argv)
{
	json_error_t e;
	json_t *cat, *r = NULL;
	long st;

	if (argc != 2)
		die_usage("usage: iommulab contracts import CATALOGUE.json "
			  "(the agent's: iommulab-agent -l -j)");
	cat = json_load_file(argv[1], 0, &e);
	if (!cat) {
		fprintf(stderr, "iommulab: %s:%d: %s\n", argv[1], e.line, e.text);
		return CLI_FAIL;
	}
	st = request(c, "POST", "/api/v1/cases", cat, &r, false);
	json_decref(cat);
	if (st < 200 || st >= 300)
		return CLI_FAIL;
	printf("%lld cases imported (a changed contract is a new version; "
	       "`iommulab contracts rejudge` applies it to stored results)\n",
	       jint(r, "imported", 0));
	json_decref(r);
	return CLI_OK;
}

int cmd_contracts_rejudge(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "case", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *body = json_object(), *r = NULL, *v;
	bool js = false;
	size_t i;
	long st;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c': json_object_set_new(body, "case", json_string(optarg)); break;
		case 'j': js = true; break;
		default: exit(CLI_USAGE);
		}
	}
	if (optind != argc)
		die_usage("usage: iommulab contracts rejudge [--case ID] [--json]");
	st = request(c, "POST", "/api/v1/contracts/rejudge", body, &r, false);
	json_decref(body);
	if (st < 200 || st >= 300)
		return CLI_FAIL;
	if (js) {
		print_json(r);
		json_decref(r);
		return CLI_OK;
	}
	json_array_foreach(json_object_get(r, "changes"), i, v)
		printf("result %lld  %-40s %-24s %-13s %s -> %s (contract v%lld)\n",
		       jint(v, "result_id", 0), jstr(v, "case", "?"), jstr(v, "kernel_release", "?"),
		       jstr(v, "driver", "?"), jstr(v, "old_verdict", "?"), jstr(v, "verdict", "?"),
		       jint(v, "contract_version", 0));
	printf("%lld results judged again, %lld verdicts changed\n", jint(r, "rejudged", 0),
	       jint(r, "changed", 0));
	json_decref(r);
	return CLI_OK;
}

int cmd_contracts_history(struct cli *c, int argc, char **argv)
{
	static const char *const cols[] = { "changed_at", "result_id", "case", "kernel", "target",
					    "field", "old_verdict", "verdict", "contract_version",
					    NULL };
	char path[256], q[200];

	if (argc == 3 && !strcmp(argv[1], "--case")) {
		qesc(q, sizeof(q), argv[2]);
		snprintf(path, sizeof(path), "/api/v1/contracts/history?case=%s", q);
		return cmd_list(c, path, "items", cols, 1, argv);
	}
	return cmd_list(c, "/api/v1/contracts/history", "items", cols, argc, argv);
}
