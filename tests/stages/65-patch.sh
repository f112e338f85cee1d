#!/usr/bin/env bash
# 65-patch - per-patch validation end to end, against a real iommulabd (its
# own state dir and port, real SQLite, the scheduler and the local QEMU
# runner) and real kernels built from Debian's linux-source-6.12:
#
# 1. `iommulab patch submit --base debian-6.12 --target q35-vtd` with
#    kernels/patches/0001-*.patch (intel-iommu returns -ENODEV instead of
#    -EINVAL on a snoop mismatch). The jobs' preparation builds base and
#    candidate with kernels/build (cached by hash: after 60-kbuild both are
#    there; cold, this stage builds them), loads the probe module built
#    against the O= dir, runs every case on both. The report flags EXACTLY
#    one row, intel-iommu / kmod.coherency.vtd_no_snoop (EINVAL -> ENODEV),
#    as a contract violation, with nothing else changed anywhere; its
#    Patchwork-shaped checks, text and the CLI exit code agree.
# 2. The IOMMUFD cases ran on the built kernels with the probe module
#    loaded and their errnos are asserted: two devices on one IOAS reuse one
#    hw_pagetable (OK, reused); HWPT alloc, replace (OK); IOAS map over the
#    MSI window then attach (EADDRINUSE); two devices of one group on two
#    hw_pagetables (EINVAL); HWPT_ALLOC with dirty tracking (EOPNOTSUPP),
#    with driver data on an IOAS (EOPNOTSUPP) and the same without data (OK);
#    IOMMUFD_TEST mock devices on q35-virtio: a dirty-tracking hwpt for a
#    device without dirty tracking (EOPNOTSUPP), such a device onto a
#    dirty-tracking hwpt (EINVAL); next to VT-d they SKIP with the reason.
#    Every successful IOMMUFD attach is "verified: core": the probe module
#    (built against the O= tree, so it can read iommufd's object table) shows
#    the device in the domain of the hw_pagetable it was attached to, and
#    not in the domain of a hw_pagetable it was not attached to.
# 3. A directory series whose second patch does not apply: the report is
#    "fail", stage apply, check iommulab/build, and the excerpt names the
#    patch; nothing is booted for it.
# 4. A series that breaks the build (stage build, the compiler's error in
#    the excerpt) and one whose kernel panics at boot (stage boot, check
#    iommulab/boot, the console's panic in the excerpt); each is an
#    incremental build from the base's objects (about a minute).
# 5. The test patch without its mbox "From <sha> <date>" line (a mail saved
#    from a client) is a valid one-patch series judged as in 1.; a series
#    that is not a patch at all is an input error (stage input, check
#    iommulab/input), never "the series breaks the build".
# 6. Known issues (issue 18.1): one for another target leaves 1.'s report
#    failing; one covering q35-* makes its violation an expected failure
#    (listed with the known issue's id and reason): no check fails, and
#    `iommulab patch report` exits 0.
# Skipped with a reason when QEMU, linux-source-6.12, ccache or busybox are
# missing.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export CACHE=${CACHE:-$HOME/.cache/iommulab}
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/65-patch
rm -rf "$out"
mkdir -p "$out"
. "$top/tests/lib-kbuild.sh"
lab_kbuild_ready "per-patch validation" "scripts/install-deps kbuild server rig" curl
make -s -C "$top/server" >"$out/build.log" 2>&1 ||
	{ lab_fail "server builds" "see $out/build.log"; lab_done; exit 1; }

. "$top/tests/lib-server.sh"
lab_srv_start "$out/state" --log-level info ||
	{ lab_fail "iommulabd starts"; lab_done; exit 1; }
trap 'lab_srv_stop' EXIT

jqe() { jq -e "$@" >/dev/null; }

# ---- 1. the test patch -------------------------------------------------
echo "# submit $(basename "$patch1") against debian-6.12 on q35-vtd and q35-virtio"
lab_cli patch submit --base debian-6.12 --target q35-vtd --target q35-virtio --json "$patch1" >"$out/submit.json"
plan=$(jq -r .id "$out/submit.json" 2>/dev/null)
lab_check "patch submit: a plan of kind patch with 4 jobs (2 kernels x 2 targets)" \
	jqe '.kind == "patch" and .njobs == 4 and .spec.patch.base == "base-debian-6.12"' "$out/submit.json"
