#!/usr/bin/env bash
# 45-matrix-foreign: the catalogue on real Debian arm64 and s390x kernels in
# QEMU (TCG), cross-built from this host.
# Boots (through rig/matrix, i.e. fetch-debian, kmods and agent cross builds,
# rig/mkinitramfs, rig/boot):
#   arm64 6.1   virt-smmuv3 (GICv2) and virt-smmuv3-its (GICv3 + ITS)
#   arm64 6.12  virt-smmuv3-its
#   s390x 6.1   s390-zpci   (Debian's 6.1 s390x has no VFIO: VFIO cases SKIP)
#   s390x 6.12  s390-zpci   (bookworm-backports, added by rig/setup-foreign)
# and asserts: every run finished (BEGIN, as many REC lines as announced, END,
# no `error` verdict) and the errnos the drivers really return (measured on
# QEMU 7.2): EBUSY second domain / same domain twice, EINVAL multi-device
# group, ENODEV no group, EPERM type1 without MSI isolation (GICv2m), no
# allow_unsafe_interrupts needed where MSIs are isolated (ITS, zPCI), kmod and VFIO
# type1 domain reuse across two groups (reused=true).
# Prints the wall/kernel/agent time of every boot; artifacts in
# $LAB_TEST_OUT/matrix-foreign/. A host not prepared yet (foreign dpkg arches,
# bookworm-backports, QEMU, cross gcc) is prepared with rig/setup-foreign when
# the stage runs as root; otherwise the stage SKIPs with that reason.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
out=${LAB_TEST_OUT:-$top/tests/out}/matrix-foreign
mkdir -p "$out"
export CACHE=${CACHE:-$HOME/.cache/iommulab} O=${O:-$top/build}
tsv=$out/matrix.tsv
: > "$tsv"

if ! why=$("$top/rig/setup-foreign" --check 2>&1); then
	if [ "$(id -u)" != 0 ]; then
		lab_skip "matrix-foreign" "host not prepared for arm64/s390x ($why); run rig/setup-foreign as root"
		lab_done
		exit
	fi
	# root: prepare it (dpkg arches, bookworm-backports, QEMU, cross gcc)
	if ! "$top/rig/setup-foreign" > "$out/setup-foreign.log" 2>&1; then
		lab_fail "rig/setup-foreign" "see $out/setup-foreign.log"
		lab_done
		exit
	fi
	lab_ok "rig/setup-foreign prepared the host"
fi

# run ARCH SERIES TARGET...: one rig/matrix run; its records go to $tsv
run() {
	local arch=$1 series=$2 t log recs begin end nrec rel args=()
	shift 2
	for t in "$@"; do args+=(--target "$t"); done
	local mout=$out/$arch-$series
	rm -rf "$mout"
	nice -n 10 "$top/rig/matrix" --kernel "$series" --arch "$arch" --out "$mout" --timeout 240 \
		"${args[@]}" > "$out/$arch-$series.txt" 2> "$out/$arch-$series.err"
	rel=$(sed -n 's/^==== matrix \([^ ]*\) .*/\1/p' "$out/$arch-$series.txt")
	if [ -z "$rel" ]; then
		lab_fail "$arch $series matrix" "no summary (see $out/$arch-$series.err)"
		return
	fi
	# the per-target time lines of the summary
	sed -n '/^TARGET /,$p' "$out/$arch-$series.txt" | sed "s/^/# $arch $series: /"
	for t in "$@"; do
		log=$mout/$t.log
		begin=$(tr -d '\r' < "$log" | sed -n 's/^IOMMULAB-BEGIN //p' | jq -r .cases 2>/dev/null)
		end=$(tr -d '\r' < "$log" | sed -n 's/^IOMMULAB-END //p' | jq -r .records 2>/dev/null)
		recs=$(tr -d '\r' < "$log" | grep -a '^IOMMULAB-REC ' | sed 's/^IOMMULAB-REC //')
		nrec=$(grep -c . <<< "$recs")
		if [ -z "$begin" ] || [ "$begin" != "$end" ] || [ "$nrec" != "$end" ]; then
			lab_fail "$arch $series $t run complete" "begin=$begin recs=$nrec end=$end (log $log)"
			continue
		fi
		jq -r --arg a "$arch" --arg k "$series" --arg t "$t" \
			'[$a, $k, $t, .id, .observed_name, .verdict, (.reused|tostring), .reason, .driver] | @tsv' \
			<<< "$recs" >> "$tsv"
		errs=$(jq -r 'select(.verdict == "error") | .id + ": " + .reason' <<< "$recs")
		[ -z "$errs" ] && lab_ok "$arch $series $t: $nrec records, no error verdict" ||
			lab_fail "$arch $series $t: no error verdict" "$errs"
	done
}

