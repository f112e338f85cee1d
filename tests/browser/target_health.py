#!/usr/bin/env python3
"""tests/browser/target_health.py - the dashboard's target page shows a
target's health and its history (used by tests/stages/69-health.sh;
Debian's chromium through chromium-driver and python3-selenium).

usage: target_health.py --url http://127.0.0.1:PORT --target NAME --out DIR
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labbrowser import finish, page_end, start  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--url", required=True)
ap.add_argument("--target", required=True)
ap.add_argument("--out", default=".")
args = ap.parse_args()
b, t = start(1280, 900)


def page():
    b.open(args.url, "#/target/" + args.target, "target")
    st = b.text("#target-health") or ""
    t.check("target page: health and state", "retired" in st, st)
    rows = b.texts("#target-history tbody tr")
    t.check("target page: the history, failed and passed checks with their jobs",
            len(rows) == 6 and any("check-failed" in r for r in rows) and any("check-passed" in r for r in rows)
            and "decommissioned" in rows[-1], json.dumps(rows))
    page_end(b, t, os.path.join(args.out, "target.png"))


finish(b, t, "target page renders", page)
