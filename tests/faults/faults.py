#!/usr/bin/env python3
# tests/faults/faults.py - fault injection against a real iommulabd (run by
# tests/stages/90-faults.sh, which builds the binaries first).
#
# usage: faults.py TOP OUT BIN SCANLOG [TEST...]
#   TEST: kill disk_full read_only concurrent busy big_body flood slow_lava (all
#   by default). Prints "ok - ..." / "not ok - ..." / "ok - ... # SKIP ..."
#   lines and writes "passed failed skipped" to OUT/faults.counts.
#
# Each test starts its own iommulabd (--no-scheduler unless it needs one) on
# 127.0.0.1 with a fresh state dir under OUT, one kernel and one target,
# creates jobs through the API (POST /plans) and moves them to "running" with
# one UPDATE in the database (the fixture: with --no-scheduler nothing else
# would start them, and results are only accepted for running jobs). Every
# check reads the real SQLite file afterwards (sqlite3 module, PRAGMA
# integrity_check). Servers are stopped (SIGTERM, then SIGKILL) before the
# next test; mounts made here are unmounted.
import http.client, json, os, signal, sqlite3, subprocess, sys, threading, time

TOP, OUT, BIN, SCANLOG = sys.argv[1:5]
WANT = sys.argv[5:] or ["kill", "disk_full", "read_only", "concurrent", "busy", "big_body",
                        "flood", "slow_lava"]
counts = [0, 0, 0]


def ok(name):
    counts[0] += 1
    print("ok - " + name, flush=True)


def bad(name, why=""):
    counts[1] += 1
    print("not ok - %s%s" % (name, ": " + str(why) if why else ""), flush=True)


def skip(name, why):
    counts[2] += 1
    print("ok - %s # SKIP %s" % (name, why), flush=True)


def check(name, cond, why=""):
    (ok if cond else bad)(name, *([] if cond else [why]))
    return cond


REC = {"v": 1, "target": "q35-a", "kernel": "6.1.0-56-amd64", "arch": "x86_64",
       "driver": "intel-iommu", "iommu": "dmar0",
       "steps": [{"name": "alloc", "errno": 0, "err": "OK"},
                 {"name": "attach", "errno": 22, "err": "EINVAL"}],
       "observed": 22, "observed_name": "EINVAL", "expected": 22, "expected_name": "EINVAL",
       "contract": ">=6.2:any", "verdict": "pass", "reason": "", "reused": None,
       "verified": "none", "duration_us": 1234}


def records(n, repeat=0, prefix="kmod.attach.c"):
    out = []
    for i in range(n):
        r = dict(REC)
        r["id"] = "%s%d" % (prefix, i % 150)
        r["repeat"] = repeat + i // 150
        out.append(r)
    return out


SERVERS = []


def stop_all():
    for s in SERVERS:
        s.stop(wait=5)


