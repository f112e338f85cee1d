/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_dash.c - GET /api/v1/overview: the dashboard's overview in one request
 * (docs/openapi.yaml, schema Overview; web/ draws it). ?kind= picks the
 * plans (nightly by default; patch, manual or any).
 *
 * Purpose: per vendor and IOMMU driver, the conformance of the latest
 * nightly plan (results passing their contract / results judged), a trend
 * over the last N nightlies, and the open regressions: (target, case) pairs
 * that fail (or error) in the latest nightly that ran them and passed in the
 * nightly before that which ran them.
 *
 * Invariants: built only from existing store reads (plans list, targets
 * list, lab_store_diff_side by plan = the latest complete result per target
 * and case of a plan); nothing is written. "judged" = pass + fail + error:
 * a skip (missing capability) is counted but never judged.
 *
 * Ownership: every json_t built here is owned by the response on success
 * (rs->json) and released on every error path.
 *
 * Errors: 0 or -errno from the store; -EINVAL (400) for a bad ?nightlies=.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "api_dash.h"
#include "model.h"
#include "store.h"
#include "views.h"

#define DASH_NIGHTLIES_MAX 30
#define DASH_PLAN_PAGE 200
#define DASH_PLAN_SCAN_MAX 20000

/* newest-first scan for up to @max plans of @kind (NULL = any); returns them oldest first */
static int nightlies_pick(struct lab_store *st, const char *want, int64_t max, json_t **out)
{
	json_t *picked = json_array();
	int64_t off;
	int r = 0;

	if (!picked)
		return -ENOMEM;
	for (off = 0; off < DASH_PLAN_SCAN_MAX && (int64_t)json_array_size(picked) < max;
	     off += DASH_PLAN_PAGE) {
		json_t *page, *p;
		size_t i;

		r = lab_store_plans_list(st, DASH_PLAN_PAGE, off, &page);
		if (r)
			goto put_picked;
		json_array_foreach(page, i, p) {
			const char *kind = json_string_value(json_object_get(p, "kind"));

			if (!kind || (want && strcmp(kind, want)))
				continue;
			if ((int64_t)json_array_size(picked) >= max)
				break;
			if (json_array_insert(picked, 0, p)) {
				json_decref(page);
				r = -ENOMEM;
				goto put_picked;
			}
		}
		i = json_array_size(page);
		json_decref(page);
		if (i < DASH_PLAN_PAGE)
			break;
	}
	*out = picked;
	return 0;
put_picked:
	json_decref(picked);
	return r;
}

/* target name -> vendor ("unknown" when the target has none) */
static const char *vendor_of(json_t *targets, const char *target)
{
	json_t *t;
	size_t i;

	json_array_foreach(targets, i, t) {
		const char *n = json_string_value(json_object_get(t, "name"));
		const char *v = json_string_value(json_object_get(t, "vendor"));

		if (n && target && strcmp(n, target) == 0)
			return v && *v ? v : "unknown";
	}
	return "unknown";
}

/* a count per verdict of the model (every one: a new verdict needs no edit here) */
static json_t *counts_new(void)
{
	json_t *c = json_pack("{s:i, s:i}", "judged", 0, "total", 0);

	for (int v = 0; c && v <= LAB_VERDICT_LAST; v++) {
		if (json_object_set_new(c, lab_verdict_name((enum lab_verdict)v),
					json_integer(0))) {
			json_decref(c);
			return NULL;
		}
	}
	return c;
}

static int counts_add(json_t *c, const char *verdict)
{
	json_t *v = json_object_get(c, verdict);

	if (!v)
		return -EINVAL;
	json_integer_set(v, json_integer_value(v) + 1);
	json_integer_set(json_object_get(c, "total"),
			 json_integer_value(json_object_get(c, "total")) + 1);
	if (strcmp(verdict, "skip"))
		json_integer_set(json_object_get(c, "judged"),
				 json_integer_value(json_object_get(c, "judged")) + 1);
	return 0;
}

