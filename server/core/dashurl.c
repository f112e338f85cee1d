/* SPDX-License-Identifier: GPL-2.0 */
/*
 * dashurl.c - the dashboard's base URL (dashurl.h).
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dashurl.h"

static atomic_uint bound_port;

void lab_dashurl_bound(unsigned port)
{
	atomic_store(&bound_port, port);
}

int lab_dashurl(const struct lab_config *cfg, char *buf, size_t n)
{
	unsigned port = atomic_load(&bound_port);
	char host[256];
	int len;

	if (!n)
		return -ENAMETOOLONG;
	buf[0] = '\0';
	if (cfg->public_url[0]) {
		len = snprintf(buf, n, "%s", cfg->public_url);
	} else {
		if (!port)
			port = cfg->port;	/* a fixed --port is the bound one */
		if (!port)
			return -EAGAIN;
		snprintf(host, sizeof(host), "%s", cfg->listen_addr);
		/* every address: the one a client can use is this host's name */
		if (!strcmp(host, "0.0.0.0")) {
			memset(host, 0, sizeof(host));
			if (gethostname(host, sizeof(host) - 1) || !host[0])
				snprintf(host, sizeof(host), "127.0.0.1");
		}
		len = snprintf(buf, n, "http://%s:%u", host, port);
	}
	if (len < 0 || (size_t)len >= n) {
		buf[0] = '\0';
		return -ENAMETOOLONG;
	}
	return 0;
}
