/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_statelock.c - one daemon per state directory and per port
 * (server/statelock.c): a second process cannot take the state directory's
 * lock and is told the holder's pid; the lock goes with its holder (no
 * clean-up); the owner of a listening port is found by its pid.
 */
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include "helpers.h"
#include "statelock.h"

static void test_lock(void **state)
{
	char dir[PATH_MAX], err[512], want[32];
	int fd = -1, fd2 = -1, st;
	pid_t child;

	(void)state;
	tmp_dir(dir, sizeof(dir));
	assert_int_equal(lab_statelock_take(dir, &fd, err, sizeof(err)), 0);
	/* another process: refused, naming this one */
	child = fork();
	assert_true(child >= 0);
	if (child == 0) {
		int f2, r = lab_statelock_take(dir, &f2, err, sizeof(err));

		snprintf(want, sizeof(want), "pid %ld", (long)getppid());
		_exit(r == -EBUSY && strstr(err, want) ? 0 : 1);
	}
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* a second open file in this process is refused too (flock is per open file) */
	assert_int_equal(lab_statelock_take(dir, &fd2, err, sizeof(err)), -EBUSY);
	/* released with its holder: a process that took it and died leaves it free */
	close(fd);
	child = fork();
	if (child == 0) {
		int f2;

		_exit(lab_statelock_take(dir, &f2, err, sizeof(err)) ? 1 : 0);	/* dies holding it */
	}
	assert_int_equal(waitpid(child, &st, 0), child);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_int_equal(lab_statelock_take(dir, &fd, err, sizeof(err)), 0);
	close(fd);
	rm_tree(dir);
}

static void test_port_owner(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	char comm[64];
	pid_t pid = 0;
	int s;

	(void)state;
	s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s >= 0);
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&sa, &sl), 0);
	/* bound, not listening: no owner yet */
	assert_int_equal(lab_statelock_port_owner("127.0.0.1", ntohs(sa.sin_port), &pid,
						  comm, sizeof(comm)), -ENOENT);
	assert_int_equal(listen(s, 1), 0);
	assert_int_equal(lab_statelock_port_owner("127.0.0.1", ntohs(sa.sin_port), &pid,
						  comm, sizeof(comm)), 0);
	assert_int_equal(pid, getpid());
	assert_true(strlen(comm) > 0);
	close(s);
	assert_int_equal(lab_statelock_port_owner("127.0.0.1", ntohs(sa.sin_port), &pid,
						  NULL, 0), -ENOENT);
	assert_int_equal(lab_statelock_port_owner("not an address", 1, &pid, NULL, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lock),
		cmocka_unit_test(test_port_owner),
	};
	return cmocka_run_group_tests_name("statelock", tests, NULL, NULL);
}
