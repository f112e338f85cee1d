#!/usr/bin/env bash
# 25-api: start a real iommulabd on 127.0.0.1 (temp DB, temp targets and
# web dir, --no-scheduler so no guest boots) and check the HTTP API against
# docs/openapi.yaml: every documented route exists in the server's route
# table and vice versa, every route is exercised, each answer has the
# documented status and validates against the documented schema; 401
# without a token, 403 with a token lacking the scope, 413 for an oversized
# body, 400 for malformed JSON and malformed records/logs with the database
# unchanged; static files stay confined to web/; SIGTERM stops it cleanly.
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export LAB_TOP=$top
O=${O:-$top/build}
SAN=${LAB_SAN:-${SAN:-0}}
bin=$O/server/iommulabd
[ "$SAN" = 1 ] && bin=$O/server-san/iommulabd
out=${LAB_TEST_OUT:-$top/tests/out}/api
rm -rf "$out"
mkdir -p "$out"

if ! python3 -c 'import yaml, jsonschema' 2>/dev/null; then
	lab_skip "api" "python3-yaml/python3-jsonschema missing (scripts/install-deps server)"
	lab_done
	exit $?
fi
# the agent too: its catalogue (O/agent/catalogue.json) is what iommulabd imports at start
export O
if ! nice -n 10 make -s -C "$top/server" O="$O" SAN="$SAN" -j2 >"$out/build.log" 2>&1 ||
   ! nice -n 10 make -s -C "$top/agent" O="$O" >>"$out/build.log" 2>&1; then
	tail -20 "$out/build.log"
	lab_fail "build iommulabd" "see $out/build.log"
	lab_done
	exit 1
fi

# the command line: --help lists the options, bad ones exit 2 with a reason
if "$bin" --help | grep -q -- "--no-scheduler"; then lab_ok "iommulabd --help lists options"
else lab_fail "iommulabd --help lists options"; fi
msg=$("$bin" --port 70000 2>&1); st=$?
if [ $st -eq 2 ] && echo "$msg" | grep -q "not a port"; then lab_ok "bad --port: exit 2, clear error"
else lab_fail "bad --port: exit 2, clear error" "exit $st: $msg"; fi

# a state dir, two x86_64 targets, a web dir with a symlink pointing out
mkdir -p "$out/state" "$out/targets/x86_64" "$out/web/sub" "$out/outside"
for t in q35-a q35-b; do
	cat >"$out/targets/x86_64/$t.json" <<JSON
{"name": "$t", "arch": "x86_64", "backend": "qemu", "vendor": "intel",
 "driver": "intel-iommu", "tags": ["vtd"], "concurrency": 1,
 "qemu": {"machine": "q35", "args": []}}
JSON
done
echo '<!doctype html><title>iommulab</title>' >"$out/web/index.html"
echo 'secret outside web' >"$out/outside/secret.txt"
ln -s "$out/outside/secret.txt" "$out/web/leak.txt"
ln -s "$out/outside" "$out/web/sub/out"

"$bin" --state-dir "$out/state" --targets "$out/targets" \
	--web "$out/web" --port 0 --no-scheduler --log-level info \
	>"$out/iommulabd.log" 2>&1 &
pid=$!
port=
for _ in $(seq 100); do
	port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$out/iommulabd.log")
	[ -n "$port" ] && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.1
done
if [ -z "$port" ]; then
	cat "$out/iommulabd.log"
	kill $pid 2>/dev/null
	lab_fail "iommulabd starts and listens" "see $out/iommulabd.log"
	lab_done
	exit 1
fi
lab_ok "iommulabd listens on 127.0.0.1:$port"
if [ "$(stat -c %a "$out/state/admin.token")" = 600 ]; then
	lab_ok "admin token file is mode 0600"
else
	lab_fail "admin token file is mode 0600" "$(stat -c %a "$out/state/admin.token")"
fi

# the real agent catalogue, when the agent is built (agent -l -j)
if [ -x "$O/agent/iommulab-agent" ] && "$O/agent/iommulab-agent" -l -j >"$out/catalogue.json" 2>/dev/null; then
	:
else
	rm -f "$out/catalogue.json"
	lab_skip "import the agent's own catalogue" "no $O/agent/iommulab-agent (make agent)"
fi

python3 - "$top" "$port" "$out" <<'PY'
import http.client, json, os, re, sqlite3, sys, time
import yaml, jsonschema

top, port, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
spec = yaml.safe_load(open(os.path.join(top, "docs/openapi.yaml")))
token = open(os.path.join(out, "state/admin.token")).read().strip()
db = os.path.join(out, "state/iommulab.db")
passed = failed = 0

def ok(name):
    global passed
    passed += 1
    print("ok - " + name)

def bad(name, why):
    global failed
    failed += 1
    print("not ok - %s: %s" % (name, why))

def check(name, cond, why=""):
    ok(name) if cond else bad(name, why)

# ---- the route table vs the document -------------------------------------
norm = lambda p: re.sub(r"\{[^}]*\}", "{}", p)
documented = set()
for path, item in spec["paths"].items():
    for m in item:
        if m in ("get", "post", "put", "delete", "patch"):
            documented.add((m.upper(), norm(path)))
src = open(os.path.join(top, "server/routes.c")).read()
served = set((m, "/api/v1" + p) for m, p in
             re.findall(r'\{\s*"([A-Z]+)",\s*P\s*"([^"]*)"', src))
check("route table parsed from server/routes.c", len(served) > 10, str(served))
for r in sorted(served - documented):
    bad("route %s %s documented in openapi.yaml" % r, "missing from docs/openapi.yaml")
for r in sorted(documented - served):
    bad("documented route %s %s is served" % r, "missing from the route table")
if served == documented:
    ok("openapi.yaml and the route table list the same %d routes" % len(served))

def find_op(method, path):
    p = path.split("?")[0]
    for tmpl, item in spec["paths"].items():
        rx = "^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(tmpl)) + "$"
        if re.match(rx, p) and method.lower() in item:
            return tmpl, item[method.lower()]
    return None, None

def resolve(obj):
    while isinstance(obj, dict) and "$ref" in obj and len(obj) == 1:
        node = spec
        for part in obj["$ref"].lstrip("#/").split("/"):
            node = node[part]
        obj = node
    return obj

exercised = set()

