#!/usr/bin/env python3
"""tests/browser/ingest.py - fill a test iommulabd through its API.

usage: ingest.py real URL STATE_DIR FIXTURES KERNEL...   real QEMU run logs
       ingest.py load URL STATE_DIR N                    N synthetic results

Both modes talk to a running iommulabd (started with --no-scheduler on a
throw-away --state-dir) with the admin token from STATE_DIR/admin.token:
they register kernels (POST /kernels), submit nightly plans (POST /plans),
and ingest one job's records per POST /results with complete=true.

The one step not done through the API is the scheduler's: with
--no-scheduler nobody claims a job, and /results only accepts a job that is
scheduled or running. So, like tests/stages/25-api.sh, this plays the
scheduler in SQL: queued -> running with attempts=1, started_at and, for
real runs, log_path = a copy of the console log under STATE_DIR/logs (what
backend_qemu records), so /jobs/ID/log serves the real serial log.

real: FIXTURES/<kernel>/<target>.log are console logs of real QEMU boots
(tests/browser/fixtures makes them); each is POSTed whole as {"log": ...}
and the server's record scanner parses it. One nightly plan per kernel, in
the order given. Then a manual plan (both kernels x q35-vtd) and a patch
plan are submitted: one of the manual plan's jobs is canceled with a
reason (API), the other is claimed as running with the first half of a real
log (the browser test appends the rest and watches the job page follow it),
the patch plan's job stays queued.

load: a LOAD FIXTURE, synthetic but valid records (docs/records.md) that
never came from a guest, for page-load timing only: 20 kernels "load-K##"
x every target in the server x ceil(N / (20 x targets)) cases, one nightly
plan per kernel. Never point it at the real-results database.

Prints a JSON summary on stdout (plans, jobs, results); exit 1 on any error.
"""
import json
import os
import random
import shutil
import sqlite3
import sys
import time
import urllib.error
import urllib.request


def die(msg):
    print("ingest.py: " + msg, file=sys.stderr)
    sys.exit(1)


class Api:
    def __init__(self, url, token):
        self.url, self.token = url.rstrip("/"), token

    def call(self, method, path, body=None, want=(200, 201)):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + "/api/v1" + path, data=data, method=method)
        req.add_header("Authorization", "Bearer " + self.token)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                status, payload = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, payload = e.code, e.read()
        if status not in want:
            die("%s %s -> %d: %s" % (method, path, status, payload[:400].decode("utf-8", "replace")))
        return json.loads(payload) if payload else None


def claim(db, job_id, log_path=None):
    """the scheduler's part (see the module comment): queued -> running"""
    con = sqlite3.connect(db, timeout=30)
    try:
        cur = con.execute("UPDATE jobs SET state = 2, attempts = attempts + 1, "
                          "started_at = strftime('%s','now'), log_path = ? "
                          "WHERE id = ? AND state = 0", (log_path, job_id))
        con.commit()
        if cur.rowcount != 1:
            die("job %d was not queued" % job_id)
    finally:
        con.close()


def plan_jobs(api, plan_id):
    jobs = api.call("GET", "/jobs?plan=%d&limit=1000" % plan_id)["items"]
    return sorted(jobs, key=lambda j: j["id"])


