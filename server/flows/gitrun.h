/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gitrun.h - run git with an argument vector and capture what it prints,
 * for the flows that read a kernel tree (bisect.c, likely.c).
 *
 * Purpose: one way to run git: posix_spawnp("git", argv) (no shell, so no
 * request value is ever parsed by one), stdin /dev/null, stdout (and
 * stderr, when asked) into a pipe read to the end (at most @max bytes are
 * kept, the rest is read and dropped), the child reaped. GIT_TERMINAL_PROMPT
 * =0 and GIT_CEILING-free: the caller names the repository with -C or
 * --git-dir in @argv.
 *
 * Also the one rule for a ref a request may name (lab_git_ref_ok): 1-200
 * bytes of [A-Za-z0-9._/~^@{}+-], not starting with '-' (so never an
 * option), and a commit id check (lab_git_sha_ok: 40 lowercase hex).
 *
 * Ownership: *@out is malloc'd (NUL-terminated), the caller frees it.
 * Errors: git's exit status (>= 0; 128+signal when killed) or -errno when
 * it could not be run.
 */
#ifndef LAB_GITRUN_H
#define LAB_GITRUN_H

#include <stdbool.h>
#include <stddef.h>

#define LAB_GIT_OUT_MAX (1u << 20)

/* @argv: NULL-terminated, argv[0] = "git"; @with_stderr: 2>&1 */
int lab_git_run(const char *const argv[], bool with_stderr, size_t max, char **out);

bool lab_git_ref_ok(const char *ref);
bool lab_git_sha_ok(const char *sha);

/*
 * A tree a request names: an absolute path (names.h LAB_NAME_PATH) of a
 * directory git calls a repository; @real gets its realpath. -EINVAL with
 * the reason in @err ("\"@field\": ...").
 */
int lab_git_tree_check(const char *field, const char *tree, char real[4096], char *err,
		       size_t errlen);
/* @ref (lab_git_ref_ok) of @tree as a commit id; -EINVAL with the reason */
int lab_git_resolve(const char *tree, const char *field, const char *ref, char sha[41],
		    char *err, size_t errlen);

#endif /* LAB_GITRUN_H */
