/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bisect_step.c - what every kind of bisection does the same way (contract
 * in bisect_step.h): a step's kernel registered with its recipe, the step's
 * plan of one job and its row, the bisection's state folder, failing it.
 * bisect.c (git bisections) and bisect_series.c (patch series) both stand
 * on it; it knows neither.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bisect_step.h"
#include "log.h"
#include "model.h"
#include "plan.h"
#include "store_bisect.h"

/* the number of errno name @name ("OK" = 0), -1 when it is none */
int lab_bis_errno_number(const char *name)
{
	for (int e = 0; name && e < 4096; e++) {
		const char *n = lab_errno_name(e);

		if (n && !strcmp(n, name))
			return e;
	}
	return -1;
}

int lab_bis_dir(const struct lab_config *cfg, int64_t id, const char *sub, char *buf, size_t n)
{
	int len = snprintf(buf, n, "%s/bisect/%lld/%s", cfg->state_dir, (long long)id, sub);

	return len < 0 || (size_t)len >= n ? -ENAMETOOLONG : 0;
}

/* register the step's kernel (or find it registered with the same recipe) */
static int kernel_ensure(struct lab_store *st, const char *name, const char *recipe)
{
	struct lab_kernel k = { 0 };
	int ret = lab_store_kernel_get(st, name, &k);

	if (!ret) {
		bool same = k.source && !strcmp(k.source, "build") && k.source_ref &&
			    !strcmp(k.source_ref, recipe);

		lab_kernel_clear(&k);
		return same ? 0 : -EEXIST;
	}
	if (ret != -ENOENT)
		return ret;
	k.name = (char *)name;
	k.arch = "x86_64";	/* the only arch kernels/lab.config is written for */
	k.source = "build";
	k.source_ref = (char *)recipe;
	return lab_store_kernel_put(st, &k);
}

/* step @n of @b on @commit_id (a commit, or "patch:K" of a series): the
 * kernel @kname with @recipe, a plan of one job, the step row */
int lab_bis_step_start(struct lab_store *st, struct lab_bis *b, int n, const char *commit_id,
		       const char *subject, const char *kname, const char *recipe)
{
	char pname[128];
	int64_t plan_id = 0, step_id;
	json_t *plan;
	int njobs, ret;

	snprintf(pname, sizeof(pname), "bisect %lld step %d: %.24s", (long long)b->id, n,
		 commit_id);
	plan = json_pack("{s:s, s:s, s:[s], s:[s], s:s, s:i, s:i, s:{s:I, s:i, s:s}}",
			 "kind", "manual", "name", pname, "kernels", kname, "targets", b->target,
			 "cases", b->case_id, "repeat", b->repeat, "max_attempts", 1,
			 "bisect", "id", (json_int_t)b->id, "step", n, "commit", commit_id);
	if (!plan)
		return -ENOMEM;
	if (json_object_get(b->spec, "timeout_s"))
		json_object_set(plan, "timeout_s", json_object_get(b->spec, "timeout_s"));
	ret = lab_store_tx_begin(st);
	if (ret)
		goto out;
	ret = kernel_ensure(st, kname, recipe);
	if (!ret)
		ret = lab_store_plan_create_in_tx(st, plan, "bisect", &plan_id, &njobs, NULL, 0);
	if (!ret)
		ret = lab_store_bisect_step_insert(st, b->id, n, commit_id, subject ? subject : "",
						   kname, plan_id, &step_id);
	if (!ret)
		ret = lab_store_tx_commit(st);
	if (ret)
		lab_store_tx_rollback(st);
	else
		lab_info("bisect %lld: step %d: %.24s \"%s\" (kernel %s, plan %lld)",
			 (long long)b->id, n, commit_id, subject ? subject : "", kname,
			 (long long)plan_id);
out:
	json_decref(plan);
	return ret;
}

/* the bisection is failed, with @why (logged) */
void lab_bis_fail(struct lab_store *st, int64_t id, const char *why)
{
	lab_warn("bisect %lld: failed: %s", (long long)id, why);
	lab_store_bisect_update(st, id, "failed", NULL, why);
}
