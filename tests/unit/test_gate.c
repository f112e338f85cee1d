/* SPDX-License-Identifier: GPL-2.0 */
/*
 * test_gate.c - the check of a connection's first header block
 * (server/http/gate.c: lab_gate_check) on a table of blocks: what passes,
 * and the status and reason of each refusal. The gate's socket side runs
 * against a real iommulabd in tests/stages/29-hostile.sh.
 */
#include "gate.h"
#include "helpers.h"

static void test_check(void **state)
{
	static const struct { const char *blk; size_t len; unsigned want; const char *why; } cases[] = {
#define B(s) s, sizeof(s) - 1
		{ B("GET /jobs?limit=5&state=q HTTP/1.1\r\nHost: x\r\n\r\n"), 0, NULL },
		{ B("POST /api/v1/kernels HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n"), 0, NULL },
		{ B("POST /k HTTP/1.1\r\ncontent-length:  12 \r\n\r\n"), 0, NULL },
		{ B("POST /k HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"), 0, NULL },
		{ B("GET / HTTP/1.1\r\nX-A: a\tb\r\n\r\n"), 0, NULL },
		{ B("POST /k HTTP/1.1\r\nContent-Length: 12\r\nContent-Length: 5\r\n\r\n"), 400,
		  "Content-Length must be one header" },
		{ B("POST /k HTTP/1.1\r\nContent-Length: 12\r\nContent-Length: 12\r\n\r\n"), 400,
		  "Content-Length must be one header" },
		{ B("POST /k HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n"), 400, "Content-Length" },
		{ B("POST /k HTTP/1.1\r\nContent-Length: -1\r\n\r\n"), 400, "Content-Length" },
		{ B("POST /k HTTP/1.1\r\nContent-Length: \r\n\r\n"), 400, "Content-Length" },
		{ B("POST /k HTTP/1.1\r\nContent-Length: 1 2\r\n\r\n"), 400, "Content-Length" },
		{ B("POST /k HTTP/1.1\r\nContent-Length: 0x10\r\n\r\n"), 400, "Content-Length" },
		{ B("POST /k HTTP/1.1\r\nContent-Length: 9999999999999999999\r\n\r\n"), 413,
		  "Content-Length" },
		{ B("POST /k HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"), 400,
		  "both Content-Length and Transfer-Encoding" },
		{ B("POST /k HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n"), 400, "chunked" },
		{ B("POST /k HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"),
		  400, "Transfer-Encoding must be one header" },
		{ B("POST /k HTTP/1.1\r\nAuthorization: Bearer abc\0junk\r\n\r\n"), 401,
		  "missing or invalid token" },
		{ B("POST /k HTTP/1.1\r\nX-Note: a\0b\r\n\r\n"), 400, "control byte" },
		{ B("POST /k HTTP/1.1\r\nX-Note: a\x1b[31m\r\n\r\n"), 400, "control byte" },
		{ B("POST /k HTTP/1.1\nHost: x\r\n\r\n"), 400, "CRLF" },
		{ B("POST /k HTTP/1.1\r\nHost: x\n\r\n"), 400, "CRLF" },
		{ B("GET /jobs/1\0x HTTP/1.1\r\n\r\n"), 400, "control byte" },
		{ B("GET\r\n\r\n"), 400, "malformed request line" },
		{ B("GET  HTTP/1.1\r\n\r\n"), 400, "malformed request line" },
		{ B("GET /a b HTTP/1.1\r\n\r\n"), 400, "a space in the request target" },
		{ B("GET /a HTTP/1.1 \r\n\r\n"), 400, "a space in the request target" },
		{ B("GET /?a=1&a=2&a=3&a=4&a=5 HTTP/1.1\r\n\r\n"), 414, "5 query parameters" },
		{ B("GET /?a=1&a=2&a=3&a=4 HTTP/1.1\r\n\r\n"), 0, NULL },
		{ B("GET /0123456789012345678901234567890 HTTP/1.1\r\n\r\n"), 414, "request target" },
#undef B
	};
	const struct lab_gate_limits lim = { .header_s = 10, .per_ip = 8, .max_params = 4,
					     .max_target = 30 };
	char why[200];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned st;

		why[0] = 0;
		st = lab_gate_check(cases[i].blk, cases[i].len, &lim, why, sizeof(why));
		if (st != cases[i].want || (cases[i].why && !strstr(why, cases[i].why)))
			fail_msg("case %zu: %u '%s', want %u '%s'", i, st, why, cases[i].want,
				 cases[i].why ? cases[i].why : "");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
	};
	return cmocka_run_group_tests_name("gate", tests, NULL, NULL);
}
