# tests/apicheck.py - what the API test stages' Python parts share (import it
# with PYTHONPATH=$top/tests): TAP-style checks with counts for tests/run,
# one keep-alive HTTP connection to iommulabd with the admin token, SQL on
# the server's database file (another process's connection), and a record.
#
#   api = Api(url, state_dir)     url "http://127.0.0.1:PORT"
#   api.call(method, path, body=None, expect=200) -> bytes; a different
#       status raises SystemExit (the stage counts it as one failure);
#       api.ctype is the answer's Content-Type
#   api.sql(query, *args) -> rows
#   checks = Checks(name, out_dir); checks.check(name, cond, why="");
#   checks.done() prints the totals and writes out_dir/py.counts
#   rec(case, observed, kernel, expected=None, verdict="pass", target="q35-a")
#   main(name, body): argv is "URL OUT" (lib-server.sh's lab_srv_fixture);
#       runs body(api, check), counts a SystemExit as one failure, done()
import http.client, json, os, sqlite3, sys


class Checks:
    def __init__(self, name, out):
        self.name, self.out = name, out
        self.passed = self.failed = 0

    def check(self, name, cond, why=""):
        if cond:
            self.passed += 1
            print("ok - " + name)
        else:
            self.failed += 1
            print("not ok - %s: %s" % (name, why))
        return cond

    def done(self):
        print("%s: %d passed, %d failed" % (self.name, self.passed, self.failed))
        with open(os.path.join(self.out, "py.counts"), "w") as f:
            f.write("%d %d 0\n" % (self.passed, self.failed))


class Api:
    def __init__(self, url, state):
        host, port = url.split("//", 1)[1].split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=30)
        self.token = open(os.path.join(state, "admin.token")).read().strip()
        self.db = os.path.join(state, "iommulab.db")
        self.ctype = ""

    def call(self, method, path, body=None, expect=200):
        h = {"Authorization": "Bearer " + self.token}
        if body is not None:
            h["Content-Type"] = "application/json"
        self.conn.request(method, path, headers=h,
                          body=json.dumps(body).encode() if body is not None else None)
        r = self.conn.getresponse()
        data, self.ctype = r.read(), r.getheader("Content-Type", "")
        if r.status != expect:
            raise SystemExit("%s %s: status %d, want %d: %r"
                             % (method, path, r.status, expect, data[:300]))
        return data

    def sql(self, q, *a):
        db = sqlite3.connect(self.db, timeout=10)
        with db:
            rows = db.execute(q, a).fetchall()
        db.close()
        return rows


def rec(case, obs, kernel, expected=None, verdict="pass", target="q35-a"):
    return {"v": 1, "id": case, "target": target, "kernel": kernel, "arch": "x86_64",
            "driver": "intel-iommu", "iommu": "dmar0", "steps": [], "observed": obs,
            "expected": obs if expected is None else expected, "contract": "t",
            "verdict": verdict, "reused": None, "verified": "core", "duration_us": 1,
            "repeat": 0}


def main(name, body):
    api = Api(sys.argv[1], os.path.join(sys.argv[2], "state"))
    checks = Checks(name, sys.argv[2])
    try:
        body(api, checks.check)
    except SystemExit as e:
        checks.check("request failed", False, str(e))
    checks.done()
