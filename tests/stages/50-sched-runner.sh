#!/usr/bin/env bash
# 50-sched-runner - the scheduler and the local QEMU runner.
#
# 1. cmocka unit tests of the pure scheduling decision and target matching
#    (tests/unit/sched_test.c, linked against the server library), including
#    a 10,000 jobs x 500 targets pass.
# 2. Against a real iommulabd on 127.0.0.1 (its own state dir and port) with
#    a real SQLite file, real QEMU and a real Debian kernel (6.1):
#      normal job -> complete, results stored (filter, repeat reach the guest)
#      at most one job per host core at once, a target's concurrency holds
#      iommulab.fault=panic (a real panic after BEGIN, before any case) ->
#        complete on attempt 1 with one "boot" record, crash (a kernel crash
#        is a result, never retried: stage 52 covers crash isolation)
#      iommulab.fault=norecords (the agent prints nothing) -> incomplete,
#        no results, retried up to max_attempts (retry limit), no qemu left
#      iommulab.fault=hang, short timeout -> incomplete "timeout", no results
#      iommulab.fault=garbage -> incomplete "bad results", never retried
#      kill -9 iommulabd while a guest runs, restart -> the job is retried
#        (attempt 2) and completes; the dead server's qemu is gone
#      cancel a running job -> canceled, its qemu killed
#      SIGTERM to iommulabd while a guest runs -> no qemu left
#    Skipped with a reason when QEMU, the rig or the kernel is missing.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export CACHE=${CACHE:-$HOME/.cache/iommulab}
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/50-sched-runner
rm -rf "$out"
mkdir -p "$out"

# ---- 1. unit tests ----------------------------------------------------
echo "# unit: sched_test (cmocka)"
make -s -C "$top/server" >/dev/null || { lab_fail "server library builds"; lab_done; exit 1; }
srv_out=$(make -s -C "$top/server" print-out)
srv_libs=$(make -s -C "$top/server" print-libs)
if cc -std=gnu11 -Wall -Wextra -O2 -g -D_GNU_SOURCE $(make -s -C "$top/server" print-inc) \
	"$top/tests/unit/sched_test.c" "$srv_out/libiommulab.a" $srv_libs -lcmocka \
	-o "$out/sched_test" 2>"$out/sched_test.build.log"; then
	"$out/sched_test" 2>&1 | tee "$out/sched_test.log"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out/sched_test.log")
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out/sched_test.log")
	ran=$(sed -n 's/^\[==========\] \([0-9]*\) test(s) run.*/\1/p' "$out/sched_test.log")
	[ -n "$ran" ] || f=${f:-1}
	lab_counts "${p:-0}" "${f:-0}" 0
else
	cat "$out/sched_test.build.log"
	lab_fail "sched_test builds"
fi

# ---- 2. integration ---------------------------------------------------
. "$top/tests/lib-server.sh"
kernel=6.1
target=q35-vtd
skip_all() {
	for n in "normal job completes" "panic -> boot record, not retried" \
		"no records -> incomplete, retried to the limit" \
		"hang -> timeout" "garbage -> bad results, not retried" \
		"restart mid-run -> retried and complete" "cancel a running job"; do
		lab_skip "$n" "$1"
	done
	lab_done
	exit $?
}
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"
[ -x "$top/rig/boot" ] && [ -x "$top/rig/mkinitramfs" ] || skip_all "rig/boot or rig/mkinitramfs missing"
release=$(nice -n 10 "$top/kernels/fetch-debian" --kernel "$kernel" 2>"$out/fetch.log") ||
	skip_all "Debian kernel $kernel not available: $(tail -1 "$out/fetch.log")"
make -s -C "$top/agent" >/dev/null 2>&1 || { lab_fail "agent builds"; lab_done; exit 1; }

state=$out/state
trap 'lab_srv_stop; for p in $(lab_qemu_of "$state"); do kill -9 "$p"; done' EXIT
lab_srv_start "$state" || { lab_fail "iommulabd starts"; lab_done; exit 1; }
lab_cli kernels add "$kernel" --release "$release" >/dev/null

