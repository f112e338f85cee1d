#!/usr/bin/env bash
# 10-agent-unit: the on-target agent on the host.
#  1. builds agent/ (static) and its cmocka unit tests (record format and
#     escaping, errnames, contract selection and verdicts) and runs them;
#  2. drives the real binary against a fake /sys,/proc,/dev tree (--root):
#     discovery, role picking (edu preferred, bound devices never moved),
#     skip reasons, a probe node that refuses ioctls (error records), a case
#     that blocks forever (killed at the timeout, reported as error), the
#     record stream (BEGIN count = REC lines = END count, every line JSON
#     with the required keys), the catalogue JSON, bad options, fault switch;
#  3. MSI isolation per arch and kernel rule (x86 IR, arm64 ITS / GICv2m /
#     none on 6.1 and 6.12, s390x) on small fake trees, and the need it feeds.
set -uo pipefail
. "$(dirname "$0")/../lib.sh"
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
out=${LAB_TEST_OUT:-$top/tests/out}/agent-unit
mkdir -p "$out"
export O=${O:-$top/build}
agent=$O/agent/iommulab-agent

if ! make -C "$top/agent" -j2 test > "$out/unit.log" 2>&1; then
	cat "$out/unit.log"
	lab_fail "agent build + unit tests" "see $out/unit.log"
