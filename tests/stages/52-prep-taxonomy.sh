#!/usr/bin/env bash
# 52-prep-taxonomy - how the server's runner classifies what goes wrong
# before a guest runs, and what it does without the probe module (issue 12
# points 3 and 4), against a real iommulabd (its own state dir and targets
# copy, port 0) with real kernels and QEMU:
#   1. configuration errors (deterministic) are reported once, not retried:
#      a kernel that does not exist (kernels/fetch-debian exit 2) and a
#      target file gone from the targets dir -> incomplete after ONE attempt
#      of three, reason "configuration error: ..." with the log excerpt; the
#      plan counts them (configuration_errors)
#      Neither job booted: has_log is false in its JSON (the web UI then
#      fetches no console log) and GET /jobs/N/log says so, naming
#      /jobs/N/prep-log (which has the reason)
#   1b. a target known broken on the QEMU that would run it (known_broken,
#      docs/targets.md; needs rig/setup-qemu 10.0's QEMU 10.0.2): through
#      the local runner rig/boot refuses it after the preparation ->
#      incomplete after ONE attempt, "configuration error: not booted: NAME
#      is known broken on QEMU V: REASON (REF)", has_log true (the console
#      log has that line); through a LAVA lab (a LAVA variant of the target,
#      a lab nobody answers at) the server asks rig/known-broken before it
#      prepares or submits -> the same reason, ONE attempt, never submitted
#      (backend id "<lab>:preparing"), has_log false
#   2. an infrastructure error is retried: a guest whose agent prints
#      nothing (fault.norecords: no END, no kernel report; a kernel panic is
#      a result now, stage 54) -> incomplete after 2 attempts of 2, no
#      "configuration"; it booted: has_log true, its log is served
#   3. the riscv64 sid kernel (kernels/fetch-sid) through the server: its
#      headers need riscv64-linux-gnu-gcc-16, which Debian 12 lacks; as root
#      kmods/Makefile builds the module in a Debian unstable root
#      (rig/sid-kbuild): the job completes without a warning and every cell
#      is what tests/expect/riscv64/<series>/virt-riscv-iommu says. Without
#      root the module does not build (graceful degradation): the job still
#      boots on virt-riscv-iommu (QEMU 10.0), completes, its kmod cases skip
#      with the build error, its reason is "warning: no probe module ..."
#      and the plan counts one warning (stage 59 degrades an x86 kernel
#      with broken headers the same way, on every host).
# Skipped with a reason when QEMU, the kernels or the riscv64 tools are
# missing.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export CACHE=${CACHE:-$HOME/.cache/iommulab}
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/52-prep-taxonomy
rm -rf "$out"
mkdir -p "$out"
. "$top/tests/lib-server.sh"

nice -n 10 make -s -C "$top/server" -j2 >"$out/build.log" 2>&1 ||
	{ tail -20 "$out/build.log"; lab_fail "server builds"; lab_done; exit 1; }
command -v qemu-system-x86_64 >/dev/null || { lab_skip "prep taxonomy" "qemu-system-x86_64 not installed"; lab_done; exit $?; }
release=$(nice -n 10 "$top/kernels/fetch-debian" --kernel 6.1 2>"$out/fetch.log") ||
	{ lab_skip "prep taxonomy" "Debian kernel 6.1 not available: $(tail -1 "$out/fetch.log")"; lab_done; exit $?; }

# a copy of the targets: one file is removed while the server runs; a LAVA
# variant of the known-broken target, on a lab where nothing answers (port 9:
# a job that reached the submission would wait there, "pending")
cp -r "$top/targets" "$out/targets"
kbsrc=$top/targets/x86_64/q35-amd-q10.json
jq '.name = "q35-amd-q10-lava" | .backend = "lava" |
    .lava = {"device_type": "qemu", "context": {"arch": "amd64"}, "lab": "nowhere"}' \
	"$kbsrc" > "$out/targets/x86_64/q35-amd-q10-lava.json"
echo not-a-secret > "$out/lava.token"
printf '{"labs": [{"name": "nowhere", "url": "http://127.0.0.1:9", "token_file": "%s",\n  "device_types": ["qemu"], "artifacts": "file", "poll_s": 600}]}\n' \
	"$out/lava.token" > "$out/labs.json"
state=$out/state
trap 'lab_srv_stop; for p in $(lab_qemu_of "$state"); do kill -9 "$p"; done' EXIT
lab_srv_start "$state" --targets "$out/targets" --labs "$out/labs.json" ||
	{ lab_fail "iommulabd starts"; lab_done; exit 1; }