# expect ARCH SERIES TARGET CASE ERRNAME [reused]
expect() {
	local a=$1 k=$2 t=$3 id=$4 want=$5 reused=${6:-} line name
	name="$a $k $t $id = $want${reused:+ reused=$reused}"
	line=$(awk -F'\t' -v a="$a" -v k="$k" -v t="$t" -v id="$id" \
		'$1 == a && $2 == k && $3 == t && $4 == id' "$tsv")
	if [ -z "$line" ]; then lab_fail "$name" "no record"; return; fi
	if [ "$(cut -f6 <<< "$line")" = skip ]; then lab_fail "$name" "skipped: $(cut -f8 <<< "$line")"; return; fi
	if [ "$(cut -f5 <<< "$line")" != "$want" ]; then lab_fail "$name" "got $(cut -f5 <<< "$line")"; return; fi
	if [ -n "$reused" ] && [ "$(cut -f7 <<< "$line")" != "$reused" ]; then
		lab_fail "$name" "reused=$(cut -f7 <<< "$line")"; return
	fi
	if [ "$(cut -f6 <<< "$line")" != pass ]; then
		lab_fail "$name" "verdict $(cut -f6 <<< "$line"): $(cut -f8 <<< "$line")"; return
	fi
	lab_ok "$name (pass, driver $(cut -f9 <<< "$line"))"
}
# expect_skip ARCH SERIES TARGET CASE REASON-SUBSTRING [WHY]: a SKIP the target must give
expect_skip() {
	local a=$1 k=$2 t=$3 id=$4 sub=$5 why=${6:-} line
	line=$(awk -F'\t' -v a="$a" -v k="$k" -v t="$t" -v id="$id" \
		'$1 == a && $2 == k && $3 == t && $4 == id' "$tsv")
	if [ -n "$line" ] && [ "$(cut -f6 <<< "$line")" = skip ] && grep -qF "$sub" <<< "$(cut -f8 <<< "$line")"; then
		lab_skip "$a $k $t $id" "${why:+$why; }agent: $(cut -f8 <<< "$line")"
	else
		lab_fail "$a $k $t $id skips ($sub)" "got: ${line:-no record}"
	fi
}

t0=$(date +%s)
run arm64 6.1 virt-smmuv3 virt-smmuv3-its
run arm64 6.12 virt-smmuv3-its
run s390x 6.1 s390-zpci
run s390x 6.12 s390-zpci

expect arm64 6.1 virt-smmuv3 kmod.attach.second_domain EBUSY
expect arm64 6.1 virt-smmuv3 kmod.attach.multi_device_group EINVAL
expect arm64 6.1 virt-smmuv3 kmod.attach.no_group ENODEV
expect arm64 6.1 virt-smmuv3 kmod.reuse.second_device OK true
expect arm64 6.1 virt-smmuv3 vfio.type1.unsafe_interrupts EPERM
expect arm64 6.1 virt-smmuv3-its vfio.type1.two_groups_reuse OK true
expect arm64 6.12 virt-smmuv3-its kmod.attach.second_domain EBUSY
expect arm64 6.12 virt-smmuv3-its kmod.reuse.second_device OK true
expect arm64 6.12 virt-smmuv3-its vfio.type1.two_groups_reuse OK true
expect s390x 6.1 s390-zpci kmod.attach.second_domain EBUSY
expect s390x 6.1 s390-zpci kmod.attach.same_domain_twice EBUSY
expect s390x 6.1 s390-zpci kmod.reuse.second_device OK true
s390_61_config=$CACHE/kernels/$(sed -n 's/^==== matrix \([^ ]*\) .*/\1/p' "$out/s390x-6.1.txt")/config
if grep -q '^CONFIG_VFIO=[ym]' "$s390_61_config" 2>/dev/null; then
	lab_fail "s390x 6.1 has no VFIO" "$s390_61_config enables VFIO: assert the VFIO cases here"
else
	expect_skip s390x 6.1 s390-zpci vfio.type1.two_groups_reuse "no /dev/vfio/vfio" \
		"Debian's 6.1 s390x kernel has no VFIO (CONFIG_VFIO not set)"
fi
expect s390x 6.12 s390-zpci kmod.attach.second_domain EBUSY
expect s390x 6.12 s390-zpci kmod.reuse.second_device OK true
expect s390x 6.12 s390-zpci vfio.type1.two_groups_reuse OK true
# MSI isolation as the kernel decides it (agent/env.c): ITS and zPCI isolate
# MSIs, so these targets run without allow_unsafe_interrupts, type1 accepts
# the groups above, and the EPERM case has nothing to show there
expect_skip arm64 6.1 virt-smmuv3-its vfio.type1.unsafe_interrupts "MSIs are isolated" \
	"GICv3 ITS: every MSI domain remaps (6.1 irq_domain_check_msi_remap)"
expect_skip arm64 6.12 virt-smmuv3-its vfio.type1.unsafe_interrupts "MSIs are isolated" \
	"GICv3 ITS: IRQ_DOMAIN_FLAG_ISOLATED_MSI"
expect_skip s390x 6.12 s390-zpci vfio.type1.unsafe_interrupts "MSIs are isolated" \
	"s390: arch_is_isolated_msi()"

echo "# matrix (arch kernel target case observed verdict reused) - non-skipped records:"
awk -F'\t' '$6 != "skip" {printf "#   %-5s %-5s %-16s %-34s %-7s %-5s reused=%s\n", $1, $2, $3, $4, $5, $6, $7}' "$tsv"
echo "# stage time $(( $(date +%s) - t0 )) s"
lab_done
