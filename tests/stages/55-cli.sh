#!/usr/bin/env bash
# 55-cli - the iommulab CLI against a real iommulabd (127.0.0.1, own state dir,
# real SQLite, real scheduler and QEMU): plan submit over two kernels, watch,
# jobs, results, diff (and across the QEMU 7.2/10.0 twins q35-vtd and
# q35-vtd-q10: QEMU changes, not regressions), JUnit/KCIDB export, kernels/targets, and the error
# paths (server down -> exit 3 with "cannot reach", missing/bad token -> 401
# and nothing written, usage errors -> exit 2, unknown plan -> exit 1).
# The QEMU part is skipped with a reason when QEMU, the rig or a kernel is
# missing; the error paths always run.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export CACHE=${CACHE:-$HOME/.cache/iommulab}
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/55-cli
rm -rf "$out"
mkdir -p "$out"
make -s -C "$top/server" >/dev/null || { lab_fail "server builds"; lab_done; exit 1; }
. "$top/tests/lib-server.sh"
cli=$LAB_CLI_BIN
unset IOMMULAB_SERVER IOMMULAB_TOKEN

# expect RC CMD... : run, keep stdout/stderr in $out/last.{out,err}, check rc
expect() {
	local want=$1; shift
	"$@" >"$out/last.out" 2>"$out/last.err"
	local rc=$?
	[ "$rc" = "$want" ] || { echo "# '$*' exit $rc, wanted $want: $(head -c 300 "$out/last.err")"; return 1; }
}

# ---- without a server -------------------------------------------------
if expect 3 "$cli" --server http://127.0.0.1:1 jobs &&
   grep -q "cannot reach iommulabd at http://127.0.0.1:1" "$out/last.err"; then
	lab_ok "server down -> exit 3, 'cannot reach iommulabd at URL'"
else
	lab_fail "server down -> exit 3"
fi
ok=1
for c in "" "plan submit" jobs log cancel watch results diff "export" "kernels add" "kernels list" "targets list" \
	"contracts import" "contracts rejudge" "contracts history"; do
	# shellcheck disable=SC2086
	expect 0 "$cli" $c --help && grep -q "usage: iommulab" "$out/last.out" || { ok=0; echo "# --help of '$c'"; }
done
[ $ok = 1 ] && lab_ok "--help on every command" || lab_fail "--help on every command"
ok=1
expect 2 "$cli" frobnicate || ok=0
expect 2 "$cli" plan || ok=0
expect 2 "$cli" plan submit --target q35-vtd || ok=0
expect 2 "$cli" plan submit --kernel 6.1 || ok=0
expect 2 "$cli" plan submit --kernel 6.1 --target a --all-targets || ok=0
expect 2 "$cli" plan submit --kernel 6.1 --all-targets --repeat 0 || ok=0
expect 2 "$cli" watch abc || ok=0
expect 2 "$cli" --server ftp://x jobs || ok=0
expect 2 "$cli" export pdf --plan 1 || ok=0
[ $ok = 1 ] && lab_ok "usage errors -> exit 2 with a message" || lab_fail "usage errors -> exit 2"

# ---- a real server ----------------------------------------------------
state=$out/state
trap 'lab_srv_stop; for p in $(lab_qemu_of "$state"); do kill -9 "$p"; done' EXIT
lab_srv_start "$state" || { lab_fail "iommulabd starts"; lab_done; exit 1; }
tok=$LAB_TOKEN
unset IOMMULAB_TOKEN
export IOMMULAB_SERVER=$LAB_URL

# writes need the token: none / a wrong one -> 401, nothing stored
nk0=$(lab_api kernels | jq .count)
if expect 1 "$cli" --token-file /nonexistent kernels add 6.1 && grep -q "HTTP 401" "$out/last.err" &&
   expect 1 "$cli" --token 0000 kernels add 6.1 && grep -q "HTTP 401" "$out/last.err" &&
   [ "$(lab_api kernels | jq .count)" = "$nk0" ]; then
	lab_ok "no/bad token -> HTTP 401, nothing registered"
else
	lab_fail "no/bad token -> 401"
fi
# the token from the token file (--token-file), then from $IOMMULAB_TOKEN
if expect 0 "$cli" --token-file "$state/admin.token" kernels add 6.1 &&
   IOMMULAB_TOKEN=$tok expect 0 "$cli" kernels add 6.12 &&
   expect 0 "$cli" kernels list && grep -q "^6.12 " "$out/last.out"; then
	lab_ok "kernels add with --token-file and \$IOMMULAB_TOKEN; kernels list"
