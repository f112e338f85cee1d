/* SPDX-License-Identifier: GPL-2.0 */
/*
 * admin.c - iommulab-admin: keep a lab's database for years (issue 18.7).
 *
 *   iommulab-admin backup DEST [iommulabd's path options]
 *       an online copy of the database (store_admin.h: SQLite's backup API,
 *       one consistent snapshot while the daemon keeps writing; checked,
 *       then renamed into place). DEST must not exist.
 *   iommulab-admin restore SRC [options]
 *       SRC (a backup) becomes the database; refused while a daemon holds
 *       the state directory (statelock.h). The daemon migrates it on start.
 *   iommulab-admin prune --older-than DAYS [options]
 *       retention: old superseded results of manual plans and their logs go;
 *       latest cells, nightly baselines, patch checks and findings stay.
 * Path options are iommulabd's (--state-dir, --db, --schema, --cache, --top):
 * the same defaults find the same database. Exit: 0 ok, 1 failed (with the
 * reason on stderr), 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "statelock.h"
#include "store.h"
#include "store_admin.h"

static int usage(FILE *f, int rc)
{
	fprintf(f, "usage: iommulab-admin backup DEST | restore SRC | prune --older-than DAYS\n"
		"                      [--state-dir DIR] [--db FILE] [--schema DIR] [--cache DIR]\n");
	return rc;
}

int main(int argc, char **argv)
{
	static struct lab_config cfg;
	char err[512] = "", *cargv[64];
	const char *cmd, *arg = NULL;
	long days = -1;
	int cargc = 0, r, fd = -1, rc = 1;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))
		return usage(argc < 2 ? stderr : stdout, argc < 2 ? 2 : 0);
	cmd = argv[1];
	cargv[cargc++] = argv[0];
	for (int i = 2; i < argc && cargc < 62; i++) {
		if (!strcmp(argv[i], "--older-than") && i + 1 < argc) {
			char *end;

			days = strtol(argv[++i], &end, 10);
			if (*end || days < 0 || days > 36500) {
				fprintf(stderr, "iommulab-admin: --older-than wants days (0-36500)\n");
				return 2;
			}
		} else if (argv[i][0] == '-') {
			/* iommulabd's options: all but these two take a value */
			cargv[cargc++] = argv[i];
			if (!strchr(argv[i], '=') && strcmp(argv[i], "--no-scheduler") &&
			    strcmp(argv[i], "--help") && i + 1 < argc)
				cargv[cargc++] = argv[++i];
		} else if (!arg && strcmp(cmd, "prune")) {
			arg = argv[i];
		} else {
			fprintf(stderr, "iommulab-admin: unexpected argument '%s'\n", argv[i]);
			return 2;
		}
	}
	cargv[cargc] = NULL;
	lab_config_defaults(&cfg);
	r = lab_config_from_args(&cfg, cargc, cargv, err, sizeof(err));
	if (r) {
		fprintf(stderr, "iommulab-admin: %s\n", err[0] ? err : strerror(-r));
		return 2;
	}
	lab_log_set_level(LAB_LOG_WARN);
	if (!strcmp(cmd, "backup") && arg) {
		int64_t pages = 0;

		r = lab_store_backup(cfg.db_path, arg, &pages, err, sizeof(err));
		if (!r)
			printf("backup: %s -> %s (%lld pages, integrity ok)\n", cfg.db_path, arg,
			       (long long)pages);
	} else if (!strcmp(cmd, "restore") && arg) {
		/* no daemon on this state dir while its database is replaced */
		r = lab_statelock_take(cfg.state_dir, &fd, err, sizeof(err));
		if (!r)
			r = lab_store_restore(arg, cfg.db_path, cfg.schema_dir, err, sizeof(err));
		if (!r)
			printf("restore: %s -> %s\n", arg, cfg.db_path);
		if (fd >= 0)
			close(fd);
	} else if (!strcmp(cmd, "prune") && days >= 0 && !arg) {
		struct lab_prune_stats ps;
		struct lab_store *st;

		r = lab_store_open(cfg.db_path, cfg.schema_dir, &st);
		if (!r) {
			r = lab_store_prune(st, cfg.state_dir, (int64_t)days * 86400, &ps);
			lab_store_close(st);
		}
		if (!r)
			printf("prune: older than %ld days: %lld results and %lld log files of %lld "
			       "jobs removed\n", days, (long long)ps.results, (long long)ps.logs,
			       (long long)ps.jobs_scanned);
		else
			snprintf(err, sizeof(err), "%s", strerror(-r));
	} else {
		lab_config_clear(&cfg);
		return usage(stderr, 2);
	}
	if (r)
		fprintf(stderr, "iommulab-admin: %s: %s\n", cmd, err[0] ? err : strerror(-r));
	else
		rc = 0;
	lab_config_clear(&cfg);
	return rc;
}
