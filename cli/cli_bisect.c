/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli_bisect.c - `iommulab bisect start|series|show|list|cancel`,
 * `iommulab patch bisect`, `iommulab likely`: bisections through
 * /api/v1/bisections (flows/bisect.c) and likely commits through
 * /api/v1/likely (cli.h's helpers; series files read by series_of()).
 *
 *   bisect start --tree PATH --good REF --bad REF --target T --case ID
 *                (--expect ERRNO | --verdict V) [--repeat N] [--verify]
 *   bisect series --base B --target T --case ID (--expect E | --verdict V)
 *                MBOX|DIR        the first patch that changes the case
 *   patch bisect PLAN [...]      a patch report's first changed row
 *   bisect show ID [--wait [--timeout S]] / bisect list / bisect cancel ID
 *   likely --tree PATH --from REF --to REF --driver D [--errno E]
 *
 * Invariants: show exits 1 unless the first bad commit was found.
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

int cmd_bisect_start(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tree", required_argument, NULL, 'T' },
		{ "good", required_argument, NULL, 'g' },
		{ "bad", required_argument, NULL, 'b' },
		{ "target", required_argument, NULL, 't' },
		{ "case", required_argument, NULL, 'c' },
		{ "expect", required_argument, NULL, 'e' },
		{ "verdict", required_argument, NULL, 'V' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "verify", no_argument, NULL, 'y' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const keys[] = { ['T'] = "tree", ['g'] = "good", ['b'] = "bad",
		['t'] = "target", ['c'] = "case", ['e'] = "expect", ['V'] = "verdict" };
	json_t *req = json_object(), *r = NULL;
	char real[PATH_MAX];
	bool js = false;
	long st;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'T':
			/* the server reads the tree: give it an absolute path */
			json_object_set_new(req, "tree", json_string(realpath(optarg, real) ?
								      real : optarg));
			break;
		case 'g': case 'b': case 't': case 'c': case 'e': case 'V':
			json_object_set_new(req, keys[o], json_string(optarg));
			break;
		case 'r':
			json_object_set_new(req, "repeat",
					    json_integer(parse_long("--repeat", optarg, 1, 15)));
			break;
		case 'y': json_object_set_new(req, "verify", json_true()); break;
		case 'j': js = true; break;
		default: exit(CLI_USAGE);
		}
	}
	if (optind != argc || !json_object_get(req, "tree") || !json_object_get(req, "good") ||
	    !json_object_get(req, "bad") || !json_object_get(req, "target") ||
	    !json_object_get(req, "case"))
		die_usage("usage: iommulab bisect start --tree PATH --good REF --bad REF "
			  "--target T --case ID [--expect ERRNO | --verdict V] [--repeat N]");
	if (!json_object_get(req, "expect") == !json_object_get(req, "verdict"))
		die_usage("bisect start needs one predicate: --expect ERRNO (the errno of the good "
			  "commits) or --verdict V");
	st = request(c, "POST", "/api/v1/bisections", req, &r, false);
	json_decref(req);
	if (st < 200 || st >= 300)
		return CLI_FAIL;
	if (js)
		print_json(r);
	else
		printf("bisection %lld: %s\n  follow: iommulab bisect show %lld [--wait]\n",
		       jint(r, "id", -1), jstr(r, "state", "?"), jint(r, "id", -1));
	json_decref(r);
	return CLI_OK;
}