else
	lab_fail "kernels add/list"
fi
export IOMMULAB_TOKEN=$tok
if expect 0 "$cli" targets list && grep -q "^q35-vtd " "$out/last.out"; then
	lab_ok "targets list shows the loaded targets"
else
	lab_fail "targets list"
fi
np0=$(lab_api plans | jq .count)
if expect 1 "$cli" plan submit --kernel no-such-kernel --target q35-vtd &&
   grep -q "HTTP 4" "$out/last.err" && [ "$(lab_api plans | jq .count)" = "$np0" ]; then
	lab_ok "plan with an unknown kernel -> refused with the server's error, no plan"
else
	lab_fail "plan with an unknown kernel refused"
fi
if expect 1 "$cli" watch 999999 && grep -q "HTTP 404" "$out/last.err"; then
	lab_ok "watch an unknown plan -> exit 1, HTTP 404"
else
	lab_fail "watch unknown plan"
fi

skip_qemu() {
	for n in "plan submit over two kernels + watch" "jobs --plan" "results --kernel" \
		"diff 6.1 6.12" "contracts import/rejudge/history" "diff across QEMU twins: QEMU changes, no regression" \
		"diff: a QEMU change is not --fail-on-regress" "diff across targets refuses non-twins, unknown targets, one target" \
		"a job on a target known broken on its QEMU ends at once with the reason" "export junit" "export kcidb" "log JOB" "cancel a final job -> 409" \
		"demo: an incomplete job -> exit 1" "demo: all complete -> exit 0"; do
		lab_skip "$n" "$1"
	done
	lab_done
	exit $?
}
command -v qemu-system-x86_64 >/dev/null || skip_qemu "qemu-system-x86_64 not installed"
[ -x "$top/rig/boot" ] || skip_qemu "rig/boot missing"
for k in 6.1 6.12; do
	r=$(nice -n 10 "$top/kernels/fetch-debian" --kernel "$k" 2>>"$out/fetch.log") ||
		skip_qemu "Debian kernel $k not available"
	"$cli" kernels add "$k" --release "$r" >/dev/null
done

if expect 0 "$cli" plan submit --kernel 6.1 --kernel 6.12 --target q35-vtd --filter 'kmod.attach.*' \
	--max-attempts 2 && plan=$(sed -n 's/^plan \([0-9]*\): 2 jobs queued$/\1/p' "$out/last.out") &&
   [ -n "$plan" ] && expect 0 "$cli" watch "$plan" --interval 2 --timeout 600 &&
   grep -q "2/2 final (complete 2" "$out/last.out"; then
	lab_ok "plan submit over two kernels + watch until final (plan $plan)"
else
	lab_fail "plan submit + watch" "$(cat "$out/last.out" | tail -3)"
	plan=${plan:-0}
fi
if expect 0 "$cli" jobs --plan "$plan" && [ "$(grep -c ' complete ' "$out/last.out")" = 2 ]; then
	lab_ok "jobs --plan lists both jobs complete"
else
	lab_fail "jobs --plan"
fi
n61=$(lab_api "results?kernel=6.1&limit=1000" | jq '.items | length')
if expect 0 "$cli" results --kernel 6.1 --target q35-vtd &&
   grep -q "^$n61 results$" "$out/last.out" && [ "$n61" -gt 0 ] &&
   grep -q "kmod.attach" "$out/last.out" && expect 0 "$cli" results --kernel 6.1 --json &&
   [ "$(jq length "$out/last.out")" = "$n61" ]; then
	lab_ok "results --kernel (table and --json: $n61 rows)"
else
	lab_fail "results --kernel"
fi
if expect 0 "$cli" diff 6.1 6.12 --all && grep -q "^diff 6.1 -> 6.12" "$out/last.out" &&
   grep -q "rows; unchanged" "$out/last.out" && grep -q "kmod.attach" "$out/last.out" &&
   expect 0 "$cli" diff 6.1 6.12 --json && jq -e '.rows | type == "array"' "$out/last.out" >/dev/null; then
	lab_ok "diff 6.1 6.12 (table, --json)"
else
	lab_fail "diff 6.1 6.12"
fi
# the server judged these real records against the agent's catalogue (imported at
# start); a contract change is applied to them by rejudge, with history, and
# --fail-on-regress sees the regression it makes (issue 15.2, 14.5)
catf=$O/agent/catalogue.json
jq '(.cases[] | select(.id == "kmod.attach.no_group") | .contracts) |=
	[{"kernel_min": "6.2", "kernel_max_excl": null, "driver": "any", "expected": "EINVAL", "expected_errno": 22}] + .' \
	"$catf" >"$out/catalogue-changed.json"
