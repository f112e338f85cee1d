#!/usr/bin/env python3
"""tests/browser/check_overview.py - recompute GET /api/v1/overview from the
plain API (/plans, /targets, /jobs?plan=, /results?job=) and compare.

usage: check_overview.py URL [NIGHTLIES [KIND]]   (KIND: nightly, patch, manual, any)

Independent of server/api_dash.c: the latest complete result per (target,
case) of each of the newest NIGHTLIES nightly plans, counted per (vendor,
driver); open regressions = (target, case) whose row in the plan diff
(GET /diffs?base_plan=&head_plan=, the diff engine: the one rule) between
the newest nightly holding it and the previous nightly holding it has
"regression" true; the rows labelled expected by a known issue and the
other QEMU changes are the overview's "expected" and "qemu_changes".
Prints "ok - ..." / "not ok - ..." lines; exit 1 on a mismatch.
"""
import json
import os
import re
import sys
import urllib.request

# every verdict a record can carry, from the one list the agent and the server
# share (include/iommulab_record.h)
_HDR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "include", "iommulab_record.h")
with open(_HDR) as _f:
    _m = re.search(r"#define LAB_RECORD_VERDICTS\(X\)((?:.*\\\n)*.*)", _f.read())
VERDICTS = re.findall(r'X\("([a-z]+)"\)', _m.group(1))


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
    lists = {"regressions": set(), "expected": set(), "qemu_changes": set()}
    per_want = {}
    diffs = {}
    for i in range(len(sides) - 1, -1, -1):
        for k, r in sides[i].items():
            if any(k in sides[j] for j in range(i + 1, len(sides))):
                continue
            j = next((j for j in range(i - 1, -1, -1) if k in sides[j]), None)
            if j is None:
                continue
            pair = (nightlies[j]["id"], nightlies[i]["id"])
            if pair not in diffs:
                d = get(url, "/diffs?base_plan=%d&head_plan=%d&changes_only=1" % pair)
                diffs[pair] = {(x["target"], x["case"]): x for x in d["rows"]}
            row = diffs[pair].get(k)
            if not row:
                continue
            if row["regression"]:
                which = "regressions"
            elif (row.get("known_issue") or {}).get("label") == "expected":
                which = "expected"
            elif row["qemu_change"]:
                which = "qemu_changes"
            else:
                continue
            lists[which].add((k[0], k[1], sides[j][k]["id"], r["id"]))
            dk = (vendor.get(k[0], "unknown"), r["driver"], which)
            per_want[dk] = per_want.get(dk, 0) + 1

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
    for which, want_set in lists.items():
        got_set = {(g["target"], g["case"], g["base"]["result_id"], g["head"]["result_id"])
                   for g in o.get(which, [])}
        check("overview: the %d %s equal the plan diffs' (%d diffs)" % (len(want_set), which, len(diffs)),
              got_set == want_set,
              "extra %s missing %s" % (sorted(got_set - want_set)[:3], sorted(want_set - got_set)[:3]))
    per = {}
    for d in o["drivers"]:
        for which in lists:
            n_d = sum(1 for g in o.get(which, []) if (g["vendor"], g["driver"]) == (d["vendor"], d["driver"]))
            w = per_want.get((d["vendor"], d["driver"], which), 0)
            per["%s/%s %s" % (d["vendor"], d["driver"], which)] = (n_d, d.get(which), w)
    check("overview: each driver's regressions, expected and qemu_changes counts match its lists and the diffs",
          all(a == b == c for a, b, c in per.values()), per)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