def call(name, method, path, body=None, auth=None, expect=None, headers=None,
         raw=None, chunked=False):
    """one request; checks the status against @expect and the documented
    responses, and the body against the documented schema"""
    h = dict(headers or {})
    if auth:
        h["Authorization"] = "Bearer " + auth
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    if data is not None and not chunked:
        h.setdefault("Content-Type", "application/json")
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        if chunked:
            def gen():
                for i in range(0, len(data), 65536):
                    yield data[i:i + 65536]
            c.request(method, path, body=gen(), headers=h, encode_chunked=True)
        else:
            c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        status, ctype, payload = r.status, r.getheader("Content-Type", ""), r.read()
    except (BrokenPipeError, ConnectionResetError) as e:
        try:
            r = c.getresponse()
            status, ctype, payload = r.status, r.getheader("Content-Type", ""), r.read()
        except Exception:
            bad(name, "connection error %r" % e)
            return None, None
    finally:
        c.close()
    tmpl, op = find_op(method, path)
    if path.startswith("/api/") and op is not None:
        exercised.add((method, norm(tmpl)))
    if expect is not None and status != expect:
        bad(name, "status %d, want %d: %s" % (status, expect, payload[:300]))
        return status, None
    doc = None
    if op is not None:
        resp = op.get("responses", {}).get(str(status))
        if resp is None:
            bad(name, "status %d not documented for %s %s" % (status, method, tmpl))
            return status, None
        resp = resolve(resp)
        content = resp.get("content", {})
        mt = ctype.split(";")[0].strip()
        if mt not in content:
            bad(name, "content type %s not documented (%s)" % (mt, list(content)))
            return status, None
        schema = content[mt].get("schema", {})
        if mt == "application/json":
            try:
                doc = json.loads(payload)
            except ValueError:
                bad(name, "body is not JSON: %r" % payload[:200])
                return status, None
            full = dict(schema)
            full["components"] = spec["components"]
            try:
                jsonschema.validate(doc, full, cls=jsonschema.Draft202012Validator)
            except jsonschema.ValidationError as e:
                bad(name, "schema: %s at %s" % (e.message, list(e.absolute_path)))
                return status, doc
        else:
            doc = payload.decode("utf-8", "replace")
    elif path.startswith("/api/"):
        doc = json.loads(payload) if ctype.startswith("application/json") else payload
    else:
        doc = payload
    ok(name)
    return status, doc

def q(sql, *args):
    con = sqlite3.connect(db, timeout=10)
    try:
        cur = con.execute(sql, args)
        rows = cur.fetchall()
        con.commit()
        return rows
    finally:
        con.close()

def rec(case, observed, expected, verdict, target, kernel, repeat=0):
    return {"v": 1, "id": case, "target": target, "kernel": kernel, "arch": "x86_64",
            "driver": "intel-iommu", "iommu": "dmar0",
            "steps": [{"name": "attach", "errno": observed,
                       "err": "OK" if observed == 0 else "E"}],
            "observed": observed, "expected": expected, "contract": "test",
            "verdict": verdict, "reused": None, "verified": "core",
            "duration_us": 10, "repeat": repeat}

A = "/api/v1"
# ---- health, kernels --------------------------------------------------------
call("GET health", "GET", A + "/health", expect=200)
call("POST kernels without a token -> 401", "POST", A + "/kernels", {"name": "6.1"}, expect=401)
call("POST kernels with a wrong token -> 401", "POST", A + "/kernels", {"name": "6.1"},
     auth="0" * 64, expect=401)
call("POST kernels 6.1 -> 201", "POST", A + "/kernels",
     {"name": "6.1", "release": "6.1.0-56-amd64", "version": "6.1.192"}, auth=token, expect=201)
call("POST kernels 6.12 -> 201", "POST", A + "/kernels",
     {"name": "6.12", "release": "6.12.117+deb12-amd64", "arch": "x86_64"}, auth=token, expect=201)
call("POST kernels 6.1 again -> 200 (update)", "POST", A + "/kernels",
     {"name": "6.1", "version": "6.1.192"}, auth=token, expect=200)
nk = q("SELECT count(*) FROM kernels")[0][0]
call("POST kernels bad name -> 400", "POST", A + "/kernels", {"name": "../x"}, auth=token, expect=400)
call("POST kernels unknown key -> 400", "POST", A + "/kernels",
     {"name": "x", "image_path": "/etc/passwd"}, auth=token, expect=400)
call("POST kernels malformed JSON -> 400", "POST", A + "/kernels", raw=b'{"name": ',
     auth=token, expect=400)
big = b'{"name": "' + b"x" * (9 << 20) + b'"}'
call("POST kernels 9 MiB body -> 413", "POST", A + "/kernels", raw=big, auth=token, expect=413)
call("POST kernels 9 MiB chunked body -> 413", "POST", A + "/kernels", raw=big, auth=token,
     expect=413, chunked=True)
check("bad kernel requests changed nothing", q("SELECT count(*) FROM kernels")[0][0] == nk == 2)
_, d = call("GET kernels", "GET", A + "/kernels", expect=200)
check("kernels list has 2 items", d and d["count"] == 2, str(d))
call("GET kernels/6.1", "GET", A + "/kernels/6.1", expect=200)
call("GET kernels/nope -> 404", "GET", A + "/kernels/nope", expect=404)
call("DELETE kernels -> 405", "DELETE", A + "/kernels", expect=405)

# ---- targets, cases, tokens ---------------------------------------------------
_, d = call("GET targets", "GET", A + "/targets", expect=200)
check("targets loaded from the targets dir", d and [t["name"] for t in d["items"]] == ["q35-a", "q35-b"], str(d))
call("GET targets/q35-a", "GET", A + "/targets/q35-a", expect=200)
call("GET targets/zz -> 404", "GET", A + "/targets/zz", expect=404)
# the agent's contract form (iommulab-agent -l -j); kmod.attach.two has no
# contract: its records are judged by their own expected errno
one_rules = [{"kernel_min": "6.2", "kernel_max_excl": None, "driver": "any", "expected": "EINVAL",
              "expected_errno": 22},
             {"kernel_min": None, "kernel_max_excl": "6.2", "driver": "any", "expected": "EOPNOTSUPP",
              "expected_errno": 95}]
cat = {"cases": [{"id": "kmod.attach.one", "title": "one", "contracts": one_rules},
                 {"id": "kmod.attach.two"}]}
call("POST cases: a contract the server cannot judge by -> 400", "POST", A + "/cases",
     {"cases": [{"id": "kmod.attach.one", "contracts": [{"kernel": ">=6.2", "errno": 22}]}]},
     auth=token, expect=400)
catf0 = os.path.join(os.environ.get("O", ""), "agent", "catalogue.json")
if os.path.exists(catf0):
    ncat = len(json.load(open(catf0))["cases"])
    check("iommulabd imported the agent's catalogue at start (%d contract versions)" % ncat,
          q("SELECT count(*) FROM contract_versions WHERE version = 1")[0][0] == ncat > 0)
call("POST cases (import)", "POST", A + "/cases", cat, auth=token, expect=200)
ncases = q("SELECT count(*) FROM cases")[0][0]
check("contract version 1 of kmod.attach.one", q("SELECT version FROM contract_versions "
      "WHERE case_id = 'kmod.attach.one'") == [(1,)])
call("POST cases with a bad id -> 400", "POST", A + "/cases",
     [{"id": "kmod.attach.three"}, {"id": "BAD ID"}], auth=token, expect=400)
check("bad catalogue imported nothing", q("SELECT count(*) FROM cases")[0][0] == ncases)
catf = os.path.join(out, "catalogue.json")
if os.path.exists(catf):
    agent_cat = json.load(open(catf))
    _, d = call("POST cases: the agent's own catalogue", "POST", A + "/cases", agent_cat,
                auth=token, expect=200)
    check("every agent case imported", d and d["imported"] == len(agent_cat["cases"]) > 0, str(d))
    q("DELETE FROM cases WHERE case_id NOT IN ('kmod.attach.one', 'kmod.attach.two')")
    q("DELETE FROM contract_versions WHERE case_id NOT IN ('kmod.attach.one', 'kmod.attach.two')")
