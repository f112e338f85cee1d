/* SPDX-License-Identifier: GPL-2.0 */
/*
 * plan.c - plan expansion: a JSON plan becomes one job per kernel x target
 * (plan.h). Above the store: it validates the plan, resolves target names
 * and match expressions (match.h), and writes the plan and its jobs in one
 * store transaction.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "match.h"
#include "model.h"
#include "names.h"
#include "plan.h"
#include "store.h"
#include "views.h"

static int int_field(json_t *o, const char *key, int def, int lo, int hi,
		     int *out, char *err, size_t errlen)
{
	json_t *v = json_object_get(o, key);

	if (!v || json_is_null(v)) {
		*out = def;
		return 0;
	}
	if (!json_is_integer(v) || json_integer_value(v) < lo ||
	    json_integer_value(v) > hi) {
		snprintf(err, errlen, "\"%s\" must be an integer %d..%d", key, lo, hi);
		return -EINVAL;
	}
	*out = (int)json_integer_value(v);
	return 0;
}

/* the one name rule (names.h) */
static bool valid_filter(const char *f)
{
	return lab_name_ok(LAB_NAME_CASE_FILTER, f);
}

static bool has_id(json_t *arr, json_int_t id)
{
	size_t i;
	json_t *t;

	json_array_foreach(arr, i, t)
		if (json_integer_value(json_object_get(t, "id")) == id)
			return true;
	return false;
}

/*
 * A plan's "targets": each entry is a target name or, when no target has
 * that name, a match expression of sched.h (e.g. "tag=vtd", "driver=amd-*",
 * "*"). A name that is not a valid expression -> -ENOENT; an expression
 * that matches nothing -> -EINVAL. Result: target objects, without repeats.
 */
static int resolve_targets(struct lab_store *st, json_t *targets, json_t **out,
			   char *err, size_t errlen)
{
	json_t *all = json_array(), *every = NULL, *v, *t;
	size_t i, k;
	int r = 0;

	if (!all)
		return -ENOMEM;
	json_array_foreach(targets, i, v) {
		const char *name = json_string_value(v);
		int hits = 0;

		r = lab_store_target_json(st, name, &t);
		if (r == 0) {
			if (!has_id(all, json_integer_value(json_object_get(t, "id"))))
				json_array_append(all, t);
			json_decref(t);
			continue;
		}
		if (r != -ENOENT)
			goto put_all;
		/* a plain word is a name; only "=", a glob or "all" make an expression */
		if (strpbrk(name, "=*?[") == NULL && strcmp(name, "all") != 0) {
			if (lab_name_check(LAB_NAME_TARGET, "\"targets\"", name, err, errlen)) {
				r = -EINVAL;
				goto put_all;
			}
			snprintf(err, errlen, "unknown target '%.64s'", name);
			r = -ENOENT;
			goto put_all;
		}
		if (lab_sched_match_check(name) != 0) {
			snprintf(err, errlen, "unknown target '%.64s' (and not a match "
				 "expression)", name);
			r = -ENOENT;
			goto put_all;
		}
		if (!every && (r = lab_store_targets_list(st, &every)))
			goto put_all;
		json_array_foreach(every, k, t) {
			struct lab_target tt;
			int m;

			r = lab_store_target_get_id(st, json_integer_value(json_object_get(t, "id")), &tt);
			if (r)
				goto put_all;
			m = lab_sched_match(name, &tt);
			lab_target_clear(&tt);
			if (m < 0) {
				r = m;
				goto put_all;
			}
			if (m == 1) {
				hits++;
				if (!has_id(all, json_integer_value(json_object_get(t, "id"))))
					json_array_append(all, t);
			}
		}
		if (!hits) {
			snprintf(err, errlen, "targets[%zu] '%.64s' matches no usable target", i, name);
			r = -EINVAL;
			goto put_all;
		}
	}
	json_decref(every);
	*out = all;
	return 0;
put_all:
	json_decref(every);
	json_decref(all);
	return r;
}

/* @own_tx: BEGIN .. COMMIT here; else the caller's open transaction (it
 * rolls back on failure) */
