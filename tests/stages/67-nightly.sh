#!/usr/bin/env bash
# 67-nightly - the nightly schedule (server/nightly.c) against a real
# iommulabd (own state dir, real SQLite, the scheduler and the local QEMU
# runner), with time injected through IOMMULAB_CLOCK_FILE:
#
# 1. nightly.json (cron "0 2 * * *", repeat 2, kmod.* on q35-vtd) tracks a
#    tree the lab builds (debian-6.12, kernels/build: cached after 60/65).
#    At 01:59 nothing fires (the schedule starts); at 02:00:30 a plan of kind
#    nightly appears and runs; it is the first, so nothing is compared and
#    no webhook fires.
# 2. The server stops; the tracked tree gains the test patch (intel-iommu
#    -ENODEV on a snoop mismatch); the clock moves past the next night's
#    02:00 while the server is down. At the next start the missed nightly
#    runs at once, is compared with the previous one, and the webhook (a
#    receiver on 127.0.0.1 written here: the webhook's consumer) gets one
#    JSON POST naming exactly the regression q35-vtd kmod.coherency.vtd_no_snoop
#    (EINVAL/pass -> ENODEV/fail), both sides consistent over 2 repeats,
#    confidence 0.75.
#    A known issue for the same case on another target changes nothing.
# 2b. A known issue covering q35-vtd: the plan diff labels the row expected
#    (0 regressions) and the nightly compared again (state reset while the
#    server is down) counts 0 regressions, 1 expected, and sends no webhook.
# 3. The same slot never fires twice.
# 4. Debian kernels follow the newest upload per arch: "6.12" and
#    {"debian": "6.12", "arch": "arm64"} (targets: q35-vtd only) make a plan
#    naming debian-<release> of each, the releases `kernels/fetch-debian`
#    resolves; the kernels are registered with release, version, arch and
#    source debian; 1 job (x86 only), canceled by the test (nothing boots).
# 5. A bad entry (arch "mips") refuses the night: a log line, no plan, the
#    state's run says why.
# 6. Resolution fails (a resolver that says the apt metadata is unavailable,
#    via $IOMMULAB_FETCH_DEBIAN): the nightly runs with the last kernel
#    registered for the series, and log and state say so.
# Skipped with a reason when QEMU, linux-source-6.12, ccache or busybox are
# missing.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export CACHE=${CACHE:-$HOME/.cache/iommulab}
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/67-nightly
rm -rf "$out"
mkdir -p "$out/state" "$out/hooks"
. "$top/tests/lib-kbuild.sh"
lab_kbuild_ready nightly "scripts/install-deps kbuild server rig" curl python3
make -s -C "$top/server" >"$out/build.log" 2>&1 ||
	{ lab_fail "server builds" "see $out/build.log"; lab_done; exit 1; }
. "$top/tests/lib-server.sh"

# the webhook's consumer: one file per POST, port in $out/hook.port
cat >"$out/receiver.py" <<'PY'
import http.server, os, sys
out = sys.argv[1]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n)
        k = len(os.listdir(out)) + 1
        open(os.path.join(out, "%d.json" % k), "wb").write(body)
        open(os.path.join(out, "%d.headers" % k), "w").write(str(self.headers))
        self.send_response(204)
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[2], "w").write(str(s.server_port))
s.serve_forever()
PY
python3 "$out/receiver.py" "$out/hooks" "$out/hook.port" &
recv_pid=$!
for _ in $(seq 50); do [ -s "$out/hook.port" ] && break; sleep 0.1; done
hook_port=$(cat "$out/hook.port")
cleanup() { lab_srv_stop; kill "$recv_pid" 2>/dev/null; wait "$recv_pid" 2>/dev/null; }
trap cleanup EXIT

