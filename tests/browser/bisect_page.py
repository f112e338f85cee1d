#!/usr/bin/env python3
"""tests/browser/bisect_page.py - the dashboard's "Bisections" pages against
a real server holding a finished bisection (used by tests/stages/62-bisect.sh;
Debian's chromium through chromium-driver and python3-selenium,
tests/browser/labbrowser.py, as patch_report.py).

usage: bisect_page.py --url http://127.0.0.1:PORT --id ID --commit SHA --out DIR
Prints TAP-like "ok -"/"not ok -" lines; exit 1 on any failure.
"""
import argparse
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labbrowser import finish, page_end, start  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--url", required=True)
ap.add_argument("--id", required=True)
ap.add_argument("--commit", required=True)
ap.add_argument("--series-id", required=True)
ap.add_argument("--out", default=".")
args = ap.parse_args()
b, t = start(1280, 900)


def pages():
    b.open(args.url, "#/bisect", "bisect")
    row = [x for x in b.texts("#bisections tbody tr") if x.startswith("#" + args.id)]
    t.check("list: the bisection, found, with its first bad commit",
            len(row) == 1 and "found" in row[0] and args.commit[:12] in row[0], json.dumps(row))
    srow = [x for x in b.texts("#bisections tbody tr") if x.startswith("#" + args.series_id)]
    t.check("list: the series bisection with its first bad patch",
            len(srow) == 1 and "found" in srow[0] and "patch 3" in srow[0], json.dumps(srow))
    t.check("list: a failed bisection with its reason",
            any("failed" in x and "good end" in x for x in b.texts("#bisections tbody tr")), "")
    b.open(args.url, "#/bisect/" + args.series_id, "bisect")
    fb = b.text("#bisect-first-bad") or ""
    t.check("series bisection: first bad patch 3 and its diff stat",
            "patch 3" in fb and "drivers/iommu/intel/iommu.c" in fb, fb[:300])
    b.open(args.url, "#/bisect/" + args.id, "bisect")
    t.check("one bisection: state found", "found" in (b.text("#bisect-state") or ""), b.text("#bisect-state") or "")
    fb = b.text("#bisect-first-bad") or ""
    t.check("one bisection: the first bad commit and its diff stat",
            args.commit in fb and "drivers/iommu/intel/iommu.c" in fb, fb[:300])
    steps = b.texts("#bisect-steps tbody tr")
    t.check("step table: a row per step with its judgement and errnos",
            len(steps) >= 2 and any("skip" in x for x in steps) and any(re.search(r"bad.*ENODEV", x) for x in steps),
            json.dumps(steps))
    link = b.attr("#bisect-steps tbody a", "href") or ""
    t.check("step table: job links", re.match(r"^#/job/\d+$", link), link)
    t.check("git bisect log shown", "first bad commit" in (b.text("#bisect-log") or ""), "")
    page_end(b, t, os.path.join(args.out, "bisect.png"))


finish(b, t, "bisection pages render", pages)