static int plan_create(struct lab_store *st, json_t *plan, const char *created_by,
		       int64_t *plan_id, int *njobs, char *err, size_t errlen, bool own_tx)
{
	static const char *const kinds[] = { "nightly", "patch", "manual", NULL };
	json_t *kernels, *targets, *all = NULL, *v;
	const char *kind, *name, *cases;
	int repeat, priority, max_attempts, timeout_s, jobs = 0, r;
	char dummy[8], *spec = NULL;
	int64_t pid;
	size_t i, k;
	bool kind_ok = false;

	if (!err) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	if (!json_is_object(plan)) {
		snprintf(err, errlen, "a plan is a JSON object");
		return -EINVAL;
	}
	kind = json_string_value(json_object_get(plan, "kind"));
	for (i = 0; kind && kinds[i]; i++)
		kind_ok |= strcmp(kind, kinds[i]) == 0;
	if (!kind_ok) {
		snprintf(err, errlen, "\"kind\" must be nightly, patch or manual");
		return -EINVAL;
	}
	v = json_object_get(plan, "name");
	name = json_string_value(v);
	if ((v && !json_is_null(v) && !name) || (name && strlen(name) > 200)) {
		snprintf(err, errlen, "\"name\" must be a string of at most 200 bytes");
		return -EINVAL;
	}
	v = json_object_get(plan, "cases");
	cases = json_string_value(v);
	if ((v && !json_is_null(v) && !cases) || (cases && !valid_filter(cases))) {
		lab_name_check(LAB_NAME_CASE_FILTER, "\"cases\"", cases ? cases : "", err, errlen);
		return -EINVAL;
	}
	kernels = json_object_get(plan, "kernels");
	if (!json_is_array(kernels) || json_array_size(kernels) == 0 ||
	    json_array_size(kernels) > 64) {
		snprintf(err, errlen, "\"kernels\" must be an array of 1-64 kernel names");
		return -EINVAL;
	}
	json_array_foreach(kernels, i, v) {
		if (!json_is_string(v)) {
			snprintf(err, errlen, "\"kernels\"[%zu] is not a string", i);
			return -EINVAL;
		}
		if (lab_name_check(LAB_NAME_KERNEL, "\"kernels\"", json_string_value(v), err, errlen))
			return -EINVAL;
	}
	targets = json_object_get(plan, "targets");
	if (targets && !json_is_null(targets) &&
	    (!json_is_array(targets) || json_array_size(targets) == 0 ||
	     json_array_size(targets) > 256)) {
		snprintf(err, errlen, "\"targets\" must be an array of 1-256 target names");
		return -EINVAL;
	}
	json_array_foreach(targets, i, v) {
		if (!json_is_string(v)) {
			snprintf(err, errlen, "\"targets\"[%zu] is not a string", i);
			return -EINVAL;
		}
	}
	if ((r = int_field(plan, "repeat", 1, 1, 1000, &repeat, err, errlen)) ||
	    (r = int_field(plan, "priority", 0, -1000, 1000, &priority, err, errlen)) ||
	    (r = int_field(plan, "max_attempts", 3, 1, 10, &max_attempts, err, errlen)) ||
	    (r = int_field(plan, "timeout_s", 600, 10, 86400, &timeout_s, err, errlen)))
		return r;
	spec = json_dumps(plan, JSON_COMPACT | JSON_SORT_KEYS);
	if (!spec)
		return -ENOMEM;

	r = own_tx ? lab_store_tx_begin(st) : 0;
	if (r)
		goto free_spec;
	r = lab_store_plan_insert(st, name, kind, spec, cases, repeat, priority,
				  created_by, &pid);
	if (r)
		goto rollback_tx;

	/* the target set: named ones, or every target that is not retired */
	if (targets && !json_is_null(targets)) {
		r = resolve_targets(st, targets, &all, err, errlen);
		if (r)
			goto rollback_tx;
	} else {
		r = lab_store_targets_list(st, &all);
		if (r)
			goto rollback_tx;
	}
	json_array_foreach(kernels, k, v) {
		struct lab_kernel kern;
		json_t *t;

		r = lab_store_kernel_get(st, json_string_value(v), &kern);
		if (r == -ENOENT)
			snprintf(err, errlen, "unknown kernel '%s'", json_string_value(v));
		if (r)
			goto rollback_tx;
		json_array_foreach(all, i, t) {
			const char *health = json_string_value(json_object_get(t, "health"));
			const char *arch = json_string_value(json_object_get(t, "arch"));
			struct lab_job j = {
				.plan_id = pid, .kernel_id = kern.id,
				.target_id = json_integer_value(json_object_get(t, "id")),
				.priority = priority, .max_attempts = max_attempts,
				.timeout_s = timeout_s, .repeat = repeat,
				.case_filter = (char *)cases,
				.backend = (char *)json_string_value(json_object_get(t, "backend")),
			};

			if ((health && strcmp(health, "retired") == 0) ||
			    !arch || strcmp(arch, kern.arch) != 0)
				continue;
			r = lab_store_job_create(st, &j);
			if (r) {
				lab_kernel_clear(&kern);
				goto rollback_tx;
			}
			jobs++;
		}
		lab_kernel_clear(&kern);
	}
	if (jobs == 0) {
		snprintf(err, errlen, "no job: no (kernel, target) pair with the same arch "
			 "and a target that is not retired");
		r = -EINVAL;
		goto rollback_tx;
	}
	r = own_tx ? lab_store_tx_commit(st) : 0;
	if (r)
		goto rollback_tx;
	json_decref(all);
	free(spec);
	if (plan_id)
		*plan_id = pid;
	if (njobs)
		*njobs = jobs;
	return 0;
rollback_tx:
	json_decref(all);
	if (own_tx)
		lab_store_tx_rollback(st);
free_spec:
	free(spec);
	return r;
}

int lab_store_plan_create_ex(struct lab_store *st, json_t *plan,
			     const char *created_by, int64_t *plan_id,
			     int *njobs, char *err, size_t errlen)
{
	return plan_create(st, plan, created_by, plan_id, njobs, err, errlen, true);
}

int lab_store_plan_create_in_tx(struct lab_store *st, json_t *plan,
				const char *created_by, int64_t *plan_id,
				int *njobs, char *err, size_t errlen)
{
	return plan_create(st, plan, created_by, plan_id, njobs, err, errlen, false);
}

int lab_store_plan_create(struct lab_store *st, json_t *plan, int64_t *plan_id)
{
	return lab_store_plan_create_ex(st, plan, NULL, plan_id, NULL, NULL, 0);
}