else
	p=$(sed -n 's/.*\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out/unit.log" | awk '{s+=$1} END {print s+0}')
	f=$(sed -n 's/.*\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out/unit.log" | awk '{s+=$1} END {print s+0}')
	grep -E '^\[ +(OK|FAILED) +\]' "$out/unit.log"
	lab_counts "$p" "$f" 0
	[ "$p" -gt 0 ] || lab_fail "cmocka reported no passed tests"
fi
[ -x "$agent" ] || { lab_fail "agent binary" "$agent missing"; lab_done; exit; }

# ---- static, plain libc
if file "$agent" | grep -q 'statically linked'; then lab_ok "agent is static"; else lab_fail "agent is static"; fi

# ---- catalogue
n=$("$agent" -l | wc -l)
[ "$n" -ge 14 ] && lab_ok "-l lists $n cases" || lab_fail "-l lists cases" "got $n"
if "$agent" -l -j > "$out/catalogue.json" && jq -e '.v == 1 and (.cases | length) >= 14
	and all(.cases[]; (.id | test("^[a-z0-9_.-]+$")) and (.needs | type == "array")
	  and (.contracts | length) >= 1
	  and all(.contracts[]; has("kernel_min") and has("kernel_max_excl") and has("driver") and has("expected")))' \
	"$out/catalogue.json" > /dev/null; then
	lab_ok "-l -j catalogue JSON with contracts"
else
	lab_fail "-l -j catalogue JSON with contracts"
fi
for id in kmod.attach.second_domain kmod.attach.multi_device_group kmod.attach.no_group \
	kmod.attach.same_domain_twice kmod.coherency.vtd_no_snoop kmod.coherency.vtd_snoop \
	kmod.addrwidth.vtd_aw39 kmod.coherency.amd vfio.type1.two_groups_reuse \
	vfio.type1.map_msi_window vfio.type1.unsafe_interrupts; do
	jq -e --arg id "$id" 'any(.cases[]; .id == $id)' "$out/catalogue.json" > /dev/null ||
		lab_fail "catalogue has $id"
done
c=$(jq -r '.cases[] | select(.id == "kmod.coherency.vtd_no_snoop") | [.contracts[] | "\(.kernel_min)|\(.kernel_max_excl)|\(.driver)|\(.expected)"] | join(" ")' "$out/catalogue.json")
[ "$c" = "null|6.2|intel-iommu|EOPNOTSUPP 6.2|null|any|EINVAL" ] && lab_ok "vtd_no_snoop contract" || lab_fail "vtd_no_snoop contract" "$c"
[ "$("$agent" -l -f 'kmod.coherency.*' | wc -l)" -eq 3 ] && lab_ok "-f glob filters the list" || lab_fail "-f glob filters the list"

# ---- bad input: exit 2, a message, nothing runs
for args in "-r 0" "-r x" "-T 0" "-t Bad_Name" "-f a;b" "--fault boom" "-j" "extra"; do
	# shellcheck disable=SC2086
	"$agent" --no-cmdline $args > "$out/bad.out" 2> "$out/bad.err"
	rc=$?
	if [ $rc -eq 2 ] && [ -s "$out/bad.err" ] && ! grep -q IOMMULAB "$out/bad.out"; then
		lab_ok "rejects '$args'"
	else
		lab_fail "rejects '$args'" "rc=$rc"
	fi
done

# ---- a fake machine: q35 + VT-d (snoop off, 48 bit), edu devices in every role
R=$out/fakeroot
rm -rf "$R"
mkdir -p "$R/sys/class/iommu/dmar0/intel-iommu" "$R/proc/sys/kernel" "$R/dev/vfio" \
	"$R/sys/bus/pci/drivers/vfio-pci" "$R/sys/bus/pci/drivers/ahci"
echo d2008c222f0606 > "$R/sys/class/iommu/dmar0/intel-iommu/cap"
echo f00f4a > "$R/sys/class/iommu/dmar0/intel-iommu/ecap"
echo 6.1.0-56-amd64 > "$R/proc/sys/kernel/osrelease"
printf '  0:  42  IR-IO-APIC  2-edge  timer\n' > "$R/proc/interrupts"
: > "$R/dev/iommulab_probe"	# a node that refuses every ioctl (ENOTTY)
: > "$R/dev/vfio/vfio"
mkdev() { # bdf vendor device class group(-1 none) [bound-driver]
	local d=$R/sys/bus/pci/devices/$1
	mkdir -p "$d"
	echo "$2" > "$d/vendor"; echo "$3" > "$d/device"; echo "$4" > "$d/class"
	if [ "$5" -ge 0 ]; then
		mkdir -p "$R/sys/kernel/iommu_groups/$5/devices"
		: > "$R/sys/kernel/iommu_groups/$5/devices/$1"
		ln -s "../../../../kernel/iommu_groups/$5" "$d/iommu_group"
		ln -s ../../../../class/iommu/dmar0 "$d/iommu"
	fi
	[ -n "${6:-}" ] && ln -s "../../../bus/pci/drivers/$6" "$d/driver"
	return 0
}
mkdev 0000:00:00.0 0x8086 0x29c0 0x060000 0
mkdev 0000:00:02.0 0x8086 0x2922 0x010601 6 ahci	# bound: must never be picked
mkdev 0000:00:03.0 0x1234 0x11e8 0x00ff00 1
mkdev 0000:00:04.0 0x1234 0x11e8 0x00ff00 2
mkdev 0000:00:05.0 0x1b36 0x000e 0x060400 3
mkdev 0000:01:01.0 0x1234 0x11e8 0x00ff00 3
mkdev 0000:01:02.0 0x1234 0x11e8 0x00ff00 3
mkdev 0000:81:00.0 0x1234 0x11e8 0x00ff00 -1
# binding to vfio-pci writes driver_override: a FIFO blocks that open forever
mkfifo "$R/sys/bus/pci/devices/0000:00:03.0/driver_override"

"$agent" --no-cmdline --root "$R" --env > "$out/env.txt"
grep -q '^# env: kernel 6.1.0-56-amd64' "$out/env.txt" &&
grep -q 'iommu dmar0 driver intel-iommu .*snoop-control off, mgaw 48' "$out/env.txt" &&
grep -q 'pci 0000:01:01.0 1234:11e8 class 00ff00 group 3 (3 dev) iommu dmar0 driver - \[edu\]' "$out/env.txt" &&
grep -q 'pci 0000:81:00.0 .* group -1 (0 dev) iommu - ' "$out/env.txt" &&
grep -q 'interrupt remapping on' "$out/env.txt" &&
	lab_ok "--env discovery of the fake machine" || { cat "$out/env.txt"; lab_fail "--env discovery of the fake machine"; }

# ---- MSI isolation follows the kernel's rule per arch and release (agent/env.c)
grep -q '^# env: MSI isolation yes: irq_domain_check_msi_remap || IOMMU_CAP_INTR_REMAP: x86 interrupt remapping on' "$out/env.txt" &&
	lab_ok "x86 6.1: IR- interrupts -> MSIs isolated" || lab_fail "x86 6.1: IR- interrupts -> MSIs isolated" "$(grep 'MSI isolation' "$out/env.txt")"
msi_tree() { # dir release arch [dt-msi-controller-compatible]
	local m=$out/msi/$1
	rm -rf "$m"; mkdir -p "$m/proc/sys/kernel"
	echo "$2" > "$m/proc/sys/kernel/osrelease"; echo "$3" > "$m/proc/sys/kernel/arch"
	printf ' 12:  0  GICv3  27 Level  arch_timer\n' > "$m/proc/interrupts"
	if [ -n "${4:-}" ]; then
		mkdir -p "$m/proc/device-tree/intc@8000000/msi@8020000"
		: > "$m/proc/device-tree/intc@8000000/msi@8020000/msi-controller"
		printf '%s\0' "$4" > "$m/proc/device-tree/intc@8000000/msi@8020000/compatible"
	fi
}
msi_case() { # dir release arch compatible want-isolation-line
	msi_tree "$1" "$2" "$3" "$4"
	if "$agent" --no-cmdline --root "$out/msi/$1" --env | grep -qF "# env: MSI isolation $5"; then
		lab_ok "$1: MSI isolation $5"
	else
		lab_fail "$1: MSI isolation $5" "$("$agent" --no-cmdline --root "$out/msi/$1" --env | grep 'MSI isolation')"
	fi
}
msi_case arm64-6.1-its 6.1.0-56-arm64 aarch64 arm,gic-v3-its "yes: irq_domain_check_msi_remap || IOMMU_CAP_INTR_REMAP: GICv3 ITS (device tree)"
msi_case arm64-6.12-its 6.12.117+deb12-arm64 aarch64 arm,gic-v3-its "yes: iommu_group_has_isolated_msi: GICv3 ITS (device tree)"
msi_case arm64-6.12-v2m 6.12.117+deb12-arm64 aarch64 arm,gic-v2m-frame "no: iommu_group_has_isolated_msi: MSI controller without isolation (device tree: arm,gic-v2m-frame)"
msi_case arm64-6.1-nomsi 6.1.0-56-arm64 aarch64 "" "yes: irq_domain_check_msi_remap || IOMMU_CAP_INTR_REMAP: no MSI controller"
msi_case arm64-6.12-nomsi 6.12.117+deb12-arm64 aarch64 "" "no: iommu_group_has_isolated_msi: no MSI controller"
msi_case s390x-6.12 6.12.95+deb12-s390x s390x "" "yes: iommu_group_has_isolated_msi: s390 arch_is_isolated_msi() is true"
# the needs follow it: no-intremap (vfio.type1.unsafe_interrupts) skips where MSIs are isolated
mkdir -p "$out/msi/arm64-6.12-its/dev/vfio"
: > "$out/msi/arm64-6.12-its/dev/vfio/vfio"
mkdir -p "$out/msi/arm64-6.12-its/sys/class/iommu/smmu3.0x0000000009050000"
r=$("$agent" --no-cmdline --root "$out/msi/arm64-6.12-its" -f vfio.type1.unsafe_interrupts | grep '^IOMMULAB-REC ' | sed 's/^IOMMULAB-REC //' | jq -r '.verdict + ": " + .reason')
case "$r" in
"skip: MSIs are isolated (iommu_group_has_isolated_msi: GICv3 ITS (device tree)); case needs a target without MSI isolation")
	lab_ok "unsafe_interrupts skips on an ITS machine" ;;
*)	lab_fail "unsafe_interrupts skips on an ITS machine" "$r" ;;
esac

