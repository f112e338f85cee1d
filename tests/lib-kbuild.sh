# tests/lib-kbuild.sh - what the kernel-building stages (60-kbuild,
# 65-patch, 67-nightly) share; source it after tests/lib.sh.
#   lab_kbuild_ready NAME HINT [CMD...]
#       sets patch1 (kernels/patches/0001-*.patch, the test patch); installs
#       scripts/deps/kbuild.txt when something is missing and this is root;
#       when still ccache, jq, QEMU, cpio, gzip, CMD..., linux-source-6.12,
#       busybox-static or the test patch are missing, records one SKIP
#       "NAME: missing: ... (HINT)" and ends the stage (exit 0)
#   lab_bad_series DIR
#       a two-patch series in DIR: 0001 the test patch, 0002 a patch whose
#       context is nowhere in iommu.c (it does not apply)
_lab_kbuild_missing() { # sets need
	local t
	need=
	for t in ccache jq qemu-system-x86_64 cpio gzip "$@"; do
		command -v "$t" >/dev/null || need="$need $t"
	done
	[ -f /usr/src/linux-source-6.12.tar.xz ] || need="$need linux-source-6.12"
	[ -x /bin/busybox ] || need="$need busybox-static"
	[ -n "$need" ]
}
lab_kbuild_ready() {
	local name=$1 hint=$2 need=
	shift 2
	patch1=$(ls "$top"/kernels/patches/0001-*.patch 2>/dev/null | head -1)
	# the stage installs what it needs itself (`make test` installs only
	# base, rig and server): scripts/deps/kbuild.txt, as root
	if _lab_kbuild_missing "$@" && [ "$(id -u)" = 0 ]; then
		"$top/scripts/install-deps" kbuild >"${LAB_TEST_OUT:-/tmp}/kbuild-deps.log" 2>&1 ||
			tail -5 "${LAB_TEST_OUT:-/tmp}/kbuild-deps.log"
	fi
	_lab_kbuild_missing "$@"
	[ -n "$patch1" ] || need="$need kernels/patches/0001-*.patch"
	if [ -n "$need" ]; then
		lab_skip "$name" "missing:$need ($hint)"
		lab_done
		exit 0
	fi
}

lab_bad_series() {
	mkdir -p "$1"
	cp "$patch1" "$1/0001-good.patch"
	cat >"$1/0002-bad-context.patch" <<'PATCH'
--- a/drivers/iommu/intel/iommu.c
+++ b/drivers/iommu/intel/iommu.c
@@ -1,3 +1,3 @@
-this line is not in iommu.c
+nor is this one
 neither is this
 or this
PATCH
}
