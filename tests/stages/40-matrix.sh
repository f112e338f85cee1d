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
#    observed verdict) is printed and kept in $LAB_TEST_OUT/matrix/matrix.tsv.
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
		nice -n 10 "$top/rig/boot" --target "$tf" --kernel "$image" --initrd "$img" \
			--log "$log" --timeout 300 > "$out/$t-$series.boot" 2>&1
		rc=$?
		begin=$(sed -n 's/^IOMMULAB-BEGIN //p' "$log" | jq -r .cases 2>/dev/null)
		end=$(sed -n 's/^IOMMULAB-END //p' "$log" | jq -r .records 2>/dev/null)
		recs=$(grep '^IOMMULAB-REC ' "$log" | sed 's/^IOMMULAB-REC //')
		nrec=$(grep -c . <<< "$recs")
		if [ "$rc" -ne 0 ] || [ -z "$begin" ] || [ "$begin" != "$end" ] || [ "$nrec" != "$end" ]; then
			lab_fail "$series $t run complete" "boot rc=$rc begin=$begin recs=$nrec end=$end (log $log)"
			continue
		fi
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

echo "# matrix (kernel target case observed verdict reused expected) - non-skipped records:"
awk -F'\t' '$5 != "skip" {printf "#   %-5s %-20s %-34s %-11s %-5s reused=%s expected=%s\n", $1, $2, $3, $4, $5, $6, $7}' "$tsv"
lab_done
