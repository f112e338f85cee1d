#!/usr/bin/env python3
# tests/replay/api-replay.py - one recorded set of API requests (every route
# of server/routes.c, success and error answers), answered by one or more
# iommulabd binaries; the transcripts must be byte-identical.
#
# usage: tests/replay/api-replay.py OUTDIR BIN [BIN...]
#   Each BIN runs in turn on a fresh state dir at the same path
#   (OUTDIR/run: same log paths in the answers), the same targets and web
#   dir, --no-scheduler; the same requests go to each, and each answer's
#   status, Content-Type and body are written to OUTDIR/transcript.N.txt.
#   Exit 0 when every transcript equals the first, else 1 with a diff.
#
# What is normalised, and why (nothing else is): the values of JSON members
# ending in "_at" and GET /health's "time" (unix seconds: the wall clock) and the "secret"
# of POST /tokens (random by design) become placeholders, and so does the
# port in any answer. Everything else, error texts included, must match.
# Fixture steps that need a runner (a job set running) are done in SQL on
# the server's database file, identically for every binary.
import difflib, http.client, json, os, re, shutil, signal, sqlite3, subprocess, sys, time

out, bins = sys.argv[1], sys.argv[2:]
if not bins:
    sys.exit("usage: api-replay.py OUTDIR BIN [BIN...]")
top = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
os.makedirs(out, exist_ok=True)
A = "/api/v1"


def norm_json(v):
    if isinstance(v, dict):
        return {k: ("<time>" if (k.endswith("_at") or k == "time") and isinstance(v[k], int) and v[k] > 0
                    else "<secret>" if k == "secret" else norm_json(v[k])) for k in v}
    if isinstance(v, list):
        return [norm_json(x) for x in v]
    return v


def rec(case, observed, expected, verdict, target, kernel):
    return {"v": 1, "id": case, "target": target, "kernel": kernel, "arch": "x86_64",
            "driver": "intel-iommu", "iommu": "dmar0",
            "steps": [{"name": "attach", "errno": observed, "err": "OK" if observed == 0 else "E"}],
            "observed": observed, "expected": expected, "contract": "test",
            "verdict": verdict, "reused": None, "verified": "core",
            "duration_us": 10, "repeat": 0}


