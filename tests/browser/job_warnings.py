#!/usr/bin/env python3
"""tests/browser/job_warnings.py - the dashboard shows a job's warning and a
configuration error where a user looks (issue 12 point 4), on the job page
(#/job/ID) and on the plan's page (#/jobs?plan=ID), for real jobs the
server's runner finished (tests/stages/80-dashboard.sh makes them; Debian's
chromium through chromium-driver and python3-selenium, labbrowser.py).

usage: job_warnings.py --url http://127.0.0.1:PORT --plan ID --warn-job ID
       --error-job ID [--broken-job ID] --out DIR
  --warn-job    a complete job whose reason is "warning: ..." (no probe module)
  --error-job   an incomplete job whose reason is "configuration error: ...",
                that never booted (has_log false)
  --broken-job  an incomplete configuration error WITH a console log: a
                target rig/boot refused as known broken (has_log true)
What a page shows is checked against GET /jobs/ID: the reason's text in a
box of its own (class warning / error, a background of its own, above the
log); the log by has_log, never by the reason: a job with a console log
shows it (and its preparation log in a box of its own when has_prep_log),
a job that never booted shows its preparation log, without a failed
request for a serial log; and on the plan's page one box per kind listing
the job with its reason and a link to it. Prints TAP-like lines; exit 1 on
any failure.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labbrowser import api_get, finish, http_text, page_end, start  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--url", required=True)
ap.add_argument("--plan", required=True, type=int)
ap.add_argument("--warn-job", required=True, type=int)
ap.add_argument("--error-job", required=True, type=int)
ap.add_argument("--broken-job", type=int)
ap.add_argument("--out", default=".")
args = ap.parse_args()
b, t = start(1280, 900)

# a box: shown, coloured (its own background) and its class list
BOX = """const e = document.querySelector(arguments[0]);
if (!e) return null;
const r = e.getBoundingClientRect(), log = document.querySelector('#job-log');
return {cls: e.className, text: e.textContent, shown: r.width > 0 && r.height > 0,
        bg: getComputedStyle(e).backgroundColor,
        above_log: log ? r.bottom <= log.getBoundingClientRect().top : null};"""
NO_BG = ("rgba(0, 0, 0, 0)", "transparent")


def shown_box(name, box, cls, want):
    """one check: BOX is visible, has class CLS and a background, holds WANT"""
    why = "no such element" if box is None else \
        "class %r, shown %s, background %s: %r" % (box["cls"], box["shown"], box["bg"], box["text"][:300])
    t.check(name, box is not None and cls in box["cls"].split() and box["shown"] and
            box["bg"] not in NO_BG and want in box["text"], why)


def job_page(job, cls, prefix, label, shot):
    j = api_get(args.url, "/jobs/%d" % job)
    reason = j.get("reason") or ""
    if not reason.startswith(prefix):
        t.bad("job #%d: the API's reason starts with %r" % (job, prefix), reason[:200])
        return
    b.open(args.url, "#/job/%d" % job, "job")
    box = b.js(BOX, "#job-reason")
    text = reason[len(prefix):]
    shown_box("job #%d (%s): a %s box says %r and the reason: %s" % (job, j["state"], cls, label, text[:120]),
              box, cls, label + text)
    t.check("job #%d: the box is above the log" % job, box is not None and box["above_log"],
            box and box["above_log"])
    stray = b.js("return [...document.querySelector('#job-head').childNodes]"
                 ".filter((n) => n.nodeType === 3 && /^(null|undefined)$/.test(n.textContent)).length;")
    t.check("job #%d: no stray 'null' in the job's head (provenance %s)" % (job, "none" if j.get("provenance") is None else "recorded"),
            stray == 0, stray)
    logs(job, j)
    page_end(b, t, os.path.join(args.out, shot))


# what the page shows under the head: its title, the log, the status line, the prep box
LOGS = """const q = (s) => document.querySelector(s);
return {title: q('#log-title') && q('#log-title').textContent, log: q('#job-log') && q('#job-log').textContent,
        status: q('#log-status') && q('#log-status').textContent,
        prep_shown: !!q('#job-prep') && !q('#job-prep').hidden && q('#job-prep').getClientRects().length > 0,
        prep: q('#job-prep-log') && q('#job-prep-log').textContent};"""


def logs(job, j):
    """the log the page shows follows has_log (never the reason): the console
    log and, when there is one, the preparation log in its box; else the
    preparation log alone"""
    b.wait("return document.querySelector('#log-status').textContent.length > 0;")
    got = b.js(LOGS)
    short = {k: (v[:120] if isinstance(v, str) else v) for k, v in got.items()}
    if j.get("has_log"):
        con = http_text(args.url + "/api/v1/jobs/%d/log" % job)
        t.check("job #%d (has_log): the page shows its console log (%d bytes) under 'Serial log'" % (job, len(con)),
                got["title"] == "Serial log" and got["log"] == con and "no serial log" not in got["status"], short)
        if j.get("has_prep_log"):
            prep = http_text(args.url + "/api/v1/jobs/%d/prep-log" % job)
            t.check("job #%d (has_prep_log): and its preparation log (%d bytes) in a box of its own" % (job, len(prep)),
                    got["prep_shown"] and got["prep"] == prep, short)
    else:
        prep = http_text(args.url + "/api/v1/jobs/%d/prep-log" % job) if j.get("has_prep_log") else ""
        t.check("job #%d (never booted): the page shows its preparation log (%d bytes), not a missing serial log" % (job, len(prep)),
                j.get("has_prep_log") is True and got["title"] == "Preparation log" and got["log"] == prep and
                "no serial log" in got["status"] and not got["prep_shown"], short)


def pages():
    job_page(args.warn_job, "warning", "warning: ", "Warning: ", "job-warning.png")
    job_page(args.error_job, "error", "configuration error: ", "Configuration error (not retried): ",
             "job-config-error.png")
    if args.broken_job:
        j = api_get(args.url, "/jobs/%d" % args.broken_job)
        t.check("job #%d: a configuration error with a console log (has_log true)" % args.broken_job,
                j.get("has_log") is True and (j.get("reason") or "").startswith("configuration error: not booted: "),
                {k: j.get(k) for k in ("state", "has_log", "reason")})
        job_page(args.broken_job, "error", "configuration error: ", "Configuration error (not retried): ",
                 "job-known-broken.png")
        con = b.text("#job-log") or ""
        t.check("job #%d: its console log on the page says why rig/boot did not boot it" % args.broken_job,
                "iommulab-boot: not booted: " in con, con[:200])
    p = api_get(args.url, "/plans/%d" % args.plan)
    t.check("plan #%d: the API counts 1 warning and 1 configuration error" % args.plan,
            p.get("warnings") == 1 and p.get("configuration_errors") == 1,
            {k: p.get(k) for k in ("warnings", "configuration_errors")})
    b.open(args.url, "#/jobs?plan=%d" % args.plan, "jobs")
    for sel, cls, job, prefix, what in (
            ("#plan-warnings", "warning", args.warn_job, "warning: ", "1 job(s) complete with a warning"),
            ("#plan-config-errors", "error", args.error_job, "configuration error: ",
             "1 job(s) failed by a configuration error")):
        reason = api_get(args.url, "/jobs/%d" % job)["reason"] or ""
        shown_box("plan page: the %s box says %r" % (cls, what), b.js(BOX, sel), cls, "Plan #%d: %s" % (args.plan, what))
        li = b.js(BOX, "%s li[data-job='%d']" % (sel, job))
        t.check("plan page: the %s box lists job #%d with its reason" % (cls, job),
                li is not None and li["shown"] and ("#%d" % job) in li["text"] and reason[len(prefix):] in li["text"],
                li and li["text"][:300])
    b.screenshot(os.path.join(args.out, "plan-warnings.png"))
    b.click("#plan-warnings li[data-job='%d'] a" % args.warn_job)
    b.wait("return document.body.dataset.ready === 'job' && location.hash === arguments[0];",
           "#/job/%d" % args.warn_job)
    t.ok("plan page: the listed job links to its page")
    page_end(b, t, os.path.join(args.out, "job-warning-from-plan.png"))


finish(b, t, "warning and configuration error pages render", pages)
