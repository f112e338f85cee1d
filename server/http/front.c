/* SPDX-License-Identifier: GPL-2.0 */
/*
 * front.c - deadlines, request-target limits, framing and header checks in
 * front of libmicrohttpd 0.9.75 (front.h).
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/socket.h>

#include "front.h"
#include "log.h"

enum phase { PH_HEADERS, PH_BODY, PH_HANDLER };

/* one connection (MHD's socket context); in the list from STARTED to CLOSED */
struct conn {
	struct conn *prev, *next;
	int fd;
	enum phase phase;
	int64_t deadline_ms;		/* CLOCK_MONOTONIC; 0 = none */
	bool dropped;
	unsigned refuse;		/* the URI callback's verdict for this request */
	char why[120];
};

struct lab_front {
	struct lab_front_limits lim;
	pthread_mutex_t lock;		/* the list, every conn's fields */
	pthread_cond_t wake;
	struct conn *head;
	bool stop;
	unsigned long dropped;
	pthread_t watchdog;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci ? ci->socket_context : NULL;
}

/* ---- the watchdog ---------------------------------------------------------- */

static void *watchdog_main(void *arg)
{
	struct lab_front *f = arg;

	pthread_mutex_lock(&f->lock);
	while (!f->stop) {
		struct timespec ts;
		int64_t now = now_ms();

		for (struct conn *e = f->head; e; e = e->next) {
			if (!e->deadline_ms || e->dropped || now < e->deadline_ms)
				continue;
			/* the fd is still this connection's: CLOSED takes the lock */
			shutdown(e->fd, SHUT_RDWR);
			e->dropped = true;
			f->dropped++;
			lab_info("http: connection dropped: its %s took longer than %u s",
				 e->phase == PH_BODY ? "body" : "headers",
				 e->phase == PH_BODY ? f->lim.body_s : f->lim.header_s);
		}
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&f->wake, &f->lock, &ts);
	}
	pthread_mutex_unlock(&f->lock);
	return NULL;
}

int lab_front_start(const struct lab_front_limits *lim, struct lab_front **out)
{
	struct lab_front *f = calloc(1, sizeof(*f));
	int r;

	if (!f)
		return -ENOMEM;
	f->lim = *lim;
	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->wake, NULL);
	r = pthread_create(&f->watchdog, NULL, watchdog_main, f);
	if (r) {
		pthread_cond_destroy(&f->wake);
		pthread_mutex_destroy(&f->lock);
		free(f);
		return -r;
	}
	*out = f;
	return 0;
}

void lab_front_stop(struct lab_front *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_cond_signal(&f->wake);
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->watchdog, NULL);
	while (f->head) {	/* none left after MHD_stop_daemon(); be safe */
		struct conn *e = f->head;

		f->head = e->next;
		free(e);
	}
	pthread_cond_destroy(&f->wake);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

unsigned long lab_front_dropped(struct lab_front *f)
{
	unsigned long n;

	pthread_mutex_lock(&f->lock);
	n = f->dropped;
	pthread_mutex_unlock(&f->lock);
	return n;
}

/* ---- MHD callbacks ------------------------------------------------------------ */

void lab_front_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			     enum MHD_ConnectionNotificationCode code)
{
	struct lab_front *f = cls;
	struct conn *e;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		*socket_context = NULL;
		e = calloc(1, sizeof(*e));
		if (!e || !ci) {	/* no deadline then; MHD's idle timeout still holds */
			free(e);
			return;
		}
		e->fd = ci->connect_fd;
		e->phase = PH_HEADERS;
		e->deadline_ms = now_ms() + (int64_t)f->lim.header_s * 1000;
		pthread_mutex_lock(&f->lock);
		e->next = f->head;
		if (f->head)
			f->head->prev = e;
		f->head = e;
		pthread_mutex_unlock(&f->lock);
		*socket_context = e;
		return;
	}
	e = *socket_context;
	if (!e)
		return;
	pthread_mutex_lock(&f->lock);
	if (e->prev)
		e->prev->next = e->next;
	else
		f->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	pthread_mutex_unlock(&f->lock);
	free(e);
	*socket_context = NULL;
}

void *lab_front_on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	struct lab_front *f = cls;
	struct conn *e = conn_of(c);
	const char *q = strchr(uri, '?');
	size_t len = strlen(uri);
	unsigned params = 0, refuse = 0;
	char why[120] = "";

	if (q && q[1]) {
		params = 1;
		for (const char *p = q + 1; *p; p++)
			params += *p == '&';
	}
	if (strpbrk(uri, " \t")) {
		/* MHD 0.9.75 takes the last space of the request line as the
		 * target's end; a target with spaces is malformed (RFC 9112 3.2) */
		refuse = 400;
		snprintf(why, sizeof(why), "a space in the request target (percent-encode it)");
	} else if (len > f->lim.max_target) {
		refuse = 414;
		snprintf(why, sizeof(why), "request target of %zu bytes (at most %u)", len,
			 f->lim.max_target);
	} else if (params > f->lim.max_params) {
		refuse = 414;
		snprintf(why, sizeof(why), "%u query parameters (at most %u)", params,
			 f->lim.max_params);
	}
	/*
	 * MHD splits the arguments after this call, in its own buffer, which
	 * @uri points into: an empty argument string costs it nothing.
	 */
	if (refuse && q)
		((char *)q)[1] = '\0';
	if (e) {
		pthread_mutex_lock(&f->lock);
		e->refuse = refuse;
		snprintf(e->why, sizeof(e->why), "%s", why);
		pthread_mutex_unlock(&f->lock);
	}
	return NULL;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t lab_front_unescape(void *cls, struct MHD_Connection *c, char *s)
{
	char *o = s, *p = s;

	(void)cls;
	(void)c;
	while (*p) {
		int hi, lo;

		if (p[0] == '%' && (hi = hexval(p[1])) >= 0 && (lo = hexval(p[2])) >= 0 &&
		    (hi || lo)) {
			*o++ = (char)(hi << 4 | lo);
			p += 3;
		} else {
			*o++ = *p++;	/* "%00", a stray '%' and everything else as is */
		}
	}
	*o = '\0';
	return (size_t)(o - s);
}