t0=$(date +%s)
"$agent" --no-cmdline --root "$R" -t fake -T 2 --lava \
	-f 'kmod.attach.*' -f kmod.coherency.vtd_snoop -f vfio.type1.two_groups_reuse > "$out/run.txt" 2>&1
rc=$? dt=$(( $(date +%s) - t0 ))
[ $rc -eq 1 ] && lab_ok "run with errors exits 1" || lab_fail "run with errors exits 1" "rc=$rc"
grep '^IOMMULAB-REC ' "$out/run.txt" | sed 's/^IOMMULAB-REC //' > "$out/recs.jsonl"
nrec=$(wc -l < "$out/recs.jsonl")
begin=$(sed -n 's/^IOMMULAB-BEGIN //p' "$out/run.txt" | jq -r .cases)
end=$(sed -n 's/^IOMMULAB-END //p' "$out/run.txt" | jq -r .records)
want=$("$agent" --no-cmdline -l -f 'kmod.attach.*' -f kmod.coherency.vtd_snoop -f vfio.type1.two_groups_reuse | wc -l)
[ "$nrec" -eq "$want" ] && [ "$begin" = "$want" ] && [ "$end" = "$want" ] && lab_ok "BEGIN/REC/END agree ($want)" ||
	lab_fail "BEGIN/REC/END agree" "want=$want begin=$begin recs=$nrec end=$end"
