/* SPDX-License-Identifier: GPL-2.0 */
/*
 * api_dash.c - GET /api/v1/overview: the dashboard's overview in one request
 * (docs/openapi.yaml, schema Overview; web/ draws it). ?kind= picks the
 * plans (nightly by default; patch, manual or any).
 *
 * Purpose: per vendor and IOMMU driver, the conformance of the latest
 * nightly plan (results passing their contract / results judged), a trend
 * over the last N nightlies, and the open regressions: for each (target,
 * case), the row of the plan diff (diff.h) between the latest nightly that
 * ran it and the nightly before that which ran it, when that row is a
 * regression. The diff engine decides, so the overview says what `iommulab
 * diff --plan`, the nightly report and the patch check say: a failure a
 * known issue covers is "expected", a change between two QEMU versions a
 * "qemu_change", each listed and counted apart, never as a regression.
 *
 * Invariants: built only from existing store reads (plans list, targets
 * list, lab_store_diff_side by plan = the latest complete result per target
 * and case of a plan, lab_diff_run by plan); nothing is written. "judged" =
 * pass + fail + error: a skip (missing capability) is counted but never
 * judged.
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
#include "diff.h"
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
	d = json_pack("{s:s, s:s, s:[], s:n, s:o, s:i, s:i, s:i}", "vendor", vendor,
		      "driver", driver, "targets", "latest", "trend", trend, "regressions", 0,
		      "expected", 0, "qemu_changes", 0);
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

/*
 * The changed rows of the plan diff @base -> @head (lab_diff_run, by plan,
 * changes only), as an object "target\ncase" -> row, cached in @cache under
 * "base:head" (one diff per pair of nightlies, however many rows ask).
 * *@index is borrowed from @cache.
 */
static int pair_rows(struct lab_store *st, json_t *cache, json_int_t base, json_int_t head,
		     json_t **index)
{
	char b[32], h[32], key[72], err[LAB_STORE_ERR_MAX];
	json_t *diff, *idx, *row;
	size_t i;
	int r;

	snprintf(key, sizeof(key), "%lld:%lld", (long long)base, (long long)head);
	*index = json_object_get(cache, key);
	if (*index)
		return 0;
	snprintf(b, sizeof(b), "%lld", (long long)base);
	snprintf(h, sizeof(h), "%lld", (long long)head);
	r = lab_diff_run(st, true, b, h, true, &diff, err, sizeof(err));
	if (r)
		return r;
	idx = json_object();
	if (!idx || json_object_set_new(cache, key, idx)) {
		json_decref(diff);
		return -ENOMEM;
	}
	json_array_foreach(json_object_get(diff, "rows"), i, row) {
		char rk[512];

		snprintf(rk, sizeof(rk), "%s\n%s", json_string_value(json_object_get(row, "target")),
			 json_string_value(json_object_get(row, "case")));
		if (json_object_set(idx, rk, row)) {
			json_decref(diff);
			return -ENOMEM;
		}
	}
	json_decref(diff);
	*index = idx;
	return 0;
}

/* driver row member @key + 1 */
static void bump(json_t *d, const char *key)
{
	json_integer_set(json_object_get(d, key), json_integer_value(json_object_get(d, key)) + 1);
}

/* {plan_id, observed, verdict, result_id} of a diff row's side */
static json_t *side_brief(json_t *plan, json_t *s)
{
	return json_pack("{s:O, s:O, s:O, s:O}", "plan_id", json_object_get(plan, "id"),
			 "observed", json_object_get(s, "observed"),
			 "verdict", json_object_get(s, "verdict"),
			 "result_id", json_object_get(s, "result_id"));
}

/*
 * Open regressions, as the diff engine judges them (diff.h: the one rule
 * `iommulab diff`, the nightly report and the patch check read): for each
 * (target, case), its latest nightly result (the newest side holding it)
 * against the nightly before that holds it, i.e. that row of the plan diff
 * of those two nightlies. A row with "regression" true goes to @regs and
 * its driver's "regressions"; a changed row a known issue covers (label
 * "expected", diff_known.h) to @expd and "expected"; any other changed row
 * whose sides ran on different QEMU versions (diff_qemu.h) to @qemu and
 * "qemu_changes". Neither of the last two is a regression.
 */