class Server:
    def __init__(self, name, state=None, extra=(), sched=False, env=None, wrap=()):
        SERVERS.append(self)
        self.wrap = list(wrap)
        self.dir = os.path.join(OUT, name)
        self.state = state or os.path.join(self.dir, "state")
        os.makedirs(self.state, exist_ok=True)
        os.makedirs(os.path.join(self.dir, "web"), exist_ok=True)
        self.targets = os.path.join(self.dir, "targets")
        os.makedirs(os.path.join(self.targets, "x86_64"), exist_ok=True)
        self.extra = list(extra)
        self.sched = sched
        self.env = env
        self.proc = None
        self.n = 0

    def add_target(self, name, body):
        with open(os.path.join(self.targets, "x86_64", name + ".json"), "w") as f:
            json.dump(body, f)

    def start(self, expect_fail=False, timeout=30):
        self.n += 1
        self.log = os.path.join(self.dir, "iommulabd.%d.log" % self.n)
        args = self.wrap + [BIN, "--state-dir", self.state, "--targets", self.targets,
                "--web", os.path.join(self.dir, "web"), "--schema", os.path.join(TOP, "schema"),
                "--port", "0", "--log-level", "info"] + self.extra
        if not self.sched:
            args.append("--no-scheduler")
        self.proc = subprocess.Popen(args, stdout=open(self.log, "w"), stderr=subprocess.STDOUT,
                                     env=self.env)
        self.port = None
        t0 = time.time()
        while time.time() - t0 < timeout:
            txt = open(self.log).read()
            if "listening on http://127.0.0.1:" in txt:
                self.port = int(txt.split("listening on http://127.0.0.1:")[1].split("/")[0])
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if self.port is None and not expect_fail:
            raise RuntimeError("iommulabd did not start: " + open(self.log).read()[-800:])
        tok = os.path.join(self.state, "admin.token")
        self.token = open(tok).read().strip() if os.path.exists(tok) else None
        return self.port is not None

    def stop(self, sig=signal.SIGTERM, wait=15):
        if not self.proc or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(wait)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            return None

    def req(self, method, path, body=None, timeout=120, raw=None, token=True):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        h = {"Content-Type": "application/json"}
        if token and self.token:
            h["Authorization"] = "Bearer " + self.token
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        try:
            c.request(method, "/api/v1" + path, body=data, headers=h)
            r = c.getresponse()
            txt = r.read()
            try:
                j = json.loads(txt)
            except ValueError:
                j = None
            return r.status, j
        finally:
            c.close()

    @property
    def db(self):
        return os.path.join(self.state, "iommulab.db")

    def sql(self, q, args=()):
        con = sqlite3.connect(self.db, timeout=30)
        try:
            rows = con.execute(q, args).fetchall()
            con.commit()
            return rows
        finally:
            con.close()

    def integrity(self):
        return self.sql("PRAGMA integrity_check")[0][0]

    def rss_kib(self):
        for line in open("/proc/%d/status" % self.proc.pid):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        return -1


def fixture(s, njobs):
    """kernel 6.1, target q35-a (in the targets dir before start), njobs running jobs"""
    st, j = s.req("POST", "/kernels", {"name": "6.1", "release": "6.1.0-56-amd64",
                                      "arch": "x86_64", "source": "debian"})
    if st not in (200, 201):
        raise RuntimeError("POST /kernels: %s %s" % (st, j))
    ids = []
    for _ in range(njobs):
        st, j = s.req("POST", "/plans", {"kind": "manual", "kernels": ["6.1"],
                                        "targets": ["q35-a"]})
        if st != 201:
            raise RuntimeError("POST /plans: %s %s" % (st, j))
        ids += [r[0] for r in s.sql("SELECT id FROM jobs WHERE plan_id = ?", (j["id"],))]
    s.sql("UPDATE jobs SET state = 2, started_at = strftime('%%s','now') WHERE id IN (%s)"
          % ",".join(str(i) for i in ids))
    return ids


def new_server(name, **kw):
    s = Server(name, **kw)
    s.add_target("q35-a", {"name": "q35-a", "arch": "x86_64", "backend": "qemu",
                           "vendor": "intel", "driver": "intel-iommu", "tags": ["vtd"],
                           "concurrency": 1, "qemu": {"machine": "q35", "args": []}})
    return s


def nresults(s, job):
    return s.sql("SELECT count(*) FROM results WHERE job_id = ?", (job,))[0][0]


