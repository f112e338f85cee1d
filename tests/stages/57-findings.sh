#!/usr/bin/env bash
# 57-findings - the regression lifecycle (issue 18.1) against a real
# iommulabd (own state dir, real SQLite, --no-scheduler: the runner's part,
# moving a job to running, is done in SQL as in 25-api) and the iommulab
# CLI. Results go in through POST /results, the one ingest path
# (core/ingest.c) the QEMU runner and LAVA use too.
#
# One planted regression lives its whole life: kmod.attach.one passes on
# 6.1 (EINVAL as its contract says), fails on 6.12 (ENODEV): a finding
# opens (stable key), a second 6.12 run confirms it, a pass on the same
# kernel closes nothing, it is acknowledged and linked (lore message id,
# bug URL), 6.13 passes: fixed by 6.13; 6.12 failing again leaves it fixed
# (seen-old); the cause on 6.14 reopens the same finding (never a second
# one). A known issue (driver, case glob, target glob, kernel range) marks
# a crash expected, and the expected failure passing again is reported with
# the command that retires it; retired, a known issue matches nothing (the
# diff is a regression again, its findings are expected no more).
# Refused writes (no token, bad values, unknown ids) change nothing; the
# findings survive a restart. The dashboard's overview (GET /overview,
# server/http/api_dash.c) counts what the plan diff counts: a planted
# regression (kmod.dma.map) is an open regression until a known issue
# covers it (then "expected"), kmod.dma.unmap until its jobs' provenance
# names two QEMU versions (then "qemu_changes"), each recomputed from
# /diffs by tests/browser/check_overview.py and drawn apart on the page;
# the patch check lists that QEMU change apart (a warning).
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/57-findings
rm -rf "$out"
mkdir -p "$out"
. "$top/tests/lib-server.sh"
unset IOMMULAB_SERVER IOMMULAB_TOKEN
command -v jq >/dev/null || { lab_skip "findings" "jq missing"; lab_done; exit $?; }
command -v sqlite3 >/dev/null || { lab_skip "findings" "sqlite3 missing"; lab_done; exit $?; }
trap 'lab_srv_stop' EXIT
lab_srv_fixture "$out"
db=$out/state/iommulab.db
cli=$LAB_CLI_BIN
sql() { sqlite3 -cmd '.timeout 10000' "$db" "$@"; }

# expect RC CMD... : run, keep stdout/stderr in $out/last.{out,err}, check rc
expect() {
	local want=$1; shift
	"$@" >"$out/last.out" 2>"$out/last.err"
	local rc=$?
	[ "$rc" = "$want" ] || { echo "# '$*' exit $rc, wanted $want: $(head -c 300 "$out/last.err")"; return 1; }
}

for k in 6.1:6.1.192 6.12:6.12.117 6.13:6.13.2 6.14:6.14.1; do
	curl -fsS -H "Authorization: Bearer $LAB_TOKEN" -H 'Content-Type: application/json' \
		-d "{\"name\": \"${k%%:*}\", \"version\": \"${k#*:}\", \"arch\": \"x86_64\"}" \
		"$LAB_URL/api/v1/kernels" >/dev/null || lab_fail "register kernel $k"
done

# run KERNEL TARGET CASE:OBS:EXP:VERDICT... : a job (a nightly plan of one
# job), moved to running in SQL, its records posted with complete: true;
# prints the job id
run() {
	local kernel=$1 target=$2 plan job recs=() c; shift 2
	plan=$(curl -fsS -H "Authorization: Bearer $LAB_TOKEN" -H 'Content-Type: application/json' \
		-d "{\"kind\": \"nightly\", \"kernels\": [\"$kernel\"], \"targets\": [\"$target\"]}" \
		"$LAB_URL/api/v1/plans" | jq -r .id) || return 1
	job=$(sql "SELECT id FROM jobs WHERE plan_id = $plan")
	sql "UPDATE jobs SET state = 2, attempts = 1 WHERE id = $job"
	for c in "$@"; do
		IFS=: read -r cs obs exp v <<<"$c"
		recs+=("$(jq -nc --arg id "$cs" --arg t "$target" --argjson o "$obs" --argjson e "$exp" \
			--arg v "$v" --arg k "$kernel" '{v: 1, id: $id, target: $t, kernel: $k, arch: "x86_64", driver: "intel-iommu",
			iommu: "dmar0", steps: [], observed: $o, expected: $e, contract: "test",
			verdict: $v, reused: null, verified: "core", duration_us: 1, repeat: 0}')")
	done
	printf '%s\n' "${recs[@]}" | jq -sc --argjson j "$job" '{job: $j, records: ., complete: true}' |
		curl -fsS -H "Authorization: Bearer $LAB_TOKEN" -H 'Content-Type: application/json' \
			--data-binary @- "$LAB_URL/api/v1/results" >/dev/null || return 1
	echo "$job"
}
export IOMMULAB_SERVER=$LAB_URL
fcount() { sql "SELECT count(*) FROM findings ${1:-}"; }
events() { sql "SELECT group_concat(kind, ' ') FROM (SELECT kind FROM finding_events WHERE finding_id = $1 ORDER BY id)"; }

# ---- 6.1: the contract holds; nothing opens ----------------------------------------
run 6.1 q35-a kmod.attach.one:22:22:pass kmod.sva.bind:22:22:pass >/dev/null
if [ "$(fcount)" = 0 ] && expect 0 "$cli" findings list && grep -q "^0 finding(s)$" "$out/last.out"; then
	lab_ok "6.1 passes: no finding"