if expect 0 "$cli" --token "$tok" contracts rejudge && grep -q "^0 results judged again, 0 verdicts changed" "$out/last.out" &&
   expect 0 "$cli" diff 6.1 6.12 --fail-on-regress &&
   expect 0 "$cli" --token "$tok" contracts import "$out/catalogue-changed.json" &&
   expect 0 "$cli" --token "$tok" contracts rejudge --case kmod.attach.no_group &&
   grep -q "^2 results judged again, 1 verdicts changed" "$out/last.out" &&
   grep -q "kmod.attach.no_group .* pass -> fail (contract v2)" "$out/last.out" &&
   expect 1 "$cli" diff 6.1 6.12 --fail-on-regress && grep -q "pass_to_fail" "$out/last.out" &&
   grep -q "; 1 regression, 0 QEMU changes$" "$out/last.out" &&
   expect 0 "$cli" contracts history && grep -q "kmod.attach.no_group.*pass.*fail.*2" "$out/last.out" &&
   expect 0 "$cli" --token "$tok" contracts import "$catf" &&
   expect 0 "$cli" --token "$tok" contracts rejudge && grep -q "^2 results judged again, 1 verdicts changed" "$out/last.out" &&
   expect 0 "$cli" diff 6.1 6.12 --fail-on-regress; then
	lab_ok "contracts import/rejudge/history on real results: a contract change fails 6.12 (--fail-on-regress exit 1), and back"
else
	lab_fail "contracts import/rejudge/history" "$(tail -3 "$out/last.out")"
fi
# ---- one kernel, two QEMU generations (issue 19.1) ---------------------------
# q35-vtd-q10 is q35-vtd under QEMU 10.0 (rig/setup-qemu 10.0): a real 6.12 job
# there (kmod.*, q35-vtd ran kmod.attach.* under 7.2) diffed across the twins:
# every changed row is a QEMU change, none a regression; then a contract change
# fails kmod.attach.no_group on 6.12: a regression from 6.1 on q35-vtd (QEMU 7.2
# both), a QEMU change from 6.1 on q35-vtd to 6.12 on q35-vtd-q10. A job on
# q35-amd-q10 (known broken on QEMU 10.0.2) ends at once with the reason.
twin_names=("diff across QEMU twins: QEMU changes, no regression" "diff: a QEMU change is not --fail-on-regress"
	"diff across targets refuses non-twins, unknown targets, one target"
	"a job on a target known broken on its QEMU ends at once with the reason")
if ! q10=$("$top/rig/setup-qemu" 10.0 2>"$out/setup-qemu.err"); then
	for n in "${twin_names[@]}"; do lab_skip "$n" "QEMU 10.0 not available: $(tail -1 "$out/setup-qemu.err")"; done
