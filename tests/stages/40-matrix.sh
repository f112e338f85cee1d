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
	# opt-in targets (QEMU 10.0: tests/stages/47-matrix-qemu10.sh) only when named
	for f in "$top"/targets/x86_64/*.json; do
		jq -e '(.tags // []) | index("opt-in")' "$f" >/dev/null 2>&1 || targets+=("$f")
	done
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
			if [ -e "$exp/x86_64/$series/$t" ]; then
				lab_fail "$series $t" "kernel $rel lacks$missing, but tests/expect/x86_64/$series/$t expects a run"
			else
				lab_skip "$series $t" "kernel $rel lacks$missing (no expectation file either)"
			fi
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
	"$top/tests/mutation-check" --expect "$mfile" "$mlog" > "$out/mutate.log" 2>&1
	mrc=$?
	sed 's/^/# /' "$out/mutate.log"
	[ "$mrc" = 0 ] && lab_ok "mutation check: a changed errno, a new and a missing case are each refused by the matrix check, a changed verdict and errno by the ingest ($(basename "$mlog"))" ||
		lab_fail "mutation check: every mutant refused" "see $out/mutate.log"
else
	lab_fail "mutation check" "no run matched its expectation file: nothing to mutate"
fi

# the server judges (issue 15.2): every finished run of this stage, POSTed as
# printed to a private iommulabd with the agent's catalogue, must be accepted:
# the server computes every verdict the agent claimed
jlogs=()
for l in "$out"/*.log; do grep -q '^IOMMULAB-END' "$l" 2>/dev/null && jlogs+=("$l"); done
if [ ${#jlogs[@]} -gt 0 ]; then
	nice -n 10 make -s -C "$top/server" -j2 >/dev/null 2>&1 && nice -n 10 make -s -C "$top/agent" >/dev/null 2>&1
	python3 "$top/tests/mutate-ingest.py" --accept "${jlogs[@]}" > "$out/judge.log" 2>&1
	jrc=$?
	sed 's/^/# /' "$out/judge.log"
	[ "$jrc" = 0 ] && lab_ok "the server computes every verdict of ${#jlogs[@]} runs as the agent did" ||
		lab_fail "the server computes every verdict as the agent did" "see $out/judge.log"
fi

# ---- map before attach (issue 14): a result on every driver, a crash is one too
# (its errno on every target and kernel is in tests/expect, compared above)
has() { # the target was part of this run
	local f
	for f in "${targets[@]}"; do [ "$(basename "$f" .json)" = "$1" ] && return 0; done
	return 1
}
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

for series in 6.1 6.12; do
	echo "# cells checked x86_64 $series: ${cells[$series]:-0} (${ntargets[$series]:-0} targets)"
done
lab_done
