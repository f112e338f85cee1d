#!/usr/bin/env bash
# 27-jobs-cache: GET /api/v1/jobs is served from the response cache
# (server/respcache.c, issue 8) and is never stale. A real iommulabd
# (--no-scheduler, temp DB) lists jobs; then jobs change four ways and the
# very next list must show it: a cancel and a retry through the API, a
# results ingest that completes a job (the server's own connections), and
# a state change by another process (sqlite3 on the same file, what a
# second writer or the scheduler's own connection looks like: PRAGMA
# data_version). Repeated lists with nothing changed give identical bytes;
# arguments that change the body get their own answer (filters, cursor,
# limit), equivalent ones the same one (limit=50&offset=0 = no limit; a
# padded limit=050 is refused: digits only, issue 16), and an
# unknown kernel/target is still a 404 after the cache is warm.
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
O=${O:-$top/build}
SAN=${LAB_SAN:-${SAN:-0}}
out=${LAB_TEST_OUT:-$top/tests/out}/jobs-cache
rm -rf "$out"
. "$top/tests/lib-server.sh"
lab_srv_fixture "$out"

PYTHONPATH=$top/tests python3 - "$LAB_URL" "$out" <<'PY'
import json
from apicheck import main, rec
A = "/api/v1"


def body(api, check):
    call, sql = api.call, api.sql

    def states(path=A + "/jobs"):
        return {j["id"]: j["state"] for j in json.loads(call("GET", path))["items"]}

    call("POST", A + "/kernels", {"name": "6.1", "release": "6.1.0-56-amd64"}, expect=201)
    call("POST", A + "/kernels", {"name": "6.12", "release": "6.12.117+deb12-amd64"}, expect=201)
    call("POST", A + "/plans", {"kind": "manual", "kernels": ["6.1", "6.12"],
                                "targets": ["q35-a", "q35-b"]}, expect=201)
    ids = dict(((k, t), i) for k, t, i in sql(
        "SELECT k.name, t.name, j.id FROM jobs j JOIN kernels k ON k.id = j.kernel_id "
        "JOIN targets t ON t.id = j.target_id"))
    L = A + "/jobs"
    b0 = call("GET", L)
    s0 = {j["id"]: j["state"] for j in json.loads(b0)["items"]}
    check("list: 4 queued jobs", sorted(s0.values()) == ["queued"] * 4, str(s0))
    check("list: the same bytes when nothing changed", call("GET", L) == b0)
    # equivalent spellings: the same answer; different values: their own
    check("limit=50&offset=0 is limit=50 is no limit",
          call("GET", L + "?limit=50&offset=0") == b0 and call("GET", L + "?limit=50") == b0)
    call("GET", L + "?limit=050", expect=400)	# digits only, no padding (issue 16)
    p1 = json.loads(call("GET", L + "?limit=1"))
    check("limit=1: one item and a cursor", p1["count"] == 1 and p1["next_cursor"] == max(s0),
          str(p1)[:300])
    p2 = json.loads(call("GET", L + "?limit=1&cursor=%d" % p1["next_cursor"]))
    check("cursor: the next page, not the first", p2["count"] == 1 and
          p2["items"][0]["id"] < p1["items"][0]["id"], str(p2)[:300])
    p3 = json.loads(call("GET", L + "?limit=1&offset=1"))
    check("offset=1: its own answer", p3["items"][0]["id"] == p2["items"][0]["id"], str(p3)[:300])
    kq = states(L + "?kernel=6.1")
    check("kernel=6.1: its two jobs", sorted(kq) == sorted([ids[("6.1", "q35-a")],
          ids[("6.1", "q35-b")]]), str(kq))
    tq = states(L + "?target=q35-b")
    check("target=q35-b: its two jobs", sorted(tq) == sorted([ids[("6.1", "q35-b")],
          ids[("6.12", "q35-b")]]), str(tq))
    check("kernel=q35-b after target=q35-b is a 404, not the cached page",
          call("GET", L + "?kernel=q35-b", expect=404) is not None)
    check("target=6.1 after kernel=6.1 is a 404, not the cached page",
          call("GET", L + "?target=6.1", expect=404) is not None)
    check("kernel= (empty) is a 404, not the unfiltered page",
          call("GET", L + "?kernel=", expect=404) is not None)
    check("state=canceled: empty", states(L + "?state=canceled") == {})
    check("limit=0 is still a 400", call("GET", L + "?limit=0", expect=400) is not None)

    # 1. a cancel through the API
    c = ids[("6.12", "q35-b")]
    call("POST", A + "/jobs/%d/cancel" % c, {"reason": "test"}, expect=202)
    check("list follows a cancel at once", states()[c] == "canceled", str(states()))
    check("state=canceled follows it", list(states(L + "?state=canceled")) == [c])
    check("state=queued follows it", c not in states(L + "?state=queued"))
    # 2. results ingest completes a job (the job runs: set behind the server's back)
    j = ids[("6.1", "q35-a")]
    sql("UPDATE jobs SET state = 2, attempts = 1 WHERE id = ?", j)
    check("list follows another process's write (data_version)", states()[j] == "running",
          str(states()))
    call("POST", A + "/results", {"job": j, "complete": True,
         "records": [rec("kmod.x.one", 22, "6.1.0-56-amd64")]}, expect=201)
    check("list follows a results ingest that completes the job", states()[j] == "complete",
          str(states()))
    check("kernel=6.1 follows it", states(L + "?kernel=6.1")[j] == "complete")
    # 3. incomplete (another writer), then a retry through the API
    r = ids[("6.12", "q35-a")]
    sql("UPDATE jobs SET state = 4, attempts = 1, reason = 'guest hung' WHERE id = ?", r)
    check("list follows incomplete by another writer", states()[r] == "incomplete")
    call("POST", A + "/jobs/%d/retry" % r, {"reason": "test"})
    check("list follows a retry at once", states()[r] == "queued", str(states()))
    b1 = call("GET", L)
    check("and is stable again (same bytes twice)", call("GET", L) == b1 and b1 != b0)


main("jobs-cache", body)
PY
lab_srv_py_done "$out"
