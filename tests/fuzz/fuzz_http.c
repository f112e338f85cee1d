/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz_http.c - libFuzzer target: raw HTTP requests to iommulabd's HTTP
 * layer, started in this process (lab_http_start on 127.0.0.1, a real
 * SQLite store in a scratch dir, a web dir, one LAVA lab with a callback
 * token and pending runs registered for LAVA ids 1-8).
 *
 * Input: byte 0 picks method and credentials (GET, HEAD, POST with the
 * admin token, POST with an ingest-scope token, POST with the LAVA callback
 * secret, POST with a wrong token) or, for 2 of its 8 values, the framing
 * mode below; then the request target up to the first
 * '\n' (bytes outside printable ASCII are %-encoded, so what the server's
 * query parsing and routing see is arbitrary), and after it the body.
 * Paths not starting with '/' get "/api/v1/" in front, so most inputs reach
 * the routes (path parameters, query arguments: limit/offset/cursor/kernel/
 * target/state/verdict/format/base/head...) rather than static files.
 * Invariants beyond the sanitizers (which see the server threads too): the
 * server answers every request with a status line; never 500; a static
 * request never serves a file outside web/ (the secret outside it).
 *
 * Framing mode (issue 16): the rest of the input is the request itself,
 * request line, header lines and body as they are ("@ADMIN@" becomes the
 * admin token, "@LEN@" the length of what follows the first empty line), so
 * duplicate or conflicting Content-Length/Transfer-Encoding, bare LFs,
 * NULs and control bytes in header lines, pipelined requests and truncated
 * ones all reach the gate (gate.h), libmicrohttpd and the front (front.h).
 * The client half-closes after sending. Invariants: the server closes the
 * connection within 10 s; every status line it writes is a well-formed
 * 1xx-4xx one (no 5xx but 505 for an unknown HTTP version); a first
 * request that fails the gate's checks gets exactly one status line;
 * every 64 framing inputs a fresh GET /health is answered 200 (the server
 * still serves).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <strings.h>
#include <sqlite3.h>

#include "auth.h"
#include "config.h"
#include "front.h"
#include "fuzz.h"
#include "gate.h"
#include "http.h"
#include "lava_callback.h"
#include "store.h"

static struct lab_config cfg;
static struct lab_http *http;
static unsigned port;
static char admin[LAB_TOKEN_HEX_LEN + 1], ingest[LAB_TOKEN_HEX_LEN + 1];
static const char cb_secret[] = "fuzz-callback-secret-0123456789abcdef";

static void put_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		FZ_BUG("cannot write %s", path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *dir = fz_scratch("fuzz-http");
	struct lab_store *st;
	struct lab_kernel k = { .name = "6.1", .release = "6.1.0-56-amd64", .arch = "x86_64",
				.source = "debian" };
	struct lab_target t = { .name = "q35-vtd", .arch = "x86_64", .backend = "qemu",
				.vendor = "intel", .driver = "intel-iommu", .definition = "{}",
				.tags = "[\"vtd\"]", .health = "good", .concurrency = 1 };
	char p[700], labs[1024];
	int r;

	(void)argc;
	(void)argv;
	lab_log_set_level(LAB_LOG_ERROR);
	lab_config_defaults(&cfg);
	snprintf(cfg.state_dir, sizeof(cfg.state_dir), "%s", dir);
	snprintf(cfg.db_path, sizeof(cfg.db_path), "%s/fuzz.db", dir);
	snprintf(cfg.schema_dir, sizeof(cfg.schema_dir), "%s", fz_schema());
	snprintf(cfg.web_dir, sizeof(cfg.web_dir), "%s/web", dir);
	snprintf(cfg.listen_addr, sizeof(cfg.listen_addr), "127.0.0.1");
	cfg.port = 0;
	cfg.threads = 2;
	cfg.body_max = 1 << 20;
	cfg.scheduler = false;
	snprintf(labs, sizeof(labs),
		 "{\"labs\":[{\"name\":\"fuzzlab\",\"url\":\"http://127.0.0.1:9\",\"token\":\"t0k3n\","
		 "\"callback_url\":\"http://127.0.0.1:1/api/v1/lava/callback\","
		 "\"callback_token\":\"%s\",\"callback_token_desc\":\"iommulab\","
		 "\"device_types\":[\"qemu\"]}]}", cb_secret);
	cfg.labs = json_loads(labs, 0, NULL);
	mkdir(cfg.web_dir, 0755);
	snprintf(p, sizeof(p), "%s/index.html", cfg.web_dir);
	put_file(p, "<!doctype html><title>fuzz</title>\n");
	snprintf(p, sizeof(p), "%s/outside-secret.txt", dir);
	put_file(p, "OUTSIDE-WEB-SECRET\n");
	snprintf(p, sizeof(p), "%s/leak", cfg.web_dir);
	snprintf(labs, sizeof(labs), "%s/outside-secret.txt", dir);
	if (symlink(labs, p))
		FZ_BUG("symlink");

	if (lab_store_open(cfg.db_path, cfg.schema_dir, &st) || lab_store_kernel_put(st, &k) ||
	    lab_store_target_put(st, &t))
		FZ_BUG("store");
	for (int i = 0; i < 16; i++) {
		struct lab_job j = { .kernel_id = k.id, .target_id = t.id, .backend = "qemu" };

		if (lab_store_job_create(st, &j) ||
		    (i % 2 && lab_store_job_transition(st, j.id, LAB_JOB_QUEUED,
						       LAB_JOB_SCHEDULED, NULL)))
			FZ_BUG("job");
	}
	if (lab_auth_token_new(admin) || lab_auth_token_new(ingest) ||
	    lab_store_token_add_scoped(st, "admin", admin, "admin") ||
	    lab_store_token_add_scoped(st, "ci", ingest, "ingest"))
		FZ_BUG("tokens");
	lab_store_close(st);
	for (int64_t id = 1; id <= 8; id++)
		lab_lava_pending_add("fuzzlab", id);
	r = lab_http_start(&cfg, NULL, lab_api_routes, &http);
	if (r)
		FZ_BUG("lab_http_start: %d", r);
	port = lab_http_port(http);
	return 0;
}

