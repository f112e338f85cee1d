/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probestep.h - a probe module command as one step of a case, for the case
 * files that drive the probe one call at a time (cases_arch.c,
 * cases_virtio.c).
 *
 * Purpose: the two things such a case repeats after every call: record the
 * kernel's errno as a step (or end the case with ERROR when the module
 * refused the command itself), and, after an attach returned 0, check that
 * the core reports the device in the attached domain.
 *
 * Invariants: @kres is read after the probe call has run (it is passed by
 * pointer: an int passed by value in the same argument list as the call
 * could be read before it). A return of 0 means "go on"; anything else is
 * the case's final outcome, already written into @r.
 *
 * Ownership: nothing is allocated; @r, @p, @d and @dom belong to the caller.
 */
#ifndef LAB_PROBESTEP_H
#define LAB_PROBESTEP_H

#include "case.h"
#include "probe.h"

/* step @name: @ret is the probe call's own return, *@kres the kernel's
 * errno; sets *@err to that errno */
enum lab_outcome lab_probestep(struct lab_result *r, const char *name, int ret,
			       const int *kres, int *err);

/* after an attach of @d to @dom returned 0: step "verify.core"; FAIL when
 * the core reports another domain, verified = core when it reports @dom */
enum lab_outcome lab_probestep_verify_core(struct lab_probe *p, struct lab_result *r,
					   const struct lab_pcidev *d,
					   const struct lab_domain *dom);

#endif /* LAB_PROBESTEP_H */
