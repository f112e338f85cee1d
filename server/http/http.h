/* SPDX-License-Identifier: GPL-2.0 */
/*
 * http.h - the HTTP layer of iommulabd (libmicrohttpd).
 *
 * Purpose: accept connections on 127.0.0.1, check each request's headers
 * (front.h: deadlines, framing, request-target limits), route it and
 * check its bearer token (or the route's own auth) from the headers alone,
 * then collect its body (up to cfg->body_max; above -> 413 without reading
 * further): a request refused for its route, token or framing costs no more
 * than its headers. /api/... requests go through the const route table
 * main.c passes (server/routes.c: lab_api_routes, ending in a sentinel
 * whose handler answers 404); the HTTP layer lends the handler a store
 * connection from a small pool and turns what the handler left in struct
 * lab_resp into an HTTP response.
 * Everything else (GET/HEAD) is a static file under cfg->web_dir.
 *
 * One handler signature: int fn(struct lab_req *, struct lab_resp *).
 * A handler returns 0 after filling @rs (status defaults to 200) or -errno;
 * then lab_http_status() (the ONE errno -> HTTP status map) picks the
 * status and the body is {"error": rs->err or strerror, "detail": rs->detail}.
 *
 * Invariants: per-request state (struct conn_state in http.c) is allocated
 * on the first callback and freed in MHD's completion callback, never
 * elsewhere. Static paths are normalised, refused when they hold "..", a
 * NUL or a backslash, and resolved with realpath() that must stay inside
 * web_dir (symlinks pointing out are refused). Handlers never receive a
 * filesystem path from the request.
 *
 * Ownership: @rs owns json, text and fd (closed/freed by the HTTP layer).
 * Errors: 0 or -errno.
 */
#ifndef LAB_HTTP_H
#define LAB_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

struct lab_config;
struct lab_sched;
struct lab_store;
struct MHD_Connection;

#define LAB_ROUTE_PARAMS 4

struct lab_req {
	const char *method;
	const char *url;
	const char *params[LAB_ROUTE_PARAMS];	/* "{}" segments of the pattern */
	int nparams;
	const char *body;			/* NUL-terminated, may be NULL */
	size_t body_len;
	struct MHD_Connection *conn;
	struct lab_store *st;
	const struct lab_config *cfg;
	struct lab_sched *sched;		/* NULL with --no-scheduler */
	const char *token_name;			/* authenticated caller, or NULL */
};

struct lab_resp {
	int status;		/* 0 = 200 */
	json_t *json;		/* body as JSON */
	char *text;		/* or a text body (malloc'd) */
	size_t text_len;
	const char *content_type;	/* for text/fd; static string */
	int fd;			/* or a file (opened by the handler), -1 none */
	uint64_t fd_offset, fd_len;
	char location[256];	/* Location header for 201, "" none */
	char err[512];		/* error message for a -errno return */
	json_t *detail;		/* optional error detail */
};

typedef int (*lab_handler_fn)(struct lab_req *rq, struct lab_resp *rs);

struct lab_route {
	const char *method;	/* NULL in the sentinel */
	const char *pattern;	/* "/api/v1/jobs/{}/cancel"; "{}" = one segment */
	lab_handler_fn fn;
	const char *scope;	/* NULL = public, else "admin" or "ingest" */
	/*
	 * A route that authenticates its caller itself (LAVA's callback, with
	 * its own secret): called with the headers only (rq->body NULL) before
	 * any body byte is read; 0 lets the request on, -errno answers it.
	 */
	lab_handler_fn auth;
};

/* the API's table (server/routes.c); the last entry has method == NULL
 * and answers 404 */
extern const struct lab_route lab_api_routes[];

struct lab_http;

/* serve @routes (a table like lab_api_routes: main.c passes it; kept by
 * reference, so it must outlive the server) */
int lab_http_start(const struct lab_config *cfg, struct lab_sched *sched,
		   const struct lab_route *routes, struct lab_http **out);
unsigned lab_http_port(struct lab_http *h);	/* the bound port */
void lab_http_stop(struct lab_http *h);		/* NULL is a no-op */

/* -errno -> HTTP status; the only such map */
unsigned lab_http_status(int err);

/* helpers for handlers */
const char *lab_req_arg(struct lab_req *rq, const char *name);
/* integer query argument in [lo, hi], @def when absent; -EINVAL (rs->err) */
int lab_req_int(struct lab_req *rq, struct lab_resp *rs, const char *name,
		int64_t lo, int64_t hi, int64_t def, int64_t *out);
/* route parameter @i as a positive id; -EINVAL (rs->err) */
int lab_req_id(struct lab_req *rq, struct lab_resp *rs, int i, int64_t *out);
/* the body as a JSON value (object or array); -EINVAL (rs->err, detail) */
int lab_req_json(struct lab_req *rq, struct lab_resp *rs, json_t **out);
/* printf into rs->err; returns @err for "return lab_fail(rs, -EINVAL, ...)" */
int lab_fail(struct lab_resp *rs, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/*
 * Answer with the regular file @path from byte @off on (clamped to its
 * size), as text/plain. @path must come from the database or the state
 * dir, never from the request; symlinks are refused. -ENOENT with
 * @gone (cannot open) or @notfile (not a regular file) in rs->err.
 */
int lab_resp_log_file(struct lab_resp *rs, const char *path, int64_t off,
		      const char *gone, const char *notfile);

#endif /* LAB_HTTP_H */
