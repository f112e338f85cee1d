#!/usr/bin/env bash
# 54-crash - kernel crashes are results: crash isolation in the QEMU runner
# (server/run/isolate.h) on real guests through a real iommulabd.
#
# Jobs (Debian 6.12 unless said; the probe module's test-only fault op makes
# real kernel faults, issue 14):
#   A  q35-vtd        fault.warn,kmod.attach.*   -> complete: fault.warn is warn
#                     with the WARN trace, the cases after it pass or skip
#   B  q35-vtd        fault.oops,kmod.attach.*   -> complete: fault.oops is crash
#                     (oops), the kernel survived and the cases after it ran
#   C  q35-vtd-snoop  fault.kpanic,kmod.attach.* -> complete on attempt 1 of 2:
#                     fault.kpanic is crash (panic) with the console from
#                     the panic line, the guest booted again and every
#                     kmod.attach case after it has a record
#   D  q35-amd-bypass kmod.attach.*   -> complete on attempt 1 of 2 with one
#                     record, "boot": crash, kind oops, excerpt from the
#                     oops (not the panic) in amd_iommu_probe_device (the
#                     bad address varies: a NULL or a wild pointer) -
#                     Debian's amd-iommu oopses at boot with a bypass bus
#                     (a real kernel bug)
#   E  q35-amd        fault.boot      -> rig/init.sh panics the kernel (sysrq c)
#                     before the agent: a "boot" record (crash, panic)
#   F  6.1 q35-vtd    kmod.attach.*   -> the base of a diff; 6.1 WARNs at boot
#                     on q35-vtd (pcieport MSI): a "boot" record, warn
#   G  q35-virtio     kmod.map.before_attach -> crash (oops in viommu_sync_req:
#                     Debian 6.12's virtio-iommu maps into a domain never
#                     attached, docs/findings.md F2); H, the same on 6.1
#                     (no virtio-iommu there): the diff 6.1 -> 6.12 shows it
#   I  q35-vtd        fault.kpanic,kmod.attach.no_group x 6 repeats: every
#                     repetition's fault.kpanic panics; the runner stops at
#                     its bound of 5 boots: 5 crash records, the 4
#                     no_group runs between them, runs 10-12 not run
# Asserted through the API (jobs, results), the CLI (results --job, diff
# --json 6.1 6.12, log) and the job's console log (every boot in it).
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export CACHE=${CACHE:-$HOME/.cache/iommulab}
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/54-crash
rm -rf "$out"
mkdir -p "$out"
. "$top/tests/lib-server.sh"

names=("A fault.warn = warn, later cases pass" "B fault.oops = crash, later cases ran"
       "C fault.kpanic = crash, reboot, remaining cases ran" "D boot oops = boot record"
       "E boot panic (init) = boot record" "F 6.1 boot WARN = boot record"
       "G F2: 6.12 virtio-iommu map before attach = crash"
       "I reboots are bounded (5 boots)"
       "CLI results" "CLI diff" "job log has every boot")
skip_all() {
	local n
	for n in "${names[@]}"; do lab_skip "$n" "$1"; done
	lab_done
	exit $?
}
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"
nice -n 10 make -s -C "$top/server" -j2 >"$out/build.log" 2>&1 || { lab_fail "server builds"; lab_done; exit 1; }
nice -n 10 make -s -C "$top/agent" >>"$out/build.log" 2>&1 || { lab_fail "agent builds"; lab_done; exit 1; }
rel12=$(nice -n 10 "$top/kernels/fetch-debian" --kernel 6.12 2>"$out/fetch.log") ||
	skip_all "Debian kernel 6.12 not available: $(tail -1 "$out/fetch.log")"
rel61=$(nice -n 10 "$top/kernels/fetch-debian" --kernel 6.1 2>>"$out/fetch.log") ||
	skip_all "Debian kernel 6.1 not available: $(tail -1 "$out/fetch.log")"
attach=$("$O/agent/iommulab-agent" -l --no-cmdline -f 'kmod.attach.*' | awk '{print $1}' | sort)
nattach=$(echo "$attach" | wc -l)

state=$out/state
trap 'lab_srv_stop; for p in $(lab_qemu_of "$state"); do kill -9 "$p"; done' EXIT
lab_srv_start "$state" || { lab_fail "iommulabd starts"; lab_done; exit 1; }
lab_cli kernels add 6.12 --release "$rel12" >/dev/null
lab_cli kernels add 6.1 --release "$rel61" >/dev/null

