#!/usr/bin/env bash
# 26-respcache: the cached GET /matrix and GET /diffs bodies (server/respcache.c)
# are never stale. A real iommulabd (--no-scheduler, temp DB) answers a
# matrix and a diff, then results become visible three ways and each answer
# must follow at once: a job completed through the API (the server's own
# connection), a row changed by another process (sqlite3 on the same file:
# PRAGMA data_version), a kernel's description updated; repeated requests
# with nothing changed give identical bytes; changes_only and format=text
# are separate answers.
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
O=${O:-$top/build}
SAN=${LAB_SAN:-${SAN:-0}}
out=${LAB_TEST_OUT:-$top/tests/out}/respcache
rm -rf "$out"
. "$top/tests/lib-server.sh"
lab_srv_fixture "$out"

PYTHONPATH=$top/tests python3 - "$LAB_URL" "$out" <<'PY'
import json
from apicheck import main, rec
A = "/api/v1"


def body(api, check):
    call, sql = api.call, api.sql
    call("POST", A + "/kernels", {"name": "6.1", "release": "6.1.0-56-amd64"}, expect=201)
    call("POST", A + "/kernels", {"name": "6.12", "release": "6.12.117+deb12-amd64"}, expect=201)
    d = json.loads(call("POST", A + "/plans", {"kind": "manual", "kernels": ["6.1", "6.12"],
                                               "targets": ["q35-a"]}, expect=201))
    jobs = dict(sql("SELECT k.name, j.id FROM jobs j JOIN kernels k ON k.id = j.kernel_id"))
    sql("UPDATE jobs SET state = 2, attempts = 1")
    M, D = A + "/matrix?kernel=6.12", A + "/diffs?base=6.1&head=6.12"
    m0 = call("GET", M)
    ct = api.ctype
    check("matrix: empty, application/json", json.loads(m0)["cells"] == [] and
          ct.startswith("application/json"), "%s %r" % (ct, m0[:200]))
    check("matrix: the same bytes when nothing changed", call("GET", M) == m0)
    d0 = call("GET", D)
    check("diff: empty", json.loads(d0)["rows"] == [], d0[:200])
    # 1. results become visible through the API (the server's own connection)
    call("POST", A + "/results", {"job": jobs["6.1"], "complete": True, "records":
         [rec("kmod.x.one", 95, "6.1.0-56-amd64", 95, "pass"),
          rec("kmod.x.two", 16, "6.1.0-56-amd64", 16, "pass")]}, expect=201)
    call("POST", A + "/results", {"job": jobs["6.12"], "complete": True, "records":
         [rec("kmod.x.one", 22, "6.12.117+deb12-amd64", 22, "pass"),
          rec("kmod.x.two", 16, "6.12.117+deb12-amd64", 16, "pass")]}, expect=201)
    m1 = json.loads(call("GET", M))
    check("matrix follows a job completed through the API", len(m1["cells"]) == 2 and
          m1["summary"]["pass"] == 2, str(m1)[:300])
    d1 = json.loads(call("GET", D))
    check("diff follows it: 1 errno_changed, 1 unchanged",
          d1["summary"]["errno_changed"] == 1 and d1["summary"]["unchanged"] == 1, str(d1["summary"]))
    dc = json.loads(call("GET", D + "&changes_only=1"))
    check("changes_only is its own answer (1 row)", len(dc["rows"]) == 1, str(dc)[:300])
    t = call("GET", D + "&format=text").decode()
    check("format=text still a table", "EOPNOTSUPP (pass)  EINVAL (pass)" in t, t[:300])
    # 2. another process changes a row behind the server's back
    sql("UPDATE results SET verdict = 1, observed = 5 WHERE case_id = 'kmod.x.two' AND "
        "kernel_id = (SELECT id FROM kernels WHERE name = '6.12')")
    m2 = json.loads(call("GET", M))
    check("matrix follows another process's write (data_version)",
          m2["summary"]["fail"] == 1 and m2["summary"]["pass"] == 1, str(m2["summary"]))
    d2 = json.loads(call("GET", D))
    check("diff follows it: pass_to_fail", d2["summary"]["pass_to_fail"] == 1, str(d2["summary"]))
    # 3. the kernel's description changes
    call("POST", A + "/kernels", {"name": "6.12", "version": "6.12.999"}, expect=200)
    m3 = json.loads(call("GET", M))
    check("matrix follows a kernel update", m3["kernel"]["version"] == "6.12.999", str(m3["kernel"]))
    check("unknown kernel still 404", call("GET", A + "/matrix?kernel=nope", expect=404) is not None)


main("respcache", body)
PY
lab_srv_py_done "$out"
