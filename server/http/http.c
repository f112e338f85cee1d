/* SPDX-License-Identifier: GPL-2.0 */
/*
 * http.c - libmicrohttpd glue: bodies, routing, auth, store pool, static
 * files, responses (http.h).
 *
 * Threading: MHD runs an internal thread pool of cfg->threads poll(2)
 * workers (or, with cfg->thread_per_conn, one thread per connection).
 * An /api request whose body is OFFLOAD_MIN bytes or more (a results batch,
 * a console log) is not handled on that I/O thread: the connection is
 * suspended, one of the offload threads (one per CPU) runs the handler, and
 * the connection is resumed to send the answer. So a large ingest never
 * stalls the other connections of its I/O thread, and two ingests decode
 * in parallel while their inserts take turns (store.c's write queue).
 * Handlers borrow a store connection from the pool for the length of one
 * request; the pool opens connections on demand up to POOL_MAX and blocks
 * when all are lent.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include <microhttpd.h>

#include "auth.h"
#include "config.h"
#include "front.h"
#include "gate.h"
#include "http.h"
#include "log.h"
#include "names.h"
#include "statelock.h"
#include "store.h"

#define POOL_MAX 32
#define CONN_TIMEOUT_S 30	/* idle clients are dropped (front.h: total deadlines) */
#define CONN_LIMIT 1000
#define CONN_MEMORY (32u << 10)	/* MHD's per-connection pool: request line + headers */
#define OFFLOAD_MIN (64u << 10)	/* bodies this large are handled off the I/O thread */
#define OFFLOAD_MAX_THREADS 8

struct store_pool {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct lab_store *idle[POOL_MAX];
	int nidle;
	int nopen;
	const char *db, *schema;
};

struct conn_state;

/* requests handed to the offload threads (FIFO) */
struct offload {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct conn_state *head, *tail;
	bool stop;
	int nthreads;
	pthread_t th[OFFLOAD_MAX_THREADS];
};

struct lab_http {
	struct MHD_Daemon *d;
	const struct lab_config *cfg;
	struct lab_sched *sched;
	const struct lab_route *routes;	/* main.c's table (routes.c) */
	struct store_pool pool;
	struct offload off;		/* nthreads 0: every request inline */
	struct lab_front *front;	/* deadlines, framing, request-target limits */
	struct lab_gate *gate;		/* the listening socket; first requests checked */
	char web_real[PATH_MAX];	/* realpath of web_dir, "" if missing */
	unsigned port;
};

enum conn_phase { CS_READING, CS_OFFLOADED, CS_ANSWERED };

/*
 * per request: from the first access callback to the completion callback.
 * While CS_OFFLOADED the connection is suspended and only the offload
 * thread touches this struct; it sets CS_ANSWERED and resumes the
 * connection as its last use of it.
 */
struct conn_state {
	char *body;
	size_t len, cap;
	bool too_large;
	bool early;			/* answered from the headers alone */
	char *who;			/* the token's name, checked from the headers */
	struct timespec t0;
	enum conn_phase phase;
	struct MHD_Connection *c;
	char *url, *method;		/* copies, for the offload thread */
	int r;				/* the handler's answer ... */
	struct lab_resp rs;		/* ... and what it left */
	struct conn_state *next;	/* offload queue */
};

/* ---- errno -> status ------------------------------------------------------ */