base=$(jq -r .spec.patch.base "$out/submit.json")
head=$(jq -r .spec.patch.head "$out/submit.json")
t0=$(date +%s)
# a cold run builds two kernels (about 10 minutes on 2 cores) before booting
lab_cli watch "$plan" --interval 5 --timeout 3000 >"$out/watch.log" 2>&1
rc=$?
dt=$(( $(date +%s) - t0 ))
echo "# plan $plan final after ${dt}s (watch exit $rc)"
lab_check "all jobs complete (${dt}s)" test $rc -eq 0
lab_api "jobs?plan=$plan" >"$out/jobs.json"
for k in "$base" "$head"; do
	j=$(jq -r --arg k "$k" '.items[] | select(.kernel == $k and .target == "q35-vtd") | .id' "$out/jobs.json")
	jv=$(jq -r --arg k "$k" '.items[] | select(.kernel == $k and .target == "q35-virtio") | .id' "$out/jobs.json")
	curl -fsS "$LAB_URL/api/v1/jobs/$j" >/dev/null
	curl -fsS "$LAB_URL/api/v1/jobs/$j/prep-log" >"$out/prep-$k.log"
	lab_check "$k: GET /jobs/$j/prep-log: prepared by kernels/build (built or cached)" \
		grep -qE "kernels/build \[[0-9]+s\]: (cached|done|built)|kernels/build.*--name $k" "$out/prep-$k.log"
	lab_api "kernels/$k" >"$out/kernel-$k.json"
	lab_check "$k: a build kernel that learned its release" \
		jqe '.source == "build" and (.release | test("^6\\.12\\.[0-9]+-lab-[0-9a-f]{8}$"))' "$out/kernel-$k.json"
	lab_api "results?job=$j&limit=1000" >"$out/results-$k.json"
	lab_check "$k: the probe module's cases ran (kmod.attach.second_domain EBUSY)" \
		jqe '[.items[] | select(.case == "kmod.attach.second_domain" and .observed_name == "EBUSY" and .verdict == "pass")] | length == 1' "$out/results-$k.json"
	# ---- 2. IOMMUFD on the built kernel -----------------------------------
	lab_check "$k: iommufd.ioas.two_devices_reuse: both attach (OK), one hw_pagetable reused" \
		jqe '[.items[] | select(.case == "iommufd.ioas.two_devices_reuse" and .observed == 0 and .verdict == "pass" and .reused == true)] | length == 1' "$out/results-$k.json"
	for ce in iommufd.hwpt.alloc:OK iommufd.hwpt.replace:OK iommufd.ioas.map_reserved:EADDRINUSE \
		iommufd.group.split_hwpt:EINVAL iommufd.hwpt.alloc_dirty:EOPNOTSUPP \
		iommufd.hwpt.alloc_user_data:EOPNOTSUPP iommufd.hwpt.alloc_user_data_none:OK; do
		c=${ce%%:*} e=${ce#*:}
		lab_check "$k: $c: $e, pass" \
			jqe --arg c "$c" --arg e "$e" '[.items[] | select(.case == $c and .observed_name == $e and .verdict == "pass")] | length == 1' "$out/results-$k.json"
	done
	# "verified: core" = the probe module saw the device in the domain of the
	# very hw_pagetable it was attached to (DOMAIN_IDENT == HWPT_IDENT, steps
	# verify.core*), and, where the case has a hw_pagetable the device is not
	# in yet, saw that it was NOT in that one's domain (verify.core.not_yet):
	# the check tells hw_pagetables apart, so a wrong one would fail the case
	for cs in iommufd.ioas.two_devices_reuse:verify.core.a,verify.core.b \
		iommufd.hwpt.alloc:verify.core.not_yet,verify.core \
		iommufd.hwpt.alloc_user_data_none:verify.core.not_yet,verify.core \
		iommufd.hwpt.replace:verify.core.first,verify.core.not_yet,verify.core; do
		c=${cs%%:*} st=${cs#*:}
		lab_check "$k: $c: verified core, each landing checked against its hw_pagetable ($st)" \
			jqe --arg c "$c" --arg st "$st" '[.items[] | select(.case == $c and .verified == "core" and .verdict == "pass")
			     | select(([.steps[] | select(.name | startswith("verify.")) | .name] == ($st | split(",")))
			              and all(.steps[] | select(.name | startswith("verify.")); .errno == 0))] | length == 1' \
			"$out/results-$k.json"
	done
	# IOMMUFD_TEST's mock IOMMU: usable next to virtio-iommu, a SKIP next to VT-d
	lab_api "results?job=$jv&limit=1000" >"$out/results-virtio-$k.json"
	for ce in iommufd.mock.alloc_dirty_no_dirty_device:EOPNOTSUPP iommufd.mock.attach_dirty_domain:EINVAL; do
		c=${ce%%:*} e=${ce#*:}
		lab_check "$k on q35-virtio: $c: $e, pass (driver iommufd-selftest)" \
			jqe --arg c "$c" --arg e "$e" '[.items[] | select(.case == $c and .observed_name == $e and .verdict == "pass" and .driver == "iommufd-selftest")] | length == 1' "$out/results-virtio-$k.json"
		lab_check "$k on q35-vtd: $c: skip with the reason" \
			jqe --arg c "$c" '[.items[] | select(.case == $c and .verdict == "skip" and (.reason | test("probed by the platform IOMMU")))] | length == 1' "$out/results-$k.json"
	done
done
lab_check "candidate and base are different builds" \
	test "$(jq -r .release "$out/kernel-$base.json")" != "$(jq -r .release "$out/kernel-$head.json")"

lab_api "patches/$plan" >"$out/report.json"
curl -fsS "$LAB_URL/api/v1/patches/$plan?format=text" >"$out/report.txt"
cat "$out/report.txt"
lab_check "report: fail, from the run (not the build)" \
	jqe '.state == "fail" and .stage == "run"' "$out/report.json"
lab_check "report: both targets, drivers intel-iommu, virtio-iommu, iommufd-selftest" \
	jqe '(.targets | sort) == ["q35-virtio", "q35-vtd"] and ([.drivers[].driver] | sort) == ["intel-iommu", "iommufd-selftest", "virtio-iommu"]' "$out/report.json"
lab_check "report: exactly one contract violation: intel-iommu kmod.coherency.vtd_no_snoop EINVAL -> ENODEV" \
	jqe '[.drivers[].contract_violations[] | {driver, case, b: .base.observed_name, h: .head.observed_name, e: .head.expected_name}]
	     == [{"driver": "intel-iommu", "case": "kmod.coherency.vtd_no_snoop", "b": "EINVAL", "h": "ENODEV", "e": "EINVAL"}]' "$out/report.json"
lab_check "report: nothing else changed (no new failure, pass, other change; one errno change = that row)" \
	jqe '([.drivers[].new_failures[]] | length) == 0 and ([.drivers[].new_passes[]] | length) == 0
	     and ([.drivers[].other_changes[]] | length) == 0
	     and ([.drivers[].errno_changes[] | .case] == ["kmod.coherency.vtd_no_snoop"])' "$out/report.json"
lab_check "report: unchanged cases counted (> 10)" \
	jqe '([.drivers[].unchanged] | add) > 10' "$out/report.json"
lab_check "checks: only iommulab/intel-iommu fails, with a dashboard target_url" \
	jqe --arg u "/#/patches/$plan" '[.checks[] | select(.state == "fail") | .context] == ["iommulab/intel-iommu"]
	     and all(.checks[]; .target_url | endswith($u)) and all(.checks[]; .state != "warning")' "$out/report.json"
lab_check "text report: the row and the verdict line" \
	bash -c "grep -q 'FAIL     iommulab/intel-iommu: 1 contract violation' '$out/report.txt' &&
		 grep -q 'kmod.coherency.vtd_no_snoop *EINVAL/pass -> ENODEV/fail (contract: EINVAL)' '$out/report.txt'"
lab_cli patch report "$plan" >/dev/null
lab_check "iommulab patch report exits 1 on a failing report" test $? -eq 1
lab_api "patches" >"$out/patches.json"
lab_check "GET /patches lists it as fail" \
	jqe --argjson p "$plan" '[.items[] | select(.plan == $p and .state == "fail")] | length == 1' "$out/patches.json"

# the dashboard's Patch reports pages (Debian's chromium + chromium-driver +
# python3-selenium, installed here from scripts/deps/web.txt when missing)
if why=$(lab_browser_ready "$out/browser-deps.log"); then
	timeout 180 /usr/bin/python3 "$top/tests/browser/patch_report.py" \
		--url "$LAB_URL" --plan "$plan" --out "$out" >"$out/browser.log" 2>&1
	grep -q '^ok - ' "$out/browser.log" || lab_fail "Patch reports pages in a browser" "see $out/browser.log"
	while IFS= read -r l; do
		case "$l" in
		'ok - '*) lab_ok "browser: ${l#ok - }" ;;
		'not ok - '*) lab_fail "browser: ${l#not ok - }" ;;
		esac
	done <"$out/browser.log"
