/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config.c - defaults, environment and command line for iommulabd (config.h).
 */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>

#include "config.h"
#include "log.h"
#include "names.h"

/*
 * The default HTTP thread count: one CPU left for everything else on the
 * host (clients, the scheduler, QEMU guests, SQLite writers), 1..4. A
 * cached answer costs ~10 us of CPU, so one thread serves >40,000
 * requests/s; on a 2-core host a second worker only competes with the
 * rest for the cores: wrk -t1 -c64, 6 interleaved runs at load ~5, p99
 * median 5 ms (1 thread) vs 10 ms (matrix) and 4.6 ms vs 138 ms (job
 * list) with 2 threads (bench/README.md, "API under load").
 */
static unsigned auto_threads(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 2)
		return 1;
	return n - 1 > 4 ? 4 : (unsigned)(n - 1);
}

static int set_path(char *dst, const char *src, char *err, size_t errlen,
		    const char *what)
{
	char cwd[PATH_MAX];
	int n;

	if (!src || !*src) {
		snprintf(err, errlen, "%s: empty path", what);
		return -EINVAL;
	}
	if (src[0] == '/') {
		n = snprintf(dst, PATH_MAX, "%s", src);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return -errno;
		n = snprintf(dst, PATH_MAX, "%s/%s", cwd, src);
	}
	if (n < 0 || n >= PATH_MAX) {
		snprintf(err, errlen, "%s: path too long", what);
		return -ENAMETOOLONG;
	}
	return 0;
}

static int join(char *dst, const char *a, const char *b)
{
	int n = snprintf(dst, PATH_MAX, "%s/%s", a, b);

	return (n < 0 || n >= PATH_MAX) ? -ENAMETOOLONG : 0;
}

static bool is_top(const char *dir)
{
	char p[PATH_MAX];
	struct stat sb;

	return join(p, dir, "schema/0001-init.sql") == 0 && stat(p, &sb) == 0;
}

/* the repo top: upward from the executable, else the working directory */
static void find_top(char *top)
{
	char dir[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);

	if (n > 0) {
		dir[n] = 0;
		while (strcmp(dir, "/") != 0) {
			char *slash = strrchr(dir, '/');

			if (!slash)
				break;
			if (slash == dir)
				slash[1] = 0;
			else
				*slash = 0;
			if (is_top(dir)) {
				snprintf(top, PATH_MAX, "%s", dir);
				return;
			}
		}
	}
	if (!getcwd(top, PATH_MAX))
		snprintf(top, PATH_MAX, "/");
}

void lab_config_defaults(struct lab_config *cfg)
{
	const char *env;

	memset(cfg, 0, sizeof(*cfg));
	env = getenv("LAB_TOP");
	if (env && env[0] == '/')
		snprintf(cfg->top, PATH_MAX, "%s", env);
	else
		find_top(cfg->top);
	env = getenv("CACHE");
	if (env && env[0] == '/')
		snprintf(cfg->cache_dir, PATH_MAX, "%s", env);
	else
		snprintf(cfg->cache_dir, PATH_MAX, "%s/.cache/iommulab",
			 getenv("HOME") ? getenv("HOME") : "/root");
	snprintf(cfg->listen_addr, sizeof(cfg->listen_addr), "%s",
		 LAB_DEFAULT_LISTEN);
	cfg->port = LAB_DEFAULT_PORT;
	cfg->body_max = LAB_DEFAULT_BODY_MAX;
	cfg->header_s = LAB_DEFAULT_HEADER_S;
	cfg->body_s = LAB_DEFAULT_BODY_S;
	cfg->per_ip = LAB_DEFAULT_PER_IP;
	cfg->log_level = LAB_LOG_INFO;
	cfg->scheduler = true;
}

