#!/usr/bin/env bash
# 29-hostile: iommulabd probed as an attacker or a careless script would
# (issue 16). A real iommulabd on 127.0.0.1 with a real SQLite file
# (tests/hostile.py does the requests):
#   writes   every write route refused at each validation step (bad JSON
#            shape, unknown keys, wrong types, names against the one name
#            rule, ids, unknown kernels/targets, the patch submission's
#            steps): a 4xx, and the database (every table, a dump) and the
#            state directory (every file, hashed) are unchanged
#   strict   "Bearer <token>\0junk" and other near-tokens -> 401; ids and
#            integer arguments digits only (+1, %20%201, 1%00, 01 -> 400)
#   rss      200 unauthenticated connections announcing 8 MiB bodies: each
#            answered 401 from its headers, RSS bound (hostile.py RSS_BOUND_MIB)
#   front    conflicting Content-Length / Transfer-Encoding, bad
#            Content-Length, too many / too long query parameters, header
#            and body deadlines not reset by each byte, per-address limit
#   two      a second daemon on the same state directory or port refuses to
#            start and names the running one's pid; kill -9 frees both
#   guest    completing or cancelling a running job through the API stops
#            its guest at once (real QEMU, Debian 6.1; skipped without them)
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export LAB_TOP=$top
export CACHE=${CACHE:-$HOME/.cache/iommulab}
export O=${O:-$top/build}
export SAN=${LAB_SAN:-${SAN:-0}}	# 1: the ASan/UBSan build (lab_srv_fixture)
out=${LAB_TEST_OUT:-$top/tests/out}/hostile
rm -rf "$out"
mkdir -p "$out"
. "$top/tests/lib-server.sh"
trap 'lab_srv_stop' EXIT

HS=4 BS=6 PERIP=8	# the front's deadlines and per-address limit, set short here

# run one section of tests/hostile.py against the daemon in $1/state
py() {
	local dir=$1 sec=$2; shift 2
	python3 "$top/tests/hostile.py" "$sec" "$LAB_URL" "$dir" "$@"
	local pp pf
	read -r pp pf _ < "$dir/py.counts" 2>/dev/null || { pp=0; pf=1; }
	lab_counts "$pp" "$pf" 0
}

for s in writes strict rss; do
	d=$out/$s
	lab_srv_fixture "$d"
	case $s in
	rss) py "$d" rss "$LAB_PID" 200 1 ;;
	*) py "$d" "$s" ;;
	esac
	lab_srv_stop
done

# the front, with short deadlines and a small per-address limit
d=$out/front
mkdir -p "$d"
lab_srv_fixture "$d"
lab_srv_stop
if lab_srv_start "$d/state" --targets "$d/targets" --web "$d/web" --schema "$top/schema" \
	--no-scheduler --header-timeout "$HS" --body-timeout "$BS" --per-ip-limit "$PERIP"; then
	py "$d" front "$HS" "$BS" "$PERIP"
	lab_srv_stop
else
	lab_fail "iommulabd takes --header-timeout, --body-timeout, --per-ip-limit" \
		"$(tail -2 "$d/state/iommulabd.log")"
fi

