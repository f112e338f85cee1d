/* SPDX-License-Identifier: GPL-2.0 */
/*
 * main.c - iommulabd: wires config, store, auth, targets, the HTTP API and
 * the scheduler together and waits for SIGTERM/SIGINT; owns nothing else.
 *
 * Order: config -> state dir and its lock (statelock.h: one daemon per
 * state dir, held until the process dies) -> store (migrations) -> admin token -> targets
 * -> scheduler -> HTTP; shutdown in reverse: HTTP first (no new requests),
 * then the scheduler (cancels running guests), then the store.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auth.h"
#include "catalog.h"
#include "config.h"
#include "dashurl.h"
#include "fetch.h"
#include "http.h"
#include "log.h"
#include "ticks.h"
#include "sched.h"
#include "statelock.h"
#include "store.h"

static int mkdir_p(const char *dir)
{
	char p[PATH_MAX];

	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = 0;
		if (mkdir(p, 0755) && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	if (mkdir(p, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	static struct lab_config cfg;
	struct lab_sched *sched = NULL;
	struct lab_store *st = NULL;
	struct lab_http *http = NULL;
	char err[512] = "";
	bool created = false;
	sigset_t sigs;
	int r, n = 0, sig = 0, rc = 1, lock_fd = -1;

	/* `iommulabd fetch URL OUT [SHA256]`: one verified download for the
	 * runner's kernels/import (client/fetch.h); exit 0, 2 deterministic
	 * (404, checksum: a configuration error), 1 transient */
	if (argc >= 4 && argc <= 5 && !strcmp(argv[1], "fetch")) {
		char hex[65];

		r = lab_fetch_file(argv[2], argc == 5 ? argv[4] : NULL, argv[3], hex,
				   err, sizeof(err));
		if (r) {
			fprintf(stderr, "iommulabd fetch: %s\n", err[0] ? err : strerror(-r));
			return lab_fetch_deterministic(r) ? 2 : 1;
		}
		printf("%s\n", hex);
		return 0;
	}
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

	/* every thread started below inherits the blocked set: main sigwait()s */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	r = mkdir_p(cfg.state_dir);
	if (r) {
		lab_error("cannot create state dir %s: %s", cfg.state_dir, strerror(-r));
		goto clear_cfg;
	}
	/* never released: the kernel drops it when this process ends */
	r = lab_statelock_take(cfg.state_dir, &lock_fd, err, sizeof(err));
	if (r) {
		lab_error("%s", err);
		goto clear_cfg;
	}
	r = lab_store_open(cfg.db_path, cfg.schema_dir, &st);
	if (r) {
		lab_error("cannot open %s: %s", cfg.db_path, strerror(-r));
		goto clear_cfg;
	}
	lab_info("database %s (schema %d)", cfg.db_path, lab_store_schema_version(st));
	r = lab_auth_bootstrap(st, cfg.token_file, &created);
	if (r) {
		lab_error("admin token: %s", strerror(-r));
		goto close_store;
	}
	if (created)
		lab_info("admin token created: %s (mode 0600)", cfg.token_file);
	else
		lab_info("admin token file: %s", cfg.token_file);
	r = lab_targets_load(st, cfg.targets_dir, &n);
	if (r == -ENOENT)
		lab_warn("no targets directory %s", cfg.targets_dir);
	else if (r)
		lab_warn("some target files in %s were rejected (see above)", cfg.targets_dir);
	lab_info("loaded %d targets from %s", n, cfg.targets_dir);
	/* the contracts the server judges by (judge.h): a changed one is a new version */
	r = lab_catalog_import_file(st, cfg.catalogue_file, &n, err, sizeof(err));
	if (r == -ENOENT)
		lab_warn("no case catalogue %s: records of cases without a contract are judged "
			 "by their own expected errno", cfg.catalogue_file);
	else if (r)
		lab_warn("case catalogue %s refused: %s", cfg.catalogue_file, err);
	else
		lab_info("case catalogue: %d cases from %s", n, cfg.catalogue_file);

	/* The scheduler (sched.c): it opens its own store connection, recovers
	 * jobs of a previous run and starts jobs on backends. --no-scheduler
	 * serves the API only (tests, a read-only mirror). */
	if (cfg.scheduler) {
		/* the nightly workflow and the health checks (flows/ticks.c) run on its tick */
		struct lab_sched_opts so = { .tick = lab_flows_tick };

		r = lab_sched_start(&cfg, &so, &sched);
		if (r) {
			lab_error("scheduler: %s", strerror(-r));
			goto close_store;
		}
	}

	r = lab_http_start(&cfg, sched, lab_api_routes, &http);
	if (r) {
		lab_error("http: %s", strerror(-r));
		goto stop_sched;
	}
	if (cfg.thread_per_conn)
		lab_info("listening on http://%s:%u/ (a thread per connection)",
			 cfg.listen_addr, lab_http_port(http));
	else
		lab_info("listening on http://%s:%u/ (%u HTTP thread%s)", cfg.listen_addr,
			 lab_http_port(http), cfg.threads, cfg.threads == 1 ? "" : "s");
	/* the links the server writes name the port it bound (--port 0: ephemeral) */
	lab_dashurl_bound(lab_http_port(http));
	{
		char dash[LAB_DASHURL_MAX];

		if (!lab_dashurl(&cfg, dash, sizeof(dash)))
			lab_info("dashboard links: %s/ (--public-url%s)", dash,
				 cfg.public_url[0] ? "" : " to change them");
	}

	while (sigwait(&sigs, &sig) == 0 && sig != SIGTERM && sig != SIGINT)
		;
	lab_info("signal %d: shutting down", sig);
	rc = 0;
	lab_http_stop(http);
stop_sched:
	lab_sched_stop(sched);
close_store:
	lab_store_close(st);
clear_cfg:
	lab_config_clear(&cfg);
	if (!rc)
		lab_info("stopped");
	return rc;
}
