/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli_findings.c - `iommulab findings ...`: the regression lifecycle
 * through /api/v1/findings and /api/v1/known-issues (cli.h's helpers).
 *
 *   findings list [--state open|fixed] [--target T] [--case C] [--driver D]
 *                 [--expected|--unexpected] [--limit N] [--json]
 *   findings show ID [--json]        the finding, its events and links
 *   findings ack ID [--note TEXT]
 *   findings link ID URL|MSGID       a bug URL (http...) or a lore message id
 *   findings expect ID --reason TEXT  a known issue made from the finding
 *   findings expect --reason TEXT [--driver D] [--case GLOB] [--target GLOB]
 *                 [--kernels MIN..MAX]   a known issue by pattern
 *   findings known [--json]          the known issues, active and retired
 *   findings retire KNOWN-ISSUE-ID --reason TEXT   its bug is fixed: it matches
 *                                    nothing from now on (record kept)
 *
 * Exit codes as cli.c's: 1 when the server refuses (its message printed).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

/* the id argument at argv[optind] */
static long finding_id(int argc, char **argv)
{
	if (optind >= argc)
		die_usage("a finding id is required");
	return parse_long("finding id", argv[optind], 1, 1L << 53);
}

static const char *or_dash(json_t *o, const char *k)
{
	return jstr(o, k, "-");
}

static void when(long long t, char *buf, size_t n)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t <= 0 || !gmtime_r(&tt, &tm))
		snprintf(buf, n, "-");
	else
		strftime(buf, n, "%Y-%m-%d %H:%M", &tm);
}

static void print_row(json_t *f)
{
	char cause[96], flags[32] = "";

	snprintf(cause, sizeof(cause), "%s -> %s", or_dash(f, "from"), or_dash(f, "to"));
	if (json_is_string(json_object_get(f, "acked_by")))
		strcat(flags, "acked ");
	if (json_is_integer(json_object_get(f, "known_issue")))
		strcat(flags, "expected ");
	if (jint(f, "links", 0) > 0)
		strcat(flags, "linked");
	printf("%-5lld %-16s %-6s %-16s %-40s %-20s %-10s %-10s %-10s %5lld  %s\n",
	       jint(f, "id", 0), or_dash(f, "key"), or_dash(f, "state"), or_dash(f, "target"),
	       or_dash(f, "case"), cause, or_dash(f, "first_kernel"), or_dash(f, "last_kernel"),
	       or_dash(f, "fixed_kernel"), jint(f, "seen", 0), flags);
}

int cmd_findings_list(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "state", required_argument, NULL, 's' },
		{ "target", required_argument, NULL, 't' },
		{ "case", required_argument, NULL, 'c' },
		{ "driver", required_argument, NULL, 'd' },
		{ "expected", no_argument, NULL, 'e' },
		{ "unexpected", no_argument, NULL, 'u' },
		{ "limit", required_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *keys[] = { "state", "target", "case", "driver" };
	const char *vals[4] = { NULL, NULL, NULL, NULL };
	char path[2048], esc[512];
	const char *expected = NULL;
	long limit = 100;
	bool json = false;
	json_t *r, *v;
	size_t i, n;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 's': vals[0] = optarg; break;
		case 't': vals[1] = optarg; break;
		case 'c': vals[2] = optarg; break;
		case 'd': vals[3] = optarg; break;
		case 'e': expected = "true"; break;
		case 'u': expected = "false"; break;
		case 'l': limit = parse_long("--limit", optarg, 1, 1000); break;
		case 'j': json = true; break;
		default: die_usage("bad option for findings list");
		}
	}
	if (optind < argc)
		die_usage("unexpected argument '%s'", argv[optind]);
	n = (size_t)snprintf(path, sizeof(path), "/api/v1/findings?limit=%ld", limit);
	for (i = 0; i < 4; i++) {
		if (!vals[i])
			continue;
		qesc(esc, sizeof(esc), vals[i]);
		n += (size_t)snprintf(path + n, sizeof(path) - n, "&%s=%s", keys[i], esc);
	}
	if (expected)
		snprintf(path + n, sizeof(path) - n, "&expected=%s", expected);
	r = get_json(c, path);
	if (json) {
		print_json(json_object_get(r, "items"));
		json_decref(r);
		return CLI_OK;
	}
	printf("%-5s %-16s %-6s %-16s %-40s %-20s %-10s %-10s %-10s %5s  %s\n", "ID", "KEY",
	       "STATE", "TARGET", "CASE", "FROM -> TO", "FIRST", "LAST", "FIXED", "SEEN", "FLAGS");
	json_array_foreach(json_object_get(r, "items"), i, v)
		print_row(v);
	printf("%lld finding(s)\n", jint(r, "count", 0));
	json_decref(r);
	return CLI_OK;
}

