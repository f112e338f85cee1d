/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cli.h - what the iommulab command's files share: the connection settings,
 * the exit codes and the HTTP and output helpers of cli.c, and the
 * commands of the other files (cli_plans.c, cli_findings.c, ...) that
 * cli.c's table names.
 *
 * Ownership and errors as cli.c says: helpers return new json_t
 * references; die_usage() exits with CLI_USAGE, get_json() with CLI_FAIL
 * (or CLI_UNREACHABLE).
 */
#ifndef LAB_CLI_H
#define LAB_CLI_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

enum cli_exit {
	CLI_OK = 0,
	CLI_FAIL = 1,
	CLI_USAGE = 2,
	CLI_UNREACHABLE = 3,
};

struct cli {
	const char *server;
	const char *token;
	char token_buf[256];
	char token_file[PATH_MAX];
	bool verbose;
	bool auth_reads;	/* send the token with GETs too (admin-only reads) */
};

void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
long request(struct cli *c, const char *method, const char *path, json_t *body, json_t **out,
	     bool quiet);
json_t *get_json(struct cli *c, const char *path);
void qesc(char *out, size_t len, const char *in);
const char *jstr(json_t *o, const char *k, const char *dflt);
long long jint(json_t *o, const char *k, long long dflt);
void print_json(json_t *j);
long parse_long(const char *opt, const char *s, long lo, long hi);
bool want_help(int argc, char **argv);
/* used by several command files */
void load_token(struct cli *c);
json_t *get_all(struct cli *c, const char *path, size_t max);
const char *errname(json_t *v, char *buf, size_t len);
int cmd_list(struct cli *c, const char *path, const char *key,
	     const char *const cols[], int argc, char **argv);
int series_of(const char *path, json_t *req);

/* cli_plans.c */
int cmd_plan_submit(struct cli *c, int argc, char **argv);
int cmd_jobs(struct cli *c, int argc, char **argv);
int cmd_cancel(struct cli *c, int argc, char **argv);
int cmd_log(struct cli *c, int argc, char **argv);
int cmd_watch(struct cli *c, int argc, char **argv);
int cmd_results(struct cli *c, int argc, char **argv);
/* cli_diff.c */
int cmd_diff(struct cli *c, int argc, char **argv);
int cmd_export(struct cli *c, int argc, char **argv);
/* cli_kernels.c */
int cmd_kernels_add(struct cli *c, int argc, char **argv);
int cmd_kernels_list(struct cli *c, int argc, char **argv);
int cmd_targets_list(struct cli *c, int argc, char **argv);
/* cli_patch.c */
int cmd_patch_submit(struct cli *c, int argc, char **argv);
int cmd_patch_report(struct cli *c, int argc, char **argv);
/* cli_contracts.c */
int cmd_contracts_import(struct cli *c, int argc, char **argv);
int cmd_contracts_rejudge(struct cli *c, int argc, char **argv);
int cmd_contracts_history(struct cli *c, int argc, char **argv);
/* cli_bisect.c */
int cmd_bisect_start(struct cli *c, int argc, char **argv);
int cmd_bisect_series(struct cli *c, int argc, char **argv);
int cmd_patch_bisect(struct cli *c, int argc, char **argv);
int cmd_bisect_show(struct cli *c, int argc, char **argv);
int cmd_bisect_list(struct cli *c, int argc, char **argv);
int cmd_bisect_cancel(struct cli *c, int argc, char **argv);
int cmd_likely(struct cli *c, int argc, char **argv);

/* cli_findings.c */
int cmd_findings_list(struct cli *c, int argc, char **argv);
int cmd_findings_show(struct cli *c, int argc, char **argv);
int cmd_findings_ack(struct cli *c, int argc, char **argv);
int cmd_findings_link(struct cli *c, int argc, char **argv);
int cmd_findings_expect(struct cli *c, int argc, char **argv);
int cmd_findings_known(struct cli *c, int argc, char **argv);
int cmd_findings_retire(struct cli *c, int argc, char **argv);
/* cli_patchmail.c */
int cmd_patch_mail(struct cli *c, int argc, char **argv);
/* cli_targets.c */
int cmd_targets_health(struct cli *c, int argc, char **argv);
int cmd_targets_state(struct cli *c, int argc, char **argv);
int cmd_targets_check(struct cli *c, int argc, char **argv);
/* cli_subscribe.c */
int cmd_subscribe(struct cli *c, int argc, char **argv);
int cmd_subscriptions(struct cli *c, int argc, char **argv);
int cmd_deliveries(struct cli *c, int argc, char **argv);
/* cli_reproduce.c */
int cmd_reproduce(struct cli *c, int argc, char **argv);

#endif /* LAB_CLI_H */