if jq -e -s 'all(.[]; .v == 1 and (.id|type) == "string" and .target == "fake"
	and .kernel == "6.1.0-56-amd64" and (.driver|type) == "string" and (.steps|type) == "array"
	and (.observed|type) == "number" and (.verdict|IN("pass","fail","skip","error"))
	and (.duration_us|type) == "number" and .repeat == 0)' "$out/recs.jsonl" > /dev/null; then
	lab_ok "every record is JSON with the required keys"
else
	lab_fail "every record is JSON with the required keys"
fi
rec() { jq -r --arg id "$1" "select(.id == \$id) | $2" "$out/recs.jsonl"; }
[ "$(rec kmod.attach.second_domain '.verdict + " " + .device + " " + .driver')" = "error 0000:00:03.0 intel-iommu" ] &&
	rec kmod.attach.second_domain .reason | grep -q 'probe command refused: ENOTTY' &&
	lab_ok "refused probe ioctl -> error record on the edu device" ||
	lab_fail "refused probe ioctl -> error record" "$(rec kmod.attach.second_domain .)"
[ "$(rec kmod.attach.multi_device_group .device)" = 0000:01:01.0 ] && lab_ok "multi-device-group role" ||
	lab_fail "multi-device-group role" "$(rec kmod.attach.multi_device_group .device)"
[ "$(rec kmod.attach.no_group .device)" = 0000:81:00.0 ] && lab_ok "no-group role" ||
	lab_fail "no-group role" "$(rec kmod.attach.no_group .device)"
[ "$(rec kmod.coherency.vtd_snoop '.verdict + ": " + .reason')" = "skip: dmar0: snoop control is off (ecap 0xf00f4a), case needs it on" ] &&
	lab_ok "skip with reason (snoop control off)" || lab_fail "skip with reason" "$(rec kmod.coherency.vtd_snoop .reason)"
[ "$(rec vfio.type1.two_groups_reuse '.verdict + ": " + .reason')" = "error: timeout after 2 s: case killed" ] &&
	[ "$dt" -lt 15 ] && lab_ok "blocked case killed at the timeout (${dt}s run)" ||
	lab_fail "blocked case killed at the timeout" "$(rec vfio.type1.two_groups_reuse .reason) (${dt}s)"
