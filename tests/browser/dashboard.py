#!/usr/bin/env python3
"""tests/browser/dashboard.py - drive Debian's chromium (headless, through
chromium-driver and python3-selenium: tests/browser/labbrowser.py) against
real iommulabd instances and check each dashboard page against the API's JSON.

usage: dashboard.py --real URL --out DIR [--empty URL] [--load URL] [--ingest FILE]
  --real    server with real results (tests/browser/ingest.py real)
  --empty   a server with an empty database (empty states)
  --load    the load fixture server (10,000 synthetic results): page load times
  --ingest  ingest.py real's JSON summary (its running job is followed live)
  --out     screenshots go to DIR/screenshots, timings to DIR/load-times.json
Prints "ok - ..." / "not ok - ..." / "ok - ... # SKIP ..." lines; the stage
script counts them. Exit 1 when the browser cannot start.
"""
import argparse
import json
import math
import os
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from labbrowser import Browser, Tap, api_get, http_text  # noqa: E402

ERRNAME = {0: "OK", 1: "EPERM", 2: "ENOENT", 5: "EIO", 6: "ENXIO", 12: "ENOMEM", 14: "EFAULT",
           16: "EBUSY", 18: "EXDEV", 19: "ENODEV", 22: "EINVAL", 28: "ENOSPC", 95: "EOPNOTSUPP"}

ap = argparse.ArgumentParser()
ap.add_argument("--real", required=True)
ap.add_argument("--out", default=".")
ap.add_argument("--empty")
ap.add_argument("--load")
ap.add_argument("--ingest")
args = ap.parse_args()
shots = os.path.join(args.out, "screenshots")
os.makedirs(shots, exist_ok=True)

t = Tap()
try:
    b = Browser(1280, 900)
except Exception as e:  # noqa: BLE001
    print("not ok - chromium starts: " + str(e).split("\n")[0])
    sys.exit(1)
t.ok("chromium starts headless (%s, chromium-driver + python3-selenium)" % b.version())


def shot(name, full=True):
    b.screenshot(os.path.join(shots, name), full)
    t.ok("screenshot " + name)


def q(s):
    return urllib.parse.quote(s, safe="")


# ---------------------------------------------------------------- empty server
if args.empty:
    def empty_states():
        b.open(args.empty, "#/", "overview")
        txt = b.text(".empty") or ""
        t.check("empty overview says what to do", "make demo" in txt, txt)
        shot("empty-overview.png")
        b.go("#/matrix", "matrix")
        t.check("empty matrix says what to do", "make demo" in (b.text(".empty") or ""))
        b.go("#/patches", "patches")
        t.check("empty patch reports say what to do", re.search(r"kind.*patch", b.text(".empty") or ""))
    t.step("empty states", empty_states)

R = args.real


def overview():
    o = api_get(R, "/overview")
    b.open(R, "#/", "overview")
    rows = b.js("""return [...document.querySelectorAll('#overview-table tbody tr')].map((tr) => ({
        vendor: tr.dataset.vendor, driver: tr.dataset.driver,
        conf: tr.querySelector('td.conf').firstChild.textContent,
        trendPoints: tr.querySelectorAll('svg.trend circle').length}));""")
    t.check("overview: one row per vendor/driver of /overview (%d)" % len(o["drivers"]),
            len(rows) == len(o["drivers"]) and rows, "%d rows" % len(rows))
    for d in o["drivers"]:
        r = next((x for x in rows if x["vendor"] == d["vendor"] and x["driver"] == d["driver"]), None)
        want = "%s/%s" % (d["latest"]["pass"], d["latest"]["judged"])
        t.check("overview: %s/%s conformance %s as in the API" % (d["vendor"], d["driver"], want),
                r and r["conf"] == want, r and r["conf"])
        pts = len([c for c in d["trend"] if c and c.get("judged")])
        t.check("overview: %s trend has %d points" % (d["driver"], pts),
                r and r["trendPoints"] == pts, r and r["trendPoints"])
    n = b.count("#regressions tbody tr")
    t.check("overview: %d open regressions listed" % len(o["regressions"]), n == len(o["regressions"]), n)
    shot("overview.png")


t.step("overview", overview)


