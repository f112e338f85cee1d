#!/usr/bin/env python3
"""tests/browser/findings.py - the dashboard's "Findings" pages against a
real server holding findings (used by tests/stages/57-findings.sh; Debian's
chromium through chromium-driver and python3-selenium, labbrowser.py).

usage: findings.py --url http://127.0.0.1:PORT --id ID --key KEY --out DIR
       findings.py --url URL --retired KID --reason TEXT --out DIR
Checks: the list shows finding ID (its key, state, cause, kernels) and the
known issues; the finding's page shows the fixing kernel, its links (a
lore message id as a lore.kernel.org link) and every event; the state
filter narrows the list; the diff page badges a known issue's expected
failure; no page errors. With --retired: the known issues table shows
known issue KID retired (its badge says by whom and why) and the others
active. Prints TAP-like lines; exit 1 on any failure.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labbrowser import finish, page_end, start  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--url", required=True)
ap.add_argument("--id")
ap.add_argument("--key")
ap.add_argument("--retired", help="a retired known issue's id")
ap.add_argument("--reason", default="", help="its retire reason")
ap.add_argument("--out", default=".")
args = ap.parse_args()
b, t = start(1280, 900)


def pages():
    b.open(args.url, "#/findings", "findings")
    rows = b.texts("#findings tbody tr")
    # cells' texts run together: "1openq35-a..." (id, state, target, ...)
    mine = [r for r in rows if r.startswith(args.id + "open") or r.startswith(args.id + "fixed")]
    t.check("list: finding %s with its cause and kernels" % args.id,
            len(mine) == 1 and "kmod.attach.one" in mine[0] and "EINVAL \u2192 ENODEV" in mine[0],
            json.dumps(rows))
    keys = b.js("return [...document.querySelectorAll('#findings tbody tr')].map(r => r.dataset.key)")
    t.check("list: rows carry the stable key", args.key in keys, json.dumps(keys))
    known = b.texts("#known-issues tbody tr")
    t.check("list: the known issues", len(known) == 2 and any("SVA on TCG" in k for k in known), json.dumps(known))
    b.open(args.url, "#/findings?state=fixed", "findings")
    fixed = b.texts("#findings tbody tr")
    t.check("state filter: only fixed findings", fixed and all("fixed" in r for r in fixed), json.dumps(fixed))
    b.open(args.url, "#/finding/" + args.id, "finding")
    state = b.text("#finding-state") or ""
    t.check("finding page: state and cause", "EINVAL \u2192 ENODEV" in state, state)
    ev = b.texts("#finding-events tbody tr")
    t.check("finding page: every event (8)", len(ev) == 8 and "reopened" in ev[-1], json.dumps(ev))
    href = b.attr("#finding-links a", "href") or ""
    t.check("finding page: a lore message id links to lore.kernel.org",
            href.startswith("https://lore.kernel.org/r/20261203101500.4242-1-dev%40example.org"), href)
    page_end(b, t, os.path.join(args.out, "finding.png"))
    # the diff page: 6.12's kmod.sva.bind crash is known issue 1's expected failure
    b.open(args.url, "#/diff?base=6.1&head=6.12", "diff")
    badge = b.js("const e = document.querySelector('table.diff [data-known]');"
                 "return e && [e.dataset.known, e.dataset.ki, e.textContent, e.title, "
                 "e.closest('tr').textContent]")
    t.check("diff page: the known crash is badged expected (known issue 1, its reason)",
            badge and badge[0] == "expected" and badge[1] == "1" and "known issue 1" in badge[2]
            and "SVA on TCG" in badge[3] and "kmod.sva.bind" in badge[4], json.dumps(badge))
    cnt = b.text("#diff-expected") or ""
    t.check("diff page: the summary counts expected rows", cnt.startswith("2 expected"), cnt)
    page_end(b, t, os.path.join(args.out, "diff-known.png"))


def retired_page():
    b.open(args.url, "#/findings", "findings")
    rows = b.js("return [...document.querySelectorAll('#known-issues tbody tr')].map(r => "
                "[r.cells[0].textContent, r.dataset.state, r.cells[1].textContent, "
                "(r.cells[1].querySelector('[title]') || {}).title || ''])")
    mine = [r for r in rows if r[0] == args.retired]
    t.check("known issues: %s shown retired, by whom and why" % args.retired,
            len(mine) == 1 and mine[0][1] == "retired" and mine[0][2] == "retired"
            and "retired by admin" in mine[0][3] and args.reason in mine[0][3], json.dumps(rows))
    t.check("known issues: the others shown active",
            len(rows) > 1 and all(r[1] == "active" and r[2] == "active" for r in rows if r[0] != args.retired),
            json.dumps(rows))
    page_end(b, t, os.path.join(args.out, "known-retired.png"))


if args.retired:
    finish(b, t, "findings page renders retired known issues", retired_page)
else:
    finish(b, t, "findings pages render", pages)
