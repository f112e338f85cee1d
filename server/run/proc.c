/* SPDX-License-Identifier: GPL-2.0 */
/*
 * proc.c - child process helpers (proc.h): spawn a program in its own
 * process group with its output in a log, stop and reap such a group,
 * mkdir -p. Contract, invariants and error convention: see proc.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

#define LAB_PROC_TERM_TICKS	30	/* x 100 ms after SIGTERM */
#define LAB_PROC_KILL_TICKS	50	/* x 100 ms after SIGKILL */

int lab_proc_mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	char *p;

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int lab_proc_spawn_group(char *const argv[], const char *log_path, pid_t *out)
{
	int fd, nul, err;
	pid_t pid;

	fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nul < 0) {
		err = -errno;
		goto err_close_log;
	}
	pid = fork();
	if (pid < 0) {
		err = -errno;
		goto err_close_nul;
	}
	if (pid == 0) {
		sigset_t none;

		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		setpgid(0, 0);
		dup2(nul, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		syscall(SYS_close_range, 3U, ~0U, 0U);
		signal(SIGPIPE, SIG_DFL);
		execv(argv[0], argv);
		_exit(127);
	}
	setpgid(pid, pid);	/* both sides: no window where it is in ours */
	close(nul);
	close(fd);
	*out = pid;
	return 0;

err_close_nul:
	close(nul);
err_close_log:
	close(fd);
	return err;
}

bool lab_proc_group_alive(pid_t pgid)
{
	return kill(-pgid, 0) == 0 || errno != ESRCH;
}

int lab_proc_kill_group(pid_t pid, bool reaped)
{
	int i;

	if (pid <= 0)
		return 0;
	kill(-pid, SIGTERM);
	for (i = 0; i < LAB_PROC_TERM_TICKS && lab_proc_group_alive(pid); i++) {
		if (!reaped && waitpid(pid, NULL, WNOHANG) == pid)
			reaped = true;
		usleep(100 * 1000);
	}
	if (lab_proc_group_alive(pid))
		kill(-pid, SIGKILL);
	if (!reaped)
		waitpid(pid, NULL, 0);
	for (i = 0; i < LAB_PROC_KILL_TICKS && lab_proc_group_alive(pid); i++)
		usleep(100 * 1000);
	return lab_proc_group_alive(pid) ? -EBUSY : 0;
}
