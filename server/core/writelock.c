/* SPDX-License-Identifier: GPL-2.0 */
/*
 * writelock.c - one in-process writer queue per database file (writelock.h).
 *
 * A short list of {realpath, mutex, refs} under one registry mutex; a lab
 * process opens one or two database files, so a list is enough.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "writelock.h"

struct lab_writelock {
	struct lab_writelock *next;
	char *path;
	int refs;
	pthread_mutex_t lock;
};

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct lab_writelock *registry;

int lab_writelock_get(const char *db_path, struct lab_writelock **out)
{
	char *canon = realpath(db_path, NULL);
	struct lab_writelock *wl;
	int r = 0;

	if (!canon)
		canon = strdup(db_path);	/* not on disk (yet): its name */
	if (!canon)
		return -ENOMEM;
	pthread_mutex_lock(&registry_lock);
	for (wl = registry; wl; wl = wl->next)
		if (strcmp(wl->path, canon) == 0)
			break;
	if (wl) {
		wl->refs++;
		free(canon);
		goto unlock;
	}
	wl = calloc(1, sizeof(*wl));
	if (!wl) {
		free(canon);
		r = -ENOMEM;
		goto unlock;
	}
	wl->path = canon;
	wl->refs = 1;
	pthread_mutex_init(&wl->lock, NULL);
	wl->next = registry;
	registry = wl;
unlock:
	pthread_mutex_unlock(&registry_lock);
	*out = r ? NULL : wl;
	return r;
}

void lab_writelock_put(struct lab_writelock *wl)
{
	struct lab_writelock **pp;

	if (!wl)
		return;
	pthread_mutex_lock(&registry_lock);
	if (--wl->refs > 0) {
		pthread_mutex_unlock(&registry_lock);
		return;
	}
	for (pp = &registry; *pp; pp = &(*pp)->next)
		if (*pp == wl) {
			*pp = wl->next;
			break;
		}
	pthread_mutex_unlock(&registry_lock);
	pthread_mutex_destroy(&wl->lock);
	free(wl->path);
	free(wl);
}

int lab_writelock_acquire(struct lab_writelock *wl, int timeout_ms)
{
	struct timespec until;

	if (pthread_mutex_trylock(&wl->lock) == 0)
		return 0;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	return pthread_mutex_timedlock(&wl->lock, &until) == 0 ? 0 : -EBUSY;
}

void lab_writelock_release(struct lab_writelock *wl)
{
	pthread_mutex_unlock(&wl->lock);
}
