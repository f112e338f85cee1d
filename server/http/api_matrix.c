/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_matrix.c - GET /matrix, GET /diffs (api.h; shared helpers: api_int.h).
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

/* ---- matrix, diffs --------------------------------------------------------- */

int lab_api_matrix(struct lab_req *rq, struct lab_resp *rs)
{
	const char *name = lab_req_arg(rq, "kernel");
	char key[CACHE_KEY_MAX];
	size_t klen;
	uint64_t gen;
	int64_t kid;
	int r;

	if (!name)
		return lab_fail(rs, -EINVAL, "query argument kernel is required");
	/* the generation before any query: a body is never newer than it */
	gen = lab_store_generation(rq->st);
	klen = api_cache_key(key, (const char *const[]){ "matrix", name }, 2);
	if (api_cache_hit(rs, key, klen, gen))
		return 0;
	r = api_named_id(rq, rs, &api_kernel_kind, name, &kid);
	if (r)
		return r;
	r = lab_store_matrix_text(rq->st, kid, &rs->text, &rs->text_len);
	if (r)
		return r;
	return api_cache_answer(rs, key, klen, gen);
}


static bool wants_text(struct lab_req *rq)
{
	const char *fmt = lab_req_arg(rq, "format");
	const char *acc = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
						      MHD_HTTP_HEADER_ACCEPT);

	if (fmt)
		return strcmp(fmt, "text") == 0;
	return acc && strstr(acc, "text/plain") && !strstr(acc, "application/json");
}

int lab_api_diffs(struct lab_req *rq, struct lab_resp *rs)
{
	const char *base = lab_req_arg(rq, "base"), *head = lab_req_arg(rq, "head");
	const char *bp = lab_req_arg(rq, "base_plan"), *hp = lab_req_arg(rq, "head_plan");
	const char *fmt = lab_req_arg(rq, "format");
	/* a diff across two twin targets (diff_qemu.h): both or neither */
	const char *tg[2] = { lab_req_arg(rq, "base_target"), lab_req_arg(rq, "head_target") };
	const char *const *targets = tg[0] || tg[1] ? tg : NULL;
	int64_t changes;
	bool by_plan = false;
	char *text;
	json_t *d;
	int r;

	if (!base)
		base = lab_req_arg(rq, "from");
	if (!head)
		head = lab_req_arg(rq, "to");
	if (fmt && strcmp(fmt, "text") && strcmp(fmt, "json"))
		return lab_fail(rs, -EINVAL, "format must be json or text");
	if (bp || hp) {
		if (base || head || !bp || !hp)
			return lab_fail(rs, -EINVAL, "give base_plan and head_plan, or base and head");
		base = bp;
		head = hp;
		by_plan = true;
	} else if (!base || !head) {
		return lab_fail(rs, -EINVAL, "query arguments base and head (kernel names) "
				"or base_plan and head_plan are required");
	}
	if (targets && (!tg[0] || !tg[1]))
		return lab_fail(rs, -EINVAL, "give base_target and head_target together");
	r = lab_req_int(rq, rs, "changes_only", 0, 1, 0, &changes);
	if (r)
		return r;
	if (!wants_text(rq)) {
		uint64_t gen = lab_store_generation(rq->st);
		char key[CACHE_KEY_MAX];
		size_t klen = api_cache_key(key, (const char *const[]){ "diffs",
					by_plan ? "plan" : "kernel", base, head,
					changes ? "1" : "0", tg[0] ? tg[0] : "", tg[1] ? tg[1] : "" },
					7);

		if (api_cache_hit(rs, key, klen, gen))
			return 0;
		r = lab_diff_run_targets_text(rq->st, by_plan, base, head, targets, changes,
					      &rs->text, &rs->text_len, rs->err, sizeof(rs->err));
		return r ? r : api_cache_answer(rs, key, klen, gen);
	}
	r = lab_diff_run_targets(rq->st, by_plan, base, head, targets, changes, &d, rs->err,
				 sizeof(rs->err));
	if (r)
		return r;
	/* the text table (not cached: a terminal's request, not a dashboard's) */
	text = lab_diff_text(d);
	json_decref(d);
	return lab_api_text(rs, text);
}

