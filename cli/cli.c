/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli.c - `iommulab`, the command-line client of iommulabd (libcurl).
 *
 * Purpose: submit plans, follow them, read results and diffs, export, and
 * register kernels, all through the HTTP API; the CLI never opens the
 * database. One table (commands[]) maps a command to its handler and help.
 * This file holds the HTTP and output helpers, the helpers several command
 * files share (cli.h), the table, usage and main; the commands themselves
 * live in the cli_*.c files named for their family (cli/README.md).
 *
 * Server and token: --server URL (default $IOMMULAB_SERVER, else
 * http://127.0.0.1:8470); --token SECRET, else $IOMMULAB_TOKEN, else the
 * token file (--token-file, default $CACHE/state/admin.token). Reads need no
 * token; writes send "Authorization: Bearer SECRET".
 *
 * Exit codes: 0 ok; 1 the server refused or the result is bad (a watched
 * plan with incomplete jobs, a diff with regressions under --fail-on-regress);
 * 2 usage error; 3 cannot reach the server.
 *
 * Ownership: every json_t a helper returns is a new reference the caller
 * decrefs; strings from the environment are borrowed.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <dirent.h>
#include <sys/stat.h>

#include <curl/curl.h>
#include <jansson.h>

#include "cli.h"
#include "httpc.h"

#define CLI_DEFAULT_SERVER "http://127.0.0.1:8470"
#define CLI_RESP_MAX (256u << 20)
#define CLI_PAGE 1000		/* the API's list limit */

/* ------------------------------------------------------------------ */
/* HTTP                                                                */

void die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("iommulab: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(" (see --help)\n", stderr);
	exit(CLI_USAGE);
}

void load_token(struct cli *c)
{
	FILE *f;
	const char *cache;

	if (c->token)
		return;
	c->token = getenv("IOMMULAB_TOKEN");
	if (c->token && *c->token)
		return;
	c->token = NULL;
	if (!c->token_file[0]) {
		cache = getenv("CACHE");
		if (cache && *cache)
			snprintf(c->token_file, sizeof(c->token_file),
				 "%s/state/admin.token", cache);
		else if (getenv("HOME"))
			snprintf(c->token_file, sizeof(c->token_file),
				 "%s/.cache/iommulab/state/admin.token", getenv("HOME"));
	}
	f = fopen(c->token_file, "re");
	if (!f)
		return;
	if (fgets(c->token_buf, sizeof(c->token_buf), f)) {
		c->token_buf[strcspn(c->token_buf, " \r\n")] = '\0';
		if (c->token_buf[0])
			c->token = c->token_buf;
	}
	fclose(f);
}

/*
 * One request. @body (may be NULL) is sent as JSON. On a 2xx answer
 * *out is the parsed JSON body (or a JSON string holding the raw body when
 * it is not JSON, e.g. a JUnit export). Exits with CLI_UNREACHABLE when the
 * server cannot be reached; returns the HTTP status otherwise and prints
 * the server's error for >= 400 (unless @quiet).
 */
long request(struct cli *c, const char *method, const char *path,
		    json_t *body, json_t **out, bool quiet)
{
	char url[4096], errbuf[CURL_ERROR_SIZE] = "", auth[320];
	struct curl_slist *hdrs = NULL;
	struct lab_httpc_body b = { .max = CLI_RESP_MAX };
	char *payload = NULL;
	long status = 0;
	bool is_json = false;
	CURLcode rc;
	CURL *h;

	if (out)
		*out = NULL;
	if (snprintf(url, sizeof(url), "%s%s", c->server, path) >= (int)sizeof(url))
		die_usage("URL too long");
	h = curl_easy_init();
	if (!h) {
		fprintf(stderr, "iommulab: cannot initialise libcurl\n");
		exit(CLI_FAIL);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, lab_httpc_on_data);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 5L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	hdrs = curl_slist_append(hdrs, "Accept: application/json");
	if (strcmp(method, "GET") || c->auth_reads) {
		load_token(c);
		if (c->token) {
			snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
			hdrs = curl_slist_append(hdrs, auth);
		}
	}
	if (body) {
		payload = json_dumps(body, JSON_COMPACT);
		hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload ? payload : "");
	} else if (!strcmp(method, "POST")) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	if (c->verbose)
		fprintf(stderr, "> %s %s\n", method, url);
	rc = curl_easy_perform(h);
	if (rc != CURLE_OK && !b.too_big) {
		fprintf(stderr, "iommulab: cannot reach iommulabd at %s: %s\n",
			c->server, errbuf[0] ? errbuf : curl_easy_strerror(rc));
		exit(CLI_UNREACHABLE);
	}
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	{
		char *ct = NULL;

		curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
		is_json = ct && !strncmp(ct, "application/json", 16);
	}
	curl_slist_free_all(hdrs);
	curl_easy_cleanup(h);
	free(payload);
	if (b.too_big) {
		fprintf(stderr, "iommulab: answer of %s larger than %u MiB\n", path,
			CLI_RESP_MAX >> 20);
		exit(CLI_FAIL);
	}

	if (status >= 400) {
		json_t *e = b.data ? json_loads(b.data, 0, NULL) : NULL;
		const char *msg = json_string_value(json_object_get(e, "error"));

		if (!quiet) {
			fprintf(stderr, "iommulab: %s %s: HTTP %ld: %s\n", method, path,
				status, msg ? msg : (b.data ? b.data : "(no body)"));
			if (status == 401 || status == 403)
				fprintf(stderr, "iommulab: writes need a token: --token, "
					"$IOMMULAB_TOKEN or %s\n",
					c->token_file[0] ? c->token_file : "the token file");
		}
		json_decref(e);
	} else if (out && b.data) {
		/* a JSON answer is parsed; anything else (a log) is kept raw */
		*out = is_json ? json_loads(b.data, JSON_DECODE_ANY, NULL) : NULL;
		if (!*out)
			*out = json_stringn(b.data, b.len);
	}
	free(b.data);
	return status;
}