call("GET cases", "GET", A + "/cases", expect=200)
call("GET cases/kmod.attach.one", "GET", A + "/cases/kmod.attach.one", expect=200)
call("GET cases/nope -> 404", "GET", A + "/cases/kmod.nope", expect=404)
_, d = call("POST tokens (ingest scope)", "POST", A + "/tokens",
            {"name": "runner", "scopes": "ingest"}, auth=token, expect=201)
ingest = d["secret"] if d else "x"
call("POST tokens duplicate -> 409", "POST", A + "/tokens",
     {"name": "runner", "scopes": "ingest"}, auth=token, expect=409)
call("POST tokens with an ingest token -> 403", "POST", A + "/tokens",
     {"name": "x", "scopes": "admin"}, auth=ingest, expect=403)
check("no token secret is stored", not q("SELECT 1 FROM tokens WHERE sha256 = ? OR name = ?",
                                         ingest, ingest))

# ---- plans, jobs ----------------------------------------------------------------
plan = {"kind": "manual", "name": "api test", "kernels": ["6.1", "6.12"], "cases": "kmod.*"}
call("POST plans with an ingest token -> 403", "POST", A + "/plans", plan, auth=ingest, expect=403)
call("POST plans bad kind -> 400", "POST", A + "/plans", dict(plan, kind="weekly"), auth=token, expect=400)
call("POST plans unknown kernel -> 404", "POST", A + "/plans", dict(plan, kernels=["9.9"]),
     auth=token, expect=404)
call("POST plans unknown target -> 404", "POST", A + "/plans", dict(plan, targets=["zz"]),
     auth=token, expect=404)
check("rejected plans created no job", q("SELECT count(*) FROM jobs")[0][0] == 0)
_, d = call("POST plans -> 201", "POST", A + "/plans", plan, auth=token, expect=201)
pid = d["id"] if d else 0
check("plan made 4 jobs (2 kernels x 2 targets)", d and d["njobs"] == 4, str(d))
call("GET plans", "GET", A + "/plans", expect=200)
_, d = call("GET plans/{id}", "GET", A + "/plans/%d" % pid, expect=200)
check("plan job counts: 4 queued", d and d["jobs"]["queued"] == 4, str(d))
call("GET plans/999 -> 404", "GET", A + "/plans/999", expect=404)
call("GET plans/abc -> 400", "GET", A + "/plans/abc", expect=400)
_, d = call("GET jobs?state=queued&kernel=6.1", "GET", A + "/jobs?state=queued&kernel=6.1", expect=200)
check("2 queued 6.1 jobs", d and d["count"] == 2, str(d))
_, d = call("GET jobs?limit=3", "GET", A + "/jobs?limit=3&plan=%d" % pid, expect=200)
cur = d and d["next_cursor"]
_, d2 = call("GET jobs?cursor=", "GET", A + "/jobs?limit=3&cursor=%s" % cur, expect=200)
check("cursor paging covers all 4 jobs once",
      d and d2 and len({j["id"] for j in d["items"] + d2["items"]}) == 4, "%s %s" % (d, d2))
call("GET jobs?state=bogus -> 400", "GET", A + "/jobs?state=bogus", expect=400)
call("GET jobs?limit=0 -> 400", "GET", A + "/jobs?limit=0", expect=400)
call("GET jobs?kernel=nope -> 404", "GET", A + "/jobs?kernel=nope", expect=404)
jobs = {(k, t): i for i, k, t in q("SELECT j.id, k.name, t.name FROM jobs j JOIN kernels k "
                                   "ON k.id = j.kernel_id JOIN targets t ON t.id = j.target_id")}
ja, jb, jc, jd = jobs[("6.1", "q35-a")], jobs[("6.12", "q35-a")], jobs[("6.1", "q35-b")], jobs[("6.12", "q35-b")]
call("GET jobs/{id}", "GET", A + "/jobs/%d" % ja, expect=200)
call("GET jobs/999 -> 404", "GET", A + "/jobs/999", expect=404)

# ---- results ingest (the scheduler's part is simulated in SQL) --------------------
recs_a = [rec("kmod.attach.one", 95, 95, "pass", "q35-a", "6.1.0-56-amd64"),
          rec("kmod.attach.two", 16, 16, "pass", "q35-a", "6.1.0-56-amd64")]
call("POST results for a queued job -> 409", "POST", A + "/results",
     {"job": ja, "records": recs_a}, auth=token, expect=409)
q("UPDATE jobs SET state = 2, attempts = 1 WHERE id IN (?, ?)", ja, jb)
n0 = q("SELECT count(*) FROM results")[0][0]
badrecs = [recs_a[0], dict(recs_a[1], verdict="maybe")]
_, d = call("POST results with a malformed record -> 400", "POST", A + "/results",
            {"job": ja, "records": badrecs}, auth=token, expect=400)
check("error names the bad record", d and d["detail"]["index"] == 1, str(d))
call("POST results without a token -> 401", "POST", A + "/results",
     {"job": ja, "records": recs_a}, expect=401)
call("POST results malformed JSON -> 400", "POST", A + "/results", raw=b"[1, 2", auth=token, expect=400)
call("POST results for an unknown job -> 404", "POST", A + "/results",
     {"job": 999, "records": recs_a}, auth=token, expect=404)
begin = 'IOMMULAB-BEGIN {"v":1,"target":"q35-a","kernel":"6.12.117+deb12-amd64","arch":"x86_64","cases":2}'
recs_b = [rec("kmod.attach.one", 22, 22, "pass", "q35-a", "6.12.117+deb12-amd64"),
          rec("kmod.attach.two", 22, 16, "fail", "q35-a", "6.12.117+deb12-amd64")]
lines = ["[    0.0] Linux version 6.12", begin] + \
        ["IOMMULAB-REC " + json.dumps(r) for r in recs_b]
trunc = "\n".join(lines)[:-40] + "\n"
_, d = call("POST results with a truncated log -> 400", "POST", A + "/results",
            {"job": jb, "log": trunc}, auth=ingest, expect=400)
check("truncated log: status no_end", d and d["detail"]["status"] == "no_end", str(d))
inter = "\n".join(lines[:2] + [lines[2][:100] + "\n[ 1.0] DMAR: fault\n" + lines[2][100:]] +
                  lines[3:] + ['IOMMULAB-END {"v":1,"records":2,"status":"ok"}'])
_, d = call("POST results with a kernel message inside a record -> 400", "POST", A + "/results",
            {"job": jb, "log": inter}, auth=ingest, expect=400)
check("interleaved log: status malformed with a line number",
      d and d["detail"]["status"] == "malformed" and d["detail"]["line"] == 3, str(d))
otherlog = "\n".join([l.replace('"target":"q35-a"', '"target":"q35-b"').replace(
    '"target": "q35-a"', '"target": "q35-b"') for l in lines] +
    ['IOMMULAB-END {"v":1,"records":2,"status":"ok"}'])