unsigned lab_http_status(int err)
{
	switch (-err) {
	case 0: return MHD_HTTP_OK;
	case EINVAL: return MHD_HTTP_BAD_REQUEST;
	case EPERM: return MHD_HTTP_UNAUTHORIZED;
	case EACCES: return MHD_HTTP_FORBIDDEN;
	case ENOENT: return MHD_HTTP_NOT_FOUND;
	case ENOSYS: return MHD_HTTP_METHOD_NOT_ALLOWED;
	case EEXIST:
	case EALREADY:
	case EAGAIN: return MHD_HTTP_CONFLICT;
	case E2BIG:
	case EFBIG:
	case EMSGSIZE: return MHD_HTTP_CONTENT_TOO_LARGE;
	case EOPNOTSUPP: return MHD_HTTP_NOT_IMPLEMENTED;
	case EBUSY:
	case EROFS:
	case ENOMEM: return MHD_HTTP_SERVICE_UNAVAILABLE;
	case ENOSPC: return MHD_HTTP_INSUFFICIENT_STORAGE;
	default: return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
}

/* ---- store pool ---------------------------------------------------------- */

static int pool_get(struct store_pool *p, struct lab_store **out)
{
	int r;

	pthread_mutex_lock(&p->lock);
	while (!p->nidle && p->nopen >= POOL_MAX)
		pthread_cond_wait(&p->cond, &p->lock);
	if (p->nidle) {
		*out = p->idle[--p->nidle];
		pthread_mutex_unlock(&p->lock);
		return 0;
	}
	p->nopen++;
	pthread_mutex_unlock(&p->lock);
	r = lab_store_open(p->db, p->schema, out);
	if (r) {
		pthread_mutex_lock(&p->lock);
		p->nopen--;
		pthread_cond_signal(&p->cond);
		pthread_mutex_unlock(&p->lock);
	}
	return r;
}

static void pool_put(struct store_pool *p, struct lab_store *st)
{
	pthread_mutex_lock(&p->lock);
	p->idle[p->nidle++] = st;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void pool_close(struct store_pool *p)
{
	while (p->nidle)
		lab_store_close(p->idle[--p->nidle]);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
}

/* ---- helpers for handlers -------------------------------------------------- */

int lab_resp_log_file(struct lab_resp *rs, const char *path, int64_t off,
		      const char *gone, const char *notfile)
{
	struct stat sb;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return lab_fail(rs, -ENOENT, "%s", gone);
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return lab_fail(rs, -ENOENT, "%s", notfile);
	}
	if (off > sb.st_size)
		off = sb.st_size;
	rs->fd = fd;
	rs->fd_offset = (uint64_t)off;
	rs->fd_len = (uint64_t)(sb.st_size - off);
	rs->content_type = "text/plain; charset=utf-8";
	return 0;
}

int lab_fail(struct lab_resp *rs, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rs->err, sizeof(rs->err), fmt, ap);
	va_end(ap);
	return err;
}

