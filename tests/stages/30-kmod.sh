#!/usr/bin/env bash
# tests/stages/30-kmod.sh - the iommulab_probe module against real Debian kernels.
#
# 1. the module builds against the 6.1 and the 6.12 Debian kernels, and the
#    build feature-detects the allocation API (6.1: iommu_domain_alloc(bus)
#    only; 6.12: iommu_paging_domain_alloc too);
# 2. in a real guest (QEMU TCG, rig/boot) the module loads, its ABI rejects
#    bad input with the documented errnos, alloc/attach/map/DMA-check/detach
#    work on an edu device, closing a file with domains still attached
#    releases everything, and unloading leaves no BUG/WARNING in dmesg: all
#    checked by kmods/tests/probe-abi-test inside the guest, whose KTAP lines
#    become this stage's checks. Boots: 6.1 on q35-vtd, 6.12 on q35-vtd and
#    q35-virtio (a second IOMMU driver).
# Artifacts (console logs) go to $LAB_TEST_OUT/30-kmod/.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export CACHE=${CACHE:-$HOME/.cache/iommulab}
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/30-kmod
mkdir -p "$out"

# rig interfaces: bad input is refused with exit 2, a timeout kills QEMU
rc=0; "$top/kernels/fetch-debian" --kernel 9.99 >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] && lab_ok rig.fetch.unknown_kernel || lab_fail rig.fetch.unknown_kernel "exit $rc, want 2"
rc=0; "$top/rig/boot" --target /nonexistent.json --kernel /dev/null --initrd /dev/null \
	--log "$out/x.log" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] && lab_ok rig.boot.bad_target || lab_fail rig.boot.bad_target "exit $rc, want 2"

# features bits the module must report per series (uapi IOMMULAB_FEAT_*)
declare -A want_feat=([6.1]=0x6 [6.12]=0x7)
declare -A boots=([6.1]="q35-vtd" [6.12]="q35-vtd q35-virtio")

if ! make -s -C "$top/kmods" tests > "$out/abi-test-build.log" 2>&1; then
	lab_fail kmod.abi_test.build "see $out/abi-test-build.log"
	lab_done; exit
fi
lab_ok kmod.abi_test.build
abitest=$O/kmods/probe-abi-test

for series in 6.1 6.12; do
	if ! rel=$("$top/kernels/fetch-debian" --kernel "$series" 2>"$out/fetch-$series.log"); then
		lab_fail "kmod.$series.fetch" "see $out/fetch-$series.log"
		continue
	fi
	if ! make -s -C "$top/kmods" module KERNEL="$rel" > "$out/build-$series.log" 2>&1; then
		lab_fail "kmod.$series.build" "see $out/build-$series.log"
		continue
	fi
	ko=$CACHE/kmods/$rel/iommulab_probe.ko
	if [ "$(modinfo -F vermagic "$ko" | cut -d' ' -f1)" = "$rel" ]; then
		lab_ok "kmod.$series.build"
	else
		lab_fail "kmod.$series.build" "vermagic of $ko is not $rel"
		continue
	fi
	if ! command -v qemu-system-x86_64 >/dev/null; then
		lab_skip "kmod.$series.guest" "qemu-system-x86_64 not installed (scripts/install-deps rig)"
		continue
	fi
	if ! img=$("$top/rig/mkinitramfs" --kernel "$rel" --agent "$abitest" --kmod "$ko" 2>"$out/initramfs-$series.log"); then
		lab_fail "kmod.$series.initramfs" "see $out/initramfs-$series.log"
		continue
	fi
	kimg=$(jq -r '.vmlinux // ""' "$CACHE/kernels/$rel/kernel.json")
	[ -f "$kimg" ] || kimg=$CACHE/kernels/$rel/vmlinuz
	if [ "$series" = 6.1 ]; then
		# a 1 s limit cannot finish a boot: exit 124 and no QEMU left behind
		tlog=$out/timeout.log
		rc=0; "$top/rig/boot" --target "$top/targets/x86_64/q35-vtd.json" --kernel "$kimg" \
			--initrd "$img" --log "$tlog" --timeout 1 >/dev/null 2>&1 || rc=$?
		sleep 0.5
		if [ "$rc" != 124 ]; then lab_fail rig.boot.timeout "exit $rc, want 124"
		elif pgrep -f -- "file:$tlog" >/dev/null; then lab_fail rig.boot.timeout "QEMU still running"
		else lab_ok rig.boot.timeout; fi
	fi
	for t in ${boots[$series]}; do
		name=kmod.$series.$t
		log=$out/$series-$t.log
		line=$(nice -n 10 "$top/rig/boot" --target "$top/targets/x86_64/$t.json" --kernel "$kimg" \
			--initrd "$img" --log "$log" --timeout 120 2>>"$out/$series-$t.stderr")
		rc=$?
		echo "# $line"
		if [ "$rc" != 0 ]; then
			lab_fail "$name.boot" "rig/boot exit $rc, see $log"
			continue
		fi
		if ! grep -aq '^# probe-abi-test: ' "$log"; then
			lab_fail "$name.complete" "the in-guest test did not finish, see $log"
			continue
		fi
		feat=$(sed -n 's/^# module: abi [0-9]* features \(0x[0-9a-f]*\) .*/\1/p' "$log" | head -n1)
		if [ "$feat" = "${want_feat[$series]}" ]; then lab_ok "$name.features"
		else lab_fail "$name.features" "module reports '$feat', want ${want_feat[$series]}"; fi
		while IFS= read -r l; do
			case "$l" in
			"not ok "*) n=${l#not ok }; n=${n#* }; lab_fail "$name.${n%% # *}" "${n#* # }" ;;
			"ok "*"# SKIP "*) n=${l#ok }; n=${n#* }; lab_skip "$name.${n%% # *}" "${n#* # SKIP }" ;;
			"ok "*) n=${l#ok }; n=${n#* }; lab_ok "$name.$n" ;;
			esac
		done < <(grep -a -E '^(ok|not ok) [0-9]+ ' "$log")
	done
done
lab_done
