/* SPDX-License-Identifier: GPL-2.0 */
/*
 * nightly.h - the nightly schedule: plans of kind "nightly" at a time of
 * day (or a small cron subset), each compared with the previous nightly
 * when its jobs are final, and a signed webhook (the subscriptions'
 * outbox, core/outbox.h) on regressions.
 *
 * Config: a JSON file, $IOMMULAB_NIGHTLY or else STATE/nightly.json
 * (absent = no nightlies), re-read when its mtime changes:
 *   {"at": "HH:MM"                      UTC time of day, or
 *    "cron": "MIN HOUR * * DOW",        MIN/HOUR/DOW: *, a number or a
 *                                       comma list (DOW 0-6, 0 = Sunday)
 *    "kernels": ["6.12",                a Debian kernel as fetch-debian takes
 *                                       it (6.1, 6.12: the newest package;
 *                                       or an exact release), x86_64
 *                {"debian": "6.12", "arch": "arm64"},  x86_64|arm64|s390x
 *                {"tree": "debian-6.12" | "/abs/git@ref",
 *                 "patches": "/abs/mbox-or-dir",   optional
 *                 "name": "..."}],      a tree the lab builds (kernels/build,
 *                                       cached by hash; the recipe is rebuilt
 *                                       each night, so a moving ref is
 *                                       followed)
 *    "targets": [...], "cases": "...", "repeat": N, "timeout_s": N,
 *    "webhook": "http://127.0.0.1:PORT/path",   http(s) only
 *    "webhook_secret": "..."}           16+ bytes: its deliveries are signed
 *
 * Debian kernels follow new uploads: at fire time each Debian entry is
 * resolved with `kernels/fetch-debian --resolve` (apt metadata only, a few
 * seconds on the scheduler thread, 60 s at most; $IOMMULAB_FETCH_DEBIAN
 * names another resolver, for tests) and registered as kernel
 * "debian-<release>" (release, version = the package's, arch, source
 * debian, source_ref = the image package); the job's preparation downloads
 * it. A new upload is a new kernel, so the comparison with the previous
 * nightly shows what it changed. When resolving fails the entry uses the
 * last kernel registered for it (name debian-*, same arch, release of that
 * series), logged as a warning and marked "fallback" in the run's state;
 * with none, the entry is left out (warning, state); with no kernel left,
 * or any entry malformed, the night makes no plan and its run records the
 * reason ("error"): never skipped silently. Tree entries are registered
 * once by name (x86_64).
 *
 * State: STATE/nightly-state.json {"last_slot": T, "runs": [{"slot": T,
 * "plan": ID (0 = none made), "compared": bool, "previous": ID|null,
 * "regressions": N, "inconsistent": N, "expected": N, "expected_passed": N,
 * "webhook": 0 (none) | "queued" | "error" | why it was refused,
 * "subscription": ID (with "queued"),
 * "kernels": [{"debian", "arch", "kernel", "release", "resolved",
 * "fallback", "error"} | {"recipe", "kernel"}], "error": "why no plan"}]}
 * (the newest 60 runs), written to a temp
 * file and renamed. With no state yet, the schedule starts at the current
 * slot (nothing fires for the past). A slot that passed while the server
 * was down fires at the first tick after start: a missed nightly runs at
 * the next start (once, however many were missed).
 *
 * Regressions (flakiness-aware): rows of the plan-vs-plan diff (diff.h)
 * that diff.h calls a regression ("regression": true): pass_to_fail (the
 * head consistently fails where some base repeat passed: a consistent
 * regression stays one even if the base was flaky), new_crash,
 * new_warning, missing (the case stopped reporting: a crashed or hung run;
 * not when every head job of that target was canceled), setup_changed with a
 * head that does not pass, and errno_changed of a consistently failing
 * head. Rows of class flaky (the head's repeats disagree) with a failing
 * repeat in the head are "inconsistent", never regressions. Each regression
 * carries "runs" (the fewer repeats of the two sides) and "confidence" =
 * 1 - 2^-runs (0.5 for one run each, 0.875 for three): a heuristic saying
 * how many agreeing repeats back the call.
 * Both sides of every regression and inconsistent row carry "errnos", the
 * distribution of the observed errno over that side's repeats, e.g.
 * {"EINVAL": 2, "OK": 1} (lab_store_result_errnos: one grouped query on
 * the results_job index per side).
 *
 * Known issues (core/diff_known.h): a row the diff labels "expected" (a
 * known issue covers its failing or missing head) is listed in "expected",
 * never in "regressions" or "inconsistent"; a row labelled
 * "expected_passed" (a known issue covers it, yet the head passes where the
 * base failed) is listed in "expected_passed" and logged as a warning (the
 * known issue may be retired), and the summary names the command that
 * retires each such known issue once ("; known issue 3 passes again:
 * retire it with: iommulab findings retire 3 --reason TEXT"). Both lists
 * carry the row's "known_issue" {id, label, reason[, retire]}; a retired
 * known issue labels nothing (its rows are judged like any other).
 *
 * Webhook body: {"event": "nightly.regression", "plan", "previous_plan",
 * "slot", "regressions": [ROW + runs + confidence], "inconsistent": [ROW],
 * "expected": [ROW], "expected_passed": [ROW], "summary": "...",
 * "diff_url": "/api/v1/diffs?base_plan=..&head_plan=.."}.
 * Queued once per compared nightly with regressions (expected failures
 * alone send nothing) as outbox event
 * "nightly-regression" (core/outbox.h), in one transaction: to every
 * subscription that wants it, and to "webhook" as the subscription
 * nightly.json owns (created_by "config:nightly.json", added or updated to
 * the file's webhook and webhook_secret; with neither a webhook nor a
 * valid secret it wants no event). flows/deliver.c signs, sends, retries
 * and logs it like any delivery.
 *
 * Clock: time(NULL), or for tests the epoch seconds in the file named by
 * $IOMMULAB_CLOCK_FILE (read at every tick).
 *
 * Threads: lab_nightly_tick() is called from the scheduler thread only and
 * keeps its state in this module; it rate-limits itself to once a second.
 * Errors: 0 or -errno; problems are logged and retried at the next tick.
 */
#ifndef LAB_NIGHTLY_H
#define LAB_NIGHTLY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <jansson.h>

#include "config.h"
#include "store.h"

/* one scheduler-loop tick: fire due nightlies, compare finished ones;
 * returns 1 when it created a plan (the caller should pick jobs), else 0 */
int lab_nightly_tick(struct lab_store *st, const struct lab_config *cfg);

/* the newest slot <= @now of the schedule in @cfg_json, or -EINVAL */
int lab_nightly_slot(json_t *cfg_json, time_t now, time_t *slot);

/*
 * Compare nightly plan @head with @base: fills *out with
 * {"regressions": [...], "inconsistent": [...], "expected": [...],
 * "expected_passed": [...], "qemu_changes": [...], "summary": "..."}.
 * A changed row whose sides ran on two QEMU versions (the diff's
 * "qemu_change") is listed in qemu_changes and is no regression.
 */
int lab_nightly_compare(struct lab_store *st, int64_t base, int64_t head,
			json_t **out);

#endif /* LAB_NIGHTLY_H */
