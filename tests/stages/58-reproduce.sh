#!/usr/bin/env bash
# 58-reproduce - reproducible results (issue 18.4) on a real QEMU job: a
# real iommulabd (own state dir, the scheduler and the local QEMU runner)
# runs kmod.attach.* of Debian's 6.12 on q35-vtd; the job's provenance
# (GET /jobs/ID "provenance") names the kernel package and release, and
# the SHA-256 of the kernel image, initramfs, agent, probe module and target
# file equal sha256sum of those files; the QEMU version is the binary's;
# the recorded QEMU command line boots that kernel and initramfs with the
# job's console log. `iommulab reproduce ID` prints the commands and the
# job's records; `--run` runs them here (kernel step, agent, module,
# initramfs, hash check, rig/boot) and gets every record back the same.
# The comparison can fail: with one stored result changed in SQL,
# `reproduce --run` exits 1 and names the case. Skipped with a reason when
# QEMU, the rig or the kernel is missing.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export CACHE=${CACHE:-$HOME/.cache/iommulab}
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/58-reproduce
rm -rf "$out"
mkdir -p "$out"
nice -n 10 make -s -C "$top/server" >"$out/build.log" 2>&1 ||
	{ lab_fail "server builds" "see $out/build.log"; lab_done; exit 1; }
. "$top/tests/lib-server.sh"
cli=$LAB_CLI_BIN
unset IOMMULAB_SERVER IOMMULAB_TOKEN
names=("provenance recorded" "hashes equal the files'" "QEMU version and command line" \
	"reproduce prints commands and records" "reproduce --run: same records" \
	"a changed record is caught")
skip_all() { for n in "${names[@]}"; do lab_skip "$n" "$1"; done; lab_done; exit $?; }
command -v qemu-system-x86_64 >/dev/null || skip_all "qemu-system-x86_64 not installed"
command -v jq >/dev/null || skip_all "jq missing"
command -v sqlite3 >/dev/null || skip_all "sqlite3 missing"
[ -x "$top/rig/boot" ] || skip_all "rig/boot missing"
rel=$(nice -n 10 "$top/kernels/fetch-debian" --kernel 6.12 2>>"$out/fetch.log") ||
	skip_all "Debian kernel 6.12 not available"

state=$out/state
trap 'lab_srv_stop; for p in $(lab_qemu_of "$state"); do kill -9 "$p"; done' EXIT
lab_srv_start "$state" || { lab_fail "iommulabd starts"; lab_done; exit 1; }
"$cli" kernels add 6.12 --release "$rel" >/dev/null
"$cli" plan submit --kernel 6.12 --target q35-vtd --filter 'kmod.attach.*' >"$out/plan.out" ||
	{ lab_fail "plan submit" "$(cat "$out/plan.out")"; lab_done; exit 1; }
job=$(lab_api "jobs?limit=1" | jq -r '.items[0].id')
if ! lab_wait_job "$job" 600 complete incomplete canceled || [ "$(lab_job_field "$job" state)" != complete ]; then
	lab_fail "job $job completes" "$(lab_job_field "$job" reason)"
	lab_done
	exit 1
fi
lab_api "jobs/$job" >"$out/job.json"
p() { jq -r ".provenance.$1 // empty" "$out/job.json"; }

if [ "$(p kernel_source)" = debian ] && [ "$(p kernel_release)" = "$rel" ] &&
   [ "$(p arch)" = x86_64 ] && [ "$(p top)" = "$top" ] && [ -n "$(p recorded_at)" ]; then
	lab_ok "provenance recorded for job $job: Debian kernel $rel on x86_64, checkout $top"
else
	lab_fail "provenance recorded" "$(jq -c .provenance "$out/job.json")"
fi
ok=1 n=0
for f in kernel_image:kernel_sha256 initrd:initrd_sha256 agent:agent_sha256 kmod:kmod_sha256 \
	target_file:target_sha256; do
	file=$(p "${f%%:*}") want=$(p "${f#*:}")
	got=$(sha256sum "$file" 2>/dev/null | cut -c1-64)
	if [ -z "$want" ] || [ "$got" != "$want" ]; then
		ok=0
		echo "# ${f%%:*} $file: recorded '$want', sha256sum '$got'"
	fi
	n=$((n + 1))
done
[ "$(p target_file)" = "$top/targets/x86_64/q35-vtd.json" ] || { ok=0; echo "# target file $(p target_file)"; }
[ $ok = 1 ] && lab_ok "the $n recorded SHA-256 (kernel, initramfs, agent, module, target) equal sha256sum's" ||
	lab_fail "hashes equal the files'"
