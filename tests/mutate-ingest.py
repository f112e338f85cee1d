#!/usr/bin/env python3
# tests/mutate-ingest.py - the ingest half of the mutation check (issue 15.5):
# the server must refuse a real record batch in which one verdict was
# changed, and store nothing.
#
# usage: tests/mutate-ingest.py LOG
#        tests/mutate-ingest.py --accept LOG...
#   LOG  a real run's console log (IOMMULAB-BEGIN/REC/END lines)
#   --accept: no mutants: every LOG's batch (one job each) must be accepted
#        as printed: the server computes every verdict the agent claimed
#
# Starts its own iommulabd (--no-scheduler, a temporary state dir, the
# agent's catalogue $O/agent/catalogue.json: the contracts it judges by),
# registers the log's kernel release and target, creates one job and marks
# it running in the database (as tests/stages/25-api.sh does: no scheduler
# runs here), then POSTs to /api/v1/results:
#   1. the log's records with one verdict changed (the first pass of a case
#      the catalogue has a contract for, judged on a verified attach or a
#      non-zero errno) to "fail" -> 400 naming that case, "claimed fail"
#      and "the server computes pass"; the job's results: still 0;
#   2. the records with one observed errno changed (that case's, verdict
#      kept "pass") -> 400, still 0 results;
#   3. the records as the guest printed them -> 201, every one stored.
# Prints each step; exit 0 when both mutants were refused and the original
# accepted, 1 when not, 2 on usage errors or when nothing could be set up.
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

PROG = "tests/mutate-ingest.py"


def die(msg, rc=2):
    print("%s: %s" % (PROG, msg))
    sys.exit(rc)


accept = len(sys.argv) > 2 and sys.argv[1] == "--accept"
logs = sys.argv[2:] if accept else sys.argv[1:]
if len(logs) < 1 or (not accept and len(logs) != 1):
    die("usage: %s LOG | --accept LOG..." % PROG)


def read_log(path):
    lines = open(path, errors="replace").read().splitlines()
    b = [json.loads(l[len("IOMMULAB-BEGIN "):]) for l in lines if l.startswith("IOMMULAB-BEGIN ")]
    r = [json.loads(l[len("IOMMULAB-REC "):]) for l in lines if l.startswith("IOMMULAB-REC ")]
    if not b or not r:
        die("%s has no IOMMULAB-BEGIN or no records" % path)
    b = b[0]
    b["arch"] = {"aarch64": "arm64"}.get(b.get("arch", "x86_64"), b.get("arch", "x86_64"))
    return b, r


runs = [read_log(l) for l in logs]
top = os.environ.get("LAB_TOP") or os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
O = os.environ.get("O") or os.path.join(top, "build")
daemon = os.path.join(O, "server", "iommulabd")
catf = os.path.join(O, "agent", "catalogue.json")
for f in (daemon, catf):
    if not os.path.exists(f):
        die("%s missing: build the server and the agent first (make)" % f)
cat = {c["id"]: c for c in json.load(open(catf))["cases"]}
tmp = tempfile.mkdtemp(prefix="mutate-ingest-")
for b, r in runs:
    os.makedirs(os.path.join(tmp, "targets", b["arch"]), exist_ok=True)
    json.dump({"name": b["target"], "arch": b["arch"], "backend": "qemu", "driver": r[0]["driver"],
               "concurrency": 1, "qemu": {"machine": "virt", "args": []}},
              open(os.path.join(tmp, "targets", b["arch"], b["target"] + ".json"), "w"))
srvlog = open(os.path.join(tmp, "iommulabd.log"), "w")
srv = subprocess.Popen([daemon, "--listen", "127.0.0.1", "--port", "0", "--state-dir",
                        os.path.join(tmp, "state"), "--targets", os.path.join(tmp, "targets"),
                        "--catalogue", catf, "--no-scheduler"], stdout=srvlog, stderr=srvlog)
rc = 0


class Done(Exception):
    """--accept has nothing more to do"""


