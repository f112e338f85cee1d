#!/usr/bin/env bash
# 40-matrix: the agent's catalogue on real Debian kernels in QEMU (TCG).
# Boots Debian 6.1 and 6.12 on every x86_64 target (targets/x86_64/*.json;
# LAB_MATRIX_TARGETS="q35-vtd q35-amd" narrows it) through the rig
# (kernels/fetch-debian, kmods, rig/mkinitramfs, rig/boot) and
#  - asserts every run finished: BEGIN, as many REC lines as announced, END;
#  - compares the WHOLE matrix of every run with its expectation file,
#    tests/expect/x86_64/SERIES/TARGET (tests/expect/README.md): every case's
#    observed errno, verdict, reused, verified and each step's errno. Any
#    difference fails the target, and so does a case the file does not list
#    (new) or a case the run did not report (missing); a known kernel bug is
#    in the file as the failing result it is, naming its finding;
#  - a target the kernel cannot boot (its `requires` are not in the kernel's
#    config) is skipped with that reason and must have no expectation file;
#  - before booting: the files are well-formed and honest (tests/expect/lint)
#    and README's errno tables agree with them (tests/expect/table --check);
#  - after booting: the mutation check (tests/expect/mutate) changes one
#    expected errno, deletes and adds a case in copies of a file this run
#    matched, and asserts the comparison refuses each.
# Prints how many cells (target x case) were compared per series; each
# comparison is kept in $LAB_TEST_OUT/matrix/TARGET-SERIES.check.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
out=${LAB_TEST_OUT:-$top/tests/out}/matrix
mkdir -p "$out"
export CACHE=${CACHE:-$HOME/.cache/iommulab} O=${O:-$top/build}
exp=$top/tests/expect
declare -A cells=() ntargets=()

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

# the expectation data itself, before any guest boots
if "$exp/lint" > "$out/lint.log" 2>&1; then
	lab_ok "tests/expect/lint: $(tail -1 "$out/lint.log" | sed 's/^tests\/expect\/lint: //')"
else
	lab_fail "tests/expect/lint" "$(grep -v '^tests/expect/lint: [0-9]* files' "$out/lint.log" | head -5 | tr '\n' ';')"
fi
if "$exp/table" --check > "$out/table.log" 2>&1; then
	lab_ok "README's errno tables agree with tests/expect/ (tests/expect/table --check)"
else
	sed 's/^/# /' "$out/table.log" | head -40
	lab_fail "README's errno tables agree with tests/expect/" "see $out/table.log"
fi

targets=()
if [ -n "${LAB_MATRIX_TARGETS:-}" ]; then
	for t in $LAB_MATRIX_TARGETS; do targets+=("$top/targets/x86_64/$t.json"); done
else
	for f in "$top"/targets/x86_64/*.json; do targets+=("$f"); done
fi

# compare SERIES TARGET LOG: the whole run against its expectation file
compare() {
	local series=$1 t=$2 log=$3 f=$exp/x86_64/$1/$2 res n
	"$exp/check" "$f" "$log" > "$out/$t-$series.check" 2>&1
	res=$?
	n=$(sed -n 's/.*: \([0-9]*\) cells, .*/\1/p' "$out/$t-$series.check")
	if [ "$res" = 0 ]; then
		cells[$series]=$(( ${cells[$series]:-0} + n )) ntargets[$series]=$(( ${ntargets[$series]:-0} + 1 ))
		lab_ok "$series $t: all $n cells match tests/expect/x86_64/$series/$t"
	else
		grep -v '^  ok ' "$out/$t-$series.check" | sed 's/^/# /'
		lab_fail "$series $t: the run matches tests/expect/x86_64/$series/$t" \
			"$(tail -1 "$out/$t-$series.check") (see $out/$t-$series.check)"
	fi
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
			if [ -e "$exp/x86_64/$series/$t" ]; then
				lab_fail "$series $t" "kernel $rel lacks$missing, but tests/expect/x86_64/$series/$t expects a run"
			else
				lab_skip "$series $t" "kernel $rel lacks$missing (no expectation file either)"
			fi
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
		lab_ok "$series $t: run complete, $nrec records"
		compare "$series" "$t" "$log"
	done
done

# tests/expect/x86_64/ holds only series this stage boots (lint checked that
# every file names a real target; each booted target was compared above, each
# skipped one was required to have no file)
for d in "$exp"/x86_64/*/; do
	case "$(basename "$d")" in
	6.1|6.12) ;;
	*) lab_fail "tests/expect/x86_64/$(basename "$d")/" "a series this stage does not boot: never checked" ;;
	esac
done

# the mutation check: the comparison must refuse a changed expectation
if [ -f "$out/q35-vtd-6.12.check" ] && grep -q ' 0 differ$' "$out/q35-vtd-6.12.check"; then
	mlog=$out/q35-vtd-6.12.log mfile=$exp/x86_64/6.12/q35-vtd
else
	mlog=$(grep -l ' 0 differ$' "$out"/*.check 2>/dev/null | head -1)
	mfile=$(sed -n 's/: [0-9]* cells.*//p' "$mlog" 2>/dev/null)
	mlog=${mlog%.check}.log
fi
if [ -f "${mfile:-}" ] && [ -f "$mlog" ]; then
	"$exp/mutate" "$mfile" "$mlog" > "$out/mutate.log" 2>&1
	mrc=$?
	sed 's/^/# /' "$out/mutate.log"
	[ "$mrc" = 0 ] && lab_ok "mutation check: a changed errno, a new and a missing case are each refused ($(basename "$mlog"))" ||
		lab_fail "mutation check: every mutant refused" "see $out/mutate.log"
else
	lab_fail "mutation check" "no run matched its expectation file: nothing to mutate"
fi

for series in 6.1 6.12; do
	echo "# cells checked x86_64 $series: ${cells[$series]:-0} (${ntargets[$series]:-0} targets)"
done
lab_done