def matrix_all(base, kl):
    """every cell of /matrix for each kernel, through every page of the answer"""
    cells = []
    for k in kl:
        page = 1
        while True:
            m = api_get(base, "/matrix?kernel=%s&page=%d" % (q(k), page))
            cells += [dict(c, kernel=k) for c in m["cells"]]
            pages = m.get("pages") or 1
            if page >= pages or not m["cells"]:
                break
            page += 1
    return cells


def page_cells():
    """the cells of the matrix page shown and of each page after it (the
    page shows 60 rows, target x case, a page): walks the pager to the end"""
    cells = []
    while True:
        cells += b.js("""return [...document.querySelectorAll('#matrix td.cell a')].map((a) => ({
            kernel: a.dataset.kernel, target: a.dataset.target, case: a.dataset.case,
            verdict: a.dataset.verdict, text: a.textContent, href: a.getAttribute('href')}));""")
        m = re.match(r"page (\d+) of (\d+)", b.text(".pageinfo") or "")
        if not m or int(m.group(1)) >= int(m.group(2)):
            return cells
        prev = b.seq()
        b.click(".pager button:last-child")
        b.settled(prev, "matrix")


def matrix():
    kl = [k["name"] for k in api_get(R, "/kernels")["items"]]
    tl = api_get(R, "/targets")["items"]
    allc = matrix_all(R, kl)
    b.open(R, "#/matrix", "matrix")
    cells = page_cells()
    t.check("matrix: %d cells on every page, as many as /matrix of every kernel" % len(allc),
            len(cells) == len(allc) and allc, len(cells))
    by = {(c["kernel"], c["target"], c["case"]): c for c in cells}
    mism = 0
    for c in allc:
        got = by.get((c["kernel"], c["target"], c["case"]))
        want = "skip" if c["verdict"] == "skip" else ERRNAME.get(c["observed"], "errno %s" % c["observed"])
        if not got or got["verdict"] != c["verdict"] or got["text"] != want or \
                got["href"] != "#/result/%s" % c["result_id"]:
            mism += 1
    t.check("matrix: every cell shows the API errno name, verdict and result link", mism == 0, "%d differ" % mism)
    b.open(R, "#/matrix", "matrix")
    shot("matrix.png")
    # filter: vendor amd through the form (the first page of the filtered matrix)
    vendor = "amd" if any(x["vendor"] == "amd" for x in tl) else tl[0]["vendor"]
    b.select("#f-vendor", vendor)
    prev = b.seq()
    b.click("#matrix-filters button[type=submit]")
    b.settled(prev, "matrix")
    vt = {x["name"] for x in tl if x["vendor"] == vendor}
    want = len([c for c in allc if c["target"] in vt])
    t.check("matrix filter is in the URL (shareable)", "vendor=" in b.url())
    shot("matrix-filtered.png")
    got = [c["target"] for c in page_cells()]
    t.check("matrix filter vendor=%s: %d cells on every page, only its targets" % (vendor, want),
            len(got) == want and all(x in vt for x in got), "%d cells" % len(got))


t.step("matrix", matrix)


def result():
    b.open(R, "#/matrix", "matrix")
    # prefer a failing cell: it has the most to show
    sel = "#matrix td.cell.v-fail a" if b.exists("#matrix td.cell.v-fail a") else "#matrix td.cell.v-pass a"
    href = b.attr(sel, "href")
    prev = b.seq()
    b.click(sel)
    b.settled(prev, "result")
    rid = int(href.split("/")[-1])
    res = api_get(R, "/results?limit=1&cursor=%d" % (rid + 1))["items"][0]
    t.check("result page opened from a matrix cell is that result",
            res and res["id"] == rid and b.url().endswith(href))
    steps = b.js("""return [...document.querySelectorAll('#steps tbody tr')].map((tr) =>
        [tr.children[1].textContent, tr.children[2].textContent]);""")
    t.check("result: all %d steps with their errno" % len(res["steps"]),
            len(steps) == len(res["steps"]) and
            all(s[0] == res["steps"][i]["name"] and s[1] == res["steps"][i]["err"] for i, s in enumerate(steps)),
            json.dumps(steps))
    card = b.text("#result-errno") or ""
    t.check("result: observed/expected/contract shown",
            (res.get("contract") or "-") in card and "(%s)" % res["observed"] in card and
            (res.get("expected") is None or "(%s)" % res["expected"] in card), card)
    body = b.text("main") or ""
    t.check("result: reuse and verification shown",
            (res.get("verified") or "none") in body and re.search("reused domain", body))
    b.wait("return !/loading/.test(document.querySelector('#log-excerpt').textContent);")
    ex = b.text("#log-excerpt") or ""
    t.check("result: job log excerpt mentions the case", res["case"] in ex, ex[:200])
    shot("result.png")


