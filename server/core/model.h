/* SPDX-License-Identifier: GPL-2.0 */
/*
 * model.h - the server's data model: what the other modules pass around.
 *
 * Purpose: the kernels, targets, jobs and results the store keeps, the job
 * states and verdicts, and their names (the words the API, the records and
 * the database's CHECK constraints use). A decoder, a scheduler or a view
 * can speak of a job or a result without depending on the store.
 *
 * Invariants: depends on libc and include/iommulab_record.h only (the record
 * format's names, shared with the agent). Enum values are the integers the
 * database stores: never renumber, only append.
 *
 * Ownership: the structs own their heap strings; release them with the
 * matching _clear(), which accepts a zeroed struct and zeroes it again.
 * Returned names are static strings.
 *
 * Errors: the _parse() functions return 0 or -EINVAL.
 */
#ifndef LAB_MODEL_H
#define LAB_MODEL_H

#include <stdbool.h>
#include <stdint.h>

enum lab_job_state {
	LAB_JOB_QUEUED = 0,
	LAB_JOB_SCHEDULED = 1,
	LAB_JOB_RUNNING = 2,
	LAB_JOB_COMPLETE = 3,
	LAB_JOB_INCOMPLETE = 4,
	LAB_JOB_CANCELED = 5,
};

enum lab_verdict {
	LAB_VERDICT_PASS = 0,
	LAB_VERDICT_FAIL = 1,
	LAB_VERDICT_SKIP = 2,
	LAB_VERDICT_ERROR = 3,
	LAB_VERDICT_CRASH = 4,	/* the kernel oopsed/BUGed/panicked during the case (docs/records.md) */
	LAB_VERDICT_WARN = 5,	/* the kernel warned during the case: WARN, lockdep, sanitizer, ... */
};
#define LAB_VERDICT_LAST LAB_VERDICT_WARN

/*
 * The case id of a "boot" record: a kernel report (oops, WARNING, panic)
 * before the agent's first case (docs/records.md). A clean boot leaves no
 * such record, so a side of a diff without one booted cleanly (a pass).
 */
#define LAB_CASE_BOOT "boot"

/* is case id @id (may be NULL) the boot record's? Compare through this,
 * never against the string */
bool lab_case_is_boot(const char *id);

const char *lab_job_state_name(enum lab_job_state s);
int lab_job_state_parse(const char *s, enum lab_job_state *out);
const char *lab_verdict_name(enum lab_verdict v);
int lab_verdict_parse(const char *s, enum lab_verdict *out);

/* who decided a stored verdict (results.judged_by; docs/server.md "Verdicts") */
enum lab_judged_by {
	LAB_JUDGED_NONE = 0,	/* not recorded (results stored before the server judged) */
	LAB_JUDGED_CONTRACT,	/* the server's errno judgement against its contract */
	LAB_JUDGED_AGENT,	/* a verdict only the agent can decide (judge.h) */
	LAB_JUDGED_RECORD,	/* no server contract: the record's own expected errno */
};
const char *lab_judged_by_name(enum lab_judged_by b);	/* NULL for NONE */

struct lab_kernel {
	int64_t id;
	char *name;		/* lab name, unique: "6.1", "6.12", "6.12+patch-ab12cd" */
	char *release;		/* uname -r, e.g. "6.1.0-56-amd64" */
	char *version;		/* upstream version, e.g. "6.1.192" */
	char *arch;		/* x86_64, arm64, s390x */
	char *source;		/* debian | url | build */
	char *source_ref;	/* package name, URL, or tree@ref+patches hash */
	char *image_path;	/* in the cache, NULL until fetched/built */
	char *modules_path;
	char *headers_path;
	char *sha256;		/* of the image */
};

struct lab_target {
	int64_t id;
	char *name;
	char *arch;
	char *backend;		/* qemu | lava */
	char *vendor;
	char *driver;
	char *device_type;	/* LAVA device type, NULL for qemu */
	char *definition;	/* the target's JSON file, verbatim */
	char *tags;		/* JSON array text */
	char *health;		/* good | bad | unknown | retired */
	int concurrency;
};

struct lab_job {
	int64_t id;
	int64_t plan_id;
	int64_t kernel_id;
	int64_t target_id;
	enum lab_job_state state;
	int priority;		/* higher runs first */
	int attempts;		/* started so far */
	int max_attempts;	/* retries are for infrastructure failures only */
	int timeout_s;
	int repeat;		/* run each case this many times (>= 1) */
	char *case_filter;	/* agent filter, NULL = all */
	char *backend;
	char *backend_job_id;	/* e.g. LAVA job id, NULL for qemu */
	char *log_path;
	char *reason;		/* why incomplete/canceled, NULL otherwise */
	int64_t created_at, started_at, finished_at;	/* unix seconds, 0 = unset */
};

/* One parsed agent record (docs/records.md), ready to store. */
struct lab_result {
	char *case_id;
	char *driver;
	char *iommu;
	char *steps_json;	/* the record's "steps" array, compact JSON text */
	int observed;		/* positive errno or 0 */
	int expected;		/* -1 when the contract had no entry */
	char *contract;
	enum lab_verdict verdict;
	char *reason;
	int reused;		/* -1 null, 0 false, 1 true */
	char *verified;
	int64_t duration_us;
	int repeat;
	/* the agent's kernel-report keys (docs/records.md), all optional */
	char *kernel_kind;	/* NULL: no kernel report decided the verdict */
	char *kernel_excerpt;
	bool has_contract_verdict;
	enum lab_verdict contract_verdict;	/* PASS..ERROR: the errno judgement crash/warn replaced */
	bool has_taint;
	int64_t taint_before, taint_after;
	/* the server's judgement (ingest.c, judge.h): the contract version the
	 * verdict was computed against (0: none) and who decided it (enum
	 * lab_judged_by, 0: not recorded) */
	int contract_version;
	enum lab_judged_by judged_by;
};

void lab_kernel_clear(struct lab_kernel *k);
void lab_target_clear(struct lab_target *t);
void lab_job_clear(struct lab_job *j);
void lab_result_clear(struct lab_result *r);

/* a case id: [a-z0-9_.-], 1-96 chars */
bool lab_case_id_valid(const char *id);

/*
 * The lab's name of an arch (targets, kernels: "arm64") for a name a guest
 * reports (records carry uname -m: "aarch64"); other names are returned
 * as they are. Two arch names are the same arch when their lab names are.
 */
const char *lab_arch_lab_name(const char *arch);
bool lab_arch_same(const char *a, const char *b);

/* "OK" for 0, "EINVAL" for 22, ...; "E?" for an unknown number */
const char *lab_errno_name(int e);

#endif /* LAB_MODEL_H */