# submit KERNEL TARGET FILTER [ARGS]: prints the job id
submit() {
	local plan
	plan=$(lab_cli plan submit --kernel "$1" --target "$2" --filter "$3" --timeout 240 \
		--json "${@:4}" | jq -r .id) || return 1
	lab_api "jobs?plan=$plan" | jq -r '.items[0].id'
}
t0=$(date +%s)
jC=$(submit 6.12 q35-vtd-snoop 'fault.kpanic,kmod.attach.*' --max-attempts 2)
jD=$(submit 6.12 q35-amd-bypass 'kmod.attach.*' --max-attempts 2)
jA=$(submit 6.12 q35-vtd 'fault.warn,kmod.attach.*')
jB=$(submit 6.12 q35-vtd 'fault.oops,kmod.attach.*')
jE=$(submit 6.12 q35-amd 'fault.boot' --max-attempts 2)
jF=$(submit 6.1 q35-vtd 'kmod.attach.*')
jG=$(submit 6.12 q35-virtio 'kmod.map.before_attach')
jH=$(submit 6.1 q35-virtio 'kmod.map.before_attach')
jI=$(submit 6.12 q35-vtd-sm 'fault.kpanic,kmod.attach.no_group' --repeat 6)
echo "# jobs: A $jA B $jB C $jC D $jD E $jE F $jF G $jG H $jH I $jI ($nattach kmod.attach cases)"
for j in $jA $jB $jC $jD $jE $jF $jG $jH $jI; do
	lab_wait_job "$j" 900 complete incomplete canceled >/dev/null || true
done
echo "# all final after $(( $(date +%s) - t0 ))s"

res() { lab_api "results?job=$1&limit=1000" > "$out/res-$1.json"; jq -c '.items | sort_by(.id) | .[]' "$out/res-$1.json"; }
one() { res "$1" | jq -c "select(.case == \"$2\")"; }
# complete, on the first attempt
done1() {
	[ "$(lab_job_field "$1" state)" = complete ] && [ "$(lab_job_field "$1" attempts)" = 1 ]
}
why() { echo "$(lab_api "jobs/$1" | jq -c '{state,attempts,reason}' | cut -c1-300) $(res "$1" | jq -c '{case,verdict,kernel_kind}' | tr '\n' ' ' | cut -c1-400)"; }
# rec_is JOB CASE VERDICT KIND JQ: JOB completed on attempt 1 and its record
# of CASE (left in $r) has VERDICT, kernel_kind KIND ("": any) and passes JQ
rec_is() {
	r=$(one "$1" "$2")
	done1 "$1" && [ "$(echo "$r" | jq -r .verdict)" = "$3" ] &&
		{ [ -z "$4" ] || [ "$(echo "$r" | jq -r .kernel_kind)" = "$4" ]; } &&
		echo "$r" | jq -e "$5" >/dev/null
}
# the cases after the fault case: all kmod.attach, pass or skip, and
# nothing else but the one record before them (the filter reached the guest)
rest_ok() {
	[ "$(res "$1" | wc -l)" = $((nattach + 1)) ] && [ "$(res "$1" | jq -r 'select(.case | startswith("kmod.attach.")) | .case' | sort)" = "$attach" ] &&
		[ "$(res "$1" | jq -r 'select(.case | startswith("kmod.attach.")) | .verdict' | sort -u | grep -cv '^\(pass\|skip\)$')" = 0 ]
}

if rec_is "$jA" fault.warn warn warning \
	'.kernel_excerpt | contains("WARNING: CPU") and contains("lab_op_fault") and contains("---[ end trace")' &&
   rest_ok "$jA"; then
	lab_ok "${names[0]} ($nattach cases after it)"
else
	lab_fail "${names[0]}" "$(why "$jA")"
fi

if rec_is "$jB" fault.oops crash oops \
	'.kernel_excerpt | contains("BUG: kernel NULL pointer dereference") and contains("lab_op_fault")' &&
   rest_ok "$jB"; then
	lab_ok "${names[1]} ($nattach cases after it, same boot)"
else
	lab_fail "${names[1]}" "$(why "$jB")"
fi

if rec_is "$jC" fault.kpanic crash panic \
	'(.kernel_excerpt | startswith("Kernel panic - not syncing: iommulab_probe") and contains("lab_op_fault")) and (.reason | contains("did not survive"))' &&
   rest_ok "$jC"; then
	lab_ok "${names[2]} (attempt 1 of 2, $nattach cases after the reboot)"
else
	lab_fail "${names[2]}" "$(why "$jC")"
fi

if rec_is "$jD" boot crash oops \
	'(.kernel_excerpt | startswith("BUG: ") and contains("amd_iommu_probe_device") and contains("Kernel panic - not syncing")) and .driver == "amd-iommu"' &&
   [ "$(res "$jD" | wc -l)" = 1 ]; then
	lab_ok "${names[3]} (attempt 1 of 2; $(echo "$r" | jq -r '.kernel_excerpt | split("\n") | length') excerpt lines from the oops)"
else
	lab_fail "${names[3]}" "$(why "$jD")"
fi

