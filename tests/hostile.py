# tests/hostile.py - hostile input against a real iommulabd (issue 16), the
# Python part of tests/stages/29-hostile.sh.
#
#   python3 tests/hostile.py SECTION URL OUT [ARGS...]
#
# Sections (each prints TAP-like lines and writes OUT/py.counts):
#   writes URL OUT     every write route refused at each validation step:
#                      4xx, and the database (every table's rows, a dump
#                      without tokens.last_used_at) and the state directory
#                      (every file's path, size and sha256) are unchanged
#   strict URL OUT     tokens over their full length, strict ids, JSON
#                      bodies checked against the schema, record fields
#                      checked against the job
#   front URL OUT HS BS PERIP
#                      the HTTP front: conflicting Content-Length and
#                      Transfer-Encoding (one clean 400), a bad
#                      Content-Length (one status line), too many / too long
#                      query parameters (414/431 with a body), the header
#                      deadline HS and body deadline BS not reset by each
#                      byte, at most PERIP connections per client address
#   rss URL OUT PID N MIB
#                      N unauthenticated connections (each from its own
#                      127.0.x.y source address) announce a body of 8 MiB
#                      and send up to MIB MiB of it: each gets its 401 from
#                      the headers alone, and the daemon's RSS (VmRSS now,
#                      VmHWM peak) rises by less than the bound RSS_BOUND_MIB
#
# The daemon runs with --no-scheduler and the fixture of lib-server.sh
# (targets q35-a, q35-b); OUT/state is its state directory.
import hashlib, http.client, json, os, re, select, socket, sqlite3, subprocess, sys, time

passed = failed = 0