else
	qv=$("$q10/usr/bin/qemu-system-x86_64" --version 2>/dev/null | sed -n '1s/^QEMU emulator version \([^ ]*\).*/\1/p')
	sv=$(qemu-system-x86_64 --version | sed -n '1s/^QEMU emulator version \([^ ]*\).*/\1/p')
	if expect 0 "$cli" plan submit --kernel 6.12 --target q35-vtd-q10 --filter 'kmod.*' --max-attempts 2 &&
	   qplan=$(sed -n 's/^plan \([0-9]*\): 1 jobs queued$/\1/p' "$out/last.out") && [ -n "$qplan" ] &&
	   expect 0 "$cli" watch "$qplan" --interval 2 --timeout 900 && grep -q "1/1 final (complete 1" "$out/last.out" &&
	   expect 0 "$cli" diff 6.12 6.12 --base-target q35-vtd --head-target q35-vtd-q10 --all --json &&
	   cp "$out/last.out" "$out/twin.json" &&
	   jq -e --arg q "$qv" --arg s "$sv" '.targets == {"base": "q35-vtd", "head": "q35-vtd-q10"} and
		.summary.regressions == 0 and .summary.qemu_changes >= 1 and
		([.rows[] | select(.class != "unchanged") | .qemu_change and (.regression | not)] | all) and
		([.rows[] | .qemu.head == $q and .qemu.base == $s] | all) and
		([.rows[] | select(.class == "new")] | length) >= 1' "$out/twin.json" >/dev/null &&
	   expect 0 "$cli" diff 6.12 6.12 --base-target q35-vtd --head-target q35-vtd-q10 --fail-on-regress &&
	   grep -q "^diff 6.12 on q35-vtd -> 6.12 on q35-vtd-q10" "$out/last.out" &&
	   grep -q "^QEMU changes, not kernel regressions (the sides ran on different QEMU versions): [1-9]" "$out/last.out" &&
	   grep -q "new (QEMU $sv -> $qv)" "$out/last.out"; then
		lab_ok "${twin_names[0]}: 6.12 q35-vtd (QEMU $sv) -> q35-vtd-q10 (QEMU $qv), $(jq .summary.qemu_changes "$out/twin.json") QEMU changes, $(jq .summary.unchanged "$out/twin.json") unchanged"
	else
		lab_fail "${twin_names[0]}" "$(tail -3 "$out/last.out" | tr '\n' '|') $(tail -2 "$out/last.err")"
	fi
	if expect 0 "$cli" --token "$tok" contracts import "$out/catalogue-changed.json" &&
	   expect 0 "$cli" --token "$tok" contracts rejudge --case kmod.attach.no_group &&
	   expect 1 "$cli" diff 6.1 6.12 --fail-on-regress && grep -q "; 1 regression, 0 QEMU changes$" "$out/last.out" &&
	   expect 0 "$cli" diff 6.1 6.12 --base-target q35-vtd --head-target q35-vtd-q10 --fail-on-regress &&
	   grep -Eq "kmod\.attach\.no_group .* pass_to_fail \(QEMU $sv -> $qv\)" "$out/last.out" &&
	   grep -q "; 0 regressions, [1-9][0-9]* QEMU changes$" "$out/last.out" &&
	   expect 0 "$cli" diff 6.1 6.12 --base-target q35-vtd --head-target q35-vtd-q10 --json &&
	   jq -e '[.rows[] | select(.case == "kmod.attach.no_group")][0] |
		.class == "pass_to_fail" and .qemu_change and (.regression | not)' "$out/last.out" >/dev/null; then
		lab_ok "${twin_names[1]}: kmod.attach.no_group pass -> fail on 6.12 is a regression on q35-vtd (exit 1) and a QEMU change from q35-vtd to q35-vtd-q10 (exit 0)"
	else
		lab_fail "${twin_names[1]}" "$(tail -3 "$out/last.out" | tr '\n' '|')"
	fi
	expect 0 "$cli" --token "$tok" contracts import "$catf"
	expect 0 "$cli" --token "$tok" contracts rejudge
	# a target known broken on this QEMU (q35-amd-q10 on 10.0.2, docs/findings.md
	# F3): the job says why at once, not retried, instead of a silent timeout
	if expect 0 "$cli" plan submit --kernel 6.12 --target q35-amd-q10 --max-attempts 3 &&
	   bplan=$(sed -n 's/^plan \([0-9]*\): 1 jobs queued$/\1/p' "$out/last.out") && [ -n "$bplan" ] &&
	   "$cli" watch "$bplan" --interval 2 --timeout 300 >"$out/broken-watch.out" 2>&1;
	   bj=$(lab_api "jobs?plan=${bplan:-0}" | jq '.items[0].id') &&
	   [ "$(lab_job_field "$bj" state)" = incomplete ] && [ "$(lab_job_field "$bj" attempts)" = 1 ] &&
	   lab_job_field "$bj" reason | grep -q "not booted: q35-amd-q10 is known broken on QEMU $qv: .*(docs/findings.md F3)" &&
	   expect 0 "$cli" log "$bj" && grep -q "^iommulab-boot: not booted: q35-amd-q10 is known broken on QEMU $qv" "$out/last.out"; then
		lab_ok "${twin_names[3]}: job $bj incomplete after 1 attempt: $(lab_job_field "$bj" reason | cut -c1-90)..."
	else
		lab_fail "${twin_names[3]}" "state $(lab_job_field "${bj:-0}" state), attempts $(lab_job_field "${bj:-0}" attempts), reason $(lab_job_field "${bj:-0}" reason | cut -c1-200)"
	fi
	if expect 1 "$cli" diff 6.12 6.12 --base-target q35-vtd --head-target q35-amd-q10 &&
	   grep -q "HTTP 400" "$out/last.err" && grep -q "differ in qemu.args" "$out/last.err" &&
	   expect 1 "$cli" diff 6.12 6.12 --base-target q35-vtd --head-target no-such-target &&
	   grep -q "HTTP 404" "$out/last.err" && grep -q "unknown target 'no-such-target'" "$out/last.err" &&
	   expect 2 "$cli" diff 6.12 6.12 --base-target q35-vtd; then
		lab_ok "${twin_names[2]} (q35-amd-q10: HTTP 400 'differ in qemu.args'; HTTP 404; exit 2)"
	else
		lab_fail "${twin_names[2]}" "$(tail -2 "$out/last.err" | tr '\n' '|')"
	fi