/* no answer in 10 s: find out whether a write lock is held, wait 30 s more */
static void stalled(int fd, const char *req)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	char first[64] = "";
	const char *lock = "?";
	sqlite3 *db;
	ssize_t n;

	if (sqlite3_open_v2(cfg.db_path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK) {
		int rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

		lock = rc == SQLITE_BUSY ? "held by another connection" :
		       rc == SQLITE_OK ? "free" : sqlite3_errmsg(db);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	}
	sqlite3_close(db);
	if (getenv("FUZZ_HTTP_STACKS")) {	/* where are the server's threads? */
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "gdb -p %d -batch -ex 'thread apply all bt 12' "
			 ">&2 2>/dev/null", (int)getpid());
		if (system(cmd) != 0)
			fprintf(stderr, "(gdb thread dump failed)\n");
	}
	if (poll(&pf, 1, 30000) == 1 && (n = recv(fd, first, sizeof(first) - 1, 0)) > 0)
		first[n] = 0;
	FZ_BUG("no answer within 10 s to: %.200s\n(database write lock: %s; 30 s later: %s)",
	       req, lock, first[0] ? first : "still nothing");
}

/* a connected socket from 127.0.0.x to the server (see below for why x varies) */
static int dial(void)
{
	static unsigned rot;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct sockaddr_in src = { .sin_family = AF_INET };
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		FZ_BUG("socket: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + rot++ % 250);
	setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)))
		FZ_BUG("bind 127.0.0.x: %s", strerror(errno));
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		struct pollfd pw = { .fd = fd, .events = POLLOUT };
		int err = errno;
		socklen_t el = sizeof(err);

		if (err == EINTR && poll(&pw, 1, 10000) == 1)
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err && err != EINTR)
			FZ_BUG("connect: %s (server gone?)", strerror(err));
	}
	return fd;
}

/* send @n bytes (the server may close early), half-close, read until it
 * closes (FZ_BUG after 10 s); the first @cap - 1 bytes of the answer */
