/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fuzz_api.c - libFuzzer target: request bodies into the real API handlers.
 *
 * Input: byte 0 picks the route (POST kernels, cases, plans, results,
 * tokens, jobs/{id}/cancel, jobs/{id}/retry); for the job routes byte 1 is
 * the job id (0-255, as text, so unknown ids are exercised too); the rest is
 * the body. The handler comes from the server's own route table
 * (lab_api_routes) and runs on a real SQLite store in a scratch directory,
 * seeded once with a kernel, two targets, a case catalogue and 64 running
 * jobs (so results are accepted).
 * Invariants beyond the sanitizers:
 *  - a failing handler maps to a 4xx status (a 5xx on bad input is a bug),
 *    and a failing handler leaves the database unchanged (PRAGMA
 *    data_version seen from a second connection);
 *  - a failing handler set an error message, a succeeding one a body.
 */
#include <errno.h>
#include <sqlite3.h>

#include "catalog.h"
#include "fuzz.h"
#include "http.h"
#include "store.h"

static struct lab_store *st;
static sqlite3 *watch;
static sqlite3_stmt *dv;
static int64_t job_lo;

static const char *const routes[][2] = {
	{ "POST", "/api/v1/kernels" },
	{ "POST", "/api/v1/cases" },
	{ "POST", "/api/v1/plans" },
	{ "POST", "/api/v1/results" },
	{ "POST", "/api/v1/tokens" },
	{ "POST", "/api/v1/jobs/{}/cancel" },
	{ "POST", "/api/v1/jobs/{}/retry" },
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))

static lab_handler_fn handler_of(const char *method, const char *pattern)
{
	for (const struct lab_route *r = lab_api_routes; r->method; r++)
		if (!strcmp(r->method, method) && !strcmp(r->pattern, pattern))
			return r->fn;
	FZ_BUG("route %s %s is not in lab_api_routes", method, pattern);
	return NULL;
}

static int64_t data_version(void)
{
	int64_t v;

	if (sqlite3_step(dv) != SQLITE_ROW)
		FZ_BUG("data_version: %s", sqlite3_errmsg(watch));
	v = sqlite3_column_int64(dv, 0);
	sqlite3_reset(dv);
	return v;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char db[600];
	struct lab_kernel k = { .name = "6.1", .release = "6.1.0-56-amd64", .version = "6.1.192",
				.arch = "x86_64", .source = "debian" };
	json_t *cat;

	(void)argc;
	(void)argv;
	lab_log_set_level(LAB_LOG_ERROR);
	snprintf(db, sizeof(db), "%s/fuzz.db", fz_scratch("fuzz-api"));
	if (lab_store_open(db, fz_schema(), &st) || lab_store_kernel_put(st, &k))
		FZ_BUG("cannot create the store %s", db);
	for (int i = 0; i < 2; i++) {
		struct lab_target t = { .name = i ? "q35-amd" : "q35-vtd", .arch = "x86_64",
					.backend = "qemu", .vendor = i ? "amd" : "intel",
					.driver = i ? "amd-iommu" : "intel-iommu",
					.definition = "{}", .tags = "[\"vtd\"]", .health = "good",
					.concurrency = 2 };

		if (lab_store_target_put(st, &t))
			FZ_BUG("target");
		for (int j = 0; j < 32; j++) {
			struct lab_job jb = { .kernel_id = k.id, .target_id = t.id, .backend = "qemu" };

			if (lab_store_job_create(st, &jb) ||
			    lab_store_job_transition(st, jb.id, LAB_JOB_QUEUED, LAB_JOB_SCHEDULED, NULL) ||
			    (j % 2 && lab_store_job_transition(st, jb.id, LAB_JOB_SCHEDULED,
							       LAB_JOB_RUNNING, NULL)))
				FZ_BUG("job");
			if (!job_lo)
				job_lo = jb.id;
		}
	}
	cat = json_loads("[{\"id\":\"kmod.attach.second_domain\",\"area\":\"kmod\","
			 "\"title\":\"t\",\"contracts\":[]}]", 0, NULL);
	lab_store_cases_import(st, cat);
	json_decref(cat);
	if (sqlite3_open_v2(db, &watch, SQLITE_OPEN_READONLY, NULL) ||
	    sqlite3_prepare_v2(watch, "PRAGMA data_version", -1, &dv, NULL))
		FZ_BUG("watch connection");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lab_resp rs = { .fd = -1 };
	struct lab_req rq = { 0 };
	char idbuf[24], url[128];
	const char *const *rt;
	lab_handler_fn fn;
	size_t skip = 1;
	int64_t v0, v1;
	char *body;
	int r;

	if (size < 1)
		return 0;
	rt = routes[data[0] % NROUTES];
	fn = handler_of(rt[0], rt[1]);
	if (strstr(rt[1], "{}")) {
		if (size < 2)
			return 0;
		snprintf(idbuf, sizeof(idbuf), "%u", data[1] ? data[1] - 1u + (unsigned)job_lo : 0u);
		rq.params[0] = idbuf;
		rq.nparams = 1;
		skip = 2;
	}
	body = fz_strdup(data + skip, size - skip);
	snprintf(url, sizeof(url), "%s", rt[1]);
	rq.method = rt[0];
	rq.url = url;
	rq.body = size > skip ? body : NULL;
	rq.body_len = size - skip;
	rq.st = st;
	rq.token_name = "fuzz";
	v0 = data_version();
	r = fn(&rq, &rs);
	v1 = data_version();
	if (r) {
		unsigned status = lab_http_status(r);

		if (status >= 500)
			FZ_BUG("%s %s: handler returned %d (HTTP %u) for bad input: %s", rt[0], rt[1],
			       r, status, rs.err);
		if (v1 != v0)
			FZ_BUG("%s %s failed (%d: %s) but changed the database", rt[0], rt[1], r,
			       rs.err);
	} else if (!rs.json && !rs.text && rs.fd < 0) {
		FZ_BUG("%s %s succeeded without a body", rt[0], rt[1]);
	}
	json_decref(rs.json);
	json_decref(rs.detail);
	free(rs.text);
	if (rs.fd >= 0)
		close(rs.fd);
	free(body);
	return 0;
}