const char *lab_req_arg(struct lab_req *rq, const char *name)
{
	return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

int lab_req_int(struct lab_req *rq, struct lab_resp *rs, const char *name,
		int64_t lo, int64_t hi, int64_t def, int64_t *out)
{
	const char *s = lab_req_arg(rq, name);
	bool neg = s && s[0] == '-' && lo < 0;
	uint64_t v;

	*out = def;
	if (!s)
		return 0;
	/* digits only: no '+', no white space, no leading zero (names.h) */
	if (lab_name_uint(s + neg, INT64_MAX, &v) || (neg && !v) ||
	    (neg ? -(int64_t)v : (int64_t)v) < lo || (neg ? -(int64_t)v : (int64_t)v) > hi)
		return lab_fail(rs, -EINVAL, "query argument %s must be an integer %lld..%lld "
				"(digits only)", name, (long long)lo, (long long)hi);
	*out = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

int lab_req_id(struct lab_req *rq, struct lab_resp *rs, int i, int64_t *out)
{
	const char *s = i < rq->nparams ? rq->params[i] : NULL;
	char shown[40];
	uint64_t v;

	/* digits only: no sign, no white space, no padding, no escapes */
	if (lab_name_uint(s, INT64_MAX, &v) || v == 0) {
		size_t k;

		snprintf(shown, sizeof(shown), "%s", s ? s : "");
		for (k = 0; shown[k]; k++)
			if ((unsigned char)shown[k] < 0x20 || (unsigned char)shown[k] >= 0x7f)
				shown[k] = '?';
		return lab_fail(rs, -EINVAL, "'%s' is not a valid id (a positive integer, "
				"digits only)", shown);
	}
	*out = (int64_t)v;
	return 0;
}

int lab_req_json(struct lab_req *rq, struct lab_resp *rs, json_t **out)
{
	json_error_t je;
	json_t *v;

	if (!rq->body || !rq->body_len)
		return lab_fail(rs, -EINVAL, "a JSON request body is required");
	v = json_loadb(rq->body, rq->body_len, JSON_REJECT_DUPLICATES, &je);
	if (!v) {
		rs->detail = json_pack("{s:i, s:i, s:s}", "line", je.line,
				       "column", je.column, "text", je.text);
		return lab_fail(rs, -EINVAL, "malformed JSON body");
	}
	*out = v;
	return 0;
}

/* ---- routing ----------------------------------------------------------- */

/* match @url's path against @pattern; captures "{}" segments */
static bool route_match(const char *pattern, const char *path, struct lab_req *rq,
			char *buf, size_t buflen)
{
	const char *p = pattern, *u = path;
	size_t used = 0;

	rq->nparams = 0;
	while (*p && *u) {
		if (p[0] == '{' && p[1] == '}') {
			size_t l = strcspn(u, "/");

			if (!l || rq->nparams == LAB_ROUTE_PARAMS || used + l + 1 > buflen)
				return false;
			memcpy(buf + used, u, l);
			buf[used + l] = 0;
			rq->params[rq->nparams++] = buf + used;
			used += l + 1;
			u += l;
			p += 2;
			continue;
		}
		if (*p != *u)
			return false;
		p++;
		u++;
	}
	return !*p && !*u;
}

/* ---- responses ------------------------------------------------------------- */

/* the status of the response queued last by this thread (access log) */
static __thread unsigned last_status;

static enum MHD_Result queue(struct MHD_Connection *c, unsigned status,
			     struct MHD_Response *resp, const char *ctype)
{
	enum MHD_Result ret;

	last_status = status;
	if (!resp)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(c, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* a response whose body is @j as compact JSON text; NULL on failure */
static struct MHD_Response *json_response(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	struct MHD_Response *resp;

	if (!s)
		return NULL;
	resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	if (!resp)
		free(s);
	return resp;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *j)
{
	struct MHD_Response *resp = json_response(j);

	return resp ? queue(c, status, resp, "application/json") : MHD_NO;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status,
				  const char *msg, json_t *detail)
{
	json_t *j = json_pack("{s:s, s:O?}", "error", msg, "detail", detail);
	enum MHD_Result r;

	if (!j) {
		/* @msg may echo request bytes that are not UTF-8 (jansson refuses
		 * them): answer with an ASCII copy rather than drop the connection */
		char safe[600];
		size_t i;

		for (i = 0; msg && msg[i] && i < sizeof(safe) - 1; i++)
			safe[i] = (unsigned char)msg[i] < 0x80 ? msg[i] : '?';
		safe[i] = 0;
		j = json_pack("{s:s, s:O?}", "error", safe, "detail", detail);
	}
	if (!j)
		return MHD_NO;
	r = send_json(c, status, j);
	json_decref(j);
	return r;
}

static enum MHD_Result send_resp(struct MHD_Connection *c, struct lab_resp *rs)
{
	unsigned status = rs->status ? (unsigned)rs->status : MHD_HTTP_OK;
	struct MHD_Response *resp;

	if (rs->fd >= 0) {
		resp = MHD_create_response_from_fd_at_offset64(rs->fd_len, rs->fd,
							      rs->fd_offset);
		if (!resp)
			return MHD_NO;
		rs->fd = -1;	/* MHD closes it */
	} else if (rs->text) {
		resp = MHD_create_response_from_buffer(rs->text_len, rs->text,
						       MHD_RESPMEM_MUST_FREE);
		if (!resp)
			return MHD_NO;
		rs->text = NULL;
	} else {
		if (rs->location[0]) {
			resp = json_response(rs->json ? rs->json : json_null());
			if (!resp)
				return MHD_NO;
			MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, rs->location);
			return queue(c, status, resp, "application/json");
		}
		return send_json(c, status, rs->json ? rs->json : json_null());
	}
	if (rs->location[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_LOCATION, rs->location);
	return queue(c, status, resp, rs->content_type ? rs->content_type : "text/plain; charset=utf-8");
}

/* idempotent: what is released is forgotten */
static void resp_clear(struct lab_resp *rs)
{
	json_decref(rs->json);
	json_decref(rs->detail);
	free(rs->text);
	if (rs->fd >= 0)
		close(rs->fd);
	rs->json = rs->detail = NULL;
	rs->text = NULL;
	rs->fd = -1;
}

/* ---- static files -------------------------------------------------------- */

static const char *mime_of(const char *path)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".mjs", "text/javascript; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".json", "application/json" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".txt", "text/plain; charset=utf-8" },
		{ ".map", "application/json" },
		{ ".woff2", "font/woff2" },
		{ NULL, NULL },
	};
	const char *dot = strrchr(path, '.');

	for (int i = 0; dot && types[i].ext; i++)
		if (strcmp(dot, types[i].ext) == 0)
			return types[i].type;
	return "application/octet-stream";
}

/* is @url a safe relative path? no "..", ".", "//", backslash, control chars */
static bool safe_url(const char *url)
{
	const char *p = url;

	if (*p != '/')
		return false;
	for (; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '\\' || *p == 0x7f)
			return false;
	for (p = url; *p; ) {
		size_t l;

		p++;			/* skip '/' */
		l = strcspn(p, "/");
		if ((l == 1 && p[0] == '.') || (l == 2 && p[0] == '.' && p[1] == '.'))
			return false;
		if (l == 0 && p[0] == '/')
			return false;
		p += l;
	}
	return true;
}

static enum MHD_Result serve_static(struct lab_http *h, struct MHD_Connection *c,
				    const char *url)
{
	char path[PATH_MAX], real[PATH_MAX];
	size_t wl = strlen(h->web_real);
	struct stat sb;
	int fd, n;

	if (!h->web_real[0])
		return send_error(c, MHD_HTTP_NOT_FOUND, "no web directory", NULL);
	if (!safe_url(url))
		return send_error(c, MHD_HTTP_BAD_REQUEST, "invalid path", NULL);
	n = snprintf(path, sizeof(path), "%s%s", h->web_real, url);
	if (n < 0 || (size_t)n >= sizeof(path) - 16)
		return send_error(c, MHD_HTTP_URI_TOO_LONG, "path too long", NULL);
	if (path[n - 1] == '/')
		strcat(path, "index.html");
	if (!realpath(path, real))
		return send_error(c, MHD_HTTP_NOT_FOUND, "not found", NULL);
	if (strncmp(real, h->web_real, wl) != 0 || (real[wl] != '/' && real[wl] != 0))
		return send_error(c, MHD_HTTP_NOT_FOUND, "not found", NULL);
	if (stat(real, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		if (strlen(real) + 12 >= sizeof(real))
			return send_error(c, MHD_HTTP_NOT_FOUND, "not found", NULL);
		strcat(real, "/index.html");
	}
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return send_error(c, MHD_HTTP_NOT_FOUND, "not found", NULL);
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return send_error(c, MHD_HTTP_NOT_FOUND, "not found", NULL);
	}
	{
		struct MHD_Response *resp =
			MHD_create_response_from_fd64((uint64_t)sb.st_size, fd);

		if (!resp) {
			close(fd);
			return MHD_NO;
		}
		return queue(c, MHD_HTTP_OK, resp, mime_of(real));
	}
}

/* ---- auth ------------------------------------------------------------------ */

/*
 * 0 with *name set, -EPERM no/invalid token, -EACCES token lacks scope.
 * The token is the whole rest of the header line after "Bearer ": MHD cuts
 * a value at a NUL, so the line is checked to end where the value does
 * ("Bearer <token>\0junk" is refused), and the store compares the hash of
 * every byte of it (a prefix, a suffix or trailing junk does not match).
 */
static int authorize(struct lab_store *st, struct MHD_Connection *c, const char *method,
		     const char *scope, char **name)
{
	const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
	char *scopes = NULL;
	int r;

	*name = NULL;
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)	/* the scheme is case-insensitive */
		return -EPERM;
	if (!lab_front_header_whole(c, method, h))
		return -EPERM;
	h += 7;
	while (*h == ' ')
		h++;
	r = lab_store_token_lookup(st, h, name, &scopes);
	if (r == -ENOENT)
		return -EPERM;
	if (r)
		return r;
	if (!lab_auth_scope_allows(scopes, scope)) {
		free(scopes);
		free(*name);
		*name = NULL;
		return -EACCES;
	}
	free(scopes);
	return 0;
}

/* ---- the access handler ---------------------------------------------------- */

/*
 * Route, authorise and run an /api request; the answer is left in @rs:
 * returns 0 (send @rs) or -errno (send an error from rs->err/rs->detail).
 * Sends nothing, so it can run on an offload thread.
 */
/* the route for @method @url (the sentinel when none); *path_seen when
 * some route has the path but not the method */
static const struct lab_route *route_find(struct lab_http *h, const char *url,
					  const char *method, struct lab_req *rq,
					  char *params, size_t plen, bool *path_seen)
{
	const struct lab_route *rt;

	*path_seen = false;
	for (rt = h->routes; rt->method; rt++) {
		if (!route_match(rt->pattern, url, rq, params, plen))
			continue;
		*path_seen = true;
		if (strcmp(rt->method, method) == 0 ||
		    (strcmp(method, "HEAD") == 0 && strcmp(rt->method, "GET") == 0))
			break;
	}
	if (!rt->method)
		rq->nparams = 0;
	return rt;
}

/*
 * The first access-handler call of an /api request, with its headers only:
 * route it and check its caller (the bearer token of the route's scope, or
 * the route's own auth). 0: read the body and run the handler later; else
 * the answer is in @rs (404, 405, 401, 403) and no body byte is read.
 * The token's name goes to cs->who.
 */
static int api_gate(struct lab_http *h, struct MHD_Connection *c, const char *url,
		    const char *method, struct conn_state *cs, struct lab_resp *rs)
{
	struct lab_req rq = {
		.method = method, .url = url, .conn = c, .cfg = h->cfg, .sched = h->sched,
	};
	const struct lab_route *rt;
	char params[1024];
	bool path_seen;
	int r;

	rt = route_find(h, url, method, &rq, params, sizeof(params), &path_seen);
	if (!rt->method && path_seen)
		return lab_fail(rs, -ENOSYS, "method not allowed");
	if (!rt->method)
		return rt->fn(&rq, rs);		/* the sentinel: 404 */
	if (rt->scope) {
		r = pool_get(&h->pool, &rq.st);
		if (r)
			return lab_fail(rs, r, "database unavailable");
		r = authorize(rq.st, c, method, rt->scope, &cs->who);
		pool_put(&h->pool, rq.st);
		if (r == -EPERM)
			return lab_fail(rs, r, "missing or invalid token");
		if (r)
			return lab_fail(rs, r, "%s", r == -EACCES ?
					"token lacks the needed scope" : strerror(-r));
	}
	if (rt->auth) {
		r = rt->auth(&rq, rs);
		if (r)
			return r;
	}
	return 0;
}

static int run_api(struct lab_http *h, struct MHD_Connection *c, const char *url,
		   const char *method, const struct conn_state *cs, struct lab_resp *rs)
{
	struct lab_req rq = {
		.method = method, .url = url, .body = cs->body, .body_len = cs->len,
		.conn = c, .cfg = h->cfg, .sched = h->sched, .token_name = cs->who,
	};
	const struct lab_route *rt;
	char params[1024];
	bool path_seen;
	int r;

	rt = route_find(h, url, method, &rq, params, sizeof(params), &path_seen);
	if (!rt->method && path_seen)
		return lab_fail(rs, -ENOSYS, "method not allowed");
	if (rt->method && rt->scope && !cs->who)	/* api_gate() let it through */
		return lab_fail(rs, -EPERM, "missing or invalid token");
	r = pool_get(&h->pool, &rq.st);
	if (r)
		return lab_fail(rs, r, "database unavailable");
	r = rt->fn(&rq, rs);
	pool_put(&h->pool, rq.st);
	if (r && !rs->err[0])
		snprintf(rs->err, sizeof(rs->err), "%s", strerror(-r));
	return r;
}

/* send what run_api() decided; frees what @rs holds */
static enum MHD_Result answer(struct MHD_Connection *c, const char *method, const char *url,
			      int r, struct lab_resp *rs)
{
	unsigned status = lab_http_status(r);
	enum MHD_Result ret;

	if (!r) {
		ret = send_resp(c, rs);
	} else if (status == MHD_HTTP_UNAUTHORIZED) {
		json_t *j = json_pack("{s:s, s:O?}", "error", rs->err, "detail", rs->detail);
		struct MHD_Response *resp = j ? json_response(j) : NULL;

		json_decref(j);
		if (!resp) {
			ret = MHD_NO;
		} else {
			MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
						"Bearer realm=\"iommulab\"");
			ret = queue(c, status, resp, "application/json");
		}
	} else {
		ret = send_error(c, status, rs->err, rs->detail);
		if (status >= 500)
			lab_warn("http: %s %s -> %u: %s", method, url, status, rs->err);
	}
	resp_clear(rs);
	return ret;
}

