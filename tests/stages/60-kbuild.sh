#!/usr/bin/env bash
# 60-kbuild - candidate kernels built from source (kernels/build).
#
# 1. base: Debian's linux-source-6.12 + kernels/lab.config (built once, then
#    cached: a warm run takes about a second); kernel.json has the
#    fetch-debian shape with source "build"; the image's sha256 matches; every
#    fragment option is set in the built .config (checked here independently
#    of kernels/build's own check).
# 2. a directory of patches whose second patch does not apply fails with exit
#    4 and that patch's file name in the error, and leaves no kernel behind;
#    a fragment without FAULT_INJECTION fails with exit 3 naming
#    CONFIG_IOMMUFD_TEST (the dependency that did not stick).
# 3. candidate: base + kernels/patches/0001-*.patch (an mbox): built from the
#    base's objects (incremental), a different release and image, the patched
#    line is in its tree and the pristine tree still has the original.
# 4. the O= dir works as KDIR: an out-of-tree module builds against each
#    kernel with the kernel's vermagic.
# 5. each kernel boots in QEMU (TCG, q35 + intel-iommu) to /init and the
#    initramfs reports: /dev/iommu, iommufd_selftest_iommu.0 in
#    /sys/class/iommu, debugfs fail_iommufd, an edu device bound to vfio-pci
#    giving /dev/vfio/<group> and /dev/vfio/devices/vfio0, the module loads,
#    /proc/config.gz. (rig/boot is not used: this checks the kernel alone.)
# 6. through the rig (rig/mkinitramfs, rig/boot, q35-vtd, snoop-control off)
#    with the agent and iommulab_probe built against each kernel's KDIR: the
#    test patch changes exactly one observed errno,
#    kmod.coherency.vtd_no_snoop EINVAL (base) -> ENODEV (candidate).
#    Skipped with a reason when the rig, agent or target is missing.
# A cold first run builds a kernel (about 5-9 minutes on 2 cores); skipped
# with a reason when linux-source-6.12, ccache or QEMU are missing.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export CACHE=${CACHE:-$HOME/.cache/iommulab}
out=${LAB_TEST_OUT:-$top/tests/out}/60-kbuild
rm -rf "$out"
mkdir -p "$out"
build=$top/kernels/build
frag=$top/kernels/lab.config
[ "$(id -u)" -eq 0 ] && "$top/scripts/install-deps" kbuild >"$out/install-deps.log" 2>&1
. "$top/tests/lib-kbuild.sh"
lab_kbuild_ready kbuild "scripts/install-deps kbuild"

# jqf JSON FILTER: one field of a kernel.json
jqf() { jq -r "$2" "$1"; }

# fragment_check CONFIG: every fragment line holds in CONFIG; prints misses
fragment_check() {
	local cfg=$1 line sym want have rc=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*) sym=${line%%=*}; want=$line ;;
		'# CONFIG_'*' is not set') sym=${line#\# }; sym=${sym%% *}; want=n ;;
		*) continue ;;
		esac
		have=$(grep -E "^$sym=" "$cfg" || true)
		if [ "$want" = n ]; then
			[ -z "$have" ] || { echo "$sym: $have"; rc=1; }
		elif [ "$have" != "$want" ]; then
			echo "$sym: wanted ${want#*=}, got ${have:-unset}"; rc=1
		fi
	done <"$frag"
	return $rc
}

# ---- 1. base ----------------------------------------------------------
echo "# base kernel (a cold build takes minutes; cached afterwards)"
t0=$(date +%s)
base_json=$("$build" --name lab-base 2>"$out/base.err")
rc=$?
dt=$(( $(date +%s) - t0 ))
echo "# base: ${dt}s"
if [ $rc -ne 0 ] || [ ! -f "$base_json" ]; then
	lab_fail "base kernel builds" "exit $rc: $(tail -3 "$out/base.err" | tr '\n' ' ')"
	lab_done
	exit 1
fi
lab_ok "base kernel builds (${dt}s): $base_json"
jqe() { jq -e "$@" >/dev/null; }
lab_check "base kernel.json: source build, fetch-debian keys" \
	jqe '.source == "build" and (.source_ref | length == 3) and .source_ref[1] == "patches:none"
	       and (.name | length > 0) and (.release | length > 0) and (.version | length > 0)
	       and .arch == "x86_64" and (.image | length > 0) and (.headers | length > 0)
	       and (.config | length > 0) and (.sha256 | type == "object")' "$base_json"
