# rig/qemu-gen.sh - which QEMU binary a generation means (sourced, not run).
#
# Sourced by rig/boot and rig/lava-qemu, the two places that start a QEMU of
# a target's generation (qemu.version): one resolution for both.
#
# qemu_gen_resolve GEN BINARY [WHO]  sets (WHO, e.g. the target file, starts
# every message)
#   qpath  the binary to run (7.2: the system's, from PATH; 10.0: inside
#          rig/setup-qemu's prefix, set up once when not ready)
#   qenv   environment words for `env` (10.0: QEMU_MODULE_DIR of the prefix;
#          11.1: IOMMULAB_TOP, the repo whose rig/sid-kbuild the wrapper runs)
#   qdirs  firmware search options (10.0: -L PREFIX/usr/share/qemu,
#          -L PREFIX/usr/share/seabios)
#   qver   the version the binary reports (--version: 7.2.19, 10.0.2), which
#          must belong to GEN
# On a problem it calls the caller's `bad MESSAGE` (usage/target errors) or
# prints why and returns 1 (the generation cannot be set up).
# qemu_gen_check=1 (a variable of the caller): a generation rig/setup-qemu
# has not set up yet is not set up now (rig/setup-qemu --check): return 1
# (rig/known-broken --no-setup, which the server runs, downloads nothing).
# Needs: the caller's $0 directory is rig/ (rig/setup-qemu beside it).
qemu_gen_resolve() {
	local gen=$1 bin=$2 who=${3:+$3: } prefix
	qenv=() qdirs=() qpath= qver=
	case "$bin" in qemu-system-*) ;; *) bad "${who}qemu binary '$bin' is not a qemu-system-* binary" ;; esac
	case "$gen" in
	7.2)
		command -v "$bin" >/dev/null || bad "${who}$bin not installed (scripts/install-deps rig)"
		qpath=$(command -v "$bin") ;;
	10.0)
		prefix=$("$(dirname "$0")/setup-qemu" ${qemu_gen_check:+--check} "$gen") ||
			{ echo "${prog:-rig}: QEMU $gen is not available (rig/setup-qemu $gen failed)" >&2; return 1; }
		qpath=$prefix/usr/bin/$bin
		[ -x "$qpath" ] || bad "${who}$bin is not part of QEMU $gen ($qpath)"
		qenv=("QEMU_MODULE_DIR=$prefix/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || echo x86_64-linux-gnu)/qemu")
		qdirs=(-L "$prefix/usr/share/qemu" -L "$prefix/usr/share/seabios") ;;
	11.1)
		# Debian unstable's QEMU in rig/sid-kbuild's root (rig/setup-qemu):
		# its own firmware, paths inside are the root's
		prefix=$("$(dirname "$0")/setup-qemu" ${qemu_gen_check:+--check} "$gen") ||
			{ echo "${prog:-rig}: QEMU $gen is not available (rig/setup-qemu $gen failed)" >&2; return 1; }
		qpath=$prefix/usr/bin/$bin
		[ -x "$qpath" ] || bad "${who}$bin is not part of QEMU $gen ($qpath)"
		qenv=("IOMMULAB_TOP=$(cd "$(dirname "$0")/.." && pwd)") ;;
	*) bad "${who}unknown qemu.version '$gen' (7.2, 10.0, 11.1)" ;;
	esac
	qver=$(env "${qenv[@]+"${qenv[@]}"}" "$qpath" --version 2>/dev/null | sed -n '1s/^QEMU emulator version \([^ ]*\).*/\1/p')
	[ -n "$qver" ] || bad "${who}$qpath --version says no version"
	case "$qver" in "$gen".*) ;; *) bad "${who}wants QEMU $gen, $qpath is $qver" ;; esac
}