/* ---- offload threads ------------------------------------------------------- */

static void *offload_main(void *arg)
{
	struct lab_http *h = arg;
	struct offload *o = &h->off;
	struct conn_state *cs;

	for (;;) {
		pthread_mutex_lock(&o->lock);
		while (!o->head && !o->stop)
			pthread_cond_wait(&o->cond, &o->lock);
		cs = o->head;	/* on stop, the queue is drained first */
		if (cs) {
			o->head = cs->next;
			if (!o->head)
				o->tail = NULL;
		}
		pthread_mutex_unlock(&o->lock);
		if (!cs)
			return NULL;
		cs->r = run_api(h, cs->c, cs->url, cs->method, cs, &cs->rs);
		cs->phase = CS_ANSWERED;
		MHD_resume_connection(cs->c);	/* last use of cs here */
	}
}

/*
 * Hand the request to an offload thread; the connection waits suspended.
 * false: the offload threads are stopping (lab_http_stop): answer inline.
 */
static bool offload(struct lab_http *h, struct MHD_Connection *c, const char *url,
		    const char *method, struct conn_state *cs)
{
	struct offload *o = &h->off;

	cs->url = strdup(url);
	cs->method = strdup(method);
	if (!cs->url || !cs->method)
		return false;
	cs->c = c;
	cs->rs.fd = -1;
	pthread_mutex_lock(&o->lock);
	if (o->stop) {
		pthread_mutex_unlock(&o->lock);
		return false;
	}
	cs->phase = CS_OFFLOADED;
	MHD_suspend_connection(c);
	cs->next = NULL;
	if (o->tail)
		o->tail->next = cs;
	else
		o->head = cs;
	o->tail = cs;
	pthread_cond_signal(&o->cond);
	pthread_mutex_unlock(&o->lock);
	return true;
}

