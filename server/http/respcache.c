/* SPDX-License-Identifier: GPL-2.0 */
/*
 * respcache.c - bounded LRU cache of response bodies (respcache.h).
 *
 * A doubly linked list in recency order (head = most recent) and a linear
 * key search: the cache holds few entries (one per kernel matrix or diff
 * pair asked for recently), so a hash table would not pay for itself.
 * Every field below is guarded by `lock`.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "respcache.h"

#define MAX_ENTRIES 1024

struct entry {
	struct entry *prev, *next;
	char *key;
	size_t keylen;
	uint64_t gen;
	char *body;
	size_t len;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *head, *tail;
static size_t nentries, nbytes;
static uint64_t nhits, nmisses;

static size_t cost(const struct entry *e)
{
	return e->len + e->keylen + sizeof(*e);
}

static void unlink_entry(struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		tail = e->prev;
	e->prev = e->next = NULL;
}

static void push_front(struct entry *e)
{
	e->prev = NULL;
	e->next = head;
	if (head)
		head->prev = e;
	head = e;
	if (!tail)
		tail = e;
}

static void drop(struct entry *e)
{
	unlink_entry(e);
	nentries--;
	nbytes -= cost(e);
	free(e->key);
	free(e->body);
	free(e);
}

static struct entry *find(const char *key, size_t keylen)
{
	for (struct entry *e = head; e; e = e->next)
		if (e->keylen == keylen && memcmp(e->key, key, keylen) == 0)
			return e;
	return NULL;
}

int lab_respcache_get(const char *key, size_t keylen, uint64_t gen,
		      char **body, size_t *len)
{
	struct entry *e;
	int r = -ENOENT;

	pthread_mutex_lock(&lock);
	e = find(key, keylen);
	if (e && e->gen != gen) {
		drop(e);
		e = NULL;
	}
	if (e) {
		char *copy = malloc(e->len + 1);

		if (copy) {
			memcpy(copy, e->body, e->len + 1);
			*body = copy;
			*len = e->len;
			unlink_entry(e);
			push_front(e);
			nhits++;
			r = 0;
		} else {
			r = -ENOMEM;
		}
	} else {
		nmisses++;
	}
	pthread_mutex_unlock(&lock);
	return r;
}

int lab_respcache_put(const char *key, size_t keylen, uint64_t gen,
		      const char *body, size_t len)
{
	struct entry *e, *old = NULL;

	if (len + keylen + sizeof(*e) > LAB_RESPCACHE_BYTES / 4)
		return -E2BIG;
	e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->key = malloc(keylen ? keylen : 1);
	e->body = malloc(len + 1);
	if (!e->key || !e->body)
		goto free_entry;
	memcpy(e->key, key, keylen);
	memcpy(e->body, body, len);
	e->body[len] = 0;
	e->keylen = keylen;
	e->len = len;
	e->gen = gen;
	pthread_mutex_lock(&lock);
	old = find(key, keylen);
	if (old) {
		/* keep the newer generation (a slower builder may finish last) */
		if (old->gen > gen) {
			pthread_mutex_unlock(&lock);
			goto free_entry;
		}
		drop(old);
	}
	while (tail && (nbytes + cost(e) > LAB_RESPCACHE_BYTES || nentries >= MAX_ENTRIES))
		drop(tail);
	push_front(e);
	nentries++;
	nbytes += cost(e);
	pthread_mutex_unlock(&lock);
	return 0;
free_entry:
	free(e->key);
	free(e->body);
	free(e);
	return old ? 0 : -ENOMEM;
}

void lab_respcache_clear(void)
{
	pthread_mutex_lock(&lock);
	while (head)
		drop(head);
	pthread_mutex_unlock(&lock);
}

void lab_respcache_stats(size_t *entries, size_t *bytes, uint64_t *hits,
			 uint64_t *misses)
{
	pthread_mutex_lock(&lock);
	if (entries)
		*entries = nentries;
	if (bytes)
		*bytes = nbytes;
	if (hits)
		*hits = nhits;
	if (misses)
		*misses = nmisses;
	pthread_mutex_unlock(&lock);
}
