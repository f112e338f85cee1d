#!/usr/bin/env bash
# 45-matrix-foreign: the catalogue on real Debian arm64 and s390x kernels in
# QEMU (TCG), cross-built from this host.
# Boots every target of each arch (targets/arm64/*.json, targets/s390x/*.json)
# on Debian 6.1 and 6.12 through rig/matrix (fetch-debian, kmods and agent
# cross builds, rig/mkinitramfs, rig/boot):
#   arm64  virt-smmuv3 (GICv2), virt-smmuv3-its (GICv3 + ITS)
#   s390x  s390-zpci (6.12 from bookworm-backports, added by rig/setup-foreign;
#          Debian's 6.1 s390x has no VFIO: its VFIO cases are skips)
# and asserts: every run finished (BEGIN, as many REC lines as announced,
# END), and the WHOLE matrix of every run is what its expectation file
# tests/expect/ARCH/SERIES/TARGET says, cell by cell (tests/expect/README.md):
# each case's observed errno, verdict, reused, verified and step errnos; a
# new or a missing case fails too. A target a kernel cannot boot (rig/matrix
# skips it: `requires`) must have no file. The expectation files are linted
# first, and the mutation check (tests/expect/mutate) runs on one foreign
# file this run matched. Prints the cells compared per arch and series and
# the wall/kernel/agent time of every boot; artifacts in
# $LAB_TEST_OUT/matrix-foreign/. A host not prepared yet (foreign dpkg arches,
# bookworm-backports, QEMU, cross gcc) is prepared with rig/setup-foreign when
# the stage runs as root; otherwise the stage SKIPs with that reason.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
out=${LAB_TEST_OUT:-$top/tests/out}/matrix-foreign
mkdir -p "$out"
export CACHE=${CACHE:-$HOME/.cache/iommulab} O=${O:-$top/build}
exp=$top/tests/expect
declare -A cells=() ntargets=()

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

if "$exp/lint" > "$out/lint.log" 2>&1; then
	lab_ok "tests/expect/lint: $(tail -1 "$out/lint.log" | sed 's/^tests\/expect\/lint: //')"
else
	lab_fail "tests/expect/lint" "$(grep -v '^tests/expect/lint: [0-9]* files' "$out/lint.log" | head -5 | tr '\n' ';')"
fi

# compare ARCH SERIES TARGET LOG: the whole run against its expectation file
compare() {
	local a=$1 k=$2 t=$3 log=$4 chk=$out/$1-$2/$3.check res n
	"$exp/check" "$exp/$a/$k/$t" "$log" > "$chk" 2>&1
	res=$?
	n=$(sed -n 's/.*: \([0-9]*\) cells, .*/\1/p' "$chk")
	if [ "$res" = 0 ]; then
		cells[$a $k]=$(( ${cells[$a $k]:-0} + n )) ntargets[$a $k]=$(( ${ntargets[$a $k]:-0} + 1 ))
		lab_ok "$a $k $t: all $n cells match tests/expect/$a/$k/$t"
	else
		grep -v '^  ok ' "$chk" | sed 's/^/# /'
		lab_fail "$a $k $t: the run matches tests/expect/$a/$k/$t" "$(tail -1 "$chk") (see $chk)"
	fi
}