# ---- 1. SIGKILL during a large ingest ---------------------------------------
def t_kill():
    s = new_server("kill", extra=["--body-max", str(256 << 20)])
    s.start()
    jobs = fixture(s, 4)
    n = 60000
    outcomes = []
    for trial, job in enumerate(jobs[:3]):
        body = json.dumps({"job": job, "records": records(n)}).encode()
        wal = s.db + "-wal"
        base = os.path.getsize(wal) if os.path.exists(wal) else 0
        res = {}

        def post():
            try:
                res["st"] = s.req("POST", "/results", raw=body, timeout=300)[0]
            except Exception as e:
                res["err"] = repr(e)
        th = threading.Thread(target=post)
        th.start()
        # trial 0/1: kill as soon as the WAL grows past the baseline by 1 MB,
        # i.e. while the batch's transaction is writing (uncommitted pages
        # spilled to the WAL); trial 2: kill right after the 201
        t0 = time.time()
        killed_mid = False
        while th.is_alive() and time.time() - t0 < 120:
            if trial < 2 and os.path.exists(wal) and os.path.getsize(wal) > base + (1 << 20):
                s.proc.send_signal(signal.SIGKILL)
                killed_mid = True
                break
            time.sleep(0.002)
        th.join(300)
        if trial == 2:
            s.proc.send_signal(signal.SIGKILL)
        s.proc.wait()
        s.start()
        got = nresults(s, job)
        outcomes.append("%s -> %s" % ("mid-transaction" if killed_mid else
                                      "after %s" % res.get("st", res.get("err")),
                                      "absent" if got == 0 else "all" if got == n else got))
        check("kill: SIGKILL %s: batch of %d is all there or absent after restart (found %d)"
              % ("during the ingest transaction" if killed_mid else "after the answer", n, got),
              got in (0, n))
        if trial == 2:
            check("kill: a batch answered 201 survives SIGKILL", res.get("st") != 201 or got == n,
                  "answered %s, found %d" % (res.get("st"), got))
        if trial < 2 and not killed_mid:
            bad("kill: trial %d never saw the transaction write (WAL did not grow)" % trial)
        check("kill: integrity_check after restart %d" % (trial + 1), s.integrity() == "ok")
    print("# kill outcomes: " + "; ".join(outcomes))
    st, j = s.req("POST", "/results", {"job": jobs[3], "records": records(150)})
    check("kill: the restarted server ingests again (201)", st == 201, st)
    s.stop()


# ---- 2/3. disk full, read-only database --------------------------------------
def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s,mode=0755" % size, "tmpfs", path],
                       capture_output=True, text=True)
    return r.returncode == 0, r.stderr.strip()


def umount(path):
    subprocess.run(["umount", "-l", path], capture_output=True)


def tmpfs_server(what, server, name, size, first_ok):
    """Server @server whose state dir is on a fresh tmpfs of @size at OUT/@name-fs,
    with two jobs and 150 results ingested into the first (check @first_ok).
    Returns (mount, server, jobs); the caller umounts the mount. (None, None,
    None) after a SKIP of @what when the tmpfs cannot be mounted."""
    mnt = os.path.join(OUT, name + "-fs")
    okm, why = mount_tmpfs(mnt, size)
    if not okm:
        skip(what, "cannot mount a tmpfs of %s (%s): needs root" % (size, why))
        return None, None, None
    try:
        s = new_server(server, state=os.path.join(mnt, "state"))
        s.start()
        jobs = fixture(s, 2)
        st, _ = s.req("POST", "/results", {"job": jobs[0], "records": records(150)})
        check(first_ok, st == 201, st)
    except BaseException:
        umount(mnt)
        raise
    return mnt, s, jobs


def t_disk_full():
    mnt, s, jobs = tmpfs_server("disk full", "disk_full", "full", "24m",
                                "disk full: ingest works before the disk fills (201)")
    if not mnt:
        return
    try:
        # fill the file system to the last block
        filler = os.path.join(mnt, "filler")
        # unbuffered: a buffered file keeps the bytes a full disk refused and
        # raises again when closed (whether any are left depends on the free
        # space modulo the chunk size: it failed once the schema grew)
        with open(filler, "wb", buffering=0) as f:
            try:
                while True:
                    f.write(b"\0" * (1 << 16))
                    f.flush()
            except OSError:
                pass
        subprocess.run(["dd", "if=/dev/zero", "of=" + filler + "2", "bs=4k"], capture_output=True)
        before = s.sql("SELECT count(*) FROM results")[0][0]
        st, j = s.req("POST", "/results", {"job": jobs[1], "records": records(3000)})
        msg = (j or {}).get("error", "")
        check("disk full: ingest answers 507 Insufficient Storage (got %s: %s)" % (st, msg[:120]),
              st == 507, st)
        check("disk full: the error says the disk is full",
              any(w in msg.lower() for w in ("full", "space")), msg)
        st, _ = s.req("GET", "/health")
        check("disk full: the server still answers (GET /health 200)", st == 200, st)
        after = s.sql("SELECT count(*) FROM results")[0][0]
        check("disk full: nothing half-written (%d results before and after)" % before,
              after == before, "%d -> %d" % (before, after))
        check("disk full: PRAGMA integrity_check ok", s.integrity() == "ok")
        os.unlink(filler)
        if os.path.exists(filler + "2"):
            os.unlink(filler + "2")
        st, j = s.req("POST", "/results", {"job": jobs[1], "records": records(3000)})
        check("disk full: space back -> the same batch is accepted (201)", st == 201,
              "%s %s" % (st, j))
        check("disk full: and stored whole", nresults(s, jobs[1]) == 3000, nresults(s, jobs[1]))
        s.stop()
        check("disk full: integrity_check after shutdown", s.integrity() == "ok")
    finally:
        umount(mnt)


