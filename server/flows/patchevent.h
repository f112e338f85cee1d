/* SPDX-License-Identifier: GPL-2.0 */
/*
 * patchevent.h - the "patch-check" event (issue 18.2): a patch check
 * (patch.h) that reached its verdict is announced to the subscriptions
 * (core/outbox.h) once.
 *
 * Purpose: on the scheduler's tick (ticks.c), at most once a second, each
 * patch plan whose jobs are final (or one of them incomplete or canceled:
 * a candidate that does not apply or build is a verdict before the base
 * ran) and that was not announced yet has its report computed
 * (lab_patch_report()); when that is not "pending", one event goes to the
 * outbox and the check is marked announced (patch_announced, schema 0012)
 * in the same transaction. Payload:
 *   {"event": "patch-check", "check": {"plan": ID, "name", "subject",
 *    "message_id": "<...>" | null, "base", "head", "base_commit": SHA|null,
 *    "tree", "state": "success|warning|fail", "stage", "summary",
 *    "drivers": [{"driver", "state", "description", COUNTS}],
 *    "url": "DASH/#/patches/ID",
 *    "report": "DASH/api/v1/patches/ID"}}
 * DASH is the dashboard's base URL (core/dashurl.h: --public-url, else
 * http://LISTEN:PORT with the port the server bound; no event goes out
 * before it bound one), subject and message_id are the mail a reply answers (the cover
 * letter, else the first patch: patchmail.h), and COUNTS the number of
 * rows per class the report lists (new_crashes, contract_violations,
 * new_failures, ... as patch.h names them). Filters: a subscription's
 * driver must be one of the report's drivers, its vendor one of the
 * checked targets' vendors, its case glob match a case of a reported row.
 *
 * Invariants: at most 8 checks a pass; an error leaves the check
 * unannounced for the next pass (logged). Threads: the scheduler's only.
 */
#ifndef LAB_PATCHEVENT_H
#define LAB_PATCHEVENT_H

#include <jansson.h>

#include "config.h"
#include "store.h"

int lab_patchevent_tick(struct lab_store *st, const struct lab_config *cfg);

/* the event's payload for report @rep of plan spec @spec ({"patch": ...}'s
 * value); a new reference, NULL on ENOMEM */
json_t *lab_patchevent_payload(const struct lab_config *cfg, json_t *rep, json_t *spec,
			       const char *dash);

#endif /* LAB_PATCHEVENT_H */