else
	lab_skip "Patch reports pages in a browser" "$why"
fi

# ---- 3. a series that does not apply ------------------------------------
echo "# a directory series whose second patch does not apply"
lab_bad_series "$out/badseries"
lab_cli patch submit --base debian-6.12 --target q35-vtd --filter 'kmod.attach.*' --json \
	"$out/badseries" >"$out/bad-submit.json"
bplan=$(jq -r .id "$out/bad-submit.json" 2>/dev/null)
bhead=$(jq -r .spec.patch.head "$out/bad-submit.json")
lab_api "jobs?plan=$bplan" >"$out/bad-jobs.json"
cj=$(jq -r --arg k "$bhead" '.items[] | select(.kernel == $k) | .id' "$out/bad-jobs.json")
bj=$(jq -r --arg k "$bhead" '.items[] | select(.kernel != $k) | .id' "$out/bad-jobs.json")
lab_wait_job "$cj" 900 incomplete complete
lab_check "the candidate job is incomplete (preparation failed)" \
	test "$(lab_job_field "$cj" state)" = incomplete
# the base run adds nothing to a report that failed at apply: stop it
curl -fsS -X POST -H "Authorization: Bearer $LAB_TOKEN" "$LAB_URL/api/v1/jobs/$bj/cancel" >/dev/null 2>&1
lab_api "patches/$bplan" >"$out/bad-report.json"
curl -fsS "$LAB_URL/api/v1/patches/$bplan?format=text" >"$out/bad-report.txt"
cat "$out/bad-report.txt"
lab_check "report: fail at stage apply, one check iommulab/build" \
	jqe '.state == "fail" and .stage == "apply" and ([.checks[] | .context + ":" + .state] == ["iommulab/build:fail"])
	     and (.summary | test("does not apply"))' "$out/bad-report.json"
