/*
 * runner.h - selects, runs and reports the catalogue's cases.
 *
 * Purpose: filter cases by glob, check their needs, run each in a forked
 * child with a timeout (a hang or crash of one case is reported as an
 * `error` record and the run goes on), judge the outcome against the
 * contract, and print KTAP, the record line and (with --lava) the LAVA
 * signal line. Also prints the catalogue (-l, -l -j).
 *
 * Invariants: the BEGIN line announces selected-cases x repeat records and
 * exactly that many REC lines follow before END, whatever the cases do
 * (unless a fault switch deliberately breaks this, see enum lab_fault).
 * Ownership: options point into argv or static storage.
 * Error convention: lab_runner_run() returns 0 when every record passed or
 * skipped, 1 when any failed or errored, -errno when the run could not start.
 */
#ifndef LAB_RUNNER_H
#define LAB_RUNNER_H

#include "case.h"
#include "env.h"

#define LAB_MAX_FILTERS 16

enum lab_fault {
	LAB_FAULT_NONE = 1,
	LAB_FAULT_PANIC,	/* after BEGIN: crash the kernel (sysrq c) */
	LAB_FAULT_HANG,		/* after BEGIN: hang forever */
	LAB_FAULT_GARBAGE,	/* one malformed REC line before the real records */
	LAB_FAULT_NORECORDS,	/* exit before BEGIN: no record lines at all */
	/* the kernel misbehaves (probe module fault_ops=1, cases_fault.c): the
	 * fault case runs first, then the selected cases as usual */
	LAB_FAULT_WARN,		/* fault.warn: WARN() */
	LAB_FAULT_OOPS,		/* fault.oops: NULL dereference in the case's process */
	LAB_FAULT_KPANIC,	/* fault.kpanic: panic() */
	LAB_FAULT_BOOT,		/* rig/init.sh panics the kernel before the agent (sysrq c);
				 * nothing for the agent to do should it run */
};

struct lab_run_opts {
	char target[64];
	const char *filters[LAB_MAX_FILTERS];
	int nfilters;
	int repeat;
	int lava;
	int timeout_s;
	enum lab_fault fault;
	int quiet_console;	/* lower the console log level during the run */
	int resume;		/* start at case run number N (1-based, as in IOMMULAB-START's "n");
				 * earlier runs are skipped silently: the QEMU runner's reboot after
				 * a case crashed the guest (docs/records.md); 1 = from the start */
};

const char *lab_fault_name(enum lab_fault f);
int lab_fault_parse(const char *s, enum lab_fault *f);

/* 1 when @id matches any filter (fnmatch glob), or when there are no filters */
int lab_runner_selected(const struct lab_run_opts *o, const char *id);

/* print ids (and descriptions) or, with @json, the catalogue object */
int lab_runner_list(const struct lab_run_opts *o, int json, int fd);

int lab_runner_run(const struct lab_env *env, const struct lab_run_opts *o);

/*
 * Judge one finished result: fills *contract and the verdict/reason.
 * Exposed for the unit tests.
 */
enum lab_verdict lab_runner_judge(const struct lab_case *c, const struct lab_env *env,
				  const struct lab_result *res,
				  const struct lab_contract **contract, char *why, size_t len);

#endif