def t_read_only():
    # A: the database FILE is read-only (mode 0444; the server runs without
    # CAP_DAC_OVERRIDE so root obeys the mode): it may start, but every write
    # must fail with a clear error and change nothing
    drop = ["setpriv", "--inh-caps=-dac_override,-dac_read_search",
            "--bounding-set=-dac_override,-dac_read_search"]
    s = new_server("read_only_file")
    s.start()
    jobs = fixture(s, 2)
    st, _ = s.req("POST", "/results", {"job": jobs[0], "records": records(150)})
    check("read-only file: ingest works while the file is writable (201)", st == 201, st)
    s.stop()
    os.chmod(s.db, 0o444)
    s.wrap = drop
    if not s.start(expect_fail=True, timeout=20):
        rc = s.proc.wait()
        log = open(s.log).read()
        check("read-only file: iommulabd refuses to start with a clear error (exit %s)" % rc,
              rc != 0 and "iommulab.db" in log, log[-300:])
    else:
        before = s.sql("SELECT count(*) FROM results")[0][0]
        st, j = s.req("POST", "/results", {"job": jobs[1], "records": records(150)})
        msg = (j or {}).get("error", "")
        check("read-only file: a write answers 503 (got %s: %s)" % (st, msg[:100]), st == 503, st)
        check("read-only file: the error says read-only",
              "read-only" in msg.lower() or "readonly" in msg.lower(), msg)
        st, _ = s.req("GET", "/jobs")
        check("read-only file: reads still work (GET /jobs %s)" % st, st == 200, st)
        check("read-only file: nothing written",
              s.sql("SELECT count(*) FROM results")[0][0] == before)
        s.stop()
    os.chmod(s.db, 0o644)
    s.wrap = []
    s.start()
    check("read-only file: integrity_check ok afterwards", s.integrity() == "ok")
    st, _ = s.req("POST", "/results", {"job": jobs[1], "records": records(150)})
    check("read-only file: writable again -> ingest works (201)", st == 201, st)
    s.stop()

    # B: the file system holding the database is read-only (tmpfs remounted ro)
    mnt, s, jobs = tmpfs_server("read-only fs", "read_only_fs", "ro", "32m",
                                "read-only fs: ingest works on a writable file system (201)")
    if not mnt:
        return
    try:
        s.stop()
        r = subprocess.run(["mount", "-o", "remount,ro", mnt], capture_output=True, text=True)
        if r.returncode:
            skip("read-only fs", "remount ro failed: " + r.stderr.strip())
            return
        started = s.start(expect_fail=True, timeout=20)
        log = open(s.log).read()
        if started:
            st, j = s.req("POST", "/results", {"job": jobs[1], "records": records(150)})
            msg = (j or {}).get("error", "")
            check("read-only fs: a write answers 503 with an error (got %s: %s)"
                  % (st, msg[:120]), st == 503 and msg, st)
            s.stop()
        else:
            rc = s.proc.wait()
            last = [l for l in log.splitlines() if "error" in l][-1:] or ["(no error line)"]
            print("# read-only fs: " + last[0][:200])
            check("read-only fs: iommulabd refuses to start, exit %s, naming the database"
                  % rc, rc != 0 and "iommulab.db" in log, log[-300:])
            check("read-only fs: the error says read-only file system",
                  "read-only file system" in last[0].lower(), last[0])
        subprocess.run(["mount", "-o", "remount,rw", mnt], capture_output=True)
        s.start()
        check("read-only fs: PRAGMA integrity_check ok after the episode", s.integrity() == "ok")
        st, _ = s.req("POST", "/results", {"job": jobs[1], "records": records(150)})
        check("read-only fs: writable again -> ingest works (201)", st == 201, st)
        check("read-only fs: earlier results intact", nresults(s, jobs[0]) == 150)
        s.stop()
    finally:
        umount(mnt)


