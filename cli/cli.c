/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli.c - `iommulab`, the command-line client of iommulabd (libcurl).
 *
 * Purpose: submit plans, follow them, read results and diffs, export, and
 * register kernels, all through the HTTP API; the CLI never opens the
 * database. One table (commands[]) maps a command to its handler and help.
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
#include <time.h>
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

static void load_token(struct cli *c)
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
static json_t *get_all(struct cli *c, const char *path, size_t max)
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
static const char *errname(json_t *v, char *buf, size_t len)
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

static int cmd_plan_submit(struct cli *c, int argc, char **argv)
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

static int cmd_jobs(struct cli *c, int argc, char **argv)
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

static int cmd_cancel(struct cli *c, int argc, char **argv)
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

static int cmd_log(struct cli *c, int argc, char **argv)
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

static int cmd_watch(struct cli *c, int argc, char **argv)
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

static int cmd_results(struct cli *c, int argc, char **argv)
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

/* "EINVAL/pass" for one side of a diff row, "-" when absent */
static const char *side_str(json_t *side, char *buf, size_t len)
{
	json_t *setup = json_object_get(side, "setup");
	char e[16];
	size_t n;

	if (!json_is_object(side))
		return "-";
	/* a skip that observed nothing ran nothing: no errno to show */
	if (strcmp(jstr(side, "verdict", ""), "skip") == 0 && !json_is_object(setup) &&
	    !jint(side, "observed", 0))
		return "-/skip";
	n = (size_t)snprintf(buf, len, "%s/%s%s",
		 json_is_string(json_object_get(side, "observed_name")) ?
		 json_string_value(json_object_get(side, "observed_name")) :
		 errname(json_object_get(side, "observed"), e, sizeof(e)),
		 jstr(side, "verdict", "?"), json_is_true(json_object_get(side, "flaky")) ? "~" : "");
	if (json_is_object(setup) && n < len)
		snprintf(buf + n, len - n, " @%s=%s", jstr(setup, "step", "?"),
			 jstr(setup, "errno_name", "?"));
	return buf;
}

/* a row's known issue (server/core/diff_known.h) as a suffix of its CHANGE
 * cell: " [expected: known issue 3]", " [expected failure passed: known
 * issue 3]", or "" */
static const char *known_str(json_t *row, char *buf, size_t len)
{
	json_t *k = json_object_get(row, "known_issue");
	const char *l = jstr(k, "label", "");

	if (!json_is_object(k))
		return "";
	snprintf(buf, len, " [%s: known issue %lld]",
		 !strcmp(l, "expected_passed") ? "expected failure passed" : l, jint(k, "id", 0));
	return buf;
}

/* one line per known issue the rows name: its id and reason; and when a
 * row of it passes again, the command that retires it (the server's, the
 * row's "retire": server/core/diff_known.h) */
static void known_reasons(json_t *rows)
{
	json_t *v, *k, *w, *seen = json_object(), *retire = json_object();
	const char *id;
	char idb[32];
	size_t i;

	json_array_foreach(rows, i, v) {
		k = json_object_get(v, "known_issue");
		if (!json_is_object(k) || !seen || !retire)
			continue;
		snprintf(idb, sizeof(idb), "%lld", jint(k, "id", 0));
		if (json_is_string(json_object_get(k, "retire")))
			json_object_set(retire, idb, json_object_get(k, "retire"));
		if (json_object_get(seen, idb))
			continue;
		json_object_set_new(seen, idb, json_string(jstr(k, "reason", "")));
	}
	json_object_foreach(seen, id, w) {
		printf("known issue %s: %s\n", id, json_string_value(w));
		if (json_object_get(retire, id))
			printf("known issue %s passes again: retire it with: %s\n", id,
			       jstr(retire, id, ""));
	}
	json_decref(seen);
	json_decref(retire);
}

/*
 * Likely commits under a diff (issue 17.4): when both kernels are builds of
 * one git tree at two refs (recipe "tree=/path@ref"), ask the server for the
 * commits touching each regressed row's driver and naming its errno
 * (POST /api/v1/likely) and print the top three; without a token, print the
 * command instead.
 */