else
	lab_fail "6.1 passes: no finding" "$(fcount) findings"
fi

# ---- 6.12: the planted regression opens a finding ------------------------------------
j612=$(run 6.12 q35-a kmod.attach.one:19:22:fail kmod.sva.bind:22:22:pass)
id=$(sql "SELECT id FROM findings WHERE case_id = 'kmod.attach.one'")
key=$(sql "SELECT key FROM findings WHERE id = ${id:-0}")
if [ "$(fcount)" = 1 ] && expect 0 "$cli" findings list --state open &&
   grep -qE "^$id +$key +open +q35-a +kmod.attach.one +EINVAL -> ENODEV +6.12 +6.12 +- +1" "$out/last.out"; then
	lab_ok "6.12 fails (EINVAL -> ENODEV): finding $id (key $key) opened, first seen on 6.12 job $j612"
else
	lab_fail "6.12 opens a finding" "$(cat "$out/last.out")"
fi
cp "$out/last.out" "$out/life-1-opened.txt"
# the key is the cause's: the same four words hash to it anywhere
want=$(printf 'q35-a\0kmod.attach.one\0EINVAL\0ENODEV\0' | sha256sum | cut -c1-16)
[ "$key" = "$want" ] && lab_ok "the key is sha256(target, case, from, to): stable across databases" ||
	lab_fail "stable key" "$key != $want"

# confirmed by a second 6.12 run; a pass on 6.12 (flaky) closes nothing
run 6.12 q35-a kmod.attach.one:19:22:fail >/dev/null
run 6.12 q35-a kmod.attach.one:22:22:pass >/dev/null
if [ "$(fcount)" = 1 ] && [ "$(sql "SELECT state || ' ' || seen FROM findings WHERE id = $id")" = "open 2" ]; then
	lab_ok "a second 6.12 run confirms it (seen 2); a pass on the same kernel closes nothing"
else
	lab_fail "confirm / flaky pass" "$(sql "SELECT state, seen FROM findings")"
fi
# the other target's failure of the same case is a finding of its own
run 6.12 q35-b kmod.attach.one:19:22:fail >/dev/null
if [ "$(fcount)" = 2 ] && [ "$(fcount "WHERE case_id = 'kmod.attach.one'")" = 2 ]; then
	lab_ok "the same failure on another target is another finding"
else
	lab_fail "per-target findings" "$(fcount)"
fi

# ---- refused writes change nothing ---------------------------------------------------
before=$(sql "SELECT (SELECT count(*) FROM finding_events) || '/' || (SELECT count(*) FROM finding_links) || '/' || (SELECT count(*) FROM known_issues) || '/' || coalesce((SELECT acked_by FROM findings WHERE id = $id), '-')")
ok=1
IOMMULAB_TOKEN= expect 1 "$cli" --token-file /nonexistent findings ack "$id" --note x &&
	grep -q "HTTP 401" "$out/last.err" || ok=0
IOMMULAB_TOKEN=0000 expect 1 "$cli" findings ack "$id" || ok=0
export IOMMULAB_TOKEN=$LAB_TOKEN
expect 1 "$cli" findings ack 999 && grep -q "unknown finding 999" "$out/last.err" || ok=0
expect 1 "$cli" findings link "$id" 'not a msgid' && grep -q "message id" "$out/last.err" || ok=0
expect 1 "$cli" findings link "$id" 'https://bugs.example.org/../../etc/passwd' || ok=0
expect 1 "$cli" findings link "$id" '$(touch /tmp/pwned)@x' || ok=0
expect 1 "$cli" findings expect --case 'kmod;rm -rf /' --reason x || ok=0
expect 1 "$cli" findings expect --kernels 6.13..6.1 --case 'kmod.*' --reason x &&
	grep -q "after" "$out/last.err" || ok=0
expect 2 "$cli" findings ack || ok=0
expect 2 "$cli" findings ack abc || ok=0
expect 2 "$cli" findings expect "$id" || ok=0
expect 2 "$cli" findings expect "$id" --case 'x*' --reason x || ok=0
expect 2 "$cli" findings expect --kernels 6.1 --reason x || ok=0
expect 2 "$cli" findings link "$id" || ok=0
after=$(sql "SELECT (SELECT count(*) FROM finding_events) || '/' || (SELECT count(*) FROM finding_links) || '/' || (SELECT count(*) FROM known_issues) || '/' || coalesce((SELECT acked_by FROM findings WHERE id = $id), '-')")
if [ $ok = 1 ] && [ "$before" = "$after" ] && [ ! -e /tmp/pwned ]; then
	lab_ok "refused: no/bad token (401), unknown id, bad msgid/URL/pattern/range (400), usage (exit 2); nothing changed ($after)"
else
	lab_fail "refused writes" "ok=$ok $before -> $after"
fi

# ---- a person acknowledges and links it -----------------------------------------------
if expect 0 "$cli" findings ack "$id" --note "bisecting: intel-iommu attach path" &&
   grep -q "acked       by admin" "$out/last.out" &&
   expect 0 "$cli" findings link "$id" '<20261203101500.4242-1-dev@example.org>' &&
   expect 0 "$cli" findings link "$id" 'https://bugzilla.kernel.org/show_bug.cgi?id=218000' &&
   expect 1 "$cli" findings link "$id" '20261203101500.4242-1-dev@example.org' &&
   grep -q "already has that link" "$out/last.err" &&
   expect 0 "$cli" findings show "$id" &&
   grep -q "link        msgid https://lore.kernel.org/r/20261203101500.4242-1-dev@example.org" "$out/last.out" &&
   grep -q "link        url https://bugzilla.kernel.org/show_bug.cgi?id=218000" "$out/last.out"; then
	lab_ok "ack (by the token's name, with a note), link a lore message id and a bug URL (each once)"