lab_cli kernels add 6.1 --release "$release" >/dev/null
lab_cli kernels add 6.99 >/dev/null

# submit KERNEL TARGET ARGS...: prints "PLAN JOB"
submit() {
	local k=$1 t=$2 plan; shift 2
	plan=$(lab_cli plan submit --kernel "$k" --target "$t" --json "$@" | jq -r .id) || return 1
	echo "$plan $(lab_api "jobs?plan=$plan" | jq -r '.items[0].id')"
}
show() { lab_api "jobs/$1" | jq -c '{state, attempts, max_attempts, has_log, backend_job_id, reason: (.reason // "" | .[0:300])}'; }
# log_404 JOB: GET /jobs/JOB/log is a 404 whose error names /jobs/JOB/prep-log
log_404() {
	local code
	code=$(curl -sS -o "$out/log-$1.json" -w '%{http_code}' "$LAB_URL/api/v1/jobs/$1/log")
	[ "$code" = 404 ] && jq -e --arg p "/jobs/$1/prep-log" '.error | contains($p)' "$out/log-$1.json" >/dev/null
}

# ---- 1. configuration errors -------------------------------------------
read -r p_nok j_nok < <(submit 6.99 q35-vtd --max-attempts 3 --filter 'kmod.*')
rm "$out/targets/x86_64/q35-vtd-snoop.json"
read -r p_tgt j_tgt < <(submit 6.1 q35-vtd-snoop --max-attempts 3 --filter 'kmod.*')
read -r p_pan j_pan < <(submit 6.1 q35-vtd --max-attempts 2 --filter fault.norecords)
lab_wait_job "$j_nok" 300 incomplete complete
lab_wait_job "$j_tgt" 300 incomplete complete
sleep 3	# a retry would requeue at once: give it the chance
r=$(lab_job_field "$j_nok" reason)
if [ "$(lab_job_field "$j_nok" state)" = incomplete ] && [ "$(lab_job_field "$j_nok" attempts)" = 1 ] &&
   [[ $r == "configuration error: "* ]] && grep -q "unknown kernel '6.99'" <<< "$r"; then
	lab_ok "kernel that does not exist: configuration error, 1 attempt of 3, the excerpt names it"
else
	lab_fail "kernel that does not exist: configuration error, not retried" "$(show "$j_nok")"
fi
r=$(lab_job_field "$j_tgt" reason)
if [ "$(lab_job_field "$j_tgt" state)" = incomplete ] && [ "$(lab_job_field "$j_tgt" attempts)" = 1 ] &&
   [[ $r == "configuration error: target file "*q35-vtd-snoop.json* ]]; then
	lab_ok "target file gone: configuration error, 1 attempt of 3"
else
	lab_fail "target file gone: configuration error, not retried" "$(show "$j_tgt")"
fi
c=$(lab_api "plans/$p_nok" | jq -c '{configuration_errors, warnings, incomplete: .jobs.incomplete}')
if [ "$c" = '{"configuration_errors":1,"warnings":0,"incomplete":1}' ]; then
	lab_ok "the plan counts the configuration error: $c"
else
	lab_fail "the plan counts the configuration error" "$c"
fi
lab_check "the prep log says 'configuration error' once" \
	test "$(grep -c 'configuration error' "$state/logs/$j_nok.prep.log")" = 1
# they never booted: no console log to fetch (has_log), the API says where to look
for j in "$j_nok" "$j_tgt"; do
	if [ "$(lab_job_field "$j" has_log)" = false ] && log_404 "$j"; then
		lab_ok "job $j never booted: has_log false, GET /jobs/$j/log 404 names /jobs/$j/prep-log: $(jq -r .error "$out/log-$j.json")"
	else
		lab_fail "job $j never booted: has_log false, its log 404 names the prep log" "$(show "$j"); $(cat "$out/log-$j.json")"
	fi
done

# ---- 1b. known broken on its QEMU: local runner and LAVA, the same reason -
if ! "$top/rig/setup-qemu" --check 10.0 >/dev/null 2>"$out/setup-qemu-check.err"; then
	lab_skip "known broken target through the server" "QEMU 10.0 not set up: $(tail -1 "$out/setup-qemu-check.err")"