# ---- 4. 200 concurrent submitters ---------------------------------------------
def t_concurrent():
    # 200 runners at once, here all from 127.0.0.1: more than the default
    # per-address connection limit (64, issue 16), so the lab raises it
    s = new_server("concurrent", extra=["--per-ip-limit", "256"])
    s.start()
    job = fixture(s, 1)[0]
    n = 200
    res = [None] * n

    def one(i):
        try:
            res[i] = s.req("POST", "/results", {"job": job, "records": records(10, repeat=i)},
                           timeout=120)[0]
        except Exception as e:
            res[i] = repr(e)
    ths = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    t0 = time.time()
    for t in ths:
        t.start()
    for t in ths:
        t.join(180)
    dt = time.time() - t0
    good = sum(1 for r in res if r == 201)
    others = sorted(set(str(r) for r in res if r != 201))
    check("concurrent: %d submitters at once, all answered 201 (%d ok in %.1f s)%s"
          % (n, good, dt, " others: " + ", ".join(others)[:200] if others else ""), good == n)
    got = nresults(s, job)
    check("concurrent: every record stored exactly once (%d of %d)" % (got, n * 10),
          got == n * 10)
    check("concurrent: integrity_check ok", s.integrity() == "ok")
    st, _ = s.req("GET", "/health")
    check("concurrent: server healthy afterwards", st == 200, st)
    s.stop()


# ---- 4b. a large ingest in progress does not stall other requests ---------------
def t_busy():
    """100,000 results in one POST (the largest batch the API takes): while its
    handler runs (off the I/O thread), GET /health must be answered, i.e.
    answers arrive before the ingest's own 201"""
    import select, socket
    s = new_server("busy", extra=["--body-max", str(64 << 20)])
    s.start()
    job = fixture(s, 1)[0]
    n = 100000
    body = json.dumps({"job": job, "records": records(n)}).encode()
    head = ("POST /api/v1/results HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n"
            % (s.token, len(body))).encode()
    sock = socket.create_connection(("127.0.0.1", s.port), timeout=300)
    sock.sendall(head + body)       # returns once the server has read all but a buffer
    answered_before, health = 0, []
    t0 = time.time()
    while time.time() - t0 < 60:
        if select.select([sock], [], [], 0)[0]:
            break                   # the ingest answered
        t1 = time.time()
        st, _ = s.req("GET", "/health", token=False, timeout=30)
        health.append((time.time() - t1) * 1e3)
        if st == 200 and not select.select([sock], [], [], 0)[0]:
            answered_before += 1
    resp = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        resp += chunk
    sock.close()
    status = resp.split(b" ", 2)[1].decode() if resp.startswith(b"HTTP/") else repr(resp[:80])
    check("busy: %d GET /health answered while a %d-result ingest (%.0f MB) was running "
          "(slowest %.1f ms)" % (answered_before, n, len(body) / 1e6, max(health or [0])),
          answered_before >= 1, "none answered before the ingest's own answer")
    check("busy: the ingest answered 201", status == "201", status)
    got = nresults(s, job)
    check("busy: all %d results stored (%d)" % (n, got), got == n)
    s.stop()