else
	lab_fail "ack/link" "$(cat "$out/last.err" "$out/last.out" | head -20)"
fi
cp "$out/last.out" "$out/life-2-acked.txt"

# ---- 6.13 returns to the contract: fixed by 6.13 ----------------------------------------
j613=$(run 6.13 q35-a kmod.attach.one:22:22:pass)
if [ "$(sql "SELECT f.state || ' ' || k.name || ' ' || f.fixed_job_id FROM findings f JOIN kernels k ON k.id = f.fixed_kernel_id WHERE f.id = $id")" = "fixed 6.13 $j613" ] &&
   expect 0 "$cli" findings list --state fixed && grep -qE "^$id .* fixed .* 6.12 +6.12 +6.13 " "$out/last.out" &&
   [ "$(sql "SELECT state FROM findings WHERE target_id = (SELECT id FROM targets WHERE name = 'q35-b')")" = open ]; then
	lab_ok "6.13 passes: fixed by kernel 6.13 (job $j613); q35-b's finding stays open"
else
	lab_fail "fixed by 6.13" "$(sql "SELECT * FROM findings")"
fi
expect 0 "$cli" findings show "$id"
cp "$out/last.out" "$out/life-3-fixed.txt"
# an old kernel failing again: still fixed
run 6.12 q35-a kmod.attach.one:19:22:fail >/dev/null
if [ "$(sql "SELECT state FROM findings WHERE id = $id")" = fixed ] && [ "$(fcount)" = 2 ]; then
	lab_ok "6.12 fails again after the fix: the finding stays fixed (seen-old)"
else
	lab_fail "seen-old" "$(sql "SELECT state FROM findings WHERE id = $id")"
fi
# the cause on a later kernel: the same finding reopens
run 6.14 q35-a kmod.attach.one:19:22:fail >/dev/null
if [ "$(sql "SELECT state || ' ' || coalesce(fixed_kernel_id, '-') FROM findings WHERE id = $id")" = "open -" ] &&
   [ "$(fcount)" = 2 ] &&
   [ "$(events "$id")" = "opened confirmed acked linked linked fixed seen-old reopened" ]; then
	lab_ok "6.14 fails the same way: finding $id reopens, never a second one; events: $(events "$id")"
else
	lab_fail "reopen" "$(fcount) findings; events: $(events "$id")"
fi

# ---- known issues: expected failures ---------------------------------------------------------
if expect 0 "$cli" findings expect --driver intel-iommu --case 'kmod.sva.*,kmod.pasid.*' \
	--target 'q35-*' --kernels 6.12..6.13.9 --reason "SVA on TCG: known, fixed in 6.14" &&
   grep -q "marks 0 open finding(s)" "$out/last.out"; then
	lab_ok "findings expect by pattern: a known issue (driver, case and target globs, kernel range)"
else
	lab_fail "known issue by pattern" "$(cat "$out/last.out" "$out/last.err")"
fi
run 6.12 q35-a kmod.sva.bind:22:22:crash >/dev/null
run 6.14 q35-b kmod.sva.bind:22:22:crash >/dev/null
sid=$(sql "SELECT f.id FROM findings f JOIN targets t ON t.id = f.target_id WHERE case_id = 'kmod.sva.bind' AND t.name = 'q35-a'")
if expect 0 "$cli" findings list --expected && grep -qE "^$sid .* kmod.sva.bind +EINVAL -> crash .*expected" "$out/last.out" &&
   grep -q "^1 finding(s)$" "$out/last.out" && expect 0 "$cli" findings list --unexpected &&
   grep -q "^3 finding(s)$" "$out/last.out"; then
	lab_ok "a crash in range opens expected (6.12 q35-a); out of range (6.14) not"
else
	lab_fail "expected at open" "$(cat "$out/last.out")"
fi
run 6.13 q35-a kmod.sva.bind:22:22:pass >/dev/null
if [ "$(events "$sid")" = "opened expected fixed expected-passed" ]; then
	lab_ok "an expected failure that passes again is reported (expected-passed)"
else
	lab_fail "expected-passed" "$(events "$sid")"
fi
# expect one finding: q35-b's open kmod.attach.one
bid=$(sql "SELECT f.id FROM findings f JOIN targets t ON t.id = f.target_id WHERE case_id = 'kmod.attach.one' AND t.name = 'q35-b'")
if expect 0 "$cli" findings expect "$bid" --reason "q35-b's firmware: ENODEV is right here" &&
   grep -q "expected    known issue 2: q35-b's firmware" "$out/last.out" &&
   expect 0 "$cli" findings known && grep -qE "^2 +active +intel-iommu +kmod.attach.one +q35-b +6.12.117.. +1 " "$out/last.out"; then
	lab_ok "findings expect ID: a known issue from the finding (driver, case, target, from its first kernel)"
else
	lab_fail "expect one" "$(cat "$out/last.out" "$out/last.err")"
fi

# ---- JSON and a restart ----------------------------------------------------------------------------
expect 0 "$cli" findings show "$id" --json
cp "$out/last.out" "$out/before.json"
lab_srv_stop
lab_srv_start "$out/state" --targets "$out/targets" --web "$top/web" --schema "$top/schema" \
	--no-scheduler >/dev/null || lab_fail "restart"
