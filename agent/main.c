/*
 * main.c - iommulab-agent: options from /proc/cmdline and argv, then list,
 * print the environment, or run the catalogue.
 *
 * Precedence: built-in defaults < kernel command line (iommulab.*=) < argv.
 * Bad input (unknown option, malformed value) is reported on stderr with
 * exit status 2 and nothing runs. Exit status of a run: 0 all passed or
 * skipped, 1 something failed or errored.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "runner.h"

static void usage(FILE *f)
{
	fprintf(f,
"usage: iommulab-agent [options]\n"
"Runs the iommulab case catalogue on this machine and prints KTAP with\n"
"IOMMULAB-BEGIN/REC/END record lines (docs/records.md) on stdout.\n"
"\n"
"  -l, --list            list the cases (with -j: the catalogue as JSON)\n"
"  -j, --json            JSON output for --list\n"
"  -e, --env             print what discovery found and exit\n"
"  -f, --filter GLOB     run only cases whose id matches GLOB (repeatable,\n"
"                        or comma-separated), e.g. -f 'kmod.*'\n"
"  -r, --repeat N        run every selected case N times (1..1000)\n"
"  -t, --target NAME     target name put into the records ([a-z0-9-]+)\n"
"  -T, --timeout SEC     per-case time limit (default 60)\n"
"      --lava            also print <LAVA_SIGNAL_TESTCASE ...> lines\n"
"      --fault KIND      panic|hang|garbage|norecords: misbehave on purpose\n"
"                        (for the server's tests); warn|oops|kpanic: run the\n"
"                        kernel fault case fault.KIND first (the probe module\n"
"                        needs fault_ops=1)\n"
"      --resume N        start at case run N (1-based, as IOMMULAB-START's n):\n"
"                        the runs before it are skipped (the QEMU runner's\n"
"                        reboot after a case crashed the guest)\n"
"      --no-cmdline      ignore iommulab.* options on /proc/cmdline\n"
"      --no-modprobe     do not try to load iommulab_probe/vfio-pci/iommufd\n"
"      --root DIR        read /sys, /proc, /dev, /boot under DIR (tests)\n"
"  -h, --help            this text\n"
"\n"
"Kernel command line: iommulab.target= iommulab.filter= iommulab.repeat=\n"
"iommulab.lava=1 iommulab.fault= iommulab.resume=N (start at case run N, after\n"
"a reboot; argv wins over the command line).\n");
}

static int valid_target(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 63)
		return 0;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

static int valid_glob(const char *s)
{
	size_t n = strlen(s);

	return n && n <= 96 &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_.-*?[]!") == n;
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* split a comma list of globs into o->filters (the strings are kept) */
static int add_filters(struct lab_run_opts *o, char *list, const char *from)
{
	char *save = NULL, *tok;

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!valid_glob(tok)) {
			fprintf(stderr, "iommulab-agent: %s: invalid filter '%s' (allowed: [a-z0-9_.-*?[]!])\n",
				from, tok);
			return -EINVAL;
		}
		if (o->nfilters >= LAB_MAX_FILTERS) {
			fprintf(stderr, "iommulab-agent: %s: more than %d filters\n", from,
				LAB_MAX_FILTERS);
			return -E2BIG;
		}
		o->filters[o->nfilters++] = tok;
	}
	return 0;
}

/* apply one iommulab.KEY=VALUE; unknown keys are reported and ignored */
static int apply_cmdline_opt(struct lab_run_opts *o, const char *key, char *val)
{
	if (strcmp(key, "target") == 0) {
		if (!valid_target(val))
			goto bad;
		snprintf(o->target, sizeof(o->target), "%s", val);
	} else if (strcmp(key, "filter") == 0) {
		o->nfilters = 0;
		return add_filters(o, val, "iommulab.filter");
	} else if (strcmp(key, "repeat") == 0) {
		if (parse_int(val, 1, 1000, &o->repeat))
			goto bad;
	} else if (strcmp(key, "lava") == 0) {
		o->lava = strcmp(val, "0") != 0;
	} else if (strcmp(key, "timeout") == 0) {
		if (parse_int(val, 1, 3600, &o->timeout_s))
			goto bad;
	} else if (strcmp(key, "fault") == 0) {
		if (lab_fault_parse(val, &o->fault))
			goto bad;
	} else if (strcmp(key, "resume") == 0) {
		if (parse_int(val, 1, 1000000, &o->resume))
			goto bad;
	} else if (strcmp(key, "limits") == 0) {
		/* a target fact, read by env.c (lab_env_has_limit) */
	} else {
		printf("# iommulab-agent: ignoring unknown kernel option iommulab.%s\n", key);
	}
	return 0;
bad:
	fprintf(stderr, "iommulab-agent: invalid kernel option iommulab.%s=%s\n", key, val);
	return -EINVAL;
}