day=$(date -u -d '2030-01-10 00:00:00' +%s)
secret=the-nightly-webhook-secret	# nightly.json's webhook_secret: its POSTs are signed
clock=$out/clock
export IOMMULAB_CLOCK_FILE=$clock IOMMULAB_NIGHTLY=$out/nightly.json
# nightly_conf KERNEL-JSON: the schedule tracking that kernel
nightly_conf() {
	jq -n --argjson k "$1" --arg hook "http://127.0.0.1:$hook_port/hook" --arg secret "$secret" \
		'{cron: "0 2 * * *", kernels: [$k], targets: ["q35-vtd"], cases: "kmod.*",
		  repeat: 2, webhook: $hook, webhook_secret: $secret}' >"$out/nightly.json.new"
	mv "$out/nightly.json.new" "$out/nightly.json"
}
# nightly_list KERNELS-JSON-ARRAY TARGET: kmod.* on TARGET, repeat 2
nightly_list() {
	jq -n --argjson k "$1" --arg t "$2" --arg hook "http://127.0.0.1:$hook_port/hook" --arg secret "$secret" \
		'{cron: "0 2 * * *", kernels: $k, targets: [$t], cases: "kmod.*",
		  repeat: 2, webhook: $hook, webhook_secret: $secret}' >"$out/nightly.json.new"
	mv "$out/nightly.json.new" "$out/nightly.json"
}
nplans() { nightly_plans | jq length; }
nplans_is() { [ "$(nplans)" -eq "$1" ]; }
# cancel_plan ID: cancel its jobs (nothing of it needs to boot)
cancel_plan() {
	local j
	for j in $(lab_api "jobs?plan=$1&limit=100" | jq -r '.items[].id'); do
		lab_cli cancel "$j" >/dev/null
	done
}
kernel_json() { lab_api kernels | jq --arg n "$1" '.items // . | map(select(.name == $n)) | .[0]'; }
nightly_plans() { lab_api "plans?limit=100" | jq '[.items[] | select(.kind == "nightly")]'; }
jqe() { jq -e "$@" >/dev/null; }
# wait_for SECS CMD...: until CMD succeeds
wait_for() {
	local end=$(( $(date +%s) + $1 )); shift
	while [ "$(date +%s)" -lt "$end" ]; do "$@" && return 0; sleep 1; done
	return 1
}
# state_has [JQ-ARGS...] FILTER: the nightly state matches
state_has() { jq -e "$@" "$out/state/nightly-state.json" >/dev/null 2>&1; }