/* ---- per request -------------------------------------------------------------- */

/* does @value end where its line in [@blk, @end) does? */
static bool whole(const char *blk, const char *end, const char *value)
{
	size_t n = strlen(value);

	if (!blk || value < blk || value + n + 1 >= end)
		return true;	/* not in MHD's buffer: nothing to compare with */
	return value[n + 1] == '\0';
}

struct scan {
	const char *blk, *end;	/* the raw header block in MHD's buffer */
	unsigned n_cl, n_te;
	const char *te;
	const char *bad;	/* a header whose value holds a NUL or a bare LF */
};

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
				   size_t key_size, const char *value, size_t value_size)
{
	struct scan *s = cls;

	(void)kind;
	(void)key_size;
	if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH))
		s->n_cl++;
	if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		s->n_te++;
		s->te = value;
	}
	/* the token's line is the caller's to judge (401, not 400) */
	if (!strcasecmp(key, MHD_HTTP_HEADER_AUTHORIZATION))
		return MHD_YES;
	/*
	 * MHD parsed the line "key: value\r\n" in place: the CR and the LF
	 * became NULs, and @value_size is strlen(value). A value that ends
	 * before its line does (a NUL inside it) or a line ending in a bare
	 * LF leaves something else than that second NUL after the first one.
	 * Values outside the block (none in 0.9.75) are not inspected.
	 */
	(void)value_size;
	if (!s->bad && value && !whole(s->blk, s->end, value))
		s->bad = key;
	return MHD_YES;
}

bool lab_front_header_whole(struct MHD_Connection *c, const char *method, const char *value)
{
	const union MHD_ConnectionInfo *hs =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);

	if (!hs || !method || !value)
		return true;
	return whole(method, method + hs->header_size, value);
}

unsigned lab_front_request_begin(struct lab_front *f, struct MHD_Connection *c,
				 const char *method, char *why, size_t n)
{
	const union MHD_ConnectionInfo *hs =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
	struct conn *e = conn_of(c);
	struct scan s = { 0 };
	const char *cl;
	unsigned status = 0;
	bool body;

	if (e) {
		pthread_mutex_lock(&f->lock);
		status = e->refuse;
		snprintf(why, n, "%s", e->why);
		pthread_mutex_unlock(&f->lock);
		if (status)
			return status;
	}
	if (hs && method) {
		s.blk = method;
		s.end = method + hs->header_size;
	}
	MHD_get_connection_values_n(c, MHD_HEADER_KIND, scan_header, &s);
	if (s.n_cl > 1) {
		snprintf(why, n, "more than one Content-Length header");
		return 400;
	}
	if (s.n_te > 1 || (s.n_te && s.n_cl)) {
		snprintf(why, n, "%s", s.n_cl ? "both Content-Length and Transfer-Encoding" :
			 "more than one Transfer-Encoding header");
		return 400;
	}
	if (s.n_te && strcasecmp(s.te, "chunked")) {
		snprintf(why, n, "Transfer-Encoding '%.32s': only chunked is understood", s.te);
		return 400;
	}
	if (s.bad) {
		snprintf(why, n, "header %.64s: a NUL byte or a bare LF in its line", s.bad);
		return 400;
	}
	cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	body = s.n_te || (cl && strcmp(cl, "0"));
	if (e) {
		pthread_mutex_lock(&f->lock);
		e->phase = body ? PH_BODY : PH_HANDLER;
		e->deadline_ms = body ? now_ms() + (int64_t)f->lim.body_s * 1000 : 0;
		pthread_mutex_unlock(&f->lock);
	}
	return 0;
}

void lab_front_body_done(struct lab_front *f, struct MHD_Connection *c)
{
	struct conn *e = conn_of(c);

	if (!e)
		return;
	pthread_mutex_lock(&f->lock);
	e->phase = PH_HANDLER;
	e->deadline_ms = 0;
	pthread_mutex_unlock(&f->lock);
}

void lab_front_request_done(struct lab_front *f, struct MHD_Connection *c)
{
	struct conn *e = conn_of(c);

	if (!e)
		return;
	pthread_mutex_lock(&f->lock);
	e->phase = PH_HEADERS;
	e->refuse = 0;
	e->why[0] = '\0';
	/* the next request on this connection: MHD's idle timeout until it
	 * starts (unseen here), then its headers */
	e->deadline_ms = now_ms() + (int64_t)(f->lim.idle_s + f->lim.header_s) * 1000;
	pthread_mutex_unlock(&f->lock);
}
