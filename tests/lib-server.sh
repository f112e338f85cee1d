# tests/lib-server.sh - run a real iommulabd for a test stage (source it).
#   lab_srv_start DIR [ARGS...]  start iommulabd on 127.0.0.1 with --state-dir DIR
#                  on a free port; sets LAB_URL, LAB_PID, LAB_TOKEN, LAB_SRV_LOG
#   lab_srv_stop   SIGTERM, wait (kill -9 after 20 s); when it is already dead
#                  (a crash), one failure naming its exit status
#   lab_srv_kill9  kill -9 (a crash)
#   lab_cli ARGS   the iommulab CLI against it
#   lab_api PATH   GET /api/v1/PATH, JSON on stdout
#   lab_job_field ID FIELD      one field of GET /jobs/ID
#   lab_wait_job ID SECS STATE...  wait until job ID is in one of STATEs
#   lab_qemu_of DIR   pids of QEMUs whose console log is under DIR/logs
#   lab_srv_fixture OUT  build iommulabd (SAN=1: the sanitizer build), two
#                  x86 targets q35-a/q35-b, a web dir, start it with
#                  --no-scheduler and state OUT/state; on failure the
#                  stage counts one failure and exits
#   lab_srv_py_done OUT  stop it, count what apicheck.py wrote to OUT/py.counts
# Needs $O (build dir) and the server built (make -C server).
LAB_SRV_BIN=${O:?}/server/iommulabd
LAB_CLI_BIN=$O/server/iommulab

lab_srv_start() {
	local dir=$1; shift
	mkdir -p "$dir"
	LAB_SRV_LOG=$dir/iommulabd.log
	"$LAB_SRV_BIN" --listen 127.0.0.1 --port 0 --state-dir "$dir" "$@" \
		>>"$LAB_SRV_LOG" 2>&1 </dev/null &
	LAB_PID=$!
	LAB_URL=
	local i port
	for i in $(seq 1 100); do
		port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$LAB_SRV_LOG" 2>/dev/null |
			tail -1 | sed 's/.*://')
		if [ -n "$port" ] && curl -fsS -o /dev/null "http://127.0.0.1:$port/api/v1/health" 2>/dev/null; then
			LAB_URL=http://127.0.0.1:$port
			break
		fi
		kill -0 "$LAB_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [ -z "$LAB_URL" ]; then
		echo "# iommulabd did not come up:"; tail -20 "$LAB_SRV_LOG"
		kill -9 "$LAB_PID" 2>/dev/null; wait "$LAB_PID" 2>/dev/null
		LAB_PID=	# the caller reports it; lab_srv_stop has nothing to stop
		return 1
	fi
	LAB_TOKEN=$(cat "$dir/admin.token")
	export IOMMULAB_SERVER=$LAB_URL IOMMULAB_TOKEN=$LAB_TOKEN
	echo "# iommulabd pid $LAB_PID on $LAB_URL (state $dir)"
}

lab_srv_stop() {
	[ -n "${LAB_PID:-}" ] || return 0
	if ! kill -0 "$LAB_PID" 2>/dev/null; then
		# it died before the stage was done with it: a crash is a failure
		# of the stage, whichever check was running (counted even when
		# this runs in an EXIT trap after lab_done: tests/run sums lines)
		local rc
		wait "$LAB_PID" 2>/dev/null; rc=$?
		echo "not ok - iommulabd (pid $LAB_PID) died during the stage: $(lab_died "$rc" "$LAB_SRV_LOG")"
		lab_counts 0 1 0
		LAB_PID=
		return 1
	fi
	kill -TERM "$LAB_PID" 2>/dev/null
	local i
	for i in $(seq 1 200); do
		kill -0 "$LAB_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -9 "$LAB_PID" 2>/dev/null
	wait "$LAB_PID" 2>/dev/null
	LAB_PID=
}

lab_srv_kill9() {
	kill -9 "$LAB_PID" 2>/dev/null
	wait "$LAB_PID" 2>/dev/null
	LAB_PID=
}

lab_cli() { "$LAB_CLI_BIN" "$@"; }
lab_api() { curl -fsS "$LAB_URL/api/v1/$1"; }
lab_job_field() { lab_api "jobs/$1" | jq -r ".$2"; }

lab_wait_job() {
	local id=$1 secs=$2 st s; shift 2
	local end=$(( $(date +%s) + secs ))
	while [ "$(date +%s)" -lt "$end" ]; do
		st=$(lab_job_field "$id" state 2>/dev/null)
		for s in "$@"; do [ "$st" = "$s" ] && return 0; done
		sleep 1
	done
	echo "# job $id still '$st' after ${secs}s (wanted: $*)"
	return 1
}

lab_qemu_of() {
	local dir=$1 p
	for p in $(pgrep -f qemu-system 2>/dev/null); do
		tr '\0' '\n' < "/proc/$p/cmdline" 2>/dev/null | grep -q "^file:$dir/logs/" && echo "$p"
	done
	return 0
}

lab_srv_fixture() {
	local out=$1 t
	mkdir -p "$out/targets/x86_64" "$out/web"
	if ! nice -n 10 make -s -C "$top/server" O="$O" SAN="${SAN:-0}" -j2 >"$out/build.log" 2>&1; then
		tail -20 "$out/build.log"
		lab_fail "build iommulabd" "see $out/build.log"
		lab_done
		exit 1
	fi
	[ "${SAN:-0}" = 1 ] && LAB_SRV_BIN=$O/server-san/iommulabd
	for t in q35-a q35-b; do
		cat >"$out/targets/x86_64/$t.json" <<JSON
{"name": "$t", "arch": "x86_64", "backend": "qemu", "vendor": "intel",
 "driver": "intel-iommu", "tags": [], "concurrency": 1, "qemu": {"machine": "q35", "args": []}}
JSON
	done
	echo '<!doctype html><title>t</title>' >"$out/web/index.html"
	if ! lab_srv_start "$out/state" --targets "$out/targets" --web "$out/web" \
		--schema "$top/schema" --no-scheduler; then
		lab_fail "iommulabd starts" "see $out/state/iommulabd.log"
		lab_done
		exit 1
	fi
}

lab_srv_py_done() {
	local pp pf
	read -r pp pf _ < "$1/py.counts" 2>/dev/null || { pp=0; pf=1; }
	lab_srv_stop
	lab_counts "$pp" "$pf" 0
	lab_done
}