base_img=$(jqf "$base_json" .image)
base_rel=$(jqf "$base_json" .release)
want_sha=$(jq -r --arg k "vmlinuz-$base_rel" '.sha256[$k]' "$base_json")
lab_check "base image sha256 matches kernel.json" \
	test "$(sha256sum <"$base_img" | cut -d' ' -f1)" = "$want_sha"
if miss=$(fragment_check "$(jqf "$base_json" .config)"); then
	lab_ok "every lab.config option is set in the base .config ($(grep -c '^CONFIG_' "$frag") options)"
else
	lab_fail "every lab.config option is set in the base .config" "$(echo "$miss" | tr '\n' ' ')"
fi
t0=$(date +%s)
again=$("$build" --name lab-base 2>"$out/base-again.err")
dt=$(( $(date +%s) - t0 ))
lab_check "base again: cached, same kernel.json, under 10s (${dt}s)" \
	test "$again" = "$base_json" -a "$dt" -lt 10

# ---- 2. a patch that does not apply -----------------------------------
echo "# a patch series whose second patch does not apply"
lab_bad_series "$out/badseries"
bad_hash=$("$build" --patches "$out/badseries" --hash)
"$build" --patches "$out/badseries" >"$out/bad.out" 2>"$out/bad.err"
rc=$?
lab_check "bad patch: exit 4" test $rc -eq 4
lab_check "bad patch: the error names 0002-bad-context.patch" \
	grep -q "0002-bad-context.patch.*does not apply" "$out/bad.err"
lab_check "bad patch: no kernel.json, no tree left" \
	test ! -s "$out/bad.out" -a ! -e "$CACHE/kbuild/$bad_hash/kernel.json" -a ! -e "$CACHE/kbuild/$bad_hash/src"

# ---- 2b. a fragment with a missing Kconfig dependency -----------------
echo "# a fragment without FAULT_INJECTION (IOMMUFD_TEST depends on it)"
grep -v 'FAULT_INJECTION' "$frag" >"$out/nofault.config"
nf_hash=$("$build" --config "$out/nofault.config" --hash)
"$build" --config "$out/nofault.config" >"$out/nofault.out" 2>"$out/nofault.err"
rc=$?
lab_check "missing dependency: exit 3" test $rc -eq 3
lab_check "missing dependency: CONFIG_IOMMUFD_TEST is named" \
	grep -q '^  CONFIG_IOMMUFD_TEST: wanted y, got n' "$out/nofault.err"
lab_check "missing dependency: no kernel.json" test ! -s "$out/nofault.out" -a ! -e "$CACHE/kbuild/$nf_hash/kernel.json"
rm -rf "${CACHE:?}/kbuild/$nf_hash"

# ---- 3. candidate -----------------------------------------------------
echo "# candidate: base + $(basename "$patch1")"
t0=$(date +%s)
cand_json=$("$build" --patches "$patch1" --name lab-vtd-enodev 2>"$out/cand.err")
rc=$?
dt=$(( $(date +%s) - t0 ))
if [ $rc -ne 0 ] || [ ! -f "$cand_json" ]; then
	lab_fail "candidate kernel builds" "exit $rc: $(tail -3 "$out/cand.err" | tr '\n' ' ')"
else
	lab_ok "candidate kernel builds (${dt}s): $cand_json"
	cand_rel=$(jqf "$cand_json" .release)
	lab_check "candidate: own release, own image, patches hash recorded" \
		jqe --arg b "$base_rel" \
		'.release != $b and .source_ref[1] != "patches:none" and (.patches | length == 1)' "$cand_json"
	lab_check "candidate image differs from base" \
		test "$(sha256sum <"$(jqf "$cand_json" .image)")" != "$(sha256sum <"$base_img")"
	bdir=$(jqf "$cand_json" .build_dir)
	lab_check "candidate tree has the patched errno" \
		bash -c "grep -A1 'force_snooping && !ecap_sc_support' '$bdir/src/drivers/iommu/intel/iommu.c' | grep -q -- '-ENODEV'"
	pristine=$(ls -d "$CACHE"/src/debian-6.12-* | head -1)
	lab_check "pristine tree is untouched" \
		bash -c "grep -A1 'force_snooping && !ecap_sc_support' '$pristine/drivers/iommu/intel/iommu.c' | grep -q -- '-EINVAL'"
	if grep -q "starting from the built base kernel" "$out/cand.err" 2>/dev/null ||
		grep -q "cached:" "$out/cand.err"; then
		lab_ok "candidate built incrementally from the base (or cached)"
	else
		lab_fail "candidate built incrementally from the base" "see $out/cand.err"
	fi
	if miss=$(fragment_check "$(jqf "$cand_json" .config)"); then
		lab_ok "every lab.config option is set in the candidate .config"
	else
		lab_fail "every lab.config option is set in the candidate .config" "$(echo "$miss" | tr '\n' ' ')"
	fi