void lab_config_usage(FILE *f, const char *prog)
{
	fprintf(f,
"usage: %s [OPTION]...\n"
"       %s fetch URL OUTPUT [SHA256]   (one verified download, for kernels/import)\n"
"iommulabd: the iommulab server (REST API /api/v1, job scheduler, dashboard).\n"
"\n"
"  --top DIR          repo top (default: $LAB_TOP or found from the binary)\n"
"  --cache DIR        download/build cache (default: $CACHE or ~/.cache/iommulab)\n"
"  --state-dir DIR    database, admin token, job logs (default: CACHE/state)\n"
"  --db FILE          SQLite database (default: STATE/iommulab.db)\n"
"  --schema DIR       migrations (default: TOP/schema)\n"
"  --targets DIR      target JSON files (default: TOP/targets)\n"
"  --web DIR          static dashboard files (default: TOP/web)\n"
"  --token-file FILE  where the admin token is written on first start\n"
"                     (default: STATE/admin.token, mode 0600)\n"
"  --labs FILE        LAVA labs (JSON); default: none\n"
"  --catalogue FILE   the agent's case catalogue (iommulab-agent -l -j), imported\n"
"                     at start: its contracts are what the server judges by\n"
"                     (default: $O/agent/catalogue.json, O = $O or TOP/build)\n"
"  --listen ADDR      IPv4 address to bind (default: %s)\n"
"  --port N           TCP port (default: %d; 0 = any free port, printed)\n"
"  --public-url URL   the dashboard's address as its users reach it\n"
"                     (http[s]://host[:port][/path], e.g. behind a proxy),\n"
"                     for the links in patch-check events, reports and mail\n"
"                     (default: http://LISTEN:PORT with the port bound; this\n"
"                     host's name for 0.0.0.0)\n"
"  --threads N        HTTP worker threads (default: CPUs - 1, 1..4)\n"
"  --http-mode M      pool (poll(2) thread pool, default) or thread (one\n"
"                     thread per connection)\n"
"  --body-max BYTES   largest request body (default: %u; larger -> 413)\n"
"  --header-timeout S a request's headers must arrive within S seconds in\n"
"                     all (default: %u; not reset by each byte)\n"
"  --body-timeout S   and its body within S seconds of them (default: %u)\n"
"  --per-ip-limit N   connections from one client address (default: %u)\n"
"  --no-scheduler     serve the API only, never start jobs\n"
"  --log-level L      debug|info|warn|error (default: info)\n"
"  -h, --help         this text\n"
"\n"
"SIGTERM or SIGINT shuts down cleanly.\n",
		prog, prog, LAB_DEFAULT_LISTEN, LAB_DEFAULT_PORT, LAB_DEFAULT_BODY_MAX,
		LAB_DEFAULT_HEADER_S, LAB_DEFAULT_BODY_S, LAB_DEFAULT_PER_IP);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

/* --public-url: an http(s) URL of the name rule's bytes (names.h), kept
 * without its trailing '/' (links append "/#/...", "/api/v1/...") */
static int set_public_url(struct lab_config *cfg, const char *v, char *err, size_t errlen)
{
	size_t n = v ? strlen(v) : 0;
	const char *host = NULL;

	while (n > 0 && v[n - 1] == '/')
		n--;
	if (n < sizeof(cfg->public_url) && lab_name_ok_n(LAB_NAME_URL, v, n))
		host = strstr(v, "://") + 3;	/* the rule: http:// or https:// */
	if (!host || host >= v + n || *host == '/' || memchr(v, '?', n) || memchr(v, '#', n)) {
		snprintf(err, errlen, "--public-url: '%.64s' is not an http:// or https:// URL "
			 "with a host: up to %zu bytes of [A-Za-z0-9._~:/&=%%+@-], without \"..\"",
			 v ? v : "", sizeof(cfg->public_url) - 1);
		return -EINVAL;
	}
	snprintf(cfg->public_url, sizeof(cfg->public_url), "%.*s", (int)n, v);
	return 0;
}

enum {
	OPT_TOP = 256, OPT_CACHE, OPT_STATE, OPT_DB, OPT_SCHEMA, OPT_TARGETS,
	OPT_WEB, OPT_TOKEN, OPT_LABS, OPT_LISTEN, OPT_PORT, OPT_THREADS,
	OPT_BODY, OPT_NOSCHED, OPT_LOGLEVEL, OPT_HTTPMODE, OPT_HEADER_S, OPT_BODY_S,
	OPT_PER_IP, OPT_CATALOGUE, OPT_PUBLIC_URL,
};

static const struct option long_opts[] = {
	{ "top", required_argument, NULL, OPT_TOP },
	{ "cache", required_argument, NULL, OPT_CACHE },
	{ "state-dir", required_argument, NULL, OPT_STATE },
	{ "db", required_argument, NULL, OPT_DB },
	{ "schema", required_argument, NULL, OPT_SCHEMA },
	{ "targets", required_argument, NULL, OPT_TARGETS },
	{ "web", required_argument, NULL, OPT_WEB },
	{ "token-file", required_argument, NULL, OPT_TOKEN },
	{ "labs", required_argument, NULL, OPT_LABS },
	{ "catalogue", required_argument, NULL, OPT_CATALOGUE },
	{ "listen", required_argument, NULL, OPT_LISTEN },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "public-url", required_argument, NULL, OPT_PUBLIC_URL },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "body-max", required_argument, NULL, OPT_BODY },
	{ "no-scheduler", no_argument, NULL, OPT_NOSCHED },
	{ "log-level", required_argument, NULL, OPT_LOGLEVEL },
	{ "http-mode", required_argument, NULL, OPT_HTTPMODE },
	{ "header-timeout", required_argument, NULL, OPT_HEADER_S },
	{ "body-timeout", required_argument, NULL, OPT_BODY_S },
	{ "per-ip-limit", required_argument, NULL, OPT_PER_IP },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int lab_config_from_args(struct lab_config *cfg, int argc, char **argv,
			 char *err, size_t errlen)
{
	enum lab_log_level lvl;
	struct in_addr ia;
	unsigned long v;
	json_error_t je;
	int c, r = 0;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
		const char *name = optind > 0 && optind <= argc ?
				   argv[optind - 1] : "?";

		switch (c) {
		case OPT_TOP: r = set_path(cfg->top, optarg, err, errlen, name); break;
		case OPT_CACHE: r = set_path(cfg->cache_dir, optarg, err, errlen, name); break;
		case OPT_STATE: r = set_path(cfg->state_dir, optarg, err, errlen, name); break;
		case OPT_DB: r = set_path(cfg->db_path, optarg, err, errlen, name); break;
		case OPT_SCHEMA: r = set_path(cfg->schema_dir, optarg, err, errlen, name); break;
		case OPT_TARGETS: r = set_path(cfg->targets_dir, optarg, err, errlen, name); break;
		case OPT_WEB: r = set_path(cfg->web_dir, optarg, err, errlen, name); break;
		case OPT_TOKEN: r = set_path(cfg->token_file, optarg, err, errlen, name); break;
		case OPT_LABS: r = set_path(cfg->labs_file, optarg, err, errlen, name); break;
		case OPT_CATALOGUE: r = set_path(cfg->catalogue_file, optarg, err, errlen, name); break;
		case OPT_LISTEN:
			if (inet_pton(AF_INET, optarg, &ia) != 1 ||
			    strlen(optarg) >= sizeof(cfg->listen_addr)) {
				snprintf(err, errlen, "--listen: '%s' is not an IPv4 address", optarg);
				return -EINVAL;
			}
			snprintf(cfg->listen_addr, sizeof(cfg->listen_addr), "%s", optarg);
			break;
		case OPT_PORT:
			if (parse_uint(optarg, 65535, &v)) {
				snprintf(err, errlen, "--port: '%s' is not a port (0-65535)", optarg);
				return -EINVAL;
			}
			cfg->port = (unsigned)v;
			break;
		case OPT_PUBLIC_URL:
			r = set_public_url(cfg, optarg, err, errlen);
			break;
		case OPT_THREADS:
			if (parse_uint(optarg, 64, &v) || v == 0) {
				snprintf(err, errlen, "--threads: '%s' is not 1-64", optarg);
				return -EINVAL;
			}
			cfg->threads = (unsigned)v;
			break;
		case OPT_BODY:
			if (parse_uint(optarg, 1ul << 30, &v) || v < 1024) {
				snprintf(err, errlen, "--body-max: '%s' is not 1024..1073741824", optarg);
				return -EINVAL;
			}
			cfg->body_max = v;
			break;
		case OPT_HEADER_S:
		case OPT_BODY_S:
			if (parse_uint(optarg, 3600, &v) || v == 0) {
				snprintf(err, errlen, "--%s: '%s' is not 1-3600 seconds",
					 c == OPT_HEADER_S ? "header-timeout" : "body-timeout", optarg);
				return -EINVAL;
			}
			*(c == OPT_HEADER_S ? &cfg->header_s : &cfg->body_s) = (unsigned)v;
			break;
		case OPT_PER_IP:
			if (parse_uint(optarg, 1000, &v) || v == 0) {
				snprintf(err, errlen, "--per-ip-limit: '%s' is not 1-1000", optarg);
				return -EINVAL;
			}
			cfg->per_ip = (unsigned)v;
			break;
		case OPT_HTTPMODE:
			if (strcmp(optarg, "pool") && strcmp(optarg, "thread")) {
				snprintf(err, errlen, "--http-mode: '%s' is not pool|thread", optarg);
				return -EINVAL;
			}
			cfg->thread_per_conn = strcmp(optarg, "thread") == 0;
			break;
		case OPT_NOSCHED:
			cfg->scheduler = false;
			break;
		case OPT_LOGLEVEL:
			if (lab_log_level_parse(optarg, &lvl)) {
				snprintf(err, errlen, "--log-level: '%s' is not debug|info|warn|error", optarg);
				return -EINVAL;
			}
			cfg->log_level = lvl;
			break;
		case 'h':
			cfg->show_help = true;
			return 0;
		case ':':
			snprintf(err, errlen, "%s: needs an argument", name);
			return -EINVAL;
		default:
			snprintf(err, errlen, "unknown option '%s' (try --help)", name);
			return -EINVAL;
		}
		if (r)
			return r;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s' (try --help)", argv[optind]);
		return -EINVAL;
	}

	/* derived defaults, in dependency order */
	if (!cfg->state_dir[0] && (r = join(cfg->state_dir, cfg->cache_dir, "state")))
		goto too_long;
	if (!cfg->db_path[0] && (r = join(cfg->db_path, cfg->state_dir, "iommulab.db")))
		goto too_long;
	if (!cfg->schema_dir[0] && (r = join(cfg->schema_dir, cfg->top, "schema")))
		goto too_long;
	if (!cfg->targets_dir[0] && (r = join(cfg->targets_dir, cfg->top, "targets")))
		goto too_long;
	if (!cfg->web_dir[0] && (r = join(cfg->web_dir, cfg->top, "web")))
		goto too_long;
	if (!cfg->catalogue_file[0]) {
		const char *o = getenv("O");
		char build[PATH_MAX];

		if (o && *o)
			snprintf(build, sizeof(build), "%s", o);
		else if ((r = join(build, cfg->top, "build")))
			goto too_long;
		if ((r = join(cfg->catalogue_file, build, "agent/catalogue.json")))
			goto too_long;
	}
	if (!cfg->token_file[0] && (r = join(cfg->token_file, cfg->state_dir, "admin.token")))
		goto too_long;
	if (!cfg->threads)
		cfg->threads = auto_threads();
	if (cfg->labs_file[0]) {
		cfg->labs = json_load_file(cfg->labs_file, 0, &je);
		if (!cfg->labs) {
			snprintf(err, errlen, "--labs %s: line %d: %s", cfg->labs_file,
				 je.line, je.text);
			return -EINVAL;
		}
	}
	return 0;
too_long:
	snprintf(err, errlen, "a derived path is longer than PATH_MAX");
	return r;
}

void lab_config_clear(struct lab_config *cfg)
{
	if (!cfg)
		return;
	json_decref(cfg->labs);
	cfg->labs = NULL;
}