static void likely_hint(struct cli *c, const char *k1, const char *k2, json_t *rows)
{
	char path[512], q[256], tree[2][1024] = { "", "" }, *at[2];
	const char *ks[2] = { k1, k2 }, *src;
	json_t *v, *seen = json_object();
	size_t i;

	for (int k = 0; k < 2; k++) {
		json_t *kj;

		qesc(q, sizeof(q), ks[k]);
		snprintf(path, sizeof(path), "/api/v1/kernels/%s", q);
		if (request(c, "GET", path, NULL, &kj, true) != 200)
			goto out;
		src = jstr(kj, "source_ref", "");
		if (!strncmp(src, "tree=/", 6) && !strchr(src, ';'))
			snprintf(tree[k], sizeof(tree[k]), "%s", src + 5);
		json_decref(kj);
		at[k] = strrchr(tree[k], '@');
		if (!at[k])
			goto out;
		*at[k]++ = '\0';
	}
	if (strcmp(tree[0], tree[1]))
		goto out;
	json_array_foreach(rows, i, v) {
		const char *cls = jstr(v, "class", ""), *drv = jstr(v, "driver", "");
		const char *e = jstr(json_object_get(v, "head"), "observed_name", "");
		json_t *req, *r = NULL, *it, *x;
		char key[128];
		size_t j;

		if (strcmp(cls, "errno_changed") && strcmp(cls, "pass_to_fail"))
			continue;
		snprintf(key, sizeof(key), "%s/%s", drv, e);
		if (json_object_get(seen, key) || json_object_size(seen) >= 5)
			continue;
		json_object_set_new(seen, key, json_true());
		printf("likely commits for %s %s: iommulab likely --tree %s --from %s --to %s "
		       "--driver %s%s%s\n", drv, e, tree[0], at[0], at[1], drv,
		       strcmp(e, "OK") && *e ? " --errno " : "", strcmp(e, "OK") ? e : "");
		load_token(c);
		if (!c->token)
			continue;
		req = json_pack("{s:s, s:s, s:s, s:s, s:i}", "tree", tree[0], "from", at[0],
				"to", at[1], "driver", drv, "limit", 3);
		if (req && *e && strcmp(e, "OK"))
			json_object_set_new(req, "errno", json_string(e));
		if (req && request(c, "POST", "/api/v1/likely", req, &r, true) == 200) {
			it = json_object_get(r, "items");
			json_array_foreach(it, j, x)
				printf("  %.12s %s%s\n", jstr(x, "commit", "?"), jstr(x, "subject", ""),
				       json_is_true(json_object_get(x, "mentions_errno")) ?
				       "  (names the errno)" : "");
		}
		json_decref(r);
		json_decref(req);
	}
out:
	json_decref(seen);
}

/* one row of `iommulab diff`; a QEMU change names the two versions */
static void diff_row_print(json_t *v)
{
	json_t *head = json_object_get(v, "head"), *base = json_object_get(v, "base");
	json_t *exp = json_object_get(json_is_object(head) ? head : base, "expected_name");
	json_t *q = json_object_get(v, "qemu");
	char b1[112], b2[112], b3[16], b4[64], cls[160];

	if (json_is_true(json_object_get(v, "qemu_change")))
		snprintf(cls, sizeof(cls), "%s (QEMU %s -> %s)", jstr(v, "class", "?"),
			 jstr(q, "base", "?"), jstr(q, "head", "?"));
	else
		snprintf(cls, sizeof(cls), "%s", jstr(v, "class", "?"));
	printf("%-20s %-13s %-40s %-18s %-18s %-11s %s%s\n", jstr(v, "target", "?"),
	       jstr(v, "driver", "?"), jstr(v, "case", "?"),
	       side_str(base, b1, sizeof(b1)), side_str(head, b2, sizeof(b2)),
	       json_is_string(exp) ? json_string_value(exp) :
	       errname(json_object_get(json_is_object(head) ? head : base, "expected"),
		       b3, sizeof(b3)), cls, known_str(v, b4, sizeof(b4)));
}

