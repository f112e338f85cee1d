/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proc.h - child process helpers shared by the job backends: run a program
 * as the leader of its own process group with its output in a log file,
 * stop such a group and reap its leader, and create a directory path.
 *
 * Purpose: the QEMU runner and the LAVA backend both run long children
 * (artifact preparation, rig/boot) that the scheduler thread polls with
 * waitpid(WNOHANG) and may have to stop as a whole, grandchildren included.
 * One implementation serves both.
 *
 * Invariants: the child is the leader of a new process group (setpgid on
 * both sides of fork(), so there is no window in which it is in ours); its
 * signal mask is empty (iommulabd blocks SIGTERM/SIGINT for sigwait(), and
 * a child must see SIGTERM); stdin is /dev/null, stdout and stderr go to
 * the log (truncated); no descriptor above 2 is inherited. Between fork()
 * and exec() only async-signal-safe calls are made (the server is
 * multi-threaded). lab_proc_kill_group() returns only once the leader is
 * reaped (unless the caller already reaped it) and the group is empty, or
 * reports that something survived.
 *
 * Ownership: nothing is retained; the caller owns the pid it is given and
 * must reap it (waitpid) or hand it to lab_proc_kill_group().
 *
 * Errors: 0 or -errno. lab_proc_kill_group(): -EBUSY when a process of the
 * group survived SIGKILL.
 */
#ifndef LAB_PROC_H
#define LAB_PROC_H

#include <stdbool.h>
#include <sys/types.h>

/* mkdir -p @path (mode 0755); -ENAMETOOLONG beyond PATH_MAX */
int lab_proc_mkdir_p(const char *path);

/* fork + exec @argv[0] (a path, no PATH search) as a group leader; *@out = pid */
int lab_proc_spawn_group(char *const argv[], const char *log_path, pid_t *out);

/* is any process of group @pgid left? */
bool lab_proc_group_alive(pid_t pgid);

/*
 * Stop the group led by @pid: SIGTERM, up to 3 s for the group to leave,
 * then SIGKILL; reap the leader (unless @reaped) and wait up to 5 s for the
 * group to be empty (grandchildren are reaped by init). @pid <= 0 is a no-op.
 */
int lab_proc_kill_group(pid_t pid, bool reaped);

#endif