/* GET @path, exit CLI_FAIL unless 2xx */
json_t *get_json(struct cli *c, const char *path)
{
	json_t *r;
	long st = request(c, "GET", path, NULL, &r, false);

	if (st < 200 || st >= 300)
		exit(CLI_FAIL);
	return r;
}

/*
 * Every item of a list route (@path has a query string or not), following
 * next_cursor, at most @max items. Returns a new array.
 */
json_t *get_all(struct cli *c, const char *path, size_t max)
{
	json_t *all = json_array();
	int64_t cursor = 0;

	for (;;) {
		char p[2048];
		json_t *r, *items, *next;

		snprintf(p, sizeof(p), "%s%climit=%d", path, strchr(path, '?') ? '&' : '?',
			 CLI_PAGE);
		if (cursor) {
			size_t l = strlen(p);

			snprintf(p + l, sizeof(p) - l, "&cursor=%lld", (long long)cursor);
		}
		r = get_json(c, p);
		items = json_object_get(r, "items");
		json_array_extend(all, items);
		next = json_object_get(r, "next_cursor");
		cursor = json_is_integer(next) ? json_integer_value(next) : 0;
		json_decref(r);
		if (!cursor || json_array_size(all) >= max || !json_array_size(items))
			break;
	}
	return all;
}

/* %-escape for a query value (names are plain, but be safe) */
void qesc(char *out, size_t len, const char *in)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *in && o + 4 < len; in++) {
		unsigned char ch = (unsigned char)*in;

		if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		    (ch >= '0' && ch <= '9') || strchr("-._~", ch)) {
			out[o++] = (char)ch;
		} else {
			out[o++] = '%';
			out[o++] = hex[ch >> 4];
			out[o++] = hex[ch & 15];
		}
	}
	out[o] = '\0';
}

/* ------------------------------------------------------------------ */
/* output helpers                                                      */

const char *jstr(json_t *o, const char *k, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : dflt;
}

long long jint(json_t *o, const char *k, long long dflt)
{
	json_t *v = json_object_get(o, k);

	return json_is_integer(v) ? (long long)json_integer_value(v) : dflt;
}