static int cmd_diff(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "fail-on-regress", no_argument, NULL, 'F' },
		{ "base-target", required_argument, NULL, 'b' },
		{ "head-target", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char path[1024], q1[256], q2[256], t1[256] = "", t2[256] = "";
	bool js = false, all = false, fail = false;
	json_t *r, *rows, *v, *sum;
	long long regress, nqemu;
	size_t i;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'j': js = true; break;
		case 'a': all = true; break;
		case 'F': fail = true; break;
		case 'b': qesc(t1, sizeof(t1), optarg); break;
		case 'h': qesc(t2, sizeof(t2), optarg); break;
		default: exit(CLI_USAGE);
		}
	}
	if (optind + 2 != argc || !*t1 != !*t2)
		die_usage("usage: iommulab diff KERNEL1 KERNEL2 [--json] [--all] [--fail-on-regress] "
			  "[--base-target T1 --head-target T2]");
	qesc(q1, sizeof(q1), argv[optind]);
	qesc(q2, sizeof(q2), argv[optind + 1]);
	snprintf(path, sizeof(path), "/api/v1/diffs?base=%s&head=%s&changes_only=%d%s%s%s%s",
		 q1, q2, all ? 0 : 1, *t1 ? "&base_target=" : "", t1, *t2 ? "&head_target=" : "", t2);
	r = get_json(c, path);
	rows = json_object_get(r, "rows");
	sum = json_object_get(r, "summary");
	/* the server's count (diff.h): pass_to_fail, new_crash, new_warning,
	 * missing, a failing setup_changed or errno_changed */
	regress = jint(sum, "regressions", jint(sum, "pass_to_fail", 0));
	nqemu = jint(sum, "qemu_changes", 0);
	if (js) {
		print_json(r);
		json_decref(r);
		return fail && regress ? CLI_FAIL : CLI_OK;
	}
	if (*t1)
		printf("diff %s on %s -> %s on %s (latest complete results per case)\n",
		       argv[optind], jstr(json_object_get(r, "targets"), "base", "?"),
		       argv[optind + 1], jstr(json_object_get(r, "targets"), "head", "?"));
	else
		printf("diff %s -> %s (latest complete results per target and case)\n",
		       argv[optind], argv[optind + 1]);
	printf("%-20s %-13s %-40s %-18s %-18s %-11s %s\n", "TARGET", "DRIVER", "CASE",
	       argv[optind], argv[optind + 1], "EXPECTED", "CHANGE");
	json_array_foreach(rows, i, v)
		if (!json_is_true(json_object_get(v, "qemu_change")))
			diff_row_print(v);
	/* the QEMU changes apart, after the rest: not kernel regressions */
	if (nqemu) {
		printf("QEMU changes, not kernel regressions (the sides ran on different QEMU "
		       "versions): %lld\n", nqemu);
		json_array_foreach(rows, i, v)
			if (json_is_true(json_object_get(v, "qemu_change")))
				diff_row_print(v);
	}
	printf("%zu rows; unchanged %lld, errno changed %lld, pass->fail %lld, "
	       "fail->pass %lld, verdict changed %lld, new %lld, missing %lld, "
	       "setup changed %lld, flaky %lld, new crash %lld, crash fixed %lld, "
	       "new warning %lld; %lld regression%s, %lld QEMU change%s\n",
	       json_array_size(rows), jint(sum, "unchanged", 0), jint(sum, "errno_changed", 0),
	       jint(sum, "pass_to_fail", 0), jint(sum, "fail_to_pass", 0),
	       jint(sum, "verdict_changed", 0), jint(sum, "new", 0), jint(sum, "missing", 0),
	       jint(sum, "setup_changed", 0), jint(sum, "flaky", 0), jint(sum, "new_crash", 0),
	       jint(sum, "crash_fixed", 0), jint(sum, "new_warning", 0), regress,
	       regress == 1 ? "" : "s", nqemu, nqemu == 1 ? "" : "s");
	if (jint(sum, "expected", 0) || jint(sum, "expected_passed", 0))
		printf("%lld expected failure%s (known issues, not regressions), "
		       "%lld expected failure%s passed\n", jint(sum, "expected", 0),
		       jint(sum, "expected", 0) == 1 ? "" : "s", jint(sum, "expected_passed", 0),
		       jint(sum, "expected_passed", 0) == 1 ? "" : "s");
	known_reasons(rows);
	likely_hint(c, argv[optind], argv[optind + 1], rows);
	json_decref(r);
	return fail && regress ? CLI_FAIL : CLI_OK;
}

/* XML text escape to @f */
static void xml_put(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		switch (ch) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&apos;", f); break;
		default:
			if (ch < 0x20 && ch != '\n' && ch != '\t')
				fputc('?', f);
			else
				fputc(ch, f);
		}
	}
}

/*
 * JUnit XML: one <testsuite> per job (kernel/target), one <testcase> per
 * result; fail -> <failure>, error -> <error>, skip -> <skipped>. A job
 * that is not complete is one <testcase> with an <error> carrying its reason.
 */
