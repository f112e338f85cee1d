#!/usr/bin/env python3
"""tests/browser/overview_apart.py - the dashboard's overview page lists the
rows the diff engine does not count apart from its open regressions (used
by tests/stages/57-findings.sh; Debian's chromium through chromium-driver
and python3-selenium, labbrowser.py).

usage: overview_apart.py --url http://127.0.0.1:PORT --out DIR
Checks, against GET /overview?nightlies=8 (what the page asks): the open
regressions table has its rows; the "Expected failures" table has the
expected rows, each naming its known issue; the "QEMU changes" table has
the QEMU changes with both versions; each driver row's Expected cell says
its expected count and QEMU changes; no page errors. Prints TAP-like
lines; exit 1 on any failure.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labbrowser import api_get, finish, page_end, start  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--url", required=True)
ap.add_argument("--out", default=".")
args = ap.parse_args()
b, t = start(1280, 900)


def page():
    o = api_get(args.url, "/overview?nightlies=8")
    b.open(args.url, "#/", "overview")
    n = b.count("#regressions tbody tr")
    t.check("overview page: %d open regressions listed" % len(o["regressions"]),
            n == len(o["regressions"]), n)
    exp = b.texts("#expected tbody tr")
    t.check("overview page: the %d expected failures listed apart, each with its known issue"
            % len(o["expected"]),
            o["expected"] and len(exp) == len(o["expected"]) and all(
                "known issue %d" % g["known_issue"]["id"] in r for g, r in zip(o["expected"], exp)),
            json.dumps(exp))
    qc = b.texts("#qemu-changes tbody tr")
    t.check("overview page: the %d QEMU changes listed apart, with both versions" % len(o["qemu_changes"]),
            o["qemu_changes"] and len(qc) == len(o["qemu_changes"]) and all(
                "QEMU %s \u2192 %s" % (g["qemu"]["base"], g["qemu"]["head"]) in r
                for g, r in zip(o["qemu_changes"], qc)), json.dumps(qc))
    cells = b.js("return [...document.querySelectorAll('#overview-table tbody tr')].map((tr) => "
                 "[tr.dataset.vendor, tr.dataset.driver, tr.querySelector('td.expected').textContent])")
    want = [[d["vendor"], d["driver"], str(d["expected"]) +
             (" +%d QEMU" % d["qemu_changes"] if d["qemu_changes"] else "")] for d in o["drivers"]]
    t.check("overview page: each driver's Expected cell (expected, +N QEMU)",
            sorted(cells) == sorted(want), "%s != %s" % (cells, want))
    page_end(b, t, os.path.join(args.out, "overview-apart.png"))


finish(b, t, "overview page renders", page)