int cmd_bisect_show(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "wait", no_argument, NULL, 'w' },
		{ "timeout", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 },
	};
	bool js = false, wait = false;
	long id, timeout = 7200;
	time_t t0 = time(NULL);
	char path[128];
	json_t *b;
	int o, ret;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'j': js = true; break;
		case 'w': wait = true; break;
		case 'T': timeout = parse_long("--timeout", optarg, 1, 86400 * 7); break;
		default: exit(CLI_USAGE);
		}
	}
	if (optind + 1 != argc)
		die_usage("usage: iommulab bisect show ID [--wait [--timeout S]] [--json]");
	id = parse_long("ID", argv[optind], 1, LONG_MAX);
	snprintf(path, sizeof(path), "/api/v1/bisections/%ld", id);
	for (;;) {
		b = get_json(c, path);
		if (!wait || strcmp(jstr(b, "state", ""), "running"))
			break;
		if (time(NULL) - t0 > timeout) {
			fprintf(stderr, "iommulab: bisection %ld still running after %lds\n", id,
				timeout);
			break;
		}
		fprintf(stderr, "bisection %ld: running, %lld step(s)\n", id,
			(long long)json_array_size(json_object_get(b, "steps")));
		json_decref(b);
		sleep(5);
	}
	ret = !strcmp(jstr(b, "state", ""), "found") ? CLI_OK : CLI_FAIL;
	if (js) {
		print_json(b);
	} else {
		json_t *t;

		snprintf(path, sizeof(path), "/api/v1/bisections/%ld?format=text", id);
		t = get_json(c, path);
		fputs(json_string_value(t) ? json_string_value(t) : "", stdout);
		json_decref(t);
	}
	json_decref(b);
	return ret;
}

int cmd_bisect_cancel(struct cli *c, int argc, char **argv)
{
	char path[128];
	json_t *r = NULL;
	long st;

	if (argc != 2)
		die_usage("usage: iommulab bisect cancel ID");
	snprintf(path, sizeof(path), "/api/v1/bisections/%ld/cancel",
		 parse_long("ID", argv[1], 1, LONG_MAX));
	st = request(c, "POST", path, NULL, &r, false);
	if (st < 200 || st >= 300)
		return CLI_FAIL;
	printf("bisection %lld: %s\n", jint(r, "id", -1), jstr(r, "state", "?"));
	json_decref(r);
	return CLI_OK;
}

int cmd_bisect_list(struct cli *c, int argc, char **argv)
{
	json_t *r, *it, *b;
	size_t i;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json")))
		die_usage("usage: iommulab bisect list [--json]");
	r = get_json(c, "/api/v1/bisections");
	if (argc == 2) {
		print_json(r);
		json_decref(r);
		return CLI_OK;
	}
	it = json_object_get(r, "items");
	printf("%-5s %-9s %-6s %-12s %-28s %s\n", "ID", "STATE", "STEPS", "TARGET", "CASE",
	       "FIRST BAD");
	json_array_foreach(it, i, b) {
		json_t *spec = json_object_get(b, "spec");
		json_t *fb = json_object_get(json_object_get(b, "result"), "first_bad");

		char first[32];

		if (json_object_get(fb, "patch"))
			snprintf(first, sizeof(first), "patch %lld", jint(fb, "patch", 0));
		else
			snprintf(first, sizeof(first), "%.12s", jstr(fb, "commit", "-"));
		printf("%-5lld %-9s %-6lld %-12s %-28s %s %s\n", jint(b, "id", -1),
		       jstr(b, "state", "?"), jint(b, "steps", 0), jstr(spec, "target", "?"),
		       jstr(spec, "case", "?"), first, jstr(fb, "subject", ""));
	}
	json_decref(r);
	return CLI_OK;
}

