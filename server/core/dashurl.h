/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dashurl.h - the dashboard's base URL, for the links the server writes
 * (patch-check events, patch reports, patch mail drafts).
 *
 * Purpose: one answer to "where do people reach this lab?":
 *   1. --public-url URL (config.h), when set: the address behind a reverse
 *      proxy or a DNS name, used as given (no trailing '/');
 *   2. else http://HOST:PORT, HOST the --listen address (this host's name,
 *      gethostname(2), when it listens on 0.0.0.0: no client can connect
 *      to that), PORT the port the HTTP server actually bound (main.c
 *      reports it with lab_dashurl_bound() once it listens: --port 0 binds
 *      an ephemeral one).
 * An API handler with a request in hand prefers the client's Host header
 * to 2 (api_patch.c); --public-url wins over both.
 *
 * Invariants: lab_dashurl_bound() is called once, after the HTTP server
 * bound and before or while other threads read it (an atomic store);
 * readers never see a half-written port. Until then, with --port 0 and no
 * --public-url, there is no URL yet (-EAGAIN).
 * Ownership: the caller's buffer; nothing allocated.
 * Errors: 0, -EAGAIN (the port is not bound yet), -ENAMETOOLONG (@n too
 * small; @buf then holds "" ).
 */
#ifndef LAB_DASHURL_H
#define LAB_DASHURL_H

#include <stddef.h>

#include "config.h"

#define LAB_DASHURL_MAX 600	/* fits --public-url's longest (config.h) */

/* the port the HTTP server bound (main.c, once it listens) */
void lab_dashurl_bound(unsigned port);

/* the dashboard's base URL without a trailing '/', into @buf (@n bytes) */
int lab_dashurl(const struct lab_config *cfg, char *buf, size_t n);

#endif /* LAB_DASHURL_H */