# ---- 1. the first night ---------------------------------------------------
nightly_conf '{"tree": "debian-6.12", "name": "nightly-base"}'
echo $(( day + 1*3600 + 59*60 )) >"$clock"		# 01:59
lab_srv_start "$out/state" --log-level info || { lab_fail "iommulabd starts"; lab_done; exit 1; }
wait_for 10 state_has '.last_slot > 0'
lab_check "01:59: the schedule starts at the previous night's slot, nothing fires" \
	bash -c "[ \"\$(jq .last_slot '$out/state/nightly-state.json')\" = $(( day - 86400 + 2*3600 )) ] &&
		 [ \"\$(curl -fsS '$LAB_URL/api/v1/plans?limit=100' | jq '[.items[] | select(.kind == \"nightly\")] | length')\" = 0 ]"
echo $(( day + 2*3600 + 30 )) >"$clock"			# 02:00:30
wait_for 15 bash -c "[ \"\$(curl -fsS '$LAB_URL/api/v1/plans?limit=100' | jq '[.items[] | select(.kind == \"nightly\")] | length')\" = 1 ]"
nightly_plans >"$out/plans1.json"
p1=$(jq -r '.[0].id' "$out/plans1.json")
lab_check "02:00:30: a nightly plan \"nightly 2030-01-10 02:00\" (1 job, repeat 2)" \
	jqe '.[0].name == "nightly 2030-01-10 02:00" and .[0].repeat == 2 and .[0].jobs == 1' "$out/plans1.json"
lab_cli watch "$p1" --interval 3 --timeout 1800 >"$out/watch1.log" 2>&1
lab_check "the first nightly completes" test $? -eq 0
wait_for 15 state_has ".runs[0].compared == true"
lab_check "the first nightly is marked compared, with nothing before it, no webhook" \
	bash -c "jq -e '.runs[0].previous == null and .runs[0].webhook == 0' '$out/state/nightly-state.json' >/dev/null &&
		 [ -z \"\$(ls '$out/hooks')\" ]"

# a known issue for the coming regression's case on another target: it
# must excuse nothing (2. counts the regression all the same)
ki_post() {
	curl -fsS -H "Authorization: Bearer $LAB_TOKEN" -H 'Content-Type: application/json' \
		-d "$1" "$LAB_URL/api/v1/known-issues"
}
ki_post '{"driver": "intel-iommu", "case": "kmod.coherency.vtd_no_snoop", "target": "virt-*",
	  "reason": "another target"}' >/dev/null

# ---- 2. a missed night, at the next start ---------------------------------
lab_srv_stop
nightly_conf "$(jq -n --arg p "$patch1" '{tree: "debian-6.12", patches: $p, name: "nightly-vtd-queue"}')"
echo $(( day + 86400 + 5*3600 )) >"$clock"		# the next day, 05:00
lab_srv_start "$out/state" --log-level info || { lab_fail "iommulabd restarts"; lab_done; exit 1; }
wait_for 15 bash -c "[ \"\$(curl -fsS '$LAB_URL/api/v1/plans?limit=100' | jq '[.items[] | select(.kind == \"nightly\")] | length')\" = 2 ]"
nightly_plans >"$out/plans2.json"
p2=$(jq -r '.[0].id' "$out/plans2.json")
lab_check "the missed 2030-01-11 02:00 nightly runs at start" \
	jqe '.[0].name == "nightly 2030-01-11 02:00"' "$out/plans2.json"
lab_check "the server log says it was missed" grep -q "nightly 2030-01-11 02:00 was missed" "$LAB_SRV_LOG"
lab_cli watch "$p2" --interval 3 --timeout 2400 >"$out/watch2.log" 2>&1
lab_check "the second nightly completes" test $? -eq 0
wait_for 30 bash -c "ls '$out/hooks'/*.json >/dev/null 2>&1"
cp "$out/state/nightly-state.json" "$out/state-after.json"
lab_check "state: compared with the previous nightly, 1 regression, webhook queued (the outbox)" \
	jqe --argjson p1 "$p1" --argjson p2 "$p2" \
	'.runs[1].plan == $p2 and .runs[1].previous == $p1 and .runs[1].regressions == 1 and .runs[1].webhook == "queued"
	 and .runs[1].subscription > 0' \
	"$out/state-after.json"
lab_check "exactly one webhook POST" test "$(ls "$out/hooks"/*.json 2>/dev/null | wc -l)" -eq 1
hook=$out/hooks/1.json
cat "$hook" 2>/dev/null | jq . >"$out/hook.pretty.json" 2>/dev/null
lab_check "webhook: JSON content type" grep -qi "^Content-Type: application/json" "$out/hooks/1.headers"
# the signature over the raw body verifies with webhook_secret and not with another secret
sig_ok() { # sig_ok SECRET: the POST's X-Iommulab-Signature-256 is HMAC-SHA256(SECRET, body)
	python3 - "$hook" "$out/hooks/1.headers" "$1" <<'PY'
import hashlib, hmac, sys
body = open(sys.argv[1], "rb").read()
sig = [l.split(":", 1)[1].strip() for l in open(sys.argv[2]) if l.lower().startswith("x-iommulab-signature-256:")]
want = "sha256=" + hmac.new(sys.argv[3].encode(), body, hashlib.sha256).hexdigest()
sys.exit(0 if sig and hmac.compare_digest(want, sig[0]) else 1)
PY
}
lab_check "webhook: signed (X-Iommulab-Signature-256 verifies with webhook_secret)" sig_ok "$secret"
sig_bad() { ! sig_ok "$1"; }
lab_check "webhook: the signature does not verify with a wrong secret" sig_bad wrong-secret-0123456789
lab_check "webhook: event header nightly-regression, delivery logged as delivered (204)" \
	bash -c "grep -qi '^X-Iommulab-Event: nightly-regression' '$out/hooks/1.headers' &&
		 [ \"\$(sqlite3 -cmd '.timeout 10000' '$out/state/iommulab.db' \"SELECT d.state || ' ' || a.status FROM deliveries d
		   JOIN delivery_attempts a ON a.delivery_id = d.id WHERE d.subscription_id =
		   (SELECT id FROM subscriptions WHERE created_by = 'config:nightly.json')\")\" = 'delivered 204' ]"
lab_check "webhook: event, plans, diff_url" \
	jqe --argjson p1 "$p1" --argjson p2 "$p2" \
	'.event == "nightly.regression" and .plan == $p2 and .previous_plan == $p1
	 and .diff_url == "/api/v1/diffs?base_plan=\($p1)&head_plan=\($p2)"' "$hook"
lab_check "webhook: exactly the regression q35-vtd kmod.coherency.vtd_no_snoop EINVAL/pass -> ENODEV/fail" \
	jqe '[.regressions[] | {target, case, driver, b: .base.observed_name, bv: .base.verdict, h: .head.observed_name, hv: .head.verdict}]
	     == [{"target": "q35-vtd", "case": "kmod.coherency.vtd_no_snoop", "driver": "intel-iommu",
	          "b": "EINVAL", "bv": "pass", "h": "ENODEV", "hv": "fail"}]' "$hook"
lab_check "webhook: consistent over 2 repeats each, confidence 0.75, nothing inconsistent" \
	jqe '.regressions[0].runs == 2 and .regressions[0].confidence == 0.75
	     and .regressions[0].base.flaky == false and .regressions[0].head.flaky == false
	     and (.inconsistent | length) == 0' "$hook"
lab_check "webhook: each side's errno distribution (EINVAL x2 -> ENODEV x2)" \
	jqe '.regressions[0].base.errnos == {"EINVAL": 2} and .regressions[0].head.errnos == {"ENODEV": 2}' "$hook"
lab_check "webhook: each side's (errno, verdict) distribution over every repeat" \
	jqe '.regressions[0].base.distribution == [{"observed": 22, "observed_name": "EINVAL", "verdict": "pass", "count": 2}]
	     and .regressions[0].head.distribution == [{"observed": 19, "observed_name": "ENODEV", "verdict": "fail", "count": 2}]
	     and .regressions[0].regression == true' "$hook"
# issue 15.3: a plan diffed with itself reports 0 changes (real results, 2 repeats each)
for p in "$p1" "$p2"; do
	lab_api "diffs?base_plan=$p&head_plan=$p&changes_only=0" >"$out/self-diff-$p.json"
	lab_check "plan $p diffed with itself: every row unchanged over 2 repeats, 0 changes, 0 regressions" \
		jqe '(.rows | length) > 0 and all(.rows[]; .class == "unchanged" and .base.runs == 2
		     and .head.runs == 2) and .summary.regressions == 0
		     and ([.summary | to_entries[] | select(.key != "unchanged") | .value] | add) == 0' \
		"$out/self-diff-$p.json"
done

# ---- 2b. known issues (issue 18.1): the same comparison, the regression expected
# a known issue covering q35-vtd; the second nightly compared again (its
# state's "compared" reset while the server is down): no regression, the
# row listed as expected, no webhook
kin=$(ki_post '{"driver": "intel-iommu", "case": "kmod.coherency.vtd_no_snoop", "target": "q35-*",
		"reason": "ENODEV on a snoop mismatch: the queue means it"}' | jq .id)
lab_check "plan diff $p1 -> $p2: the row labelled expected (known issue $kin), 0 regressions" \
	jqe --argjson k "${kin:-0}" '.summary.regressions == 0 and .summary.expected == 1
	     and ([.rows[] | select(.known_issue != null) | {case, regression, id: .known_issue.id, label: .known_issue.label}]
	          == [{"case": "kmod.coherency.vtd_no_snoop", "regression": false, "id": $k, "label": "expected"}])' \
	<(lab_api "diffs?base_plan=$p1&head_plan=$p2&changes_only=1")
lab_srv_stop
jq '.runs[1].compared = false' "$out/state/nightly-state.json" >"$out/state/nightly-state.json.new" &&
	mv "$out/state/nightly-state.json.new" "$out/state/nightly-state.json"
lab_srv_start "$out/state" --log-level info || { lab_fail "iommulabd restarts"; lab_done; exit 1; }
wait_for 30 state_has '.runs[1].compared == true'
lab_check "compared again: 0 regressions, 1 expected, webhook not sent (the state says so)" \
	state_has --argjson p2 "$p2" '.runs[1].plan == $p2 and .runs[1].regressions == 0
		and .runs[1].expected == 1 and .runs[1].expected_passed == 0'
lab_check "the log: 0 regressions, 1 expected failure (known issues)" \
	grep -q "plan $p2 vs $p1: 0 regressions, 0 inconsistent (flaky) changes, 1 expected failure (known issues)" "$LAB_SRV_LOG"
lab_check "still exactly one webhook POST (an expected failure sends none)" \
	test "$(ls "$out/hooks"/*.json 2>/dev/null | wc -l)" -eq 1

# ---- 3. once per slot -----------------------------------------------------
sleep 3
lab_check "no second plan for the same slot" \
	test "$(nightly_plans | jq length)" -eq 2

# ---- 4. Debian kernels: the newest upload, per arch -------------------------
rel=$("$top/kernels/fetch-debian" --kernel 6.12 2>"$out/fetch-6.12.log")
res=$("$top/kernels/fetch-debian" --kernel 6.12 --resolve 2>/dev/null)
# the arm64 kernel needs the arm64 dpkg arch in apt: prepare the host here
# when 45-matrix-foreign or the demo has not (root only)
if ! "$top/rig/setup-foreign" --check >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
	"$top/rig/setup-foreign" >"$out/setup-foreign.log" 2>&1 || tail -5 "$out/setup-foreign.log"
fi
arm=$("$top/kernels/fetch-debian" --kernel 6.12 --arch arm64 --resolve 2>/dev/null | jq -r .release)
lab_check "kernels/fetch-debian resolves 6.12 ($rel)" test -n "$rel" -a "$rel" = "$(echo "$res" | jq -r .release)"
n0=$(nplans)
nightly_list '["6.12", {"debian": "6.12", "arch": "arm64"}]' q35-vtd
echo $(( day + 2*86400 + 2*3600 + 30 )) >"$clock"	# 2030-01-12 02:00:30
wait_for 60 nplans_is $((n0 + 1))
p3=$(nightly_plans | jq -r '.[0].id')
cancel_plan "$p3"
lab_api "plans/$p3" >"$out/plan3.json"
lab_api kernels >"$out/kernels.json"
lab_check "2030-01-12: the plan names debian-$rel (and the arm64 one), 1 job (q35-vtd is x86)" \
	jqe --arg x "debian-$rel" --arg a "debian-$arm" \
	'(.spec.kernels // .kernels) == [$x, $a] and .name == "nightly 2030-01-12 02:00"' "$out/plan3.json"
lab_check "the plan has exactly 1 job" test "$(lab_api "jobs?plan=$p3&limit=100" | jq '.items | length')" = 1
lab_check "kernel debian-$rel: release, version, arch x86_64, source debian" \
	jqe --arg n "debian-$rel" --arg r "$rel" --arg v "$(echo "$res" | jq -r .version)" \
	'(.items // .) | map(select(.name == $n)) | length == 1 and .[0].release == $r
	 and .[0].version == $v and .[0].arch == "x86_64" and .[0].source == "debian"' "$out/kernels.json"
if [ -n "$arm" ]; then
	lab_check "kernel debian-$arm: arch arm64, release $arm" \
		jqe --arg n "debian-$arm" --arg r "$arm" \
		'(.items // .) | map(select(.name == $n)) | length == 1 and .[0].release == $r
		 and .[0].arch == "arm64" and .[0].source == "debian"' "$out/kernels.json"
else
	lab_skip "arm64 Debian kernel registered" "no arm64 linux-image-6.12 in the apt sources (rig/setup-foreign)"
fi
lab_check "state: both entries resolved" \
	state_has --arg r "$rel" '.runs[-1].kernels | map(.resolved) == [true, true] and .[0].release == $r'
lab_check "log: 6.12 (x86_64) resolved to $rel" grep -qF "Debian 6.12 (x86_64) resolved to $rel" "$LAB_SRV_LOG"

# ---- 5. a bad entry: refused, no plan ---------------------------------------
nightly_list '[{"debian": "6.12", "arch": "mips"}]' q35-vtd
echo $(( day + 3*86400 + 2*3600 + 30 )) >"$clock"	# 2030-01-13 02:00:30
wait_for 20 grep -q "nightly 2030-01-13 02:00 refused" "$LAB_SRV_LOG"
lab_check "the bad entry is named when the schedule is loaded" \
	grep -qF "kernels[0]: arch 'mips' is not x86_64, arm64 or s390x: nightlies will be refused" "$LAB_SRV_LOG"
lab_check "a bad entry is refused with a clear log line" \
	grep -qF "nightly: nightly 2030-01-13 02:00 refused, no plan: kernels[0]: arch 'mips' is not x86_64, arm64 or s390x" "$LAB_SRV_LOG"
lab_check "no plan for the refused night" test "$(nplans)" -eq $((n0 + 1))
lab_check "the state's run says why" state_has '.runs[-1].plan == 0 and (.runs[-1].error | test("mips"))'

# ---- 6. resolution fails: the last kernel registered for the series ---------
lab_srv_stop
printf '#!/bin/sh\necho "E: apt metadata unavailable (test resolver)" >&2\nexit 1\n' >"$out/resolve-fails"
chmod +x "$out/resolve-fails"
nightly_list '["6.12"]' q35-vtd
echo $(( day + 4*86400 + 2*3600 + 30 )) >"$clock"	# 2030-01-14 02:00:30
IOMMULAB_FETCH_DEBIAN=$out/resolve-fails lab_srv_start "$out/state" --log-level info ||
	{ lab_fail "iommulabd restarts"; lab_done; exit 1; }
wait_for 30 nplans_is $((n0 + 2))
p4=$(nightly_plans | jq -r '.[0].id')
cancel_plan "$p4"
lab_check "apt unavailable: the nightly runs with the last registered debian-$rel" \
	jqe --arg x "debian-$rel" '(.spec.kernels // .kernels) == [$x]' <(lab_api "plans/$p4")
lab_check "log: the fallback is named" \
	grep -qF "cannot resolve (E: apt metadata unavailable (test resolver)); falling back to debian-$rel" "$LAB_SRV_LOG"
lab_check "state: the run's kernel is a fallback" \
	state_has --argjson p "$p4" '.runs[-1].plan == $p and .runs[-1].kernels[0].fallback == true
		and .runs[-1].kernels[0].resolved == false and (.runs[-1].kernels[0].error | test("apt metadata"))'
wait_for 30 bash -c "[ \"\$(curl -fsS '$LAB_URL/api/v1/jobs?plan=$p4&limit=10' | jq -r '.items[0].state')\" = canceled ]"
lab_check "still exactly one webhook POST" test "$(ls "$out/hooks"/*.json 2>/dev/null | wc -l)" -eq 1

cleanup
trap - EXIT
lab_check "no qemu left" test -z "$(lab_qemu_of "$out/state")"
lab_done
