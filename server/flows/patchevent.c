/* SPDX-License-Identifier: GPL-2.0 */
/*
 * patchevent.c - the "patch-check" event of a patch check that reached its
 * verdict (patchevent.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "dashurl.h"
#include "flowutil.h"
#include "log.h"
#include "outbox.h"
#include "patch.h"
#include "patchevent.h"
#include "patchmail.h"
#include "store.h"
#include "views.h"

#define PATCHEVENT_MAX_PASS 8

/* the row lists of a report's driver entry (patch.h), counted in the event */
static const char *const row_lists[] = {
	"new_crashes", "new_warnings", "missing", "contract_violations", "new_failures",
	"setup_changes", "crashes_fixed", "new_passes", "errno_changes", "other_changes",
	"inconsistent", "qemu_changes",
};

static time_t last_pass;

json_t *lab_patchevent_payload(const struct lab_config *cfg, json_t *rep, json_t *spec,
			       const char *dash)
{
	char msgid[512] = "", subject[1024] = "", url[LAB_DASHURL_MAX + 64], api[LAB_DASHURL_MAX + 64];
	json_t *drivers = json_array(), *d, *check, *out;
	int64_t plan = json_integer_value(json_object_get(rep, "plan"));
	size_t i;

	if (!drivers)
		return NULL;
	/* a series without a Message-ID (a plain diff) has nothing to thread to */
	if (lab_patchmail_thread(cfg, spec, msgid, sizeof(msgid), subject, sizeof(subject)))
		msgid[0] = subject[0] = '\0';
	json_array_foreach(json_object_get(rep, "drivers"), i, d) {
		json_t *e = json_pack("{s:s, s:s, s:s}", "driver", lab_flow_str(d, "driver"),
				      "state", lab_flow_str(d, "state"),
				      "description", lab_flow_str(d, "description"));

		for (size_t k = 0; e && k < sizeof(row_lists) / sizeof(row_lists[0]); k++)
			json_object_set_new(e, row_lists[k], json_integer((json_int_t)
					    json_array_size(json_object_get(d, row_lists[k]))));
		if (!e || json_array_append_new(drivers, e)) {
			json_decref(drivers);
			return NULL;
		}
	}
	snprintf(url, sizeof(url), "%s/#/patches/%lld", dash, (long long)plan);
	snprintf(api, sizeof(api), "%s/api/v1/patches/%lld", dash, (long long)plan);
	check = json_pack("{s:I, s:s, s:s, s:s?, s:s, s:s, s:s?, s:s, s:s, s:s, s:s, s:o, s:s, s:s}",
			  "plan", (json_int_t)plan, "name", lab_flow_str(rep, "name"),
			  "subject", subject[0] ? subject : lab_flow_str(spec, "subject"),
			  "message_id", msgid[0] ? msgid : NULL,
			  "base", lab_flow_str(spec, "base"), "head", lab_flow_str(spec, "head"),
			  "base_commit", json_string_value(json_object_get(spec, "base_commit")),
			  "tree", lab_flow_str(spec, "tree"), "state", lab_flow_str(rep, "state"),
			  "stage", lab_flow_str(rep, "stage"), "summary", lab_flow_str(rep, "summary"),
			  "drivers", drivers, "url", url, "report", api);
	out = check ? json_pack("{s:s, s:o}", "event", "patch-check", "check", check) : NULL;
	return out;
}

/* emit the event of report @rep and mark plan @id announced, in one transaction */
static int announce(struct lab_store *st, const struct lab_config *cfg, int64_t id, json_t *rep,
		    json_t *spec, const char *dash)
{
	struct lab_outbox_keys keys = { 0 };
	json_t *p = lab_patchevent_payload(cfg, rep, spec, dash), *d, *t;
	char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
	size_t i;
	int r = text ? 0 : -ENOMEM;

	json_array_foreach(json_object_get(rep, "drivers"), i, d) {
		r = r ?: lab_outbox_keys_add(st, &keys, lab_flow_str(d, "driver"), NULL, NULL);
		for (size_t k = 0; k < sizeof(row_lists) / sizeof(row_lists[0]); k++) {
			size_t j;
			json_t *row;

			json_array_foreach(json_object_get(d, row_lists[k]), j, row)
				r = r ?: lab_outbox_keys_add(st, &keys, NULL, NULL,
							     lab_flow_str(row, "case"));
		}
	}
	json_array_foreach(json_object_get(rep, "targets"), i, t)
		r = r ?: lab_outbox_keys_add(st, &keys, NULL, json_string_value(t), NULL);
	r = r ?: lab_store_tx_begin(st);
	if (!r) {
		r = lab_outbox_emit_keys(st, "patch-check", &keys, text) ?:
		    lab_store_patch_announce(st, id, lab_flow_str(rep, "state"));
		r = r ?: lab_store_tx_commit(st);
		if (r)
			lab_store_tx_rollback(st);
	}
	lab_outbox_keys_clear(&keys);
	free(text);
	json_decref(p);
	return r;
}

int lab_patchevent_tick(struct lab_store *st, const struct lab_config *cfg)
{
	int64_t ids[PATCHEVENT_MAX_PASS];
	char dash[LAB_DASHURL_MAX], err[256];
	time_t now = time(NULL);
	size_t n = 0;
	int done = 0;

	if (now == last_pass)
		return 0;
	last_pass = now;
	if (lab_store_patch_unannounced(st, ids, PATCHEVENT_MAX_PASS, &n) || !n)
		return 0;
	/* links name the port the server bound (dashurl.h): none yet, next pass */
	if (lab_dashurl(cfg, dash, sizeof(dash)))
		return 0;
	for (size_t i = 0; i < n; i++) {
		json_t *rep = NULL, *plan = NULL, *spec;
		int r = lab_patch_report(st, cfg, ids[i], dash, &rep, err, sizeof(err));

		if (r == -ENOENT) {	/* not a check any more (kernels gone): never announced */
			lab_warn("patchevent: plan %lld: %s; not announced", (long long)ids[i], err);
			lab_store_patch_announce(st, ids[i], "error");
			continue;
		}
		if (!r && !strcmp(lab_flow_str(rep, "state"), "pending")) {
			json_decref(rep);
			continue;
		}
		r = r ?: lab_store_plan_json(st, ids[i], &plan);
		spec = json_object_get(json_object_get(plan, "spec"), "patch");
		r = r ?: announce(st, cfg, ids[i], rep, spec, dash);
		if (r)
			lab_warn("patchevent: plan %lld: the patch-check event was not queued (%s); "
				 "next pass", (long long)ids[i], strerror(-r));
		else
			lab_info("patchevent: patch check %lld: %s, event queued", (long long)ids[i],
				 lab_flow_str(rep, "state"));
		done += !r;
		json_decref(plan);
		json_decref(rep);
	}
	return done;
}