qv=$(qemu-system-x86_64 --version | sed -n '1s/^QEMU emulator version \([^ ]*\).*/\1/p')
cmd=$(p qemu_cmdline)
if [ "$(p qemu_version)" = "$qv" ] && [[ "$cmd" == *"qemu-system-x86_64"* ]] &&
   [[ "$cmd" == *"-kernel $(p kernel_image)"* ]] && [[ "$cmd" == *"-initrd $(p initrd)"* ]] &&
   [[ "$cmd" == *"-serial file:$state/logs/$job.log"* ]] &&
   [[ "$(p boot_args)" == *"--append iommulab.filter=kmod.attach.\\*"* ]]; then
	lab_ok "QEMU $qv and the exact command line (kernel, initramfs, serial log, the job's filter)"
else
	lab_fail "QEMU version and command line" "version '$(p qemu_version)' vs '$qv'; cmd: $cmd; args: $(p boot_args)"
fi

nres=$(lab_api "results?job=$job&limit=1000" | jq '.items | length')
if "$cli" reproduce "$job" >"$out/reproduce.txt" 2>"$out/reproduce.err" &&
   grep -q "^kernels/fetch-debian --kernel '$rel' --arch 'x86_64'" "$out/reproduce.txt" &&
   grep -q "^rig/mkinitramfs --kernel '$rel'" "$out/reproduce.txt" &&
   grep -q "^rig/boot --target .*q35-vtd.json .* --log '$PWD/reproduce-$job.log'$" "$out/reproduce.txt" &&
   grep -q "^# the job's records ($nres):" "$out/reproduce.txt" &&
   [ "$(grep -c '^#   kmod.attach' "$out/reproduce.txt")" = "$nres" ] && [ "$nres" -gt 0 ]; then
	lab_ok "reproduce $job prints the commands (fetch, agent, module, initramfs, hash check, boot) and its $nres records"
else
	lab_fail "reproduce prints commands and records" "$(cat "$out/reproduce.err"; head -30 "$out/reproduce.txt")"
fi
sed -n '1,40p' "$out/reproduce.txt" | sed 's/^/# /' | head -40

t0=$(date +%s)
if nice -n 5 "$cli" reproduce "$job" --run --log "$out/again.log" >"$out/run.txt" 2>&1 &&
   grep -q "^reproduce: $nres of $nres records the same, 0 difference(s)$" "$out/run.txt" &&
   grep -q "^iommulab-boot: qemu $qv" "$out/again.log"; then
	lab_ok "reproduce --run rebuilt and booted it locally: $nres of $nres records the same ($(( $(date +%s) - t0 )) s)"
else
	lab_fail "reproduce --run" "$(tail -15 "$out/run.txt")"
fi
grep -E "OK$|FAILED|differs" "$out/run.txt" | sed 's/^/# /'

# the job page shows it (Debian's chromium)
if lab_browser_ready "$out/browser-deps.log" >"$out/browser.why"; then
	/usr/bin/python3 "$top/tests/browser/job_provenance.py" --url "$LAB_URL" --job "$job" \
		--initrd-sha "$(p initrd_sha256)" --qemu "$qv" --out "$out" >"$out/browser.tap" 2>&1
	cat "$out/browser.tap"
	read -r bp bf <<<"$(grep -c '^ok ' "$out/browser.tap") $(grep -c '^not ok ' "$out/browser.tap")"
	lab_counts "$bp" "$bf" 0
	[ "$bp" -gt 0 ] || lab_fail "browser test ran" "$(tail -5 "$out/browser.tap")"
else
	lab_skip "job page provenance in chromium" "$(cat "$out/browser.why")"
fi

# the comparison can fail: one stored record changed
rid=$(lab_api "results?job=$job&limit=1" | jq -r '.items[0].id')
rcase=$(lab_api "results?job=$job&limit=1" | jq -r '.items[0].case')
sqlite3 -cmd '.timeout 10000' "$state/iommulab.db" "UPDATE results SET observed = 123 WHERE id = $rid"
if ! "$cli" reproduce "$job" --run --log "$out/again2.log" >"$out/run2.txt" 2>&1 &&
   grep -q "^differs $rcase repeat 0: job 123" "$out/run2.txt"; then
	lab_ok "with one stored record changed, reproduce --run exits 1 and names $rcase"
else
	lab_fail "a changed record is caught" "$(tail -5 "$out/run2.txt")"
fi
lab_done
