#!/usr/bin/env bash
# 62-bisect - bisection on an errno predicate end to end (issue 17), against
# a real iommulabd (own state dir and port, real SQLite, the scheduler, the
# local QEMU runner) and real kernels built from a synthetic git history:
#
# 0. tests/bisect/make-history: Debian's linux-source-6.12 as a root commit
#    and eight commits on drivers/iommu (c4 does not compile, c5 fixes it,
#    c6 makes intel-iommu return -ENODEV instead of -EINVAL on a snoop-
#    control mismatch), made once into $CACHE/bisect (fixed ids). The good
#    end is built once into $CACHE (the cold build: progress on stderr);
#    every step after that starts from the objects of the nearest commit
#    built before.
# 1. Bad requests are refused with the reason and change nothing: relative
#    or non-git tree, a ref that is an option or not a commit, good not an
#    ancestor of bad, unknown target or case, a non-x86 target, an unknown
#    errno name, two predicates, an unknown key, repeat out of range.
# 2. `iommulab bisect start --expect EINVAL` on q35-vtd with
#    kmod.coherency.vtd_no_snoop names c6 as the first bad commit (id,
#    subject, author, diff stat of intel/iommu.c), with at most
#    ceil(log2(8))+1 = 4 steps; c4 is a "skip" whose reason is that the
#    job did not complete (the build failed); the tree was not written (its
#    refs and files are the same before and after); the report carries
#    `git bisect log` and a reproduction command; the step table has build
#    times and each step's errno distribution.
# 3. The flaky history (c6' returns -ENODEV on two attaches of three):
#    with --repeat 3 the majority still names c6', and its step keeps the
#    distribution {ENODEV: 2, EINVAL: 1}.
# 4. A five-patch series on debian-6.12 with the bad patch third (`iommulab
#    bisect series`): patch 3 is named in at most 3 steps, each step a
#    prefix of the series built from the base's objects.
# 5. Each bisection's one-command reproduction, run as given, finds the
#    same first bad commit / patch.
# 6. `iommulab patch bisect PLAN` on a failing patch report takes the
#    report's row and base errno and bisects its series.
# Also: --verify with a wrong predicate fails at the good end; the
# dashboard's #/bisect pages in Chromium, `iommulab likely` (c6
# ranked first for ENODEV) and the likely-commit hint under `iommulab diff`.
# Figures (cold build of the good end, each warm step's build, the whole
# bisection) are written to $out/figures.txt and printed.
# Skipped with a reason when QEMU, linux-source-6.12, ccache or busybox are
# missing.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export CACHE=${CACHE:-$HOME/.cache/iommulab}
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/62-bisect
rm -rf "$out"
mkdir -p "$out"
. "$top/tests/lib-kbuild.sh"
lab_kbuild_ready "bisection" "scripts/install-deps kbuild server rig" curl git
nice -n 10 make -s -C "$top/server" >"$out/build.log" 2>&1 ||
	{ lab_fail "server builds" "see $out/build.log"; lab_done; exit 1; }
jqe() { jq -e "$@" >/dev/null; }
case_id=kmod.coherency.vtd_no_snoop

# ---- 0. the histories and the cold build of the good end ----------------
mkdir -p "$CACHE/bisect"
hist=$CACHE/bisect/linux-6.12-history.git
flaky=$CACHE/bisect/linux-6.12-flaky.git
echo "# synthetic histories in $CACHE/bisect (made once, a minute or two each)"
"$top/tests/bisect/make-history" "$hist" >/dev/null &&
	"$top/tests/bisect/make-history" --flaky "$flaky" >/dev/null ||
	{ lab_fail "tests/bisect/make-history"; lab_done; exit 1; }
lab_check "history: 9 commits, c6 is the snoop-control errno change" \
	test "$(git -C "$hist" rev-list --count bad)" = 9 -a \
	"$(git -C "$hist" log -1 --format=%s bad~2)" = "iommu/vt-d: return -ENODEV for a snoop-control mismatch on attach (c6)"
c6=$(git -C "$hist" rev-parse bad~2)
c4=$(git -C "$hist" rev-parse bad~4)
f6=$(git -C "$flaky" rev-parse bad~2)
t0=$(date +%s)
echo "# preparing the good end's kernel once (cold: 5-10 minutes with an empty ccache; cached after)"
if ! nice -n 10 "$top/kernels/build" --tree "$hist@good" >"$out/good.json" 2>"$out/good-build.log"; then
	tail -5 "$out/good-build.log"
	lab_fail "the good end builds"; lab_done; exit 1
