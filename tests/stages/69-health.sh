#!/usr/bin/env bash
# 69-health - healthy targets (issue 18.6) with real QEMU guests: a real
# iommulabd (scheduler, local QEMU runner, own state dir) with two targets,
# q35-vtd and q35-flaky (q35-vtd with a QEMU device that does not exist:
# every boot is an infrastructure failure), and a health config (Debian's
# 6.12, kmod.attach.no_group, a check after 2 infrastructure failures in a
# row):
# 1. `targets check q35-vtd`: the check boots and passes: health good.
# 2. two jobs on q35-flaky end incomplete: the lab queues a check by itself
#    ("2 infrastructure failures in a row"), it fails: health bad; a job
#    submitted then stays queued (no job on a bad target).
# 3. the target file is fixed; `targets check q35-flaky` runs the check on
#    the bad target, it passes: health good, and the waiting job runs.
# 4. maintenance keeps jobs off q35-vtd; active again queues a check, which
#    passes, and the waiting job runs; retired: a plan naming it makes no job.
# 5. the history (`targets health`) holds every step, with who and why.
# Skipped with a reason when QEMU, the rig or the kernel is missing.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export CACHE=${CACHE:-$HOME/.cache/iommulab}
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/69-health
rm -rf "$out"
mkdir -p "$out/targets/x86_64"
nice -n 10 make -s -C "$top/server" >"$out/build.log" 2>&1 ||
	{ lab_fail "server builds" "see $out/build.log"; lab_done; exit 1; }
. "$top/tests/lib-server.sh"
cli=$LAB_CLI_BIN
unset IOMMULAB_SERVER IOMMULAB_TOKEN
names=("a requested check passes" "infrastructure failures queue a check that fails" \
	"no job on a bad target" "a check on a bad target passes, the job runs" \
	"maintenance holds jobs, active checks and runs them" "retired: no job" "history")
skip_all() { for n in "${names[@]}"; do lab_skip "$n" "$1"; done; lab_done; exit $?; }
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"
command -v jq >/dev/null || skip_all "jq missing"
[ -x "$top/rig/boot" ] || skip_all "rig/boot missing"
rel=$(nice -n 10 "$top/kernels/fetch-debian" --kernel 6.12 2>>"$out/fetch.log") ||
	skip_all "Debian kernel 6.12 not available"

good=$top/targets/x86_64/q35-vtd.json
cp "$good" "$out/targets/x86_64/q35-vtd.json"
flaky() { # the q35-flaky target file: broken (a device QEMU does not have) or good
	if [ "$1" = broken ]; then
		jq '.name = "q35-flaky" | .qemu.args += ["-device", "no-such-device-iommulab"]' "$good"
	else
		jq '.name = "q35-flaky"' "$good"
	fi >"$out/targets/x86_64/q35-flaky.json.new"
	mv "$out/targets/x86_64/q35-flaky.json.new" "$out/targets/x86_64/q35-flaky.json"
}
flaky broken
export IOMMULAB_HEALTH=$out/health.json
jq -n '{kernel: "6.12", cases: "kmod.attach.no_group", after_failures: 2, timeout_s: 300}' >"$IOMMULAB_HEALTH"
state=$out/state
trap 'lab_srv_stop; for p in $(lab_qemu_of "$state"); do kill -9 "$p"; done' EXIT
lab_srv_start "$state" --targets "$out/targets" --web "$top/web" ||
	{ lab_fail "iommulabd starts"; lab_done; exit 1; }
"$cli" kernels add 6.12 --release "$rel" >/dev/null
health() { lab_api "targets/$1/health" | jq -r .health; }
wait_health() { # wait_health TARGET SECS WANT...
	local t=$1 secs=$2 h s; shift 2
	local end=$(( $(date +%s) + secs ))
	while [ "$(date +%s)" -lt "$end" ]; do
		h=$(health "$t")
		for s in "$@"; do [ "$h" = "$s" ] && return 0; done
		sleep 1
	done
	echo "# $t health '$h' after ${secs}s (wanted: $*)"
	return 1
}
submit() { # submit TARGET -> job id
	"$cli" plan submit --kernel 6.12 --target "$1" --filter kmod.attach.no_group --max-attempts 1 \
		>"$out/submit.out" 2>&1 || { cat "$out/submit.out"; return 1; }
	lab_api "jobs?limit=1" | jq -r '.items[0].id'
}

# ---- 1. a requested check ----------------------------------------------------------
if "$cli" targets check q35-vtd >"$out/check1.out" 2>&1 && wait_health q35-vtd 300 good bad &&
   [ "$(health q35-vtd)" = good ]; then
	lab_ok "targets check q35-vtd: $(cat "$out/check1.out"); it passed: health good"
else
	lab_fail "a requested check passes" "$(cat "$out/check1.out"; health q35-vtd)"
fi