if rec_is "$jE" boot crash "" '.kernel_excerpt | contains("sysrq triggered crash")' &&
   [ "$(res "$jE" | wc -l)" = 1 ]; then
	lab_ok "${names[4]} (kind $(echo "$r" | jq -r .kernel_kind))"
else
	lab_fail "${names[4]}" "$(why "$jE")"
fi

if rec_is "$jF" boot warn warning '.kernel_excerpt | startswith("WARNING: CPU: 0 PID: 1 at drivers/pci/msi")' &&
   [ "$(res "$jF" | wc -l)" = $((nattach + 1)) ] && rest_ok "$jF"; then
	lab_ok "${names[5]}"
else
	lab_fail "${names[5]}" "$(why "$jF")"
fi

if rec_is "$jG" kmod.map.before_attach crash oops \
	'.kernel_excerpt | startswith("BUG: kernel NULL pointer dereference") and contains("viommu_sync_req") and contains("iommu_map")'; then
	lab_ok "${names[6]} ($(echo "$r" | jq -r '.kernel_excerpt | split("\n")[0]'))"
else
	lab_fail "${names[6]}" "$(why "$jG")"
fi

ri=$(res "$jI" | jq -r '"\(.case):\(.repeat):\(.verdict)"' | sort | tr '\n' ' ')
want="fault.kpanic:0:crash fault.kpanic:1:crash fault.kpanic:2:crash fault.kpanic:3:crash fault.kpanic:4:crash kmod.attach.no_group:0:pass kmod.attach.no_group:1:pass kmod.attach.no_group:2:pass kmod.attach.no_group:3:pass "
if done1 "$jI" && [ "$ri" = "$want" ] && lab_cli log "$jI" | grep -q "5 boots done (the bound): runs 10-12 not run"; then
	lab_ok "${names[7]} (5 crashes, 4 runs between them, runs 10-12 not run)"
else
	lab_fail "${names[7]}" "got '$ri'; $(lab_cli log "$jI" | grep -a '^iommulab-runner' | tail -2)"
fi

# CLI: a job's results name the crash; the diff of 6.1 and 6.12 shows both sides
lab_cli results --job "$jC" > "$out/cli-results.txt" 2>&1
if grep -q 'fault\.kpanic.*crash' "$out/cli-results.txt"; then
	lab_ok "${names[8]} (iommulab results --job $jC shows fault.kpanic crash)"
else
	lab_fail "${names[8]}" "$(head -c 400 "$out/cli-results.txt")"
fi
lab_cli diff 6.1 6.12 --json --all > "$out/cli-diff.json" 2>&1
if jq -e '[.rows[] | select(.target == "q35-vtd" and .case == "boot") | .base.verdict] == ["warn"]' "$out/cli-diff.json" >/dev/null &&
   jq -e '[.rows[] | select(.target == "q35-vtd-snoop" and .case == "fault.kpanic") | .head.verdict] == ["crash"]' "$out/cli-diff.json" >/dev/null &&
   jq -e '[.rows[] | select(.target == "q35-virtio" and .case == "kmod.map.before_attach") | [.base.verdict, .head.verdict, .class]] == [["skip", "crash", "new_crash"]]' "$out/cli-diff.json" >/dev/null &&
   ! lab_cli diff 6.1 6.12 --fail-on-regress > "$out/cli-diff-regress.txt" 2>&1 &&
   grep -q 'kmod.map.before_attach' "$out/cli-diff-regress.txt"; then
	lab_ok "${names[9]} (boot warn on 6.1 q35-vtd, fault.kpanic crash on 6.12, q35-virtio map before attach skip -> crash: new_crash, --fail-on-regress exits 1)"
else
	lab_fail "${names[9]}" "$(jq -c '[.rows[] | select(.case == "boot" or .case == "kmod.map.before_attach" or (.case | startswith("fault."))) | {target, case, class, b: .base.verdict, h: .head.verdict}]' "$out/cli-diff.json" 2>&1 | head -c 500)"
fi
lab_cli log "$jC" > "$out/log-C.txt" 2>&1
if grep -q '^iommulab-runner: boot 1: case fault.kpanic (run 1) crashed the guest: booting again from run 2' "$out/log-C.txt" &&
   grep -q '^iommulab-runner: boot 2, console .*\.log\.2 follows' "$out/log-C.txt" &&
   grep -q 'resuming at case run 2' "$out/log-C.txt" && grep -q '^# IOMMULAB-START .*"fault.kpanic"' "$out/log-C.txt"; then
	lab_ok "${names[10]} (iommulab log $jC: both boots)"
else
	lab_fail "${names[10]}" "$(grep -a 'iommulab-runner\|resuming\|IOMMULAB-START' "$out/log-C.txt" | head -5)"
fi
[ -z "$(lab_qemu_of "$state")" ] || lab_fail "no QEMU left" "$(lab_qemu_of "$state")"
lab_done
