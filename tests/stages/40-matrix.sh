#!/usr/bin/env bash
# 40-matrix: the agent's catalogue on real Debian kernels in QEMU (TCG).
# Boots Debian 6.1 and 6.12 on every x86_64 target (targets/x86_64/*.json;
# LAB_MATRIX_TARGETS="q35-vtd q35-amd" narrows it) through the rig
# (kernels/fetch-debian, kmods, rig/mkinitramfs, rig/boot) and
#  - asserts every run finished: BEGIN, as many REC lines as announced, END,
#    and no `error` verdict;
#  - asserts the REAL errnos of the key cases on 6.1 (notes/iommu-errno.md):
#    EOPNOTSUPP coherency without snoop control, EFAULT address width, EBUSY
#    second domain, EINVAL multi-device group, ENODEV no group, VFIO type1
#    two groups reuse one domain;
#  - records what 6.12 returns: the whole matrix (kernel target case
#    observed verdict) is printed and kept in $LAB_TEST_OUT/matrix/matrix.tsv;
#  - kernel crashes are results (issue 14): map-before-attach is OK on
#    intel-iommu and amd-iommu on both kernels, and on 6.12 virtio-iommu it
#    oopses: a `crash` record with the oops trace, and the cases after it
#    still run; a target marked known_crash (q35-amd-bypass) crashes at boot
#    with its documented signature on the kernels it names;
#  - the fault switch makes real kernel faults (probe module fault_ops=1) on
#    q35-vtd, both kernels: fault.warn is `warn` with the WARN trace and the
#    cases after it pass; fault.oops is `crash` with the oops and the cases
#    after it still run; fault.kpanic kills the guest and the console's last
#    in-flight line names it.
# A target whose `requires` the kernel's config lacks is skipped with that reason.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
out=${LAB_TEST_OUT:-$top/tests/out}/matrix
mkdir -p "$out"
export CACHE=${CACHE:-$HOME/.cache/iommulab} O=${O:-$top/build}
tsv=$out/matrix.tsv
: > "$tsv"

for tool in rig/boot rig/mkinitramfs kernels/fetch-debian; do
	if [ ! -x "$top/$tool" ]; then
		lab_skip "matrix" "$tool not present yet"
		lab_done
		exit
	fi
done
if ! make -C "$top/agent" -j2 > "$out/agent-build.log" 2>&1; then
	lab_fail "agent build" "see $out/agent-build.log"
	lab_done
	exit
fi
agent=$O/agent/iommulab-agent

targets=()
if [ -n "${LAB_MATRIX_TARGETS:-}" ]; then
	for t in $LAB_MATRIX_TARGETS; do targets+=("$top/targets/x86_64/$t.json"); done