static void print_finding(json_t *f)
{
	char t[32];
	json_t *v;
	size_t i;

	printf("finding %lld (key %s): %s on %s: %s -> %s (%s)\n", jint(f, "id", 0),
	       or_dash(f, "key"), or_dash(f, "case"), or_dash(f, "target"), or_dash(f, "from"),
	       or_dash(f, "to"), or_dash(f, "verdict"));
	printf("  driver      %s\n", or_dash(f, "driver"));
	printf("  state       %s", or_dash(f, "state"));
	if (json_is_string(json_object_get(f, "fixed_kernel")))
		printf(" (fixed by kernel %s, job %lld)", or_dash(f, "fixed_kernel"),
		       jint(f, "fixed_job", 0));
	putchar('\n');
	printf("  first seen  kernel %s, job %lld\n", or_dash(f, "first_kernel"),
	       jint(f, "first_job", 0));
	printf("  last seen   kernel %s, job %lld (%lld time(s))\n", or_dash(f, "last_kernel"),
	       jint(f, "last_job", 0), jint(f, "seen", 0));
	if (json_is_integer(json_object_get(f, "known_issue")))
		printf("  expected    known issue %lld: %s\n", jint(f, "known_issue", 0),
		       or_dash(f, "expected_reason"));
	if (json_is_string(json_object_get(f, "acked_by"))) {
		when(jint(f, "acked_at", 0), t, sizeof(t));
		printf("  acked       by %s at %s%s%s\n", or_dash(f, "acked_by"), t,
		       json_is_string(json_object_get(f, "ack_note")) ? ": " : "",
		       jstr(f, "ack_note", ""));
	}
	json_array_foreach(json_object_get(f, "links"), i, v)
		printf("  link        %s %s%s%s\n", or_dash(v, "kind"),
		       strcmp(or_dash(v, "kind"), "msgid") ? "" : "https://lore.kernel.org/r/",
		       or_dash(v, "value"), "");
	printf("  events:\n");
	json_array_foreach(json_object_get(f, "events"), i, v) {
		when(jint(v, "at", 0), t, sizeof(t));
		printf("    %s  %-15s", t, or_dash(v, "kind"));
		if (json_is_string(json_object_get(v, "kernel")))
			printf(" kernel %s job %lld", or_dash(v, "kernel"), jint(v, "job", 0));
		if (json_is_string(json_object_get(v, "by")))
			printf(" by %s", or_dash(v, "by"));
		if (json_is_string(json_object_get(v, "note")))
			printf(": %s", or_dash(v, "note"));
		putchar('\n');
	}
}

int cmd_findings_show(struct cli *c, int argc, char **argv)
{
	bool json = false;
	char path[64];
	json_t *r;
	long id;
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--json"))
			json = true;
	optind = 1;
	while (optind < argc && !strcmp(argv[optind], "--json"))
		optind++;
	id = finding_id(argc, argv);
	snprintf(path, sizeof(path), "/api/v1/findings/%ld", id);
	r = get_json(c, path);
	if (json)
		print_json(r);
	else
		print_finding(r);
	json_decref(r);
	return CLI_OK;
}

/* POST @body to /findings/ID/@what; print the finding that comes back */
static int post_finding(struct cli *c, long id, const char *what, json_t *body)
{
	char path[96];
	json_t *r;
	long st;

	snprintf(path, sizeof(path), "/api/v1/findings/%ld/%s", id, what);
	st = request(c, "POST", path, body, &r, false);
	json_decref(body);
	if (st < 200 || st >= 300) {
		json_decref(r);
		return CLI_FAIL;
	}
	print_finding(r);
	json_decref(r);
	return CLI_OK;
}

int cmd_findings_ack(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "note", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *body = json_object();
	long id;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != 'n')
			die_usage("bad option for findings ack");
		json_object_set_new(body, "note", json_string(optarg));
	}
	id = finding_id(argc, argv);
	if (optind + 1 < argc)
		die_usage("unexpected argument '%s'", argv[optind + 1]);
	return post_finding(c, id, "ack", body);
}

int cmd_findings_link(struct cli *c, int argc, char **argv)
{
	const char *v;
	json_t *body;
	long id;

	optind = 1;
	id = finding_id(argc, argv);
	if (optind + 1 >= argc)
		die_usage("findings link ID URL|MSGID: what to link is missing");
	if (optind + 2 < argc)
		die_usage("unexpected argument '%s'", argv[optind + 2]);
	v = argv[optind + 1];
	body = json_object();
	json_object_set_new(body, strncmp(v, "http://", 7) && strncmp(v, "https://", 8) ?
			    "msgid" : "url", json_string(v));
	return post_finding(c, id, "link", body);
}

