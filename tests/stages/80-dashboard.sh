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
# and a fourth WITH its scheduler and QEMU runner (issue 12 point 4): one plan
# of two real jobs on q35-vtd, "6.99" (no such kernel: a configuration error
# at once, no boot) and Debian 6.1 registered with its image, modules and
# config but no headers (kernels/import: cached as a byo- kernel), whose
# probe module cannot build: one short boot (--filter 'kmod.attach.*'), its
# kmod cases skip, the job completes with "warning: no probe module ...";
# tests/browser/job_warnings.py checks the job pages and the plan's page
# show both in boxes of their own; and a plan of one job on "dash-broken"
# (a copy of q35-vtd whose known_broken lists this host's QEMU: rig/boot
# refuses it on its console, a configuration error WITH a console log),
# whose page shows that console log, its preparation log beside it, while
# 6.99's (never booted) shows its preparation log,
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
. "$top/tests/lib-server.sh"
pids=()
cleanup() {
	lab_srv_stop
	for p in $(lab_qemu_of "$out/sched/state"); do kill -9 "$p"; done
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
}
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

# the scheduled server's plan runs while the other pages are checked
warn_plan= warn_job= err_job= kb_job=
# the sched server's targets: ours, and dash-broken, known broken on the
# QEMU rig/boot runs for it (7.2: the system's; rig/qemu-gen.sh)
mkdir -p "$out/sched"
cp -r "$top/targets" "$out/sched/targets"
kbver=$(qemu-system-x86_64 --version 2>/dev/null | sed -n '1s/^QEMU emulator version \([^ ]*\).*/\1/p')
jq --arg v "$kbver" '.name = "dash-broken" | .tags += ["opt-in"] |
    .known_broken = {"qemu": [$v], "reason": "stage 80: a known broken target (its console log says so)", "reference": "tests/stages/80-dashboard.sh"}' \
	"$top/targets/x86_64/q35-vtd.json" >"$out/sched/targets/x86_64/dash-broken.json"
if ! kj=$(nice -n 10 "$top/kernels/fetch-debian" --kernel 6.1 --json 2>"$out/fetch-6.1.log"); then
	lab_fail "Debian 6.1 for the warning job" "$(tail -1 "$out/fetch-6.1.log")"
elif [ -z "$kbver" ]; then
	lab_fail "the system QEMU's version (qemu-system-x86_64 --version)" "none"
elif ! lab_srv_start "$out/sched/state" --targets "$out/sched/targets" --web "$top/web" --schema "$top/schema" >/dev/null; then
	lab_fail "iommulabd (sched, with its scheduler) starts" "see $out/sched/state/iommulabd.log"
else
	kdir=$(jq -r .dir "$kj")
	if lab_cli kernels add 6.99 >"$out/sched/add.log" 2>&1 &&
	   lab_cli kernels add dash-noheaders --image "$kdir/vmlinuz" --modules "$kdir/modules" \
		--config "$kdir/config" >>"$out/sched/add.log" 2>&1 &&
	   warn_plan=$(lab_cli plan submit --kernel 6.99 --kernel dash-noheaders --target q35-vtd \
		--filter 'kmod.attach.*' --max-attempts 3 --name "degraded and misconfigured" --json | jq -r .id); then
		warn_job=$(lab_api "jobs?plan=$warn_plan" | jq -r '.items[] | select(.kernel == "dash-noheaders") | .id')
		err_job=$(lab_api "jobs?plan=$warn_plan" | jq -r '.items[] | select(.kernel == "6.99") | .id')
		kb_plan=$(lab_cli plan submit --kernel dash-noheaders --target dash-broken --filter 'kmod.attach.*' \
			--max-attempts 2 --name "known broken" --json 2>>"$out/sched/add.log" | jq -r .id) &&
			kb_job=$(lab_api "jobs?plan=$kb_plan" | jq -r '.items[0].id // empty')
		[ -n "$kb_job" ] || lab_fail "sched: a plan on dash-broken submitted" "$(tail -2 "$out/sched/add.log")"
		lab_ok "sched: iommulabd with its scheduler on $LAB_URL, plan #$warn_plan: jobs #$warn_job (no headers), #$err_job (6.99); plan #$kb_plan: job #$kb_job (dash-broken on QEMU $kbver)"
	else
		lab_fail "sched: kernels and plan submitted" "$(cat "$out/sched/add.log")"
	fi