export IOMMULAB_SERVER=$LAB_URL
if expect 0 "$cli" findings show "$id" --json && cmp -s "$out/last.out" "$out/before.json" &&
   jq -e '.key and (.events | length) == 8 and (.links | length) == 2' "$out/last.out" >/dev/null; then
	lab_ok "after a restart the finding is the same (key, 8 events, 2 links)"
else
	lab_fail "restart" "$(diff "$out/before.json" "$out/last.out" | head)"
fi

# ---- the dashboard's pages (Debian's chromium) ---------------------------------------
if lab_browser_ready "$out/browser-deps.log" >"$out/browser.why"; then
	/usr/bin/python3 "$top/tests/browser/findings.py" --url "$LAB_URL" --id "$id" --key "$key" \
		--out "$out" >"$out/browser.tap" 2>&1
	cat "$out/browser.tap"
	read -r p f <<<"$(grep -c '^ok ' "$out/browser.tap") $(grep -c '^not ok ' "$out/browser.tap")"
	lab_counts "$p" "$f" 0
	[ "$p" -gt 0 ] || lab_fail "browser test ran" "$(tail -5 "$out/browser.tap")"
else
	lab_skip "findings pages in chromium" "$(cat "$out/browser.why")"
fi
# ---- known issues where results are judged: the diff (18.1) ---------------------------------
# 6.1 -> 6.12: q35-a kmod.attach.one EINVAL/pass -> ENODEV/fail is the regression;
# kmod.sva.bind's new crash on 6.12 is known issue 1's (SVA on TCG, 6.12..6.13.9)
kid() { sql "SELECT max(id) FROM known_issues"; }
dj() { curl -fsS "$LAB_URL/api/v1/diffs?$1" >"$out/diff.json" && jq -e "${@:2}" "$out/diff.json" >/dev/null; }
p61=$(sql "SELECT j.plan_id FROM jobs j JOIN kernels k ON k.id = j.kernel_id WHERE k.name = '6.1' ORDER BY j.id LIMIT 1")
p612=$(sql "SELECT plan_id FROM jobs WHERE id = $j612")
if expect 1 "$cli" diff 6.1 6.12 --fail-on-regress && grep -q "; 1 regression, 0 QEMU changes$" "$out/last.out" &&
   grep -qE "^q35-a .* kmod.attach.one .* pass_to_fail$" "$out/last.out" &&
   grep -qE "^q35-a .* kmod.sva.bind .* new_crash \[expected: known issue 1\]$" "$out/last.out" &&
   grep -q "^known issue 1: SVA on TCG" "$out/last.out" &&
   dj "base=6.1&head=6.12&changes_only=1" '.summary.regressions == 1 and .summary.expected == 2
	and ([.rows[] | select(.case == "kmod.sva.bind")][0] | .regression == false
	     and .known_issue == {"id": 1, "label": "expected", "reason": "SVA on TCG: known, fixed in 6.14"})' &&
   dj "base_plan=$p61&head_plan=$p612" '.summary.regressions == 1 and .summary.expected == 0'; then
	lab_ok "diff 6.1 6.12: the regression fails --fail-on-regress; the known issue's crash is labelled expected (CLI, JSON)"
else
	lab_fail "diff before a known issue" "$(cat "$out/last.out" "$out/last.err" | tail -8)"
fi
cp "$out/last.out" "$out/known-1-diff.txt"
# a patch check of 6.12 against 6.1 on q35-a: a plan of kind patch whose spec
# names them (set in SQL, as POST /patches would) and whose jobs are final
# (in SQL: the report reads the two kernels' diff, not the jobs' results)
pp=$(curl -fsS -H "Authorization: Bearer $LAB_TOKEN" -H 'Content-Type: application/json' \
	-d '{"kind": "patch", "kernels": ["6.12", "6.1"], "targets": ["q35-a"]}' "$LAB_URL/api/v1/plans" | jq -r .id)
sql "UPDATE plans SET spec = json_set(spec, '$.patch', json('{\"base\": \"6.1\", \"head\": \"6.12\", \"subject\": \"[PATCH] planted\"}')) WHERE id = ${pp:-0};
     UPDATE jobs SET state = 3 WHERE plan_id = ${pp:-0}"
pj() { curl -fsS "$LAB_URL/api/v1/patches/$pp" >"$out/patch.json" && jq -e "$@" "$out/patch.json" >/dev/null; }
if pj '.state == "fail" and ([.drivers[].contract_violations[] | .case] == ["kmod.attach.one"])
	and ([.drivers[].expected_failures[] | [.case, .known_issue.id]] == [["kmod.sva.bind", 1]])' &&
   expect 1 "$cli" patch report "$pp"; then
	lab_ok "patch check 6.1 -> 6.12 (plan $pp): fails on kmod.attach.one; the known crash is an expected failure"
else
	lab_fail "patch check before a known issue" "$(cat "$out/patch.json" | head -c 600)"
fi
# a known issue whose range does not hold the head's kernel (6.12.117) excuses nothing
if expect 0 "$cli" findings expect --driver intel-iommu --case kmod.attach.one --target q35-a \
	--kernels 6.15..6.16 --reason "attach ENODEV on 6.15" && kout=$(kid) &&
   expect 1 "$cli" diff 6.1 6.12 --fail-on-regress && grep -q "; 1 regression, 0 QEMU changes$" "$out/last.out" &&
   grep -qE "^q35-a .* kmod.attach.one .* pass_to_fail$" "$out/last.out"; then
	lab_ok "a known issue out of the head's range (6.15..6.16, known issue $kout): still 1 regression, exit 1"