/* the row of (vendor, driver) in @drivers, created with @n trend slots (null) */
static json_t *driver_row(json_t *drivers, const char *vendor, const char *driver,
			  size_t n)
{
	json_t *d, *trend;
	size_t i;

	json_array_foreach(drivers, i, d) {
		if (!strcmp(json_string_value(json_object_get(d, "vendor")), vendor) &&
		    !strcmp(json_string_value(json_object_get(d, "driver")), driver))
			return d;
	}
	trend = json_array();
	for (i = 0; trend && i < n; i++)
		if (json_array_append_new(trend, json_null()))
			goto put_trend;
	if (!trend)
		return NULL;
	d = json_pack("{s:s, s:s, s:[], s:n, s:o, s:i}", "vendor", vendor, "driver", driver,
		      "targets", "latest", "trend", trend, "regressions", 0);
	if (!d || json_array_append_new(drivers, d))
		return NULL;
	return d;
put_trend:
	json_decref(trend);
	return NULL;
}

static int add_target(json_t *d, const char *target)
{
	json_t *ts = json_object_get(d, "targets"), *t;
	size_t i;

	json_array_foreach(ts, i, t)
		if (!strcmp(json_string_value(t), target))
			return 0;
	return json_array_append_new(ts, json_string(target)) ? -ENOMEM : 0;
}

/* one nightly's results (diff side rows) into the trend slot @slot of each driver */
static int fold_side(json_t *drivers, json_t *targets, json_t *side, size_t slot,
		     size_t n, json_t *plan)
{
	json_t *row;
	size_t i;

	json_array_foreach(side, i, row) {
		const char *target = json_string_value(json_object_get(row, "target"));
		const char *driver = json_string_value(json_object_get(row, "driver"));
		const char *verdict = json_string_value(json_object_get(row, "verdict"));
		json_t *d, *trend, *c;

		if (!target || !driver || !verdict)
			return -EIO;
		d = driver_row(drivers, vendor_of(targets, target), driver, n);
		if (!d || add_target(d, target))
			return -ENOMEM;
		trend = json_object_get(d, "trend");
		c = json_array_get(trend, slot);
		if (json_is_null(c)) {
			c = counts_new();
			if (!c || json_object_set(c, "plan_id", json_object_get(plan, "id")) ||
			    json_array_set_new(trend, slot, c))
				return -ENOMEM;
		}
		if (counts_add(c, verdict))
			return -EIO;
	}
	return 0;
}

/* the result of (target, case) in a diff side, or NULL */
static json_t *side_find(json_t *side, const char *target, const char *cs)
{
	json_t *row;
	size_t i;

	json_array_foreach(side, i, row) {
		if (!strcmp(json_string_value(json_object_get(row, "target")), target) &&
		    !strcmp(json_string_value(json_object_get(row, "case")), cs))
			return row;
	}
	return NULL;
}

static bool failing(json_t *row)
{
	const char *v = json_string_value(json_object_get(row, "verdict"));

	return v && (!strcmp(v, "fail") || !strcmp(v, "error") ||
		     !strcmp(v, "crash") || !strcmp(v, "warn"));
}

/*
 * Open regressions: for each (target, case), its latest nightly result (the
 * newest side holding it) fails while the nightly before, holding it, passed.
 */
static int regressions(json_t *sides, json_t *plans, json_t *targets,
		       json_t *drivers, json_t **out)
{
	json_t *regs = json_array(), *seen = json_object();
	size_t ns = json_array_size(sides);
	int r = -ENOMEM;

	if (!regs || !seen)
		goto put;
	for (size_t k = ns; k-- > 0;) {
		json_t *side = json_array_get(sides, k), *row;
		size_t i;

		json_array_foreach(side, i, row) {
			const char *target = json_string_value(json_object_get(row, "target"));
			const char *cs = json_string_value(json_object_get(row, "case"));
			const char *driver = json_string_value(json_object_get(row, "driver"));
			json_t *prev = NULL, *reg, *d;
			size_t pk = 0;
			char key[512];

			snprintf(key, sizeof(key), "%s\n%s", target, cs);
			if (json_object_get(seen, key))
				continue;	/* a newer nightly has it */
			if (json_object_set_new(seen, key, json_true()))
				goto put;
			if (!failing(row))
				continue;
			for (size_t k2 = k; k2-- > 0;) {
				prev = side_find(json_array_get(sides, k2), target, cs);
				if (prev) {
					pk = k2;
					break;
				}
			}
			if (!prev || strcmp(json_string_value(json_object_get(prev, "verdict")), "pass"))
				continue;
			reg = json_pack("{s:s, s:s, s:s, s:s, s:{s:O, s:O, s:O, s:O}, "
					"s:{s:O, s:O, s:O, s:O}}",
					"target", target, "vendor", vendor_of(targets, target),
					"driver", driver, "case", cs,
					"base", "plan_id", json_object_get(json_array_get(plans, pk), "id"),
					"observed", json_object_get(prev, "observed"),
					"verdict", json_object_get(prev, "verdict"),
					"result_id", json_object_get(prev, "result_id"),
					"head", "plan_id", json_object_get(json_array_get(plans, k), "id"),
					"observed", json_object_get(row, "observed"),
					"verdict", json_object_get(row, "verdict"),
					"result_id", json_object_get(row, "result_id"));
			if (!reg || json_array_append_new(regs, reg))
				goto put;
			d = driver_row(drivers, vendor_of(targets, target), driver, ns);
			if (!d)
				goto put;
			json_integer_set(json_object_get(d, "regressions"),
					 json_integer_value(json_object_get(d, "regressions")) + 1);
		}
	}
	json_decref(seen);
	*out = regs;
	return 0;
put:
	json_decref(seen);
	json_decref(regs);
	return r;
}