static size_t exchange(int fd, const char *req, size_t n, char *resp, size_t cap)
{
	size_t got = 0;

	for (size_t off = 0; off < n;) {
		ssize_t w = send(fd, req + off, n - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	shutdown(fd, SHUT_WR);
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		char sink[4096];
		ssize_t rd;
		int pr = poll(&pf, 1, 10000);

		if (pr < 0 && errno == EINTR)
			continue;
		if (pr != 1)
			FZ_BUG("framing: the server kept the connection open 10 s after the "
			       "client's half-close; request: %.300s", req);
		rd = recv(fd, got < cap - 1 ? resp + got : sink,
			  got < cap - 1 ? cap - 1 - got : sizeof(sink), 0);
		if (rd < 0 && errno == EINTR)
			continue;
		if (rd <= 0)
			break;
		if (got < cap - 1)
			got += (size_t)rd;
	}
	resp[got] = 0;
	return got;
}

/*
 * The answers in @resp (@got bytes), one after the other as HTTP frames
 * them: a status line, headers, then Content-Length bytes of body (none
 * for a 1xx/204/304 without one, or an answer to HEAD: then the next
 * status line follows the header block at once). Each status must be
 * 1xx-4xx or 505 (FZ_BUG otherwise); the number of answers. Parsing stops
 * at a body read until the close, or at bytes that start no answer (the
 * 16 KiB cut of @resp). Status-line-looking bytes inside a body (an error
 * message echoing the request) are body, not answers.
 */
static unsigned count_answers(const char *resp, size_t got, const char *req)
{
	const char *p = resp, *end = resp + got;
	unsigned lines = 0;

	if (got && (got < 7 || memcmp(resp, "HTTP/1.", 7)))
		FZ_BUG("framing: the answer does not start with a status line: '%.40s' for: "
		       "%.300s", resp, req);

	while (end - p >= 12 && !memcmp(p, "HTTP/1.", 7)) {
		const char *hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4), *h, *body, *next;
		unsigned st;
		long long cl = -1;

		/* "HTTP/1.x DDD " or "HTTP/1.x DDD\r" */
		if ((p[7] != '0' && p[7] != '1') || p[8] != ' ' || !isdigit((unsigned char)p[9]) ||
		    !isdigit((unsigned char)p[10]) || !isdigit((unsigned char)p[11]) ||
		    (p[12] != ' ' && p[12] != '\r'))
			FZ_BUG("framing: malformed status line '%.40s' for: %.300s", p, req);
		st = (unsigned)(p[9] - '0') * 100 + (unsigned)(p[10] - '0') * 10 +
		     (unsigned)(p[11] - '0');
		if (st < 100 || (st > 499 && st != 505))
			FZ_BUG("framing: status line '%.40s' for: %.300s", p, req);
		lines++;
		if (!hend)
			break;
		body = hend + 4;
		for (h = memchr(p, '\n', (size_t)(hend - p)); h && h < hend;
		     h = memchr(h + 1, '\n', (size_t)(hend - h - 1)))
			if (!strncasecmp(h + 1, "Content-Length:", 15))
				cl = strtoll(h + 16, NULL, 10);
		if (cl < 0 && st >= 200 && st != 204 && st != 304)
			break;	/* a body until the close */
		next = cl <= 0 ? body : cl < end - body ? body + cl : NULL;
		if (next && end - next >= 7 && !memcmp(next, "HTTP/1.", 7))
			p = next;
		else if (body < end && end - body >= 7 && !memcmp(body, "HTTP/1.", 7))
			p = body;	/* an answer to HEAD: headers only */
		else
			break;
	}
	return lines;
}

