/*
 * kmsg.c - reading /dev/kmsg and the taint flags (see kmsg.h).
 *
 * A /dev/kmsg record is "LEVEL,SEQ,TS_US,FLAGS[,...];TEXT\n" optionally
 * followed by dictionary lines that start with a space; one read(2)
 * returns exactly one record (Documentation/ABI/testing/dev-kmsg).
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kmsg.h"

int lab_kmsg_open(struct lab_kmsg *k, const char *root)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/dev/kmsg", root ? root : "");
	k->fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (k->fd < 0)
		return -errno;
	return 0;
}

void lab_kmsg_close(struct lab_kmsg *k)
{
	if (k->fd >= 0)
		close(k->fd);
	k->fd = -1;
}

int lab_kmsg_mark(struct lab_kmsg *k)
{
	if (k->fd < 0)
		return -EBADF;
	if (lseek(k->fd, 0, SEEK_END) < 0)
		return -errno;
	return 0;
}

int lab_klines_add(struct lab_klines *l, int level, const char *text, size_t len)
{
	if (l->n >= LAB_KMSG_LINES || l->used + len + 1 > sizeof(l->buf)) {
		l->dropped++;
		return -ENOSPC;
	}
	l->off[l->n] = (int)l->used;
	l->level[l->n] = level;
	memcpy(l->buf + l->used, text, len);
	l->buf[l->used + len] = '\0';
	l->used += len + 1;
	l->n++;
	return 0;
}

static void klines_reset(struct lab_klines *l)
{
	l->used = 0;
	l->n = 0;
	l->lost = 0;
	l->dropped = 0;
}

/* one record "LEVEL,SEQ,...;TEXT\n[ dict...]" into @l; malformed ones are skipped */
static void add_record(struct lab_klines *l, char *rec, size_t len)
{
	char *semi, *end;
	long prio;

	rec[len] = '\0';
	semi = memchr(rec, ';', len);
	if (!semi)
		return;
	prio = strtol(rec, &end, 10);
	if (end == rec || *end != ',')
		return;
	end = strchr(semi + 1, '\n');	/* dictionary lines follow the first newline */
	lab_klines_add(l, (int)(prio & 7), semi + 1,
		       end ? (size_t)(end - semi - 1) : strlen(semi + 1));
}

int lab_kmsg_collect(struct lab_kmsg *k, struct lab_klines *out)
{
	char rec[8192];
	ssize_t n;

	klines_reset(out);
	if (k->fd < 0)
		return -EBADF;
	for (;;) {
		n = read(k->fd, rec, sizeof(rec) - 1);
		if (n > 0) {
			add_record(out, rec, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EPIPE) {	/* overwritten; the next read resumes */
			out->lost++;
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			return 0;
		return n < 0 ? -errno : 0;
	}
}

int lab_klines_from_text(struct lab_klines *out, const char *text)
{
	const char *p = text, *nl, *s, *e;
	size_t len;
	int level;

	klines_reset(out);
	while (*p) {
		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		s = p;
		level = 6;
		if (len >= 3 && s[0] == '<' && isdigit((unsigned char)s[1]) && s[2] == '>') {
			level = s[1] - '0';
			s += 3;
		}
		if (s < p + len && *s == '[') {		/* "[   12.345678] " */
			const char *close = memchr(s, ']', (size_t)(p + len - s));

			if (close) {
				s = close + 1;
				if (s < p + len && *s == ' ')
					s++;
			}
		}
		e = p + len;
		if (e > s && e[-1] == '\r')
			e--;
		lab_klines_add(out, level & 7, s, e > s ? (size_t)(e - s) : 0);
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

int lab_taint_read(const char *root, unsigned long *taint)
{
	char path[256], buf[32] = "", *end;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/proc/sys/kernel/tainted", root ? root : "");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	errno = 0;
	*taint = strtoul(buf, &end, 10);
	if (errno || end == buf)
		return -EINVAL;
	return 0;
}
