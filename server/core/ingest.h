/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ingest.h - the one way results get into the store.
 *
 * Purpose: the QEMU runner (a guest's console log), the LAVA backend (the
 * console LAVA kept) and the results API (a log or decoded records) all
 * hand a job and what it produced to this module, which
 *   1. checks identity the same way for all of them: the records must say
 *      the job's target and, when the job's kernel has a known release
 *      (uname -r), that release (lab_ingest_identity());
 *   2. classifies a console log (lab_ingest_scan_log()): LAB_INGEST_OK,
 *      LAB_INGEST_UNFINISHED (no IOMMULAB-END: the run stopped early, an
 *      infrastructure matter) or LAB_INGEST_BAD (malformed, wrong count,
 *      or another job's records: rerunning will not help);
 *   3. judges every record against the server's contract for its case
 *      (judge.h) and refuses a batch whose claimed verdict differs;
 *   4. stores them in one transaction (lab_ingest_store()).
 * Callers keep only what is theirs: how they got the log (a file, LAVA's
 * YAML, a request body), checks only they can make (LAVA's test list), the
 * words of their answer, and the job state change that follows (jobstate.h).
 *
 * 4. hands what was stored to the regression lifecycle (findings.h).
 *
 * Invariants: nothing is stored unless identity and classification passed;
 * a batch is stored whole or not at all (lab_store_results_ingest()).
 *
 * Ownership: a scan filled by lab_ingest_scan_log() is the caller's:
 * release it with lab_record_scan_clear() (also after an error).
 * Errors: 0 or -errno; -ENOENT unknown job; -EINVAL identity mismatch
 * (with @why); -EPROTO a claimed verdict the server computes otherwise
 * (with @why); store errors as lab_store_results_ingest() gives them.
 */
#ifndef LAB_INGEST_H
#define LAB_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "judge.h"
#include "model.h"
#include "record.h"

struct lab_store;

#define LAB_INGEST_WHY_MAX 512

/* what a job runs: its target's name, its kernel's release ("" unknown)
 * and arch */
struct lab_ingest_job {
	int64_t id;
	char target[65];
	char release[129];
	char arch[33];
};

enum lab_ingest_class {
	LAB_INGEST_OK = 0,
	LAB_INGEST_UNFINISHED,	/* no IOMMULAB-END */
	LAB_INGEST_BAD,		/* malformed, miscounted, or not this job's */
};

/* the identity of job @id from the store; -ENOENT for an unknown job */
int lab_ingest_job_load(struct lab_store *st, int64_t id, struct lab_ingest_job *out);
/* the same from structs a runner already holds (@k may be NULL) */
void lab_ingest_job_of(const struct lab_job *j, const struct lab_target *t,
		       const struct lab_kernel *k, struct lab_ingest_job *out);

/*
 * Do results that say @target, @kernel and @arch (each may be NULL or "":
 * not said) belong to @job? 0, or -EINVAL with "@where: target '...', but
 * job N runs on '...'" (or the kernel's or arch's equivalent) in @why.
 */
int lab_ingest_identity(const struct lab_ingest_job *job, const char *where,
			const char *target, const char *kernel, const char *arch,
			char *why, size_t whylen);

/*
 * Scan console log @log (@len bytes) into @scan and classify it into
 * *@cls; for a log that scanned OK, check its identity (BEGIN's target and
 * kernel) too: a mismatch is LAB_INGEST_BAD with the reason in @why. For
 * UNFINISHED and BAD from the scan, @why is empty and scan->error says why.
 * Returns 0, or -ENOMEM (nothing classified).
 */
int lab_ingest_scan_log(const struct lab_ingest_job *job, const char *log,
			size_t len, struct lab_record_scan *scan,
			enum lab_ingest_class *cls, char *why, size_t whylen);

/*
 * Judge @n results of @job and store them in one transaction
 * (lab_store_results_ingest). Every record's verdict is computed from its
 * observed errno and the latest contract the store holds for its case, on
 * the job's kernel release and the record's driver (judge.h); a record
 * whose claimed verdict differs refuses the whole batch with -EPROTO and
 * "CASE repeat N: claimed pass, the server computes fail (...)" in @why,
 * and nothing is stored. The stored expected errno, contract label,
 * contract version and judged_by are the server's.
 */
int lab_ingest_store(struct lab_store *st, const struct lab_ingest_job *job,
		     const struct lab_result *res, size_t n, char *why, size_t whylen);

/*
 * The judging step of lab_ingest_store() alone, on @res in place: sets
 * expected, contract (pointing into @labels[i]), contract_version and
 * judged_by of each; -EPROTO (with @why) at the first disagreement.
 */
int lab_ingest_judge(struct lab_store *st, const struct lab_ingest_job *job,
		     struct lab_result *res, size_t n, char (*labels)[LAB_JUDGE_LABEL_MAX],
		     char *why, size_t whylen);

#endif /* LAB_INGEST_H */
