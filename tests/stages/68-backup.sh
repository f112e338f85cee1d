#!/usr/bin/env bash
# 68-backup - a database that lives for years (issue 18.7), on real SQLite
# files and a real iommulabd:
# 1. online backup while the daemon writes: a writer keeps storing jobs of
#    40 results each through POST /results (one transaction per job) while
#    `iommulab-admin backup` copies the database three times; every copy
#    passes PRAGMA integrity_check, holds every job whole or not at all
#    (never part of a batch), and the live database moved on meanwhile;
#    a backup onto an existing file is refused and leaves it as it was.
# 2. restore: refused while a daemon holds the state dir (its pid named);
#    into a new state dir, a daemon started on it serves exactly the
#    backup's jobs and results; a corrupt backup is refused and changes
#    nothing.
# 3. retention: `iommulab-admin prune --older-than 30` removes the results
#    and log files of old superseded manual jobs, and keeps the latest cell
#    of every (kernel, target, case), nightly baselines, and jobs a finding
#    names; the matrix is the same before and after.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/68-backup
rm -rf "$out"
mkdir -p "$out"
. "$top/tests/lib-server.sh"
unset IOMMULAB_SERVER IOMMULAB_TOKEN
for t in jq sqlite3 curl; do
	command -v $t >/dev/null || { lab_skip "backup" "$t missing"; lab_done; exit $?; }
done
admin=$O/server/iommulab-admin
writer_pid=
trap 'kill "$writer_pid" 2>/dev/null; lab_srv_stop' EXIT
lab_srv_fixture "$out"
state=$out/state
db=$state/iommulab.db
sql() { sqlite3 -cmd '.timeout 10000' "${DB:-$db}" "$@"; }
api_post() { curl -fsS -H "Authorization: Bearer $LAB_TOKEN" -H 'Content-Type: application/json' --data-binary @- "$LAB_URL/api/v1/$1"; }
echo '{"name": "6.12", "arch": "x86_64"}' | api_post kernels >/dev/null

# run_job KIND TARGET OBS : one plan of one job, 40 records, completed
recs_of() { # recs_of TARGET OBS
	jq -nc --arg t "$1" --argjson o "$2" '[range(40)] | map({v: 1, id: ("kmod.c" + tostring),
		target: $t, kernel: "k", arch: "x86_64", driver: "intel-iommu", iommu: "dmar0",
		steps: [], observed: $o, expected: $o, contract: "t", verdict: "pass", reused: null,
		verified: "core", duration_us: 1, repeat: 0})'
}
run_job() {
	local plan job
	plan=$(jq -nc --arg k "$1" --arg t "$2" '{kind: $k, kernels: ["6.12"], targets: [$t]}' |
		api_post plans | jq -r .id) || return 1
	job=$(sql "SELECT id FROM jobs WHERE plan_id = $plan")
	sql "UPDATE jobs SET state = 2, attempts = 1 WHERE id = $job"
	jq -nc --argjson j "$job" --argjson r "$(recs_of "$2" "$3")" '{job: $j, records: $r, complete: true}' |
		api_post results >/dev/null || return 1
	echo "$job"
}

# ---- 1. online backup while writing ------------------------------------------------
run_job manual q35-a 22 >/dev/null
( while :; do run_job manual q35-b 22 >/dev/null || break; done ) &
writer_pid=$!
sleep 2
ok=1 prev=0 t0=$(date +%s%N)
for i in 1 2 3; do
	if ! "$admin" backup --state-dir "$state" "$out/b$i.db" >"$out/b$i.out" 2>&1; then
		ok=0; echo "# backup $i: $(cat "$out/b$i.out")"; continue
	fi
	DB=$out/b$i.db
	ic=$(DB=$out/b$i.db sql 'PRAGMA integrity_check')
	partial=$(DB=$out/b$i.db sql "SELECT count(*) FROM (SELECT job_id FROM results GROUP BY job_id HAVING count(*) != 40)")
	# latest (maintained when a job completes) agrees with the complete jobs' results
	torn=$(DB=$out/b$i.db sql "SELECT (SELECT count(*) FROM latest l WHERE NOT EXISTS (SELECT 1 FROM results r WHERE r.id = l.result_id)) + abs((SELECT count(*) FROM latest) - (SELECT count(*) FROM (SELECT DISTINCT r.kernel_id, r.target_id, r.case_id FROM results r JOIN jobs j ON j.id = r.job_id WHERE j.state = 3)))")
	n=$(DB=$out/b$i.db sql "SELECT count(*) FROM results")
	unset DB
	echo "# backup $i: $(cat "$out/b$i.out"); integrity $ic, $n results, $partial partial jobs, $torn latest rows off"
	[ "$ic" = ok ] && [ "$partial" = 0 ] && [ "$torn" = 0 ] && [ "$n" -ge "$prev" ] || ok=0
	prev=$n
	sleep 1