static int regressions(struct lab_store *st, json_t *sides, json_t *plans, json_t *targets,
		       json_t *drivers, json_t *regs, json_t *expd, json_t *qemu)
{
	json_t *seen = json_object(), *cache = json_object();
	size_t ns = json_array_size(sides);
	int r = -ENOMEM;

	if (!seen || !cache)
		goto put;
	for (size_t k = ns; k-- > 0;) {
		json_t *side = json_array_get(sides, k), *row;
		size_t i;

		json_array_foreach(side, i, row) {
			const char *target = json_string_value(json_object_get(row, "target"));
			const char *cs = json_string_value(json_object_get(row, "case"));
			json_t *prev = NULL, *idx, *drow, *reg, *list, *d;
			const char *count, *label;
			size_t pk = 0;
			char key[512];

			snprintf(key, sizeof(key), "%s\n%s", target, cs);
			if (json_object_get(seen, key))
				continue;	/* a newer nightly has it */
			if (json_object_set_new(seen, key, json_true()))
				goto put;
			for (size_t k2 = k; k2-- > 0;) {
				prev = side_find(json_array_get(sides, k2), target, cs);
				if (prev) {
					pk = k2;
					break;
				}
			}
			if (!prev)
				continue;	/* new: never a regression */
			r = pair_rows(st, cache,
				      json_integer_value(json_object_get(json_array_get(plans, pk), "id")),
				      json_integer_value(json_object_get(json_array_get(plans, k), "id")),
				      &idx);
			if (r)
				goto put;
			r = -ENOMEM;
			drow = json_object_get(idx, key);
			if (!drow)
				continue;	/* unchanged */
			label = json_string_value(json_object_get(json_object_get(drow, "known_issue"),
								  "label"));
			if (json_is_true(json_object_get(drow, "regression")))
				list = regs, count = "regressions";
			else if (label && !strcmp(label, "expected"))
				list = expd, count = "expected";
			else if (json_is_true(json_object_get(drow, "qemu_change")))
				list = qemu, count = "qemu_changes";
			else
				continue;
			reg = json_pack("{s:s, s:s, s:O, s:s, s:O, s:o, s:o, s:O, s:O, s:O}",
					"target", target, "vendor", vendor_of(targets, target),
					"driver", json_object_get(drow, "driver"), "case", cs,
					"class", json_object_get(drow, "class"),
					"base", side_brief(json_array_get(plans, pk),
							   json_object_get(drow, "base")),
					"head", side_brief(json_array_get(plans, k),
							   json_object_get(drow, "head")),
					"known_issue", json_object_get(drow, "known_issue"),
					"qemu", json_object_get(drow, "qemu"),
					"qemu_change", json_object_get(drow, "qemu_change"));
			if (!reg || json_array_append_new(list, reg))
				goto put;
			d = driver_row(drivers, vendor_of(targets, target),
				       json_string_value(json_object_get(drow, "driver")), ns);
			if (!d)
				goto put;
			bump(d, count);
		}
	}
	r = 0;
put:
	json_decref(cache);
	json_decref(seen);
	return r;
}

int lab_api_dash_overview(struct lab_req *rq, struct lab_resp *rs)
{
	json_t *plans = NULL, *targets = NULL, *sides = NULL, *drivers = NULL;
	json_t *regs = json_array(), *expd = json_array(), *qemu = json_array();
	json_t *nightlies, *p, *d;
	const char *kind;
	int64_t max;
	size_t i, n;
	int r;

	r = -ENOMEM;
	if (!regs || !expd || !qemu)
		goto put_lists;
	r = lab_req_int(rq, rs, "nightlies", 1, DASH_NIGHTLIES_MAX, 8, &max);
	if (r)
		goto put_lists;
	kind = lab_req_arg(rq, "kind");
	if (!kind)
		kind = "nightly";
	if (strcmp(kind, "nightly") && strcmp(kind, "patch") && strcmp(kind, "manual") &&
	    strcmp(kind, "any")) {
		r = lab_fail(rs, -EINVAL, "kind must be nightly|patch|manual|any");
		goto put_lists;
	}
	r = nightlies_pick(rq->st, strcmp(kind, "any") ? kind : NULL, max, &plans);
	if (r)
		goto put_lists;
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
	r = regressions(rq->st, sides, plans, targets, drivers, regs, expd, qemu);
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
	rs->json = json_pack("{s:s, s:o, s:o, s:O, s:O, s:O}", "kind", kind,
			     "nightlies", nightlies, "drivers", drivers, "regressions", regs,
			     "expected", expd, "qemu_changes", qemu);
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
put_lists:
	json_decref(regs);
	json_decref(expd);
	json_decref(qemu);
	return r;
}