/*
 * No new work; the threads drain the queue (resuming every connection they
 * take) and exit. nthreads stays as it was: the I/O threads read it.
 */
static void offload_stop(struct offload *o)
{
	pthread_mutex_lock(&o->lock);
	o->stop = true;
	pthread_cond_broadcast(&o->cond);
	pthread_mutex_unlock(&o->lock);
	for (int i = 0; i < o->nthreads; i++)
		pthread_join(o->th[i], NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct lab_http *h = cls;
	struct conn_state *cs = *con_cls;

	(void)version;
	if (!cs) {
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		bool api = strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0;
		char why[160];
		unsigned st;

		cs = calloc(1, sizeof(*cs));
		if (!cs)
			return MHD_NO;
		clock_gettime(CLOCK_MONOTONIC, &cs->t0);
		*con_cls = cs;
		/* headers only so far: refuse what they tell is wrong before
		 * any body byte is read (MHD then reads none) */
		st = lab_front_request_begin(h->front, c, method, why, sizeof(why));
		if (st) {
			cs->early = true;
			lab_info("http: %s %.100s refused (%u): %s", method, url, st, why);
			return send_error(c, st, why, NULL);
		}
		if (api) {
			struct lab_resp rs = { .fd = -1 };
			int r = api_gate(h, c, url, method, cs, &rs);

			if (r) {
				cs->early = true;
				last_status = 0;
				return answer(c, method, url, r, &rs);
			}
		} else if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
			cs->early = true;
			return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed", NULL);
		}
		if (cl && strtoull(cl, NULL, 10) > h->cfg->body_max) {
			json_t *d = json_pack("{s:I}", "max_bytes", (json_int_t)h->cfg->body_max);
			enum MHD_Result r;

			cs->too_large = true;
			r = send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, "request body too large", d);
			json_decref(d);
			return r;
		}
		return MHD_YES;
	}
	if (cs->early) {		/* answered; MHD reads no body after that */
		*upload_size = 0;
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;

		*upload_size = 0;
		if (cs->too_large || cs->len + n > h->cfg->body_max) {
			cs->too_large = true;
			return MHD_YES;
		}
		if (cs->len + n + 1 > cs->cap) {
			size_t cap = cs->cap ? cs->cap : 4096;
			char *nb;

			while (cap < cs->len + n + 1)
				cap *= 2;
			nb = realloc(cs->body, cap);
			if (!nb)
				return MHD_NO;
			cs->body = nb;
			cs->cap = cap;
		}
		memcpy(cs->body + cs->len, upload, n);
		cs->len += n;
		cs->body[cs->len] = 0;
		return MHD_YES;
	}
	if (cs->phase == CS_READING)
		lab_front_body_done(h->front, c);	/* no deadline while it runs */
	if (cs->too_large) {
		json_t *d = json_pack("{s:I}", "max_bytes", (json_int_t)h->cfg->body_max);
		enum MHD_Result r = send_error(c, MHD_HTTP_CONTENT_TOO_LARGE,
					       "request body too large", d);

		json_decref(d);
		return r;
	}
	if (cs->phase == CS_OFFLOADED)
		return MHD_YES;	/* not ours to answer yet */
	{
		bool api = strncmp(url, "/api/", 5) == 0 || strcmp(url, "/api") == 0;
		enum MHD_Result ret;
		struct timespec t1;

		last_status = 0;
		if (api && cs->phase == CS_ANSWERED) {
			ret = answer(c, method, url, cs->r, &cs->rs);
		} else if (api && h->off.nthreads && cs->len >= OFFLOAD_MIN &&
			   offload(h, c, url, method, cs)) {
			return MHD_YES;
		} else if (api) {
			struct lab_resp rs = { .fd = -1 };

			ret = answer(c, method, url, run_api(h, c, url, method, cs, &rs), &rs);
		} else if (strcmp(method, "GET") && strcmp(method, "HEAD"))
			ret = send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed", NULL);
		else
			ret = serve_static(h, c, url);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		lab_debug("http: %s %.200s -> %u (%zu bytes in, %.1f ms)", method, url,
			  last_status, cs->len, (double)(t1.tv_sec - cs->t0.tv_sec) * 1e3 +
			  (double)(t1.tv_nsec - cs->t0.tv_nsec) / 1e6);
		return ret;
	}
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct lab_http *h = cls;
	struct conn_state *cs = *con_cls;

	lab_front_request_done(h->front, c);
	if (!cs)
		return;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		lab_debug("http: request ended early (%d)", (int)toe);
	if (cs->phase == CS_ANSWERED)
		resp_clear(&cs->rs);	/* answered, but never sent */
	free(cs->url);
	free(cs->method);
	free(cs->who);
	free(cs->body);
	free(cs);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];

	(void)cls;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	lab_warn("http: %s", buf);
}

