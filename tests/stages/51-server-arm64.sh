#!/usr/bin/env bash
# 51-server-arm64 - an arm64 job through iommulabd, the path a lab's user
# takes (stages 45/47 run arm64 through rig/matrix only): a real iommulabd
# (own state dir, port 0) registers Debian 6.12 arm64, its QEMU runner
# cross-builds the agent and the probe module, boots virt-smmuv3 (TCG) and
# ingests the records, whose arch is the guest's uname -m (aarch64) while the
# job's is the lab's name (arm64: core/model.c lab_arch_same). Checks: the
# job completes, every stored cell equals tests/expect/arm64/6.12/virt-smmuv3
# (observed errno and verdict), the matrix API shows them.
# Skipped with a reason when the host is not prepared for arm64
# (rig/setup-foreign --check) or QEMU for arm64 is missing.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export CACHE=${CACHE:-$HOME/.cache/iommulab}
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/51-server-arm64
rm -rf "$out"
mkdir -p "$out"
. "$top/tests/lib-server.sh"

skip() { lab_skip "arm64 job through iommulabd" "$1"; lab_done; exit $?; }
nice -n 10 make -s -C "$top/server" -j2 >"$out/build.log" 2>&1 ||
	{ tail -20 "$out/build.log"; lab_fail "server builds"; lab_done; exit 1; }
command -v qemu-system-aarch64 >/dev/null || skip "qemu-system-aarch64 not installed"
why=$("$top/rig/setup-foreign" --check 2>&1) || skip "host not prepared for arm64: $(tail -1 <<< "$why")"
rel=$(nice -n 10 "$top/kernels/fetch-debian" --kernel 6.12 --arch arm64 2>"$out/fetch.log") ||
	skip "Debian 6.12 arm64 not available: $(tail -1 "$out/fetch.log")"
exp=$top/tests/expect/arm64/6.12/virt-smmuv3
[ -f "$exp" ] || { lab_fail "expectation file $exp"; lab_done; exit 1; }

state=$out/state
trap 'lab_srv_stop; for p in $(lab_qemu_of "$state"); do kill -9 "$p"; done' EXIT
lab_srv_start "$state" || { lab_fail "iommulabd starts"; lab_done; exit 1; }
lab_cli kernels add 6.12-arm64 --release "$rel" --arch arm64 >/dev/null ||
	{ lab_fail "kernels add 6.12-arm64 --arch arm64"; lab_done; exit 1; }
F='kmod.attach.*,kmod.reuse.*,vfio.type1.*'
plan=$(lab_cli plan submit --kernel 6.12-arm64 --target virt-smmuv3 --filter "$F" --max-attempts 1 --json | jq -r .id)
job=$(lab_api "jobs?plan=$plan" | jq -r '.items[0].id')
lab_wait_job "$job" 1200 complete incomplete canceled
st=$(lab_job_field "$job" state)
if [ "$st" != complete ]; then
	lab_fail "arm64 job $job completes" "$st: $(lab_job_field "$job" reason | head -c 400)"
	lab_done; exit 1
fi
lab_ok "arm64 job $job on virt-smmuv3 ($rel) complete through iommulabd"
lab_api "results?job=$job&limit=1000" | jq -r '.items[] | [.case, .observed_name, .verdict] | @tsv' | sort >"$out/got.tsv"
n=$(wc -l <"$out/got.tsv")
lab_check "records stored for the filter $F ($n)" test "$n" -ge 5
# the expectation file's ID OBSERVED VERDICT for the same cases
awk '!/^[ \t]*(#|$)/ { print $1 "\t" $2 "\t" $3 }' "$exp" | sort >"$out/want-all.tsv"
cut -f1 "$out/got.tsv" | join -t$'\t' - "$out/want-all.tsv" >"$out/want.tsv"
if [ "$(wc -l <"$out/want.tsv")" = "$n" ] && diff -u "$out/want.tsv" "$out/got.tsv" >"$out/diff.txt"; then
	lab_ok "all $n cells equal tests/expect/arm64/6.12/virt-smmuv3 (observed errno and verdict)"
else
	lab_fail "cells equal tests/expect/arm64/6.12/virt-smmuv3" "$(grep '^[-+][a-z]' "$out/diff.txt" | head -4 | tr '\n' ';')"
fi
m=$(lab_api "matrix?kernel=6.12-arm64&target=virt-smmuv3" | jq '[.. | objects | select(has("verdict"))] | length' 2>/dev/null)
lab_check "the matrix API shows the arm64 cells ($m)" test "${m:-0}" -ge "$n"
lab_srv_stop
lab_check "no QEMU left" test -z "$(lab_qemu_of "$state")"
lab_done
