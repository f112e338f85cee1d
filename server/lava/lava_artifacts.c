/* SPDX-License-Identifier: GPL-2.0 */
/*
 * lava_artifacts.c - the artifact registry and route (lava_artifacts.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lava_artifacts.h"

struct artifact {
	char sha[65];
	char path[PATH_MAX];
	const char *base;	/* into path */
};

static pthread_mutex_t art_lock = PTHREAD_MUTEX_INITIALIZER;
static struct artifact arts[LAB_LAVA_ARTIFACTS_MAX];
static size_t art_next;		/* ring: next slot to (over)write */

static bool sha_ok(const char *s)
{
	return s && strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static bool file_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n && n <= 128 && s[0] != '.' &&
	       strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") == n;
}

int lab_lava_artifact_register(const char *sha256_hex, const char *path)
{
	char real[PATH_MAX];
	struct artifact *a;
	size_t i;

	if (!sha_ok(sha256_hex) || !path)
		return -EINVAL;
	if (!realpath(path, real))
		return -errno;
	pthread_mutex_lock(&art_lock);
	for (i = 0; i < LAB_LAVA_ARTIFACTS_MAX; i++)
		if (!strcmp(arts[i].sha, sha256_hex) && !strcmp(arts[i].path, real))
			goto unlock;	/* already there */
	a = &arts[art_next];
	art_next = (art_next + 1) % LAB_LAVA_ARTIFACTS_MAX;
	strcpy(a->sha, sha256_hex);
	strcpy(a->path, real);
	a->base = strrchr(a->path, '/') + 1;
unlock:
	pthread_mutex_unlock(&art_lock);
	return 0;
}

int lab_lava_artifact_get(struct lab_req *rq, struct lab_resp *rs)
{
	const char *sha = rq->nparams > 0 ? rq->params[0] : NULL;
	const char *file = rq->nparams > 1 ? rq->params[1] : NULL;
	char path[PATH_MAX] = "";
	struct stat sb;
	int fd;

	if (!sha_ok(sha) || !file_ok(file))
		return lab_fail(rs, -EINVAL, "want /artifacts/<sha256 hex>/<file name>");
	pthread_mutex_lock(&art_lock);
	for (size_t i = 0; i < LAB_LAVA_ARTIFACTS_MAX; i++)
		if (arts[i].base && !strcmp(arts[i].sha, sha) && !strcmp(arts[i].base, file)) {
			strcpy(path, arts[i].path);
			break;
		}
	pthread_mutex_unlock(&art_lock);
	if (!path[0])
		return lab_fail(rs, -ENOENT, "no artifact %.64s/%.128s", sha, file);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return lab_fail(rs, -ENOENT, "artifact %.64s is gone", sha);
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return lab_fail(rs, -ENOENT, "artifact %.64s is not a file", sha);
	}
	rs->fd = fd;
	rs->fd_offset = 0;
	rs->fd_len = (uint64_t)sb.st_size;
	rs->content_type = "application/octet-stream";
	return 0;
}