# run ARCH SERIES: rig/matrix on every target of ARCH; each run compared
run() {
	local arch=$1 series=$2 t tf log begin end nrec rel
	local mout=$out/$arch-$series
	rm -rf "$mout"
	nice -n 10 "$top/rig/matrix" --kernel "$series" --arch "$arch" --out "$mout" --timeout 240 \
		> "$out/$arch-$series.txt" 2> "$out/$arch-$series.err"
	rel=$(sed -n 's/^==== matrix \([^ ]*\) .*/\1/p' "$out/$arch-$series.txt")
	if [ -z "$rel" ]; then
		lab_fail "$arch $series matrix" "no summary (see $out/$arch-$series.err)"
		return
	fi
	# the per-target time lines of the summary
	sed -n '/^TARGET /,$p' "$out/$arch-$series.txt" | sed "s/^/# $arch $series: /"
	for tf in "$top"/targets/"$arch"/*.json; do
		t=$(basename "$tf" .json)
		# opt-in targets (QEMU 10.0) run in 47-matrix-qemu10, not here
		jq -e '(.tags // []) | index("opt-in")' "$tf" >/dev/null 2>&1 && continue
		log=$mout/$t.log
		if grep -q "^rig/matrix: skip $t: " "$out/$arch-$series.err"; then
			if [ -e "$exp/$arch/$series/$t" ]; then
				lab_fail "$arch $series $t" "not booted ($(sed -n "s/^rig\/matrix: skip $t: //p" "$out/$arch-$series.err")), but tests/expect/$arch/$series/$t expects a run"
			else
				lab_skip "$arch $series $t" "$(sed -n "s/^rig\/matrix: skip $t: //p" "$out/$arch-$series.err") (no expectation file either)"
			fi
			continue
		fi
		begin=$(tr -d '\r' < "$log" | sed -n 's/^IOMMULAB-BEGIN //p' | jq -r .cases 2>/dev/null)
		end=$(tr -d '\r' < "$log" | sed -n 's/^IOMMULAB-END //p' | jq -r .records 2>/dev/null)
		nrec=$(tr -d '\r' < "$log" | grep -a -c '^IOMMULAB-REC ')
		if [ -z "$begin" ] || [ "$begin" != "$end" ] || [ "$nrec" != "$end" ]; then
			lab_fail "$arch $series $t run complete" "begin=$begin recs=$nrec end=$end (log $log)"
			continue
		fi
		lab_ok "$arch $series $t: run complete, $nrec records"
		compare "$arch" "$series" "$t" "$log"
	done
}

t0=$(date +%s)
for arch in arm64 s390x; do
	for series in 6.1 6.12; do
		run "$arch" "$series"
	done
	# tests/expect/ARCH/ holds only the series booted here
	for d in "$exp/$arch"/*/; do
		case "$(basename "$d")" in
		6.1|6.12) ;;
		*) lab_fail "tests/expect/$arch/$(basename "$d")/" "a series this stage does not boot: never checked" ;;
		esac
	done
done

# the mutation check on a foreign file this run matched
mchk=$(grep -l ' 0 differ$' "$out"/*/*.check 2>/dev/null | head -1)
if [ -n "$mchk" ]; then
	mfile=$(sed -n 's/: [0-9]* cells.*//p' "$mchk")
	"$top/tests/mutation-check" --expect "$mfile" "${mchk%.check}.log" > "$out/mutate.log" 2>&1
	mrc=$?
	sed 's/^/# /' "$out/mutate.log"
	[ "$mrc" = 0 ] && lab_ok "mutation check: a changed errno, a new and a missing case are each refused (${mfile#"$top"/})" ||
		lab_fail "mutation check: every mutant refused" "see $out/mutate.log"
else
	lab_fail "mutation check" "no run matched its expectation file: nothing to mutate"
fi

# the server judges (issue 15.2): every finished run of this stage, POSTed as
# printed to a private iommulabd with the agent's catalogue, must be accepted:
# the server computes every verdict the agent claimed
jlogs=()
for l in "$out"/*/*.log; do grep -q '^IOMMULAB-END' "$l" 2>/dev/null && jlogs+=("$l"); done
if [ ${#jlogs[@]} -gt 0 ]; then
	nice -n 10 make -s -C "$top/server" -j2 >/dev/null 2>&1 && nice -n 10 make -s -C "$top/agent" >/dev/null 2>&1
	python3 "$top/tests/mutate-ingest.py" --accept "${jlogs[@]}" > "$out/judge.log" 2>&1
	jrc=$?
	sed 's/^/# /' "$out/judge.log"
	[ "$jrc" = 0 ] && lab_ok "the server computes every verdict of ${#jlogs[@]} runs as the agent did" ||
		lab_fail "the server computes every verdict as the agent did" "see $out/judge.log"
fi

for arch in arm64 s390x; do
	for series in 6.1 6.12; do
		echo "# cells checked $arch $series: ${cells[$arch $series]:-0} (${ntargets[$arch $series]:-0} targets)"
	done
done
echo "# stage time $(( $(date +%s) - t0 )) s"
lab_done