_, d = call("POST results: a log of another target -> 400", "POST", A + "/results",
            {"job": jb, "log": otherlog}, auth=ingest, expect=400)
check("wrong-target error names both targets", d and "q35-b" in d["error"] and "q35-a" in d["error"], str(d))
_, d = call("POST results: records of another kernel -> 400", "POST", A + "/results",
            {"job": ja, "records": [dict(recs_a[0], kernel="6.12.117+deb12-amd64")]},
            auth=token, expect=400)
check("wrong-kernel error names the record", d and "records[0]" in d["error"], str(d))
wrongcount = "\n".join(lines + ['IOMMULAB-END {"v":1,"records":3,"status":"ok"}'])
call("POST results with a wrong END count -> 400", "POST", A + "/results",
     {"job": jb, "log": wrongcount}, auth=ingest, expect=400)
# the server judges (issue 15.2): a claimed verdict it computes otherwise refuses the batch
_, d = call("POST results: a verdict the server computes otherwise -> 400", "POST", A + "/results",
            {"job": ja, "records": [recs_a[0], dict(recs_a[1], verdict="fail")]}, auth=token,
            expect=400)
check("the refusal names the case, the claimed and the computed verdict",
      d and "kmod.attach.two repeat 0: claimed fail, the server computes pass" in d["error"], str(d))
_, d = call("POST results: pass claimed against the server's contract -> 400", "POST", A + "/results",
            {"job": jb, "records": [rec("kmod.attach.one", 95, 95, "pass", "q35-a",
                                        "6.12.117+deb12-amd64")]}, auth=token, expect=400)
check("the refusal names the contract version and its errno",
      d and "claimed pass, the server computes fail" in d["error"] and ">=6.2:any v1 expects EINVAL"
      in d["error"], str(d))
check("rejected ingests stored nothing", q("SELECT count(*) FROM results")[0][0] == n0 == 0)
check("rejected ingests left the jobs running",
      [s for (s,) in q("SELECT state FROM jobs WHERE id IN (?, ?)", ja, jb)] == [2, 2])
_, d = call("POST results records + complete -> 201", "POST", A + "/results",
            {"job": ja, "records": recs_a, "complete": True}, auth=token, expect=201)
check("job a complete with 2 results", d and d["state"] == "complete" and d["results"] == 2, str(d))
good = "\n".join(lines + ['IOMMULAB-END {"v":1,"records":2,"status":"ok"}', "reboot: Power down"])
_, d = call("POST results log (ingest token) + complete -> 201", "POST", A + "/results",
            {"job": jb, "log": good, "complete": True}, auth=ingest, expect=201)
check("job b complete with 2 results", d and d["state"] == "complete" and d["stored"] == 2, str(d))
call("POST results again for a complete job -> 409", "POST", A + "/results",
     {"job": ja, "records": recs_a}, auth=token, expect=409)
_, d = call("GET results?kernel=6.12&verdict=fail", "GET", A + "/results?kernel=6.12&verdict=fail",
            expect=200)
check("one failing 6.12 result", d and d["count"] == 1 and d["items"][0]["case"] == "kmod.attach.two", str(d))
call("GET results?target=q35-a&case=kmod.attach.one&driver=intel-iommu", "GET",
     A + "/results?target=q35-a&case=kmod.attach.one&driver=intel-iommu&limit=10", expect=200)
call("GET results?verdict=maybe -> 400", "GET", A + "/results?verdict=maybe", expect=400)

# ---- findings (the regression lifecycle, issue 18.1) ---------------------------------
_, d = call("GET findings", "GET", A + "/findings", expect=200)
check("the failing 6.12 result opened one finding (EBUSY -> EINVAL)",
      d and d["count"] == 1 and d["items"][0]["case"] == "kmod.attach.two" and
      d["items"][0]["from"] == "EBUSY" and d["items"][0]["to"] == "EINVAL" and
      d["items"][0]["state"] == "open" and d["items"][0]["first_kernel"] == "6.12", str(d))
fid = d["items"][0]["id"] if d and d["items"] else 0
call("GET findings?state=open&target=q35-a&expected=false", "GET",
     A + "/findings?state=open&target=q35-a&expected=false&case=kmod.attach.two&driver=intel-iommu",
     expect=200)
call("GET findings?state=bogus -> 400", "GET", A + "/findings?state=bogus", expect=400)
call("GET findings?target=-rf -> 400", "GET", A + "/findings?target=-rf", expect=400)
_, d = call("GET findings/{id}", "GET", A + "/findings/%d" % fid, expect=200)
check("finding has its 'opened' event", d and [e["kind"] for e in d["events"]] == ["opened"], str(d))
call("GET findings/999 -> 404", "GET", A + "/findings/999", expect=404)
ev0 = q("SELECT count(*) FROM finding_events")[0][0]
call("POST findings/{id}/ack without a token -> 401", "POST", A + "/findings/%d/ack" % fid,
     {"note": "x"}, expect=401)
call("POST findings/{id}/ack with the ingest token -> 403", "POST", A + "/findings/%d/ack" % fid,
     {"note": "x"}, auth=ingest, expect=403)
call("POST findings/{id}/ack unknown key -> 400", "POST", A + "/findings/%d/ack" % fid,
     {"nope": "x"}, auth=token, expect=400)
call("POST findings/999/ack -> 404", "POST", A + "/findings/999/ack", {}, auth=token, expect=404)
call("POST findings/{id}/link both -> 400", "POST", A + "/findings/%d/link" % fid,
     {"url": "https://bugzilla.kernel.org/1", "msgid": "a@b"}, auth=token, expect=400)
call("POST findings/{id}/link bad msgid -> 400", "POST", A + "/findings/%d/link" % fid,
     {"msgid": "$(touch /tmp/pwned)@x"}, auth=token, expect=400)
call("POST findings/{id}/expect without reason -> 400", "POST", A + "/findings/%d/expect" % fid,
     {}, auth=token, expect=400)
call("POST known-issues bad pattern -> 400", "POST", A + "/known-issues",
     {"case": "kmod;rm -rf", "reason": "x"}, auth=token, expect=400)
call("POST known-issues min after max -> 400", "POST", A + "/known-issues",
     {"kernel_min": "6.13", "kernel_max": "6.1", "reason": "x"}, auth=token, expect=400)
check("refused finding writes changed nothing",
      q("SELECT count(*) FROM finding_events")[0][0] == ev0 and
      q("SELECT count(*) FROM known_issues")[0][0] == 0 and
      q("SELECT count(*) FROM finding_links")[0][0] == 0 and
      q("SELECT acked_by FROM findings")[0][0] is None)
_, d = call("POST findings/{id}/ack -> 200", "POST", A + "/findings/%d/ack" % fid,
            {"note": "looking at it"}, auth=token, expect=200)
check("acked by the token's name", d and d["acked_by"] == "admin" and d["ack_note"] == "looking at it", str(d))
_, d = call("POST findings/{id}/link msgid -> 200", "POST", A + "/findings/%d/link" % fid,
            {"msgid": "<20261203.1-1-dev@kernel.org>"}, auth=token, expect=200)