/* errno value -> symbolic name, for tables; "OK" for 0, "-" for none */
const char *errname(json_t *v, char *buf, size_t len)
{
	static const struct { int e; const char *n; } names[] = {
		{ 0, "OK" }, { EPERM, "EPERM" }, { ENOENT, "ENOENT" }, { EIO, "EIO" },
		{ ENXIO, "ENXIO" }, { E2BIG, "E2BIG" }, { ENOMEM, "ENOMEM" },
		{ EFAULT, "EFAULT" }, { EBUSY, "EBUSY" }, { EEXIST, "EEXIST" },
		{ EXDEV, "EXDEV" }, { ENODEV, "ENODEV" }, { EINVAL, "EINVAL" },
		{ ENOSPC, "ENOSPC" }, { ERANGE, "ERANGE" }, { ENOSYS, "ENOSYS" },
		{ EOPNOTSUPP, "EOPNOTSUPP" }, { EMEDIUMTYPE, "EMEDIUMTYPE" },
		{ ETIMEDOUT, "ETIMEDOUT" }, { EACCES, "EACCES" }, { ENOTTY, "ENOTTY" },
	};
	size_t i;
	int e;

	if (json_is_string(v))
		return json_string_value(v);
	if (!json_is_integer(v))
		return "-";
	e = (int)json_integer_value(v);
	if (e < 0)
		e = -e;
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].e == e)
			return names[i].n;
	snprintf(buf, len, "%d", e);
	return buf;
}

void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_INDENT(2) | JSON_ENCODE_ANY);

	if (s)
		puts(s);
	free(s);
}

/* an array answer, either bare or under @key of an object */
static json_t *items(json_t *r, const char *key)
{
	if (json_is_array(r))
		return r;
	if (json_is_array(json_object_get(r, key)))
		return json_object_get(r, key);
	if (json_is_array(json_object_get(r, "items")))
		return json_object_get(r, "items");
	return NULL;
}

/* ------------------------------------------------------------------ */
/* commands                                                            */

struct command {
	const char *name;
	const char *sub;	/* second word or NULL */
	int (*fn)(struct cli *c, int argc, char **argv);
	const char *usage;
	const char *help;
};

bool want_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
			return true;
	return false;
}

long parse_long(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		die_usage("%s wants a number in [%ld, %ld], not '%s'", opt, lo, hi, s);
	return v;
}

/* ------------------------------------------------------------------ */
/* shared by the command files: a list command, patch series files    */

int cmd_list(struct cli *c, const char *path, const char *key,
	     const char *const cols[], int argc, char **argv)
{
	json_t *r, *arr, *v;
	size_t i, k;

	if (argc > 1 && !strcmp(argv[1], "--json")) {
		r = get_json(c, path);
		print_json(r);
		json_decref(r);
		return CLI_OK;
	}
	if (argc > 1)
		die_usage("unexpected argument '%s'", argv[1]);
	r = get_json(c, path);
	arr = items(r, key);
	for (k = 0; cols[k]; k++)
		printf("%-24s", cols[k]);
	putchar('\n');
	json_array_foreach(arr, i, v) {
		for (k = 0; cols[k]; k++) {
			json_t *f = json_object_get(v, cols[k]);

			if (json_is_integer(f))
				printf("%-24lld", (long long)json_integer_value(f));
			else
				printf("%-24s", json_is_string(f) ? json_string_value(f) : "-");
		}
		putchar('\n');
	}
	json_decref(r);
	return CLI_OK;
}

/* a whole text file, at most @max bytes; exits on error */
static char *slurp(const char *path, size_t max)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f) {
		fprintf(stderr, "iommulab: cannot read %s: %s\n", path, strerror(errno));
		exit(CLI_FAIL);
	}
	buf = malloc(max + 1);
	n = buf ? fread(buf, 1, max + 1, f) : 0;
	fclose(f);
	if (!buf || n > max) {
		fprintf(stderr, "iommulab: %s is larger than %zu bytes\n", path, max);
		exit(CLI_FAIL);
	}
	buf[n] = '\0';
	return buf;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* a directory of patches: its "series" file's order, else sorted *.patch *.diff *.mbox */
static json_t *series_dir(const char *dir)
{
	char path[PATH_MAX], *names[512], *ser, *line, *save = NULL;
	json_t *arr = json_array();
	size_t n = 0, i;
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s/series", dir);
	if (access(path, R_OK) == 0) {
		ser = slurp(path, 1 << 20);
		for (line = strtok_r(ser, "\n", &save); line && n < 512;
		     line = strtok_r(NULL, "\n", &save)) {
			line[strcspn(line, " \t#")] = '\0';
			if (*line)
				names[n++] = strdup(line);
		}
		free(ser);
	} else {
		d = opendir(dir);
		if (!d) {
			fprintf(stderr, "iommulab: cannot read %s: %s\n", dir, strerror(errno));
			exit(CLI_FAIL);
		}
		while ((de = readdir(d)) && n < 512) {
			const char *dot = strrchr(de->d_name, '.');

			if (de->d_name[0] != '.' && dot && (!strcmp(dot, ".patch") ||
			    !strcmp(dot, ".diff") || !strcmp(dot, ".mbox")))
				names[n++] = strdup(de->d_name);
		}
		closedir(d);
		qsort(names, n, sizeof(names[0]), name_cmp);
	}
	for (i = 0; i < n; i++) {
		char *text;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		text = slurp(path, 4u << 20);
		json_array_append_new(arr, json_pack("{s:s, s:s}", "name", names[i], "text", text));
		free(text);
		free(names[i]);
	}
	if (!n)
		die_usage("%s holds no patches (a series file, or *.patch *.diff *.mbox)", dir);
	return arr;
}