# submit KERNEL x TARGET (or $T) with extra plan options; prints the job id
submit() {
	local plan
	plan=$(lab_cli plan submit --kernel "$kernel" --target "${T:-$target}" --json "$@" | jq -r .id) || return 1
	lab_api "jobs?plan=$plan" | jq -r '.items[0].id'
}
nres() { lab_api "results?job=$1&limit=1000" | jq '.items | length'; }
# the case records only: 6.1 WARNs at boot on q35-vtd (a "boot" record, stage 52)
ncases() { lab_api "results?job=$1&limit=1000" | jq '[.items[] | select(.case != "boot")] | length'; }
reason_has() { lab_job_field "$1" reason | grep -qi -- "$2"; }
no_qemu() {
	local i
	for i in $(seq 1 20); do
		[ -z "$(lab_qemu_of "$state")" ] && return 0
		sleep 0.5
	done
	echo "# qemu left: $(lab_qemu_of "$state")"
	return 1
}
# the pids of this state's QEMUs once one runs (up to 2 min), else nothing
guest_started() {
	local i q
	for i in $(seq 1 240); do
		q=$(lab_qemu_of "$state")
		[ -n "$q" ] && break
		sleep 0.5
	done
	echo "$q"
}

# the four kinds of run plus a second job on q35-vtd, queued together on
# four targets: the host's slots (one per core) run them, q35-vtd
# (concurrency 1) one at a time
slots=$(nproc)
j_ok=$(submit --filter 'kmod.*' --repeat 2 --max-attempts 2)
j_ok2=$(submit --filter 'kmod.attach.no_group' --max-attempts 2)
j_panic=$(T=q35-vtd-sm submit --filter fault.panic --max-attempts 2)
j_norec=$(T=q35-amd submit --filter fault.norecords --max-attempts 2)
j_hang=$(T=q35-vtd-snoop submit --filter fault.hang --timeout 10 --max-attempts 1)
j_garb=$(T=q35-amd submit --filter fault.garbage --max-attempts 3)
echo "# jobs: ok $j_ok, $j_ok2 panic $j_panic norecords $j_norec hang $j_hang garbage $j_garb; $slots host slots"
max_run=0 max_vtd=0 end=$(( $(date +%s) + 480 ))
while [ "$(date +%s)" -lt "$end" ]; do
	runs=$(lab_api "jobs?state=running&limit=1000" | jq -c '[.items[].target]')
	n=$(echo "$runs" | jq length)
	v=$(echo "$runs" | jq '[.[] | select(. == "q35-vtd")] | length')
	[ "$n" -gt "$max_run" ] && max_run=$n
	[ "$v" -gt "$max_vtd" ] && max_vtd=$v
	left=$(lab_api "jobs?limit=1000" | jq "[.items[] | select(.id as \$i | [$j_ok,$j_ok2,$j_panic,$j_norec,$j_hang,$j_garb] | index(\$i)) | select(.state | IN(\"queued\",\"scheduled\",\"running\"))] | length")
	[ "$left" = 0 ] && break
	sleep 1
done
if [ "$max_run" -ge 1 ] && [ "$max_run" -le "$slots" ] && [ "$max_vtd" -le 1 ]; then
	lab_ok "concurrency: at most $max_run running (host slots $slots), q35-vtd at most $max_vtd (its concurrency 1)"
else
	lab_fail "concurrency" "max running $max_run (slots $slots), max on q35-vtd $max_vtd"
fi
if [ "$(lab_job_field "$j_ok2" state)" = complete ] && [ "$(ncases "$j_ok2")" = 1 ]; then
	lab_ok "second job on the same target completes (1 result)"
else
	lab_fail "second job on the same target" "$(lab_api "jobs/$j_ok2" | jq -c '{state,attempts,results,reason}' | cut -c1-300)"
fi

n=$(ncases "$j_ok")
reps=$(lab_api "results?job=$j_ok&limit=1000" | jq -c '[.items[].repeat] | unique')
other=$(lab_api "results?job=$j_ok&limit=1000" | jq '[.items[].case | select(startswith("kmod.") or . == "boot" | not)] | length')
if [ "$(lab_job_field "$j_ok" state)" = complete ] && [ "${n:-0}" -gt 0 ] &&
   [ "$(lab_job_field "$j_ok" results)" = "$(nres "$j_ok")" ] && [ "$reps" = "[0,1]" ] && [ "$other" = 0 ]; then
	lab_ok "normal job completes ($n results stored; filter kmod.* and repeat 2 reached the guest)"
else
	lab_fail "normal job completes" "state $(lab_job_field "$j_ok" state), $n results, repeats $reps, $other outside the filter: $(lab_job_field "$j_ok" reason | head -3)"
fi
if [ "$(lab_job_field "$j_panic" state)" = complete ] && [ "$(lab_job_field "$j_panic" attempts)" = 1 ] &&
   [ "$(lab_api "results?job=$j_panic&limit=1000" | jq -c '[.items[] | {case, verdict, kernel_kind}]')" = '[{"case":"boot","verdict":"crash","kernel_kind":"panic"}]' ]; then
	lab_ok "panic -> complete with a boot record (crash, panic), not retried (1/2)"