fi
cold_s=$(( $(date +%s) - t0 ))
grep -q 'cached:' "$out/good-build.log" && cold_note="cached (built before)" || cold_note="built now"
echo "# good end: ${cold_s}s ($cold_note)"
before_refs=$(git -C "$hist" for-each-ref --format='%(objectname) %(refname)'; ls -la "$hist")

. "$top/tests/lib-server.sh"
lab_srv_start "$out/state" --log-level info ||
	{ lab_fail "iommulabd starts"; lab_done; exit 1; }
trap 'lab_srv_stop' EXIT

# ---- 1. bad requests ---------------------------------------------------
refuse() { # refuse NAME PATTERN ARGS...: the CLI fails, the server says PATTERN
	local name=$1 pat=$2; shift 2
	lab_cli bisect start "$@" >"$out/refuse.out" 2>&1
	local rc=$?
	lab_check "refused: $name (exit $rc)" \
		sh -c "[ $rc -ne 0 ] && grep -qE -- '$pat' '$out/refuse.out'"
}
ok=(--target q35-vtd --case "$case_id" --expect EINVAL)
refuse "relative tree" "absolute path" --tree relative --good good --bad bad "${ok[@]}"
refuse "a directory that is no git repository" "not a git repository" --tree /proc/self --good good --bad bad "${ok[@]}"
refuse "a ref that is an option" "not starting with" --tree "$hist" --good=--output=/tmp/x --bad bad "${ok[@]}"
refuse "a ref that is no commit" "is not a commit" --tree "$hist" --good nosuch --bad bad "${ok[@]}"
refuse "good not an ancestor of bad" "not an ancestor" --tree "$hist" --good bad --bad good "${ok[@]}"
refuse "unknown target" "unknown target" --tree "$hist" --good good --bad bad --target nosuch --case "$case_id" --expect EINVAL
refuse "a non-x86 target" "not x86_64" --tree "$hist" --good good --bad bad --target virt-smmuv3 --case "$case_id" --expect EINVAL
refuse "unknown errno name" "not an errno name" --tree "$hist" --good good --bad bad --target q35-vtd --case "$case_id" --expect EBOGUS
r=$(curl -s -o "$out/refuse.json" -w '%{http_code}' -H "Authorization: Bearer $LAB_TOKEN" \
	-d "{\"tree\":\"$hist\",\"good\":\"good\",\"bad\":\"bad\",\"target\":\"q35-vtd\",\"case\":\"$case_id\",\"expect\":\"EINVAL\",\"verdict\":\"pass\"}" \
	"$LAB_URL/api/v1/bisections")
lab_check "refused: two predicates (HTTP $r)" sh -c "[ $r = 400 ] && grep -q 'exactly one' '$out/refuse.json'"
r=$(curl -s -o "$out/refuse.json" -w '%{http_code}' -H "Authorization: Bearer $LAB_TOKEN" \
	-d "{\"tree\":\"$hist\",\"good\":\"good\",\"bad\":\"bad\",\"target\":\"q35-vtd\",\"case\":\"$case_id\",\"expect\":\"EINVAL\",\"repeat\":99}" \
	"$LAB_URL/api/v1/bisections")
lab_check "refused: repeat 99 (HTTP $r)" test "$r" = 400
r=$(curl -s -o "$out/refuse.json" -w '%{http_code}' -H "Authorization: Bearer $LAB_TOKEN" \
	-d '{"tree":"/tmp","shell":"$(id)"}' "$LAB_URL/api/v1/bisections")
lab_check "refused: an unknown key (HTTP $r)" sh -c "[ $r = 400 ] && grep -q 'unknown key' '$out/refuse.json'"
r=$(curl -s -o /dev/null -w '%{http_code}' -d '{}' "$LAB_URL/api/v1/bisections")
lab_check "refused: no token (HTTP $r)" test "$r" = 401
lab_api bisections >"$out/list0.json"
lab_check "nothing was recorded by the refused requests" jqe '.count == 0' "$out/list0.json"
lab_check "nothing was registered either (no bisect- kernel, no plan)" \
	sh -c "lab_api() { curl -fsS \"$LAB_URL/api/v1/\$1\"; }; lab_api kernels | jq -e '[.items[] | select(.name | startswith(\"bisect-\"))] | length == 0' >/dev/null && lab_api plans | jq -e '.items | length == 0' >/dev/null"

