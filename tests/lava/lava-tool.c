/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lava-tool.c - drive the server's LAVA modules from the command line, for
 * tests/stages/70-lava.sh and for a lab admin checking a target:
 *
 *   lava-tool render --jobs DIR --target FILE.json --kernel NAME
 *                    --kernel-url URL --initrd-url URL [--job-id N]
 *                    [--filter F] [--callback URL DESC] [--sha256 K I]
 *       print the LAVA job definition the LAVA backend would submit
 *   lava-tool validate --url URL --token-file FILE JOB.yaml
 *       ask LAVA's own validator (POST /api/v0.2/jobs/validate/)
 *   lava-tool console LOG.yaml
 *       decode a LAVA job log into the guest's console text
 *
 * It links the same libiommulab.a the daemon does: what it renders and
 * decodes is exactly what the backend renders and decodes.
 * Exit: 0 ok, 1 the operation failed (message on stderr), 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <jansson.h>

#include "lava_client.h"
#include "lava_job.h"
#include "lava_log.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: lava-tool render --jobs DIR --target FILE.json --kernel NAME\n"
		"                 --kernel-url URL --initrd-url URL [--job-id N] [--filter F]\n"
		"                 [--callback URL TOKEN_DESC] [--sha256 KERNEL INITRD]\n"
		"       lava-tool validate --url URL --token-file FILE JOB.yaml\n"
		"       lava-tool console LOG.yaml\n");
	return 2;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0, k;

	if (!f)
		return NULL;
	do {
		if (n + 65536 + 1 > cap) {
			char *p = realloc(buf, cap = (cap ? cap * 2 : 131072));

			if (!p) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = p;
		}
		k = fread(buf + n, 1, cap - n - 1, f);
		n += k;
	} while (k > 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int cmd_render(int argc, char **argv)
{
	const char *jobs = NULL, *target = NULL, *kname = "6.1", *filter = NULL;
	struct lab_lava_job_in in = { 0 };
	struct lab_kernel k = { 0 };
	struct lab_target t = { 0 };
	struct lab_job j = { 0 };
	char err[512] = "", *yaml;
	json_t *def;
	int r;

	j.id = 1;
	j.timeout_s = 600;
	j.repeat = 1;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return usage();
		if (!strcmp(a, "--jobs")) jobs = v;
		else if (!strcmp(a, "--target")) target = v;
		else if (!strcmp(a, "--kernel")) kname = v;
		else if (!strcmp(a, "--kernel-url")) in.kernel_url = v;
		else if (!strcmp(a, "--initrd-url")) in.initrd_url = v;
		else if (!strcmp(a, "--job-id")) j.id = atoll(v);
		else if (!strcmp(a, "--filter")) filter = v;
		else if (!strcmp(a, "--callback") && i + 2 < argc) {
			in.callback_url = v;
			in.callback_token_desc = argv[++i + 1];
		} else if (!strcmp(a, "--sha256") && i + 2 < argc) {
			in.kernel_sha256 = v;
			in.initrd_sha256 = argv[++i + 1];
		} else
			return usage();
		i++;
	}
	if (!jobs || !target || !in.kernel_url || !in.initrd_url)
		return usage();
	def = json_load_file(target, 0, NULL);
	if (!def) {
		fprintf(stderr, "lava-tool: %s: not readable JSON\n", target);
		return 1;
	}
	t.name = (char *)json_string_value(json_object_get(def, "name"));
	t.arch = (char *)json_string_value(json_object_get(def, "arch"));
	t.definition = json_dumps(def, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (!t.name || !t.arch || !t.definition) {
		fprintf(stderr, "lava-tool: %s: needs name and arch\n", target);
		return 1;
	}
	k.name = (char *)kname;
	j.case_filter = (char *)filter;
	in.job = &j;
	in.kernel = &k;
	in.target = &t;
	in.lab_name = "cli";
	r = lab_lava_job_render(jobs, &in, &yaml, err, sizeof(err));
	free(t.definition);
	json_decref(def);
	if (r) {
		fprintf(stderr, "lava-tool: render: %s (%s)\n", err, strerror(-r));
		return 1;
	}
	fputs(yaml, stdout);
	free(yaml);
	return 0;
}

static int cmd_validate(int argc, char **argv)
{
	const char *url = NULL, *tokf = NULL, *file = NULL;
	struct lab_lava_lab *labs;
	char err[LAB_LAVA_ERR_MAX] = "", *yaml;
	size_t n, len;
	json_t *cfg;
	int r;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--url") && i + 1 < argc) url = argv[++i];
		else if (!strcmp(argv[i], "--token-file") && i + 1 < argc) tokf = argv[++i];
		else if (argv[i][0] != '-' && !file) file = argv[i];
		else return usage();
	}
	if (!url || !tokf || !file)
		return usage();
	cfg = json_pack("{s:[{s:s,s:s,s:s,s:[s]}]}", "labs", "name", "cli", "url", url,
			"token_file", tokf, "device_types", "qemu");
	r = lab_lava_labs_parse(cfg, &labs, &n, err, sizeof(err));
	json_decref(cfg);
	if (r) {
		fprintf(stderr, "lava-tool: %s\n", err);
		return 1;
	}
	yaml = slurp(file, &len);
	if (!yaml) {
		fprintf(stderr, "lava-tool: %s: %s\n", file, strerror(errno));
		lab_lava_labs_free(labs);
		return 1;
	}
	r = lab_lava_validate(&labs[0], yaml, err, sizeof(err));
	free(yaml);
	lab_lava_labs_free(labs);
	if (r) {
		fprintf(stderr, "lava-tool: %s: %s\n", file, err);
		return 1;
	}
	printf("%s: valid\n", file);
	return 0;
}

static int cmd_console(int argc, char **argv)
{
	struct lab_lava_log_stats st;
	char *in, *out;
	size_t len, olen;
	int r;

	if (argc != 3)
		return usage();
	in = slurp(argv[2], &len);
	if (!in) {
		fprintf(stderr, "lava-tool: %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	r = lab_lava_log_console(in, len, &out, &olen, &st);
	free(in);
	if (r) {
		fprintf(stderr, "lava-tool: console: %s\n", strerror(-r));
		return 1;
	}
	fwrite(out, 1, olen, stdout);
	fprintf(stderr, "lava-tool: %zu lines, %zu console lines, %zu undecodable\n",
		st.lines, st.target, st.skipped);
	free(out);
	return 0;
}

int main(int argc, char **argv)
{
	int r;

	if (argc < 2)
		return usage();
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (!strcmp(argv[1], "render"))
		r = cmd_render(argc, argv);
	else if (!strcmp(argv[1], "validate"))
		r = cmd_validate(argc, argv);
	else if (!strcmp(argv[1], "console"))
		r = cmd_console(argc, argv);
	else
		r = usage();
	curl_global_cleanup();
	return r;
}