def replay(binary, n):
    run = os.path.join(out, "run")
    shutil.rmtree(run, ignore_errors=True)
    for t in ("q35-a", "q35-b"):
        os.makedirs(os.path.join(run, "targets", "x86_64"), exist_ok=True)
        with open(os.path.join(run, "targets", "x86_64", t + ".json"), "w") as f:
            json.dump({"name": t, "arch": "x86_64", "backend": "qemu", "vendor": "intel",
                       "driver": "intel-iommu", "tags": ["vtd"], "concurrency": 1,
                       "qemu": {"machine": "q35", "args": []}}, f)
    os.makedirs(os.path.join(run, "web"))
    with open(os.path.join(run, "web", "index.html"), "w") as f:
        f.write("<!doctype html><title>iommulab</title>\n")
    state = os.path.join(run, "state")
    log = open(os.path.join(out, "iommulabd.%d.log" % n), "w")
    p = subprocess.Popen([binary, "--state-dir", state, "--targets", os.path.join(run, "targets"),
                          "--web", os.path.join(run, "web"), "--schema", os.path.join(top, "schema"),
                          "--port", "0", "--no-scheduler", "--log-level", "info"],
                         stdout=log, stderr=subprocess.STDOUT)
    port = None
    for _ in range(200):
        m = re.search(r"listening on http://127\.0\.0\.1:(\d+)/",
                      open(os.path.join(out, "iommulabd.%d.log" % n)).read())
        if m:
            port = int(m.group(1))
            break
        time.sleep(0.05)
    if not port:
        p.kill()
        sys.exit("%s did not start (see %s/iommulabd.%d.log)" % (binary, out, n))
    token = open(os.path.join(state, "admin.token")).read().strip()
    db = os.path.join(state, "iommulab.db")
    lines = []
    secrets = {}

    def sql(q, *args):
        con = sqlite3.connect(db, timeout=10)
        try:
            rows = con.execute(q, args).fetchall()
            con.commit()
            return rows
        finally:
            con.close()

    def call(method, path, body=None, auth=None, raw=None, headers=None):
        h = dict(headers or {})
        if auth:
            h["Authorization"] = "Bearer " + auth
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            st, ct, payload = r.status, r.getheader("Content-Type", ""), r.read()
        except (BrokenPipeError, ConnectionResetError):
            r = c.getresponse()
            st, ct, payload = r.status, r.getheader("Content-Type", ""), r.read()
        finally:
            c.close()
        doc = None
        shown = payload
        if ct.startswith("application/json"):
            try:
                doc = json.loads(payload)
                shown = json.dumps(norm_json(doc), sort_keys=False).encode()
            except ValueError:
                pass
        shown = shown.replace(str(port).encode(), b"<port>")
        lines.append(b"=== %s %s\n%d %s\n%s\n" % (method.encode(), path.encode(), st,
                                                   ct.encode(), shown))
        return st, doc, payload

    # ---- health, kernels
    call("GET", A + "/health")
    call("POST", A + "/kernels", {"name": "6.1"})
    call("POST", A + "/kernels", {"name": "6.1"}, auth="0" * 64)
    call("POST", A + "/kernels", {"name": "6.1", "release": "6.1.0-56-amd64", "version": "6.1.192"}, auth=token)
    call("POST", A + "/kernels", {"name": "6.12", "release": "6.12.117+deb12-amd64", "arch": "x86_64"}, auth=token)
    call("POST", A + "/kernels", {"name": "6.1", "version": "6.1.192"}, auth=token)
    call("POST", A + "/kernels", {"name": "../x"}, auth=token)
    call("POST", A + "/kernels", {"name": "x", "image_path": "/etc/passwd"}, auth=token)
    call("POST", A + "/kernels", raw=b'{"name": ', auth=token)
    call("POST", A + "/kernels", raw=b'{"name": "' + b"x" * (9 << 20) + b'"}', auth=token)
    call("GET", A + "/kernels")
    call("GET", A + "/kernels/6.1")
    call("GET", A + "/kernels/nope")
    call("DELETE", A + "/kernels")
    # ---- targets, cases, tokens
    call("GET", A + "/targets")
    call("GET", A + "/targets/q35-a")
    call("GET", A + "/targets/zz")
    cat = {"cases": [{"id": "kmod.attach.one", "title": "one", "contracts": [{"kernel": ">=6.2", "errno": 22}]},
                     {"id": "kmod.attach.two"}]}
    call("POST", A + "/cases", cat, auth=token)
    call("POST", A + "/cases", [{"id": "kmod.attach.three"}, {"id": "BAD ID"}], auth=token)
    call("POST", A + "/cases", {"cases": 3}, auth=token)
    call("GET", A + "/cases")
    call("GET", A + "/cases/kmod.attach.one")
    call("GET", A + "/cases/kmod.nope")
    _, d, _ = call("POST", A + "/tokens", {"name": "runner", "scopes": "ingest"}, auth=token)
    ingest = d["secret"] if d and "secret" in d else "x" * 64
    call("POST", A + "/tokens", {"name": "runner", "scopes": "ingest"}, auth=token)
    call("POST", A + "/tokens", {"name": "x", "scopes": "admin"}, auth=ingest)
    call("POST", A + "/tokens", {"name": "bad name!", "scopes": "admin"}, auth=token)
    call("POST", A + "/tokens", {"name": "y", "scopes": "root"}, auth=token)
    # ---- plans, jobs
    plan = {"kind": "manual", "name": "replay", "kernels": ["6.1", "6.12"], "cases": "kmod.*"}
    call("POST", A + "/plans", plan, auth=ingest)
    call("POST", A + "/plans", dict(plan, kind="weekly"), auth=token)
    call("POST", A + "/plans", dict(plan, kernels=["9.9"]), auth=token)
    call("POST", A + "/plans", dict(plan, targets=["zz"]), auth=token)
    call("POST", A + "/plans", dict(plan, targets=["tag=nope"]), auth=token)
    call("POST", A + "/plans", dict(plan, targets=["bad==expr"]), auth=token)
    call("POST", A + "/plans", dict(plan, repeat=0), auth=token)
    call("POST", A + "/plans", dict(plan, cases="bad filter;"), auth=token)
    _, d, _ = call("POST", A + "/plans", plan, auth=token)
    pid = d["id"] if d else 0
    call("POST", A + "/plans", dict(plan, name="by tag", kernels=["6.1"], targets=["tag=vtd"],
                                    priority=5, max_attempts=2, timeout_s=300, repeat=2), auth=token)
    call("POST", A + "/plans", dict(plan, name="by glob", kernels=["6.12"], targets=["q35-b", "name=q35-*"]),
         auth=token)
    call("GET", A + "/plans")
    call("GET", A + "/plans?limit=1&offset=1")
    call("GET", A + "/plans/%d" % pid)
    call("GET", A + "/plans/999")
    call("GET", A + "/plans/abc")
    call("GET", A + "/jobs")
    call("GET", A + "/jobs?state=queued&kernel=6.1")
    _, d, _ = call("GET", A + "/jobs?limit=3&plan=%d" % pid)
    if d and d.get("next_cursor"):
        call("GET", A + "/jobs?limit=3&cursor=%s" % d["next_cursor"])
    call("GET", A + "/jobs?target=q35-b&limit=2")
    call("GET", A + "/jobs?state=bogus")
    call("GET", A + "/jobs?limit=0")
    call("GET", A + "/jobs?kernel=nope")
    call("GET", A + "/jobs?cursor=zz")
    jobs = {(k, t): i for i, k, t in sql("SELECT j.id, k.name, t.name FROM jobs j JOIN kernels k "
                                         "ON k.id = j.kernel_id JOIN targets t ON t.id = j.target_id "
                                         "WHERE j.plan_id = ?", pid)}
    ja, jb = jobs[("6.1", "q35-a")], jobs[("6.12", "q35-a")]
    jc, jd = jobs[("6.1", "q35-b")], jobs[("6.12", "q35-b")]
    call("GET", A + "/jobs/%d" % ja)
    call("GET", A + "/jobs/999")
    call("GET", A + "/jobs/x")
    # ---- results ingest (runner simulated in SQL)
    ra = [rec("kmod.attach.one", 95, 95, "pass", "q35-a", "6.1.0-56-amd64"),
          rec("kmod.attach.two", 16, 16, "pass", "q35-a", "6.1.0-56-amd64")]
    call("POST", A + "/results", {"job": ja, "records": ra}, auth=token)
    sql("UPDATE jobs SET state = 2, attempts = 1 WHERE id IN (?, ?, ?)", ja, jb, jd)
    call("POST", A + "/results", {"job": ja, "records": [ra[0], dict(ra[1], verdict="maybe")]}, auth=token)
    call("POST", A + "/results", {"job": ja, "records": ra})
    call("POST", A + "/results", raw=b"[1, 2", auth=token)
    call("POST", A + "/results", {"job": 999, "records": ra}, auth=token)
    call("POST", A + "/results", {"job": ja}, auth=token)
    call("POST", A + "/results", {"job": ja, "records": ra, "log": "x"}, auth=token)
    begin = ('IOMMULAB-BEGIN {"v":1,"target":"q35-a","kernel":"6.12.117+deb12-amd64",'
             '"arch":"x86_64","cases":2}')
    rb = [rec("kmod.attach.one", 22, 22, "pass", "q35-a", "6.12.117+deb12-amd64"),
          rec("kmod.attach.two", 22, 16, "fail", "q35-a", "6.12.117+deb12-amd64")]
    lines_ = ["[    0.0] Linux version 6.12", begin] + ["IOMMULAB-REC " + json.dumps(r) for r in rb]
    end = 'IOMMULAB-END {"v":1,"records":2,"status":"ok"}'
    call("POST", A + "/results", {"job": jb, "log": "\n".join(lines_)[:-40] + "\n"}, auth=ingest)
    inter = "\n".join(lines_[:2] + [lines_[2][:100] + "\n[ 1.0] DMAR: fault\n" + lines_[2][100:]] +
                      lines_[3:] + [end])
    call("POST", A + "/results", {"job": jb, "log": inter}, auth=ingest)
    other = "\n".join([l.replace('"target":"q35-a"', '"target":"q35-b"').replace(
        '"target": "q35-a"', '"target": "q35-b"') for l in lines_] + [end])
    call("POST", A + "/results", {"job": jb, "log": other}, auth=ingest)
    call("POST", A + "/results", {"job": ja, "records": [dict(ra[0], kernel="6.12.117+deb12-amd64")]},
         auth=token)
    call("POST", A + "/results", {"job": ja, "records": [dict(ra[0], target="q35-b")]}, auth=token)
    call("POST", A + "/results", {"job": jb, "log": "\n".join(lines_ + [end.replace('2', '3')])}, auth=ingest)
    call("POST", A + "/results", {"job": ja, "records": ra, "complete": True}, auth=token)
    call("POST", A + "/results", {"job": jb, "log": "\n".join(lines_ + [end, "reboot: Power down"]),
                                  "complete": True}, auth=ingest)
    call("POST", A + "/results", {"job": jd, "records": [dict(r, target="q35-b") for r in rb]}, auth=ingest)
    call("POST", A + "/results", {"job": ja, "records": ra}, auth=token)
    call("GET", A + "/results")
    call("GET", A + "/results?kernel=6.12&verdict=fail")
    call("GET", A + "/results?target=q35-a&case=kmod.attach.one&driver=intel-iommu&limit=10")
    call("GET", A + "/results?job=%d&limit=1" % ja)
    call("GET", A + "/results?verdict=maybe")
    call("GET", A + "/results?kernel=nope")
    # ---- matrix, diffs, overview
    call("GET", A + "/matrix?kernel=6.12")
    call("GET", A + "/matrix?kernel=6.1")
    call("GET", A + "/matrix")
    call("GET", A + "/matrix?kernel=nope")
    call("GET", A + "/diffs?base=6.1&head=6.12")
    call("GET", A + "/diffs?base=6.1&head=6.12&format=text")
    call("GET", A + "/diffs?base=6.1&head=6.12", headers={"Accept": "text/plain"})
    call("GET", A + "/diffs?base_plan=%d&head_plan=%d" % (pid, pid))
    call("GET", A + "/diffs?base=6.1")
    call("GET", A + "/diffs?base=6.1&head=9.9")
    call("GET", A + "/overview")
    # ---- cancel, retry, logs
    call("POST", A + "/jobs/%d/cancel" % jc)
    call("POST", A + "/jobs/%d/cancel" % jc, {"reason": "replay"}, auth=token)
    call("POST", A + "/jobs/%d/cancel" % jc, auth=token)
    call("POST", A + "/jobs/999/cancel", auth=token)
    call("POST", A + "/jobs/%d/retry" % jc, auth=token)
    sql("UPDATE jobs SET state = 4, attempts = 3, max_attempts = 3 WHERE id = ?", jd)
    call("POST", A + "/jobs/%d/retry" % jd, auth=token)
    call("POST", A + "/jobs/999/retry", auth=token)
    call("GET", A + "/jobs/%d/log" % ja)
    logf = os.path.join(run, "job.log")
    open(logf, "w").write("line one\nline two\n")
    sql("UPDATE jobs SET log_path = ? WHERE id = ?", logf, ja)
    call("GET", A + "/jobs/%d/log" % ja)
    call("GET", A + "/jobs/%d/log?offset=9" % ja)
    call("GET", A + "/jobs/%d/log?offset=-1" % ja)
    call("GET", A + "/jobs/%d" % ja)
    # ---- LAVA artifacts and callback
    call("GET", A + "/artifacts/" + "a" * 64 + "/bzImage")
    call("GET", A + "/artifacts/ABC/bzImage")
    call("GET", A + "/artifacts/..%2f..%2fetc/passwd")
    call("POST", A + "/lava/callback", {"id": 1}, headers={"Authorization": "Token nope"})
    call("POST", A + "/lava/callback", {"id": 1}, auth=token)
    # ---- patches, prep logs
    mbox = open(os.path.join(top, "kernels/patches/0001-iommu-vt-d-enodev-on-snoop-mismatch.patch")).read()
    ps = {"base": "debian-6.12", "series": mbox, "targets": ["q35-a"]}
    call("POST", A + "/patches", ps)
    call("POST", A + "/patches", ps, auth=ingest)
    call("POST", A + "/patches", dict(ps, base="../x"), auth=token)
    call("POST", A + "/patches", dict(ps, series="hello"), auth=token)
    call("POST", A + "/patches", dict(ps, series=[{"name": "../evil.patch", "text": mbox}]), auth=token)
    call("POST", A + "/patches", dict(ps, nope=1), auth=token)
    call("POST", A + "/patches", dict(ps, targets=["zz"]), auth=token)
    _, d, _ = call("POST", A + "/patches", ps, auth=token)
    if d and "id" in d:
        call("GET", A + "/patches/%d" % d["id"])
        call("GET", A + "/patches/%d?format=text" % d["id"])
    call("GET", A + "/patches")
    call("GET", A + "/kernels")
    call("GET", A + "/patches/%d" % pid)
    call("GET", A + "/patches/999")
    call("GET", A + "/patches/x")
    call("GET", A + "/jobs/%d/prep-log" % ja)
    os.makedirs(os.path.join(state, "logs"), exist_ok=True)
    open(os.path.join(state, "logs", "%d.prep.log" % ja), "w").write("prepare: one\nprepare: two\n")
    call("GET", A + "/jobs/%d/prep-log" % ja)
    call("GET", A + "/jobs/%d/prep-log?offset=13" % ja)
    call("GET", A + "/jobs/999/prep-log")
    # ---- the rest: plans and jobs after all that, unknown routes, static files
    call("GET", A + "/plans/%d" % pid)
    call("GET", A + "/jobs?limit=100")
    call("GET", A + "/overview")
    call("GET", A + "/nope")
    call("GET", "/")
    call("GET", "/nope.html")
    call("GET", "/../outside/secret.txt")
    call("POST", "/", raw=b"x")
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(20)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = "killed"
    lines.append(b"=== exit %s\n" % str(rc).encode())
    path = os.path.join(out, "transcript.%d.txt" % n)
    with open(path, "wb") as f:
        f.write(b"".join(lines))
    return path, len(lines) - 1


paths = []
for n, b in enumerate(bins):
    path, nreq = replay(b, n)
    print("%s: %d requests -> %s" % (b, nreq, path))
    paths.append(path)
ref = open(paths[0], "rb").read()
same = True
for p in paths[1:]:
    cur = open(p, "rb").read()
    if cur != ref:
        same = False
        sys.stdout.writelines(difflib.unified_diff(ref.decode("utf-8", "replace").splitlines(True),
                                                   cur.decode("utf-8", "replace").splitlines(True),
                                                   paths[0], p, n=1))
print("api-replay: %d transcripts, %s" % (len(paths), "byte-identical" if same else "DIFFERENT"))
sys.exit(0 if same else 1)
