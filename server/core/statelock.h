/* SPDX-License-Identifier: GPL-2.0 */
/*
 * statelock.h - one iommulabd per state directory and per address.
 *
 * lab_statelock_take() takes an exclusive flock(2) on the state directory
 * itself (nothing is created: a read-only state dir still gets as far as
 * its database, which then says why it cannot be written). The lock is held
 * through the open descriptor (O_CLOEXEC: guests and scripts the daemon
 * starts do not inherit it) for the daemon's life; the kernel drops it when
 * the process dies, so a kill -9 needs no clean-up. A second daemon on the
 * same directory gets -EBUSY and a message naming the running one's pid
 * (from /proc/locks: the kernel's own record of who holds it).
 *
 * lab_statelock_port_owner() names the process listening on an IPv4
 * address and port (from /proc/net/tcp and /proc/PID/fd), for the message
 * of a daemon that cannot bind because another one holds the port.
 *
 * Depends on libc only. Errors: 0 or -errno.
 */
#ifndef LAB_STATELOCK_H
#define LAB_STATELOCK_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Lock @state_dir; *@fd holds the lock (close it to release; the daemon
 * never does). -EBUSY: another process holds it, @err names its pid.
 */
int lab_statelock_take(const char *state_dir, int *fd, char *err, size_t errlen);

/*
 * The pid listening on @addr:@port (IPv4 dotted quad; a listener on
 * 0.0.0.0 counts too) and its command name (@comm, may be NULL).
 * -ENOENT: none found (or not visible to this user).
 */
int lab_statelock_port_owner(const char *addr, unsigned port, pid_t *pid,
			     char *comm, size_t commlen);

#endif /* LAB_STATELOCK_H */
