"""tests/browser/labbrowser.py - Debian's chromium, headless, driven through
chromium-driver by python3-selenium (all three from Debian's archive), with
what the dashboard tests need around it.

Owns one browser session per Browser object: a throw-away profile, the
console and network logs (read through chromedriver's "browser" and
"performance" logs), the viewport (CDP device metrics, so a width is the
page's width, not the window's) and full-page screenshots (CDP
Page.captureScreenshot beyond the viewport). Every wait polls a JavaScript
predicate in the page with a timeout and raises TimeoutException.

Checks are printed as TAP-like lines ("ok - NAME", "not ok - NAME: WHY",
"ok - NAME # SKIP WHY"); Tap counts the failures. Used by dashboard.py
(stage 80) and the one-page checks (patch_report.py, findings.py,
bisect_page.py, job_provenance.py, target_health.py, job_warnings.py), which
share start(), page_end() and finish() below.
"""
import base64
import json
import os
import shutil
import sys
import tempfile
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


class Tap:
    """TAP-like check lines and a failure count."""

    def __init__(self):
        self.failed = 0

    def ok(self, name):
        print("ok - " + name, flush=True)

    def bad(self, name, why=None):
        self.failed += 1
        print("not ok - " + name + (": " + str(why) if why is not None and why != "" else ""), flush=True)

    def check(self, name, cond, why=None):
        if cond:
            self.ok(name)
        else:
            self.bad(name, why)

    def skip(self, name, why):
        print("ok - %s # SKIP %s" % (name, why), flush=True)

    def step(self, name, fn):
        """run fn(); an exception is one failed check named NAME"""
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - every error of a step is its failure
            msg = (getattr(e, "msg", None) or str(e) or type(e).__name__).split("\n")[0]
            self.bad(name, "%s: %s" % (type(e).__name__, msg))


def start(width=1280, height=900):
    """a Browser and a Tap; when chromium does not start: "not ok" and exit 1"""
    try:
        return Browser(width, height), Tap()
    except Exception as e:  # noqa: BLE001 - any failure to start is that check's
        print("not ok - chromium starts: " + str(e).split("\n")[0])
        sys.exit(1)


def page_end(b, t, shot):
    """the end of a page's checks: a full-page screenshot into SHOT, no page errors"""
    b.screenshot(shot)
    b.drain_logs()
    t.check("no page errors", not b.console_errors, " | ".join(b.console_errors))


def finish(b, t, name, fn):
    """run the checks FN as one step NAME, close the browser, exit 1 on any failure"""
    t.step(name, fn)
    b.close()
    sys.exit(1 if t.failed else 0)


def api_get(base, path):
    with urllib.request.urlopen(base + "/api/v1" + path, timeout=60) as r:
        return json.loads(r.read())


def http_text(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return r.read().decode("utf-8", "replace")


class Browser:
    def __init__(self, width=1280, height=900):
        self.profile = tempfile.mkdtemp(prefix="iommulab-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for f in FLAGS:
            opts.add_argument(f)
        opts.add_argument("--user-data-dir=" + self.profile)
        opts.add_argument("--window-size=%d,%d" % (width, height))
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        try:
            self.d = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        except Exception:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        self.d.set_page_load_timeout(60)
        self.console_errors = []
        self.requests = []
        self.viewport(width, height)

    def version(self):
        return self.d.capabilities.get("browserVersion", "?")

    def close(self):
        try:
            self.d.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)

    # ---- logs ----------------------------------------------------------------
    def drain_logs(self):
        """collect console errors (uncaught exceptions included) and the URLs
        of every request the pages made since the last call"""
        for e in self.d.get_log("browser"):
            if e.get("level") == "SEVERE":
                self.console_errors.append(e.get("message", ""))
        for e in self.d.get_log("performance"):
            try:
                m = json.loads(e["message"])["message"]
            except (KeyError, ValueError):
                continue
            if m.get("method") == "Network.requestWillBeSent":
                self.requests.append(m["params"]["request"]["url"])

    # ---- page state ----------------------------------------------------------
    def js(self, script, *args):
        return self.d.execute_script(script, *args)

    def wait(self, script, *args, timeout=30):
        """until the JavaScript expression body SCRIPT (with arguments) is truthy"""
        return WebDriverWait(self.d, timeout, poll_frequency=0.05).until(
            lambda d: d.execute_script(script, *args))

    def text(self, sel):
        return self.js("const e = document.querySelector(arguments[0]);"
                       "return e ? e.textContent : null;", sel)

    def texts(self, sel):
        return self.js("return [...document.querySelectorAll(arguments[0])]"
                       ".map((e) => e.textContent.trim());", sel)

    def count(self, sel):
        return self.js("return document.querySelectorAll(arguments[0]).length;", sel)

    def attr(self, sel, name):
        return self.js("const e = document.querySelector(arguments[0]);"
                       "return e ? e.getAttribute(arguments[1]) : null;", sel, name)

    def exists(self, sel):
        return bool(self.d.find_elements(By.CSS_SELECTOR, sel))

    def url(self):
        return self.d.current_url

    # ---- navigation (the dashboard sets body.dataset.ready and window.labReady) -
    def open(self, base, hash_, name):
        """a fresh page load (about:blank first: no hash-only navigation)"""
        self.d.get("about:blank")
        self.d.get(base + "/" + hash_)
        self.wait("return document.body && document.body.dataset.ready === arguments[0];", name)
        return self.js("return window.labReady;")

    def seq(self):
        return self.js("return window.labReady ? window.labReady.seq : 0;")

    def settled(self, prev, name):
        """the router finished a route after @prev"""
        self.wait("return window.labReady && window.labReady.seq > arguments[0] && "
                  "document.body.dataset.ready === arguments[1];", prev, name)

    def go(self, hash_, name):
        """in-page navigation (hashchange)"""
        prev = self.seq()
        self.js("location.hash = arguments[0];", hash_)
        self.settled(prev, name)

    def click(self, sel):
        self.d.find_element(By.CSS_SELECTOR, sel).click()

    def select(self, sel, value):
        Select(self.d.find_element(By.CSS_SELECTOR, sel)).select_by_value(value)

    # ---- viewport and screenshots ----------------------------------------------
    def viewport(self, width, height):
        self.d.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def screenshot(self, path, full=True):
        params = {"format": "png"}
        if full:
            m = self.d.execute_cdp_cmd("Page.getLayoutMetrics", {})
            size = m.get("cssContentSize") or m["contentSize"]
            params.update(captureBeyondViewport=True, clip={
                "x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1})
        png = base64.b64decode(self.d.execute_cdp_cmd("Page.captureScreenshot", params)["data"])
        with open(path, "wb") as f:
            f.write(png)
        if not png.startswith(b"\x89PNG"):
            raise RuntimeError("screenshot %s is not a PNG" % path)
