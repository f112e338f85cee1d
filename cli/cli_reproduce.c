/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli_reproduce.c - `iommulab reproduce JOB [--run] [--log FILE]`: the
 * commands that rebuild and boot what job JOB ran, from its provenance
 * (GET /api/v1/jobs/JOB "provenance", recorded by server/run/provenance.c),
 * then the job's stored records (GET /api/v1/results?job=JOB).
 *
 * The script: cd to the lab checkout that ran it; the kernel step
 * (kernels/fetch-debian for a Debian package, kernels/build with the
 * recorded recipe for a built one); make -C agent; make -C kmods for the
 * release; rig/mkinitramfs with that agent and module; `sha256sum -c` of the
 * recorded hashes (a mismatch is reported, not fatal: an initramfs may be
 * rebuilt from a newer agent); then rig/boot with the recorded arguments and
 * a console log of its own (--log, default ./reproduce-JOB.log: never the
 * job's). The QEMU command the job ran is printed as a comment.
 *
 * --run runs the script here (/bin/sh) and compares the new console log's
 * records with the stored ones, per (case, repeat): observed errno and
 * verdict. Exit 0 when every stored record came back the same, 1 otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"

/* @s single-quoted for sh into @f */
static void shq(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; *s; s++) {
		if (*s == '\'')
			fputs("'\\''", f);
		else
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* the build dir an agent path implies: /O/agent[/CROSS]/iommulab-agent -> /O */
static void build_dir_of(const char *agent, char *out, size_t n)
{
	const char *a = strstr(agent, "/agent/");

	out[0] = '\0';
	if (a && (size_t)(a - agent) < n) {
		memcpy(out, agent, (size_t)(a - agent));
		out[a - agent] = '\0';
	}
}

static void write_script(FILE *f, json_t *job, json_t *p, const char *log)
{
	const char *src = jstr(p, "kernel_source", "debian"), *ref = jstr(p, "kernel_ref", "");
	const char *rel = jstr(p, "kernel_release", ""), *arch = jstr(p, "arch", "x86_64");
	const char *agent = jstr(p, "agent", ""), *kmod = jstr(p, "kmod", "");
	const char *hashes[][2] = {
		{ "kernel_sha256", "kernel_image" }, { "initrd_sha256", "initrd" },
		{ "agent_sha256", "agent" }, { "kmod_sha256", "kmod" },
		{ "target_sha256", "target_file" },
	};
	char o[4096];

	fprintf(f, "#!/bin/sh\n# iommulab reproduce %lld: kernel %s (%s) on %s, job %s\n",
		jint(job, "id", 0), jstr(job, "kernel", "?"), rel, jstr(job, "target", "?"),
		jstr(job, "state", "?"));
	fprintf(f, "# QEMU %s ran:\n#   %s\n", jstr(p, "qemu_version", "?"),
		jstr(p, "qemu_cmdline", "(not recorded)"));
	fprintf(f, "set -eu\ncd ");
	shq(f, jstr(p, "top", "."));
	fprintf(f, "\nexport CACHE=");
	shq(f, jstr(p, "cache_dir", ""));
	build_dir_of(agent, o, sizeof(o));
	if (*o) {
		fprintf(f, " O=");
		shq(f, o);
	}
	fprintf(f, "\n# 1. the kernel (%s", src);
	if (*ref)
		fprintf(f, ": %s", ref);
	fprintf(f, ")\n");
	if (!strcmp(src, "build") && !strncmp(ref, "tree=", 5)) {
		char tree[1024], *semi;

		snprintf(tree, sizeof(tree), "%s", ref + 5);
		semi = strchr(tree, ';');
		if (semi)
			*semi = '\0';
		fprintf(f, "kernels/build --tree ");
		shq(f, tree);
		if (semi && strncmp(semi + 1, "patches=none", 12) && !strncmp(semi + 1, "patches=", 8)) {
			fprintf(f, " --patches ");
			shq(f, semi + 9);
		}
		fprintf(f, " --arch ");
		shq(f, arch);
		fprintf(f, " --name ");
		shq(f, jstr(job, "kernel", ""));
		fprintf(f, " >/dev/null\n");
	} else {
		fprintf(f, "kernels/fetch-debian --kernel ");
		shq(f, rel);
		fprintf(f, " --arch ");
		shq(f, arch);
		fprintf(f, " >/dev/null\n");
	}
	fprintf(f, "# 2. agent, probe module, initramfs\n");
	fprintf(f, "make -s -C agent%s\n", strcmp(arch, "arm64") ? strcmp(arch, "s390x") ? "" :
		" CROSS_COMPILE=s390x-linux-gnu-" : " CROSS_COMPILE=aarch64-linux-gnu-");
	fprintf(f, "make -s -C kmods KERNEL=");
	shq(f, rel);
	fprintf(f, " release=");
	shq(f, rel);
	fprintf(f, " ARCH=");
	shq(f, arch);
	fprintf(f, " module\nrig/mkinitramfs --kernel ");
	shq(f, rel);
	fprintf(f, " --arch ");
	shq(f, arch);
	fprintf(f, " --agent ");
	shq(f, agent);
	fprintf(f, " --kmod ");
	shq(f, kmod);
	fprintf(f, " >/dev/null\n# 3. the files against the hashes the job recorded\n"
		"sha256sum -c <<'EOF' || echo 'reproduce: a file differs from the recorded one' >&2\n");
	for (size_t i = 0; i < sizeof(hashes) / sizeof(hashes[0]); i++) {
		const char *h = jstr(p, hashes[i][0], NULL), *file = jstr(p, hashes[i][1], NULL);

		if (h && file)
			fprintf(f, "%s  %s\n", h, file);
	}
	fprintf(f, "EOF\n# 4. the boot, rig/boot's arguments as recorded, a console log of its own\n");
	fprintf(f, "rig/boot %s --log ", jstr(p, "boot_args", ""));
	shq(f, log);
	fprintf(f, "\n");
}

static void print_records(json_t *res)
{
	json_t *v;
	size_t i;

	printf("# the job's records (%zu):\n", json_array_size(res));
	json_array_foreach(res, i, v)
		printf("#   %-44s repeat %lld  observed %-10s expected %-10s %s\n", jstr(v, "case", "?"),
		       jint(v, "repeat", 0), jstr(v, "observed_name", "?"),
		       jstr(v, "expected_name", "-"), jstr(v, "verdict", "?"));
}

/* the stored record of (@case_id, @repeat) in @res, or NULL */
static json_t *stored(json_t *res, const char *case_id, long long repeat)
{
	json_t *v;
	size_t i;

	json_array_foreach(res, i, v)
		if (!strcmp(jstr(v, "case", ""), case_id) && jint(v, "repeat", 0) == repeat)
			return v;
	return NULL;
}

/* compare the records of console log @log with @res; the number of differences */
static int compare(const char *log, json_t *res)
{
	char line[65536];
	size_t seen = 0;
	int diff = 0;
	FILE *f = fopen(log, "r");

	if (!f) {
		fprintf(stderr, "iommulab: no console log %s\n", log);
		return 1;
	}
	while (fgets(line, sizeof(line), f)) {
		const char *p = strstr(line, "IOMMULAB-REC ");
		json_t *r, *s;

		if (!p)
			continue;
		r = json_loads(p + 13, JSON_DISABLE_EOF_CHECK, NULL);
		if (!r)
			continue;
		s = stored(res, jstr(r, "id", ""), jint(r, "repeat", 0));
		if (!s) {
			printf("new     %s repeat %lld: not in the job\n", jstr(r, "id", "?"),
			       jint(r, "repeat", 0));
			diff++;
		} else if (jint(s, "observed", -1) != jint(r, "observed", -2) ||
			   strcmp(jstr(s, "verdict", ""), jstr(r, "verdict", ""))) {
			printf("differs %s repeat %lld: job %lld (%s), now %lld (%s)\n",
			       jstr(r, "id", "?"), jint(r, "repeat", 0), jint(s, "observed", -1),
			       jstr(s, "verdict", "?"), jint(r, "observed", -1), jstr(r, "verdict", "?"));
			diff++;
		} else {
			seen++;
		}
		json_decref(r);
	}
	fclose(f);
	if (seen + (size_t)diff < json_array_size(res)) {
		printf("missing %zu of the job's records\n", json_array_size(res) - seen - (size_t)diff);
		diff++;
	}
	printf("reproduce: %zu of %zu records the same, %d difference(s)\n", seen,
	       json_array_size(res), diff);
	return diff;
}

int cmd_reproduce(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "run", no_argument, NULL, 'r' },
		{ "log", required_argument, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	char path[128], log[4096] = "", script[] = "/tmp/iommulab-reproduce-XXXXXX";
	json_t *job, *prov, *res;
	bool run = false;
	long id;
	int o, ret = CLI_OK, fd, st;
	FILE *f;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'r': run = true; break;
		case 'l': snprintf(log, sizeof(log), "%s", optarg); break;
		default: die_usage("bad option for reproduce");
		}
	}
	if (optind >= argc)
		die_usage("reproduce needs a job id");
	id = parse_long("job id", argv[optind], 1, 1L << 53);
	if (optind + 1 < argc)
		die_usage("unexpected argument '%s'", argv[optind + 1]);
	if (!*log) {
		char cwd[2048];

		if (!getcwd(cwd, sizeof(cwd)))
			snprintf(cwd, sizeof(cwd), "/tmp");
		snprintf(log, sizeof(log), "%s/reproduce-%ld.log", cwd, id);
	}
	snprintf(path, sizeof(path), "/api/v1/jobs/%ld", id);
	job = get_json(c, path);
	prov = json_object_get(job, "provenance");
	if (!json_is_object(prov)) {
		fprintf(stderr, "iommulab: job %ld has no provenance (not run on QEMU here, or "
			"run before provenance was recorded)\n", id);
		json_decref(job);
		return CLI_FAIL;
	}
	snprintf(path, sizeof(path), "/api/v1/results?job=%ld&limit=1000", id);
	res = get_json(c, path);
	write_script(stdout, job, prov, log);
	print_records(json_object_get(res, "items"));
	if (run) {
		fflush(stdout);
		fd = mkstemp(script);
		f = fd >= 0 ? fdopen(fd, "w") : NULL;
		if (!f) {
			fprintf(stderr, "iommulab: cannot write a script: %s\n", strerror(errno));
			ret = CLI_FAIL;
			goto put_all;
		}
		write_script(f, job, prov, log);
		fclose(f);
		printf("reproduce: running it (console log %s)\n", log);
		fflush(stdout);
		{
			char cmd[sizeof(script) + 16];

			snprintf(cmd, sizeof(cmd), "/bin/sh %s", script);
			st = system(cmd);
		}
		unlink(script);
		if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
			printf("reproduce: the script ended with status %d\n",
			       WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		ret = compare(log, json_object_get(res, "items")) ? CLI_FAIL : CLI_OK;
	}
put_all:
	json_decref(res);
	json_decref(job);
	return ret;
}