# ---- 2. the bisection ---------------------------------------------------
bisect_run() { # bisect_run NAME ARGS...: start, wait, JSON into $out/NAME.json
	local name=$1; shift
	local t=$(date +%s)
	lab_cli bisect start --json "$@" >"$out/$name-start.json" || return 1
	local id
	id=$(jq -r .id "$out/$name-start.json")
	lab_cli bisect show "$id" --wait --timeout 2400 >"$out/$name.txt" 2>"$out/$name-wait.log"
	lab_cli bisect show "$id" --json >"$out/$name.json"
	echo "# bisection $id ($name): $(jq -r .state "$out/$name.json") after $(( $(date +%s) - t ))s"
	eval "${name}_s=$(( $(date +%s) - t ))"
}
bisect_run main --tree "$hist" --good good --bad bad --target q35-vtd --case "$case_id" --expect EINVAL
sed 's/^/#   /' "$out/main.txt"
lab_check "found: the first bad commit is c6 ($c6)" \
	jqe --arg c "$c6" '.state == "found" and .result.first_bad.commit == $c' "$out/main.json"
lab_check "first bad commit: subject, author and the diff stat of intel/iommu.c" \
	jqe '.result.first_bad | (.subject | test("snoop-control")) and (.author | test("iommulab test"))
	     and (.diffstat | test("drivers/iommu/intel/iommu.c"))' "$out/main.json"
lab_check "builds: at most ceil(log2(8))+1 = 4 steps" \
	jqe '(.steps | length) <= 4 and .result.builds == (.steps | length)' "$out/main.json"
lab_check "c4 (does not build) is a skip, named with the reason" \
	jqe --arg c "$c4" '[.steps[] | select(.commit == $c and .judgement == "skip" and (.why | test("does not build: .*intel/iommu.c.*error")))] | length == 1' "$out/main.json"
lab_check "good steps observed EINVAL, bad ones ENODEV (the distribution is kept)" \
	jqe '[.steps[] | select(.judgement == "good")] | length >= 1 and all(.distribution == {"EINVAL": 1})' "$out/main.json"
lab_check "...and bad ones ENODEV" \
	jqe '[.steps[] | select(.judgement == "bad")] | length >= 1 and all(.distribution == {"ENODEV": 1})' "$out/main.json"
lab_check "each step names its job(s), each judged step has a build time" \
	jqe 'all(.steps[]; (.jobs | length) == 1) and all(.steps[] | select(.judgement != "skip"); .build_s >= 0)' "$out/main.json"
lab_check "git bisect log and a one-command reproduction in the report" \
	jqe --arg c "$c6" '(.result.log | test("# first bad commit: \\[" + $c)) and (.result.reproduce | startswith("iommulab bisect start --tree "))' "$out/main.json"
lab_check "the text report names the first bad commit" grep -q "first bad commit: $c6" "$out/main.txt"
after_refs=$(git -C "$hist" for-each-ref --format='%(objectname) %(refname)'; ls -la "$hist")
lab_check "the tree was only read (refs and top-level entries unchanged, no bisect state in it)" \
	sh -c "[ \"\$1\" = \"\$2\" ] && [ ! -e '$hist/BISECT_LOG' ]" _ "$before_refs" "$after_refs"
lab_api bisections >"$out/list1.json"
lab_check "GET /bisections lists it with its first bad commit" \
	jqe --arg c "$c6" '.count == 1 and .items[0].result.first_bad.commit == $c' "$out/list1.json"

# --verify with a wrong predicate (ENODEV is what the BAD commits observe):
# the good end runs first and the bisection fails there, naming what it saw
bisect_run wrong --tree "$hist" --good good --bad bad --target q35-vtd --case "$case_id" --expect ENODEV --verify
lab_check "--verify, wrong predicate: failed at the good end (observed EINVAL), no first bad commit" \
	jqe '.state == "failed" and (.reason | test("good end .* judged bad \\(observed EINVAL x1\\)")) and (.steps | length) == 1 and .result == null' "$out/wrong.json"

