/* SPDX-License-Identifier: GPL-2.0 */
/*
 * config.h - iommulabd's configuration: paths, listen address, limits.
 *
 * Purpose: one struct every module receives (read-only after start). It is
 * filled by lab_config_defaults() and then lab_config_from_args() from the
 * command line and the environment:
 *   top        the repo top (--top, $LAB_TOP, else found upward from the
 *              executable: the first directory holding schema/0001-init.sql)
 *   cache      $CACHE or ~/.cache/iommulab (kernels, images, logs)
 *   state      --state-dir, default $cache/state (DB, admin token, job logs)
 *   db         --db, default $state/iommulab.db
 *   schema     --schema, default $top/schema
 *   targets    --targets, default $top/targets
 *   web        --web, default $top/web
 *   token file --token-file, default $state/admin.token
 *   labs       --labs FILE: LAVA labs (JSON), optional; parsed into @labs
 *   listen     --listen ADDR (default 127.0.0.1), --port N (default 8470)
 *   public url --public-url URL: the dashboard's address as its users reach
 *              it, for the links the server writes (dashurl.h); default
 *              "" = http://LISTEN:BOUND-PORT
 *   limits     --body-max, --header-timeout, --body-timeout, --per-ip-limit
 *
 * Invariants: every path is absolute and NUL-terminated within PATH_MAX.
 * After lab_config_from_args() returned 0 the struct is complete.
 *
 * Ownership: the struct owns @labs (a json_t, may be NULL); release it with
 * lab_config_clear(). Strings are inline arrays, nothing else to free.
 *
 * Errors: 0 or -errno; on -EINVAL @err says which option was wrong.
 * --help sets @show_help and returns 0 (the caller prints lab_config_usage).
 */
#ifndef LAB_CONFIG_H
#define LAB_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>

#define LAB_DEFAULT_LISTEN "127.0.0.1"
#define LAB_DEFAULT_PORT 8470
#define LAB_DEFAULT_BODY_MAX (8u << 20)	/* request bodies above -> 413 */
#define LAB_DEFAULT_HEADER_S 10		/* a request's headers, total */
#define LAB_DEFAULT_BODY_S 120		/* a request's body, total */
#define LAB_DEFAULT_PER_IP 64		/* connections from one client address */

struct lab_config {
	char top[PATH_MAX];
	char cache_dir[PATH_MAX];
	char state_dir[PATH_MAX];
	char db_path[PATH_MAX];
	char schema_dir[PATH_MAX];
	char targets_dir[PATH_MAX];
	char web_dir[PATH_MAX];
	char token_file[PATH_MAX];
	char labs_file[PATH_MAX];	/* "" = no LAVA labs configured */
	char catalogue_file[PATH_MAX];	/* the agent's catalogue, imported at start (judge.h) */
	json_t *labs;			/* parsed labs_file, NULL if none */
	char listen_addr[64];
	unsigned port;			/* as given: 0 = any (dashurl.h knows the bound one) */
	char public_url[513];		/* --public-url, no trailing '/'; "" = none */
	unsigned threads;		/* HTTP worker threads (0 = auto) */
	size_t body_max;		/* bytes */
	unsigned header_s;		/* --header-timeout: headers, total seconds */
	unsigned body_s;		/* --body-timeout: body, total seconds */
	unsigned per_ip;		/* --per-ip-limit: connections per address */
	int log_level;			/* enum lab_log_level */
	bool scheduler;			/* false with --no-scheduler: API only */
	bool thread_per_conn;		/* --http-mode thread (default: pool) */
	bool show_help;
};

void lab_config_defaults(struct lab_config *cfg);
int lab_config_from_args(struct lab_config *cfg, int argc, char **argv,
			 char *err, size_t errlen);
void lab_config_usage(FILE *f, const char *prog);
void lab_config_clear(struct lab_config *cfg);

#endif /* LAB_CONFIG_H */