/*
 * The "series" of a request from @path: a directory of patches
 * (series_dir) or one mbox/patch file as text. CLI_OK, or CLI_FAIL when
 * @path cannot be looked at (said on stderr); exits on what slurp refuses.
 */
int series_of(const char *path, json_t *req)
{
	struct stat sb;
	char *text;

	if (stat(path, &sb)) {
		fprintf(stderr, "iommulab: %s: %s\n", path, strerror(errno));
		return CLI_FAIL;
	}
	if (S_ISDIR(sb.st_mode)) {
		json_object_set_new(req, "series", series_dir(path));
	} else {
		text = slurp(path, 4u << 20);
		json_object_set_new(req, "series", json_string(text));
		free(text);
	}
	return CLI_OK;
}

static const struct command commands[] = {
	{ "plan", "submit", cmd_plan_submit,
	  "plan submit --kernel K [--kernel K2...] --target T [--target T2...]|--all-targets\n"
	  "            (T: a name or a match expression: 'q35-*', 'driver=intel-iommu|amd-iommu',\n"
	  "             'arch=x86_64,tag=vtd'; see server/sched.h)\n"
	  "            [--filter GLOB] [--repeat N] [--kind manual|nightly|patch]\n"
	  "            [--priority N] [--timeout S] [--max-attempts N] [--name NAME] [--json]",
	  "queue one job per kernel x target" },
	{ "jobs", NULL, cmd_jobs,
	  "jobs [--state queued|scheduled|running|complete|incomplete|canceled] [--plan N]\n"
	  "            [--kernel K] [--target T] [--limit N (default 100)] [--json]",
	  "list jobs, newest first" },
	{ "log", NULL, cmd_log, "log JOB", "a job's guest console log" },
	{ "cancel", NULL, cmd_cancel, "cancel JOB",
	  "cancel a queued or running job (a running guest is killed)" },
	{ "watch", NULL, cmd_watch, "watch PLAN [--interval S] [--timeout S]",
	  "show a plan's progress until every job is final (exit 1 if any is not complete)" },
	{ "results", NULL, cmd_results,
	  "results --kernel K [--target T] [--verdict V] | --job N  [--limit N] [--json]",
	  "the stored results of a kernel (one row per case)" },
	{ "diff", NULL, cmd_diff, "diff KERNEL1 KERNEL2 [--json] [--all] [--fail-on-regress] "
	  "[--base-target T1 --head-target T2]",
	  "errno-level diff of the latest results of two kernels (or of two twin targets, "
	  "e.g. q35-vtd and q35-vtd-q10); QEMU changes are listed apart, never regressions" },
	{ "export", NULL, cmd_export, "export junit|kcidb --plan N",
	  "a plan's results as JUnit XML or KCIDB JSON on stdout" },
	{ "kernels", "add", cmd_kernels_add, "kernels add NAME [--release R] [--arch A] "
	  "[--deb F.deb... | --image F --modules D [--headers D] | --url URL [--sha256 HEX]]",
	  "register a Debian kernel (6.1, 6.12 or an exact release), or bring your own" },
	{ "kernels", "list", cmd_kernels_list, "kernels list [--json]", "registered kernels" },
	{ "targets", "list", cmd_targets_list, "targets list [--json]", "known targets" },
	/* target health: cli_targets.c */
	{ "targets", "state", cmd_targets_state,
	  "targets state NAME active|maintenance|retired [--reason TEXT]",
	  "take a target out of service or back (active queues a health check)" },
	{ "targets", "check", cmd_targets_check, "targets check NAME [--kernel K] [--filter GLOB]",
	  "queue a health check of a target now" },
	{ "targets", "health", cmd_targets_health, "targets health NAME [--json]",
	  "a target's health, state and health history" },
	{ "contracts", "import", cmd_contracts_import, "contracts import CATALOGUE.json",
	  "import the agent's catalogue (iommulab-agent -l -j): a changed contract is a new version" },
	{ "contracts", "rejudge", cmd_contracts_rejudge, "contracts rejudge [--case ID] [--json]",
	  "recompute stored verdicts against the latest contracts (history kept)" },
	{ "contracts", "history", cmd_contracts_history, "contracts history [--case ID] [--json]",
	  "verdicts a rejudge changed: old -> new, contract version, when" },
	{ "patch", "submit", cmd_patch_submit,
	  "patch submit --base KERNEL|debian-6.12|/git/tree@ref [--target T...] [--filter GLOB]\n"
	  "            [--repeat N] [--name NAME] [--json] MBOX|DIR",
	  "validate a series: build base and base+series, run both, report per driver" },
	{ "patch", "report", cmd_patch_report, "patch report PLAN [--json]",
	  "a patch plan's report (text for a mailing-list reply); exit 1 when it fails" },
	{ "patch", "mail", cmd_patch_mail, "patch mail PLAN [--from 'Name <addr>'] [-o FILE]",
	  "a finished check's reply to its series (.eml: threaded, To/Cc, trailer)" },
	/* the regression lifecycle: cli_findings.c */
	{ "findings", "list", cmd_findings_list,
	  "findings list [--state open|fixed] [--target T] [--case C] [--driver D]\n"
	  "            [--expected|--unexpected] [--limit N] [--json]",
	  "tracked regressions (findings), newest first" },
	{ "findings", "show", cmd_findings_show, "findings show ID [--json]",
	  "one finding: its cause, kernels, events and links" },
	{ "findings", "ack", cmd_findings_ack, "findings ack ID [--note TEXT]",
	  "acknowledge a finding" },
	{ "findings", "link", cmd_findings_link, "findings link ID URL|MSGID",
	  "link a bug URL or a lore message id to a finding" },
	{ "findings", "expect", cmd_findings_expect,
	  "findings expect ID --reason TEXT\n"
	  "  | findings expect --reason TEXT [--driver D] [--case GLOB] [--target GLOB]\n"
	  "            [--kernels MIN..MAX]",
	  "mark a failure expected (a known issue)" },
	{ "findings", "known", cmd_findings_known, "findings known [--json]",
	  "the known issues, active and retired" },
	{ "findings", "retire", cmd_findings_retire, "findings retire KNOWN-ISSUE-ID --reason TEXT",
	  "retire a known issue whose bug is fixed: its failures count again (record kept)" },
	/* cli_subscribe.c */
	{ "subscribe", NULL, cmd_subscribe,
	  "subscribe webhook URL --secret S | maildir DIR [--driver D] [--vendor V] [--case GLOB]\n"
	  "            [--events finding-opened,finding-fixed,infra-storm,patch-check,nightly-regression]",
	  "be told of findings, infrastructure-failure storms, finished patch checks and nightly\n"
	  "            regressions (signed webhook or maildir)" },
	{ "subscriptions", NULL, cmd_subscriptions, "subscriptions", "the subscriptions" },
	{ "deliveries", NULL, cmd_deliveries, "deliveries SUBSCRIPTION",
	  "a subscription's deliveries with every attempt" },
	/* cli_reproduce.c */
	{ "reproduce", NULL, cmd_reproduce, "reproduce JOB [--run] [--log FILE]",
	  "the commands that rebuild and boot what a job ran, and its records; --run runs them "
	  "here and compares" },
	{ "bisect", "start", cmd_bisect_start,
	  "bisect start --tree PATH --good REF --bad REF --target T --case ID\n"
	  "            (--expect ERRNO | --verdict V) [--repeat N] [--verify] [--json]\n"
	  "            (--verify: run the good end first; stop if the predicate fails there)",
	  "find the first commit where the case stops observing ERRNO (or verdict V)" },
	{ "bisect", "series", cmd_bisect_series,
	  "bisect series --base KERNEL|debian-6.12|/git@ref --target T --case ID\n"
	  "            (--expect ERRNO | --verdict V) [--repeat N] [--json] MBOX|DIR",
	  "find the first patch of a series after which the case stops observing ERRNO" },
	{ "patch", "bisect", cmd_patch_bisect,
	  "patch bisect PLAN [--target T --case ID --expect E|--verdict V] [--repeat N] [--json]",
	  "bisect a patch report's series on its first changed row (its base errno expected)" },
	{ "bisect", "show", cmd_bisect_show, "bisect show ID [--wait [--timeout S]] [--json]",
	  "a bisection: steps, first bad commit, git bisect log (exit 1 unless found)" },
	{ "bisect", "list", cmd_bisect_list, "bisect list [--json]", "bisections, newest first" },
	{ "bisect", "cancel", cmd_bisect_cancel, "bisect cancel ID",
	  "stop a running bisection (its running step's job is canceled)" },
	{ "likely", NULL, cmd_likely,
	  "likely --tree PATH --from REF --to REF --driver D [--errno E] [--limit N] [--json]",
	  "commits between two refs touching the driver or the core, those naming E first" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"usage: iommulab [--server URL] [--token SECRET] [--token-file F] [-v] COMMAND ...\n"
		"\n"
		"The client of iommulabd. --server defaults to $IOMMULAB_SERVER or "
		CLI_DEFAULT_SERVER ";\nthe token to --token, $IOMMULAB_TOKEN, "
		"or $CACHE/state/admin.token.\n\ncommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s%s%s", commands[i].name,
			 commands[i].sub ? " " : "",
			 commands[i].sub ? commands[i].sub : "");
		fprintf(f, "  %-16s %s\n", name, commands[i].help);
	}
	fprintf(f, "\n`iommulab COMMAND --help` shows a command's options.\n"
		"exit: 0 ok, 1 refused/failed, 2 usage, 3 server unreachable\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "token", required_argument, NULL, 't' },
		{ "token-file", required_argument, NULL, 'f' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli c = { 0 };
	const struct command *cmd = NULL;
	size_t i;
	int o, ret, sub_argc;
	char **sub_argv;

	c.server = getenv("IOMMULAB_SERVER");
	if (!c.server || !*c.server)
		c.server = CLI_DEFAULT_SERVER;
	/* options before the command only ("+": stop at the first word) */
	while ((o = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (o) {
		case 's': c.server = optarg; break;
		case 't': c.token = optarg; break;
		case 'f': snprintf(c.token_file, sizeof(c.token_file), "%s", optarg); break;
		case 'v': c.verbose = true; break;
		case 'h': usage(stdout); return CLI_OK;
		default: usage(stderr); return CLI_USAGE;
		}
	}
	if (strncmp(c.server, "http://", 7) && strncmp(c.server, "https://", 8))
		die_usage("--server wants an http:// or https:// URL, not '%s'", c.server);
	while (strlen(c.server) > 8 && c.server[strlen(c.server) - 1] == '/') {
		static char srv[1024];

		snprintf(srv, sizeof(srv), "%s", c.server);
		srv[strlen(srv) - 1] = '\0';
		c.server = srv;
	}
	if (optind >= argc) {
		usage(stderr);
		return CLI_USAGE;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, argv[optind]))
			continue;
		if (!commands[i].sub) {
			cmd = &commands[i];
			break;
		}
		if (optind + 1 < argc && !strcmp(commands[i].sub, argv[optind + 1])) {
			cmd = &commands[i];
			break;
		}
	}
	if (!cmd) {
		bool known = false;

		for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			known |= !strcmp(commands[i].name, argv[optind]);
		if (known) {
			fprintf(stderr, "iommulab: %s needs a subcommand:\n", argv[optind]);
			for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
				if (!strcmp(commands[i].name, argv[optind]))
					fprintf(stderr, "  iommulab %s\n", commands[i].usage);
		} else {
			fprintf(stderr, "iommulab: unknown command '%s' (see --help)\n",
				argv[optind]);
		}
		return CLI_USAGE;
	}
	sub_argv = argv + optind + (cmd->sub ? 1 : 0);
	sub_argc = argc - optind - (cmd->sub ? 1 : 0);
	if (want_help(sub_argc, sub_argv)) {
		printf("usage: iommulab %s\n\n%s\n", cmd->usage, cmd->help);
		return CLI_OK;
	}
	optind = 0;	/* glibc: full re-initialisation (the first parse used "+") */
	curl_global_init(CURL_GLOBAL_DEFAULT);
	ret = cmd->fn(&c, sub_argc, sub_argv);
	curl_global_cleanup();
	return ret;
}
