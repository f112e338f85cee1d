#!/usr/bin/env python3
"""tests/browser/patch_report.py - the dashboard's "Patch reports" pages
against a real server holding a finished patch plan (used by
tests/stages/65-patch.sh; Debian's chromium through chromium-driver and
python3-selenium, tests/browser/labbrowser.py, as dashboard.py).

usage: patch_report.py --url http://127.0.0.1:PORT --plan ID --out DIR
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
ap.add_argument("--plan", required=True)
ap.add_argument("--out", default=".")
args = ap.parse_args()
b, t = start(1280, 900)


def pages():
    b.open(args.url, "#/patches", "patches")
    row = [x for x in b.texts("#patch-plans tbody tr") if x.startswith("#" + args.plan)]
    t.check("list: the plan with its report state", len(row) == 1 and "fail" in row[0], json.dumps(row))
    b.open(args.url, "#/patches/" + args.plan, "patches")
    state = b.text("#patch-state") or ""
    t.check("report: state fail and the summary", "fail" in state and "driver" in state, state)
    checks = b.texts("#patch-checks tbody tr")
    t.check("report: one row per Patchwork check, intel-iommu fails",
            any(re.match(r"^fail.*iommulab/intel-iommu", x) for x in checks), json.dumps(checks))
    cv = b.texts('[id="cv-intel-iommu"] tbody tr')
    t.check("report: the contract violation row (EINVAL -> ENODEV) links to its result",
            len(cv) == 1 and "kmod.coherency.vtd_no_snoop" in cv[0] and "EINVAL" in cv[0] and "ENODEV" in cv[0],
            json.dumps(cv))
    link = b.attr('[id="cv-intel-iommu"] tbody a', "href") or ""
    t.check("report: result link", re.match(r"^#/result/\d+$", link), link)
    page_end(b, t, os.path.join(args.out, "patch-report.png"))


finish(b, t, "patch report pages render", pages)