# likely commits (17.4): without building, c6 is ranked first for ENODEV
lab_cli likely --json --tree "$hist" --from good --to bad --driver intel-iommu --errno ENODEV >"$out/likely.json"
lab_check "likely: 8 commits touch intel-iommu or the core; c6 first (driver file + names ENODEV)" \
	jqe --arg c "$c6" '.total == 8 and .items[0].commit == $c and .items[0].rank == 3 and ([.items[] | select(.mentions_errno)] | length) == 1' "$out/likely.json"
# ... and under a diff of a good step's kernel and the first bad commit's
gk=$(jq -r '[.steps[] | select(.judgement == "good")][0].kernel' "$out/main.json")
bk=$(jq -r --arg c "$c6" '.steps[] | select(.commit == $c) | .kernel' "$out/main.json")
lab_cli diff "$gk" "$bk" >"$out/diff.txt" 2>&1
lab_check "diff $gk -> $bk: the errno change, and c6 as the likely commit naming ENODEV" \
	sh -c "grep -q 'kmod.coherency.vtd_no_snoop.*EINVAL.*ENODEV' '$out/diff.txt' && grep -q 'likely commits for intel-iommu ENODEV' '$out/diff.txt' && grep -q '^  ${c6:0:12} .*(names the errno)' '$out/diff.txt'"

# ---- 3. flaky: a majority of 3 repeats --------------------------------
bisect_run flaky --tree "$flaky" --good good --bad bad --target q35-vtd --case "$case_id" --expect EINVAL --repeat 3
sed 's/^/#   /' "$out/flaky.txt"
lab_check "flaky history, --repeat 3: the majority names c6' ($f6)" \
	jqe --arg c "$f6" '.state == "found" and .result.first_bad.commit == $c' "$out/flaky.json"
lab_check "c6' judged bad by 2 of 3, its distribution kept (ENODEV 2, EINVAL 1)" \
	jqe --arg c "$f6" '[.steps[] | select(.commit == $c)][0] | .judgement == "bad" and .distribution == {"ENODEV": 2, "EINVAL": 1}' "$out/flaky.json"

# ---- 4. a five-patch series with the bad patch third --------------------
# from the history: c1, c3, c6 (the errno change), c7, c8 as an mbox on
# Debian's linux-source-6.12 (the root commit's tree)
for r in bad~7 bad~5 bad~2 bad~1 bad; do git -C "$hist" format-patch --stdout -1 "$r"; done >"$out/series.mbox"
lab_check "the series: 5 mails, the third is the snoop-control errno change" \
	sh -c "[ \$(grep -c '^From [0-9a-f]\{40\} ' '$out/series.mbox') = 5 ] && grep '^Subject: ' '$out/series.mbox' | sed -n 3p | grep -q snoop-control"
t=$(date +%s)
lab_cli bisect series --json --base debian-6.12 --target q35-vtd --case "$case_id" --expect EINVAL "$out/series.mbox" >"$out/series-start.json"
sid=$(jq -r .id "$out/series-start.json")
lab_cli bisect show "$sid" --wait --timeout 2400 >"$out/series.txt" 2>/dev/null
lab_cli bisect show "$sid" --json >"$out/series.json"
series_s=$(( $(date +%s) - t ))
sed 's/^/#   /' "$out/series.txt"
lab_check "series bisection: the first bad patch is 3/5 (the snoop-control errno change)" \
	jqe '.kind == "series" and .state == "found" and .result.first_bad.patch == 3 and (.result.first_bad.subject | test("snoop-control"))' "$out/series.json"
lab_check "series bisection: at most ceil(log2(5)) = 3 steps, each a prefix of the series" \
	jqe '(.steps | length) <= 3 and all(.steps[]; .commit | test("^patch:[1-4]$"))' "$out/series.json"
lab_check "series steps: the prefixes without patch 3 observe EINVAL, with it ENODEV" \
	jqe 'all(.steps[]; (.commit | ltrimstr("patch:") | tonumber) as $k | if $k < 3 then .judgement == "good" and .distribution == {"EINVAL": 1} else .judgement == "bad" and .distribution == {"ENODEV": 1} end)' "$out/series.json"
lab_check "series: the first bad patch's diff stat names intel/iommu.c" \
	jqe '.result.first_bad.diffstat | test("drivers/iommu/intel/iommu.c")' "$out/series.json"