def real(url, state, fixtures, kernels):
    api = Api(url, open(os.path.join(state, "admin.token")).read().strip())
    db = os.path.join(state, "iommulab.db")
    logs_dir = os.path.join(state, "logs")
    os.makedirs(logs_dir, exist_ok=True)
    top = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
    agent = os.environ.get("LAB_AGENT") or os.path.join(os.environ.get("O", os.path.join(top, "build")),
                                                       "agent", "iommulab-agent")
    out = {"plans": [], "jobs": 0, "results": 0, "cases": 0}
    if os.access(agent, os.X_OK):
        import subprocess
        cat = subprocess.run([agent, "-l", "-j"], capture_output=True, text=True, timeout=60)
        if cat.returncode == 0 and cat.stdout.strip():
            out["cases"] = api.call("POST", "/cases", json.loads(cat.stdout))["imported"]
    for k in kernels:
        kdir = os.path.join(fixtures, k)
        release = open(os.path.join(kdir, "release")).read().strip()
        api.call("POST", "/kernels", {"name": k, "release": release, "arch": "x86_64",
                                      "source": "debian"})
        logs = sorted(f[:-4] for f in os.listdir(kdir) if f.endswith(".log"))
        if not logs:
            die("no logs for kernel %s in %s" % (k, kdir))
        p = api.call("POST", "/plans", {"kind": "nightly", "name": "nightly %s (real QEMU runs)" % k,
                                        "kernels": [k], "targets": logs})
        out["plans"].append(p["id"])
        for j in plan_jobs(api, p["id"]):
            src = os.path.join(kdir, j["target"] + ".log")
            dst = os.path.join(logs_dir, "job-%d.log" % j["id"])
            shutil.copyfile(src, dst)
            claim(db, j["id"], dst)
            text = open(src, "rb").read().decode("utf-8", "replace")
            r = api.call("POST", "/results", {"job": j["id"], "log": text, "complete": True}, want=(201,))
            out["jobs"] += 1
            out["results"] += r["stored"]
    # real queued work for the jobs page and the patch reports page
    m = api.call("POST", "/plans", {"kind": "manual", "name": "queued: rerun q35-vtd",
                                    "kernels": list(kernels), "targets": ["q35-vtd"], "priority": 5})
    pp = api.call("POST", "/plans", {"kind": "patch", "name": "iommu/vt-d: example candidate",
                                     "kernels": [kernels[-1]], "targets": ["q35-vtd"]})
    out["queued_plans"] = [m["id"], pp["id"]]
    # a canceled job with its reason (through the API) and one job that runs:
    # claimed like the scheduler does, its console log is the first half of
    # a real log; the browser test appends the rest while the job page polls
    mj = plan_jobs(api, m["id"])
    api.call("POST", "/jobs/%d/cancel" % mj[0]["id"],
             {"reason": "canceled by the dashboard test: superseded by a newer plan"}, want=(202,))
    run = mj[-1]
    src = os.path.join(fixtures, run["kernel"], run["target"] + ".log")
    if os.path.exists(src):
        dst = os.path.join(logs_dir, "job-%d.log" % run["id"])
        data = open(src, "rb").read()
        cut = data.rfind(b"\n", 0, len(data) // 2) + 1
        open(dst, "wb").write(data[:cut])
        claim(db, run["id"], dst)
        out["running"] = {"job": run["id"], "log": dst, "src": src, "cut": cut}
    print(json.dumps(out))


LOAD_ERRNOS = [0, 22, 16, 19, 95, 14, 1, 28]
XSS_PROBE = '<img src=x onerror="window.labXss=1"><script>window.labXss=2</script>'



def load(url, state, n):
    api = Api(url, open(os.path.join(state, "admin.token")).read().strip())
    db = os.path.join(state, "iommulab.db")
    # the synthetic kernels are x86_64, and a plan only makes jobs for
    # targets of the kernel's arch: size the fixture on those alone
    targets = [t for t in api.call("GET", "/targets")["items"]
               if t.get("arch") == "x86_64"]
    if not targets:
        die("the server has no x86_64 targets")
    nk = 20
    ncases = -(-n // (nk * len(targets)))
    rnd = random.Random(7)
    out = {"fixture": "load (synthetic records, not from a guest)", "plans": [], "jobs": 0, "results": 0}
    t0 = time.time()
    for ki in range(nk):
        k = "load-K%02d" % (ki + 1)
        api.call("POST", "/kernels", {"name": k, "release": "%s-synthetic" % k, "arch": "x86_64",
                                      "source": "build"})
        p = api.call("POST", "/plans", {"kind": "nightly", "name": "load fixture %s" % k,
                                        "kernels": [k], "targets": [t["name"] for t in targets]})
        out["plans"].append(p["id"])
        for j in plan_jobs(api, p["id"]):
            t = next(x for x in targets if x["name"] == j["target"])
            recs = []
            for ci in range(ncases):
                exp = LOAD_ERRNOS[ci % len(LOAD_ERRNOS)]
                roll = rnd.random()
                obs = exp if roll < 0.85 else rnd.choice(LOAD_ERRNOS)
                verdict = "skip" if roll > 0.97 else ("pass" if obs == exp else "fail")
                recs.append({"v": 1, "id": "load.synthetic.case_%03d" % ci, "target": t["name"],
                             "kernel": "%s-synthetic" % k, "arch": "x86_64",
                             "driver": t.get("driver") or "none", "iommu": "",
                             "steps": [{"name": "domain_alloc", "errno": 0, "err": "OK"},
                                       {"name": "attach", "errno": obs, "err": "E%d" % obs if obs else "OK"}],
                             "observed": obs, "expected": exp, "contract": "load:synthetic",
                             "verdict": verdict, "reason": "synthetic load fixture",
                             "reused": None, "verified": "none", "duration_us": 1000, "repeat": 0})
            if ki == nk - 1 and recs:
                # an XSS probe: markup in free-text fields must show as text
                recs[0]["reason"] = XSS_PROBE
                recs[0]["contract"] = XSS_PROBE
            claim(db, j["id"])
            r = api.call("POST", "/results", {"job": j["id"], "records": recs, "complete": True}, want=(201,))
            out["jobs"] += 1
            out["results"] += r["stored"]
    out["seconds"] = round(time.time() - t0, 1)
    print(json.dumps(out))


def main():
    a = sys.argv[1:]
    if a[:1] == ["real"] and len(a) >= 5:
        real(a[1], a[2], a[3], a[4:])
    elif a[:1] == ["load"] and len(a) == 4:
        load(a[1], a[2], int(a[3]))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