static int framing_input(const uint8_t *data, size_t size)
{
	static unsigned count;
	const uint8_t *blank = memmem(data, size, "\r\n\r\n", 4);
	size_t after = blank ? size - (size_t)(blank + 4 - data) : 0, n = 0, got;
	char *req = malloc(size / 7 * 64 + size + 128), resp[16384], lens[24], why[200];
	const struct lab_gate_limits lim = { .header_s = cfg.header_s, .per_ip = cfg.per_ip,
		.max_params = LAB_FRONT_MAX_PARAMS, .max_target = LAB_FRONT_MAX_TARGET };
	unsigned gate_st, lines;
	int fd;

	if (!req)
		abort();
	snprintf(lens, sizeof(lens), "%zu", after);
	for (size_t i = 0; i < size;) {
		if (size - i >= 7 && !memcmp(data + i, "@ADMIN@", 7)) {
			n += (size_t)sprintf(req + n, "%s", admin);
			i += 7;
		} else if (size - i >= 5 && !memcmp(data + i, "@LEN@", 5)) {
			n += (size_t)sprintf(req + n, "%s", lens);
			i += 5;
		} else {
			req[n++] = (char)data[i++];
		}
	}
	req[n] = 0;
	/* what the gate decides for the first request, when its block is complete */
	blank = memmem(req, n, "\r\n\r\n", 4);
	gate_st = blank && (size_t)((const char *)blank - req) + 4 <= GATE_HEADER_MAX ?
		  lab_gate_check(req, (size_t)((const char *)blank - req) + 4, &lim, why,
				 sizeof(why)) : 0;
	fd = dial();
	got = exchange(fd, req, n, resp, sizeof(resp));
	close(fd);
	lines = count_answers(resp, got, req);
	if (gate_st && lines != 1)
		FZ_BUG("framing: the gate refuses this (%u: %s) but %u status lines came: "
		       "%.300s\n--- answer:\n%.600s", gate_st, why, lines, req, resp);
	if (++count % 64 == 0) {
		static const char health[] = "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n"
					     "Connection: close\r\n\r\n";

		fd = dial();
		got = exchange(fd, health, sizeof(health) - 1, resp, sizeof(resp));
		close(fd);
		if (strncmp(resp, "HTTP/1.1 200", 12))
			FZ_BUG("framing: GET /health after %u framing inputs: %.200s", count, resp);
	}
	free(req);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = { "GET", "HEAD", "POST", "POST", "POST", "POST" };
	const uint8_t *nl, *target;
	size_t tlen, blen, n = 0, got = 0, hl;
	char *req, hdr[512], resp[8192];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *method, *auth = NULL;
	int fd, one = 1, sel;
	unsigned status = 0;

	if (size < 1 || size > (1 << 18))
		return 0;
	if (data[0] % 8 >= 6)
		return framing_input(data + 1, size - 1);
	sel = data[0] % 8;
	method = methods[sel];
	auth = sel == 2 ? admin : sel == 3 ? ingest : sel == 4 ? cb_secret :
	       sel == 5 ? "0000000000000000000000000000000000000000000000000000000000000000" : NULL;
	target = data + 1;
	nl = memchr(target, '\n', size - 1);
	tlen = nl ? (size_t)(nl - target) : size - 1;
	blen = nl ? size - 1 - tlen - 1 : 0;
	req = malloc(3 * tlen + blen + 1024);
	if (!req)
		abort();
	n = (size_t)sprintf(req, "%s ", method);
	if (!tlen || target[0] != '/')
		n += (size_t)sprintf(req + n, "/api/v1/");
	for (size_t i = 0; i < tlen; i++) {
		uint8_t c = target[i];

		if (c <= 0x20 || c >= 0x7f || c == '#')
			n += (size_t)sprintf(req + n, "%%%02X", c);
		else
			req[n++] = (char)c;
	}
	hl = (size_t)snprintf(hdr, sizeof(hdr), " HTTP/1.1\r\nHost: 127.0.0.1\r\n%s%s%s"
			      "Content-Type: application/json\r\nContent-Length: %zu\r\n"
			      "Connection: close\r\n\r\n", auth ? "Authorization: Bearer " : "",
			      auth ? auth : "", auth ? "\r\n" : "", blen);
	memcpy(req + n, hdr, hl);
	n += hl;
	if (blen)
		memcpy(req + n, nl + 1, blen);
	n += blen;
	req[n] = 0;	/* for the diagnostics only: the request is sent by length */

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		FZ_BUG("socket: %s", strerror(errno));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	/*
	 * One connection per input at several thousand inputs/s leaves tens of
	 * thousands of TIME_WAIT sockets: with a single source address the
	 * loopback 4-tuples run out within seconds and new SYNs collide with
	 * TIME_WAIT entries (multi-second stalls that are the harness's, not
	 * the server's). Spread the client side over 127.0.0.2-127.0.0.251,
	 * choosing the port at connect time.
	 */
	{
		static unsigned rot;
		struct sockaddr_in src = { .sin_family = AF_INET };

		src.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1 + rot++ % 250);
		setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&src, sizeof(src)))
			FZ_BUG("bind 127.0.0.x: %s", strerror(errno));
	}
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		/* interrupted (libFuzzer's timer signal): the connect goes on */
		struct pollfd pw = { .fd = fd, .events = POLLOUT };
		int err = errno;
		socklen_t el = sizeof(err);

		if (err == EINTR && poll(&pw, 1, 10000) == 1)
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err && err != EINTR)
			FZ_BUG("connect: %s (server gone?)", strerror(err));
	}
	for (size_t off = 0; off < n;) {
		ssize_t w = send(fd, req + off, n - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;	/* the server may answer early (413) and close */
		off += (size_t)w;
	}
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		ssize_t rd;
		char sink[4096];

		int pr = poll(&pf, 1, 10000);

		if (pr < 0 && errno == EINTR)
			continue;	/* libFuzzer's timer signal, not a stall */
		if (pr != 1)
			stalled(fd, req);
		rd = recv(fd, got < sizeof(resp) - 1 ? resp + got : sink,
			  got < sizeof(resp) - 1 ? sizeof(resp) - 1 - got : sizeof(sink), 0);
		if (rd < 0 && errno == EINTR)
			continue;
		if (rd <= 0)
			break;
		if (got < sizeof(resp) - 1)
			got += (size_t)rd;
	}
	close(fd);
	resp[got] = 0;
	if (sscanf(resp, "HTTP/1.%*c %u", &status) != 1)
		FZ_BUG("no status line in the answer to: %.200s", req);
	if (status == 500)
		FZ_BUG("HTTP 500 for: %.300s\n--- answer:\n%.600s", req, resp);
	if (status == 200 && strstr(resp, "\r\n\r\nOUTSIDE-WEB-SECRET"))
		FZ_BUG("a file outside web/ was served for: %.300s", req);
	free(req);
	return 0;
}
