#!/usr/bin/env bash
# 80-dashboard: the web dashboard (web/) in a real browser.
#
# Starts three real iommulabd on 127.0.0.1 (--no-scheduler, own state dirs):
#   real   REAL results: console logs of real QEMU boots of Debian 6.1 and
#          6.12 (tests/browser/fixtures caches them under $CACHE/dash-fixtures,
#          booting via rig/matrix on a fresh machine), ingested through
#          POST /api/v1/results with the admin token (tests/browser/ingest.py)
#   empty  an empty database (empty states)
#   load   the LOAD FIXTURE: 10,000 synthetic-but-valid records in its own
#          database, never mixed with the real one, for page load times
# then drives Debian's chromium headless through chromium-driver and
# python3-selenium (tests/browser/dashboard.py, installed from
# scripts/deps/web.txt): every page, a matrix filter, a cell to its
# result, a diff and its permalink, the job queue and a job's log, patch
# plans, 390px phone width, each checked against the API's JSON, with
# screenshots in $LAB_TEST_OUT/dashboard/screenshots and load times printed.
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export LAB_TOP=$top
export CACHE=${CACHE:-$HOME/.cache/iommulab}
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/dashboard
rm -rf "$out"
mkdir -p "$out"
LOAD_RESULTS=${LAB_DASH_LOAD_RESULTS:-10000}

# ---- static checks on the served files ------------------------------------------
if grep -rnE 'innerHTML|outerHTML|insertAdjacentHTML|document\.write' "$top/web" >"$out/unsafe-dom.txt"; then
	lab_fail "web/ builds DOM nodes only (no innerHTML)" "$(head -3 "$out/unsafe-dom.txt")"
else
	lab_ok "web/ builds DOM nodes only (no innerHTML/outerHTML/document.write)"
fi
if grep -rnE '(src|href)="(https?:)?//' "$top/web" >"$out/remote-refs.txt"; then
	lab_fail "web/ loads nothing from the network" "$(head -3 "$out/remote-refs.txt")"
else
	lab_ok "web/ references no remote script, style or font"
fi

# ---- tools: Debian's chromium + chromium-driver + python3-selenium ---------------
if ! why=$(lab_browser_ready "$out/deps.log"); then
	lab_skip "dashboard in a browser" "$why"
	lab_done
	exit $?
fi
if ! nice -n 10 make -s -C "$top/server" O="$O" -j2 >"$out/build.log" 2>&1; then
	tail -20 "$out/build.log"
	lab_fail "build iommulabd" "see $out/build.log"
	lab_done
	exit 1
fi

# ---- real results: fixtures from real QEMU runs ---------------------------------
if "$top/tests/browser/fixtures" --kernels "6.1 6.12" >"$out/fixtures.log" 2>&1; then
	lab_ok "real QEMU run logs for 6.1 and 6.12 ($(grep -c . "$out/fixtures.log") lines, $CACHE/dash-fixtures)"
else
	cat "$out/fixtures.log"
	lab_fail "real QEMU run logs (tests/browser/fixtures)" "see $out/fixtures.log"
	lab_done
	exit 1
fi
sed 's/^/  /' "$out/fixtures.log"

# ---- servers ---------------------------------------------------------------------
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT
start() { # start NAME -> sets $port
	local d=$out/$1 p
	mkdir -p "$d/state"
	"$O/server/iommulabd" --state-dir "$d/state" --targets "$top/targets" --web "$top/web" \
		--schema "$top/schema" --port 0 --no-scheduler --log-level info >"$d/iommulabd.log" 2>&1 &
	p=$!
	pids+=("$p")
	port=
	for _ in $(seq 100); do
		port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$d/iommulabd.log")
		[ -n "$port" ] && return 0
		kill -0 "$p" 2>/dev/null || break
		sleep 0.1
	done
	cat "$d/iommulabd.log"
	return 1
}
for s in real empty load; do
	if ! start $s; then
		lab_fail "iommulabd ($s) starts" "see $out/$s/iommulabd.log"
		lab_done
		exit 1
	fi
	eval "port_$s=$port"
done
lab_ok "three iommulabd on 127.0.0.1 ($port_real real, $port_empty empty, $port_load load fixture)"

if python3 "$top/tests/browser/ingest.py" real "http://127.0.0.1:$port_real" "$out/real/state" \
	"$CACHE/dash-fixtures" 6.1 6.12 >"$out/ingest-real.json" 2>"$out/ingest-real.err"; then
	lab_ok "real results ingested through POST /api/v1/results: $(cat "$out/ingest-real.json")"
else
	cat "$out/ingest-real.err"
	lab_fail "ingest real results" "see $out/ingest-real.err"
fi
t0=$(date +%s)
if python3 "$top/tests/browser/ingest.py" load "http://127.0.0.1:$port_load" "$out/load/state" \
	"$LOAD_RESULTS" >"$out/ingest-load.json" 2>"$out/ingest-load.err"; then
	lab_ok "load fixture: $(jq -r '"\(.results) synthetic results in \(.jobs) jobs"' "$out/ingest-load.json") ingested in $(( $(date +%s) - t0 ))s"
else
	cat "$out/ingest-load.err"
	lab_fail "ingest the load fixture" "see $out/ingest-load.err"
fi

# ---- /overview (server/api_dash.c) against a recomputation from the plain API ------
for sk in "real nightly" "real any" "load nightly"; do
	set -- $sk
	eval "p=\$port_$1"
	python3 "$top/tests/browser/check_overview.py" "http://127.0.0.1:$p" 8 "$2" >"$out/overview-$1-$2.log" 2>&1
	while IFS= read -r l; do
		case "$l" in
		"ok - "*) lab_ok "$1: ${l#ok - }" ;;
		"not ok - "*) lab_fail "$1: ${l#not ok - }" ;;
		*) echo "$l" ;;
		esac
	done <"$out/overview-$1-$2.log"
done

# ---- the browser -------------------------------------------------------------------
/usr/bin/python3 "$top/tests/browser/dashboard.py" --real "http://127.0.0.1:$port_real" \
	--empty "http://127.0.0.1:$port_empty" --load "http://127.0.0.1:$port_load" \
	--ingest "$out/ingest-real.json" --out "$out" >"$out/browser.log" 2>&1
rc=$?
cat "$out/browser.log"
while IFS= read -r l; do
	case "$l" in
	"ok - "*"# SKIP "*) _lab_s=$((_lab_s + 1)) ;;
	"ok - "*) _lab_p=$((_lab_p + 1)) ;;
	"not ok - "*) _lab_f=$((_lab_f + 1)) ;;
	esac
done <"$out/browser.log"
[ $rc = 0 ] || lab_fail "the browser test ran to its end" "exit $rc"
echo "screenshots: $(cd "$out/screenshots" 2>/dev/null && ls | tr '\n' ' ')"
cleanup
trap - EXIT
lab_done
