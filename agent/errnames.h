/*
 * errnames.h - errno <-> symbolic name ("EINVAL") for the agent's records.
 *
 * Purpose: records carry both the number and the name of every errno, and
 * contracts are written with names. Names come from a switch over the
 * constants this libc defines, so the mapping follows the target's errno
 * numbering (x86_64, arm64 and s390x share the generic numbers).
 *
 * Invariants: lab_errname(0) is "OK"; an unknown positive value yields
 * "E?<n>" formatted into a static per-call buffer only for the unknown case.
 * Error convention: lab_errno_parse() returns 0 or -EINVAL.
 * Ownership: returned names are static strings, never freed.
 */
#ifndef LAB_ERRNAMES_H
#define LAB_ERRNAMES_H

/* name of a positive errno (0 -> "OK"); negative input is negated first */
const char *lab_errname(int err);

/* parse "EINVAL", "OK" or a decimal number into *err (positive or 0) */
int lab_errno_parse(const char *name, int *err);

#endif