lab_check "report: the excerpt names the patch that does not apply" \
	jqe '.excerpt | test("0002-bad-context.patch")' "$out/bad-report.json"
lab_check "text report: says so with the log excerpt" \
	bash -c "grep -q 'does not apply' '$out/bad-report.txt' && grep -q '^  | ' '$out/bad-report.txt'"
lab_check "no candidate kernel was booted for it (no console log)" \
	test ! -s "$out/state/logs/$cj.log"

# ---- 4. a series that breaks the build, one that does not boot -----------
# made here from the pristine tree (kernels/build unpacked it), as plain -p1
# diffs; each builds incrementally from the base's objects
pristine=$(ls -d "$CACHE"/src/debian-6.12-* 2>/dev/null | head -1)
iommu_c=drivers/iommu/intel/iommu.c
# mkdiff NAME SED-EXPR: a -p1 diff of iommu.c with SED-EXPR applied
mkdiff() {
	mkdir -p "$out/$1/a/drivers/iommu/intel" "$out/$1/b/drivers/iommu/intel"
	cp "$pristine/$iommu_c" "$out/$1/a/$iommu_c"
	sed "$2" "$pristine/$iommu_c" >"$out/$1/b/$iommu_c"
	(cd "$out/$1" && diff -u --label "a/$iommu_c" --label "b/$iommu_c" "a/$iommu_c" "b/$iommu_c" >"../$1.diff")
	[ -s "$out/$1.diff" ]
}
# report_of NAME DIFF: submit, wait for the candidate's job, cancel the base's
report_of() {
	local sub=$out/$1-submit.json p h cj bj
	lab_cli patch submit --base debian-6.12 --target q35-vtd --filter 'kmod.attach.*' --json "$2" >"$sub"
	p=$(jq -r .id "$sub") h=$(jq -r .spec.patch.head "$sub")
	lab_api "jobs?plan=$p" >"$out/$1-jobs.json"
	cj=$(jq -r --arg k "$h" '.items[] | select(.kernel == $k) | .id' "$out/$1-jobs.json")
	bj=$(jq -r --arg k "$h" '.items[] | select(.kernel != $k) | .id' "$out/$1-jobs.json")
	lab_wait_job "$cj" 1500 incomplete complete
	curl -fsS -X POST -H "Authorization: Bearer $LAB_TOKEN" "$LAB_URL/api/v1/jobs/$bj/cancel" >/dev/null 2>&1
	lab_api "patches/$p" >"$out/$1-report.json"
	curl -fsS "$LAB_URL/api/v1/patches/$p?format=text" >"$out/$1-report.txt"
}
if [ -n "$pristine" ] && mkdiff buildbreak '/^int __init intel_iommu_init(void)$/,/^{$/ s/^{$/{\n\tthis_is_not_c;/' &&
   mkdiff bootpanic '/^int __init intel_iommu_init(void)$/,/^{$/ s/^{$/{\n\tpanic("iommulab: this test patch panics at boot");/'; then
	echo "# a series that breaks the build"
	report_of buildbreak "$out/buildbreak.diff"
	lab_check "build break: fail at stage build, one check iommulab/build" \
		jqe '.state == "fail" and .stage == "build" and ([.checks[] | .context + ":" + .state] == ["iommulab/build:fail"])
		     and (.summary | test("breaks the build"))' "$out/buildbreak-report.json"
	lab_check "build break: the excerpt has the compiler's error" \
		jqe '.excerpt | test("this_is_not_c")' "$out/buildbreak-report.json"
	echo "# a series whose kernel panics at boot"
	report_of bootpanic "$out/bootpanic.diff"
	lab_check "boot panic: fail at stage boot, one check iommulab/boot" \
		jqe '.state == "fail" and .stage == "boot" and ([.checks[] | .context + ":" + .state] == ["iommulab/boot:fail"])' \
		"$out/bootpanic-report.json"
	lab_check "boot panic: the excerpt is the console's panic" \
		jqe '.excerpt | test("Kernel panic.*iommulab: this test patch panics at boot")' "$out/bootpanic-report.json"
	sed -n '1,12p' "$out/bootpanic-report.txt"