t.step("result", result)


def crash_result():
    # a result whose kernel crashed during the case (the real Debian 6.12
    # virtio-iommu oops of kmod.map.before_attach, finding F2): its page shows
    # the kernel's report from its first line
    items, cur = [], ""
    while True:
        page = api_get(R, "/results?limit=500" + cur)
        items += [x for x in page["items"] if x.get("verdict") == "crash" and x.get("kernel_excerpt")]
        if items or not page.get("next_cursor"):
            break
        cur = "&cursor=%d" % page["next_cursor"]
    if not items:
        t.bad("crash result page", "no crash result with a kernel report among the real results")
        return
    res = items[0]
    b.open(R, "#/result/%d" % res["id"], "result")
    rep = b.text("#kernel-report") or ""
    first = res["kernel_excerpt"].split("\n")[0]
    t.check("crash result (%s on %s): the page shows the kernel's %s report from its first line"
            % (res["case"], res["target"], res.get("kernel_kind")),
            first and rep.startswith(first) and (res.get("kernel_kind") or "") in (b.text("#kernel-kind") or ""),
            rep[:200])
    shot("result-crash.png")


t.step("crash result", crash_result)


def diff():
    kl = [k["name"] for k in api_get(R, "/kernels")["items"]]
    base, head = kl[0], kl[-1]
    d = api_get(R, "/diffs?base=%s&head=%s&changes_only=1" % (base, head))
    b.open(R, "#/diff?base=%s&head=%s" % (base, head), "diff")
    counts = b.js("""return Object.fromEntries([...document.querySelectorAll('#diff-summary .count')]
        .map((s) => [s.dataset.class, parseInt(s.textContent, 10)]));""")
    same = all(counts.get(c) is None or counts[c] == n for c, n in d["summary"].items())
    t.check("diff %s -> %s: class counts as in /diffs" % (base, head), same and counts, json.dumps(counts))
    for c in ["errno_changed", "pass_to_fail", "fail_to_pass", "new", "missing", "setup_changed", "flaky",
              "new_crash", "crash_fixed", "new_warning"]:
        want = len([r for r in d["rows"] if r["class"] == c])
        got = b.count("table.diff[data-class=%s] tbody tr" % c)
        t.check("diff group %s: %d rows" % (c, want), got == want, got)
    perma = b.attr("#permalink", "href") or ""
    t.check("diff permalink names both kernels", "base=" + base in perma and "head=" + head in perma, perma)
    shot("diff.png")
    # the permalink reopens the same diff
    b.open(R, "#" + perma.split("#")[1], "diff")
    t.check("diff permalink reopens the diff", "%s \u2192 %s" % (base, head) in (b.text("#diff-summary") or ""))
    # plan diff from the overview's link
    b.open(R, "#/", "overview")
    if b.exists("#diff-last-nightlies"):
        prev = b.seq()
        b.click("#diff-last-nightlies")
        b.settled(prev, "diff")
        t.check("overview links a plan diff of the last two nightlies",
                re.search(r"base_plan=\d+&head_plan=\d+", b.url()))
        shot("diff-plans.png")


t.step("diff", diff)