try:
    url = None
    for _ in range(100):
        m = re.findall(r"listening on http://127.0.0.1:(\d+)/", open(srvlog.name).read())
        if m:
            url = "http://127.0.0.1:%s/api/v1" % m[-1]
            break
        time.sleep(0.1)
    if not url:
        die("iommulabd did not start: %s" % open(srvlog.name).read()[-500:])
    token = open(os.path.join(tmp, "state", "admin.token")).read().strip()

    def call(method, path, body=None):
        req = urllib.request.Request(url + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": "Bearer " + token,
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return r.status, json.loads(r.read() or b"null")
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"null")

    def stored(job):
        con = sqlite3.connect(os.path.join(tmp, "state", "iommulab.db"), timeout=10)
        try:
            return con.execute("SELECT count(*) FROM results WHERE job_id = ?", (job,)).fetchone()[0]
        finally:
            con.close()

    kernels = {}

    def job_for(b):
        """a job of the log's kernel release and target, marked running"""
        if (b["kernel"], b["arch"]) not in kernels:
            name = "k%d" % len(kernels)
            st, d = call("POST", "/kernels", {"name": name, "release": b["kernel"],
                                              "arch": b["arch"], "source": "debian"})
            if st not in (200, 201):
                die("POST /kernels: %s %s" % (st, d))
            kernels[(b["kernel"], b["arch"])] = name
        st, d = call("POST", "/plans", {"kind": "manual", "kernels": [kernels[(b["kernel"], b["arch"])]],
                                        "targets": [b["target"]]})
        if st != 201:
            die("POST /plans: %s %s" % (st, d))
        st, d = call("GET", "/jobs?plan=%d" % d["id"])
        j = d["items"][0]["id"]
        con = sqlite3.connect(os.path.join(tmp, "state", "iommulab.db"), timeout=10)
        con.execute("UPDATE jobs SET state = 2, attempts = 1 WHERE id = ?", (j,))
        con.commit()
        con.close()
        return j

    if accept:
        for path, (b, r) in zip(logs, runs):
            j = job_for(b)
            st, d = call("POST", "/results", {"job": j, "records": r})
            n = stored(j)
            ok = st == 201 and n == len(r)
            print("%s: %s (%s, %s): %d records -> HTTP %d, %d stored%s" %
                  (PROG, path, b["target"], b["kernel"], len(r), st, n,
                   "" if ok else ": REFUSED: %s" % (d or {}).get("error")))
            if not ok:
                rc = 1
        raise Done()

    begin, recs = runs[0]
    job = job_for(begin)
    print("%s: %d records of %s (%s, %s), job %d, %d contracts in the server's catalogue" %
          (PROG, len(recs), logs[0], begin["target"], begin["kernel"], job, len(cat)))

    victim = next((i for i, r in enumerate(recs)
                   if r["verdict"] == "pass" and cat.get(r["id"], {}).get("contracts")
                   and (r.get("verified") in ("dma", "core") or r["observed"] != 0)), None)
    if victim is None:
        die("no passing record of a case with a contract to mutate")
    v = recs[victim]

    def mutant(name, recs_m, want):
        global rc
        st, d = call("POST", "/results", {"job": job, "records": recs_m})
        err = (d or {}).get("error", "") if isinstance(d, dict) else ""
        n = stored(job)
        print("%s: %s -> HTTP %d: %s; results stored for job %d: %d" % (PROG, name, st, err, job, n))
        if st != 400 or n != 0 or not all(w in err for w in want):
            print("%s: %s: NOT REFUSED as it must be (want 400, 0 stored, %s)" % (PROG, name, want))
            rc = 1

    m1 = [dict(r) for r in recs]
    m1[victim]["verdict"] = "fail"
    print("%s: 1. %s repeat %d: verdict pass -> fail (observed %s)" %
          (PROG, v["id"], v.get("repeat", 0), v.get("observed_name")))
    mutant("verdict changed", m1, [v["id"], "claimed fail, the server computes pass"])

    m2 = [dict(r) for r in recs]
    newerr = 19 if v["observed"] == 22 else 22
    m2[victim]["observed"] = newerr
    m2[victim]["observed_name"] = "ENODEV" if newerr == 19 else "EINVAL"
    print("%s: 2. %s repeat %d: observed %s -> %s, verdict still pass" %
          (PROG, v["id"], v.get("repeat", 0), v.get("observed_name"), m2[victim]["observed_name"]))
    mutant("errno changed", m2, [v["id"], "claimed pass, the server computes fail"])

    st, d = call("POST", "/results", {"job": job, "records": recs})
    n = stored(job)
    print("%s: 3. the records as printed -> HTTP %d; results stored: %d" % (PROG, st, n))
    if st != 201 or n != len(recs):
        print("%s: the unchanged batch was not accepted: %s" % (PROG, d))
        rc = 1
except Done:
    pass
finally:
    srv.terminate()
    try:
        srv.wait(20)
    except subprocess.TimeoutExpired:
        srv.kill()
    if rc == 0:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print("%s: kept %s (iommulabd.log)" % (PROG, tmp))
if accept:
    print("%s: %s" % (PROG, "every batch accepted as printed" if rc == 0 else "a real batch was REFUSED"))
else:
    print("%s: %s" % (PROG, "every mutant was refused, the real batch accepted" if rc == 0
                      else "a mutant was NOT refused"))
sys.exit(rc)