else
	lab_fail "test diffs for a build break and a boot panic" "no pristine tree under $CACHE/src"
fi

# ---- 5. what the lab reads: one mail without the mbox separator; junk ---
# the test patch saved as a mail client would (no "From <sha> <date>" line):
# a valid one-patch series, judged exactly as in 1. (same diff, same build
# hash: the candidate kernel is the one built there)
tail -n +2 "$patch1" >"$out/nosep.patch"
lab_check "the test patch without its mbox separator line starts with 'From: '" \
	bash -c "head -1 '$out/nosep.patch' | grep -q '^From: ' && ! grep -q '^From [0-9a-f]\{40\} ' '$out/nosep.patch'"
lab_cli patch submit --base debian-6.12 --target q35-vtd --filter 'kmod.coherency.*' --json \
	"$out/nosep.patch" >"$out/nosep-submit.json"
np=$(jq -r .id "$out/nosep-submit.json" 2>/dev/null)
lab_api "jobs?plan=$np" >"$out/nosep-jobs.json"
for j in $(jq -r '.items[].id' "$out/nosep-jobs.json"); do lab_wait_job "$j" 1500 incomplete complete canceled; done
lab_api "patches/$np" >"$out/nosep-report.json"
nc=$(lab_api "jobs?plan=$np" | jq '[.items[] | select(.state == "complete")] | length')
lab_check "one mail without the separator: a one-patch series, both jobs complete ($nc/2)" \
	test "$(jq -r .njobs "$out/nosep-submit.json")" = 2 -a "$nc" = 2