else
	lab_fail "known issue out of range" "$(cat "$out/last.out" "$out/last.err" | tail -8)"
fi
# one that holds it: expected, not a regression (CLI exit 0, JSON, text, plan diff)
if expect 0 "$cli" findings expect --driver intel-iommu --case kmod.attach.one --target 'q35-a' \
	--kernels 6.12..6.12.999 --reason "attach ENODEV on 6.12: the firmware's" && kin=$(kid) &&
   expect 0 "$cli" diff 6.1 6.12 --fail-on-regress && grep -q "; 0 regressions, 0 QEMU changes$" "$out/last.out" &&
   grep -qE "^q35-a .* kmod.attach.one .* pass_to_fail \[expected: known issue $kin\]$" "$out/last.out" &&
   grep -q "^known issue $kin: attach ENODEV on 6.12: the firmware's$" "$out/last.out" &&
   grep -q "^3 expected failures (known issues, not regressions), 0 expected failures passed$" "$out/last.out" &&
   dj "base=6.1&head=6.12&changes_only=1" --argjson k "$kin" '.summary.regressions == 0
	and ([.rows[] | select(.case == "kmod.attach.one" and .target == "q35-a")][0] | .regression == false
	     and .class == "pass_to_fail" and .known_issue.id == $k and .known_issue.label == "expected")' &&
   curl -fsS "$LAB_URL/api/v1/diffs?base=6.1&head=6.12&format=text" >"$out/diff.txt" &&
   grep -qE "kmod.attach.one .*pass_to_fail \[expected: known issue $kin\]" "$out/diff.txt" &&
   grep -q "^known issue $kin: attach ENODEV on 6.12" "$out/diff.txt" &&
   dj "base_plan=$p61&head_plan=$p612" --argjson k "$kin" '.summary.regressions == 0 and .summary.expected == 1
	and .rows[0].known_issue.id == $k'; then
	lab_ok "a known issue holding 6.12 (known issue $kin): labelled expected, 0 regressions, --fail-on-regress exit 0 (CLI, JSON, text, plan diff)"
else
	lab_fail "known issue in range" "$(cat "$out/last.out" "$out/last.err" | tail -8)"
fi
cp "$out/last.out" "$out/known-2-diff.txt"
if pj --argjson k "$kin" '.state == "success" and ([.checks[] | select(.state == "fail")] | length) == 0
	and ([.drivers[].contract_violations[]] | length) == 0
	and ([.drivers[].expected_failures[] | [.case, .known_issue.id]] == [["kmod.attach.one", $k], ["kmod.sva.bind", 1]])' &&
   expect 0 "$cli" patch report "$pp" &&
   grep -qE "kmod.attach.one .*EINVAL/pass -> ENODEV/fail  \[expected failure: known issue $kin, \"attach ENODEV on 6.12" "$out/last.out"; then
	lab_ok "the same patch check with known issue $kin: success, both rows expected failures (JSON, text, exit 0)"
else
	lab_fail "patch check with the known issue" "$(cat "$out/last.out" "$out/last.err" | tail -8)"
fi
# 6.12 -> 6.13: the known crash passes on 6.13.2, inside known issue 1's range;
# the advice names the command that retires it (CLI, JSON, server text)
retire1="known issue 1 passes again: retire it with: iommulab findings retire 1 --reason TEXT"
if expect 0 "$cli" diff 6.12 6.13 &&
   grep -qE "^q35-a .* kmod.sva.bind .* crash_fixed \[expected failure passed: known issue 1\]$" "$out/last.out" &&
   grep -qE "^q35-a .* kmod.attach.one .* fail_to_pass$" "$out/last.out" &&
   grep -qxF "$retire1" "$out/last.out" &&
   dj "base=6.12&head=6.13&changes_only=1" '.summary.expected_passed == 1
	and ([.rows[] | select(.case == "kmod.sva.bind")][0].known_issue | .label == "expected_passed"
	     and .retire == "iommulab findings retire 1 --reason TEXT")' &&
   curl -fsS "$LAB_URL/api/v1/diffs?base=6.12&head=6.13&format=text" | grep -qxF "$retire1"; then
	lab_ok "diff 6.12 6.13: the expected crash passes again: 'expected failure passed', and the advice names 'iommulab findings retire 1' (CLI, JSON, text)"
else
	lab_fail "expected failure passed" "$(cat "$out/last.out" "$out/last.err" | tail -8)"
fi
# 6.14 is outside known issue $kin's range: the same failure is a regression again
if expect 1 "$cli" diff 6.1 6.14 --fail-on-regress &&
   grep -qE "^q35-a .* kmod.attach.one .* pass_to_fail$" "$out/last.out" &&
   dj "base=6.1&head=6.14&changes_only=1" '[.rows[] | select(.case == "kmod.attach.one" and .target == "q35-a")][0]
	| .regression == true and .known_issue == null'; then
	lab_ok "diff 6.1 6.14 (out of every range): the failure counts again, exit 1"
else
	lab_fail "regression again out of range" "$(cat "$out/last.out" "$out/last.err" | tail -8)"
fi

# ---- retiring a known issue (its bug is fixed) --------------------------------------------
# known issue $kin makes diff 6.1 6.12 pass --fail-on-regress (checked above);
# retired, the same diff is a regression again, and so is the patch check
kisnap() { sql "SELECT group_concat(id || ':' || state || ':' || coalesce(retired_by, '-') || ':' ||
	coalesce(retired_at, '-') || ':' || coalesce(retire_reason, '-'), ' ') FROM known_issues;
	SELECT count(*) FROM finding_events; SELECT group_concat(coalesce(known_issue_id, '-')) FROM findings"; }