done
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
live=$(sql "SELECT count(*) FROM results")
kill "$writer_pid" 2>/dev/null; wait "$writer_pid" 2>/dev/null; writer_pid=
if [ $ok = 1 ] && [ "$live" -gt "$prev" ] && [ "$prev" -gt 40 ]; then
	lab_ok "3 online backups while a writer stored jobs: each integrity ok, no partial batch, no torn job ($prev results in the last, $live live; $ms ms for all three)"
else
	lab_fail "online backup while writing" "ok=$ok last=$prev live=$live"
fi
cp "$out/b1.db" "$out/b1.copy"
if ! "$admin" backup --state-dir "$state" "$out/b1.db" >"$out/exists.out" 2>&1 &&
   grep -q "File exists\|b1.db" "$out/exists.out" && cmp -s "$out/b1.db" "$out/b1.copy"; then
	lab_ok "backup onto an existing file: refused, the file unchanged"
else
	lab_fail "backup onto existing file" "$(cat "$out/exists.out")"
fi

# ---- 2. restore ---------------------------------------------------------------------
before=$(sha256sum "$db" | cut -c1-64)
if ! "$admin" restore --state-dir "$state" "$out/b3.db" >"$out/r-busy.out" 2>&1 &&
   grep -q "$LAB_PID" "$out/r-busy.out"; then
	lab_ok "restore refused while the daemon (pid $LAB_PID) holds the state dir"
else
	lab_fail "restore while running" "$(cat "$out/r-busy.out")"
fi
lab_srv_stop
state2=$out/state2
mkdir -p "$state2"
# the admin token is a file beside the database, not in it: it goes with the backup
cp -p "$state/admin.token" "$state2/admin.token"
head -c 20000 "$out/b3.db" >"$out/corrupt.db"
if ! "$admin" restore --state-dir "$state2" "$out/corrupt.db" >"$out/r-bad.out" 2>&1 &&
   [ ! -s "$state2/iommulab.db" ]; then
	lab_ok "a corrupt backup is refused ($(head -c 120 "$out/r-bad.out")) and nothing is written"
else
	lab_fail "corrupt restore" "$(cat "$out/r-bad.out"; ls -la "$state2")"
fi
if "$admin" restore --state-dir "$state2" "$out/b3.db" >"$out/r.out" 2>&1 &&
   lab_srv_start "$state2" --targets "$out/targets" --web "$out/web" --schema "$top/schema" --no-scheduler; then
	nj=$(DB=$out/b3.db sql "SELECT count(*) FROM jobs")
	nr=$(DB=$out/b3.db sql "SELECT count(*) FROM results")
	got_j=$(lab_api "jobs?limit=1000" | jq '.items | length')
	got_r=$(lab_api "results?kernel=6.12&limit=1000" | jq '.items | length')
	want_r=$(( nr < 1000 ? nr : 1000 ))
	if [ "$got_j" = "$nj" ] && [ "$got_r" = "$want_r" ]; then
		lab_ok "restored into a new state dir: the daemon serves the backup's $nj jobs and its results"
	else
		lab_fail "restore" "jobs $got_j/$nj results $got_r/$want_r"
	fi
else
	lab_fail "restore" "$(cat "$out/r.out")"
fi
db=$state2/iommulab.db

# ---- 3. retention ---------------------------------------------------------------------
# old superseded manual jobs (q35-b re-ran many times), one old nightly, one
# old job a finding names; their logs on disk
nightly=$(run_job nightly q35-a 22)
fjob=$(jq -nc '{kind: "manual", kernels: ["6.12"], targets: ["q35-a"]}' | api_post plans | jq -r .id)
fjob=$(sql "SELECT id FROM jobs WHERE plan_id = $fjob")
sql "UPDATE jobs SET state = 2, attempts = 1 WHERE id = $fjob"
jq -nc --argjson j "$fjob" '{job: $j, complete: true, records: [{v: 1, id: "kmod.bad", target: "q35-a",
	kernel: "k", arch: "x86_64", driver: "intel-iommu", iommu: "dmar0", steps: [], observed: 19,
	expected: 22, contract: "t", verdict: "fail", reused: null, verified: "core", duration_us: 1, repeat: 0}]}' |
	api_post results >/dev/null
