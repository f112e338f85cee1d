/*
 * case.h - what a test case is, and what running one produces.
 *
 * Purpose: the catalogue (cases_*.c) is a set of static const struct
 * lab_case; the runner executes one in a forked child, which fills a
 * struct lab_result, and turns it into a record and a KTAP line.
 *
 * Invariants:
 *  - @id is stable forever once published ("area.group.case", [a-z0-9_.-]);
 *    the server stores results under it.
 *  - A run function never judges: it returns an outcome. LAB_OUTCOME_JUDGE
 *    means the judged step ran and @observed holds its errno; the runner
 *    compares it with the contract. SKIP (capability missing), ERROR (setup
 *    failed) and FAIL (e.g. an attach reported success without moving the
 *    device) carry a reason.
 *  - struct lab_result is plain data (no pointers): the child sends it to
 *    the parent through a pipe as raw bytes.
 * Ownership: cases are static; results live in the runner's stack/buffers.
 * Error convention: helpers return 0 or -errno; run functions return an
 * enum lab_outcome.
 */
#ifndef LAB_CASE_H
#define LAB_CASE_H

#include <stdarg.h>

#include "contract.h"
#include "env.h"

#define LAB_STEPS_MAX	16
#define LAB_REASON_LEN	256

enum lab_outcome {
	LAB_OUTCOME_JUDGE = 1,
	LAB_OUTCOME_SKIP,
	LAB_OUTCOME_ERROR,
	LAB_OUTCOME_FAIL,
};

enum lab_verified {
	LAB_VERIFIED_NONE = 1,
	LAB_VERIFIED_CORE,	/* DOMAIN_IDENT: iommu_get_domain_for_dev() is the domain */
	LAB_VERIFIED_DMA,	/* DMA_CHECK: real DMA went through the domain */
};

struct lab_step {
	char name[32];
	int err;		/* positive errno, 0 = success */
};

struct lab_result {
	char driver[LAB_NAME_LEN];	/* IOMMU driver of the device under test */
	char iommu[LAB_NAME_LEN];	/* IOMMU instance, "" if none */
	char device[16];		/* device under test, "" if none */
	struct lab_step steps[LAB_STEPS_MAX];
	int nsteps;
	int observed;			/* judged errno (positive) or 0 */
	enum lab_outcome outcome;
	char reason[LAB_REASON_LEN];
	int reused;			/* -1 = not a reuse case, else 0/1 */
	enum lab_verified verified;
	int partial;			/* 1: a snapshot sent while the case still runs */
};

struct lab_case {
	const char *id;
	const char *description;
	const char *const *needs;		/* NULL-terminated, see lab_env_check_need() */
	const struct lab_contract *contracts;	/* NULL-driver-terminated */
	int expect_reused;			/* -1 n/a, 1 = the domain must be reused */
	enum lab_outcome (*run)(const struct lab_env *env, struct lab_result *res);
};

const char *lab_outcome_name(enum lab_outcome o);
const char *lab_verified_name(enum lab_verified v);

/* reset a result and preset driver/iommu from the machine */
void lab_result_init(struct lab_result *res, const struct lab_env *env);

/* name the device under test (also sets driver/iommu from it) */
void lab_result_device(struct lab_result *res, const struct lab_env *env,
		       const struct lab_pcidev *dev);

/*
 * pick the case's device in a single-device group (lab_env_pick_single):
 * SKIP with the picker's reason when there is none, else name it in @res
 * (lab_result_device) and return 0
 */
enum lab_outcome lab_case_pick_single(const struct lab_env *env, struct lab_result *res,
				      const struct lab_pcidev **dev);

/*
 * In the forked child: after every step, send a snapshot of @res (partial=1)
 * to @fd, so that when the case dies (the kernel oopsed under it) the parent
 * still has its device and the steps done so far. -1 stops it.
 */
void lab_result_stream(int fd);

/* append a step (@err positive or 0; negative is negated); returns the positive errno */
int lab_result_step(struct lab_result *res, const char *name, int err);

/* set the outcome with a printf reason; returns @o for "return lab_result_out(...)" */
enum lab_outcome lab_result_out(struct lab_result *res, enum lab_outcome o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* the whole catalogue, in listing order; *n receives the count */
const struct lab_case *const *lab_cases_all(int *n);

/* per-area tables (cases_kmod.c, cases_vfio.c, cases_iommufd.c, cases_arch.c) */
extern const struct lab_case *const lab_cases_kmod[];
extern const struct lab_case *const lab_cases_vfio[];
extern const struct lab_case *const lab_cases_iommufd[];
extern const struct lab_case *const lab_cases_arch[];	/* cases_arch.c: arm-smmu-v3, s390-iommu */
extern const struct lab_case *const lab_cases_virtio[];	/* cases_virtio.c: granule, aw-bits */

/* cases_fault.c: not in the catalogue, run only by the fault switch (runner.h) */
extern const struct lab_case lab_case_fault_warn, lab_case_fault_oops, lab_case_fault_kpanic;

#endif