if expect 0 "$cli" diff 6.1 6.12 --fail-on-regress &&
   grep -qE "^q35-a .* kmod.attach.one .* pass_to_fail \[expected: known issue $kin\]$" "$out/last.out" &&
   expect 0 "$cli" findings retire "$kin" --reason "fixed by the firmware update" &&
   grep -q "^known issue $kin retired by admin at .*: fixed by the firmware update$" "$out/last.out" &&
   expect 1 "$cli" diff 6.1 6.12 --fail-on-regress && grep -q "; 1 regression, 0 QEMU changes$" "$out/last.out" &&
   grep -qE "^q35-a .* kmod.attach.one .* pass_to_fail$" "$out/last.out" &&
   ! grep -q "known issue $kin" "$out/last.out" &&
   dj "base=6.1&head=6.12&changes_only=1" '.summary.regressions == 1
	and ([.rows[] | select(.case == "kmod.attach.one" and .target == "q35-a")][0] | .regression == true
	     and .known_issue == null)' &&
   dj "base_plan=$p61&head_plan=$p612" '.summary.regressions == 1 and .summary.expected == 0'; then
	lab_ok "retired known issue $kin: the same diff 6.1 6.12 is a regression again (--fail-on-regress exit 1; CLI, JSON, plan diff)"
else
	lab_fail "a retired known issue matches nothing" "$(cat "$out/last.out" "$out/last.err" | tail -8)"
fi
cp "$out/last.out" "$out/known-3-retired-diff.txt"
if pj '.state == "fail" and ([.drivers[].contract_violations[] | .case] == ["kmod.attach.one"])
	and ([.drivers[].expected_failures[] | [.case, .known_issue.id]] == [["kmod.sva.bind", 1]])' &&
   expect 1 "$cli" patch report "$pp"; then
	lab_ok "the patch check 6.1 -> 6.12 fails again on kmod.attach.one; known issue 1 (active) still excuses the crash"
else
	lab_fail "patch check after the retire" "$(head -c 600 "$out/patch.json")"
fi
# the record stays, shown retired (CLI list, JSON)
if expect 0 "$cli" findings known &&
   grep -qE "^$kin +retired +intel-iommu +kmod.attach.one +q35-a +6.12..6.12.999 +0 +attach ENODEV on 6.12" "$out/last.out" &&
   grep -qE "^ +retired by admin at [0-9-]+ [0-9:]+: fixed by the firmware update$" "$out/last.out" &&
   grep -qE "^1 +active +intel-iommu " "$out/last.out" &&
   curl -fsS "$LAB_URL/api/v1/known-issues/$kin" | jq -e '.state == "retired" and .retired_by == "admin"
	and .retire_reason == "fixed by the firmware update" and .retired_at > 0
	and .reason == "attach ENODEV on 6.12: the firmware'"'"'s"' >/dev/null; then
	lab_ok "findings known: known issue $kin listed retired (by admin, when, why), the others active"
else
	lab_fail "retired in the list" "$(cat "$out/last.out" "$out/last.err" | tail -8)"
fi
# the dashboard's findings page shows it retired (Debian's chromium)
if lab_browser_ready "$out/browser-deps.log" >"$out/browser.why"; then
	/usr/bin/python3 "$top/tests/browser/findings.py" --url "$LAB_URL" --retired "$kin" \
		--reason "fixed by the firmware update" --out "$out" >"$out/browser-retired.tap" 2>&1
	cat "$out/browser-retired.tap"
	read -r p f <<<"$(grep -c '^ok ' "$out/browser-retired.tap") $(grep -c '^not ok ' "$out/browser-retired.tap")"
	lab_counts "$p" "$f" 0
	[ "$p" -gt 0 ] || lab_fail "browser test (retired) ran" "$(tail -5 "$out/browser-retired.tap")"
else
	lab_skip "known issues page in chromium" "$(cat "$out/browser.why")"
fi
# refused: retire twice (409), unknown id (404), no or a bad token (401), usage (2)
before=$(kisnap)
ok=1
expect 1 "$cli" findings retire "$kin" --reason "again" &&
	grep -q "HTTP 409: known issue $kin is retired already (by admin): nothing changed" "$out/last.err" || ok=0
expect 1 "$cli" findings retire 999 --reason "x" && grep -q "HTTP 404: unknown known issue 999" "$out/last.err" || ok=0
[ "$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $LAB_TOKEN" -H 'Content-Type: application/json' \
	-d '{"reason": "x"}' "$LAB_URL/api/v1/known-issues/999/retire")" = 404 ] || ok=0
IOMMULAB_TOKEN= expect 1 "$cli" --token-file /nonexistent findings retire 2 --reason x &&
	grep -q "HTTP 401" "$out/last.err" || ok=0
[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
	-d '{"reason": "x"}' "$LAB_URL/api/v1/known-issues/2/retire")" = 401 ] || ok=0
IOMMULAB_TOKEN=0000 expect 1 "$cli" findings retire 2 --reason x || ok=0
expect 1 "$cli" findings retire 2 --reason "$(printf 'two\nlines')" || ok=0
expect 2 "$cli" findings retire 2 || ok=0
expect 2 "$cli" findings retire --reason x || ok=0
expect 2 "$cli" findings retire abc --reason x || ok=0
after=$(kisnap)
if [ $ok = 1 ] && [ "$before" = "$after" ]; then
	lab_ok "refused retires: twice (409), unknown id (404), no/bad token (401), bad reason (400), usage (exit 2); nothing changed"
