/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_kernels.c - GET/POST /kernels, GET /kernels/{name} (api.h; shared helpers: api_int.h).
 *
 * Each handler validates its input completely before it calls the store, so
 * bad input changes nothing; the store's transactions make each write
 * all-or-nothing. Handlers return 0 with @rs filled, or -errno with rs->err.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <microhttpd.h>

#include "api.h"
#include "api_int.h"
#include "auth.h"
#include "config.h"
#include "diff.h"
#include "ingest.h"
#include "jobstate.h"
#include "log.h"
#include "plan.h"
#include "record.h"
#include "respcache.h"
#include "sched.h"
#include "store.h"
#include "views.h"

/* ---- kernels --------------------------------------------------------------- */

int lab_api_kernels_list(struct lab_req *rq, struct lab_resp *rs)
{
	return api_list_all(rq, rs, lab_store_kernels_list);
}

int lab_api_kernel_get(struct lab_req *rq, struct lab_resp *rs)
{
	return api_named_get(rq, rs, &api_kernel_kind, rq->params[0], &rs->json);
}

static bool one_of(const char *s, const char *const *set)
{
	for (int i = 0; set[i]; i++)
		if (strcmp(s, set[i]) == 0)
			return true;
	return false;
}

int lab_api_kernel_post(struct lab_req *rq, struct lab_resp *rs)
{
	static const char *const arches[] = { "x86_64", "arm64", "s390x", NULL };
	static const char *const sources[] = { "debian", "url", "build", NULL };
	static const char *const allowed[] = { "name", "release", "version", "arch",
		"source", "source_ref", "sha256", NULL };
	struct lab_kernel k = { 0 }, old = { 0 };
	const char *name, *rel, *ver, *arch, *src, *ref, *sha, *key;
	json_t *body, *v;
	bool existed;
	int r;

	r = lab_req_json(rq, rs, &body);
	if (r)
		return r;
	if (!json_is_object(body)) {
		r = lab_fail(rs, -EINVAL, "a kernel is a JSON object");
		goto put_body;
	}
	json_object_foreach(body, key, v) {
		if (!one_of(key, allowed)) {
			r = lab_fail(rs, -EINVAL, "unknown key \"%.64s\" (allowed: name, release, "
				     "version, arch, source, source_ref, sha256)", key);
			goto put_body;
		}
	}
	if ((r = api_opt_str(body, "name", 64, &name, rs)) ||
	    (r = api_opt_str(body, "release", 128, &rel, rs)) ||
	    (r = api_opt_str(body, "version", 64, &ver, rs)) ||
	    (r = api_opt_str(body, "arch", 16, &arch, rs)) ||
	    (r = api_opt_str(body, "source", 16, &src, rs)) ||
	    (r = api_opt_str(body, "source_ref", 1024, &ref, rs)) ||
	    (r = api_opt_str(body, "sha256", 64, &sha, rs)))
		goto put_body;
	if (!api_name_ok(name, 64, KERNEL_NAME_SET)) {
		r = lab_fail(rs, -EINVAL, "\"name\" is required: [A-Za-z0-9._+-], 1-64 chars");
		goto put_body;
	}
	if ((arch && !one_of(arch, arches)) || (src && !one_of(src, sources))) {
		r = lab_fail(rs, -EINVAL, "\"arch\" must be x86_64|arm64|s390x and "
			     "\"source\" debian|url|build");
		goto put_body;
	}
	if (sha && !api_name_ok(sha, 64, "0123456789abcdef")) {
		r = lab_fail(rs, -EINVAL, "\"sha256\" must be lowercase hex");
		goto put_body;
	}
	existed = lab_store_kernel_get(rq->st, name, &old) == 0;
	if (existed && arch && strcmp(arch, old.arch) != 0) {
		r = lab_fail(rs, -EEXIST, "kernel '%s' exists with arch %s", name, old.arch);
		goto clear_old;
	}
	k.name = (char *)name;
	k.release = (char *)rel;
	k.version = (char *)ver;
	k.arch = (char *)(arch ? arch : existed ? old.arch : NULL);
	k.source = (char *)(src ? src : existed ? old.source : NULL);
	k.source_ref = (char *)ref;
	k.sha256 = (char *)sha;
	r = lab_store_kernel_put(rq->st, &k);
	if (r)
		goto clear_old;
	r = lab_store_kernel_json(rq->st, name, &rs->json);
	if (r)
		goto clear_old;
	rs->status = existed ? MHD_HTTP_OK : MHD_HTTP_CREATED;
	if (!existed)
		snprintf(rs->location, sizeof(rs->location), LAB_API_PREFIX "/kernels/%s", name);
	lab_info("api: kernel %s %s by %s", name, existed ? "updated" : "registered",
		 rq->token_name);
clear_old:
	lab_kernel_clear(&old);
put_body:
	json_decref(body);
	return r;
}

