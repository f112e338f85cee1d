/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gate.h - the listening socket of iommulabd and the check of each new
 * connection's first request, before libmicrohttpd sees the connection.
 *
 * Why: libmicrohttpd 0.9.75 answers some malformed requests itself and
 * does it badly: a Content-Length that is not a number gets its 400 (or
 * 413) status line written twice, a few thousand query arguments get no
 * answer at all, a NUL in a header line is cut away silently. The gate
 * accepts each connection itself, peeks (MSG_PEEK: nothing is consumed) at
 * its bytes until the first request's header block is complete, checks
 * that block and only then hands the connection to MHD
 * (MHD_add_connection(), which reads the same bytes again). A request that
 * fails a check gets one clean JSON answer from the gate and the
 * connection is closed. Requests that follow on a kept-alive connection
 * are MHD's to parse; front.h's checks still apply to them.
 *
 * Checks (each a row of a table in gate.c): the header block within the
 * header deadline (from accept; the connection is closed after it), within
 * GATE_HEADER_MAX bytes (431), CRLF line ends and no control byte but HT
 * in it (400; in an Authorization line 401), a request line of three
 * fields (a space in the target: 400), a request target of at most
 * max_target bytes and max_params query parameters (414), at most one
 * Content-Length, of digits only (400; more than 18 digits 413), at most
 * one Transfer-Encoding, chunked and not with a Content-Length (400).
 * Connections waiting for their headers: at most per_ip per client
 * address and GATE_PENDING_MAX in all; more are closed at once.
 *
 * Threading: one thread of its own (poll(2) over the listening socket and
 * the waiting connections). Ownership: lab_gate_start() opens the socket,
 * lab_gate_stop() closes it and every waiting connection. Errors: 0 or
 * -errno.
 */
#ifndef LAB_GATE_H
#define LAB_GATE_H

#include <sys/socket.h>

#define GATE_HEADER_MAX (16u << 10)	/* bytes of a first request's header block */
#define GATE_PENDING_MAX 1024		/* connections waiting for their headers */

struct lab_gate_limits {
	unsigned header_s;	/* the header block, total, from accept */
	unsigned per_ip;	/* waiting connections per client address */
	unsigned max_params;	/* query parameters */
	unsigned max_target;	/* bytes of the request target */
};

/* hands a checked connection on (MHD_add_connection); owns @fd from then */
typedef int (*lab_gate_hand_fn)(void *cls, int fd, const struct sockaddr *sa, socklen_t len);

struct lab_gate;

/*
 * Listen on @addr:@port (IPv4; port 0 = any, *@bound says which); no
 * SO_REUSEPORT: -EADDRINUSE when another socket listens there.
 */
int lab_gate_start(const char *addr, unsigned port, const struct lab_gate_limits *lim,
		   lab_gate_hand_fn hand, void *cls, struct lab_gate **out, unsigned *bound);
/* stop accepting, close the waiting connections; NULL is a no-op */
void lab_gate_stop(struct lab_gate *g);

/*
 * The check of one header block (exposed for the unit test): 0 to let it
 * through, else the status to answer with and the reason in @why.
 */
unsigned lab_gate_check(const char *blk, size_t len, const struct lab_gate_limits *lim,
			char *why, size_t n);

#endif /* LAB_GATE_H */
