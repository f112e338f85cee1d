#!/usr/bin/env python3
"""tests/browser/job_provenance.py - the dashboard's job page shows the
job's provenance (used by tests/stages/58-reproduce.sh; Debian's chromium
through chromium-driver and python3-selenium, labbrowser.py).

usage: job_provenance.py --url http://127.0.0.1:PORT --job ID --initrd-sha SHA
       --qemu VERSION --out DIR
Prints TAP-like lines; exit 1 on any failure.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labbrowser import finish, page_end, start  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--url", required=True)
ap.add_argument("--job", required=True)
ap.add_argument("--initrd-sha", required=True)
ap.add_argument("--qemu", required=True)
ap.add_argument("--out", default=".")
args = ap.parse_args()
b, t = start(1280, 900)


def page():
    b.open(args.url, "#/job/" + args.job, "job")
    b.js("document.querySelector('#job-provenance').open = true")
    txt = b.text("#job-provenance") or ""
    t.check("job page: provenance with the initramfs SHA-256 and QEMU %s" % args.qemu,
            args.initrd_sha in txt and args.qemu in txt and "reproduce " + args.job in txt, txt[:400])
    cmd = b.text("#job-qemu-cmd") or ""
    t.check("job page: the QEMU command line", "qemu-system-x86_64" in cmd and "-initrd" in cmd, cmd[:200])
    page_end(b, t, os.path.join(args.out, "job-provenance.png"))


finish(b, t, "job page renders", page)
