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

#include "statelock.h"

int lab_statelock_take(const char *state_dir, int *fd_out, char *err, size_t errlen)
{
	char path[PATH_MAX], buf[32];
	ssize_t n;
	int fd, r;

	if ((size_t)snprintf(path, sizeof(path), "%s/" LAB_STATELOCK_FILE, state_dir) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return r;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (r == -EBUSY)
			snprintf(err, errlen, "state directory %s is in use by iommulabd pid %s "
				 "(it holds %s); stop that one first", state_dir,
				 buf[0] ? buf : "?", path);
		else
			snprintf(err, errlen, "cannot lock %s: %s", path, strerror(-r));
		close(fd);
		return r;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) || pwrite(fd, buf, (size_t)n, 0) != n) {
		r = -errno;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
		close(fd);
		return r;
	}
	*fd_out = fd;
	return 0;
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
