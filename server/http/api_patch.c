/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_patch.c - the /api/v1/patches routes (api_patch.h) on top of patch.c.
 *
 * The report's target_url points at the dashboard on the host the client
 * used (its Host header, when that is a plain host[:port]), else at the
 * server's own listen address.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <microhttpd.h>

#include "api.h"
#include "api_patch.h"
#include "bodies.h"
#include "config.h"
#include "dashurl.h"
#include "joblogs.h"
#include "patch.h"
#include "patchmail.h"

static bool host_ok(const char *h)
{
	size_t n = h ? strlen(h) : 0;

	if (n == 0 || n > 200)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (!(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') &&
		    !(c >= '0' && c <= '9') && !strchr(".-:[]", c))
			return false;
	}
	return true;
}

/* the dashboard's base URL for this request's links: --public-url when set,
 * else the address the client used (Host), else the server's (dashurl.h) */
static void dash_base(struct lab_req *rq, char *buf, size_t n)
{
	const char *h = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_HOST);

	if (!rq->cfg->public_url[0] && host_ok(h))
		snprintf(buf, n, "http://%s", h);
	else if (lab_dashurl(rq->cfg, buf, n))
		buf[0] = '\0';	/* no base yet: relative links */
}

int lab_api_patch_post(struct lab_req *rq, struct lab_resp *rs)
{
	json_t *body, *plan;
	int r;

	r = lab_req_json(rq, rs, &body);
	if (r)
		return r;
	/* keys, types, ranges and names first (bodies.h); the flow checks the
	 * rest before it writes anything */
	r = lab_body_check(body, lab_body_patch, "patch", rs->err, sizeof(rs->err));
	if (r) {
		json_decref(body);
		return r;
	}
	r = lab_patch_submit(rq->st, rq->cfg, body, rq->token_name, &plan,
			     rs->err, sizeof(rs->err));
	json_decref(body);
	if (r)
		return r;
	rs->status = MHD_HTTP_CREATED;
	snprintf(rs->location, sizeof(rs->location), LAB_API_PREFIX "/patches/%lld",
		 (long long)json_integer_value(json_object_get(plan, "id")));
	rs->json = plan;
	return 0;
}

int lab_api_patch_list(struct lab_req *rq, struct lab_resp *rs)
{
	json_t *items;
	int64_t limit;
	int r;

	r = lab_req_int(rq, rs, "limit", 1, 500, 100, &limit);
	if (r)
		return r;
	r = lab_patch_list(rq->st, rq->cfg, limit, &items);
	if (r)
		return r;
	rs->json = json_pack("{s:I, s:o, s:n}", "count", (json_int_t)json_array_size(items),
			     "items", items, "next_cursor");
	return rs->json ? 0 : -ENOMEM;
}

int lab_api_patch_get(struct lab_req *rq, struct lab_resp *rs)
{
	const char *fmt = lab_req_arg(rq, "format");
	char dash[LAB_DASHURL_MAX];
	json_t *rep;
	int64_t id;
	int r;

	if (fmt && strcmp(fmt, "text") && strcmp(fmt, "json") && strcmp(fmt, "eml"))
		return lab_fail(rs, -EINVAL, "format must be json, text or eml");
	r = lab_req_id(rq, rs, 0, &id);
	if (r)
		return r;
	dash_base(rq, dash, sizeof(dash));
	if (fmt && !strcmp(fmt, "eml")) {	/* a reply to the series (patchmail.h) */
		char *eml = NULL;

		r = lab_patchmail_draft(rq->st, rq->cfg, id, dash, lab_req_arg(rq, "from"), &eml,
					rs->err, sizeof(rs->err));
		return r ? r : lab_api_text(rs, eml);
	}
	r = lab_patch_report(rq->st, rq->cfg, id, dash, &rep, rs->err, sizeof(rs->err));
	if (r)
		return r;
	if (fmt && !strcmp(fmt, "text")) {
		char *text = lab_patch_report_text(rep);

		json_decref(rep);
		return lab_api_text(rs, text);
	}
	rs->json = rep;
	return 0;
}

/*
 * The preparation log of a QEMU job (kernels/build's progress for a kernel
 * the lab builds, the module and initramfs steps): STATE/logs/<id>.prep.log,
 * named by backend_qemu.c. The path is made from the config and the job's
 * id as stored, never from the request.
 */
int lab_api_job_prep_log(struct lab_req *rq, struct lab_resp *rs)
{
	char path[PATH_MAX], gone[128], notfile[96];
	struct lab_job j;
	int64_t id, off;
	int r;

	r = lab_api_log_job(rq, rs, &j, &off);
	if (r)
		return r;
	id = j.id;
	r = lab_joblog_path(rq->cfg->state_dir, id, LAB_JOBLOG_PREP, path, sizeof(path));
	lab_job_clear(&j);
	if (r)
		return r;
	snprintf(gone, sizeof(gone), "job %lld has no preparation log (not started, "
		 "or not a QEMU job)", (long long)id);
	snprintf(notfile, sizeof(notfile), "the preparation log of job %lld is not a file",
		 (long long)id);
	return lab_resp_log_file(rs, path, off, gone, notfile);
}