static void export_junit(long plan, json_t *jobs, json_t **res)
{
	size_t i, k;
	json_t *j, *r;
	char b1[16], b2[16];

	printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	printf("<testsuites name=\"iommulab plan %ld\">\n", plan);
	json_array_foreach(jobs, i, j) {
		long long nf = 0, ne = 0, ns = 0;
		bool complete = !strcmp(jstr(j, "state", ""), "complete");

		json_array_foreach(res[i], k, r) {
			const char *v = jstr(r, "verdict", "");

			/* a CI counts a kernel report (crash, warn) as a failure too */
			nf += !strcmp(v, "fail") || !strcmp(v, "crash") || !strcmp(v, "warn");
			ne += !strcmp(v, "error");
			ns += !strcmp(v, "skip");
		}
		printf("  <testsuite name=\"");
		xml_put(stdout, jstr(j, "kernel", "?"));
		printf(".");
		xml_put(stdout, jstr(j, "target", "?"));
		printf("\" id=\"%lld\" tests=\"%zu\" failures=\"%lld\" errors=\"%lld\" skipped=\"%lld\">\n",
		       jint(j, "id", 0), complete ? json_array_size(res[i]) : 1, nf,
		       complete ? ne : 1, ns);
		if (!complete) {
			printf("    <testcase classname=\"job\" name=\"job-%lld\">\n"
			       "      <error message=\"job %s\">", jint(j, "id", 0),
			       jstr(j, "state", "?"));
			xml_put(stdout, jstr(j, "reason", ""));
			printf("</error>\n    </testcase>\n");
		}
		json_array_foreach(complete ? res[i] : NULL, k, r) {
			const char *v = jstr(r, "verdict", "");
			const char *why = jstr(r, "reason", "");

			printf("    <testcase classname=\"");
			xml_put(stdout, jstr(r, "driver", "?"));
			printf("\" name=\"");
			xml_put(stdout, jstr(r, "case", "?"));
			if (jint(r, "repeat", 0))
				printf("#%lld", jint(r, "repeat", 0));
			printf("\" time=\"%.6f\">", (double)jint(r, "duration_us", 0) / 1e6);
			snprintf(b1, sizeof(b1), "%s", errname(json_object_get(r, "observed"), b2, sizeof(b2)));
			if (!strcmp(v, "fail") || !strcmp(v, "error") || !strcmp(v, "crash") ||
			    !strcmp(v, "warn")) {
				const char *el = strcmp(v, "error") ? "failure" : "error";

				printf("<%s message=\"observed %s, expected %s%s%s\">", el, b1,
				       errname(json_object_get(r, "expected"), b2, sizeof(b2)),
				       strcmp(v, "fail") && strcmp(v, "error") ? ", kernel " : "",
				       strcmp(v, "fail") && strcmp(v, "error") ? v : "");
				xml_put(stdout, why);
				printf("</%s>", el);
			} else if (!strcmp(v, "skip")) {
				printf("<skipped message=\"");
				xml_put(stdout, why);
				printf("\"/>");
			}
			printf("</testcase>\n");
		}
		printf("  </testsuite>\n");
	}
	printf("</testsuites>\n");
}

/*
 * KCIDB (v4 I/O schema subset): one checkout and one build per kernel
 * ("iommulab:kernel-<name>"), one test per result ("iommulab:<result id>"). Status: pass PASS, fail FAIL,
 * skip SKIP, error ERROR.
 */