lab_check "one mail without the separator: judged as with it (intel-iommu fails on vtd_no_snoop only)" \
	jqe '.state == "fail" and .stage != "build" and .stage != "input"
	     and ([.drivers[].errno_changes[] | .case] == ["kmod.coherency.vtd_no_snoop"])
	     and ([.checks[] | select(.state == "fail") | .context] == ["iommulab/intel-iommu"])' "$out/nosep-report.json"
# a series the lab cannot read: an input error, not the kernel's failure
mkdir -p "$out/junk"
printf 'Please apply the fix we talked about.\n' >"$out/junk/0001-fix.patch"
lab_cli patch submit --base debian-6.12 --target q35-vtd --filter 'kmod.coherency.*' --json \
	"$out/junk" >"$out/junk-submit.json"
jp=$(jq -r .id "$out/junk-submit.json" 2>/dev/null) jh=$(jq -r .spec.patch.head "$out/junk-submit.json")
jc=$(lab_api "jobs?plan=$jp" | jq -r --arg k "$jh" '.items[] | select(.kernel == $k) | .id')
lab_wait_job "$jc" 600 incomplete complete
lab_api "patches/$jp" >"$out/junk-report.json"
curl -fsS "$LAB_URL/api/v1/patches/$jp?format=text" >"$out/junk-report.txt"
sed -n '1,8p' "$out/junk-report.txt"
lab_check "unreadable series: stage input, one check iommulab/input, 'input error' (not 'breaks the build')" \
	jqe '.state == "fail" and .stage == "input" and ([.checks[] | .context + ":" + .state] == ["iommulab/input:fail"])
	     and (.summary | test("input error")) and (.summary | test("build") | not)' "$out/junk-report.json"
lab_check "unreadable series: the excerpt says what could not be read" \
	jqe '.excerpt | test("0001-fix.patch.*neither a mail nor a diff")' "$out/junk-report.json"

# ---- 6. known issues (issue 18.1): the violation of 1. made an expected failure ----
# a known issue for another target excuses nothing; one for q35-* labels the row
# expected: the same report no longer fails (its checks and the CLI's exit say so)
ki_post() {
	curl -fsS -H "Authorization: Bearer $LAB_TOKEN" -H 'Content-Type: application/json' \
		-d "$1" "$LAB_URL/api/v1/known-issues"
}
ki_post '{"driver": "intel-iommu", "case": "kmod.coherency.vtd_no_snoop", "target": "q35-virtio",
	  "reason": "another target"}' >/dev/null
lab_api "patches/$plan" >"$out/known-out-report.json"
lab_check "a known issue for another target (q35-virtio): the report still fails on the violation" \
	jqe '.state == "fail" and ([.drivers[].contract_violations[] | .case] == ["kmod.coherency.vtd_no_snoop"])
	     and ([.drivers[].expected_failures[]] | length) == 0' "$out/known-out-report.json"
kin=$(ki_post '{"driver": "intel-iommu", "case": "kmod.coherency.*", "target": "q35-*",
		"reason": "ENODEV on a snoop mismatch is what the series means"}' | jq .id)
lab_api "patches/$plan" >"$out/known-in-report.json"
curl -fsS "$LAB_URL/api/v1/patches/$plan?format=text" >"$out/known-in-report.txt"
lab_check "a known issue for q35-* (known issue $kin): the row is an expected failure, the report is no longer fail" \
	jqe --argjson k "${kin:-0}" '.state != "fail" and ([.checks[] | select(.state == "fail")] | length) == 0
	     and ([.drivers[].contract_violations[]] | length) == 0
	     and ([.drivers[].expected_failures[] | {case, id: .known_issue.id, label: .known_issue.label}]
	          == [{"case": "kmod.coherency.vtd_no_snoop", "id": $k, "label": "expected"}])' \
	"$out/known-in-report.json"
lab_check "text report: the row as an expected failure with the known issue's reason" \
	grep -q "kmod.coherency.vtd_no_snoop *EINVAL/pass -> ENODEV/fail  \[expected failure: known issue $kin, \"ENODEV on a snoop mismatch" \
	"$out/known-in-report.txt"
lab_cli patch report "$plan" >/dev/null
lab_check "iommulab patch report exits 0 once the violation is expected" test $? -eq 0

lab_srv_stop
trap - EXIT
lab_check "no qemu left" test -z "$(lab_qemu_of "$out/state")"
lab_done