grep -q '^ok [0-9]* kmod.coherency.vtd_snoop # SKIP ' "$out/run.txt" && grep -q '^not ok [0-9]* kmod.attach.no_group # ERROR' "$out/run.txt" &&
	[ "$(sed -n 1p "$out/run.txt")" = "KTAP version 1" ] && [ "$(sed -n 2p "$out/run.txt")" = "1..$want" ] &&
	sed -n 3p "$out/run.txt" | grep -q '^# env: kernel 6.1.0-56-amd64' &&
	lab_ok "KTAP lines" || lab_fail "KTAP lines"
[ "$(grep -c '^<LAVA_SIGNAL_TESTCASE TEST_CASE_ID=[a-z0-9_.-]* RESULT=\(pass\|fail\|skip\|unknown\) MEASUREMENT=[0-9]* UNITS=errno>$' "$out/run.txt")" -eq "$want" ] &&
	lab_ok "--lava signal lines" || lab_fail "--lava signal lines"
# the bound device was never touched
if "$agent" --no-cmdline --root "$R" -T 2 -f 'kmod.*' | grep '^IOMMULAB-REC' | grep -q '"device":"0000:00:02.0"'; then
	lab_fail "bound device never chosen"
else
	lab_ok "bound device never chosen"
fi

# ---- fault switch (the server's tests rely on these)
"$agent" --no-cmdline --root "$R" -f kmod.coherency.amd --fault norecords > "$out/f1.txt"
! grep -q '^IOMMULAB-' "$out/f1.txt" && lab_ok "fault=norecords prints no record lines" || lab_fail "fault=norecords"
"$agent" --no-cmdline --root "$R" -f kmod.coherency.amd --fault garbage > "$out/f2.txt"
bad=$(grep '^IOMMULAB-REC ' "$out/f2.txt" | sed 's/^IOMMULAB-REC //' | while read -r l; do echo "$l" | jq -e . > /dev/null 2>&1 || echo bad; done | wc -l)
[ "$bad" -eq 1 ] && grep -q '^IOMMULAB-END {"v":1,"records":1,' "$out/f2.txt" && lab_ok "fault=garbage: one malformed line, END counts the valid one" ||
	lab_fail "fault=garbage" "bad=$bad"
# kernel faults: the fault case runs first, then the selection; here the
# probe node refuses every ioctl, so the fault case is an error naming it
"$agent" --no-cmdline --root "$R" -f kmod.coherency.amd --fault oops > "$out/f3.txt"
ids=$(grep '^IOMMULAB-REC ' "$out/f3.txt" | sed 's/^IOMMULAB-REC //' | jq -r .id | tr '\n' ' ')
r=$(grep '^IOMMULAB-REC ' "$out/f3.txt" | head -n1 | sed 's/^IOMMULAB-REC //' | jq -r '.verdict + ": " + .reason')
[ "$ids" = "fault.oops kmod.coherency.amd " ] && grep -q '^IOMMULAB-BEGIN .*"cases":2}' "$out/f3.txt" &&
	[ "$r" = "error: fault.oops: probe command refused: ENOTTY" ] &&
	lab_ok "fault=oops: fault.oops runs first, then the selection" || lab_fail "fault=oops" "ids=$ids r=$r"
! "$agent" -l | grep -q '^fault\.' && lab_ok "fault cases are not in the catalogue" || lab_fail "fault cases are not in the catalogue"
# the in-flight line: every record is announced before its case runs, in order
starts=$(sed -n 's/^# IOMMULAB-START //p' "$out/run.txt" | jq -r '"\(.n) \(.id) \(.repeat)"')
recids=$(grep '^IOMMULAB-REC ' "$out/run.txt" | sed 's/^IOMMULAB-REC //' | jq -r '"\(.id) \(.repeat)"' | awk '{print NR " " $0}')
order=$(awk '/^# IOMMULAB-START /{s=1; next} /^IOMMULAB-REC /{if (!s) print "REC without START"; s=0}' "$out/run.txt")
[ -n "$starts" ] && [ "$starts" = "$recids" ] && [ -z "$order" ] &&
	lab_ok "an IOMMULAB-START line precedes every record (same n, id, repeat)" ||
	lab_fail "IOMMULAB-START lines" "$order"
lab_done