# ---- 2. infrastructure failures ------------------------------------------------------
j1=$(submit q35-flaky) && lab_wait_job "$j1" 300 complete incomplete canceled
j2=$(submit q35-flaky) && lab_wait_job "$j2" 300 complete incomplete canceled
if [ "$(lab_job_field "$j1" state)" = incomplete ] && [ "$(lab_job_field "$j2" state)" = incomplete ] &&
   wait_health q35-flaky 300 bad good && [ "$(health q35-flaky)" = bad ] &&
   lab_api targets/q35-flaky/health | jq -e '[.history[] | select(.event == "check-queued" and
	(.reason | test("2 infrastructure failures in a row")))] | length == 1' >/dev/null; then
	lab_ok "2 incomplete jobs on q35-flaky queued a check by themselves; it failed: health bad"
else
	lab_fail "infrastructure failures queue a check that fails" "$j1 $j2 $(health q35-flaky)"
	lab_api targets/q35-flaky/health | jq -c .history | head -c 600; echo
fi
j3=$(submit q35-flaky)
sleep 12
if [ "$(lab_job_field "$j3" state)" = queued ]; then
	lab_ok "a job on the bad target stays queued (job $j3, 12 s)"
else
	lab_fail "no job on a bad target" "job $j3 is $(lab_job_field "$j3" state)"
fi

# ---- 3. fixed: a check on the bad target ------------------------------------------------
flaky good
if "$cli" targets check q35-flaky >"$out/check3.out" 2>&1 && wait_health q35-flaky 300 good &&
   lab_wait_job "$j3" 300 complete incomplete && [ "$(lab_job_field "$j3" state)" = complete ]; then
	lab_ok "target fixed: the check ran on the bad target and passed (health good); the waiting job $j3 ran"
else
	lab_fail "a check on a bad target passes, the job runs" "$(cat "$out/check3.out") $(health q35-flaky) job $j3 $(lab_job_field "$j3" state)"
fi

# ---- 4. maintenance, active, retired --------------------------------------------------------
"$cli" targets state q35-vtd maintenance --reason "swapping the IOMMU board" >"$out/maint.out" 2>&1
j4=$(submit q35-vtd)
sleep 10
held=$(lab_job_field "$j4" state)
"$cli" targets state q35-vtd active --reason "board swapped" >"$out/active.out" 2>&1
if [ "$held" = queued ] && grep -q "health bad, state maintenance" "$out/maint.out" &&
   lab_wait_job "$j4" 300 complete incomplete && [ "$(lab_job_field "$j4" state)" = complete ] &&
   wait_health q35-vtd 120 good &&
   lab_api targets/q35-vtd/health | jq -e '[.history[] | select(.event == "check-queued" and
	.reason == "back from maintenance")] | length == 1' >/dev/null; then
	lab_ok "maintenance held job $j4 (queued 10 s); active queued a check ('back from maintenance'), it passed and the job ran"
else
	lab_fail "maintenance holds jobs, active checks and runs them" "held=$held $(lab_job_field "$j4" state) $(health q35-vtd)"
fi
"$cli" targets state q35-flaky retired --reason "decommissioned" >/dev/null 2>&1
if ! "$cli" plan submit --kernel 6.12 --target q35-flaky >"$out/retired.out" 2>&1 &&
   [ "$(health q35-flaky)" = retired ]; then
	lab_ok "retired: health retired, a plan naming it makes no job ($(head -c 100 "$out/retired.out"))"
else
	lab_fail "retired: no job" "$(cat "$out/retired.out")"
fi

# ---- 5. the history ----------------------------------------------------------------------------
"$cli" targets health q35-flaky >"$out/history.txt" 2>&1
sed 's/^/# /' "$out/history.txt"
ev=$(lab_api targets/q35-flaky/health | jq -r '[.history[].event] | join(",")')
if [ "$ev" = "check-queued,check-failed,checking,check-queued,check-passed,state retired" ] &&
   grep -q "by admin: decommissioned" "$out/history.txt"; then
	lab_ok "history: $ev"
else
	lab_fail "history" "$ev"
fi
# the target page (Debian's chromium)
if lab_browser_ready "$out/browser-deps.log" >"$out/browser.why"; then
	/usr/bin/python3 "$top/tests/browser/target_health.py" --url "$LAB_URL" --target q35-flaky \
		--out "$out" >"$out/browser.tap" 2>&1
	cat "$out/browser.tap"
	read -r bp bf <<<"$(grep -c '^ok ' "$out/browser.tap") $(grep -c '^not ok ' "$out/browser.tap")"
	lab_counts "$bp" "$bf" 0
	[ "$bp" -gt 0 ] || lab_fail "browser test ran" "$(tail -5 "$out/browser.tap")"
else
	lab_skip "target page in chromium" "$(cat "$out/browser.why")"
fi
lab_done
