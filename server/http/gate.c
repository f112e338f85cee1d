/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gate.c - accept, peek at the first request's headers, check them, hand
 * the connection to libmicrohttpd (gate.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "gate.h"
#include "log.h"

struct waiting {
	int fd;
	struct sockaddr_in sa;
	int64_t t0_ms;
	size_t seen;		/* bytes peeked last time: wake only for more */
};

struct lab_gate {
	struct lab_gate_limits lim;
	lab_gate_hand_fn hand;
	void *cls;
	int lfd;
	int stop_pipe[2];
	pthread_t th;
	struct waiting *w;	/* GATE_PENDING_MAX */
	size_t nw;
	char buf[GATE_HEADER_MAX + 1];
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the check of one header block ------------------------------------------ */

/* @s (@n bytes) is 1-18 digits, with optional spaces or tabs around */
static unsigned length_ok(const char *s, size_t n)
{
	size_t i = 0, d = 0;

	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++, d++;
	while (i < n && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (i != n || d == 0)
		return 400;
	return d > 18 ? 413 : 0;
}

/* @s is "chunked" (any case), with optional spaces or tabs around */
static unsigned coding_ok(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return n == 7 && !strncasecmp(s, "chunked", 7) ? 0 : 400;
}

/* the headers the gate counts and checks: at most @max of each */
static const struct header_rule {
	const char *name;
	unsigned max;
	unsigned (*value_ok)(const char *s, size_t n);	/* 0 or a status */
	const char *what;
} header_rules[] = {
	{ "Content-Length", 1, length_ok, "Content-Length must be one header of digits" },
	{ "Transfer-Encoding", 1, coding_ok, "Transfer-Encoding must be one header: chunked" },
};
#define NRULES (sizeof(header_rules) / sizeof(header_rules[0]))

unsigned lab_gate_check(const char *blk, size_t len, const struct lab_gate_limits *lim,
			char *why, size_t n)
{
	unsigned seen[NRULES] = { 0 };
	const char *p = blk, *end = blk + len, *eol, *sp1, *sp2, *q;
	bool first = true;
	size_t i;

	for (; p < end; p = eol + 2) {
		size_t l;

		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol || eol == p || eol[-1] != '\r') {
			snprintf(why, n, "request header lines must end in CRLF");
			return 400;
		}
		eol--;			/* at the CR */
		l = (size_t)(eol - p);
		if (l == 0)
			break;		/* the empty line: the end of the block */
		for (i = 0; i < l; i++) {
			unsigned char c = (unsigned char)p[i];

			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				bool auth = l > 14 && !strncasecmp(p, "Authorization:", 14);

				snprintf(why, n, "%s", auth ? "missing or invalid token" :
					 "a control byte (NUL, CR, ...) in a request header line");
				return auth ? 401 : 400;
			}
		}
		if (first) {	/* METHOD SP target SP HTTP/x.y */
			first = false;
			sp1 = memchr(p, ' ', l);
			sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
			if (!sp1 || !sp2 || sp2 == sp1 + 1) {
				snprintf(why, n, "malformed request line");
				return 400;
			}
			/* a third space: MHD would take the last one as the end
			 * of the target, a target with spaces (RFC 9112 3.2: 400) */
			if (memchr(sp2 + 1, ' ', (size_t)(eol - sp2 - 1))) {
				snprintf(why, n, "malformed request line (a space in the request "
					 "target: percent-encode it)");
				return 400;
			}
			if ((size_t)(sp2 - sp1 - 1) > lim->max_target) {
				snprintf(why, n, "request target of %zu bytes (at most %u)",
					 (size_t)(sp2 - sp1 - 1), lim->max_target);
				return 414;
			}
			q = memchr(sp1 + 1, '?', (size_t)(sp2 - sp1 - 1));
			if (q && q + 1 < sp2) {
				unsigned params = 1;

				for (const char *c = q + 1; c < sp2; c++)
					params += *c == '&';
				if (params > lim->max_params) {
					snprintf(why, n, "%u query parameters (at most %u)", params,
						 lim->max_params);
					return 414;
				}
			}
			continue;
		}
		for (i = 0; i < NRULES; i++) {
			size_t nl = strlen(header_rules[i].name);
			unsigned st;

			if (l <= nl || p[nl] != ':' || strncasecmp(p, header_rules[i].name, nl))
				continue;
			st = ++seen[i] > header_rules[i].max ? 400 :
			     header_rules[i].value_ok(p + nl + 1, l - nl - 1);
			if (st) {
				snprintf(why, n, "%s", header_rules[i].what);
				return st;
			}
		}
	}
	if (seen[0] && seen[1]) {
		snprintf(why, n, "both Content-Length and Transfer-Encoding");
		return 400;
	}
	return 0;
}

/* ---- the thread ------------------------------------------------------------------ */

static const char *reason_of(unsigned st)
{
	switch (st) {
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	default: return "Error";
	}
}

/* answer @st with {"error": why} and close; @fd is not the gate's any more */
static void refuse(struct lab_gate *g, struct waiting *w, unsigned st, const char *why)
{
	char body[320], resp[700];
	int bl, rl;
	ssize_t r;

	bl = snprintf(body, sizeof(body), "{\"error\":\"%s\",\"detail\":null}", why);
	rl = snprintf(resp, sizeof(resp), "HTTP/1.1 %u %s\r\nConnection: close\r\n"
		      "Content-Type: application/json\r\nX-Content-Type-Options: nosniff\r\n"
		      "Cache-Control: no-store\r\n%sContent-Length: %d\r\n\r\n%s", st,
		      reason_of(st), st == 401 ? "WWW-Authenticate: Bearer realm=\"iommulab\"\r\n" :
		      "", bl, body);
	/* consume what came (the peeked bytes), so that closing does not
	 * reset the connection under the answer, then answer */
	for (int k = 0; k < 64 && (r = recv(w->fd, g->buf, sizeof(g->buf), MSG_DONTWAIT)) > 0; k++)
		;
	if (send(w->fd, resp, (size_t)rl, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		lab_debug("http: gate: answer %u not sent: %s", st, strerror(errno));
	shutdown(w->fd, SHUT_WR);
	close(w->fd);
	{
		char ip[INET_ADDRSTRLEN];

		inet_ntop(AF_INET, &w->sa.sin_addr, ip, sizeof(ip));
		lab_info("http: %s: first request refused (%u): %s", ip, st, why);
	}
}

static void drop(struct lab_gate *g, size_t i)
{
	g->w[i] = g->w[--g->nw];
}

static void accept_all(struct lab_gate *g)
{
	for (;;) {
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);
		unsigned same = 0;
		int fd = accept4(g->lfd, (struct sockaddr *)&sa, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			return;		/* EAGAIN, or an error the next poll shows again */
		for (size_t i = 0; i < g->nw; i++)
			same += g->w[i].sa.sin_addr.s_addr == sa.sin_addr.s_addr;
		if (g->nw == GATE_PENDING_MAX || same >= g->lim.per_ip) {
			close(fd);	/* too many waiting: refused at once */
			continue;
		}
		g->w[g->nw++] = (struct waiting){ .fd = fd, .sa = sa, .t0_ms = now_ms() };
	}
}

/* peek at @i's bytes (@ev: its poll events); true when it left the waiting list */
static bool look(struct lab_gate *g, size_t i, short ev)
{
	struct waiting *w = &g->w[i];
	char why[200];
	ssize_t n = recv(w->fd, g->buf, GATE_HEADER_MAX, MSG_PEEK);
	const char *e;
	int lowat;
	unsigned st;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n <= 0) {			/* closed before its request */
		close(w->fd);
		drop(g, i);
		return true;
	}
	g->buf[n] = '\0';
	e = memmem(g->buf, (size_t)n, "\r\n\r\n", 4);
	if (!e && (size_t)n >= GATE_HEADER_MAX) {
		snprintf(why, sizeof(why), "request headers larger than %u bytes", GATE_HEADER_MAX);
		refuse(g, w, 431, why);
		drop(g, i);
		return true;
	}
	if (!e && (ev & (POLLRDHUP | POLLHUP | POLLERR))) {
		close(w->fd);		/* gone before its headers were complete */
		drop(g, i);
		return true;
	}
	if (!e) {
		/* wake again only when more than this has come */
		w->seen = (size_t)n;
		lowat = (int)n + 1;
		setsockopt(w->fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
		return false;
	}
	st = lab_gate_check(g->buf, (size_t)(e - g->buf) + 4, &g->lim, why, sizeof(why));
	if (st) {
		refuse(g, w, st, why);
		drop(g, i);
		return true;
	}
	lowat = 1;
	setsockopt(w->fd, SOL_SOCKET, SO_RCVLOWAT, &lowat, sizeof(lowat));
	g->hand(g->cls, w->fd, (struct sockaddr *)&w->sa, sizeof(w->sa));
	drop(g, i);
	return true;
}

static void *gate_main(void *arg)
{
	struct lab_gate *g = arg;
	struct pollfd *pf = calloc(GATE_PENDING_MAX + 2, sizeof(*pf));

	if (!pf) {
		lab_error("http: gate: out of memory");
		return NULL;
	}
	for (;;) {
		size_t n = 0, i;
		int64_t now;

		pf[n++] = (struct pollfd){ .fd = g->stop_pipe[0], .events = POLLIN };
		pf[n++] = (struct pollfd){ .fd = g->lfd, .events = POLLIN };
		for (i = 0; i < g->nw; i++)
			pf[n++] = (struct pollfd){ .fd = g->w[i].fd, .events = POLLIN | POLLRDHUP };
		if (poll(pf, n, 250) < 0 && errno != EINTR)
			break;
		if (pf[0].revents)
			break;
		/* the waiting ones first (the indexes of pf match g->w before
		 * anything is dropped: walk down) */
		for (i = g->nw; i-- > 0; )
			if (pf[2 + i].revents)
				look(g, i, pf[2 + i].revents);
		now = now_ms();
		for (i = g->nw; i-- > 0; ) {
			if (now - g->w[i].t0_ms < (int64_t)g->lim.header_s * 1000)
				continue;
			lab_info("http: connection dropped: its first request's headers took "
				 "longer than %u s", g->lim.header_s);
			close(g->w[i].fd);
			drop(g, i);
		}
		if (pf[1].revents)
			accept_all(g);
	}
	free(pf);
	return NULL;
}

int lab_gate_start(const char *addr, unsigned port, const struct lab_gate_limits *lim,
		   lab_gate_hand_fn hand, void *cls, struct lab_gate **out, unsigned *bound)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	socklen_t sl = sizeof(sa);
	struct lab_gate *g;
	int one = 1, r;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	g->w = calloc(GATE_PENDING_MAX, sizeof(*g->w));
	if (!g->w) {
		free(g);
		return -ENOMEM;
	}
	g->lim = *lim;
	g->hand = hand;
	g->cls = cls;
	g->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (g->lfd < 0) {
		r = -errno;
		goto free_g;
	}
	/* SO_REUSEADDR (a TIME_WAIT port is free), never SO_REUSEPORT */
	setsockopt(g->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(g->lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(g->lfd, SOMAXCONN) ||
	    getsockname(g->lfd, (struct sockaddr *)&sa, &sl)) {
		r = -errno;
		goto close_lfd;
	}
	if (pipe2(g->stop_pipe, O_CLOEXEC)) {
		r = -errno;
		goto close_lfd;
	}
	r = -pthread_create(&g->th, NULL, gate_main, g);
	if (r)
		goto close_pipe;
	*bound = ntohs(sa.sin_port);
	*out = g;
	return 0;
close_pipe:
	close(g->stop_pipe[0]);
	close(g->stop_pipe[1]);
close_lfd:
	close(g->lfd);
free_g:
	free(g->w);
	free(g);
	return r;
}

void lab_gate_stop(struct lab_gate *g)
{
	if (!g)
		return;
	if (write(g->stop_pipe[1], "x", 1) != 1)
		lab_warn("http: gate: cannot wake its thread");
	pthread_join(g->th, NULL);
	for (size_t i = 0; i < g->nw; i++)
		close(g->w[i].fd);
	close(g->lfd);
	close(g->stop_pipe[0]);
	close(g->stop_pipe[1]);
	free(g->w);
	free(g);
}