def jobs():
    queued = api_get(R, "/jobs?state=queued&limit=200")["items"]
    running = api_get(R, "/jobs?state=running&limit=200")["items"]
    b.open(R, "#/jobs", "jobs")
    ids = b.js("return [...document.querySelectorAll('#jobs-active tbody tr')].map((r) => +r.dataset.job);")
    t.check("jobs: queue shows the %d queued and %d running jobs" % (len(queued), len(running)),
            len(ids) == len(queued) + len(running) and all(j["id"] in ids for j in queued),
            ",".join(map(str, ids)))
    live = b.text("#jobs-live")
    time.sleep(3.5)
    t.check("jobs: the queue refreshes live", b.text("#jobs-live") != live)
    shot("jobs.png")
    done = api_get(R, "/jobs?state=complete&limit=1")["items"][0]
    b.open(R, "#/job/%d" % done["id"], "job")
    b.wait("return /bytes/.test(document.querySelector('#log-status').textContent);")
    log = b.text("#job-log")
    api_log = http_text(R + "/api/v1/jobs/%d/log" % done["id"])
    t.check("job #%d: the serial log is the API's log (%d chars)" % (done["id"], len(api_log)),
            log == api_log and "IOMMULAB-END" in log, len(log or ""))
    shot("job.png", False)

    # a running job: the page follows its log as it grows
    ing = json.load(open(args.ingest)) if args.ingest else {}
    if not ing.get("running"):
        t.skip("job log follows a running job", "no running job in the fixture")
    else:
        run = ing["running"]
        job, log_path, src, cut = run["job"], run["log"], run["src"], run["cut"]
        full = open(src, "rb").read()
        b.open(R, "#/job/%d" % job, "job")
        b.wait("return /bytes/.test(document.querySelector('#log-status').textContent);")
        first = b.text("#job-log")
        t.check("running job #%d: the page shows the log so far (%d bytes)" % (job, cut),
                first == full[:cut].decode("utf-8", "replace"), len(first or ""))
        t.check("running job: the page says it follows the log", "following" in (b.text("#log-status") or ""))
        with open(log_path, "ab") as f:
            f.write(full[cut:])
        b.wait("return /IOMMULAB-END/.test(document.querySelector('#job-log').textContent);", timeout=20)
        t.check("running job #%d: the page appended the rest of the log as it was written" % job,
                b.text("#job-log") == full.decode("utf-8", "replace"))
        shot("job-running.png", False)
    canceled = api_get(R, "/jobs?state=canceled&limit=1")["items"]
    if canceled:
        c = canceled[0]
        b.open(R, "#/job/%d" % c["id"], "job")
        why = b.text("#job-reason") or ""
        t.check("canceled job #%d shows its reason" % c["id"], c["reason"] in why, why)


t.step("jobs", jobs)


def patches():
    plans = [p for p in api_get(R, "/plans?limit=200")["items"] if p["kind"] == "patch"]
    b.open(R, "#/patches", "patches")
    n = b.count("#patch-plans tbody tr")
    t.check("patch reports: the %d patch plans" % len(plans), n == len(plans) and n > 0, n)
    shot("patches.png")


t.step("patches", patches)


def phone():
    b.viewport(390, 844)
    try:
        for hash_, name, f in [("#/", "overview", "phone-overview.png"), ("#/matrix", "matrix", "phone-matrix.png"),
                               ("#/diff", "diff", "phone-diff.png"), ("#/jobs", "jobs", "phone-jobs.png")]:
            b.open(R, hash_, name)
            w = b.js("return document.documentElement.scrollWidth;")
            t.check("390px: %s page does not scroll sideways (width %d)" % (name, w), w <= 391, w)
            shot(f, False)
    finally:
        b.viewport(1280, 900)


t.step("phone width", phone)

b.drain_logs()
# network requests only: the browser's own pages (chrome://new-tab-page the
# driver opens first, data:, about:, blob:) never leave the machine
foreign = [u for u in b.requests if re.match(r"(https?|wss?|ftp)://", u) and not u.startswith("http://127.0.0.1:")]
t.check("no request left 127.0.0.1 (%d requests seen)" % len(b.requests),
        not foreign and b.requests, " ".join(foreign[:3]))
t.check("no JavaScript errors in the pages", not b.console_errors, " | ".join(b.console_errors[:3]))

