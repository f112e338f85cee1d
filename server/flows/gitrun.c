/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gitrun.c - git with an argv, its output captured (gitrun.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "gitrun.h"
#include "names.h"

extern char **environ;

/* environ plus GIT_TERMINAL_PROMPT=0 (no git ever waits for a password) */
static char **git_env(void)
{
	size_t n = 0, i, k = 0;
	char **e;

	while (environ[n])
		n++;
	e = calloc(n + 2, sizeof(*e));
	if (!e)
		return NULL;
	for (i = 0; i < n; i++)
		if (strncmp(environ[i], "GIT_TERMINAL_PROMPT=", 20) &&
		    strncmp(environ[i], "GIT_DIR=", 8) && strncmp(environ[i], "GIT_WORK_TREE=", 14) &&
		    strncmp(environ[i], "GIT_INDEX_FILE=", 15))
			e[k++] = environ[i];
	e[k++] = "GIT_TERMINAL_PROMPT=0";
	e[k] = NULL;
	return e;
}

int lab_git_run(const char *const argv[], bool with_stderr, size_t max, char **out)
{
	posix_spawn_file_actions_t fa;
	size_t len = 0, cap = 4096;
	char **env = NULL, *buf;
	int p[2], ret, status;
	pid_t pid;

	*out = NULL;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	if (pipe2(p, O_CLOEXEC)) {
		free(buf);
		return -errno;
	}
	ret = posix_spawn_file_actions_init(&fa);
	if (ret)
		goto close_pipe;
	ret = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!ret)
		ret = posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	if (!ret)
		ret = with_stderr ? posix_spawn_file_actions_adddup2(&fa, p[1], 2) :
		      posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	env = ret ? NULL : git_env();
	if (!ret && !env)
		ret = ENOMEM;
	if (!ret)
		ret = posix_spawnp(&pid, "git", &fa, NULL, (char *const *)argv, env);
	posix_spawn_file_actions_destroy(&fa);
	free(env);
	if (ret)
		goto close_pipe;
	close(p[1]);
	for (;;) {
		char chunk[8192];
		ssize_t r = read(p[0], chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (len + (size_t)r > max)
			r = (ssize_t)(len < max ? max - len : 0);
		if (len + (size_t)r + 1 > cap) {
			char *nb;

			while (len + (size_t)r + 1 > cap)
				cap *= 2;
			nb = realloc(buf, cap);
			if (!nb)
				continue;	/* keep what fits, drain the rest */
			buf = nb;
		}
		memcpy(buf + len, chunk, (size_t)r);
		len += (size_t)r;
	}
	close(p[0]);
	buf[len] = '\0';
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			free(buf);
			return -errno;
		}
	*out = buf;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
close_pipe:
	close(p[0]);
	close(p[1]);
	free(buf);
	return -ret;
}

bool lab_git_ref_ok(const char *ref)
{
	size_t n = ref ? strlen(ref) : 0;

	if (n < 1 || n > 200 || ref[0] == '-' || strstr(ref, ".."))
		return false;
	return strspn(ref, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		      "0123456789._/~^@{}+-") == n;
}

bool lab_git_sha_ok(const char *sha)
{
	return sha && strlen(sha) == 40 && strspn(sha, "0123456789abcdef") == 40;
}

int lab_git_tree_check(const char *field, const char *tree, char real[4096], char *err,
		       size_t errlen)
{
	const char *top[] = { "git", "-C", real, "rev-parse", "--show-toplevel", NULL };
	const char *bare[] = { "git", "-C", real, "rev-parse", "--is-bare-repository", NULL };
	char why[300], *o = NULL;
	struct stat sb;
	int r;

	if (!tree || lab_name_check(LAB_NAME_PATH, NULL, tree, why, sizeof(why))) {
		snprintf(err, errlen, "\"%s\" must be the absolute path of a git checkout%s%s",
			 field, tree ? ": " : "", tree ? why : "");
		return -EINVAL;
	}
	if (stat(tree, &sb) || !S_ISDIR(sb.st_mode) || !realpath(tree, real) ||
	    lab_name_check(LAB_NAME_PATH, NULL, real, why, sizeof(why))) {
		snprintf(err, errlen, "\"%s\": %.200s is not a directory (or its real path is "
			 "not a plain one)", field, tree);
		return -EINVAL;
	}
	/* the top of a checkout, or a bare repository: a folder inside some
	 * other checkout (git would walk up to it) is not the tree meant */
	r = lab_git_run(top, false, 4096, &o);
	if (!r && o) {
		size_t n = strcspn(o, "\n");

		o[n] = '\0';
		r = strcmp(o, real) ? -ENOENT : 0;
		if (r)
			snprintf(why, sizeof(why), " (it is inside the checkout %.200s)", o);
	} else {
		free(o);
		o = NULL;
		why[0] = '\0';
		r = lab_git_run(bare, false, 4096, &o);
		if (!r && (!o || strncmp(o, "true", 4)))
			r = -ENOENT;
	}
	free(o);
	if (r) {
		snprintf(err, errlen, "\"%s\": %.200s is not a git repository%s", field, real, why);
		return -EINVAL;
	}
	return 0;
}

int lab_git_resolve(const char *tree, const char *field, const char *ref, char sha[41],
		    char *err, size_t errlen)
{
	char spec[256], *o = NULL;
	const char *argv[] = { "git", "-C", tree, "rev-parse", "--verify", "-q",
			       "--end-of-options", spec, NULL };
	int r;

	if (!lab_git_ref_ok(ref)) {
		snprintf(err, errlen, "\"%s\": a ref is 1-200 bytes of [A-Za-z0-9._/~^@{}+-], "
			 "not starting with '-', without \"..\"", field);
		return -EINVAL;
	}
	snprintf(spec, sizeof(spec), "%s^{commit}", ref);
	r = lab_git_run(argv, false, 4096, &o);
	if (r || !o || strlen(o) < 40 || (o[40] != '\n' && o[40]) ||
	    (o[40] = '\0', !lab_git_sha_ok(o))) {
		free(o);
		snprintf(err, errlen, "\"%s\": '%.64s' is not a commit of %.200s", field, ref, tree);
		return -EINVAL;
	}
	memcpy(sha, o, 41);
	free(o);
	return 0;
}