fi

# ---- 4. out-of-tree module against the O= dir (KDIR) ------------------
mkdir -p "$out/mod"
cat >"$out/mod/labhello.c" <<'EOF'
// SPDX-License-Identifier: GPL-2.0
/* labhello - proves a lab kernel's O= dir works as KDIR and modules load */
#include <linux/module.h>
static int __init labhello_init(void) { pr_info("labhello: loaded\n"); return 0; }
static void __exit labhello_exit(void) { }
module_init(labhello_init);
module_exit(labhello_exit);
MODULE_LICENSE("GPL");
EOF
echo 'obj-m := labhello.o' >"$out/mod/Kbuild"
# modbuild JSON DEST: build labhello.ko against the kernel, copy it to DEST
modbuild() {
	local kdir rel
	kdir=$(jqf "$1" .headers) rel=$(jqf "$1" .release)
	make -C "$kdir" M="$out/mod" clean >/dev/null 2>&1
	make -C "$kdir" M="$out/mod" modules >"$out/mod/build-$rel.log" 2>&1 || return 1
	cp "$out/mod/labhello.ko" "$2" &&
		strings "$2" | grep -q "^vermagic=$rel "
}
kernels=(base)
[ -f "${cand_json:-}" ] && kernels+=(cand)
for k in "${kernels[@]}"; do
	j=${k}_json
	lab_check "$k: out-of-tree module builds against headers (KDIR) with its vermagic" \
		modbuild "${!j}" "$out/labhello-$k.ko"
done