check("the link is listed without <>", d and d["links"] and d["links"][0]["value"] ==
      "20261203.1-1-dev@kernel.org", str(d))
call("POST findings/{id}/link again -> 409", "POST", A + "/findings/%d/link" % fid,
     {"msgid": "20261203.1-1-dev@kernel.org"}, auth=token, expect=409)
_, d = call("POST findings/{id}/expect -> 200", "POST", A + "/findings/%d/expect" % fid,
            {"reason": "ENOTTY until the driver is fixed"}, auth=token, expect=200)
check("expected: its known issue is set", d and d["known_issue"] and
      d["expected_reason"] == "ENOTTY until the driver is fixed", str(d))
_, d = call("POST known-issues -> 201", "POST", A + "/known-issues",
            {"driver": "intel-iommu", "case": "kmod.attach.*", "target": "q35-*",
             "kernel_min": "6.1", "reason": "a wider one"}, auth=token, expect=201)
check("a known issue that matches no unmarked finding marks 0", d and d["marked"] == 0, str(d))
_, d = call("GET known-issues", "GET", A + "/known-issues", expect=200)
check("two known issues", d and d["count"] == 2, str(d))
check("both active", d and [k["state"] for k in d["items"]] == ["active", "active"], str(d))
kid = d["items"][-1]["id"] if d and d["items"] else 0   # the first: it marks finding fid
_, d = call("GET known-issues/{id}", "GET", A + "/known-issues/%d" % kid, expect=200)
check("one known issue", d and d["id"] == kid and d["state"] == "active" and d["findings"] == 1, str(d))
call("GET known-issues/999 -> 404", "GET", A + "/known-issues/999", expect=404)
ki0 = q("SELECT count(*) FROM finding_events")[0][0], q("SELECT group_concat(state) FROM known_issues")[0][0]
call("POST known-issues/{id}/retire without a token -> 401", "POST", A + "/known-issues/%d/retire" % kid,
     {"reason": "x"}, expect=401)
call("POST known-issues/{id}/retire with the ingest token -> 403", "POST",
     A + "/known-issues/%d/retire" % kid, {"reason": "x"}, auth=ingest, expect=403)
call("POST known-issues/{id}/retire without reason -> 400", "POST", A + "/known-issues/%d/retire" % kid,
     {}, auth=token, expect=400)
call("POST known-issues/999/retire -> 404", "POST", A + "/known-issues/999/retire",
     {"reason": "x"}, auth=token, expect=404)
check("refused retires changed nothing",
      (q("SELECT count(*) FROM finding_events")[0][0], q("SELECT group_concat(state) FROM known_issues")[0][0]) == ki0)
_, d = call("POST known-issues/{id}/retire -> 200", "POST", A + "/known-issues/%d/retire" % kid,
            {"reason": "fixed in 6.13"}, auth=token, expect=200)
check("retired by the token's name, its finding expected no more",
      d and d["state"] == "retired" and d["retired_by"] == "admin" and d["retire_reason"] == "fixed in 6.13"
      and d["unmarked"] == 1 and d["findings"] == 0, str(d))
call("POST known-issues/{id}/retire again -> 409", "POST", A + "/known-issues/%d/retire" % kid,
     {"reason": "again"}, auth=token, expect=409)
_, d = call("GET findings/{id} after the retire", "GET", A + "/findings/%d" % fid, expect=200)
check("the finding is expected no more, with an 'unexpected' event",
      d and d["known_issue"] is None and d["events"][-1]["kind"] == "unexpected", str(d))

# ---- target health (issue 18.6; no scheduler here: nothing runs) -----------------------
_, d = call("GET targets/{name}/health", "GET", A + "/targets/q35-b/health", expect=200)
check("a target starts active with no history", d and d["state"] == "active" and d["history"] == [], str(d))
call("GET targets/nope/health -> 404", "GET", A + "/targets/nope/health", expect=404)
call("POST targets/{name}/state without a token -> 401", "POST", A + "/targets/q35-b/state",
     {"state": "maintenance"}, expect=401)
call("POST targets/{name}/state bogus -> 400", "POST", A + "/targets/q35-b/state",
     {"state": "broken"}, auth=token, expect=400)
_, d = call("POST targets/{name}/state maintenance -> 200", "POST", A + "/targets/q35-b/state",
            {"state": "maintenance", "reason": "recabling"}, auth=token, expect=200)
check("maintenance: health bad, logged with the reason", d and d["health"] == "bad" and
      d["history"][-1]["event"] == "state maintenance" and d["history"][-1]["reason"] == "recabling", str(d))
call("POST targets/{name}/check in maintenance -> 400", "POST", A + "/targets/q35-b/check", {},
     auth=token, expect=400)
_, d = call("POST targets/{name}/state active -> 200", "POST", A + "/targets/q35-b/state",
            {"state": "active"}, auth=token, expect=200)
check("active again: health unknown", d and d["health"] == "unknown" and d["state"] == "active", str(d))
call("POST targets/{name}/check unknown kernel -> 404", "POST", A + "/targets/q35-b/check",
     {"kernel": "9.9"}, auth=token, expect=404)
_, d = call("POST targets/{name}/check -> 201", "POST", A + "/targets/q35-b/check",
            {"kernel": "6.12", "cases": "kmod.attach.*"}, auth=token, expect=201)
check("a check is a queued job of priority 1000", d and q("SELECT priority, state FROM jobs WHERE id = ?",
      d["job"]) == [(1000, 0)], str(d))
call("POST targets/{name}/check again -> 409", "POST", A + "/targets/q35-b/check",
     {"kernel": "6.12"}, auth=token, expect=409)
q("UPDATE jobs SET state = 5 WHERE id IN (SELECT job_id FROM health_jobs)")

# ---- subscriptions (issue 18.2; nothing is sent here: no scheduler) -------------------
call("GET subscriptions without a token -> 401", "GET", A + "/subscriptions", expect=401)
call("POST subscriptions webhook without a secret -> 400", "POST", A + "/subscriptions",
     {"kind": "webhook", "url": "http://127.0.0.1:9/hook"}, auth=token, expect=400)
call("POST subscriptions unknown event -> 400", "POST", A + "/subscriptions",
     {"kind": "maildir", "maildir": "/tmp/md", "events": "finding-opened,nope"}, auth=token, expect=400)
_, d = call("POST subscriptions -> 201", "POST", A + "/subscriptions",
            {"kind": "webhook", "url": "http://127.0.0.1:9/hook", "secret": "0123456789abcdef-secret",
             "driver": "intel-iommu"}, auth=token, expect=201)
check("a subscription is answered without its secret", d and "secret" not in d and d["signed"] == 1, str(d))
sid = d["id"] if d else 0
call("GET subscriptions", "GET", A + "/subscriptions", auth=token, expect=200)
call("GET subscriptions/{id}/deliveries", "GET", A + "/subscriptions/%d/deliveries" % sid,
     auth=token, expect=200)