int lab_api_dash_overview(struct lab_req *rq, struct lab_resp *rs)
{
	json_t *plans = NULL, *targets = NULL, *sides = NULL, *drivers = NULL;
	json_t *regs = NULL, *nightlies, *p, *d;
	const char *kind;
	int64_t max;
	size_t i, n;
	int r;

	r = lab_req_int(rq, rs, "nightlies", 1, DASH_NIGHTLIES_MAX, 8, &max);
	if (r)
		return r;
	kind = lab_req_arg(rq, "kind");
	if (!kind)
		kind = "nightly";
	if (strcmp(kind, "nightly") && strcmp(kind, "patch") && strcmp(kind, "manual") &&
	    strcmp(kind, "any"))
		return lab_fail(rs, -EINVAL, "kind must be nightly|patch|manual|any");
	r = nightlies_pick(rq->st, strcmp(kind, "any") ? kind : NULL, max, &plans);
	if (r)
		return r;
	r = lab_store_targets_list(rq->st, &targets);
	if (r)
		goto put_plans;
	r = -ENOMEM;
	sides = json_array();
	drivers = json_array();
	nightlies = json_array();
	if (!sides || !drivers || !nightlies) {
		json_decref(nightlies);
		goto put_all;
	}
	n = json_array_size(plans);
	json_array_foreach(plans, i, p) {
		json_t *side, *spec = json_object_get(p, "spec");

		r = lab_store_diff_side(rq->st, true, json_integer_value(json_object_get(p, "id")),
					&side);
		if (r)
			goto put_nightlies;
		if (json_array_append_new(sides, side) ||
		    json_array_append_new(nightlies, json_pack("{s:O, s:O, s:O, s:O, s:I}",
				"id", json_object_get(p, "id"), "name", json_object_get(p, "name"),
				"created_at", json_object_get(p, "created_at"),
				"kernels", json_is_object(spec) && json_object_get(spec, "kernels") ?
					   json_object_get(spec, "kernels") : json_null(),
				"results", (json_int_t)json_array_size(side)))) {
			r = -ENOMEM;
			goto put_nightlies;
		}
		r = fold_side(drivers, targets, side, i, n, p);
		if (r)
			goto put_nightlies;
	}
	r = regressions(sides, plans, targets, drivers, &regs);
	if (r)
		goto put_nightlies;
	/* latest = the newest trend slot the driver has results in */
	json_array_foreach(drivers, i, d) {
		json_t *trend = json_object_get(d, "trend");

		for (size_t k = json_array_size(trend); k-- > 0;) {
			if (!json_is_null(json_array_get(trend, k))) {
				json_object_set(d, "latest", json_array_get(trend, k));
				break;
			}
		}
	}
	rs->json = json_pack("{s:s, s:o, s:o, s:o}", "kind", kind, "nightlies", nightlies,
			     "drivers", drivers, "regressions", regs);
	drivers = NULL;
	r = rs->json ? 0 : -ENOMEM;
	goto put_all;
put_nightlies:
	json_decref(nightlies);
put_all:
	json_decref(drivers);
	json_decref(sides);
	json_decref(targets);
put_plans:
	json_decref(plans);
	return r;
}