newest=$(run_job manual q35-b 22)
for j in $(sql "SELECT id FROM jobs"); do
	# every kind of file a backend writes for a job (server/core/joblogs.h)
	for s in log prep.log boot.log times artifacts lava.yaml; do echo "log of $j" >"$state2/logs/$j.$s" 2>/dev/null || { mkdir -p "$state2/logs"; echo x >"$state2/logs/$j.$s"; }; done
done
sql "UPDATE jobs SET finished_at = strftime('%s', 'now') - 40 * 86400"
lab_api "matrix?kernel=6.12" | jq -S .cells >"$out/matrix-before.json"
keep_latest=$(sql "SELECT count(DISTINCT job_id) FROM latest")
expect_gone=$(sql "SELECT count(*) FROM results r JOIN jobs j ON j.id = r.job_id JOIN plans p ON p.id = j.plan_id WHERE p.kind = 'manual' AND j.id NOT IN (SELECT job_id FROM latest) AND j.id != $fjob")
if "$admin" prune --state-dir "$state2" --older-than 30 >"$out/prune.out" 2>&1; then
	cat "$out/prune.out" | sed 's/^/# /'
	lab_api "matrix?kernel=6.12" | jq -S .cells >"$out/matrix-after.json"
	left_manual=$(sql "SELECT count(*) FROM results r JOIN jobs j ON j.id = r.job_id JOIN plans p ON p.id = j.plan_id WHERE p.kind = 'manual' AND j.id NOT IN (SELECT job_id FROM latest) AND j.id != $fjob")
	if [ "$expect_gone" -gt 0 ] && [ "$left_manual" = 0 ] &&
	   grep -q "^prune: older than 30 days: $expect_gone results" "$out/prune.out" &&
	   [ "$(sql "SELECT count(*) FROM results WHERE job_id = $nightly")" = 40 ] &&
	   [ "$(sql "SELECT count(*) FROM results WHERE job_id = $fjob")" = 1 ] &&
	   [ "$(sql "SELECT count(*) FROM results WHERE job_id = $newest")" = 40 ] &&
	   [ -e "$state2/logs/$nightly.log" ] && [ -e "$state2/logs/$fjob.log" ] && [ -e "$state2/logs/$newest.log" ] &&
	   [ "$(sql "SELECT count(DISTINCT job_id) FROM latest")" = "$keep_latest" ] &&
	   cmp -s "$out/matrix-before.json" "$out/matrix-after.json"; then
		lab_ok "prune --older-than 30: $expect_gone superseded manual results and their logs gone; latest cells, the nightly, the finding's job kept; the matrix unchanged"
	else
		lab_fail "prune" "left $left_manual of $expect_gone; $(cat "$out/prune.out")"
	fi
	# (a job the backup caught running keeps its log: it never finished)
	gone_logs=$(sql "SELECT id FROM jobs j WHERE j.state IN (3, 4, 5) AND j.id NOT IN (SELECT job_id FROM latest) AND j.id NOT IN ($nightly, $fjob)" |
		while read -r j; do ls "$state2/logs/$j".* 2>/dev/null; done)
	[ -z "$gone_logs" ] && lab_ok "the pruned jobs' files are gone (console, prep, boot, times, artifacts, LAVA job)" ||
		lab_fail "pruned logs" "left: $(echo $gone_logs | head -c 300)"
	if "$admin" prune --state-dir "$state2" --older-than 30 >"$out/prune2.out" 2>&1 &&
	   grep -q "^prune: older than 30 days: 0 results" "$out/prune2.out" &&
	   ! "$admin" prune --state-dir "$state2" --older-than -1 >/dev/null 2>&1; then
		lab_ok "a second prune removes nothing more; --older-than -1 is refused"
	else
		lab_fail "prune again" "$(cat "$out/prune2.out")"
	fi
else
	lab_fail "prune" "$(cat "$out/prune.out")"
fi
lab_done