# ---- matrix, diffs -----------------------------------------------------------------
_, d = call("GET matrix?kernel=6.12", "GET", A + "/matrix?kernel=6.12", expect=200)
check("matrix: 2 cells, 1 fail", d and len(d["cells"]) == 2 and d["summary"]["fail"] == 1, str(d))
call("GET matrix without kernel -> 400", "GET", A + "/matrix", expect=400)
call("GET matrix?kernel=nope -> 404", "GET", A + "/matrix?kernel=nope", expect=404)
_, d = call("GET diffs?base=6.1&head=6.12", "GET", A + "/diffs?base=6.1&head=6.12", expect=200)
cls = {r["case"]: r["class"] for r in d["rows"]} if d else {}
check("diff classes: errno_changed + pass_to_fail",
      cls == {"kmod.attach.one": "errno_changed", "kmod.attach.two": "pass_to_fail"}, str(cls))
_, t = call("GET diffs?format=text", "GET", A + "/diffs?base=6.1&head=6.12&format=text", expect=200)
check("text diff shows EOPNOTSUPP -> EINVAL", t and "EOPNOTSUPP (pass)" in t and "EINVAL (pass)" in t, repr(t))
_, t = call("GET diffs with Accept: text/plain", "GET", A + "/diffs?base=6.1&head=6.12",
            headers={"Accept": "text/plain"}, expect=200)
check("Accept: text/plain gives text", isinstance(t, str) and "CLASS" in t, repr(t))
call("GET diffs by plan", "GET", A + "/diffs?base_plan=%d&head_plan=%d" % (pid, pid), expect=200)
call("GET diffs without head -> 400", "GET", A + "/diffs?base=6.1", expect=400)
call("GET diffs unknown kernel -> 404", "GET", A + "/diffs?base=6.1&head=9.9", expect=404)

# ---- contracts: a change is a new version; rejudge applies it, with history --------------
call("POST contracts/rejudge with an ingest token -> 403", "POST", A + "/contracts/rejudge", {},
     auth=ingest, expect=403)
call("POST contracts/rejudge with a bad case -> 400", "POST", A + "/contracts/rejudge",
     {"case": "BAD ID"}, auth=token, expect=400)
_, d = call("POST contracts/rejudge: nothing changed -> 200", "POST", A + "/contracts/rejudge", {},
            auth=token, expect=200)
check("nothing to rejudge before a contract change", d and d["rejudged"] == 0 and d["changed"] == 0, str(d))
# 6.2+ now "expects" EOPNOTSUPP: 6.12's EINVAL pass becomes a fail
new_rules = [dict(one_rules[0], expected="EOPNOTSUPP", expected_errno=95), one_rules[1]]
call("POST cases: kmod.attach.one's contract changed", "POST", A + "/cases",
     {"cases": [{"id": "kmod.attach.one", "contracts": new_rules}]}, auth=token, expect=200)
check("a changed contract is version 2, version 1 kept",
      q("SELECT version FROM contract_versions WHERE case_id = 'kmod.attach.one' ORDER BY version")
      == [(1,), (2,)])
_, d = call("POST contracts/rejudge -> 200", "POST", A + "/contracts/rejudge",
            {"case": "kmod.attach.one"}, auth=token, expect=200)
check("rejudge: 2 results judged again, the 6.12 one changed pass -> fail",
      d and d["rejudged"] == 2 and d["changed"] == 1 and d["changes"][0]["old_verdict"] == "pass"
      and d["changes"][0]["verdict"] == "fail" and d["changes"][0]["contract_version"] == 2, str(d))
_, d = call("GET contracts/history", "GET", A + "/contracts/history?case=kmod.attach.one", expect=200)
check("history: one row, pass -> fail under version 2",
      d and d["count"] == 1 and d["items"][0]["old_verdict"] == "pass" and d["items"][0]["verdict"]
      == "fail" and d["items"][0]["contract_version"] == 2 and d["items"][0]["kernel"] == "6.12", str(d))
call("GET contracts/history?case=BAD -> 400", "GET", A + "/contracts/history?case=BAD%20ID", expect=400)
_, d = call("GET matrix?kernel=6.12 after the rejudge", "GET", A + "/matrix?kernel=6.12", expect=200)
check("matrix shows the rejudged verdict: 2 fails", d and d["summary"]["fail"] == 2, str(d))
call("POST cases: the contract back", "POST", A + "/cases", cat, auth=token, expect=200)
_, d = call("POST contracts/rejudge: back -> 200", "POST", A + "/contracts/rejudge", {}, auth=token,
            expect=200)
check("rejudge back: 1 changed, version 3, history 2 rows",
      d and d["changed"] == 1 and d["changes"][0]["verdict"] == "pass"
      and q("SELECT count(*) FROM verdict_history")[0][0] == 2
      and q("SELECT max(version) FROM contract_versions WHERE case_id = 'kmod.attach.one'")[0][0] == 3,
      str(d))

# ---- cancel, retry, log ------------------------------------------------------------------
call("POST jobs/{id}/cancel without a token -> 401", "POST", A + "/jobs/%d/cancel" % jc, expect=401)
_, d = call("POST jobs/{id}/cancel -> 202", "POST", A + "/jobs/%d/cancel" % jc,
            {"reason": "api test"}, auth=token, expect=202)
check("job canceled with the reason", d and d["state"] == "canceled" and "api test" in d["reason"], str(d))
call("cancel a canceled job -> 409", "POST", A + "/jobs/%d/cancel" % jc, auth=token, expect=409)
call("cancel an unknown job -> 404", "POST", A + "/jobs/999/cancel", auth=token, expect=404)
call("retry a canceled job -> 409", "POST", A + "/jobs/%d/retry" % jc, auth=token, expect=409)
q("UPDATE jobs SET state = 4, attempts = 3, max_attempts = 3 WHERE id = ?", jd)
_, d = call("POST jobs/{id}/retry -> 200", "POST", A + "/jobs/%d/retry" % jd, auth=token, expect=200)
check("retried job is queued with an attempt left", d and d["state"] == "queued" and
      d["max_attempts"] > d["attempts"], str(d))
call("retry unknown job -> 404", "POST", A + "/jobs/999/retry", auth=token, expect=404)
call("GET jobs/{id}/log without a log -> 404", "GET", A + "/jobs/%d/log" % ja, expect=404)
logf = os.path.join(out, "job.log")
open(logf, "w").write("line one\nline two\n")
q("UPDATE jobs SET log_path = ? WHERE id = ?", logf, ja)
_, t = call("GET jobs/{id}/log", "GET", A + "/jobs/%d/log" % ja, expect=200)
check("log served from the path in the database", t == "line one\nline two\n", repr(t))
_, t = call("GET jobs/{id}/log?offset=9", "GET", A + "/jobs/%d/log?offset=9" % ja, expect=200)
check("log offset", t == "line two\n", repr(t))

# ---- dashboard overview (server/api_dash.c) ------------------------------------------
call("GET overview", "GET", A + "/overview", expect=200)

# ---- LAVA artifacts: only registered files, never a request path ----------------------
call("GET artifacts/{unknown sha}/{file} -> 404", "GET", A + "/artifacts/" + "a" * 64 + "/bzImage",
     expect=404)
call("GET artifacts/{bad sha}/{file} -> 400", "GET", A + "/artifacts/ABC/bzImage", expect=400)
call("GET artifacts with ../ -> 404", "GET", A + "/artifacts/..%2f..%2fetc/passwd", expect=404)