# ---- 5. boot ----------------------------------------------------------
# an initramfs with busybox and a probe /init; one per kernel (the module)
mkinit() { # mkinit KO DEST
	local r=$out/initrd.$$
	rm -rf "$r"
	mkdir -p "$r/bin" "$r/proc" "$r/sys" "$r/dev"
	cp /bin/busybox "$r/bin/busybox"
	[ -f "$1" ] && cp "$1" "$r/labhello.ko"
	cat >"$r/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
echo "LAB: init reached $(uname -r)"
for p in /dev/iommu /dev/vfio/vfio; do
	[ -e "$p" ] && echo "LAB: present $p" || echo "LAB: absent $p"
done
for i in /sys/class/iommu/*; do echo "LAB: iommu $(basename "$i")"; done
[ -e /sys/kernel/debug/fail_iommufd ] && echo "LAB: present debugfs fail_iommufd"
# bind QEMU's edu device (1234:11e8) to vfio-pci: group node and device cdev
echo "1234 11e8" > /sys/bus/pci/drivers/vfio-pci/new_id 2>/dev/null
sleep 1
for d in /dev/vfio/* /dev/vfio/devices/*; do [ -c "$d" ] && echo "LAB: vfio $d"; done
[ -e /proc/config.gz ] && echo "LAB: config.gz IOMMUFD_TEST=$(zcat /proc/config.gz | grep -c '^CONFIG_IOMMUFD_TEST=y')"
[ -f /labhello.ko ] && insmod /labhello.ko && echo "LAB: insmod ok"
echo "LAB: done"
poweroff -f
EOF
	chmod +x "$r/init"
	(cd "$r" && find . | cpio -o -H newc --quiet | gzip -1) >"$2"
	rm -rf "$r"
}
for k in "${kernels[@]}"; do
	j=${k}_json
	json=${!j}
	mkinit "$out/labhello-$k.ko" "$out/initrd-$k.gz"
	log=$out/boot-$k.log
	t0=$(date +%s)
	timeout 180 qemu-system-x86_64 -accel tcg -cpu max -m 512 -smp 1 \
		-machine q35,kernel-irqchip=split -nodefaults -display none -no-reboot \
		-device intel-iommu,intremap=on,caching-mode=on -device edu \
		-serial "file:$log" -kernel "$(jqf "$json" .image)" -initrd "$out/initrd-$k.gz" \
		-append "console=ttyS0 panic=-1 intel_iommu=on" >"$out/qemu-$k.out" 2>&1
	rc=$?
	dt=$(( $(date +%s) - t0 ))
	echo "# $k boot: ${dt}s (qemu exit $rc)"
	lab_check "$k boots to /init and powers off (${dt}s)" \
		bash -c "grep -q 'LAB: init reached $(jqf "$json" .release)' '$log' && grep -q 'LAB: done' '$log'"
	lab_check "$k: /dev/iommu present" grep -q 'LAB: present /dev/iommu' "$log"
	lab_check "$k: iommufd_selftest_iommu.0 in /sys/class/iommu" grep -q 'LAB: iommu iommufd_selftest_iommu.0' "$log"
	lab_check "$k: intel-iommu unit in /sys/class/iommu (dmar0)" grep -q 'LAB: iommu dmar0' "$log"
	lab_check "$k: debugfs fail_iommufd" grep -q 'LAB: present debugfs fail_iommufd' "$log"
	lab_check "$k: /dev/vfio/vfio (type1 container)" grep -q 'LAB: present /dev/vfio/vfio' "$log"
	lab_check "$k: edu bound to vfio-pci: /dev/vfio/devices/vfio0" grep -q 'LAB: vfio /dev/vfio/devices/vfio0' "$log"
	lab_check "$k: /proc/config.gz has IOMMUFD_TEST" grep -q 'LAB: config.gz IOMMUFD_TEST=1' "$log"
	lab_check "$k: out-of-tree module loads" grep -q 'LAB: insmod ok' "$log"
done

# ---- 6. base vs candidate through the rig and the agent ---------------
# The test patch must change exactly one observed errno on q35-vtd
# (snoop-control off): kmod.coherency.vtd_no_snoop EINVAL -> ENODEV.
target=$top/targets/x86_64/q35-vtd.json
why=
[ -f "${cand_json:-}" ] || why="no candidate kernel"
for f in "$top/rig/boot" "$top/rig/mkinitramfs" "$target" "$top/kmods/iommulab_probe/Kbuild"; do
	[ -e "$f" ] || why="${why:+$why, }missing $f"
done
if [ -z "$why" ]; then
	make -s -C "$top/agent" >"$out/agent-build.log" 2>&1 || why="the agent does not build (see $out/agent-build.log)"
	agent=${O:-$top/build}/agent/iommulab-agent
	[ -n "$why" ] || [ -x "$agent" ] || why="no agent binary at $agent"
fi
# agent_run K: kmod against K's headers, rig initramfs, boot q35-vtd; prints
# "id observed_name" per record into $out/agent-K.txt
agent_run() {
	local k=$1 j=${1}_json kd m img
	kd=$(jqf "${!j}" .dir) m=$out/kmod-$k
	mkdir -p "$m/iommulab_probe" "$m/uapi"
	cp "$top"/kmods/iommulab_probe/Kbuild "$top"/kmods/iommulab_probe/*.[ch] "$m/iommulab_probe/" &&
		cp "$top/kmods/uapi/iommulab_probe.h" "$m/uapi/" || return 1
	make -C "$kd/headers" M="$m/iommulab_probe" modules >"$m/build.log" 2>&1 || return 1
	img=$("$top/rig/mkinitramfs" --kernel "$kd" --agent "$agent" \
		--kmod "$m/iommulab_probe/iommulab_probe.ko" 2>"$out/mkinitramfs-$k.log") || return 1
	"$top/rig/boot" --target "$target" --kernel "$kd/vmlinuz" --initrd "$img" \
		--log "$out/agent-$k.log" --timeout 240 >>"$out/agent-boot.log" 2>&1 || return 1
	sed -n 's/^IOMMULAB-REC //p' "$out/agent-$k.log" |
		jq -r '.id + " " + .observed_name' | LC_ALL=C sort >"$out/agent-$k.txt"
	[ -s "$out/agent-$k.txt" ]
}
if [ -n "$why" ]; then
	lab_skip "base vs candidate on q35-vtd" "$why"
else
	for k in base cand; do
		lab_check "$k: rig boots q35-vtd, the agent reports records" agent_run "$k"
	done
	lab_check "base: kmod.coherency.vtd_no_snoop is EINVAL" \
		grep -qx 'kmod.coherency.vtd_no_snoop EINVAL' "$out/agent-base.txt"
	lab_check "candidate: kmod.coherency.vtd_no_snoop is ENODEV" \
		grep -qx 'kmod.coherency.vtd_no_snoop ENODEV' "$out/agent-cand.txt"
	diff "$out/agent-base.txt" "$out/agent-cand.txt" >"$out/agent-diff.txt"
	lab_check "base vs candidate: that is the only errno that changed" \
		test "$(grep -c '^[<>]' "$out/agent-diff.txt")" -eq 2
	lab_check "iommufd cases ran on the built kernel (iommufd.* records)" \
		grep -q '^iommufd\.' "$out/agent-base.txt"
fi
lab_done