static int read_cmdline(struct lab_run_opts *o)
{
	static char buf[4096];
	char *save = NULL, *tok;
	ssize_t n;
	int fd, ret;

	fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	for (tok = strtok_r(buf, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
		char *eq;

		if (strncmp(tok, "iommulab.", 9) != 0)
			continue;
		eq = strchr(tok, '=');
		if (!eq)
			continue;
		*eq = '\0';
		ret = apply_cmdline_opt(o, tok + 9, eq + 1);
		if (ret)
			return ret;
	}
	return 0;
}

enum { OPT_LAVA = 256, OPT_FAULT, OPT_NO_CMDLINE, OPT_NO_MODPROBE, OPT_ROOT, OPT_RESUME };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "list", no_argument, NULL, 'l' },
		{ "json", no_argument, NULL, 'j' },
		{ "env", no_argument, NULL, 'e' },
		{ "filter", required_argument, NULL, 'f' },
		{ "repeat", required_argument, NULL, 'r' },
		{ "target", required_argument, NULL, 't' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "lava", no_argument, NULL, OPT_LAVA },
		{ "fault", required_argument, NULL, OPT_FAULT },
		{ "resume", required_argument, NULL, OPT_RESUME },
		{ "no-cmdline", no_argument, NULL, OPT_NO_CMDLINE },
		{ "no-modprobe", no_argument, NULL, OPT_NO_MODPROBE },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct lab_run_opts o = { .repeat = 1, .timeout_s = 60, .fault = LAB_FAULT_NONE, .resume = 1 };
	int list = 0, json = 0, env_only = 0, use_cmdline = 1, modprobe = 1, argv_filters = 0;
	static struct lab_env env;
	const char *root = "";
	int c, ret, i;

	snprintf(o.target, sizeof(o.target), "unknown");
	/* first pass: only --no-cmdline, so argv can override the command line */
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "--no-cmdline") == 0)
			use_cmdline = 0;
	if (use_cmdline && read_cmdline(&o))
		return 2;

	while ((c = getopt_long(argc, argv, "ljef:r:t:T:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'l': list = 1; break;
		case 'j': json = 1; break;
		case 'e': env_only = 1; break;
		case 'f':
			if (!argv_filters) {
				o.nfilters = 0;	/* argv replaces the command line's filters */
				argv_filters = 1;
			}
			if (add_filters(&o, optarg, "-f"))
				return 2;
			break;
		case 'r':
			if (parse_int(optarg, 1, 1000, &o.repeat)) {
				fprintf(stderr, "iommulab-agent: -r: expected 1..1000, got '%s'\n", optarg);
				return 2;
			}
			break;
		case 't':
			if (!valid_target(optarg)) {
				fprintf(stderr, "iommulab-agent: -t: invalid target name '%s' ([a-z0-9-]+)\n",
					optarg);
				return 2;
			}
			snprintf(o.target, sizeof(o.target), "%s", optarg);
			break;
		case 'T':
			if (parse_int(optarg, 1, 3600, &o.timeout_s)) {
				fprintf(stderr, "iommulab-agent: -T: expected 1..3600 seconds, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case OPT_LAVA: o.lava = 1; break;
		case OPT_FAULT:
			if (lab_fault_parse(optarg, &o.fault)) {
				fprintf(stderr, "iommulab-agent: --fault: expected panic|hang|garbage|norecords|warn|oops|kpanic|boot, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case OPT_RESUME:
			if (parse_int(optarg, 1, 1000000, &o.resume)) {
				fprintf(stderr, "iommulab-agent: --resume: expected 1..1000000, got '%s'\n",
					optarg);
				return 2;
			}
			break;
		case OPT_NO_CMDLINE: break;
		case OPT_NO_MODPROBE: modprobe = 0; break;
		case OPT_ROOT: root = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "iommulab-agent: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (json && !list) {
		fprintf(stderr, "iommulab-agent: -j only goes with -l\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	if (list)
		return lab_runner_list(&o, json, 1) ? 1 : 0;

	ret = lab_env_discover(&env, root);
	if (ret) {
		fprintf(stderr, "iommulab-agent: discovery failed: %s\n", strerror(-ret));
		return 1;
	}
	if (modprobe && !env_only)
		lab_env_load_modules(&env);
	if (env_only) {
		lab_env_print(&env, stdout);
		return 0;
	}
	o.quiet_console = root[0] == '\0';
	ret = lab_runner_run(&env, &o);
	return ret < 0 ? 1 : ret;
}