# ---- 5. the one-command reproductions reproduce (kernels cached: boots only)
for name in main series; do
	read -ra cmd <<<"$(jq -r .result.reproduce "$out/$name.json")"
	if [ "${cmd[0]:-}" != iommulab ]; then
		lab_fail "$name: reproduce is an iommulab command" "${cmd[*]:-none}"
		continue
	fi
	"$LAB_CLI_BIN" "${cmd[@]:1}" --json >"$out/$name-again-start.json" 2>&1
	rid=$(jq -r .id "$out/$name-again-start.json" 2>/dev/null)
	lab_cli bisect show "$rid" --wait --timeout 1200 >/dev/null 2>&1
	lab_cli bisect show "$rid" --json >"$out/$name-again.json" 2>/dev/null
	lab_check "$name: its reproduction command finds the same first bad $([ $name = main ] && echo commit || echo patch)" \
		jqe --slurpfile a "$out/$name.json" '.state == "found" and .result.first_bad == $a[0].result.first_bad' "$out/$name-again.json"
done

# ---- 6. iommulab patch bisect: from a failing patch report ---------------
# the test patch (kernels/patches/0001) on q35-vtd, only the case: its report
# fails on vtd_no_snoop (EINVAL -> ENODEV); bisecting its series takes the
# report's row and base errno; one patch: found at once, nothing to build
lab_cli patch submit --json --base debian-6.12 --target q35-vtd --filter "$case_id" "$patch1" >"$out/patch.json"
pplan=$(jq -r .id "$out/patch.json")
lab_cli watch "$pplan" --interval 5 --timeout 1800 >/dev/null 2>&1
lab_cli patch report "$pplan" --json >"$out/patch-report.json"
lab_cli patch bisect "$pplan" --json >"$out/patch-bisect.json" 2>&1
lab_check "patch bisect $pplan: its row (q35-vtd, $case_id, base EINVAL) over its one-patch series" \
	jqe --arg c "$case_id" '.kind == "series" and .spec.target == "q35-vtd" and .spec.case == $c and .spec.expect == "EINVAL" and .spec.series.n == 1' "$out/patch-bisect.json"
lab_check "patch bisect: the first bad patch is the test patch (found without a build)" \
	jqe '.state == "found" and .result.first_bad.patch == 1 and (.result.first_bad.subject | test("snoop-control")) and (.steps | length) == 0' "$out/patch-bisect.json"

# ---- 7. the dashboard's Bisections pages (Debian's chromium + chromium-driver
# + python3-selenium, installed from scripts/deps/web.txt when missing), with
# every kind of bisection above in the list
main_id=$(jq -r .id "$out/main.json")
if why=$(lab_browser_ready "$out/browser-deps.log"); then
	timeout 180 /usr/bin/python3 "$top/tests/browser/bisect_page.py" \
		--url "$LAB_URL" --id "$main_id" --commit "$c6" --series-id "$sid" --out "$out" >"$out/browser.log" 2>&1
	grep -q '^ok - ' "$out/browser.log" || lab_fail "Bisections pages in a browser" "see $out/browser.log"
	while IFS= read -r l; do
		case "$l" in
		'ok - '*) lab_ok "browser: ${l#ok - }" ;;
		'not ok - '*) lab_fail "browser: ${l#not ok - }" ;;
		esac
	done <"$out/browser.log"
else
	lab_skip "Bisections pages in a browser" "$why"
fi

# ---- figures -------------------------------------------------------------
{
	echo "good end (cold first build, $cold_note): ${cold_s}s"
	jq -r '.steps[] | "step \(.n) \(.commit[0:12]) \(.judgement): build \(.build_s // "-")s"' "$out/main.json"
	echo "whole bisection (main): ${main_s:-?}s, $(jq '.steps | length' "$out/main.json") steps"
	echo "whole bisection (flaky, repeat 3): ${flaky_s:-?}s, $(jq '.steps | length' "$out/flaky.json") steps"
	jq -r '.steps[] | "series step \(.n) \(.commit) \(.judgement): build \(.build_s // "-")s"' "$out/series.json"
	echo "whole series bisection: ${series_s:-?}s, $(jq '.steps | length' "$out/series.json") steps"
} >"$out/figures.txt"
sed 's/^/# /' "$out/figures.txt"
lab_done