else
	# opt-in targets (QEMU 10.0: tests/stages/47-matrix-qemu10.sh) only when named
	for f in "$top"/targets/x86_64/*.json; do
		jq -e '(.tags // []) | index("opt-in")' "$f" >/dev/null 2>&1 || targets+=("$f")
	done
fi

# expect KERNEL TARGET CASE ERRNAME [reused]: one assertion on the matrix
expect() {
	local k=$1 t=$2 id=$3 want=$4 reused=${5:-} line got
	line=$(awk -F'\t' -v k="$k" -v t="$t" -v id="$id" '$1 == k && $2 == t && $3 == id' "$tsv")
	if [ -z "$line" ]; then
		lab_fail "$k $t $id = $want" "no record"
		return
	fi
	got=$(cut -f4 <<< "$line")
	if [ "$(cut -f5 <<< "$line")" = skip ]; then
		lab_skip "$k $t $id = $want" "$(cut -f8 <<< "$line")"
		return
	fi
	if [ "$got" != "$want" ]; then
		lab_fail "$k $t $id = $want" "got $got ($(cut -f5- <<< "$line"))"
		return
	fi
	if [ -n "$reused" ] && [ "$(cut -f6 <<< "$line")" != "$reused" ]; then
		lab_fail "$k $t $id reused=$reused" "got reused=$(cut -f6 <<< "$line")"
		return
	fi
	if [ "$(cut -f5 <<< "$line")" != pass ]; then
		lab_fail "$k $t $id = $want" "verdict $(cut -f5 <<< "$line"): $(cut -f8 <<< "$line")"
		return
	fi
	lab_ok "$k $t $id = $want${reused:+ reused=$reused} (pass)"
}

declare -A imgs images
for series in 6.1 6.12; do
	if ! rel=$("$top/kernels/fetch-debian" --kernel "$series" 2>> "$out/fetch.log"); then
		lab_fail "fetch kernel $series" "see $out/fetch.log"
		continue
	fi
	kdir=$CACHE/kernels/$rel
	# the bzImage through SeaBIOS: a PVH vmlinux boot (no firmware PCI
	# enumeration) crashes amd_iommu_probe_device on q35-amd's bypass pxb bus
	image=$(jq -r '.image' "$kdir/kernel.json")
	if ! ko=$(make -s -C "$top/kmods" KERNEL="$rel" print-ko 2>> "$out/kmod-$series.log") || [ ! -f "$ko" ]; then
		lab_fail "iommulab_probe for $rel" "see $out/kmod-$series.log"
		continue
	fi
	if ! img=$("$top/rig/mkinitramfs" --kernel "$rel" --agent "$agent" --kmod "$ko" 2>> "$out/initramfs.log"); then
		lab_fail "initramfs for $rel" "see $out/initramfs.log"
		continue
	fi
	imgs[$series]=$img images[$series]=$image
	for tf in "${targets[@]}"; do
		t=$(basename "$tf" .json)
		missing=
		for sym in $(jq -r '(.requires // [])[]' "$tf"); do
			grep -q "^$sym=[ym]" "$kdir/config" || missing="$missing $sym"
		done
		if [ -n "$missing" ]; then
			lab_skip "$series $t" "kernel $rel lacks$missing"
			continue
		fi
		log=$out/$t-$series.log
		sig=$(jq -r --arg s "$series" 'if ((.known_crash.kernels // []) | index($s)) then .known_crash.signature else empty end' "$tf")
		bimg=$image
		# a known crash is asserted the way the lab's runner boots (server/artifacts.c:
		# the vmlinux, PVH), which is where it was found (docs/targets.md)
		[ -n "$sig" ] && bimg=$(jq -r '.vmlinux // .image' "$kdir/kernel.json")
		nice -n 10 "$top/rig/boot" --target "$tf" --kernel "$bimg" --initrd "$img" \
			--log "$log" --timeout 300 > "$out/$t-$series.boot" 2>&1
		rc=$?
		if [ -n "$sig" ]; then
			first=$(tr -d '\r' < "$log" | grep -a -m1 -E '(BUG: |Oops: |general protection fault|Unable to handle kernel|Kernel panic - not syncing)' | sed 's/^\[[ 0-9.]*\] //')
			if [ "$rc" -ne 0 ] && [ -n "$first" ] && grep -aqF -- "$sig" "$log"; then
				lab_ok "$series $t: known crash at boot reported: $first ($sig)"
			elif [ "$rc" -eq 0 ]; then
				lab_fail "$series $t: known crash" "did not happen: update known_crash in $tf"
			else
				lab_fail "$series $t: known crash" "boot rc=$rc without the signature $sig (log $log)"
			fi
			continue
		fi
		begin=$(sed -n 's/^IOMMULAB-BEGIN //p' "$log" | jq -r .cases 2>/dev/null)
		end=$(sed -n 's/^IOMMULAB-END //p' "$log" | jq -r .records 2>/dev/null)
		recs=$(grep '^IOMMULAB-REC ' "$log" | sed 's/^IOMMULAB-REC //')
		nrec=$(grep -c . <<< "$recs")
		if [ "$rc" -ne 0 ] || [ -z "$begin" ] || [ "$begin" != "$end" ] || [ "$nrec" != "$end" ]; then
			lab_fail "$series $t run complete" "boot rc=$rc begin=$begin recs=$nrec end=$end (log $log)"
			continue
		fi
		printf '%s\n' "$recs" > "$out/$t-$series.recs.jsonl"
		jq -r --arg k "$series" --arg t "$t" \
			'[$k, $t, .id, .observed_name, .verdict, (.reused|tostring), .expected_name // "-", .reason] | @tsv' \
			<<< "$recs" >> "$tsv"
		errs=$(jq -r 'select(.verdict == "error") | .id + ": " + .reason' <<< "$recs")
		[ -z "$errs" ] && lab_ok "$series $t: $nrec records, no error verdict" ||
			lab_fail "$series $t: no error verdict" "$errs"
	done
done

# ---- the real 6.1 errnos (Debian 6.1 on QEMU 7.2, notes/iommu-errno.md)
has() { # the target was part of this run
	local f
	for f in "${targets[@]}"; do [ "$(basename "$f" .json)" = "$1" ] && return 0; done
	return 1
}
if has q35-vtd; then
	expect 6.1 q35-vtd kmod.coherency.vtd_no_snoop EOPNOTSUPP
	expect 6.1 q35-vtd kmod.attach.second_domain EBUSY
	expect 6.1 q35-vtd kmod.attach.multi_device_group EINVAL
	expect 6.1 q35-vtd kmod.attach.no_group ENODEV
	expect 6.1 q35-vtd vfio.type1.two_groups_reuse OK true
	expect 6.1 q35-vtd kmod.reuse.second_device OK true
	expect 6.1 q35-vtd kmod.attach.group_multi_device OK
fi
has q35-vtd-aw39 && expect 6.1 q35-vtd-aw39 kmod.addrwidth.vtd_aw39 EFAULT
has q35-vtd-snoop && expect 6.1 q35-vtd-snoop kmod.coherency.vtd_snoop OK
has q35-vtd-nointremap && expect 6.1 q35-vtd-nointremap vfio.type1.unsafe_interrupts EPERM
if has q35-amd; then
	expect 6.1 q35-amd kmod.attach.second_domain EBUSY
	expect 6.1 q35-amd kmod.attach.multi_device_group EINVAL
	expect 6.1 q35-amd kmod.attach.no_group ENODEV
	expect 6.1 q35-amd vfio.type1.two_groups_reuse OK true
	expect 6.1 q35-amd kmod.reuse.second_device OK true
fi

# ---- map before attach (issue 14): a result on every driver, a crash is one too
for s in 6.1 6.12; do
	has q35-vtd && expect "$s" q35-vtd kmod.map.before_attach OK
	has q35-amd && expect "$s" q35-amd kmod.map.before_attach OK
done
if has q35-virtio; then
	r=$(jq -c 'select(.id == "kmod.map.before_attach")' "$out/q35-virtio-6.12.recs.jsonl" 2>/dev/null)
	if jq -e '.verdict == "crash" and .kernel_kind == "oops" and .contract_verdict == "error"
		and (.kernel_excerpt | startswith("BUG: kernel NULL pointer dereference")
		     and contains("viommu_sync_req") and contains("iommu_map") and contains("---[ end trace"))' \
		<<< "$r" > /dev/null 2>&1; then
		lab_ok "6.12 q35-virtio kmod.map.before_attach = crash (oops in viommu_sync_req, trace in the record)"
	else
		lab_fail "6.12 q35-virtio kmod.map.before_attach = crash with the oops trace" "${r:0:400}"
	fi
	# the kernel survived the oops: the cases after it still ran and are judged
	after=$(jq -rs 'map(.id) | (index("kmod.map.before_attach") // -1) as $i | if $i < 0 then -1 else length - $i - 1 end' \
		"$out/q35-virtio-6.12.recs.jsonl" 2>/dev/null)
	bad=$(jq -rs '[.[] | select(.verdict == "error")] | length' "$out/q35-virtio-6.12.recs.jsonl" 2>/dev/null)
	[ "${after:--1}" -gt 0 ] && [ "$bad" = 0 ] &&
		lab_ok "6.12 q35-virtio: $after cases ran after the oops, none errored" ||
		lab_fail "6.12 q35-virtio: cases run after the oops" "after=$after errors=$bad"
fi

# ---- real kernel faults on request (IOMMULAB_OP_FAULT, issue 14)
fault_boot() { # series kind -> $out/fault-KIND-SERIES.{log,recs.jsonl}; rig/boot's exit code
	local log=$out/fault-$2-$1.log
	nice -n 10 "$top/rig/boot" --target "$top/targets/x86_64/q35-vtd.json" --kernel "${images[$1]}" \
		--initrd "${imgs[$1]}" --log "$log" --timeout 300 \
		--append "iommulab.fault=$2 iommulab.filter=kmod.attach.*" > "$log.boot" 2>&1
	local rc=$?
	grep -a '^IOMMULAB-REC ' "$log" | sed 's/^IOMMULAB-REC //' > "$out/fault-$2-$1.recs.jsonl"
	return $rc
}
if has q35-vtd; then
	for s in 6.1 6.12; do
		[ -n "${imgs[$s]:-}" ] || continue
		fault_boot "$s" warn
		f=$out/fault-warn-$s.recs.jsonl
		if jq -se '.[0].id == "fault.warn" and .[0].verdict == "warn" and .[0].kernel_kind == "warning"
			and .[0].contract_verdict == "pass" and (.[0].kernel_excerpt | contains("WARNING: CPU:")
			and contains("lab_op_fault") and contains("---[ end trace"))
			and length > 3 and all(.[1:][]; .verdict == "pass" or .verdict == "skip")' "$f" > /dev/null; then
			lab_ok "$s fault.warn = warn with the WARN trace; the $(( $(wc -l < "$f") - 1 )) cases after it pass or skip"
		else
			lab_fail "$s fault.warn = warn, later cases pass" "$(jq -c '{id, verdict, kernel_kind, reason}' "$f" | head -5)"
		fi
		fault_boot "$s" oops
		f=$out/fault-oops-$s.recs.jsonl
		if jq -se '.[0].id == "fault.oops" and .[0].verdict == "crash" and .[0].kernel_kind == "oops"
			and (.[0].reason | startswith("kernel oops: BUG: kernel NULL pointer dereference"))
			and (.[0].kernel_excerpt | contains("lab_op_fault") and contains("---[ end trace"))
			and length > 3 and all(.[1:][]; .verdict == "pass" or .verdict == "skip")' "$f" > /dev/null; then
			lab_ok "$s fault.oops = crash with the oops; the kernel survived, the $(( $(wc -l < "$f") - 1 )) cases after it ran"
		else
			lab_fail "$s fault.oops = crash, later cases run" "$(jq -c '{id, verdict, kernel_kind, reason}' "$f" | head -5)"
		fi
	done
	if [ -n "${imgs[6.12]:-}" ]; then
		fault_boot 6.12 kpanic
		rc=$?
		log=$out/fault-kpanic-6.12.log
		last=$(grep -a '^# IOMMULAB-START ' "$log" | tail -n1 | sed 's/^# IOMMULAB-START //' | jq -r .id 2>/dev/null)
		if [ "$rc" = 3 ] && [ "$last" = fault.kpanic ] && [ ! -s "$out/fault-kpanic-6.12.recs.jsonl" ] &&
			grep -aq 'Kernel panic - not syncing: iommulab_probe: fault op: panic on request' "$log"; then
			lab_ok "6.12 fault.kpanic: the guest panics; the last in-flight line names fault.kpanic"
		else
			lab_fail "6.12 fault.kpanic" "rc=$rc last in-flight=$last (log $log)"
		fi
	fi
fi

echo "# matrix (kernel target case observed verdict reused expected) - non-skipped records:"
awk -F'\t' '$5 != "skip" {printf "#   %-5s %-20s %-34s %-11s %-5s reused=%s expected=%s\n", $1, $2, $3, $4, $5, $6, $7}' "$tsv"
lab_done
