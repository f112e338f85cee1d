/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli_patchmail.c - `iommulab patch mail PLAN [--from ADDR] [-o FILE]`: a
 * finished patch check's reply to its series as an .eml (GET
 * /api/v1/patches/PLAN?format=eml, server/flows/patchmail.h), on stdout or
 * into FILE, ready for `git send-email` or a mail client.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cmd_patch_mail(struct cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *from = NULL, *outp = NULL;
	char path[1024], esc[700];
	json_t *eml;
	FILE *f = stdout;
	long id;
	int o;

	while ((o = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		switch (o) {
		case 'f': from = optarg; break;
		case 'o': outp = optarg; break;
		default: die_usage("bad option for patch mail");
		}
	}
	if (optind + 1 != argc)
		die_usage("usage: iommulab patch mail PLAN [--from 'Name <addr>'] [-o FILE]");
	id = parse_long("PLAN", argv[optind], 1, 1L << 53);
	if (from && strlen(from) > 200)
		die_usage("--from: at most 200 bytes");
	qesc(esc, sizeof(esc), from ? from : "");
	snprintf(path, sizeof(path), "/api/v1/patches/%ld?format=eml%s%s", id,
		 from ? "&from=" : "", from ? esc : "");
	eml = get_json(c, path);
	if (outp && !(f = fopen(outp, "w"))) {
		perror(outp);
		json_decref(eml);
		return CLI_FAIL;
	}
	fputs(json_string_value(eml) ? json_string_value(eml) : "", f);
	if (outp && fclose(f)) {
		perror(outp);
		json_decref(eml);
		return CLI_FAIL;
	}
	json_decref(eml);
	return CLI_OK;
}
