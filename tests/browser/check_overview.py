#!/usr/bin/env python3
"""tests/browser/check_overview.py - recompute GET /api/v1/overview from the
plain API (/plans, /targets, /jobs?plan=, /results?job=) and compare.

usage: check_overview.py URL [NIGHTLIES [KIND]]   (KIND: nightly, patch, manual, any)

Independent of server/api_dash.c: the latest complete result per (target,
case) of each of the newest NIGHTLIES nightly plans, counted per (vendor,
driver); open regressions = (target, case) whose newest nightly result
fails (fail, error, crash or warn) while the previous nightly holding it passed. Prints
"ok - ..." / "not ok - ..." lines; exit 1 on a mismatch.
"""
import json
import os
import re
import sys
import urllib.request

# every verdict a record can carry, from the one list the agent and the server
# share (include/iommulab_record.h); the ones that count as failing a contract
_HDR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "include", "iommulab_record.h")
with open(_HDR) as _f:
    _m = re.search(r"#define LAB_RECORD_VERDICTS\(X\)((?:.*\\\n)*.*)", _f.read())
VERDICTS = re.findall(r'X\("([a-z]+)"\)', _m.group(1))
FAILING = ("fail", "error", "crash", "warn")


def get(url, path):
    with urllib.request.urlopen(url + "/api/v1" + path, timeout=60) as r:
        return json.loads(r.read())


def main():
    url = sys.argv[1].rstrip("/")
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 8
    kind = sys.argv[3] if len(sys.argv) > 3 else "nightly"
    plans, off = [], 0
    while True:
        page = get(url, "/plans?limit=200&offset=%d" % off)["items"]
        plans += page
        if len(page) < 200:
            break
        off += 200
    nightlies = sorted((p for p in plans if kind in ("any", p["kind"])), key=lambda p: p["id"])[-n:]
    vendor = {t["name"]: (t.get("vendor") or "unknown") for t in get(url, "/targets")["items"]}
    sides = []
    for p in nightlies:
        latest = {}
        for j in get(url, "/jobs?plan=%d&state=complete&limit=1000" % p["id"])["items"]:
            cursor = ""
            while True:
                l = get(url, "/results?job=%d&limit=1000%s" % (j["id"], cursor))
                for r in l["items"]:
                    k = (r["target"], r["case"])
                    if k not in latest or r["id"] > latest[k]["id"]:
                        latest[k] = r
                if not l["next_cursor"]:
                    break
                cursor = "&cursor=%d" % l["next_cursor"]
        sides.append(latest)
    want = {}
    for i, side in enumerate(sides):
        for (t, c), r in side.items():
            key = (vendor.get(t, "unknown"), r["driver"])
            slots = want.setdefault(key, [None] * len(sides))
            if slots[i] is None:
                slots[i] = {v: 0 for v in VERDICTS}
            slots[i][r["verdict"]] += 1
    regs = set()
    for i in range(len(sides) - 1, -1, -1):
        for k, r in sides[i].items():
            if any(k in sides[j] for j in range(i + 1, len(sides))):
                continue
            if r["verdict"] not in FAILING:
                continue
            prev = next((sides[j][k] for j in range(i - 1, -1, -1) if k in sides[j]), None)
            if prev and prev["verdict"] == "pass":
                regs.add((k[0], k[1], prev["id"], r["id"]))

    o = get(url, "/overview?nightlies=%d&kind=%s" % (n, kind))
    bad = 0

    def check(name, cond, why=""):
        nonlocal bad
        print(("ok - " if cond else "not ok - ") + name + ("" if cond else ": " + str(why)[:300]))
        bad += not cond

    check("overview kind=%s: the %d newest plans" % (kind, len(nightlies)),
          [x["id"] for x in o["nightlies"]] == [p["id"] for p in nightlies], o["nightlies"])
    got = {(d["vendor"], d["driver"]): [None if c is None else {k: c[k] for k in VERDICTS}
                                        for c in d["trend"]] for d in o["drivers"]}
    check("overview: per vendor/driver trend counts equal the recomputation (%d drivers, %d results)"
          % (len(want), sum(len(s) for s in sides)), got == want,
          "got %s want %s" % (got, want))
    gregs = {(g["target"], g["case"], g["base"]["result_id"], g["head"]["result_id"]) for g in o["regressions"]}
    check("overview: the %d open regressions equal the recomputation" % len(regs), gregs == regs,
          "extra %s missing %s" % (sorted(gregs - regs)[:3], sorted(regs - gregs)[:3]))
    per = {}
    for d in o["drivers"]:
        n_d = sum(1 for g in o["regressions"] if (g["vendor"], g["driver"]) == (d["vendor"], d["driver"]))
        per[(d["vendor"], d["driver"])] = n_d == d["regressions"]
    check("overview: each driver's regression count matches its list", all(per.values()), per)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