# ---- 5. a 10 MiB body -----------------------------------------------------------
def t_big_body():
    s = new_server("big_body")
    s.start()
    job = fixture(s, 1)[0]
    before = s.sql("SELECT count(*) FROM results")[0][0]
    recs = json.dumps(records(150))
    pad = " " * ((10 << 20) - len(recs) - 64)
    body = ('{"job": %d, "records": %s%s}' % (job, recs, pad)).encode()
    # curl, because the server answers 413 from the headers and closes
    # while the body is still being sent (http.client reports a broken pipe)
    bf = os.path.join(s.dir, "big.json")
    open(bf, "wb").write(body)
    r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}",
                        "-H", "Authorization: Bearer " + s.token,
                        "-H", "Content-Type: application/json", "--data-binary", "@" + bf,
                        "http://127.0.0.1:%d/api/v1/results" % s.port],
                       capture_output=True, text=True, timeout=60)
    os.unlink(bf)
    st = int(r.stdout) if r.stdout.isdigit() else r.stdout + r.stderr
    check("big body: a %.1f MiB POST is refused with 413 (got %s)" % (len(body) / 1048576, st),
          st == 413, st)
    # the same without Content-Length (chunked): still 413, body not buffered
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=60)
    try:
        c.putrequest("POST", "/api/v1/results")
        c.putheader("Authorization", "Bearer " + s.token)
        c.putheader("Transfer-Encoding", "chunked")
        c.endheaders()
        chunk = b"x" * (1 << 20)
        try:
            for _ in range(11):
                c.send(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            c.send(b"0\r\n\r\n")
        except OSError:
            pass
        st2 = c.getresponse().status
    except Exception as e:
        st2 = repr(e)
    finally:
        c.close()
    check("big body: 11 MiB chunked (no Content-Length) is refused with 413 (got %s)" % st2,
          st2 == 413, st2)
    st, _ = s.req("GET", "/health")
    check("big body: server fine afterwards (health %s)" % st, st == 200, st)
    check("big body: database unchanged", s.sql("SELECT count(*) FROM results")[0][0] == before)
    rss = s.rss_kib()
    check("big body: peak RSS stays small (%d MiB)" % (rss // 1024), 0 < rss < 100 * 1024, rss)
    s.stop()


# ---- 6. a guest flooding its console ---------------------------------------------
def flood_log(path, mib, with_records=True):
    """kernel spam at ~mib MiB with a complete, valid run in the middle"""
    spam = ("[%12.6f] dmar_fault: 12 callbacks suppressed DMAR: [DMA Read NO_PASID] "
            "Request device [00:03.0] fault addr 0xfff00000 [fault reason 0x06] PTE Read "
            "access is not set\n")
    recs = records(150)
    with open(path, "w") as f:
        size, t = 0, 0.0
        half = (mib << 20) // 2
        while size < half:
            line = spam % t
            t += 0.000013
            f.write(line)
            size += len(line)
        if with_records:
            f.write('IOMMULAB-BEGIN {"v":1,"target":"q35-a","kernel":"6.1.0-56-amd64",'
                    '"arch":"x86_64","cases":150}\n')
            for r in recs:
                f.write("IOMMULAB-REC " + json.dumps(r, separators=(",", ":")) + "\n")
                f.write(spam % t)
        while size < (mib << 20):
            line = spam % t
            t += 0.000013
            f.write(line)
            size += len(line)
        if with_records:
            f.write('IOMMULAB-END {"v":1,"records":150,"status":"ok"}\n')


def scan(path):
    r = subprocess.run([SCANLOG, path], capture_output=True, text=True, timeout=300)
    kv = {}
    for tok in r.stdout.strip().split(" ")[1:]:
        if "=" in tok:
            k, v = tok.split("=", 1)
            kv[k] = v
    return r.returncode, kv, r.stdout.strip()


def t_flood():
    d = os.path.join(OUT, "flood")
    os.makedirs(d, exist_ok=True)
    # the agent has no console-flooding fault (--fault: panic|hang|garbage|
    # norecords), so the flood is a console log file fed to the same scanner
    # the QEMU runner uses
    p = os.path.join(d, "flood-100m.log")
    flood_log(p, 100)
    rc, kv, line = scan(p)
    print("# " + line[:300])
    check("flood: 100 MiB of console spam around a valid run -> status ok, 150 records",
          rc == 0 and kv.get("status") == "ok" and kv.get("records") == "150", line[:200])
    rss = int(kv.get("maxrss_kib", "0"))
    check("flood: scanner memory bounded by the log size (peak %d MiB for 100 MiB)"
          % (rss // 1024), 0 < rss < (100 + 64) * 1024, rss)
    p2 = os.path.join(d, "flood-300m.log")
    flood_log(p2, 300, with_records=False)
    rc, kv, line = scan(p2)
    os.unlink(p2)
    print("# " + line[:300])
    rss = int(kv.get("maxrss_kib", "0"))
    check("flood: a 300 MiB log (over the 256 MiB limit) is refused with a clear error, "
          "not read (rc %s, peak %d MiB)" % (kv.get("rc"), rss // 1024),
          rc == 1 and kv.get("rc", "0") != "0" and rss < 64 * 1024, line[:200])
    p3 = os.path.join(d, "flood-trunc.log")
    with open(p, "rb") as f, open(p3, "wb") as g:
        g.write(f.read(60 << 20))	# the run was cut: no END
    rc, kv, line = scan(p3)
    check("flood: the same log cut mid-run -> no_end (incomplete), nothing accepted",
          rc == 0 and kv.get("status") == "no_end", line[:200])
    os.unlink(p)
    os.unlink(p3)
    # through the API: a 7 MiB flood in {"log": ...}
    s = new_server("flood", extra=["--body-max", str(8 << 20)])
    s.start()
    job = fixture(s, 1)[0]
    p4 = os.path.join(d, "flood-7m.log")
    flood_log(p4, 7)
    txt = open(p4).read()
    os.unlink(p4)
    st, j = s.req("POST", "/results", {"job": job, "log": txt, "complete": True})
    check("flood: a 7 MiB flooded console via POST /results {log} -> 201, 150 stored (got %s)"
          % st, st == 201 and (j or {}).get("stored") == 150, j and j.get("error"))
    rss = s.rss_kib()
    check("flood: server peak RSS after it %d MiB (< 100)" % (rss // 1024), 0 < rss < 100 * 1024)
    s.stop()


# ---- 7. a LAVA that answers slowly ------------------------------------------------
# A stand-in for LAVA's REST API on loopback (acceptable ONLY for this
# slowness fault): every request waits DELAY s, then submit answers one job
# id and job status answers "Running". The real LAVA backend talks to it
# through the real scheduler; the kernel's artifacts are prepared for real
# from $CACHE (SKIP when that fails, e.g. kernel 6.1 not fetchable).
def t_slow_lava():
    import http.server
    delay = 4.0
    seen, inflight = [], [0]
    lock = threading.Lock()

    class Slow(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def answer(self, code, obj):
            with lock:
                inflight[0] += 1
                seen.append((time.time(), self.command, self.path))
            try:
                time.sleep(delay)
                b = json.dumps(obj).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(b)))
                self.end_headers()
                self.wfile.write(b)
            except OSError:
                pass
            finally:
                with lock:
                    inflight[0] -= 1

        def do_GET(self):
            if self.path.startswith("/api/v0.2/jobs/4242/"):
                self.answer(200, {"id": 4242, "state": "Running", "health": "Unknown"})
            else:
                self.answer(404, {"detail": "not found"})

        def do_POST(self):
            n = int(self.headers.get("Content-Length") or 0)
            self.rfile.read(n)
            if self.path == "/api/v0.2/jobs/":
                self.answer(201, {"message": "job(s) successfully submitted", "job_ids": [4242]})
            else:
                self.answer(404, {"detail": "not found"})

    lava = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    lava.daemon_threads = True
    threading.Thread(target=lava.serve_forever, daemon=True).start()
    try:
        s = new_server("slow_lava", sched=True)
        labs = os.path.join(s.dir, "labs.json")
        json.dump({"labs": [{"name": "slowlab", "url": "http://127.0.0.1:%d" % lava.server_port,
                             "token": "slow-lava-token", "device_types": ["qemu"],
                             "poll_s": 1}]}, open(labs, "w"))
        s.extra = ["--labs", labs]
        s.add_target("lava-q35", {"name": "lava-q35", "arch": "x86_64", "backend": "lava",
                                  "vendor": "intel", "driver": "intel-iommu", "tags": ["lava"],
                                  "concurrency": 1,
                                  "qemu": {"machine": "q35,kernel-irqchip=split",
                                           "args": ["-device", "intel-iommu,intremap=on",
                                                    "-device", "edu,addr=3"]},
                                  "lava": {"device_type": "qemu", "context": {"arch": "amd64"}}})
        s.start()
        st, _ = s.req("POST", "/kernels", {"name": "6.1", "arch": "x86_64", "source": "debian"})
        st, plan = s.req("POST", "/plans", {"kind": "manual", "kernels": ["6.1"],
                                           "targets": ["lava-q35"], "max_attempts": 2})
        if st != 201:
            bad("slow lava: plan for the LAVA target", "%s %s" % (st, plan))
            return
        job = s.sql("SELECT id FROM jobs WHERE plan_id = ?", (plan["id"],))[0][0]
        # artifacts first (real, from the cache), then the first slow LAVA call
        t0 = time.time()
        # (an infrastructure failure of the preparation is retried once)
        while time.time() - t0 < 300 and not seen:
            row = s.sql("SELECT state, reason, attempts FROM jobs WHERE id = ?", (job,))[0]
            if row[0] in (3, 5) or (row[0] == 4 and row[2] >= 2):
                break
            time.sleep(0.2)
        if not seen:
            row = s.sql("SELECT state, reason FROM jobs WHERE id = ?", (job,))[0]
            skip("slow lava", "the job never reached LAVA (state %s: %s); artifacts for "
                 "kernel 6.1 could not be prepared here" % (row[0], (row[1] or "")[:200]))
            return
        print("# slow lava: first LAVA request after %.1f s (artifact preparation): %s %s"
              % (time.time() - t0, seen[0][1], seen[0][2]))
        # while a LAVA call is in flight, the API must answer at once
        lat = []
        t1 = time.time()
        while time.time() - t1 < 2 * delay:
            if inflight[0]:
                a = time.time()
                st, _ = s.req("GET", "/health", timeout=10)
                st2, _ = s.req("GET", "/jobs?limit=5", timeout=10)
                lat.append((time.time() - a, st, st2))
            time.sleep(0.1)
        worst = max((l[0] for l in lat), default=-1)
        check("slow lava: the API answers while LAVA takes %.0f s per request (%d probes, "
              "worst %.0f ms)" % (delay, len(lat), worst * 1000),
              lat and worst < 1.0 and all(l[1] == 200 and l[2] == 200 for l in lat), lat[:3])
        t2 = time.time()
        sub = None
        while time.time() - t2 < 6 * delay:
            sub = s.sql("SELECT backend_job_id, state FROM jobs WHERE id = ?", (job,))[0]
            if sub[0] and "4242" in sub[0]:
                break
            time.sleep(0.2)
        check("slow lava: the job is submitted despite the slow answers (backend id %s)"
              % (sub and sub[0]), sub and sub[0] and "4242" in sub[0], sub)
        # SIGTERM while a status request is in flight
        t3 = time.time()
        while time.time() - t3 < 3 * delay and not inflight[0]:
            time.sleep(0.05)
        a = time.time()
        rc = s.stop(wait=60)
        dt = time.time() - a
        check("slow lava: SIGTERM with a LAVA request in flight stops iommulabd (exit %s "
              "in %.1f s)" % (rc, dt), rc == 0 and dt < 35, "exit %s after %.1f s" % (rc, dt))
        print("# slow lava: %d LAVA requests: %s" % (len(seen), ", ".join(
            "%s %s" % (m, p) for _, m, p in seen[:6])))
        s.start()
        row = s.sql("SELECT state, reason FROM jobs WHERE id = ?", (job,))[0]
        print("# slow lava: after restart the job is state %s: %s" % (row[0], row[1]))
        check("slow lava: integrity_check ok", s.integrity() == "ok")
        s.stop(wait=60)
    finally:
        lava.shutdown()


tests = {"kill": t_kill, "disk_full": t_disk_full, "read_only": t_read_only,
         "concurrent": t_concurrent, "busy": t_busy, "big_body": t_big_body, "flood": t_flood,
         "slow_lava": t_slow_lava}
for name in WANT:
    t0 = time.time()
    try:
        tests[name]()
    except Exception as e:
        import traceback
        traceback.print_exc()
        bad("%s: raised %r" % (name, e))
        stop_all()
    print("# %s: %.1f s" % (name, time.time() - t0), flush=True)
stop_all()
open(os.path.join(OUT, "faults.counts"), "w").write("%d %d %d\n" % tuple(counts))
sys.exit(1 if counts[1] else 0)