else
	lab_fail "refused retires" "ok=$ok $before -> $after; $(cat "$out/last.err")"
fi
# a known issue that marks an open finding: retired, the finding is expected
# no more (an event), and a new failure it would have matched opens unexpected
if [ "$(sql "SELECT known_issue_id FROM findings WHERE id = ${bid:-0}")" = 2 ] &&
   expect 0 "$cli" findings retire 2 --reason "q35-b's firmware was updated" &&
   grep -q "^  1 finding(s) no longer expected" "$out/last.out" &&
   [ "$(sql "SELECT coalesce(known_issue_id, '-') FROM findings WHERE id = $bid")" = - ] &&
   [ "$(events "$bid")" = "opened expected unexpected" ] &&
   expect 0 "$cli" findings show "$bid" &&
   grep -qE "unexpected +by admin: known issue 2 retired: q35-b's firmware was updated$" "$out/last.out" &&
   ! grep -q "^  expected " "$out/last.out"; then
	lab_ok "retiring known issue 2 unmarks its open finding $bid (event 'unexpected' by admin, with the reason)"
else
	lab_fail "retire unmarks" "$(events "${bid:-0}"); $(cat "$out/last.out" "$out/last.err" | tail -6)"
fi
run 6.13 q35-b kmod.attach.one:16:22:fail >/dev/null
nid=$(sql "SELECT f.id FROM findings f JOIN targets t ON t.id = f.target_id WHERE t.name = 'q35-b' AND f.case_id = 'kmod.attach.one' AND f.to_name = 'EBUSY'")
if [ -n "$nid" ] && [ "$(sql "SELECT coalesce(known_issue_id, '-') FROM findings WHERE id = $nid")" = - ] &&
   [ "$(events "$nid")" = "opened" ]; then
	lab_ok "a new failure retired known issue 2 covers (q35-b kmod.attach.one on 6.13) opens unexpected (finding $nid)"
else
	lab_fail "retired known issue still marks new findings" "finding ${nid:-none}: $(events "${nid:-0}")"
fi

# ---- the dashboard's overview judges by the diff engine (api_dash.c, diff.h) ---------------
# kmod.dma.map on q35-a: EINVAL/pass on 6.1, ENODEV/fail on 6.14 (two nightlies) is an open
# regression in GET /overview, as in the plan diff; a known issue holding 6.14 makes it
# expected: listed apart, no longer counted. kmod.dma.unmap on q35-b, the same change, counts
# until its two jobs' provenance names two QEMU versions: then a QEMU change, never counted;
# the patch check 6.1 -> 6.14 on q35-b lists it as a QEMU change, not a contract violation.
ov() { curl -fsS "$LAB_URL/api/v1/overview?nightlies=30" >"$out/overview.json" &&
	jq -e "$@" "$out/overview.json" >/dev/null; }
# the overview against a recomputation from /plans, /results and one /diffs per pair of nightlies
ovcheck() {
	python3 "$top/tests/browser/check_overview.py" "$LAB_URL" 30 nightly >"$out/overview-check-$1.log" 2>&1 &&
		! grep -q '^not ok' "$out/overview-check-$1.log"
}
plan_of() { sql "SELECT plan_id FROM jobs WHERE id = $1"; }
intel() { jq -r '[.drivers[] | select(.vendor == "intel" and .driver == "intel-iommu")][0].'"$1" "$out/overview.json"; }
ov '.regressions'
n0=$(intel regressions) e0=$(intel expected) q0=$(intel qemu_changes)
pma=$(plan_of "$(run 6.1 q35-a kmod.dma.map:22:22:pass)")
pmb=$(plan_of "$(run 6.14 q35-a kmod.dma.map:19:22:fail)")
if ov --argjson a "$pma" --argjson b "$pmb" '[.regressions[] | select(.case == "kmod.dma.map")]
	| length == 1 and .[0].target == "q35-a" and .[0].class == "pass_to_fail"
	and .[0].base.plan_id == $a and .[0].head.plan_id == $b and .[0].known_issue == null' &&
   [ "$(intel regressions)" = $((n0 + 1)) ] &&
   [ "$(jq '[.regressions[] | select(.driver == "intel-iommu")] | length' "$out/overview.json")" = "$(intel regressions)" ] &&
   dj "base_plan=$pma&head_plan=$pmb" '.summary.regressions == 1' && ovcheck planted; then
	lab_ok "overview: the planted regression (kmod.dma.map, nightly $pma -> $pmb) listed and counted (intel-iommu $n0 -> $((n0 + 1))), as the plan diff says"
else
	lab_fail "overview counts the planted regression" "$(intel regressions) (was $n0): $(jq -c .regressions "$out/overview.json" | head -c 600) $(grep '^not ok' "$out/overview-check-planted.log")"
fi
if expect 0 "$cli" findings expect --driver intel-iommu --case kmod.dma.map --target q35-a \
	--kernels 6.14..6.14.9 --reason "dma map ENODEV on 6.14: known" && kdm=$(kid) &&
   ov --argjson k "$kdm" '([.regressions[] | select(.case == "kmod.dma.map")] | length) == 0
	and ([.expected[] | select(.case == "kmod.dma.map")] | length == 1
	     and .[0].known_issue.id == $k and .[0].known_issue.label == "expected")' &&
   [ "$(intel regressions)" = "$n0" ] && [ "$(intel expected)" = $((e0 + 1)) ] &&
   dj "base_plan=$pma&head_plan=$pmb" '.summary.regressions == 0 and .summary.expected == 1' &&
   ovcheck expected; then
	lab_ok "overview: the same row under known issue $kdm is expected, not counted (intel-iommu regressions $n0, expected $((e0 + 1))), as the plan diff says"