# ---- LAVA callback: no lab configured, so no secret matches ----------------------
call("POST lava/callback with a wrong secret -> 401", "POST", A + "/lava/callback",
     {"id": 1}, headers={"Authorization": "Token nope"}, expect=401)
call("POST lava/callback with an API token -> 401", "POST", A + "/lava/callback",
     {"id": 1}, auth=token, expect=401)

# ---- per-patch validation (server/patch.c, api_patch.c); no scheduler here: jobs stay queued
mbox = open(os.path.join(top, "kernels/patches/0001-iommu-vt-d-enodev-on-snoop-mismatch.patch")).read()
ps = {"base": "debian-6.12", "series": mbox, "targets": ["q35-a"]}
call("POST patches without a token -> 401", "POST", A + "/patches", ps, expect=401)
call("POST patches with an ingest token -> 403", "POST", A + "/patches", ps, auth=ingest, expect=403)
call("POST patches bad base -> 400", "POST", A + "/patches", dict(ps, base="../x"), auth=token, expect=400)
call("POST patches without a diff -> 400", "POST", A + "/patches", dict(ps, series="hello"),
     auth=token, expect=400)
call("POST patches bad file name -> 400", "POST", A + "/patches",
     dict(ps, series=[{"name": "../evil.patch", "text": mbox}]), auth=token, expect=400)
call("POST patches unknown key -> 400", "POST", A + "/patches", dict(ps, nope=1), auth=token, expect=400)
call("POST patches unknown target -> 404", "POST", A + "/patches", dict(ps, targets=["zz"]),
     auth=token, expect=404)
_, d = call("POST patches -> 201", "POST", A + "/patches", ps, auth=token, expect=201)
check("patch plan: kind patch, 2 jobs (base, candidate), the series subject",
      d and d["kind"] == "patch" and d["njobs"] == 2 and
      "snoop" in d["spec"]["patch"]["subject"] and d["spec"]["patch"]["base"] == "base-debian-6.12", str(d))
if d:
    ppid = d["id"]
    _, r = call("GET patches/{id}: pending", "GET", A + "/patches/%d" % ppid, expect=200)
    check("report pending while jobs are queued, one pending check",
          r and r["state"] == "pending" and [c["state"] for c in r["checks"]] == ["pending"], str(r))
    _, t = call("GET patches/{id}?format=text", "GET", A + "/patches/%d?format=text" % ppid, expect=200)
    check("text report names base and candidate", t and "base-debian-6.12" in t and "patch-" in t, repr(t))
    _, l = call("GET patches", "GET", A + "/patches", expect=200)
    check("patch list has the plan", l and any(i["plan"] == ppid for i in l["items"]), str(l))
    _, k = call("GET kernels/base-debian-6.12", "GET", A + "/kernels/base-debian-6.12", expect=200)
    check("base kernel registered as a build with its recipe",
          k and k["source"] == "build" and k["source_ref"] == "tree=debian-6.12", str(k))
call("GET patches/{id} of a plan that is no patch -> 404", "GET", A + "/patches/%d" % pid, expect=404)
call("GET patches/999 -> 404", "GET", A + "/patches/999", expect=404)
call("GET jobs/{id}/prep-log of a job never prepared -> 404", "GET", A + "/jobs/%d/prep-log" % ja, expect=404)
os.makedirs(os.path.join(out, "state", "logs"), exist_ok=True)
open(os.path.join(out, "state", "logs", "%d.prep.log" % ja), "w").write("prepare: one\nprepare: two\n")
_, t = call("GET jobs/{id}/prep-log", "GET", A + "/jobs/%d/prep-log" % ja, expect=200)
check("prep log served from STATE/logs/<id>.prep.log", t == "prepare: one\nprepare: two\n", repr(t))
_, t = call("GET jobs/{id}/prep-log?offset=13", "GET", A + "/jobs/%d/prep-log?offset=13" % ja, expect=200)
check("prep log offset", t == "prepare: two\n", repr(t))
call("GET jobs/999/prep-log -> 404", "GET", A + "/jobs/999/prep-log", expect=404)
call("GET patches/x -> 400", "GET", A + "/patches/x", expect=400)

# ---- bisections (flows/bisect.c, api_bisect.c): no scheduler, the first step's job stays queued
import subprocess, shutil
g = os.path.join(out, "gittree")
shutil.rmtree(g, ignore_errors=True)
os.makedirs(g)
genv = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t.invalid",
            GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t.invalid")
def git(*a):
    return subprocess.run(["git", "-C", g] + list(a), check=True, capture_output=True,
                          text=True, env=genv).stdout.strip()
git("init", "-q")
for i in range(4):
    open(os.path.join(g, "f"), "w").write(str(i))
    git("add", "f")
    git("commit", "-qm", "c%d" % i)
_, cl = call("GET cases (for a bisection)", "GET", A + "/cases", expect=200)
bcase = cl["items"][0]["id"] if cl and cl.get("items") else "kmod.attach.one"
bs = {"tree": g, "good": "HEAD~3", "bad": "HEAD", "target": "q35-a", "case": bcase, "expect": "EINVAL"}
call("POST bisections without a token -> 401", "POST", A + "/bisections", bs, expect=401)
call("POST bisections with an ingest token -> 403", "POST", A + "/bisections", bs, auth=ingest, expect=403)
for name, bad_bs, st in (("relative tree", dict(bs, tree="x"), 400),
                         ("not a git repository", dict(bs, tree=out + "/web"), 400),
                         ("a ref that is an option", dict(bs, good="--output=/tmp/x"), 400),
                         ("a ref that is no commit", dict(bs, good="nosuch"), 400),
                         ("good not an ancestor of bad", dict(bs, good="HEAD", bad="HEAD~3"), 400),
                         ("unknown target", dict(bs, target="zz"), 404),
                         ("unknown errno", dict(bs, expect="EBOGUS"), 400),
                         ("two predicates", dict(bs, verdict="pass"), 400),
                         ("no predicate", {k: v for k, v in bs.items() if k != "expect"}, 400),
                         ("repeat 0", dict(bs, repeat=0), 400),
                         ("unknown key", dict(bs, nope=1), 400)):
    call("POST bisections %s -> %d" % (name, st), "POST", A + "/bisections", bad_bs, auth=token, expect=st)
_, l = call("GET bisections (none yet)", "GET", A + "/bisections", expect=200)
check("refused bisections recorded nothing", l and l["count"] == 0 and l["items"] == [], str(l))
_, d = call("POST bisections -> 201", "POST", A + "/bisections", bs, auth=token, expect=201)
check("bisection running, step 1 queued on a commit between good and bad",
      d and d["state"] == "running" and len(d["steps"]) == 1 and d["steps"][0]["judgement"] is None and
      d["steps"][0]["commit"] in (git("rev-parse", "HEAD~1"), git("rev-parse", "HEAD~2")) and
      d["spec"]["good_commit"] == git("rev-parse", "HEAD~3"), str(d))
