#!/usr/bin/env bash
# 15-known-limits: targets' declared emulator limits (docs/targets.md
# `known_limits`, docs/findings.md) stay consistent, on the host, in seconds:
#  1. every target's `known_limits` equals the `iommulab.limits=` list in its
#     qemu.append (the copy the agent reads), in the same order, and a target
#     without `known_limits` passes no `iommulab.limits=`;
#  2. every declared limit is root-caused in docs/findings.md and checked by
#     the agent (lab_env_has_limit(..., "NAME") in agent/*.c): no dangling name;
#  3. the agent's discovery reads iommulab.limits= from (a fake) /proc/cmdline
#     and reports it, and reports nothing without it;
#  4. every `known_broken` (a QEMU version that cannot run the machine) is
#     well-formed, names a finding of docs/findings.md, and rig/boot refuses
#     the target on that version with the reason (exit 5, QEMU not started);
#     so do, with the same line (rig/known-broken.sh words it once),
#     rig/known-broken (what the server's LAVA backend asks before it
#     submits) and a LAVA device's command, rig/lava-qemu, given the
#     kernel command line a LAVA job passes (iommulab.target=NAME), while
#     it still runs QEMU for a target that is not known broken.
# The SKIP itself needs the emulator: rig/matrix --kernel 6.12 --target q35-amd
# shows kmod.attach.group_multi_device skipped with the limit as its reason.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
out=${LAB_TEST_OUT:-$top/tests/out}/known-limits
mkdir -p "$out"
export O=${O:-$top/build}
agent=$O/agent/iommulab-agent