elif ! kbv=$(jq -r '.known_broken.qemu[0] // empty' "$kbsrc") || [ -z "$kbv" ] ||
     [ "$("$(readlink -f "$CACHE/qemu/10.0")/usr/bin/qemu-system-x86_64" --version |
	  sed -n '1s/^QEMU emulator version \([^ ]*\).*/\1/p')" != "$kbv" ]; then
	lab_skip "known broken target through the server" "this host's QEMU 10.0 is not $kbv, the version q35-amd-q10's known_broken lists"
else
	kbwhy="is known broken on QEMU $kbv: $(jq -r '.known_broken.reason' "$kbsrc") ($(jq -r '.known_broken.reference' "$kbsrc"))"
	read -r p_kbq j_kbq < <(submit 6.1 q35-amd-q10 --max-attempts 2 --filter 'kmod.*')
	read -r p_kbl j_kbl < <(submit 6.1 q35-amd-q10-lava --max-attempts 2 --filter 'kmod.*')
	lab_wait_job "$j_kbq" 600 incomplete complete
	lab_wait_job "$j_kbl" 300 incomplete complete
	sleep 3	# a retry would requeue at once
	r=$(lab_job_field "$j_kbq" reason)
	if [ "$(lab_job_field "$j_kbq" state)" = incomplete ] && [ "$(lab_job_field "$j_kbq" attempts)" = 1 ] &&
	   [ "$r" = "configuration error: not booted: q35-amd-q10 $kbwhy" ] &&
	   [ "$(lab_job_field "$j_kbq" has_log)" = true ] &&
	   lab_api "jobs/$j_kbq/log" | grep -qxF "iommulab-boot: not booted: q35-amd-q10 $kbwhy"; then
		lab_ok "q35-amd-q10, local runner: not booted, known broken on QEMU $kbv, 1 attempt of 2; has_log true, its log has rig/boot's line"
	else
		lab_fail "q35-amd-q10, local runner: known broken, not retried" "$(show "$j_kbq")"
	fi
	r=$(lab_job_field "$j_kbl" reason)
	if [ "$(lab_job_field "$j_kbl" state)" = incomplete ] && [ "$(lab_job_field "$j_kbl" attempts)" = 1 ] &&
	   [ "$r" = "configuration error: not booted: q35-amd-q10-lava $kbwhy" ] &&
	   [ "$(lab_job_field "$j_kbl" backend_job_id)" = nowhere:preparing ] &&
	   [ "$(lab_job_field "$j_kbl" has_log)" = false ] && log_404 "$j_kbl" &&
	   ! grep -q "lava: job $j_kbl: preparing artifacts\|lava: job $j_kbl: submit to\|lava: job $j_kbl submitted" "$state/iommulabd.log"; then
		lab_ok "q35-amd-q10-lava, LAVA: refused before preparation and submission with the local runner's reason, 1 attempt of 2, has_log false"
	else
		lab_fail "q35-amd-q10-lava, LAVA: refused by the server, not submitted" "$(show "$j_kbl"); $(grep "lava: job $j_kbl:" "$state/iommulabd.log" | tail -2 | cut -c1-200)"
	fi
fi

# ---- 2. an infrastructure error is retried -------------------------------
lab_wait_job "$j_pan" 600 incomplete complete
r=$(lab_job_field "$j_pan" reason)
if [ "$(lab_job_field "$j_pan" state)" = incomplete ] && [ "$(lab_job_field "$j_pan" attempts)" = 2 ] &&
   [[ $r != "configuration error"* ]] && grep -q "no IOMMULAB-END" <<< "$r"; then
	lab_ok "guest without records: infrastructure error, retried (2 attempts of 2), no configuration prefix"
else
	lab_fail "guest without records: retried as infrastructure" "$(show "$j_pan")"
fi
# it booted: a console log to fetch
if [ "$(lab_job_field "$j_pan" has_log)" = true ] && lab_api "jobs/$j_pan/log" | grep -q 'iommulab-boot: qemu '; then
	lab_ok "guest without records booted: has_log true, GET /jobs/$j_pan/log serves its console"
else
	lab_fail "booted job: has_log true, its log served" "$(show "$j_pan")"
fi

# ---- 3. graceful degradation: riscv64 sid kernel, module does not build --
riscv_skip() { lab_skip "riscv64 job without the probe module" "$1"; }
if ! command -v riscv64-linux-gnu-gcc >/dev/null; then
	riscv_skip "no riscv64-linux-gnu-gcc (scripts/install-deps agent-cross)"