# ---------------------------------------------------------------- load times
if args.load:
    L = args.load
    times = []

    def load_times():
        kl = sorted(k["name"] for k in api_get(L, "/kernels")["items"])
        n = sum(x["results"] for x in api_get(L, "/overview?nightlies=30")["nightlies"])
        t.check("load fixture holds %d results" % n, n >= 10000, n)
        res = api_get(L, "/results?limit=1")["items"][0]
        done = api_get(L, "/jobs?state=complete&limit=1")["items"][0]
        pages = [
            ("overview", "#/", "overview"),
            ("matrix (8 newest kernels)", "#/matrix", "matrix"),
            ("matrix, range of all 20 (newest 8 shown), fail only", "#/matrix?kernel_from=%s&verdict=fail" % kl[0], "matrix"),
            ("matrix page 5", "#/matrix?page=5", "matrix"),
            ("diff of two kernels", "#/diff?base=%s&head=%s" % (kl[-2], kl[-1]), "diff"),
            ("diff with unchanged rows", "#/diff?base=%s&head=%s&all=1" % (kl[0], kl[-1]), "diff"),
            ("result", "#/result/%d" % res["id"], "result"),
            ("jobs", "#/jobs", "jobs"),
            ("job", "#/job/%d" % done["id"], "job"),
        ]
        for label, hash_, name in pages:
            best = []
            for _ in range(3):
                b.d.get("about:blank")
                t0 = time.monotonic()
                lr = b.open(L, hash_, name)
                best.append({"wall": int((time.monotonic() - t0) * 1000),
                             "sinceNav": lr.get("sinceNav"), "render": lr.get("ms")})
            best.sort(key=lambda x: x["wall"])
            m = best[1]  # median of 3
            times.append(dict(page=label, hash=hash_, **m))
            t.check("load: %s ready in %d ms (median of 3; < 5000)" % (label, m["wall"]), m["wall"] < 5000, m["wall"])
        # markup stored in a result's free text shows as text and never runs
        probe = api_get(L, "/results?case=load.synthetic.case_000&kernel=%s&limit=1" % kl[-1])["items"]
        probe = probe[0] if probe else None
        if probe and "<img" in (probe.get("reason") or ""):
            b.open(L, "#/result/%d" % probe["id"], "result")
            time.sleep(0.3)
            shown = b.text("#result-errno") or ""
            ran = b.js("return window.labXss;")
            imgs = b.count("main img, main script")
            t.check("XSS probe in reason/contract is shown as text, no element, nothing ran",
                    probe["reason"] in shown and ran is None and imgs == 0, "ran=%s imgs=%s" % (ran, imgs))
        else:
            t.bad("XSS probe present in the load fixture", json.dumps(probe)[:200])
        # kernel range and paging on the big matrix
        b.open(L, "#/matrix?kernel_from=%s&kernel_to=%s" % (kl[2], kl[4]), "matrix")
        cols = b.texts("#matrix thead th.k")
        t.check("load matrix: kernel range %s..%s gives exactly those columns" % (kl[2], kl[4]),
                cols == kl[2:5], ",".join(cols))
        info = b.text(".pageinfo")
        rows_total = int(re.match(r"\s*(\d+)", b.text("#matrix-summary")).group(1))
        t.check("load matrix: %d rows paged 60 a page (%s)" % (rows_total, info),
                info == "page 1 of %d" % math.ceil(rows_total / 60), info)
        first_row = b.text("#matrix tbody tr")
        prev = b.seq()
        b.click(".pager button:last-child")
        b.settled(prev, "matrix")
        t.check("load matrix: next page shows other rows, page in the URL",
                (b.text(".pageinfo") or "").startswith("page 2 ") and "page=2" in b.url() and
                b.text("#matrix tbody tr") != first_row)
        b.open(L, "#/matrix", "matrix")
        shot("load-matrix.png", False)
        b.open(L, "#/", "overview")
        shot("load-overview.png", False)

    t.step("load times", load_times)
    with open(os.path.join(args.out, "load-times.json"), "w") as f:
        json.dump(times, f, indent=1)
    print("# page load times with the 10,000-result load fixture (wall ms from navigation to data drawn;"
          " sinceNav = performance.now() at ready; render = route to ready):")
    for x in times:
        print("#   %-36s %6d ms  (sinceNav %s, render %s)" % (x["page"], x["wall"], x["sinceNav"], x["render"]))

b.close()
print("# browser checks done, %d failed" % t.failed)