else
	lab_fail "overview: a known issue's row is no regression" "regressions $(intel regressions) (want $n0), expected $(intel expected): $(jq -c '{regressions, expected}' "$out/overview.json" | head -c 600) $(grep '^not ok' "$out/overview-check-expected.log")"
fi
jua=$(run 6.1 q35-b kmod.dma.unmap:22:22:pass) jub=$(run 6.14 q35-b kmod.dma.unmap:19:22:fail)
pua=$(plan_of "$jua") pub=$(plan_of "$jub")
ov '[.regressions[] | select(.case == "kmod.dma.unmap" and .target == "q35-b")] | length == 1' &&
	[ "$(intel regressions)" = $((n0 + 1)) ] && before_q=ok || before_q="$(intel regressions)"
# the QEMU each job ran on, as the runner's provenance records it (run/provenance.c)
sql "INSERT INTO job_provenance (job_id, top, cache_dir, arch, qemu_version, recorded_at) VALUES
	($jua, '$top', '/tmp', 'x86_64', '7.2.19', strftime('%s')),
	($jub, '$top', '/tmp', 'x86_64', '10.0.2', strftime('%s'))"
if [ "$before_q" = ok ] &&
   ov '([.regressions[] | select(.case == "kmod.dma.unmap")] | length) == 0
	and ([.qemu_changes[] | select(.case == "kmod.dma.unmap")] | length == 1
	     and .[0].qemu == {"base": "7.2.19", "head": "10.0.2"} and .[0].qemu_change)' &&
   [ "$(intel regressions)" = "$n0" ] && [ "$(intel qemu_changes)" = $((q0 + 1)) ] &&
   dj "base_plan=$pua&head_plan=$pub" '.summary.regressions == 0 and .summary.qemu_changes == 1' &&
   ovcheck qemu; then
	lab_ok "overview: kmod.dma.unmap counted until its jobs ran on QEMU 7.2.19 -> 10.0.2: then a QEMU change, not counted (regressions $n0, qemu_changes $((q0 + 1)))"
else
	lab_fail "overview: a QEMU change is no regression" "before: $before_q; regressions $(intel regressions) (want $n0): $(jq -c '{regressions, qemu_changes}' "$out/overview.json" | head -c 600) $(grep '^not ok' "$out/overview-check-qemu.log")"
fi
# the overview page (Debian's chromium): both rows listed apart, not among the regressions
if lab_browser_ready "$out/browser-deps.log" >"$out/browser.why"; then
	/usr/bin/python3 "$top/tests/browser/overview_apart.py" --url "$LAB_URL" --out "$out" \
		>"$out/overview-browser.tap" 2>&1
	cat "$out/overview-browser.tap"
	read -r p f <<<"$(grep -c '^ok ' "$out/overview-browser.tap") $(grep -c '^not ok ' "$out/overview-browser.tap")"
	lab_counts "$p" "$f" 0
	[ "$p" -gt 0 ] || lab_fail "overview browser test ran" "$(tail -5 "$out/overview-browser.tap")"
else
	lab_skip "overview page in chromium" "$(cat "$out/browser.why")"
fi
# the patch check of 6.1 -> 6.14 on q35-b: the QEMU change is listed apart and fails nothing
# (6.14's new kmod.sva.bind crash there is a new row: a warning)
pq=$(curl -fsS -H "Authorization: Bearer $LAB_TOKEN" -H 'Content-Type: application/json' \
	-d '{"kind": "patch", "kernels": ["6.14", "6.1"], "targets": ["q35-b"]}' "$LAB_URL/api/v1/plans" | jq -r .id)
sql "UPDATE plans SET spec = json_set(spec, '$.patch', json('{\"base\": \"6.1\", \"head\": \"6.14\", \"subject\": \"[PATCH] qemu\"}')) WHERE id = ${pq:-0};
     UPDATE jobs SET state = 3 WHERE plan_id = ${pq:-0}"
if curl -fsS "$LAB_URL/api/v1/patches/$pq" >"$out/patch-qemu.json" &&
   jq -e '.state == "warning" and ([.drivers[].qemu_changes[] | [.case, .qemu.base, .qemu.head]]
	== [["kmod.dma.unmap", "7.2.19", "10.0.2"]])
	and ([.drivers[] | .contract_violations[], .new_failures[]] | length) == 0
	and (.drivers[0].description | test("1 QEMU change"))' "$out/patch-qemu.json" >/dev/null &&
   expect 0 "$cli" patch report "$pq" &&
   grep -qE "kmod.dma.unmap .*EINVAL/pass -> ENODEV/fail  \[pass_to_fail, QEMU change 7.2.19 -> 10.0.2, not a kernel regression\]" "$out/last.out"; then
	lab_ok "patch check 6.1 -> 6.14 on q35-b (plan $pq): the QEMU change listed apart, a warning, not a contract violation (JSON, text)"
else
	lab_fail "patch check: a QEMU change is no violation" "$(head -c 800 "$out/patch-qemu.json"; tail -5 "$out/last.out")"
fi
lab_done
