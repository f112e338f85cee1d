#!/usr/bin/env bash
# 20-server-unit: build the server library and run the cmocka unit tests
# (tests/unit/test_*.c) against real SQLite files: store migrations, job
# state machine and CAS races, ingest atomicity, record parser, diff, auth.
# With SAN=1 (or LAB_SAN=1) the same tests run on the ASan/UBSan build.
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export LAB_TOP=$top
O=${O:-$top/build}
SAN=${LAB_SAN:-${SAN:-0}}
out=${LAB_TEST_OUT:-$top/tests/out}/unit
mkdir -p "$out"

if ! pkg-config --exists cmocka 2>/dev/null; then
	lab_skip "server-unit" "libcmocka-dev not installed (scripts/install-deps server)"
	lab_done
	exit $?
fi
# test_judge judges real logs against the agent's own catalogue (agent -l -j)
if ! nice -n 10 make -s -C "$top/agent" O="$O" >"$out/agent-build.log" 2>&1; then
	tail -30 "$out/agent-build.log"
	lab_fail "build the agent (its catalogue feeds test_judge)" "see $out/agent-build.log"
fi
export O
if ! nice -n 10 make -s -C "$top/tests/unit" O="$O" SAN="$SAN" -j2 >"$out/build.log" 2>&1; then
	tail -30 "$out/build.log"
	lab_fail "build server library and unit tests" "see $out/build.log"
	lab_done
	exit 1
fi
bindir=$O/server/tests
[ "$SAN" = 1 ] && bindir=$O/server-san/tests

p=0 f=0 s=0
for t in "$bindir"/test_*; do
	[ -x "$t" ] || continue
	name=$(basename "$t")
	log="$out/$name.tap"
	LAB_TEST_OUT="$out" CMOCKA_MESSAGE_OUTPUT=TAP timeout 300 "$t" >"$log" 2>"$out/$name.stderr"
	rc=$?
	tp=$(grep -c '^ok ' "$log")
	tsk=$(grep -c '^ok .*# SKIP' "$log")
	tf=$(grep -c '^not ok ' "$log")
	tp=$((tp - tsk))
	if [ "$rc" -ne 0 ] && [ "$tf" -eq 0 ]; then
		tf=1
		echo "not ok - $name exited $rc without a failing test (crash?)"
		tail -20 "$out/$name.stderr"
	fi
	sed -n 's/^\(not ok\|ok\) [0-9]* - /\1 - '"$name"'./p' "$log"
	grep -A6 '^not ok' "$log" | grep '^#' | head -20
	p=$((p + tp)); f=$((f + tf)); s=$((s + tsk))
done
if [ $((p + f + s)) -eq 0 ]; then
	echo "not ok - no unit test binary ran"
	f=1
fi
echo "server-unit: $p passed, $f failed, $s skipped"
lab_counts "$p" "$f" "$s"
[ "$f" -eq 0 ]