fi
if expect 0 "$cli" export junit --plan "$plan" &&
   python3 -c 'import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); n = len(d.getElementsByTagName("testcase")); sys.exit(0 if n > 0 else 1)' "$out/last.out"; then
	lab_ok "export junit --plan: well-formed JUnit XML with test cases"
else
	lab_fail "export junit"
fi
nplan=$(( $(lab_api "results?job=$(lab_api "jobs?plan=$plan" | jq '.items[0].id')&limit=1000" | jq '.items|length') +
	  $(lab_api "results?job=$(lab_api "jobs?plan=$plan" | jq '.items[1].id')&limit=1000" | jq '.items|length') ))
if expect 0 "$cli" export kcidb --plan "$plan" && [ "$(jq '.tests | length' "$out/last.out")" = "$nplan" ] &&
   [ "$(jq '.builds | length' "$out/last.out")" = 2 ]; then
	lab_ok "export kcidb --plan: 2 builds, $nplan tests"
else
	lab_fail "export kcidb"
fi
j=$(lab_api "jobs?plan=$plan" | jq '.items[0].id')
if expect 0 "$cli" log "$j" && grep -q "^IOMMULAB-END " "$out/last.out"; then
	lab_ok "log JOB prints the guest console (with IOMMULAB-END)"
else
	lab_fail "log JOB"
fi
if expect 1 "$cli" cancel "$j" && grep -q "HTTP 409" "$out/last.err" &&
   [ "$(lab_job_field "$j" state)" = complete ]; then
	lab_ok "cancel a final job -> exit 1 (HTTP 409), job unchanged"
else
	lab_fail "cancel a final job -> 409"
fi
lab_srv_stop

# ---- scripts/demo fails loudly (its own iommulabd, one target) ---------------
# demo_run NAME ARGS...: scripts/demo against a fresh iommulabd (port 0,
# state $out/NAME), x86_64 only; output in $out/NAME.out, exit code in $drc
demo_run() {
	local name=$1; shift
	lab_srv_start "$out/$name" || { drc=-1; return; }
	"$top/scripts/demo" --port "${LAB_URL##*:}" --state "$out/$name" --arch x86_64 "$@" \
		>"$out/$name.out" 2>&1
	drc=$?
	lab_srv_stop
	for p in $(lab_qemu_of "$out/$name"); do kill -9 "$p"; done
}
# a guest that prints a garbage record: the job ends incomplete ("bad results")
demo_run demo-fail --kernels 6.1 --targets q35-vtd --filter fault.garbage
if [ "$drc" = 1 ] && tail -3 "$out/demo-fail.out" | grep -q "^demo: FAILED: 0 of 1 jobs complete" &&
   grep -q "^demo: FAILED: 1 of 1 jobs did not complete" "$out/demo-fail.out" &&
   grep -q "q35-vtd 6.1: incomplete: .*bad results" "$out/demo-fail.out"; then
	lab_ok "demo: an incomplete job -> exit 1, the job and its reason, 'FAILED: 0 of 1 jobs complete' last"
else
	lab_fail "demo: an incomplete job -> exit 1" "exit $drc: $(tail -5 "$out/demo-fail.out" | tr '\n' '|')"
fi
demo_run demo-ok --kernels "6.1 6.12" --targets q35-vtd --filter kmod.coherency.vtd_no_snoop
if [ "$drc" = 0 ] && [ "$(tail -1 "$out/demo-ok.out")" = "demo: 2 of 2 jobs complete" ] &&
   grep -Eq 'kmod\.coherency\.vtd_no_snoop +EOPNOTSUPP/[a-z]+ +EINVAL/' "$out/demo-ok.out"; then
	lab_ok "demo: all complete -> exit 0, the VT-d EOPNOTSUPP -> EINVAL row, '2 of 2 jobs complete' last"
else
	lab_fail "demo: all complete -> exit 0" "exit $drc: $(tail -5 "$out/demo-ok.out" | tr '\n' '|')"
fi
lab_done
