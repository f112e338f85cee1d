#!/usr/bin/python3
# tests/lava/mklog.py - turn a console text into a LAVA job log with LAVA's
# own code (lava_dispatcher.shell.ShellLogger's escaping + lava_common.log's
# YAML dump, "- " prefixed as the server stores it), so the C decoder
# (server/lava_log.c) is tested against the real producer.
# usage: tests/lava/mklog.py CONSOLE.txt > LOG.yaml
import sys
from lava_common.log import dump
from lava_dispatcher.shell import ShellLogger

DT = "2026-01-01T00:00:00"


class Capture:
    def __init__(self):
        self.out = []

    def target(self, line):
        self.out.append(dump({"dt": DT, "lvl": "target", "msg": line}))

    def feedback(self, line, namespace=None):
        d = {"dt": DT, "lvl": "feedback", "msg": line}
        if namespace:
            d["ns"] = namespace
        self.out.append(dump(d))


cap = Capture()
sl = ShellLogger(cap)
with open(sys.argv[1], encoding="utf-8", errors="replace", newline="") as f:
    lines = f.read().splitlines(keepends=True)
# the first half as "target", the rest as "feedback" (namespace "common"),
# as LAVA logs what it reads after a monitor action ended
half = len(lines) // 2
sl.write("".join(lines[:half]))
sl.is_feedback = True
sl.namespace = "common"
sl.write("".join(lines[half:]))
sl.flush(force=True)
print("- " + dump({"dt": DT, "lvl": "info", "msg": "start: 3.1 lava-test-monitor"}))
print("- " + dump({"dt": DT, "lvl": "results", "msg": {"case": "job", "result": "pass"}}))
for line in cap.out:
    print("- " + line)