static void export_kcidb(long plan, json_t *jobs, json_t **res)
{
	json_t *out = json_object(), *builds = json_array(), *tests = json_array();
	json_t *checkouts = json_array();
	json_t *seen = json_object(), *j, *r;
	size_t i, k;

	json_object_set_new(out, "version", json_pack("{s:i, s:i}", "major", 4, "minor", 0));
	json_array_foreach(jobs, i, j) {
		const char *kernel = jstr(j, "kernel", "?");
		char build_id[160], id[64], path[256];

		snprintf(build_id, sizeof(build_id), "iommulab:kernel-%s", kernel);
		if (!json_object_get(seen, build_id)) {
			json_object_set_new(seen, build_id, json_true());
			json_array_append_new(checkouts, json_pack("{s:s, s:s}",
				"id", build_id, "origin", "iommulab"));
			json_array_append_new(builds, json_pack("{s:s, s:s, s:s, s:{s:s, s:I}}",
				"id", build_id, "origin", "iommulab",
				"checkout_id", build_id,
				"misc", "kernel", kernel, "plan", (json_int_t)plan));
		}
		json_array_foreach(res[i], k, r) {
			const char *v = jstr(r, "verdict", "");
			const char *status = !strcmp(v, "pass") ? "PASS" :
					     !strcmp(v, "fail") ? "FAIL" :
					     !strcmp(v, "skip") ? "SKIP" : "ERROR";

			snprintf(id, sizeof(id), "iommulab:%lld", jint(r, "id", 0));
			snprintf(path, sizeof(path), "iommulab.%s", jstr(r, "case", "?"));
			json_array_append_new(tests, json_pack(
				"{s:s, s:s, s:s, s:s, s:s, s:{s:s, s:s, s:I, s:o, s:I}}",
				"id", id, "build_id", build_id, "origin", "iommulab",
				"path", path, "status", status,
				"misc", "target", jstr(r, "target", "?"),
				"driver", jstr(r, "driver", "?"),
				"observed", (json_int_t)jint(r, "observed", 0),
				"expected", json_incref(json_object_get(r, "expected") ?
							json_object_get(r, "expected") : json_null()),
				"job", (json_int_t)jint(r, "job_id", 0)));
		}
	}
	json_object_set_new(out, "checkouts", checkouts);
	json_object_set_new(out, "builds", builds);
	json_object_set_new(out, "tests", tests);
	print_json(out);
	json_decref(out);
	json_decref(seen);
}

static int cmd_export(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "plan", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *fmt;
	char path[256];
	json_t *jobs, **res, *j;
	long plan = 0;
	size_t i;
	int o;

	if (argc < 2 || argv[1][0] == '-')
		die_usage("usage: iommulab export junit|kcidb --plan N");
	fmt = argv[1];
	if (strcmp(fmt, "junit") && strcmp(fmt, "kcidb"))
		die_usage("export format is junit or kcidb, not '%s'", fmt);
	argc--;
	argv++;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'p': plan = parse_long("--plan", optarg, 1, LONG_MAX); break;
		default: exit(CLI_USAGE);
		}
	}
	if (!plan)
		die_usage("export needs --plan N");
	snprintf(path, sizeof(path), "/api/v1/plans/%ld", plan);
	json_decref(get_json(c, path));	/* 404 for an unknown plan */
	snprintf(path, sizeof(path), "/api/v1/jobs?plan=%ld", plan);
	jobs = get_all(c, path, 1000000);
	res = calloc(json_array_size(jobs) + 1, sizeof(*res));
	if (!res) {
		fprintf(stderr, "iommulab: out of memory\n");
		return CLI_FAIL;
	}
	json_array_foreach(jobs, i, j) {
		snprintf(path, sizeof(path), "/api/v1/results?job=%lld", jint(j, "id", 0));
		res[i] = get_all(c, path, 10000000);
	}
	if (!strcmp(fmt, "junit"))
		export_junit(plan, jobs, res);
	else
		export_kcidb(plan, jobs, res);
	for (i = 0; i < json_array_size(jobs); i++)
		json_decref(res[i]);
	free(res);
	json_decref(jobs);
	return CLI_OK;
}

/* append "KEY=ABSPATH" to the local source_ref @ref (of @len bytes) */
static void local_part(char *ref, size_t len, const char *key, const char *path)
{
	char abs[PATH_MAX];
	size_t l = strlen(ref);

	if (!realpath(path, abs))
		die_usage("%s: %s", path, strerror(errno));
	if (snprintf(ref + l, len - l, "%s%s=%s", l ? ";" : "", key, abs) >= (int)(len - l))
		die_usage("too many or too long paths");
}

