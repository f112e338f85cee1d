#!/usr/bin/env python3
# tests/check-layers.py - the server keeps its shape: every quoted #include
# of a file under server/<folder>/ or cli/ names a header of a folder that
# folder's README.md allows ("May include: core run ..."); the files a
# README names as leaf files ("Leaf files: ...") include nothing of the
# server but each other and include/, and only C library headers.
# server/main.c and server/routes.c (the top) may include every folder.
# A README line "Owner: FILE NAME..." says that only FILE (and the file
# defining NAME) may call NAME anywhere under server/ and cli/.
#
# usage: tests/check-layers.py [TOP]   prints one line per violation,
# exits 1 when there is one, 0 otherwise (and says how many files it read).
import os, re, sys

top = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
folders = {}                    # folder name -> dir
for d in sorted(os.listdir(os.path.join(top, "server"))):
    p = os.path.join(top, "server", d)
    if os.path.isdir(p):
        folders[d] = p
folders["cli"] = os.path.join(top, "cli")
shared = os.path.join(top, "include")

LIBC = set("""assert.h ctype.h errno.h fcntl.h inttypes.h limits.h math.h stdarg.h
stdatomic.h stdbool.h stddef.h stdint.h stdio.h stdlib.h string.h strings.h time.h
unistd.h""".split())

def readme_rule(d):
    path = os.path.join(d, "README.md")
    try:
        text = open(path).read()
    except OSError:
        return None, set(), "no README.md"
    m = re.search(r"^May include:(.*)$", text, re.M)
    if not m:
        return None, set(), "README.md has no 'May include:' line"
    leaf = re.search(r"^Leaf files:(.*)$", text, re.M)
    return set(m.group(1).split()), set(leaf.group(1).split()) if leaf else set(), None

# header name -> folder (names are unique across folders: checked)
where, bad = {}, []
for name, d in folders.items():
    for f in os.listdir(d):
        if f.endswith(".h"):
            if f in where:
                bad.append("header %s is in both %s/ and %s/" % (f, where[f], name))
            where[f] = name
for f in os.listdir(shared):
    if f.endswith(".h"):
        where[f] = "include"

inc_re = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
nfiles = 0
for name, d in sorted(folders.items()):
    allowed, leaves, why = readme_rule(d)
    if why:
        bad.append("%s/: %s" % (os.path.relpath(d, top), why))
        continue
    for f in sorted(os.listdir(d)):
        if not f.endswith((".c", ".h")):
            continue
        nfiles += 1
        rel = os.path.relpath(os.path.join(d, f), top)
        for kind, hdr in inc_re.findall(open(os.path.join(d, f)).read()):
            if kind == "<":
                if f in leaves and hdr not in LIBC:
                    bad.append("%s: leaf file includes <%s> (C library headers only)" % (rel, hdr))
                continue
            owner = where.get(os.path.basename(hdr))
            if owner is None:
                bad.append('%s: includes "%s", which no server folder has' % (rel, hdr))
            elif f in leaves and owner != "include" and os.path.basename(hdr) not in leaves:
                bad.append('%s: leaf file includes "%s" (%s/)' % (rel, hdr, owner))
            elif owner != "include" and owner not in allowed:
                bad.append('%s: includes "%s" from %s/, but %s/README.md allows only: %s'
                           % (rel, hdr, owner, os.path.relpath(d, top), " ".join(sorted(allowed))))
# owners: "Owner: jobstate.c lab_store_job_transition ..."
allsrc = []
for name, d in sorted(folders.items()):
    allsrc += [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".c")]
allsrc += [os.path.join(top, "server", f) for f in sorted(os.listdir(os.path.join(top, "server")))
           if f.endswith(".c")]
for name, d in sorted(folders.items()):
    try:
        text = open(os.path.join(d, "README.md")).read()
    except OSError:
        continue
    for owner, names in re.findall(r"^Owner: (\S+) (.*)$", text, re.M):
        for fn in names.split():
            call = re.compile(r"(?<![\w.>])%s\s*\(" % re.escape(fn))
            define = re.compile(r"^[a-z][\w \t\*]*\b%s\(" % re.escape(fn), re.M)
            for path in allsrc:
                src = open(path).read()
                if os.path.basename(path) == owner or define.search(src):
                    continue
                if call.search(src):
                    bad.append("%s: calls %s, which only %s may call (%s/README.md)"
                               % (os.path.relpath(path, top), fn, owner, name))
for b in bad:
    print(b)
print("check-layers: %d files, %d violation(s)" % (nfiles, len(bad)))
sys.exit(1 if bad else 0)