def check(name, cond, why=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok - " + name)
    else:
        failed += 1
        print("not ok - %s: %s" % (name, why))
    sys.stdout.flush()
    return cond


def done(out):
    print("# %d passed, %d failed" % (passed, failed))
    with open(os.path.join(out, "py.counts"), "w") as f:
        f.write("%d %d 0\n" % (passed, failed))


# ---- the server --------------------------------------------------------------

class Srv:
    def __init__(self, url, out):
        self.host, port = url.split("//", 1)[1].split(":")
        self.port = int(port)
        self.state = os.path.join(out, "state")
        self.db = os.path.join(self.state, "iommulab.db")
        self.token = open(os.path.join(self.state, "admin.token")).read().strip()

    def call(self, method, path, body=None, token=True, raw=None, headers=None):
        """(status, parsed JSON or bytes); token True = the admin token"""
        h = dict(headers or {})
        if token:
            h["Authorization"] = "Bearer " + (self.token if token is True else token)
        data = raw if raw is not None else (
            json.dumps(body).encode() if body is not None else None)
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        c = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            payload = r.read()
        finally:
            c.close()
        try:
            return r.status, json.loads(payload)
        except ValueError:
            return r.status, payload

    def sql(self, q, *a):
        db = sqlite3.connect(self.db, timeout=10)
        try:
            with db:
                return db.execute(q, a).fetchall()
        finally:
            db.close()

    def snapshot(self):
        """every table's rows (sorted; tokens without last_used_at, which a
        read may touch) and every file under the state dir but the database
        and the daemon's own log"""
        db = sqlite3.connect(self.db, timeout=10)
        tabs = {}
        try:
            names = [n for (n,) in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
            for n in names:
                cols = [r[1] for r in db.execute("PRAGMA table_info(%s)" % n)]
                if n == "tokens":
                    cols = [c for c in cols if c != "last_used_at"]
                rows = db.execute("SELECT %s FROM %s" % (", ".join(cols), n)).fetchall()
                tabs[n] = sorted(repr(r) for r in rows)
        finally:
            db.close()
        files = {}
        for d, dirs, fs in os.walk(self.state):
            rel = os.path.relpath(d, self.state)
            files[rel + "/"] = "dir"
            for f in fs:
                if f.startswith("iommulab.db") or f == "iommulabd.log":
                    continue
                p = os.path.join(d, f)
                try:
                    with open(p, "rb") as fh:
                        files[os.path.join(rel, f)] = hashlib.sha256(fh.read()).hexdigest()
                except OSError as e:
                    files[os.path.join(rel, f)] = "unreadable %s" % e.errno
        return tabs, files


def diff_snap(a, b):
    """a short description of what changed between two snapshots"""
    out = []
    for t in sorted(set(a[0]) | set(b[0])):
        x, y = a[0].get(t, []), b[0].get(t, [])
        if x != y:
            out.append("%s: +%s -%s" % (t, [r for r in y if r not in x][:2],
                                        [r for r in x if r not in y][:2]))
    for f in sorted(set(a[1]) | set(b[1])):
        if a[1].get(f) != b[1].get(f):
            out.append("file %s: %s -> %s" % (f, a[1].get(f, "absent")[:12],
                                             b[1].get(f, "absent")[:12]))
    return "; ".join(out)[:600]


def refused(srv, name, method, path, body=None, want=400, **kw):
    """@method @path is answered @want (a 4xx) and changes nothing"""
    before = srv.snapshot()
    try:
        st, doc = srv.call(method, path, body, **kw)
    except (OSError, http.client.HTTPException) as e:
        st, doc = None, repr(e)
    after = srv.snapshot()
    ok_st = st == want
    ok_msg = isinstance(doc, dict) and isinstance(doc.get("error"), str) and doc["error"]
    ch = diff_snap(before, after)
    check("%s -> %d, changes nothing" % (name, want), ok_st and ok_msg and not ch,
          "status %s (want %d) %s%s" % (st, want, str(doc)[:200],
                                      "; CHANGED: " + ch if ch else ""))
    return doc


# ---- raw HTTP ------------------------------------------------------------------

def raw(srv, data, src="127.0.0.1", timeout=10):
    """send @data on a fresh connection, read until the server closes (or
    @timeout); the bytes read"""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((src, 0))
    s.settimeout(timeout)
    got = b""
    try:
        s.connect((srv.host, srv.port))
        s.sendall(data)
        end = time.time() + timeout
        while time.time() < end:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not b:
                break
            got += b
    finally:
        s.close()
    return got


def status_lines(resp):
    return re.findall(rb"(?:^|\r\n)(HTTP/1\.[01] (\d{3})[^\r\n]*)", resp)


def first_status(resp):
    m = re.match(rb"HTTP/1\.[01] (\d{3})", resp)
    return int(m.group(1)) if m else None


def resp_body(resp):
    i = resp.find(b"\r\n\r\n")
    return resp[i + 4:] if i >= 0 else b""


def req(method, path, headers=(), body=b"", host="127.0.0.1"):
    h = "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n" % (method, path, host)
    for k, v in headers:
        h += "%s: %s\r\n" % (k, v)
    return h.encode() + b"\r\n" + body


def read_one(s, timeout=5):
    """one response from socket @s (by its Content-Length); the bytes"""
    s.settimeout(timeout)
    got = b""
    while b"\r\n\r\n" not in got:
        b = s.recv(65536)
        if not b:
            return got
        got += b
    head, _, body = got.partition(b"\r\n\r\n")
    m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
    want = int(m.group(1)) if m else 0
    while len(body) < want:
        b = s.recv(65536)
        if not b:
            break
        body += b
    return head + b"\r\n\r\n" + body


def follow_up(srv, data, timeout=8):
    """@data as the second request of a kept-alive connection (the first
    is a plain GET /health); the bytes of everything after the first answer"""
    s = socket.socket()
    s.connect((srv.host, srv.port))
    try:
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        first = read_one(s)
        if first_status(first) != 200:
            return b"first request: " + first[:80]
        s.sendall(data)
        s.settimeout(timeout)
        got = b""
        end = time.time() + timeout
        while time.time() < end:
            try:
                b = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not b:
                break
            got += b
        return got
    finally:
        s.close()


def one_clean(name, resp, want):
    """exactly one response, status @want, with a body"""
    sl = status_lines(resp)
    st = first_status(resp)
    body = resp_body(resp)
    return check(name, len(sl) == 1 and st in want and len(body) > 0,
                 "%d status lines %s, status %s, body %r" % (
                     len(sl), [l[0][:40] for l in sl], st, body[:120]))


# ---- sections --------------------------------------------------------------------

DIFF = ("From: a <a@b>\nSubject: [PATCH] x\n\n---\n"
        "--- a/x\n+++ b/x\n@@ -1 +1 @@\n-a\n+b\n")


def rec(case, kernel="6.1.0-56-amd64", target="q35-a", arch="x86_64"):
    return {"v": 1, "id": case, "target": target, "kernel": kernel, "arch": arch,
            "driver": "intel-iommu", "iommu": "dmar0", "steps": [], "observed": 0,
            "expected": 0, "contract": "t", "verdict": "pass", "reused": None,
            "verified": "core", "duration_us": 1, "repeat": 0}


def seed(srv):
    """kernel 6.1, two cases, a plan of 2 jobs (6.1 x q35-a, q35-b): job Q
    stays queued, job R is made running (the scheduler's part, in SQL)"""
    if not srv.sql("SELECT 1 FROM kernels WHERE name = '6.1'"):
        st, d = srv.call("POST", "/api/v1/kernels", {"name": "6.1", "release": "6.1.0-56-amd64",
                                                     "arch": "x86_64"})
        assert st == 201, (st, d)
        st, d = srv.call("POST", "/api/v1/cases", {"cases": [{"id": "kmod.attach.one"},
                                                             {"id": "kmod.attach.two"}]})
        assert st == 200, (st, d)
        st, d = srv.call("POST", "/api/v1/plans", {"kind": "manual", "kernels": ["6.1"],
                                                   "cases": "kmod.*"})
        assert st == 201, (st, d)
    jobs = [i for (i,) in srv.sql("SELECT j.id FROM jobs j JOIN targets t ON t.id = j.target_id "
                                  "ORDER BY t.name")]
    q, r = jobs[0], jobs[1]
    srv.sql("UPDATE jobs SET state = 2, attempts = 1 WHERE id = ?", r)
    return q, r


def sec_writes(srv):
    A = "/api/v1"
    q, r = seed(srv)
    # POST /kernels: each validation step
    refused(srv, "kernels: body not an object", "POST", A + "/kernels", [])
    refused(srv, "kernels: unknown key", "POST", A + "/kernels", {"name": "k1", "image": "/x"})
    refused(srv, "kernels: name of the wrong type", "POST", A + "/kernels", {"name": 5})
    refused(srv, "kernels: name '-rf'", "POST", A + "/kernels", {"name": "-rf"})
    refused(srv, "kernels: name '..'", "POST", A + "/kernels", {"name": ".."})
    refused(srv, "kernels: name '.hidden'", "POST", A + "/kernels", {"name": ".hidden"})
    refused(srv, "kernels: release '$(touch /tmp/pwned)'", "POST", A + "/kernels",
            {"name": "k1", "release": "$(touch /tmp/pwned)"})
    refused(srv, "kernels: release '-rf'", "POST", A + "/kernels", {"name": "k1", "release": "-rf"})
    refused(srv, "kernels: version '$(id)'", "POST", A + "/kernels", {"name": "k1", "version": "$(id)"})
    refused(srv, "kernels: arch 'mips'", "POST", A + "/kernels", {"name": "k1", "arch": "mips"})
    refused(srv, "kernels: source_ref with '..'", "POST", A + "/kernels",
            {"name": "k1", "source": "build", "source_ref": "tree=/tmp/../etc"})
    refused(srv, "kernels: source_ref '; rm -rf ~'", "POST", A + "/kernels",
            {"name": "k1", "source": "url", "source_ref": "http://x/; rm -rf ~"})
    refused(srv, "kernels: sha256 not hex", "POST", A + "/kernels", {"name": "k1", "sha256": "zz"})
    # POST /cases
    refused(srv, "cases: one bad id in the batch", "POST", A + "/cases",
            {"cases": [{"id": "kmod.attach.three"}, {"id": "BAD ID"}]})
    refused(srv, "cases: unknown key at the top", "POST", A + "/cases",
            {"cases": [{"id": "kmod.attach.three"}], "extra": 1})
    refused(srv, "cases: title of the wrong type", "POST", A + "/cases",
            {"cases": [{"id": "kmod.attach.three", "title": 5}]})
    # POST /plans
    plan = {"kind": "manual", "kernels": ["6.1"], "cases": "kmod.*"}
    refused(srv, "plans: unknown key", "POST", A + "/plans", dict(plan, colour="red"))
    refused(srv, "plans: repeat of the wrong type", "POST", A + "/plans", dict(plan, repeat="2"))
    refused(srv, "plans: kernel '-rf'", "POST", A + "/plans", dict(plan, kernels=["-rf"]))
    refused(srv, "plans: kernel '..'", "POST", A + "/plans", dict(plan, kernels=[".."]))
    refused(srv, "plans: case filter '$(touch /tmp/pwned)'", "POST", A + "/plans",
            dict(plan, cases="$(touch /tmp/pwned)"))
    refused(srv, "plans: target '../x'", "POST", A + "/plans", dict(plan, targets=["../x"]))
    refused(srv, "plans: name of the wrong type", "POST", A + "/plans", dict(plan, name=["x"]))
    refused(srv, "plans: unknown kernel", "POST", A + "/plans", dict(plan, kernels=["9.9"]), want=404)
    refused(srv, "plans: unknown target", "POST", A + "/plans", dict(plan, targets=["zz"]), want=404)
    # POST /tokens
    refused(srv, "tokens: name '-rf'", "POST", A + "/tokens", {"name": "-rf", "scopes": "ingest"})
    refused(srv, "tokens: name '..'", "POST", A + "/tokens", {"name": "..", "scopes": "ingest"})
    refused(srv, "tokens: unknown key", "POST", A + "/tokens",
            {"name": "t1", "scopes": "ingest", "secret": "x" * 64})
    refused(srv, "tokens: scopes of the wrong type", "POST", A + "/tokens",
            {"name": "t1", "scopes": ["ingest"]})
    refused(srv, "tokens: body not an object", "POST", A + "/tokens", ["t1"])
    # POST /results
    recs = [rec("kmod.attach.one"), rec("kmod.attach.two")]
    refused(srv, "results: unknown key", "POST", A + "/results",
            {"job": r, "records": recs, "color": 1})
    refused(srv, "results: job of the wrong type", "POST", A + "/results",
            {"job": str(r), "records": recs})
    refused(srv, "results: record arch differs from the job's", "POST", A + "/results",
            {"job": r, "records": [rec("kmod.attach.one", arch="arm64")], "complete": True})
    refused(srv, "results: second record's target differs", "POST", A + "/results",
            {"job": r, "records": [recs[0], rec("kmod.attach.two", target="q35-b")]})
    refused(srv, "results: second record's kernel differs", "POST", A + "/results",
            {"job": r, "records": [recs[0], rec("kmod.attach.two", kernel="6.12.1")]})
    # POST /jobs/{id}/cancel and /retry
    for act in ("cancel", "retry"):
        refused(srv, "%s: body []" % act, "POST", A + "/jobs/%d/%s" % (q, act), [])
        refused(srv, "%s: unknown key" % act, "POST", A + "/jobs/%d/%s" % (q, act), {"why": "x"})
        refused(srv, "%s: reason of the wrong type" % act, "POST",
                A + "/jobs/%d/%s" % (q, act), {"reason": 5})
        for bad in ("+%d" % q, "%%20%%20%d" % q, "%d%%00" % q, "0%d" % q, "%d.0" % q):
            refused(srv, "%s: id '%s'" % (act, bad), "POST", A + "/jobs/%s/%s" % (bad, act),
                    {"reason": "x"})
    # POST /patches: each step (the two reproductions first)
    refused(srv, "patches: base /tmp/x, series 'not a diff'", "POST", A + "/patches",
            {"base": "/tmp/x", "series": "not a diff"})
    refused(srv, "patches: a diff with repeat 0", "POST", A + "/patches",
            {"base": "/tmp/x", "series": DIFF, "repeat": 0})
    refused(srv, "patches: repeat of the wrong type", "POST", A + "/patches",
            {"base": "/tmp/x", "series": DIFF, "repeat": "1"})
    refused(srv, "patches: priority out of range", "POST", A + "/patches",
            {"base": "/tmp/x", "series": DIFF, "priority": 1000000})
    refused(srv, "patches: timeout_s of the wrong type", "POST", A + "/patches",
            {"base": "/tmp/x", "series": DIFF, "timeout_s": "60"})
    refused(srv, "patches: case filter '$(id)'", "POST", A + "/patches",
            {"base": "/tmp/x", "series": DIFF, "cases": "$(id)"})
    refused(srv, "patches: unknown target", "POST", A + "/patches",
            {"base": "/tmp/x", "series": DIFF, "targets": ["zz"]}, want=404)
    refused(srv, "patches: target '..'", "POST", A + "/patches",
            {"base": "/tmp/x", "series": DIFF, "targets": [".."]})
    refused(srv, "patches: base '-rf'", "POST", A + "/patches", {"base": "-rf", "series": DIFF})
    refused(srv, "patches: base tree with '..'", "POST", A + "/patches",
            {"base": "/tmp/../etc", "series": DIFF})
    refused(srv, "patches: base tree '/tmp/x;id'", "POST", A + "/patches",
            {"base": "/tmp/x;id", "series": DIFF})
    refused(srv, "patches: series file named '../x'", "POST", A + "/patches",
            {"base": "/tmp/x", "series": [{"name": "../x", "text": DIFF}]})
    refused(srv, "patches: unknown key", "POST", A + "/patches",
            {"base": "/tmp/x", "series": DIFF, "kernel": "6.1"})
    refused(srv, "patches: name of the wrong type", "POST", A + "/patches",
            {"base": "/tmp/x", "series": DIFF, "name": 7})
    # POST /bisections, /likely: the tree is only read and named by argv
    g = os.path.join(os.path.dirname(srv.state), "bisect-tree")
    if not os.path.isdir(g):
        env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t.invalid",
                   GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t.invalid")
        subprocess.run(["git", "init", "-q", g], check=True)
        for i in range(3):
            with open(os.path.join(g, "f"), "w") as f:
                f.write(str(i))
            subprocess.run(["git", "-C", g, "add", "f"], check=True, env=env)
            subprocess.run(["git", "-C", g, "commit", "-qm", "c%d" % i], check=True, env=env)
    bis = {"tree": g, "good": "HEAD~2", "bad": "HEAD", "target": "q35-a", "case": "kmod.attach.one",
           "expect": "EINVAL"}
    for name, b, want in (("tree '/tmp/x;touch /tmp/pwned'", dict(bis, tree="/tmp/x;touch /tmp/pwned"), 400),
                          ("tree with '..'", dict(bis, tree=g + "/../" + os.path.basename(g)), 400),
                          ("good '$(touch /tmp/pwned)'", dict(bis, good="$(touch /tmp/pwned)"), 400),
                          ("good '--output=/tmp/pwned'", dict(bis, good="--output=/tmp/pwned"), 400),
                          ("bad 'HEAD;touch /tmp/pwned'", dict(bis, bad="HEAD;touch /tmp/pwned"), 400),
                          ("good a range 'HEAD~2..HEAD'", dict(bis, good="HEAD~2..HEAD"), 400),
                          ("expect of the wrong type", dict(bis, expect=22), 400),
                          ("repeat of the wrong type", dict(bis, repeat="3"), 400),
                          ("case '$(id)'", dict(bis, case="$(id)"), 400),
                          ("target '../x'", dict(bis, target="../x"), 400),
                          ("series with a base '-rf'", {"base": "-rf", "series": DIFF, "target": "q35-a",
                                                        "case": "kmod.attach.one", "expect": "EINVAL"}, 400),
                          ("unknown key", dict(bis, shell="id"), 400)):
        refused(srv, "bisections: " + name, "POST", A + "/bisections", b, want=want)
    refused(srv, "likely: from '--output=/tmp/pwned'", "POST", A + "/likely",
            {"tree": g, "from": "--output=/tmp/pwned", "to": "HEAD", "driver": "intel-iommu"})
    refused(srv, "likely: errno 'E;id'", "POST", A + "/likely",
            {"tree": g, "from": "HEAD~2", "to": "HEAD", "driver": "intel-iommu", "errno": "E;id"})
    # nothing of the above reached a shell
    check("no /tmp/pwned", not os.path.exists("/tmp/pwned"), "a shell ran a request's text")
    # and valid writes still work (the checks above are not just "refuse all")
    st, d = srv.call("POST", A + "/kernels", {"name": "6.12-x", "release": "6.12.117+deb12-amd64"})
    check("a valid kernel is still registered (201)", st == 201, "%s %s" % (st, d))
    st, d = srv.call("POST", A + "/jobs/%d/cancel" % q, {"reason": "hostile test"})
    check("a valid cancel still works (202)", st == 202, "%s %s" % (st, d))


def sec_strict(srv):
    A = "/api/v1"
    q, r = seed(srv)
    tok = srv.token
    names = iter("k-strict-%d" % i for i in range(100))

    def auth_raw(value):
        body = json.dumps({"name": next(names)}).encode()
        data = req("POST", A + "/kernels", [("Content-Type", "application/json"),
                                            ("Content-Length", str(len(body)))], body)
        data = data.replace(b"Host:", b"Authorization: " + value + b"\r\nHost:", 1)
        before = srv.snapshot()
        resp = raw(srv, data)
        return first_status(resp), diff_snap(before, srv.snapshot())

    for label, v in (("Bearer <token>\\0junk", b"Bearer " + tok.encode() + b"\0junk"),
                     ("Bearer <token>junk", b"Bearer " + tok.encode() + b"junk"),
                     ("Bearer <token> junk", b"Bearer " + tok.encode() + b" junk"),
                     ("Bearer <token minus its last byte>", b"Bearer " + tok[:-1].encode()),
                     ("Bearer <token>\\t", b"Bearer " + tok.encode() + b"\t"),
                     ("Basic <token>", b"Basic " + tok.encode())):
        st, ch = auth_raw(v)
        check("Authorization: %s -> 401, changes nothing" % label, st == 401 and not ch,
              "status %s%s" % (st, "; CHANGED " + ch if ch else ""))
    st, ch = auth_raw(b"Bearer " + tok.encode())
    check("Authorization: Bearer <token> -> 201 (the check is not 'refuse all')", st == 201,
          "status %s" % st)
    # ids: digits only, no sign, no padding, no escapes
    for bad in ("+%d" % q, "%%20%%20%d" % q, "%d%%00" % q, "0%d" % q, "%d%%20" % q,
                "-%d" % q, "%dx" % q, "9" * 30):
        st, d = srv.call("GET", A + "/jobs/" + bad, token=False)
        check("GET /jobs/%s -> 400" % bad, st == 400, "status %s %s" % (st, str(d)[:120]))
    for bad in ("+1", "%201", "1%00", "01"):
        st, d = srv.call("GET", A + "/plans/" + bad, token=False)
        check("GET /plans/%s -> 400" % bad, st == 400, "status %s %s" % (st, str(d)[:120]))
    st, d = srv.call("GET", A + "/jobs/%d" % q, token=False)
    check("GET /jobs/%d -> 200" % q, st == 200, "status %s" % st)
    # query arguments: the same integer rule
    for bad in ("limit=+5", "limit=%205", "limit=5%00", "limit=05", "plan=-1"):
        st, d = srv.call("GET", A + "/jobs?" + bad, token=False)
        check("GET /jobs?%s -> 400" % bad, st == 400, "status %s %s" % (st, str(d)[:120]))
    # a NUL in a name (query or path) is not cut short
    st, d = srv.call("GET", A + "/kernels/6.1%00junk", token=False)
    check("GET /kernels/6.1%00junk -> 400/404, not 6.1", st in (400, 404), "status %s" % st)
    st, d = srv.call("GET", A + "/jobs?kernel=6.1%00junk", token=False)
    check("GET /jobs?kernel=6.1%00junk -> 400/404", st in (400, 404), "status %s" % st)


def sec_front(srv, hs, bs, perip):
    A = "/api/v1"
    hs, bs, perip = float(hs), float(bs), int(perip)
    tok = srv.token
    body = b'{"name": "k-front"}'
    auth = ("Authorization", "Bearer " + tok)
    ct = ("Content-Type", "application/json")

    def front(name, data, want=(400,)):
        before = srv.snapshot()
        resp = raw(srv, data, timeout=8)
        ok = one_clean(name, resp, want)
        ch = diff_snap(before, srv.snapshot())
        if ok and ch:
            check(name + ": changes nothing", False, ch)
        return resp

    front("two differing Content-Length -> one clean 400",
          req("POST", A + "/kernels", [auth, ct, ("Content-Length", str(len(body))),
                                       ("Content-Length", "5")], body))
    front("two equal Content-Length -> one clean 400",
          req("POST", A + "/kernels", [auth, ct, ("Content-Length", str(len(body))),
                                       ("Content-Length", str(len(body)))], body))
    front("Content-Length and Transfer-Encoding -> one clean 400",
          req("POST", A + "/kernels", [auth, ct, ("Content-Length", str(len(body))),
                                       ("Transfer-Encoding", "chunked")],
              b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"))
    front("two Transfer-Encoding -> one clean 400",
          req("POST", A + "/kernels", [auth, ct, ("Transfer-Encoding", "chunked"),
                                       ("Transfer-Encoding", "chunked")],
              b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"))
    front("Transfer-Encoding gzip -> one clean 400 (or 501)",
          req("POST", A + "/kernels", [auth, ct, ("Transfer-Encoding", "gzip")], body),
          want=(400, 501))
    for bad in ("12abc", "-1", "0x10", "", "1 2"):
        front("Content-Length '%s' -> one status line, 400" % bad,
              req("POST", A + "/kernels", [auth, ct, ("Content-Length", bad)], body))
    front("Content-Length 99999999999999999999999 -> one status line, 413/400",
          req("POST", A + "/kernels", [auth, ct, ("Content-Length", "9" * 23)], body),
          want=(400, 413))
    many = "&".join("a%d=1" % i for i in range(2000))
    front("2000 query parameters -> one clean 414/431",
          req("GET", A + "/jobs?" + many), want=(414, 431))
    front("200 query parameters -> one clean 414/431",
          req("GET", A + "/jobs?" + "&".join("limit=1" for _ in range(200))), want=(414, 431))
    front("a 6000-byte query value -> one clean 414",
          req("GET", A + "/jobs?kernel=" + "k" * 6000), want=(414, 431))
    front("a 64 KiB request target -> one clean 414",
          req("GET", A + "/jobs?kernel=" + "k" * 65536), want=(414, 431))
    front("a space in the request target -> one clean 400",
          b"GET " + A.encode() + b"/jobs?x=HTTP/1.1 599 y HTTP/1.1\r\nHost: x\r\n\r\n")
    st, d = srv.call("GET", A + "/jobs?limit=5&offset=0&state=queued", token=False)
    check("a normal query still works (200)", st == 200, "status %s" % st)
    # the same as the second request of a kept-alive connection (the
    # first request of a connection is checked before libmicrohttpd gets
    # it; the ones after it by the HTTP layer's own checks)
    def front2(name, data, want=(400,)):
        before = srv.snapshot()
        one_clean("kept alive: " + name, follow_up(srv, data), want)
        ch = diff_snap(before, srv.snapshot())
        if ch:
            check("kept alive: " + name + ": changes nothing", False, ch)

    front2("two differing Content-Length -> one clean 400",
           req("POST", A + "/kernels", [auth, ct, ("Content-Length", str(len(body))),
                                        ("Content-Length", "5")], body))
    front2("Content-Length and Transfer-Encoding -> one clean 400",
           req("POST", A + "/kernels", [auth, ct, ("Content-Length", str(len(body))),
                                        ("Transfer-Encoding", "chunked")],
               b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"))
    front2("Transfer-Encoding gzip -> one clean 400",
           req("POST", A + "/kernels", [auth, ct, ("Transfer-Encoding", "gzip")], body))
    front2("2000 query parameters -> one clean 414",
           req("GET", A + "/jobs?" + many), want=(414, 431))
    front2("a 6000-byte query value -> one clean 414",
           req("GET", A + "/jobs?kernel=" + "k" * 6000), want=(414, 431))
    front2("Authorization: Bearer <token>\\0junk -> one clean 401",
           req("POST", A + "/kernels", [("Authorization", "Bearer " + tok + "\0junk"), ct,
                                        ("Content-Length", str(len(body)))], body), want=(401,))
    front2("a NUL in another header -> one clean 400",
           req("POST", A + "/kernels", [auth, ct, ("X-Note", "a\0b"),
                                        ("Content-Length", str(len(body)))], body))
    front2("GET /jobs/1%00 -> 400", req("GET", A + "/jobs/1%00"))
    front2("a space in the request target -> one clean 400",
           b"GET " + A.encode() + b"/jobs?x=HTTP/1.1 599 y HTTP/1.1\r\nHost: x\r\n\r\n")

    # slow headers: one byte every 1 s stays under MHD's idle timeout but
    # must not outlive the header deadline
    def slow(name, first, drip, deadline, src):
        s = socket.socket()
        s.bind((src, 0))
        s.connect((srv.host, srv.port))
        s.sendall(first)
        t0 = time.time()
        closed_at = None
        i = 0
        while time.time() - t0 < deadline + 12:
            try:
                s.sendall(drip[i % len(drip):i % len(drip) + 1])
            except OSError:
                closed_at = time.time() - t0
                break
            i += 1
            r, _, _ = select.select([s], [], [], 1.0)
            if r:
                try:
                    b = s.recv(4096)
                except OSError:
                    b = b""
                if not b or b.startswith(b"HTTP/"):
                    closed_at = time.time() - t0
                    break
        s.close()
        check(name, closed_at is not None and closed_at <= deadline + 4,
              "still open after %.0f s" % (time.time() - t0) if closed_at is None
              else "closed after %.1f s (deadline %.0f s)" % (closed_at, deadline))

    slow("headers dribbled one byte a second: dropped by the %.0f s header deadline" % hs,
         b"GET " + A.encode() + b"/health HTTP/1.1\r\nHost: x\r\n", b"X-Slow: aaaaaaaaaa\r\n",
         hs, "127.0.2.1")
    hdr = req("POST", A + "/kernels", [auth, ct, ("Content-Length", "100000")])
    slow("a body dribbled one byte a second: dropped by the %.0f s body deadline" % bs,
         hdr, b"x", bs, "127.0.2.2")
    # per-address limit: PERIP idle connections from one address, the next
    # is refused; another address is still served
    src = "127.0.3.1"
    held = []
    for _ in range(perip):
        s = socket.socket()
        s.bind((src, 0))
        s.connect((srv.host, srv.port))
        held.append(s)
    time.sleep(0.5)
    extra = raw(srv, req("GET", A + "/health"), src=src, timeout=5)
    check("connection %d from one address is refused (limit %d)" % (perip + 1, perip),
          first_status(extra) is None, "answered %r" % extra[:60])
    other = raw(srv, req("GET", A + "/health"), src="127.0.3.2", timeout=5)
    check("another address is still served", first_status(other) == 200, repr(other[:60]))
    for s in held:
        s.close()
    time.sleep(0.5)
    again = raw(srv, req("GET", A + "/health"), src=src, timeout=5)
    check("the address is served again once its connections close", first_status(again) == 200,
          repr(again[:60]))
    # the same with connections being served (kept alive after a request)
    src = "127.0.3.3"
    held = []
    for _ in range(perip):
        s = socket.socket()
        s.bind((src, 0))
        s.connect((srv.host, srv.port))
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
        held.append((s, first_status(read_one(s))))
    extra = raw(srv, req("GET", A + "/health"), src=src, timeout=5)
    check("%d kept-alive connections from one address: the next is refused" % perip,
          all(st == 200 for _, st in held) and first_status(extra) is None,
          "held %s, extra answered %r" % ([st for _, st in held], extra[:60]))
    for s, _ in held:
        s.close()


def proc_kib(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for l in f:
            if l.startswith(key + ":"):
                return int(l.split()[1])
    return 0


RSS_BOUND_MIB = 48


def sec_rss(srv, pid, n, mib):
    """N connections without a token, each announcing 8 MiB"""
    pid, n, mib = int(pid), int(n), int(mib)
    A = "/api/v1"
    base_rss, base_hwm = proc_kib(pid, "VmRSS"), proc_kib(pid, "VmHWM")
    hdr = {}
    socks = []
    for i in range(n):
        s = socket.socket()
        s.bind(("127.0.%d.%d" % (10 + i // 250, 1 + i % 250), 0))
        s.connect((srv.host, srv.port))
        # most without a token, some with the ingest-less admin route and a bad one
        a = "" if i % 4 else "Authorization: Bearer %s\r\n" % ("0" * 64)
        s.sendall(("POST %s/kernels HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\n"
                   "Content-Length: %d\r\n\r\n" % (A, a, 8 << 20)).encode())
        s.setblocking(False)
        socks.append(s)
        hdr[s] = b""
    chunk = b"x" * 65536
    sent = {s: 0 for s in socks}
    end = time.time() + 30
    limit = mib << 20
    peak = 0
    while time.time() < end:
        busy = False
        for s in socks:
            if sent[s] is None or sent[s] >= limit:
                continue
            try:
                sent[s] += s.send(chunk)
                busy = True
            except BlockingIOError:
                pass
            except OSError:
                sent[s] = None	# the server closed it (after its answer)
        for s in socks:
            try:
                b = s.recv(65536)
                hdr[s] += b
            except (BlockingIOError, OSError):
                pass
        peak = max(peak, proc_kib(pid, "VmRSS"))
        if not busy:
            break
    time.sleep(2)
    for s in socks:
        try:
            hdr[s] += s.recv(65536)
        except (BlockingIOError, OSError):
            pass
    rss, hwm = proc_kib(pid, "VmRSS"), proc_kib(pid, "VmHWM")
    peak = max(peak, rss)
    n401 = sum(1 for s in socks if first_status(hdr[s]) == 401)
    total = sum(x or 0 for x in sent.values())
    print("# %d connections: sent %.1f MiB of bodies in all; daemon RSS %d -> %d KiB "
          "(peak seen %d), VmHWM %d -> %d KiB" % (n, total / 1048576.0, base_rss, rss, peak,
                                                 base_hwm, hwm))
    check("%d unauthenticated connections announcing 8 MiB: each answered 401 from its "
          "headers" % n, n401 == n, "%d of %d got a 401 before their body" % (n401, n))
    check("daemon RSS rose by less than %d MiB (%d KiB)" % (RSS_BOUND_MIB, peak - base_rss),
          peak - base_rss < RSS_BOUND_MIB << 10, "rose %d KiB" % (peak - base_rss))
    check("daemon peak RSS (VmHWM) rose by less than %d MiB (%d KiB)" % (RSS_BOUND_MIB, hwm - base_hwm),
          hwm - base_hwm < RSS_BOUND_MIB << 10, "rose %d KiB" % (hwm - base_hwm))
    for s in socks:
        s.close()
    with open(os.path.join(os.environ.get("HOSTILE_OUT", "."), "rss.txt"), "w") as f:
        f.write("connections %d\nbase_rss_kib %d\nrss_kib %d\npeak_seen_kib %d\n"
                "base_hwm_kib %d\nhwm_kib %d\nsent_mib %.1f\n" % (
                    n, base_rss, rss, peak, base_hwm, hwm, total / 1048576.0))


def main():
    sec, url, out = sys.argv[1], sys.argv[2], sys.argv[3]
    os.environ["HOSTILE_OUT"] = out
    srv = Srv(url, out)
    fn = {"writes": sec_writes, "strict": sec_strict, "front": sec_front, "rss": sec_rss}[sec]
    try:
        fn(srv, *sys.argv[4:])
    except Exception as e:	# a crash of the test is one failure, with its reason
        import traceback
        traceback.print_exc()
        check("section %s ran to its end" % sec, False, repr(e))
    done(out)


if __name__ == "__main__":
    main()