elif ! "$top/rig/setup-qemu" 10.0 >/dev/null 2>"$out/setup-qemu.err"; then
	riscv_skip "QEMU 10.0 not available: $(tail -1 "$out/setup-qemu.err")"
elif ! rrel=$(nice -n 10 "$top/kernels/fetch-sid" --arch riscv64 2>"$out/fetch-sid.log"); then
	riscv_skip "Debian unstable riscv64 kernel not available: $(tail -1 "$out/fetch-sid.log")"
else
	lab_cli kernels add sid-riscv64 --release "$rrel" --arch riscv64 >/dev/null
	read -r p_rv j_rv < <(submit sid-riscv64 virt-riscv-iommu --max-attempts 1 --timeout 600)
	if ! lab_wait_job "$j_rv" 1200 complete incomplete; then
		lab_fail "riscv64 job finishes" "$(show "$j_rv")"
	elif [ "$(lab_job_field "$j_rv" state)" != complete ]; then
		lab_fail "riscv64 job without the probe module completes" "$(show "$j_rv")"
	else
		res=$(lab_api "results?job=$j_rv&limit=1000")
		nk=$(jq '[.items[] | select(.case | startswith("kmod."))] | length' <<< "$res")
		nks=$(jq '[.items[] | select((.case | startswith("kmod.")) and .verdict == "skip" and
			(.reason // "" | test("probe module build failed")))] | length' <<< "$res")
		# kmod cases for another driver skip for that reason before the module is asked
		nkj=$(jq '[.items[] | select((.case | startswith("kmod.")) and .verdict != "skip")] | length' <<< "$res")
		r=$(lab_job_field "$j_rv" reason)
		if [ -f "$CACHE/kmods/$rrel/iommulab_probe.ko" ]; then
			# the module built (a newer cross compiler): no warning, kmod cases ran
			if [ "$r" = null ] && [ "$nks" = 0 ] && [ "$nk" -gt 0 ]; then
				lab_ok "riscv64: the probe module builds for $rrel; $nk kmod cases ran, no warning"
			else
				lab_fail "riscv64 with the module" "reason $r, $nks of $nk kmod cases skip for the build"
			fi
		elif [[ $r == "warning: no probe module, kmod cases skipped: probe module build failed"* ]] &&
		     [ "$nks" -gt 0 ] && [ "$nkj" = 0 ]; then
			lab_ok "riscv64 $rrel without the probe module: complete, $nks of $nk kmod cases skip with the build error (the rest: another driver's), warning: ${r:0:160}"
		else
			lab_fail "riscv64 without the probe module: warning and kmod skips" "reason '$r', $nks of $nk kmod cases skip for the build, $nkj judged"
		fi
		nu=$(jq '[.items[] | select(.case | startswith("kmod.") | not)] | length' <<< "$res")
		lab_check "riscv64: the userspace (VFIO/IOMMUFD) cases were run too ($nu records)" test "$nu" -gt 0
		# every cell as tests/expect/riscv64/SERIES/virt-riscv-iommu says
		series=$(echo "$rrel" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')
		ef=$top/tests/expect/riscv64/$series/virt-riscv-iommu
		if [ ! -f "$CACHE/kmods/$rrel/iommulab_probe.ko" ]; then
			lab_skip "riscv64: the run matches $ef" "its cells need the probe module, which did not build here: ${r#*probe module build failed: }"
		elif [ ! -f "$ef" ]; then
			lab_fail "riscv64: an expectation file for sid's $rrel" "no $ef (sid moved on: tests/expect/regen the job's log, review)"
		elif "$top/tests/expect/check" "$ef" "$state/logs/$j_rv.log" >"$out/riscv.check" 2>&1; then
			lab_ok "riscv64: $(tail -1 "$out/riscv.check")"
		else
			lab_fail "riscv64: the run matches $ef" "$(grep -E 'DIFFERS|NEW|MISSING' "$out/riscv.check" | head -3 | tr '\n' ';')"
		fi
		w=$(lab_api "plans/$p_rv" | jq -c '{warnings, configuration_errors}')
		ww=1; [ -f "$CACHE/kmods/$rrel/iommulab_probe.ko" ] && ww=0
		lab_check "the plan counts $ww warning(s): $w" test "$w" = "{\"warnings\":$ww,\"configuration_errors\":0}"
	fi
fi
lab_srv_stop
lab_check "no QEMU left" test -z "$(lab_qemu_of "$state")"
lab_done
