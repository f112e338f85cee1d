/* SPDX-License-Identifier: GPL-2.0 */
/*
 * statelock.c - the state directory's lock and the port's owner (statelock.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "statelock.h"

/* the pid holding a flock on the file @st names, from /proc/locks; 0 unknown */
static long lock_holder(const struct stat *st)
{
	char line[256];
	long pid = 0;
	FILE *f = fopen("/proc/locks", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned maj, min;
		unsigned long ino;
		long p;

		/* "1: FLOCK  ADVISORY  WRITE 4242 08:01:1234567 0 EOF" */
		if (sscanf(line, "%*d: FLOCK %*s %*s %ld %x:%x:%lu", &p, &maj, &min, &ino) != 4)
			continue;
		if (ino == (unsigned long)st->st_ino && maj == major(st->st_dev) &&
		    min == minor(st->st_dev)) {
			pid = p;
			break;
		}
	}
	fclose(f);
	return pid;
}

int lab_statelock_take(const char *state_dir, int *fd_out, char *err, size_t errlen)
{
	struct stat st;
	long pid;
	int fd, r;

	/* the directory itself: nothing to create, so a read-only state dir
	 * still gets as far as its database (which then says why) */
	fd = open(state_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open the state directory %s: %s", state_dir,
			 strerror(errno));
		return r;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == 0) {
		*fd_out = fd;
		return 0;
	}
	r = errno == EWOULDBLOCK ? -EBUSY : -errno;
	if (r == -EBUSY) {
		pid = fstat(fd, &st) ? 0 : lock_holder(&st);
		if (pid)
			snprintf(err, errlen, "state directory %s is in use by iommulabd pid %ld; "
				 "stop that one first", state_dir, pid);
		else
			snprintf(err, errlen, "state directory %s is in use by another process "
				 "(its pid is not visible here); stop that one first", state_dir);
	} else {
		snprintf(err, errlen, "cannot lock the state directory %s: %s", state_dir,
			 strerror(-r));
	}
	close(fd);
	return r;
}

/* the inode of the socket listening on @ip:@port (network order ip), 0 none */
static unsigned long listen_inode(uint32_t ip, unsigned port)
{
	char line[512];
	unsigned long inode = 0;
	FILE *f = fopen("/proc/net/tcp", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned lip, lport, st;
		unsigned long ino;

		/* "  0: 0100007F:2116 00000000:0000 0A ... uid timeout inode" */
		if (sscanf(line, " %*d: %x:%x %*x:%*x %x %*x:%*x %*x:%*x %*x %*u %*u %lu",
			   &lip, &lport, &st, &ino) != 4)
			continue;
		if (st != 0x0a || lport != port)	/* TCP_LISTEN */
			continue;
		/* /proc/net/tcp prints the address as the host reads the
		 * network-order word */
		if (lip == ip || lip == 0) {
			inode = ino;
			if (lip == ip)
				break;
		}
	}
	fclose(f);
	return inode;
}

int lab_statelock_port_owner(const char *addr, unsigned port, pid_t *pid,
			     char *comm, size_t commlen)
{
	char want[64], p[PATH_MAX], l[64];
	struct in_addr ia;
	unsigned long inode;
	struct dirent *de;
	DIR *procs;
	int found = -ENOENT;

	if (inet_pton(AF_INET, addr, &ia) != 1)
		return -EINVAL;
	inode = listen_inode(ia.s_addr, port);
	if (!inode)
		return -ENOENT;
	snprintf(want, sizeof(want), "socket:[%lu]", inode);
	procs = opendir("/proc");
	if (!procs)
		return -errno;
	while (found && (de = readdir(procs))) {
		DIR *fds;
		struct dirent *fe;

		if (de->d_name[0] < '1' || de->d_name[0] > '9')
			continue;
		snprintf(p, sizeof(p), "/proc/%s/fd", de->d_name);
		fds = opendir(p);
		if (!fds)
			continue;
		while ((fe = readdir(fds))) {
			ssize_t n;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(p, sizeof(p), "/proc/%s/fd/%s", de->d_name, fe->d_name);
			n = readlink(p, l, sizeof(l) - 1);
			if (n <= 0)
				continue;
			l[n] = '\0';
			if (strcmp(l, want))
				continue;
			*pid = (pid_t)atol(de->d_name);
			found = 0;
			break;
		}
		closedir(fds);
	}
	closedir(procs);
	if (!found && comm && commlen) {
		FILE *f;

		snprintf(p, sizeof(p), "/proc/%ld/comm", (long)*pid);
		comm[0] = '\0';
		f = fopen(p, "re");
		if (f) {
			if (fgets(comm, (int)commlen, f))
				comm[strcspn(comm, "\n")] = '\0';
			fclose(f);
		}
	}
	return found;
}