int cmd_findings_expect(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ "driver", required_argument, NULL, 'd' },
		{ "case", required_argument, NULL, 'c' },
		{ "target", required_argument, NULL, 't' },
		{ "kernels", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *body = json_object(), *r;
	bool pattern = false;
	const char *dots;
	long st;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'r': json_object_set_new(body, "reason", json_string(optarg)); break;
		case 'd': json_object_set_new(body, "driver", json_string(optarg)); pattern = true; break;
		case 'c': json_object_set_new(body, "case", json_string(optarg)); pattern = true; break;
		case 't': json_object_set_new(body, "target", json_string(optarg)); pattern = true; break;
		case 'k':
			/* MIN..MAX, MIN.., ..MAX */
			dots = strstr(optarg, "..");
			if (!dots)
				die_usage("--kernels wants MIN..MAX (either may be empty), not '%s'",
					  optarg);
			if (dots > optarg)
				json_object_set_new(body, "kernel_min",
						    json_stringn(optarg, (size_t)(dots - optarg)));
			if (dots[2])
				json_object_set_new(body, "kernel_max", json_string(dots + 2));
			pattern = true;
			break;
		default:
			die_usage("bad option for findings expect");
		}
	}
	if (!json_object_get(body, "reason"))
		die_usage("findings expect needs --reason TEXT");
	if (optind < argc) {
		if (pattern)
			die_usage("give a finding id or patterns, not both");
		return post_finding(c, finding_id(argc, argv), "expect", body);
	}
	if (!pattern)
		die_usage("findings expect: a finding id, or --driver/--case/--target/--kernels");
	st = request(c, "POST", "/api/v1/known-issues", body, &r, false);
	json_decref(body);
	if (st < 200 || st >= 300) {
		json_decref(r);
		return CLI_FAIL;
	}
	printf("known issue %lld: %s (marks %lld open finding(s))\n", jint(r, "id", 0),
	       jstr(r, "reason", ""), jint(r, "marked", 0));
	json_decref(r);
	return CLI_OK;
}

int cmd_findings_known(struct cli *c, int argc, char **argv)
{
	json_t *r, *v;
	size_t i;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json")))
		die_usage("usage: findings known [--json]");
	r = get_json(c, "/api/v1/known-issues");
	if (argc > 1) {
		print_json(json_object_get(r, "items"));
		json_decref(r);
		return CLI_OK;
	}
	printf("%-4s %-7s %-14s %-28s %-16s %-20s %-8s %s\n", "ID", "STATE", "DRIVER", "CASE",
	       "TARGET", "KERNELS", "FINDINGS", "REASON");
	json_array_foreach(json_object_get(r, "items"), i, v) {
		char range[64], t[32];

		snprintf(range, sizeof(range), "%s..%s", jstr(v, "kernel_min", ""),
			 jstr(v, "kernel_max", ""));
		printf("%-4lld %-7s %-14s %-28s %-16s %-20s %-8lld %s\n", jint(v, "id", 0),
		       jstr(v, "state", "active"), jstr(v, "driver", "*"), jstr(v, "case", "*"),
		       jstr(v, "target", "*"), range, jint(v, "findings", 0), jstr(v, "reason", ""));
		if (strcmp(jstr(v, "state", "active"), "retired"))
			continue;
		when(jint(v, "retired_at", 0), t, sizeof(t));
		printf("%-4s retired by %s at %s: %s\n", "", jstr(v, "retired_by", "-"), t,
		       jstr(v, "retire_reason", ""));
	}
	json_decref(r);
	return CLI_OK;
}

int cmd_findings_retire(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "reason", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *body = NULL, *r;
	char path[96], t[32];
	long id, st;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o != 'r')
			die_usage("bad option for findings retire");
		json_decref(body);
		body = json_pack("{s:s}", "reason", optarg);
	}
	if (optind >= argc)
		die_usage("findings retire: a known issue id is required (findings known lists them)");
	id = parse_long("known issue id", argv[optind], 1, 1L << 53);
	if (optind + 1 < argc)
		die_usage("unexpected argument '%s'", argv[optind + 1]);
	if (!body)
		die_usage("findings retire needs --reason TEXT (why it no longer holds)");
	snprintf(path, sizeof(path), "/api/v1/known-issues/%ld/retire", id);
	st = request(c, "POST", path, body, &r, false);
	json_decref(body);
	if (st < 200 || st >= 300) {
		json_decref(r);
		return CLI_FAIL;
	}
	when(jint(r, "retired_at", 0), t, sizeof(t));
	printf("known issue %lld retired by %s at %s: %s\n", jint(r, "id", 0),
	       jstr(r, "retired_by", "-"), t, jstr(r, "retire_reason", ""));
	printf("  was: %s\n", jstr(r, "reason", ""));
	printf("  %lld finding(s) no longer expected; its failures count again\n",
	       jint(r, "unmarked", 0));
	json_decref(r);
	return CLI_OK;
}
