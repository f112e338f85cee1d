/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli_kernels.c - `iommulab kernels add|list`, `iommulab targets list`:
 * register a kernel (Debian release or bring-your-own files, URL or tree)
 * and list kernels and targets through /api/v1/kernels and /api/v1/targets
 * (cmd_list() and the other helpers of cli.h).
 *
 *   kernels add NAME [--release R] [--arch A]
 *               [--deb F.deb... | --image F --modules D [--headers D]
 *               | --url URL [--sha256 HEX]]
 *   kernels list [--json] / targets list [--json]
 *
 * Invariants: local files are sent as absolute paths in source_ref; add
 * needs the token. Ownership as cli.c says.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

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

int cmd_kernels_add(struct cli *c, int argc, char **argv)
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

int cmd_kernels_list(struct cli *c, int argc, char **argv)
{
	static const char *const cols[] = { "name", "release", "version", "arch", "source", NULL };

	return cmd_list(c, "/api/v1/kernels", "kernels", cols, argc, argv);
}

int cmd_targets_list(struct cli *c, int argc, char **argv)
{
	static const char *const cols[] = { "name", "arch", "backend", "driver", "health", NULL };

	return cmd_list(c, "/api/v1/targets", "targets", cols, argc, argv);
}