static int cmd_kernels_add(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "release", required_argument, NULL, 'r' },
		{ "arch", required_argument, NULL, 'a' },
		{ "deb", required_argument, NULL, 'd' },
		{ "image", required_argument, NULL, 'i' },
		{ "modules", required_argument, NULL, 'm' },
		{ "headers", required_argument, NULL, 'H' },
		{ "config", required_argument, NULL, 'c' },
		{ "url", required_argument, NULL, 'u' },
		{ "sha256", required_argument, NULL, 's' },
		{ NULL, 0, NULL, 0 },
	};
	json_t *k = json_object(), *r = NULL;
	char ref[4096] = "";
	const char *url = NULL, *sha = NULL;
	bool deb = false, parts = false;
	long st;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'r': json_object_set_new(k, "release", json_string(optarg)); break;
		case 'a': json_object_set_new(k, "arch", json_string(optarg)); break;
		case 'd': local_part(ref, sizeof(ref), "deb", optarg); deb = true; break;
		case 'i': local_part(ref, sizeof(ref), "image", optarg); parts = true; break;
		case 'm': local_part(ref, sizeof(ref), "modules", optarg); parts = true; break;
		case 'H': local_part(ref, sizeof(ref), "headers", optarg); parts = true; break;
		case 'c': local_part(ref, sizeof(ref), "config", optarg); parts = true; break;
		case 'u': url = optarg; break;
		case 's': sha = optarg; break;
		default: exit(CLI_USAGE);
		}
	}
	/* --deb A.deb B.deb C.deb: the files after the first are operands */
	while (deb && optind + 1 < argc)
		local_part(ref, sizeof(ref), "deb", argv[--argc]);
	if (optind + 1 != argc || (deb + parts + !!url) > 1 || (sha && !url))
		die_usage("usage: iommulab kernels add NAME [--release R] [--arch A]"
			  " (NAME: 6.1, 6.12 or a Debian release)\n"
			  "       iommulab kernels add NAME [--arch A] --deb F.deb... |"
			  " --image F --modules D [--headers D] [--config F] |"
			  " --url URL [--sha256 HEX]");
	json_object_set_new(k, "name", json_string(argv[optind]));
	if (url) {
		json_object_set_new(k, "source", json_string("url"));
		json_object_set_new(k, "source_ref", json_string(url));
		if (sha)
			json_object_set_new(k, "sha256", json_string(sha));
	} else if (*ref) {
		json_object_set_new(k, "source", json_string("local"));
		json_object_set_new(k, "source_ref", json_string(ref));
	} else {
		json_object_set_new(k, "source", json_string("debian"));
	}
	st = request(c, "POST", "/api/v1/kernels", k, &r, false);
	json_decref(k);
	if (st < 200 || st >= 300)
		return CLI_FAIL;
	printf("kernel %s registered%s%s", jstr(r, "name", argv[optind]),
	       json_object_get(r, "release") ? ": " : "", jstr(r, "release", ""));
	if (url || *ref)
		printf(" (source %s: imported into the cache by its first job)", url ? "url" : "local");
	printf("\n");
	json_decref(r);
	return CLI_OK;
}

static int cmd_list(struct cli *c, const char *path, const char *key,
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

static int cmd_kernels_list(struct cli *c, int argc, char **argv)
{
	static const char *const cols[] = { "name", "release", "version", "arch", "source", NULL };

	return cmd_list(c, "/api/v1/kernels", "kernels", cols, argc, argv);
}

static int cmd_targets_list(struct cli *c, int argc, char **argv)
{
	static const char *const cols[] = { "name", "arch", "backend", "driver", "health", NULL };

	return cmd_list(c, "/api/v1/targets", "targets", cols, argc, argv);
}

/* ------------------------------------------------------------------ */
/* patch submit / report (server/patch.c through /api/v1/patches)      */

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
static int series_of(const char *path, json_t *req)
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

static int cmd_patch_submit(struct cli *c, int argc, char **argv)
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

static int cmd_patch_report(struct cli *c, int argc, char **argv)
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

/* ---- contracts: the server judges (docs/server.md "Verdicts") ---------- */

static int cmd_contracts_import(struct cli *c, int argc, char **argv)
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

static int cmd_contracts_rejudge(struct cli *c, int argc, char **argv)
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

static int cmd_contracts_history(struct cli *c, int argc, char **argv)
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

/* ------------------------------------------------------------------ */
/* bisect start / show / list (flows/bisect.c through /api/v1/bisections) */
/* ------------------------------------------------------------------ */

static int cmd_bisect_start(struct cli *c, int argc, char **argv)
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

static int cmd_bisect_show(struct cli *c, int argc, char **argv)
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

static int cmd_bisect_cancel(struct cli *c, int argc, char **argv)
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

static int cmd_bisect_list(struct cli *c, int argc, char **argv)
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

static int cmd_likely(struct cli *c, int argc, char **argv)
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

static int cmd_bisect_series(struct cli *c, int argc, char **argv)
{
	return cmd_bisect_series_or_patch(c, argc, argv, false);
}

static int cmd_patch_bisect(struct cli *c, int argc, char **argv)
{
	return cmd_bisect_series_or_patch(c, argc, argv, true);
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