/* the gate's hand-over: MHD reads the connection from here on (and closes
 * it when it refuses it: connection or per-address limit) */
static int gate_hand(void *cls, int fd, const struct sockaddr *sa, socklen_t len)
{
	struct lab_http *h = cls;

	return MHD_add_connection(h->d, fd, sa, len) == MHD_YES ? 0 : -EBUSY;
}

int lab_http_start(const struct lab_config *cfg, struct lab_sched *sched,
		   const struct lab_route *routes, struct lab_http **out)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct lab_gate_limits glim = {
		.header_s = cfg->header_s, .per_ip = cfg->per_ip,
		.max_params = LAB_FRONT_MAX_PARAMS, .max_target = LAB_FRONT_MAX_TARGET,
	};
	struct lab_front_limits lim = {
		.header_s = cfg->header_s, .body_s = cfg->body_s, .idle_s = CONN_TIMEOUT_S,
		.max_params = LAB_FRONT_MAX_PARAMS, .max_target = LAB_FRONT_MAX_TARGET,
	};
	/* the gate owns the listening socket and hands connections over */
	unsigned flags = MHD_USE_ERROR_LOG | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC;
	struct lab_http *h;
	char comm[32];
	pid_t owner;
	int r;

	/* no SO_REUSEPORT: a second daemon on this address and port must fail
	 * to bind; say which process holds it */
	if (cfg->port && !lab_statelock_port_owner(cfg->listen_addr, cfg->port, &owner,
						   comm, sizeof(comm))) {
		lab_error("http: %s:%u is in use by pid %ld (%s): one daemon per address "
			  "and port", cfg->listen_addr, cfg->port, (long)owner, comm);
		return -EADDRINUSE;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	r = lab_front_start(&lim, &h->front);
	if (r) {
		free(h);
		return r;
	}
	h->cfg = cfg;
	h->sched = sched;
	h->routes = routes;
	pthread_mutex_init(&h->pool.lock, NULL);
	pthread_cond_init(&h->pool.cond, NULL);
	h->pool.db = cfg->db_path;
	h->pool.schema = cfg->schema_dir;
	if (!realpath(cfg->web_dir, h->web_real))
		h->web_real[0] = 0;
	sa.sin_port = htons((uint16_t)cfg->port);
	if (inet_pton(AF_INET, cfg->listen_addr, &sa.sin_addr) != 1) {
		pool_close(&h->pool);
		lab_front_stop(h->front);
		free(h);
		return -EINVAL;
	}
	pthread_mutex_init(&h->off.lock, NULL);
	pthread_cond_init(&h->off.cond, NULL);
	if (cfg->thread_per_conn)
		flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD;
	else
		/*
		 * poll(2), not epoll: with libmicrohttpd 0.9.75's epoll thread
		 * pool a connection can sit in the accept queue while every
		 * worker sleeps in epoll_wait (a lost wakeup on the listen
		 * socket): the request is answered only when another
		 * connection arrives. tests/fuzz/fuzz_http found it (a lone
		 * GET unanswered for 10 s+; gdb showed both workers idle in
		 * epoll_wait); with poll, 1.1 M fuzzed requests, no stall.
		 */
		flags |= MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
			 MHD_ALLOW_SUSPEND_RESUME;
	if (!cfg->thread_per_conn) {
		long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
		int n = ncpu < 1 ? 1 : ncpu > OFFLOAD_MAX_THREADS ? OFFLOAD_MAX_THREADS : (int)ncpu;

		for (int i = 0; i < n; i++) {
			if (pthread_create(&h->off.th[i], NULL, offload_main, h))
				break;
			h->off.nthreads++;
		}
	}
	h->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, h,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, h,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, h,
		MHD_OPTION_NOTIFY_CONNECTION, lab_front_on_connection, h->front,
		MHD_OPTION_URI_LOG_CALLBACK, lab_front_on_uri, h->front,
		MHD_OPTION_UNESCAPE_CALLBACK, lab_front_unescape, h->front,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONN_TIMEOUT_S,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
		/* a pool of one is the internal polling thread itself (MHD
		 * warns at every start when asked for a pool of size 1) */
		cfg->thread_per_conn || cfg->threads < 2 ? MHD_OPTION_END :
		MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned)cfg->threads,
		MHD_OPTION_END);
	if (!h->d) {
		lab_error("http: cannot start libmicrohttpd for %s:%u", cfg->listen_addr, cfg->port);
		offload_stop(&h->off);
		pool_close(&h->pool);
		lab_front_stop(h->front);
		free(h);
		return -EADDRINUSE;
	}
	r = lab_gate_start(cfg->listen_addr, cfg->port, &glim, gate_hand, h, &h->gate, &h->port);
	if (r) {
		lab_error("http: cannot listen on %s:%u: %s", cfg->listen_addr, cfg->port,
			  strerror(-r));
		offload_stop(&h->off);
		MHD_stop_daemon(h->d);
		pool_close(&h->pool);
		lab_front_stop(h->front);
		free(h);
		return r;
	}
	if ((ntohl(sa.sin_addr.s_addr) >> 24) != 127)
		lab_warn("http: listening on %s, not a loopback address: reads are public, "
			 "only writes need a token", cfg->listen_addr);
	*out = h;
	return 0;
}

unsigned lab_http_port(struct lab_http *h)
{
	return h->port;
}

void lab_http_stop(struct lab_http *h)
{
	if (!h)
		return;
	lab_gate_stop(h->gate);		/* no new connection */
	/* every suspended connection is resumed before MHD stops */
	offload_stop(&h->off);
	MHD_stop_daemon(h->d);
	lab_front_stop(h->front);	/* no callback runs any more */
	pool_close(&h->pool);
	free(h);
}
