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
#include "bodies.h"
#include "config.h"
#include "diff.h"
#include "ingest.h"
#include "jobstate.h"
#include "log.h"
#include "names.h"
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

/*
 * A kernel of source "url" or "local" (kernels/import lays it out at its
 * first job): the source_ref is required; a local kernel's files must
 * exist on this host now (their rule, absolute without "..", is checked
 * already), and a sha256 only goes with a URL.
 */
static int byo_check(const char *src, const char *ref, const char *sha, struct lab_resp *rs)
{
	char path[1100];
	const char *p, *semi, *eq;
	size_t n;

	if (!ref)
		return lab_fail(rs, -EINVAL, "a kernel of source %s needs \"source_ref\" (%s)", src,
				!strcmp(src, "url") ? "the http(s) URL of a .deb or tar archive" :
				"deb=PATH... or image=PATH;modules=PATH;headers=PATH");
	if (!strcmp(src, "url"))
		return 0;
	if (sha)
		return lab_fail(rs, -EINVAL, "\"sha256\" goes with source url (a download), not local files");
	for (p = ref; p; p = semi ? semi + 1 : NULL) {
		semi = strchr(p, ';');
		eq = strchr(p, '=');
		n = semi ? (size_t)(semi - eq - 1) : strlen(eq + 1);
		if (n >= sizeof(path))
			return lab_fail(rs, -EINVAL, "\"source_ref\": path too long");
		memcpy(path, eq + 1, n);
		path[n] = '\0';
		if (access(path, R_OK))
			return lab_fail(rs, -EINVAL, "\"source_ref\": %s: %s", path, strerror(errno));
	}
	return 0;
}

int lab_api_kernel_post(struct lab_req *rq, struct lab_resp *rs)
{
	struct lab_kernel k = { 0 }, old = { 0 };
	const char *name, *rel, *ver, *arch, *src, *ref, *sha;
	json_t *body;
	bool existed;
	int r;

	r = api_req_body(rq, rs, lab_body_kernel, "kernel", &body);
	if (r)
		return r;
	name = api_str_of(body, "name");
	rel = api_str_of(body, "release");
	ver = api_str_of(body, "version");
	arch = api_str_of(body, "arch");
	src = api_str_of(body, "source");
	ref = api_str_of(body, "source_ref");
	sha = api_str_of(body, "sha256");
	existed = lab_store_kernel_get(rq->st, name, &old) == 0;
	if (existed && arch && strcmp(arch, old.arch) != 0) {
		r = lab_fail(rs, -EEXIST, "kernel '%s' exists with arch %s", name, old.arch);
		goto clear_old;
	}
	/* the source ref's rule is its source's (the one it will have) */
	if (ref && (r = lab_name_check_source_ref(src ? src : existed ? old.source : NULL, ref,
						  rs->err, sizeof(rs->err))))
		goto clear_old;
	/* a kernel brought by its user: what to import, and it must be there */
	if (src && (!strcmp(src, "url") || !strcmp(src, "local"))) {
		r = byo_check(src, ref, sha, rs);
		if (r)
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
	json_decref(body);
	return r;
}