check("the tree was not written (no bisect state, HEAD unchanged)",
      not os.path.exists(os.path.join(g, ".git", "BISECT_LOG")) and
      git("rev-parse", "HEAD") == d["spec"]["bad_commit"] if d else False, "")
if d:
    _, b = call("GET bisections/{id}", "GET", A + "/bisections/%d" % d["id"], expect=200)
    check("the step's kernel is a build of tree@commit", b and b["steps"][0]["kernel"].startswith("bisect-"), str(b))
    _, t = call("GET bisections/{id}?format=text", "GET", A + "/bisections/%d?format=text" % d["id"], expect=200)
    check("bisection text names the predicate", t and "observes EINVAL" in t, repr(t))
    _, l = call("GET bisections", "GET", A + "/bisections", expect=200)
    check("bisection listed", l and l["count"] == 1 and l["items"][0]["steps"] == 1, str(l))
    _, pl = call("GET plans (the step's plan)", "GET", A + "/plans", expect=200)
    check("the step is a plan of kind manual with spec.bisect",
          pl and any(p["spec"].get("bisect", {}).get("id") == d["id"] for p in pl["items"]), str(pl)[:300])
call("GET bisections/999 -> 404", "GET", A + "/bisections/999", expect=404)
call("POST bisections verify of the wrong type -> 400", "POST", A + "/bisections",
     dict(bs, verify="yes"), auth=token, expect=400)
_, vd = call("POST bisections verify -> 201", "POST", A + "/bisections", dict(bs, verify=True),
             auth=token, expect=201)
check("verify: step 1 is the good end itself", vd and vd["steps"][0]["commit"] == git("rev-parse", "HEAD~3"), str(vd))
if d:
    call("POST bisections/{id}/cancel without a token -> 401", "POST",
         A + "/bisections/%d/cancel" % d["id"], expect=401)
    _, cd = call("POST bisections/{id}/cancel -> 200", "POST", A + "/bisections/%d/cancel" % d["id"],
                 auth=token, expect=200)
    check("canceled, with who did it", cd and cd["state"] == "canceled" and "admin" in (cd["reason"] or ""), str(cd))
    call("POST bisections/{id}/cancel again -> 400", "POST", A + "/bisections/%d/cancel" % d["id"],
         auth=token, expect=400)
    _, jl = call("GET jobs of the step's plan", "GET", A + "/jobs?plan=%d" % cd["steps"][0]["plan"], expect=200)
    check("the step's job is canceled too",
          jl and len(jl["items"]) == 1 and jl["items"][0]["state"] == "canceled", str(jl)[:300])
call("POST bisections/999/cancel -> 404", "POST", A + "/bisections/999/cancel", auth=token, expect=404)
sb = {"base": "debian-6.12", "series": mbox, "target": "q35-a", "case": bcase, "expect": "EINVAL"}
call("POST bisections: a tree and a series at once -> 400", "POST", A + "/bisections",
     dict(sb, tree=g, good="HEAD~3", bad="HEAD"), auth=token, expect=400)
call("POST bisections: a series without a diff -> 400", "POST", A + "/bisections",
     dict(sb, series="hello"), auth=token, expect=400)
call("POST bisections: a series file named ../x -> 400", "POST", A + "/bisections",
     dict(sb, series=[{"name": "../x.patch", "text": mbox}]), auth=token, expect=400)
call("POST bisections: a base that is no tree -> 400", "POST", A + "/bisections",
     dict(sb, base="/nonexistent@HEAD"), auth=token, expect=400)
call("POST bisections: patch plan 999 -> 404", "POST", A + "/bisections",
     {"patch": 999}, auth=token, expect=404)
_, sd = call("POST bisections series -> 201", "POST", A + "/bisections", sb, auth=token, expect=201)
check("series bisection: one patch, nothing to build: found at once (patch 1)",
      sd and sd["kind"] == "series" and sd["state"] == "found" and sd["steps"] == [] and
      sd["result"]["first_bad"]["patch"] == 1, str(sd))
call("GET bisections/x -> 400", "GET", A + "/bisections/x", expect=400)
call("POST likely without a token -> 401", "POST", A + "/likely", {"tree": g}, expect=401)
call("POST likely unknown driver -> 400", "POST", A + "/likely",
     {"tree": g, "from": "HEAD~3", "to": "HEAD", "driver": "nosuch"}, auth=token, expect=400)
_, lk = call("POST likely -> 200", "POST", A + "/likely",
             {"tree": g, "from": "HEAD~3", "to": "HEAD", "driver": "intel-iommu", "errno": "ENODEV"},
             auth=token, expect=200)
check("likely: no commit of this tree touches drivers/iommu", lk and lk["total"] == 0, str(lk))

# ---- unknown routes, static files ----------------------------------------------------------
call("GET /api/v1/nope -> 404", "GET", A + "/nope", expect=404)
_, b = call("GET / -> index.html", "GET", "/", expect=200)
check("index.html served", b and b"<title>iommulab" in b, repr(b))
call("GET /nope.html -> 404", "GET", "/nope.html", expect=404)
call("GET /leak.txt (symlink out of web/) -> 404", "GET", "/leak.txt", expect=404)
call("GET /sub/out/secret.txt (dir symlink out) -> 404", "GET", "/sub/out/secret.txt", expect=404)
for p in ("/../outside/secret.txt", "/sub/../../outside/secret.txt", "/%2e%2e/outside/secret.txt",
          "/sub/%2e%2e/%2e%2e/outside/secret.txt"):
    st, b = call("GET %s is refused" % p, "GET", p)
    check("no file outside web/ for %s" % p, st in (400, 404) and b and b"secret outside" not in b,
          "%s %r" % (st, b))
call("POST / -> 405", "POST", "/", raw=b"x", expect=405)

# ---- every documented operation was exercised ----------------------------------------------
missing = documented - exercised
check("every documented route was exercised (%d)" % len(documented), not missing, str(sorted(missing)))
print("api-checks: %d passed, %d failed" % (passed, failed))
open(os.path.join(out, "py.counts"), "w").write("%d %d 0\n" % (passed, failed))
sys.exit(1 if failed else 0)
PY
rc=$?
read -r pp pf _ < "$out/py.counts" 2>/dev/null || { pp=0; pf=1; }

# SIGTERM: a clean shutdown within 10 s (ASan reports leaks at exit)
kill -TERM $pid
for _ in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
if kill -0 $pid 2>/dev/null; then
	kill -KILL $pid
	lab_fail "SIGTERM stops iommulabd" "still running after 10 s"
else
	wait $pid
	st=$?
	if [ "$st" -eq 0 ] && grep -q "stopped" "$out/iommulabd.log"; then
		lab_ok "SIGTERM stops iommulabd cleanly (exit 0)"
	else
		lab_fail "SIGTERM stops iommulabd cleanly" "exit $st"
	fi
fi
if grep -q "$(cat "$out/state/admin.token")" "$out/iommulabd.log"; then
	lab_fail "the admin secret never reaches the log"
else
	lab_ok "the admin secret never reaches the log"
fi
[ "$rc" -ne 0 ] && [ "$pf" -eq 0 ] && pf=1
lab_counts "$pp" "$pf" 0
lab_done