else
	lab_fail "panic -> boot record, not retried" "$(lab_api "jobs/$j_panic" | jq -c '{state,attempts,results,reason}' | cut -c1-300)"
fi
if [ "$(lab_job_field "$j_norec" state)" = incomplete ] && reason_has "$j_norec" "no IOMMULAB-END" &&
   [ "$(lab_job_field "$j_norec" attempts)" = 2 ] && [ "$(nres "$j_norec")" = 0 ]; then
	lab_ok "no records -> incomplete with reason, no results, retried to the limit (2/2)"
else
	lab_fail "no records -> incomplete, retried to the limit" "$(lab_api "jobs/$j_norec" | jq -c '{state,attempts,results,reason}' | cut -c1-300)"
fi
if [ "$(lab_job_field "$j_hang" state)" = incomplete ] && reason_has "$j_hang" timeout &&
   [ "$(nres "$j_hang")" = 0 ]; then
	lab_ok "hang -> incomplete 'timeout', no results"
else
	lab_fail "hang -> timeout" "$(lab_api "jobs/$j_hang" | jq -c '{state,attempts,results,reason}' | cut -c1-300)"
fi
if [ "$(lab_job_field "$j_garb" state)" = incomplete ] && reason_has "$j_garb" "bad results" &&
   [ "$(lab_job_field "$j_garb" attempts)" = 1 ] && [ "$(nres "$j_garb")" = 0 ]; then
	lab_ok "garbage record -> incomplete 'bad results', nothing stored, not retried (1/3)"
else
	lab_fail "garbage -> bad results, not retried" "$(lab_api "jobs/$j_garb" | jq -c '{state,attempts,results,reason}' | cut -c1-300)"
fi
if no_qemu; then lab_ok "no qemu left after the five runs"; else lab_fail "no qemu left after the five runs"; fi

# restart mid-run: kill -9 the server while the guest runs
# (3 attempts: the restart costs one; an unrelated infrastructure hiccup may cost another)
j_rs=$(submit --filter 'kmod.*' --max-attempts 3)
q=$(guest_started)
if [ -z "$q" ]; then
	lab_fail "restart mid-run" "no guest started for job $j_rs"
else
	lab_srv_kill9
	echo "# killed iommulabd -9 while qemu $q ran job $j_rs"
	lab_srv_start "$state" || { lab_fail "iommulabd restarts"; lab_done; exit 1; }
	left=
	for i in $(seq 1 20); do
		left=
		for p in $q; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
		[ -z "$left" ] && break
		sleep 0.5
	done
	lab_wait_job "$j_rs" 300 complete incomplete canceled
	if [ -z "$left" ] && [ "$(lab_job_field "$j_rs" state)" = complete ] &&
	   [ "$(lab_job_field "$j_rs" attempts)" -ge 2 ] && [ "$(nres "$j_rs")" -gt 0 ] &&
	   grep -q "previous server\|server restarted\|were running when" "$LAB_SRV_LOG"; then
		lab_ok "restart mid-run: orphan qemu killed, job incomplete -> retried -> complete (attempt $(lab_job_field "$j_rs" attempts))"
	else
		lab_fail "restart mid-run" "left qemu '$left'; $(lab_api "jobs/$j_rs" | jq -c '{state,attempts,results,reason}' | cut -c1-300)"
	fi
fi

# cancel a running job (a hanging guest)
j_c=$(submit --filter fault.hang --timeout 300 --max-attempts 1)
q=$(guest_started)
if [ -z "$q" ]; then
	lab_fail "cancel a running job" "no guest started for job $j_c"
else
	lab_cli cancel "$j_c" >/dev/null
	if lab_wait_job "$j_c" 30 canceled && no_qemu && [ "$(nres "$j_c")" = 0 ]; then
		lab_ok "cancel a running job: canceled, guest killed, no results"
	else
		lab_fail "cancel a running job" "$(lab_api "jobs/$j_c" | jq -c '{state,attempts,reason}' | cut -c1-300)"
	fi
fi

# graceful stop (SIGTERM) while a guest runs: the scheduler kills it
j_s=$(submit --filter fault.hang --timeout 300 --max-attempts 1)
q=$(guest_started)
lab_srv_stop
if [ -n "$q" ] && no_qemu; then
	lab_ok "SIGTERM to iommulabd while a guest runs: the guest is killed, no qemu left"
else
	lab_fail "SIGTERM kills running guests" "guest '${q:-none started}', left: $(lab_qemu_of "$state")"
fi
lab_done
