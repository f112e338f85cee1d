/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz.h - helpers shared by the libFuzzer targets (header-only, static).
 *
 * Purpose: a NUL-terminated copy of the input, a scratch directory per
 * fuzzing process (under $TMPDIR: tests/fuzz/run points that at a private
 * directory it removes afterwards) and a loud abort for broken invariants
 * (libFuzzer saves the input).
 * Ownership: fz_strdup() returns malloc'd memory the caller frees.
 */
#ifndef LAB_FUZZ_H
#define LAB_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

#define FZ_BUG(...) do { fprintf(stderr, "FUZZ INVARIANT: " __VA_ARGS__); \
	fputc('\n', stderr); abort(); } while (0)

static inline char *fz_strdup(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, d, n);
	s[n] = 0;
	return s;
}

/* a fresh private directory for this process's files */
static inline const char *fz_scratch(const char *name)
{
	static char dir[512];
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, sizeof(dir), "%s/iommulab-%s.XXXXXX", tmp && *tmp ? tmp : "/tmp", name);
	if (!mkdtemp(dir))
		abort();
	return dir;
}

/* the repo's schema/ (LAB_TOP, else relative to the binary's usual place) */
static inline const char *fz_schema(void)
{
	static char p[512];
	const char *top = getenv("LAB_TOP");

	snprintf(p, sizeof(p), "%s/schema", top && *top ? top : LAB_FUZZ_TOP);
	return p;
}

#endif /* LAB_FUZZ_H */