declared=()
for f in "$top"/targets/*/*.json; do
	n=$(basename "$f" .json)
	if ! kl=$(jq -er 'if has("known_limits") then (.known_limits | if type == "array" and
			all(.[]; type == "string" and test("^[a-z0-9-]+$")) then join(",")
			else error("known_limits must be an array of [a-z0-9-]+ names") end)
			else "" end' "$f" 2> "$out/$n.jq"); then
		lab_fail "$n: known_limits well-formed" "$(cat "$out/$n.jq")"
		continue
	fi
	al=$(jq -r '.qemu.append // ""' "$f" | tr ' ' '\n' | sed -n 's/^iommulab\.limits=//p')
	if [ "$kl" != "$al" ]; then
		lab_fail "$n: known_limits = iommulab.limits" "known_limits '$kl', qemu.append '$al'"
		continue
	fi
	[ -n "$kl" ] || continue
	lab_ok "$n: known_limits = iommulab.limits ($kl)"
	for l in ${kl//,/ }; do declared+=("$l"); done
done
[ ${#declared[@]} -gt 0 ] || lab_skip "declared limits" "no target declares a known limit"
for l in $(printf '%s\n' "${declared[@]+"${declared[@]}"}" | sort -u); do
	grep -q -- "$l" "$top/docs/findings.md" && lab_ok "$l is root-caused in docs/findings.md" ||
		lab_fail "$l is root-caused in docs/findings.md"
	grep -q -- "lab_env_has_limit([^)]*\"$l\")" "$top"/agent/*.c && lab_ok "$l is checked by the agent" ||
		lab_fail "$l is checked by the agent" "no lab_env_has_limit(..., \"$l\") in agent/*.c"
done

# 4. known_broken (docs/targets.md): well-formed (exact QEMU versions, a
#    reason), its reference a finding heading of docs/findings.md, and rig/boot
#    refuses the target on a listed version with that reason (exit 5) without
#    starting QEMU (a fake binary of that version, whose run would fail)
nb=0
for f in "$top"/targets/*/*.json; do
	n=$(basename "$f" .json)
	jq -e 'has("known_broken")' "$f" >/dev/null || continue
	nb=$((nb + 1))
	if ! jq -e '.known_broken | type == "object" and (.qemu | type == "array" and length > 0 and
		all(.[]; type == "string" and test("^[0-9]+\\.[0-9]+\\.[0-9]+$"))) and
		(.reason | type == "string" and length > 0) and (.reference | type == "string")' "$f" >/dev/null; then
		lab_fail "$n: known_broken well-formed" "qemu: exact versions (10.0.2), reason, reference"
		continue
	fi
	ref=$(jq -r '.known_broken.reference' "$f")
	fid=${ref#docs/findings.md }
	if [ "$ref" = "$fid" ] || ! grep -q "^##* $fid\. " "$top/docs/findings.md"; then
		lab_fail "$n: known_broken reference is a finding" "'$ref' names no '## $fid.' heading of docs/findings.md"
		continue
	fi
	v=$(jq -r '.known_broken.qemu[0]' "$f")
	gen=$(jq -r '.qemu.version // "7.2"' "$f")
	fb=$out/fakeqemu-$n
	mkdir -p "$fb/usr/bin"
	bin=$(jq -r '.qemu.binary' "$f")
	printf '#!/bin/sh\n[ "$1" = --version ] && { echo "QEMU emulator version %s (fake)"; exit 0; }\nexit 99\n' "$v" > "$fb/usr/bin/$bin"
	chmod +x "$fb/usr/bin/$bin"
	mkdir -p "$fb/cache/qemu"
	ln -sfn "$fb" "$fb/cache/qemu/$gen"
	touch "$fb/.ready"
	[ -x "$fb/usr/bin/qemu-system-x86_64" ] || cp "$fb/usr/bin/$bin" "$fb/usr/bin/qemu-system-x86_64"
	rc=0
	if [ "$gen" = 7.2 ]; then
		PATH=$fb/usr/bin:$PATH "$top/rig/boot" --target "$f" --kernel "$f" --initrd "$f" \
			--log "$out/$n.broken.log" > "$out/$n.broken.out" 2> "$out/$n.broken.err" || rc=$?
	else
		CACHE=$fb/cache "$top/rig/boot" --target "$f" --kernel "$f" --initrd "$f" \
			--log "$out/$n.broken.log" > "$out/$n.broken.out" 2> "$out/$n.broken.err" || rc=$?
	fi
	line="iommulab-boot: not booted: $n is known broken on QEMU $v: $(jq -r .known_broken.reason "$f") ($ref)"
	if [ "$rc" = 5 ] && grep -qxF "$line" "$out/$n.broken.log" &&
	   grep -q "^boot $n seconds=0 exit=5 begin=- qemu=$v$" "$out/$n.broken.out"; then
		lab_ok "$n: known broken on QEMU $v ($ref): rig/boot refuses it with the reason (exit 5)"
	else
		lab_fail "$n: rig/boot refuses it on QEMU $v" "exit $rc: $(head -2 "$out/$n.broken.err" | tr '\n' '|')"
	fi
	# the server's question (rig/known-broken: this host's QEMU of the
	# generation, or a version given) and its answer for another version
	qenv=(CACHE="$fb/cache")
	[ "$gen" = 7.2 ] && qenv=(PATH="$fb/usr/bin:$PATH")
	rc=0
	env "${qenv[@]}" "$top/rig/known-broken" --no-setup "$f" > "$out/$n.kb.out" 2> "$out/$n.kb.err" || rc=$?
	rc2=0
	"$top/rig/known-broken" "$f" 0.0.1 > "$out/$n.kb2.out" 2>&1 || rc2=$?
	if [ "$rc" = 5 ] && [ "$(cat "$out/$n.kb.out")" = "$line" ] && [ "$rc2" = 0 ]; then
		lab_ok "$n: rig/known-broken says rig/boot's line on QEMU $v (exit 5), nothing on 0.0.1 (exit 0)"
	else
		lab_fail "$n: rig/known-broken on QEMU $v" "exit $rc '$(head -c 200 "$out/$n.kb.out")' $(head -1 "$out/$n.kb.err"); 0.0.1: exit $rc2"
	fi
	# a LAVA qemu device's command on the worker: the same refusal, on its
	# console (stdout), before QEMU starts (the fake QEMU exits 99 when run);
	# QEMU does run for a target that is not known broken
	rm -rf "$out/lava-qemu-$n"
	"$top/rig/lava-qemu" --install "$out/lava-qemu-$n" >/dev/null
	lq=$out/lava-qemu-$n/$gen/$bin
	cl="console=ttyS0 panic=-1 iommulab.target=$n $(jq -r '.qemu.append // ""' "$f") iommulab.lava=1"
	rc=0
	env "${qenv[@]}" "$lq" -machine q35 -kernel /dev/null -append "$cl" > "$out/$n.lq.out" 2> "$out/$n.lq.err" || rc=$?
	other=$(for g in "$top"/targets/*/*.json; do
		jq -e --arg b "$bin" --arg g "$gen" '(has("known_broken") | not) and .qemu.binary == $b and
			(.qemu.version // "7.2") == $g' "$g" >/dev/null && basename "$g" .json; done | head -1)
	rco=0
	env "${qenv[@]}" "$lq" -append "console=ttyS0 iommulab.target=$other" > "$out/$n.lq-other.out" 2>&1 || rco=$?
	if [ "$rc" = 5 ] && [ "$(head -1 "$out/$n.lq.out")" = "$line" ] &&
	   grep -qx "iommulab-boot: qemu $v generation $gen binary .*" "$out/$n.lq.out" &&
	   [ -n "$other" ] && [ "$rco" = 99 ]; then
		lab_ok "$n: rig/lava-qemu (LAVA's QEMU) refuses it on QEMU $v with the same line on the console (exit 5); $other still runs QEMU"
	else
		lab_fail "$n: rig/lava-qemu refuses it on QEMU $v" "exit $rc: $(head -2 "$out/$n.lq.out" "$out/$n.lq.err" | tr '\n' '|' | head -c 400); ${other:-no other target}: exit $rco"
	fi
done
[ "$nb" -gt 0 ] || lab_skip "known_broken targets" "no target declares one"

if ! make -s -C "$top/agent" > "$out/build.log" 2>&1 || [ ! -x "$agent" ]; then
	lab_fail "agent build" "see $out/build.log"
	lab_done
	exit
fi
R=$out/fakeroot
rm -rf "$R"
mkdir -p "$R/proc"
echo "console=ttyS0 iommulab.target=q35-amd iommulab.limits=dma-bus-nonzero,other-limit quiet" > "$R/proc/cmdline"
"$agent" --no-cmdline --root "$R" --env > "$out/env-limits.txt" 2>&1
grep -qx '# env: known limits of this target: dma-bus-nonzero,other-limit (docs/findings.md)' \
	"$out/env-limits.txt" && lab_ok "discovery reports iommulab.limits from /proc/cmdline" ||
	lab_fail "discovery reports iommulab.limits from /proc/cmdline" "see $out/env-limits.txt"
echo "console=ttyS0 iommulab.target=q35-vtd" > "$R/proc/cmdline"
"$agent" --no-cmdline --root "$R" --env > "$out/env-none.txt" 2>&1
grep -q 'known limits' "$out/env-none.txt" && lab_fail "no limits line without iommulab.limits" ||
	lab_ok "no limits line without iommulab.limits"
lab_done
