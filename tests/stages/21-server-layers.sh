#!/usr/bin/env bash
# 21-server-layers: the server keeps the shape its folders show. Every
# quoted #include under server/<folder>/ and cli/ must name a header of a
# folder that folder's README.md allows ("May include: ..."), and the leaf
# model (server/core/model.[ch]) includes only C library headers and the
# record names shared with the agent (tests/check-layers.py).
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"

if msg=$(python3 "$top/tests/check-layers.py" "$top" 2>&1); then
	lab_ok "server includes follow the folder READMEs (${msg##*: })"
else
	echo "$msg" | sed 's/^/# /'
	lab_fail "server includes follow the folder READMEs" "$(echo "$msg" | tail -1)"
fi
lab_done