fi

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
tap_count() { # tap_count LOG: a browser script's "ok"/"not ok" lines into this stage's counts
	local l
	while IFS= read -r l; do
		case "$l" in
		"ok - "*"# SKIP "*) _lab_s=$((_lab_s + 1)) ;;
		"ok - "*) _lab_p=$((_lab_p + 1)) ;;
		"not ok - "*) _lab_f=$((_lab_f + 1)) ;;
		esac
	done <"$1"
}
/usr/bin/python3 "$top/tests/browser/dashboard.py" --real "http://127.0.0.1:$port_real" \
	--empty "http://127.0.0.1:$port_empty" --load "http://127.0.0.1:$port_load" \
	--ingest "$out/ingest-real.json" --out "$out" >"$out/browser.log" 2>&1
rc=$?
cat "$out/browser.log"
tap_count "$out/browser.log"
[ $rc = 0 ] || lab_fail "the browser test ran to its end" "exit $rc"

# ---- a warning and a configuration error on the job and plan pages ------------------
if [ -n "$warn_job" ] && [ -n "$err_job" ]; then
	lab_wait_job "$err_job" 300 complete incomplete canceled
	lab_wait_job "$warn_job" 900 complete incomplete canceled
	sleep 2	# a retry of the configuration error would requeue at once
	r=$(lab_job_field "$warn_job" reason)
	if [ "$(lab_job_field "$warn_job" state)" = complete ] && [[ $r == "warning: no probe module"* ]]; then
		lab_ok "sched: job #$warn_job complete with a warning: ${r:0:140}"
	else
		lab_fail "sched: job #$warn_job complete with a warning" "$(lab_api "jobs/$warn_job" | jq -c '{state, attempts, reason}')"
	fi
	r=$(lab_job_field "$err_job" reason)
	if [ "$(lab_job_field "$err_job" state)" = incomplete ] && [ "$(lab_job_field "$err_job" attempts)" = 1 ] &&
	   [[ $r == "configuration error: "* ]]; then
		lab_ok "sched: job #$err_job incomplete after 1 attempt: ${r:0:140}"
	else
		lab_fail "sched: job #$err_job a configuration error" "$(lab_api "jobs/$err_job" | jq -c '{state, attempts, reason}')"
	fi
	[ -z "$kb_job" ] || lab_wait_job "$kb_job" 900 complete incomplete canceled
	sleep 2
	r=$(lab_job_field "$kb_job" reason)
	if [ -n "$kb_job" ] && [ "$(lab_job_field "$kb_job" state)" = incomplete ] && [ "$(lab_job_field "$kb_job" attempts)" = 1 ] &&
	   [[ $r == "configuration error: not booted: dash-broken is known broken on QEMU $kbver: "* ]] &&
	   [ "$(lab_job_field "$kb_job" has_log)" = true ] && [ "$(lab_job_field "$kb_job" has_prep_log)" = true ] &&
	   [ "$(lab_job_field "$err_job" has_log)" = false ]; then
		lab_ok "sched: job #$kb_job a configuration error with a console log (has_log, has_prep_log): ${r:0:140}"
	else
		lab_fail "sched: job #$kb_job refused by rig/boot, its console log kept" "$(lab_api "jobs/$kb_job" | jq -c '{state, attempts, has_log, has_prep_log, reason}')"
	fi
	/usr/bin/python3 "$top/tests/browser/job_warnings.py" --url "$LAB_URL" --plan "$warn_plan" \
		--warn-job "$warn_job" --error-job "$err_job" ${kb_job:+--broken-job "$kb_job"} \
		--out "$out/screenshots" >"$out/warnings.log" 2>&1
	rc=$?
	cat "$out/warnings.log"
	tap_count "$out/warnings.log"
	[ $rc = 0 ] || lab_fail "job_warnings.py ran to its end" "exit $rc"
fi
echo "screenshots: $(cd "$out/screenshots" 2>/dev/null && ls | tr '\n' ' ')"
cleanup
trap - EXIT
lab_done
