/* SPDX-License-Identifier: GPL-2.0 */
/*
 * artifacts.h - what a QEMU job boots: the kernel image and an initramfs with
 * the agent and the iommulab_probe module built for that kernel.
 *
 * Purpose: turn (kernel, arch) into the command that prepares the artifacts
 * with the rig's own scripts (kernels/fetch-debian, make -C kmods,
 * make -C agent, rig/mkinitramfs), and read back where they are. The work is
 * done by a child process (the QEMU backend runs it in its own process
 * group and polls it), so the scheduler thread never blocks on a download
 * or a build. Everything lands in $CACHE and is reused: a second job on the
 * same kernel finds the kernel, module and initramfs already there, and
 * concurrent preparations for one kernel serialise on a lock file
 * ($CACHE/state/locks/artifacts-<kernel>-<arch>.lock).
 *
 * The child writes a result file of KEY=VALUE lines (release=, kernel=,
 * initrd=, agent=, kmod=) only when everything succeeded; its progress goes to its
 * stdout/stderr (the job's preparation log).
 *
 * Ownership: lab_artifacts_argv() returns a NULL-terminated argv whose
 * strings and array the caller frees with lab_artifacts_argv_free(). Strings
 * in struct lab_artifacts are owned by it; lab_artifacts_clear() frees them
 * and accepts a zeroed struct.
 *
 * Errors: 0 or -errno. -EINVAL a kernel or arch name with characters outside
 * [A-Za-z0-9.+_-], -ENOENT no result file (preparation did not finish),
 * -EBADMSG a result file without kernel= or initrd=.
 */
#ifndef LAB_ARTIFACTS_H
#define LAB_ARTIFACTS_H

#include <sys/types.h>

#include "config.h"
#include "store.h"

struct lab_artifacts {
	char *release;		/* uname -r of the kernel */
	char *kernel;		/* image to boot */
	char *initrd;		/* initramfs with agent + probe module */
	char *agent;		/* the agent binary and the probe module that went */
	char *kmod;		/* into it (NULL from an older result file) */
};

/* argv of the preparation child for @k on @arch; writes @result_path on success */
int lab_artifacts_argv(const struct lab_config *cfg, const struct lab_kernel *k,
		       const char *arch, const char *result_path,
		       char ***argv_out);
void lab_artifacts_argv_free(char **argv);

/*
 * Start the preparation child for @k on @arch (lab_artifacts_argv) as the
 * leader of its own process group (proc.h), stdout/stderr to @log_path,
 * after removing a stale @result_path. 0 with the child's pid in *@pid_out
 * (the caller reaps it or stops it with lab_proc_kill_group), or -errno
 * with why in @reason (@reason_len bytes).
 */
int lab_artifacts_start(const struct lab_config *cfg, const struct lab_kernel *k,
			const char *arch, const char *result_path, const char *log_path,
			pid_t *pid_out, char *reason, size_t reason_len);

/* read the result file a finished preparation wrote */
int lab_artifacts_read(const char *result_path, struct lab_artifacts *out);
void lab_artifacts_clear(struct lab_artifacts *a);

/*
 * The build recipe of a kernel the lab builds itself: source "build" and
 * source_ref "tree=TREE[@REF][;patches=/ABS/PATH|none]" (TREE as
 * kernels/build --tree takes it, PATCHES an mbox or directory). Fills
 * @tree and @patches ("" = no patches). -ENOENT no recipe (not a build
 * kernel, or one registered with a descriptive source_ref only: it must
 * then already be in $CACHE/kernels); -EINVAL a malformed recipe
 * (characters outside the safe sets, "..", a relative patches path).
 */
int lab_artifacts_recipe(const struct lab_kernel *k, char *tree, size_t tlen,
			 char *patches, size_t plen);

/* is @s a safe kernel/arch/target name for a command line and a path? */
bool lab_artifacts_name_ok(const char *s);

#endif /* LAB_ARTIFACTS_H */
