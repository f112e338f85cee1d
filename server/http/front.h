/* SPDX-License-Identifier: GPL-2.0 */
/*
 * front.h - the strict HTTP front of iommulabd: what libmicrohttpd 0.9.75
 * (Debian 12) does not do itself, as callbacks and checks the HTTP layer
 * (http.c) wires into MHD.
 *
 * What MHD 0.9.75 gives and what it does not (checked in its source):
 *  - MHD_OPTION_CONNECTION_TIMEOUT is an idle timeout, reset by every byte:
 *    a client sending one byte a second holds its connection for ever.
 *    Here: a total deadline for a request's headers (from the connection's
 *    accept, or from the end of its previous request plus the idle timeout)
 *    and one for its body (from its headers), enforced by a watchdog thread
 *    that shuts the socket down (MHD then closes it as a client close).
 *  - MHD_OPTION_PER_IP_CONNECTION_LIMIT works as documented (http.c sets it).
 *  - MHD_OPTION_STRICT_FOR_CLIENT only refuses a missing Host and spaces in
 *    the URL; MHD_OPTION_CLIENT_DISCIPLINE_LVL does not exist before 0.9.77.
 *  - Duplicate Content-Length headers: the first one wins (fixed upstream in
 *    1.0.4); Content-Length with Transfer-Encoding: Transfer-Encoding wins;
 *    Transfer-Encoding other than chunked: the body is read until the
 *    connection closes.
 *    Here: lab_front_request_begin() refuses each with one 400, before the
 *    body is read.
 *  - Header values are cut at a NUL byte ("Bearer <token>\0junk" reads as
 *    "Bearer <token>"). Here: every header value must end where its line
 *    ends (the raw header block is still in MHD's buffer at the first
 *    access-handler call: [method, method + REQUEST_HEADER_SIZE)).
 *  - Every query argument takes a slot in the connection's 32 KiB memory
 *    pool: a few thousand of them exhaust it and MHD closes the connection
 *    without a reply. Here: the URI log callback (called before MHD splits
 *    the arguments) counts them and measures the request target; over the
 *    limits it empties the argument string and the request is answered 414.
 *  - A request line with more than two spaces: MHD takes the last one as
 *    the target's end, so the target holds spaces. Here: answered 400.
 *  - The default unescaper turns "%00" into a NUL, so "/jobs/1%00" is
 *    "/jobs/1". Here: "%00" stays "%00" (and fails every name or id rule).
 *  - A malformed Content-Length is answered by MHD itself, with its status
 *    line written twice (a 0.9.75 bug: transmit_error_response() and then
 *    the normal reply path); the application never sees that request.
 *    gate.h checks each connection's first request before MHD reads it;
 *    these checks here cover the requests after it (kept-alive).
 *
 * Threading: the callbacks run on MHD's threads; the watchdog is one thread
 * of its own. Per-connection state is one struct (the MHD socket context),
 * in a list guarded by one mutex; an entry leaves the list in the
 * connection's MHD_CONNECTION_NOTIFY_CLOSED, which MHD calls before it
 * closes the socket, so the watchdog never shuts down a reused descriptor.
 *
 * Ownership: lab_front_start() allocates, lab_front_stop() frees (after
 * MHD_stop_daemon(): no callback may run any more). Errors: 0 or -errno.
 */
#ifndef LAB_FRONT_H
#define LAB_FRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <microhttpd.h>

struct lab_front_limits {
	unsigned header_s;	/* a request's headers, total, seconds */
	unsigned body_s;	/* a request's body, total, seconds */
	unsigned idle_s;	/* MHD's idle timeout (between kept-alive requests) */
	unsigned max_params;	/* query parameters of one request */
	unsigned max_target;	/* bytes of the request target (path and query) */
};

#define LAB_FRONT_HEADER_S 10
#define LAB_FRONT_BODY_S 120
#define LAB_FRONT_MAX_PARAMS 32
#define LAB_FRONT_MAX_TARGET 4096

struct lab_front;

int lab_front_start(const struct lab_front_limits *lim, struct lab_front **out);
void lab_front_stop(struct lab_front *f);	/* NULL is a no-op */

/* MHD_OPTION_NOTIFY_CONNECTION, cls = the front */
void lab_front_on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
			     enum MHD_ConnectionNotificationCode code);
/* MHD_OPTION_URI_LOG_CALLBACK, cls = the front; always returns NULL */
void *lab_front_on_uri(void *cls, const char *uri, struct MHD_Connection *c);
/* MHD_OPTION_UNESCAPE_CALLBACK: %HH decoded, but "%00" kept as is */
size_t lab_front_unescape(void *cls, struct MHD_Connection *c, char *s);

/*
 * The first access-handler call of a request (headers only): 0 when the
 * request may go on (its body deadline starts now when it has a body), or
 * the HTTP status to refuse it with (400, 414) and the reason in @why.
 * @method is the access handler's method argument (MHD's buffer).
 */
unsigned lab_front_request_begin(struct lab_front *f, struct MHD_Connection *c,
				 const char *method, char *why, size_t n);
/*
 * Does the header @value (from MHD, of the request whose access-handler
 * @method is given) end where its line ends? false for "Bearer x\0junk".
 */
bool lab_front_header_whole(struct MHD_Connection *c, const char *method, const char *value);

/* the body is read (or refused): no deadline while the handler runs */
void lab_front_body_done(struct lab_front *f, struct MHD_Connection *c);
/* the request ended (MHD_OPTION_NOTIFY_COMPLETED): the next one's deadline */
void lab_front_request_done(struct lab_front *f, struct MHD_Connection *c);

/* connections the watchdog dropped, for the log and the tests */
unsigned long lab_front_dropped(struct lab_front *f);

#endif /* LAB_FRONT_H */