# ---- two daemons ---------------------------------------------------------------
d=$out/two
lab_srv_fixture "$d"
pid1=$LAB_PID url1=$LAB_URL port1=${LAB_URL##*:}
# the same state directory, another port
"$LAB_SRV_BIN" --listen 127.0.0.1 --port 0 --state-dir "$d/state" --no-scheduler \
	--targets "$d/targets" >"$d/second.log" 2>&1 &
p2=$!
for _ in $(seq 1 50); do kill -0 $p2 2>/dev/null || break; sleep 0.1; done
if kill -0 $p2 2>/dev/null; then
	kill -9 $p2; wait $p2 2>/dev/null
	lab_fail "a second daemon on the same state directory refuses to start" \
		"it is running: $(grep -m1 listening "$d/second.log")"
else
	wait $p2; rc=$?
	if [ $rc -ne 0 ] && grep -q "$pid1" "$d/second.log"; then
		lab_ok "a second daemon on the same state directory refuses (exit $rc): $(head -c 200 "$d/second.log" | tr '\n' ' ')"
	else
		lab_fail "a second daemon on the same state directory refuses, naming pid $pid1" \
			"exit $rc: $(head -c 300 "$d/second.log")"
	fi
fi
# the same port, another state directory
"$LAB_SRV_BIN" --listen 127.0.0.1 --port "$port1" --state-dir "$d/state2" --no-scheduler \
	--targets "$d/targets" >"$d/third.log" 2>&1 &
p3=$!
for _ in $(seq 1 50); do kill -0 $p3 2>/dev/null || break; sleep 0.1; done
if kill -0 $p3 2>/dev/null; then
	kill -9 $p3; wait $p3 2>/dev/null
	lab_fail "a second daemon on the same port refuses to start" \
		"it is running: $(grep -m1 listening "$d/third.log")"
else
	wait $p3; rc=$?
	if [ $rc -ne 0 ] && grep -q "$pid1" "$d/third.log"; then
		lab_ok "a second daemon on the same port refuses (exit $rc): $(head -c 200 "$d/third.log" | tr '\n' ' ')"
	else
		lab_fail "a second daemon on the same port refuses, naming pid $pid1" \
			"exit $rc: $(head -c 300 "$d/third.log")"
	fi
fi
if curl -fsS -o /dev/null "$url1/api/v1/health"; then
	lab_ok "the first daemon still serves"
else
	lab_fail "the first daemon still serves"
fi
# kill -9: the kernel drops the lock, a new daemon starts on the same dir and port
lab_srv_kill9
if lab_srv_start "$d/state" --targets "$d/targets" --no-scheduler; then
	lab_ok "after kill -9 a new daemon starts on the same state directory (no clean-up)"
	lab_srv_stop
else
	lab_fail "after kill -9 a new daemon starts on the same state directory"
fi

# ---- the API completing a running job stops its guest ---------------------------
guest() {
	local kernel=6.1 target=q35-vtd release st q j i
	if ! command -v qemu-system-x86_64 >/dev/null || [ ! -x "$top/rig/boot" ]; then
		lab_skip "API completion stops the guest" "qemu-system-x86_64 or rig/boot missing"
		return
	fi
	if ! release=$(nice -n 10 "$top/kernels/fetch-debian" --kernel "$kernel" 2>"$out/fetch.log"); then
		lab_skip "API completion stops the guest" "Debian kernel $kernel: $(tail -1 "$out/fetch.log")"
		return
	fi
	make -s -C "$top/agent" >/dev/null 2>&1 || { lab_fail "agent builds"; return; }
	st=$out/guest/state
	lab_srv_start "$st" || { lab_fail "iommulabd starts (scheduler)"; return; }
	lab_cli kernels add "$kernel" --release "$release" >/dev/null
	for action in complete cancel; do
		j=$(lab_cli plan submit --kernel "$kernel" --target "$target" --filter fault.hang \
			--timeout 600 --max-attempts 1 --json | jq -r .id)
		j=$(lab_api "jobs?plan=$j" | jq -r '.items[0].id')
		q=
		for i in $(seq 1 240); do
			q=$(lab_qemu_of "$st")
			[ -n "$q" ] && [ "$(lab_job_field "$j" state)" = running ] && break
			sleep 0.5
		done
		if [ -z "$q" ]; then
			lab_fail "API $action stops the guest" "no guest started for job $j"
			continue
		fi
		if [ $action = complete ]; then
			curl -fsS -H "Authorization: Bearer $LAB_TOKEN" -H 'Content-Type: application/json' \
				-d "{\"job\": $j, \"records\": [], \"complete\": true}" \
				"$LAB_URL/api/v1/results" >/dev/null
		else
			curl -fsS -H "Authorization: Bearer $LAB_TOKEN" -H 'Content-Type: application/json' \
				-d '{"reason": "hostile"}' "$LAB_URL/api/v1/jobs/$j/cancel" >/dev/null
		fi
		left=$q
		for i in $(seq 1 20); do
			left=
			for p in $q; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
			[ -z "$left" ] && break
			sleep 0.5
		done
		sleep 3
		want=completed; [ $action = cancel ] && want=canceled
		s=$(lab_job_field "$j" state)
		if [ -z "$left" ] && { [ "$s" = complete ] || [ "$s" = canceled ]; } &&
		   ! grep -q "job $j.*running -> incomplete" "$LAB_SRV_LOG"; then
			lab_ok "API $action of a running job: its guest is gone within 10 s, job $s"
		else
			lab_fail "API $action of a running job stops its guest" \
				"qemu left:'$left', state $s, $(grep "job $j" "$LAB_SRV_LOG" | tail -2 | tr '\n' ' ')"
		fi
		for p in $left; do kill -9 "$p" 2>/dev/null; done
	done
	lab_srv_stop
}
guest

# the ASan/UBSan build (LAB_SAN=1) reports into the daemons' logs
if [ "$SAN" = 1 ]; then
	bad=$(grep -l "runtime error\|AddressSanitizer\|LeakSanitizer" "$out"/*/state/iommulabd.log \
		"$out"/two/*.log 2>/dev/null)
	if [ -z "$bad" ]; then lab_ok "no sanitizer report in any daemon's log"
	else lab_fail "no sanitizer report in any daemon's log" "$bad"; fi
fi
lab_done