int cmd_likely(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "tree", required_argument, NULL, 'T' },
		{ "from", required_argument, NULL, 'f' },
		{ "to", required_argument, NULL, 't' },
		{ "driver", required_argument, NULL, 'd' },
		{ "errno", required_argument, NULL, 'e' },
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *req = json_object(), *r = NULL, *it, *x;
	char real[PATH_MAX];
	bool js = false;
	size_t i;
	long st;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'T':
			json_object_set_new(req, "tree", json_string(realpath(optarg, real) ?
								      real : optarg));
			break;
		case 'f': json_object_set_new(req, "from", json_string(optarg)); break;
		case 't': json_object_set_new(req, "to", json_string(optarg)); break;
		case 'd': json_object_set_new(req, "driver", json_string(optarg)); break;
		case 'e': json_object_set_new(req, "errno", json_string(optarg)); break;
		case 'l':
			json_object_set_new(req, "limit",
					    json_integer(parse_long("--limit", optarg, 1, 500)));
			break;
		case 'j': js = true; break;
		default: exit(CLI_USAGE);
		}
	}
	if (optind != argc || !json_object_get(req, "tree") || !json_object_get(req, "from") ||
	    !json_object_get(req, "to") || !json_object_get(req, "driver"))
		die_usage("usage: iommulab likely --tree PATH --from REF --to REF --driver D "
			  "[--errno E] [--limit N] [--json]");
	st = request(c, "POST", "/api/v1/likely", req, &r, false);
	json_decref(req);
	if (st < 200 || st >= 300)
		return CLI_FAIL;
	if (js) {
		print_json(r);
		json_decref(r);
		return CLI_OK;
	}
	printf("%lld commit(s) in %.12s..%.12s touch %s or the core%s%s; most likely first:\n",
	       jint(r, "total", 0), jstr(r, "from_commit", "?"), jstr(r, "to_commit", "?"),
	       jstr(r, "driver", "?"), json_is_string(json_object_get(r, "errno")) ?
	       "; naming " : "", jstr(r, "errno", ""));
	it = json_object_get(r, "items");
	json_array_foreach(it, i, x)
		printf("  %.12s %-6s %-5s %s\n", jstr(x, "commit", "?"),
		       json_is_true(json_object_get(x, "driver_files")) ? "driver" : "core",
		       json_is_true(json_object_get(x, "mentions_errno")) ? jstr(r, "errno", "") : "",
		       jstr(x, "subject", ""));
	json_decref(r);
	return CLI_OK;
}

/* bisect series --base B SERIES / patch bisect N: a series bisection */
static int cmd_bisect_series_or_patch(struct cli *c, int argc, char **argv, bool from_patch)
{
	static const struct option opts[] = {
		{ "base", required_argument, NULL, 'B' },
		{ "target", required_argument, NULL, 't' },
		{ "case", required_argument, NULL, 'c' },
		{ "expect", required_argument, NULL, 'e' },
		{ "verdict", required_argument, NULL, 'V' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const keys[] = { ['B'] = "base", ['t'] = "target", ['c'] = "case",
		['e'] = "expect", ['V'] = "verdict" };
	json_t *req = json_object(), *r = NULL;
	bool js = false;
	long st;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'B': case 't': case 'c': case 'e': case 'V':
			json_object_set_new(req, keys[o], json_string(optarg));
			break;
		case 'r':
			json_object_set_new(req, "repeat",
					    json_integer(parse_long("--repeat", optarg, 1, 15)));
			break;
		case 'j': js = true; break;
		default: exit(CLI_USAGE);
		}
	}
	if (from_patch) {
		if (optind + 1 != argc || json_object_get(req, "base"))
			die_usage("usage: iommulab patch bisect PLAN [--target T --case ID "
				  "--expect E|--verdict V] [--repeat N]");
		json_object_set_new(req, "patch",
				    json_integer(parse_long("PLAN", argv[optind], 1, LONG_MAX)));
	} else {
		if (optind + 1 != argc || !json_object_get(req, "base") ||
		    !json_object_get(req, "target") || !json_object_get(req, "case") ||
		    !json_object_get(req, "expect") == !json_object_get(req, "verdict"))
			die_usage("usage: iommulab bisect series --base KERNEL|debian-6.12|/git@ref "
				  "--target T --case ID (--expect E|--verdict V) [--repeat N] MBOX|DIR");
		if (series_of(argv[optind], req)) {
			json_decref(req);
			return CLI_FAIL;
		}
	}
	st = request(c, "POST", "/api/v1/bisections", req, &r, false);
	json_decref(req);
	if (st < 200 || st >= 300)
		return CLI_FAIL;
	if (js)
		print_json(r);
	else
		printf("bisection %lld over %lld patches: %s\n  follow: iommulab bisect show %lld "
		       "[--wait]\n", jint(r, "id", -1),
		       jint(json_object_get(json_object_get(r, "spec"), "series"), "n", -1),
		       jstr(r, "state", "?"), jint(r, "id", -1));
	json_decref(r);
	return CLI_OK;
}

int cmd_bisect_series(struct cli *c, int argc, char **argv)
{
	return cmd_bisect_series_or_patch(c, argc, argv, false);
}

int cmd_patch_bisect(struct cli *c, int argc, char **argv)
{
	return cmd_bisect_series_or_patch(c, argc, argv, true);
}
