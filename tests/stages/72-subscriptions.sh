#!/usr/bin/env bash
# 72-subscriptions - subscriptions (issue 18.2) against a real iommulabd
# (scheduler on: deliveries go out on its tick; the targets are in
# maintenance so no guest boots, and results go in through POST /results)
# and a webhook receiver written here, which checks each request's
# X-Iommulab-Signature-256 against HMAC-SHA256(secret, raw body) with
# Python's hmac and answers 500 to the first two requests:
# 1. a planted regression (6.12 fails kmod.attach.one) opens a finding:
#    the intel-iommu webhook gets finding-opened, signed, after two failed
#    attempts retried with backoff (1 s, 2 s: IOMMULAB_DELIVERY_BACKOFF_S=1);
#    the delivery log holds the three attempts (500, 500, 204).
# 2. 6.13 passes: finding-fixed, delivered at once.
# 3. a maildir subscription for kmod.attach.* gets both as mails in new/
#    that Python's email parser reads (subject, JSON body); an amd-iommu
#    webhook gets nothing; a dead webhook's attempts are logged with the
#    connection error and stay pending for the next try.
# 4. patch-check: a one-patch series (with a Message-ID) checked on q35-a
#    (its two jobs' results posted: the candidate fails
#    kmod.coherency.snoop where the base passed) reaches its verdict (fail);
#    the intel-iommu and kmod.coherency.* patch-check webhooks get one
#    signed event each (subject, Message-ID, verdict, per-driver summary,
#    links on the port the server bound: it runs with --port 0, and the
#    report link answers), once; the amd-iommu and kmod.attach.* ones get
#    nothing.
# 5. nightly: nightly.json's webhook (with "webhook_secret") goes through
#    the same outbox: two nights (injected clock), the second fails
#    kmod.nightly.one; the regression is POSTed as event nightly-regression,
#    signed with the secret (the receiver verifies it; the same body under
#    a wrong secret does not verify), and its delivery is logged under the
#    subscription nightly.json owns.
# 6. that nightly regression's whole life (issue 18): the finding the
#    nightly's job opened; acknowledged and linked to a lore thread through
#    the CLI; its deliveries (the intel-iommu webhook's finding-opened,
#    signed; a maildir draft for kmod.nightly.*, read by Python's email
#    parser); closed by the next nightly's later kernel (nightly-73 passes),
#    with finding-fixed on both. $out/life.txt keeps the CLI's account.
# 7. --public-url: after a restart with it, the patch report's links (JSON
#    and text) start with it, not with the Host the client asked.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/72-subscriptions
rm -rf "$out"
mkdir -p "$out/hooks" "$out/targets/x86_64" "$out/web" "$out/maildir/tmp" "$out/maildir/new" "$out/maildir/cur"
for t in jq sqlite3 curl python3; do
	command -v $t >/dev/null || { lab_skip "subscriptions" "$t missing"; lab_done; exit $?; }
done
nice -n 10 make -s -C "$top/server" >"$out/build.log" 2>&1 ||
	{ lab_fail "server builds" "see $out/build.log"; lab_done; exit 1; }
. "$top/tests/lib-server.sh"
unset IOMMULAB_SERVER IOMMULAB_TOKEN
secret=s3cret-for-the-test-receiver
cat >"$out/receiver.py" <<'PY'
import hashlib, hmac, http.server, json, os, sys
out, secret = sys.argv[1], sys.argv[3].encode()
n = [0]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        n[0] += 1
        want = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
        got = self.headers.get("X-Iommulab-Signature-256", "")
        status = 500 if n[0] <= 2 else 204
        with open(os.path.join(out, "%d.json" % n[0]), "wb") as f:
            f.write(body)
        with open(os.path.join(out, "%d.meta" % n[0]), "w") as f:
            json.dump({"path": self.path, "event": self.headers.get("X-Iommulab-Event"),
                       "delivery": self.headers.get("X-Iommulab-Delivery"),
                       "signature": got,
                       "signature_ok": hmac.compare_digest(want, got), "status": status}, f)
        self.send_response(status)
        self.end_headers()
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[2], "w").write(str(s.server_port))
s.serve_forever()
PY
python3 "$out/receiver.py" "$out/hooks" "$out/hook.port" "$secret" &
recv_pid=$!
for _ in $(seq 50); do [ -s "$out/hook.port" ] && break; sleep 0.1; done
port=$(cat "$out/hook.port")
trap 'lab_srv_stop; kill "$recv_pid" 2>/dev/null' EXIT
for t in q35-a q35-b; do
	jq -n --arg t "$t" '{name: $t, arch: "x86_64", backend: "qemu", vendor: "intel", driver: "intel-iommu",
		tags: [], concurrency: 1, qemu: {machine: "q35", args: []}}' >"$out/targets/x86_64/$t.json"
done
echo '<!doctype html><title>t</title>' >"$out/web/index.html"
export IOMMULAB_DELIVERY_BACKOFF_S=1
# part 5's nightly: its config and its clock (absent until then: no nightlies, real time)
export IOMMULAB_NIGHTLY=$out/nightly.json IOMMULAB_CLOCK_FILE=$out/clock
lab_srv_start "$out/state" --targets "$out/targets" --web "$out/web" --schema "$top/schema" ||
	{ lab_fail "iommulabd starts"; lab_done; exit 1; }
db=$out/state/iommulab.db
cli=$LAB_CLI_BIN
sql() { sqlite3 -cmd '.timeout 10000' "$db" "$@"; }
api_post() { curl -fsS -H "Authorization: Bearer $LAB_TOKEN" -H 'Content-Type: application/json' --data-binary @- "$LAB_URL/api/v1/$1"; }
# no guest boots here: the targets are in maintenance (health bad: the scheduler starts nothing)
for t in q35-a q35-b; do "$cli" targets state "$t" maintenance --reason "72: no guests" >/dev/null; done
for k in 6.12:6.12.118 6.13:6.13.2; do
	jq -nc --arg n "${k%%:*}" --arg v "${k#*:}" '{name: $n, version: $v, arch: "x86_64"}' | api_post kernels >/dev/null
done
run() { # run KERNEL OBS VERDICT : one job on q35-a, kmod.attach.one
	local plan job
	plan=$(jq -nc --arg k "$1" '{kind: "manual", kernels: [$k], targets: ["q35-a"]}' | api_post plans | jq -r .id)
	job=$(sql "SELECT id FROM jobs WHERE plan_id = $plan")
	sql "UPDATE jobs SET state = 2, attempts = 1 WHERE id = $job"
	jq -nc --argjson j "$job" --arg k "$1" --argjson o "$2" --arg v "$3" '{job: $j, complete: true,
		records: [{v: 1, id: "kmod.attach.one", target: "q35-a", kernel: $k, arch: "x86_64",
		driver: "intel-iommu", iommu: "dmar0", steps: [], observed: $o, expected: 22, contract: "t",
		verdict: $v, reused: null, verified: "core", duration_us: 1, repeat: 0}]}' | api_post results >/dev/null
}

ok=1
"$cli" subscribe webhook "http://127.0.0.1:$port/hook" --secret "$secret" --driver intel-iommu \
	--events finding-opened,finding-fixed >"$out/s1.out" || ok=0
"$cli" subscribe maildir "$out/maildir" --case 'kmod.attach.*' >"$out/s2.out" || ok=0
"$cli" subscribe webhook "http://127.0.0.1:$port/amd" --secret "$secret" --driver amd-iommu >"$out/s3.out" || ok=0
"$cli" subscribe webhook "http://127.0.0.1:1/dead" --secret "$secret" >"$out/s4.out" || ok=0
! "$cli" subscribe webhook "http://127.0.0.1:$port/x" --secret short >/dev/null 2>&1 || ok=0
! "$cli" subscribe maildir relative/dir >/dev/null 2>&1 || ok=0
[ $ok = 1 ] && [ "$(sql 'SELECT count(*) FROM subscriptions')" = 4 ] &&
	lab_ok "4 subscriptions (webhook intel-iommu, maildir kmod.attach.*, webhook amd-iommu, a dead webhook); a short secret and a relative maildir refused" ||
	lab_fail "subscribe" "$(cat "$out"/s*.out)"

# ---- 1. finding-opened, retried with backoff ------------------------------------------
t0=$(date +%s)
run 6.12 19 fail
for _ in $(seq 40); do [ -e "$out/hooks/3.meta" ] && break; sleep 0.5; done
"$cli" deliveries 1 >"$out/d1.txt"
cat "$out/d1.txt" | sed 's/^/# /'
if [ -e "$out/hooks/3.meta" ] && jq -e -s 'map(.signature_ok and .event == "finding-opened" and .path == "/hook") | all' \
	"$out"/hooks/[123].meta >/dev/null &&
   jq -e '.event == "finding-opened" and .finding.case == "kmod.attach.one" and .finding.from == "EINVAL"
	and .finding.to == "ENODEV" and .finding.kernel == "6.12.118" and (.finding.key | length) == 16' "$out/hooks/3.json" >/dev/null &&
   [ "$(sql "SELECT group_concat(status, ',') FROM (SELECT status FROM delivery_attempts WHERE delivery_id = (SELECT min(id) FROM deliveries WHERE subscription_id = 1) ORDER BY id)")" = "500,500,204" ] &&
   [ "$(sql "SELECT (max(at) - min(at)) >= 3 FROM delivery_attempts WHERE delivery_id = (SELECT min(id) FROM deliveries WHERE subscription_id = 1)")" = 1 ] &&
   grep -q "finding-opened .*delivered .*attempts 3" "$out/d1.txt"; then
	lab_ok "finding-opened: signed (HMAC-SHA256 verified by the receiver), 500, 500, then 204 after backoff (1 s, 2 s); 3 attempts logged ($(( $(date +%s) - t0 )) s)"
else
	lab_fail "finding-opened with retries" "$(cat "$out"/hooks/*.meta 2>/dev/null)"
fi

# ---- 2. finding-fixed ---------------------------------------------------------------------
run 6.13 22 pass
for _ in $(seq 20); do [ -e "$out/hooks/4.meta" ] && break; sleep 0.5; done
if jq -e '.signature_ok and .event == "finding-fixed" and .status == 204' "$out/hooks/4.meta" >/dev/null &&
   jq -e '.finding.kernel == "6.13.2"' "$out/hooks/4.json" >/dev/null; then
	lab_ok "finding-fixed (by 6.13) delivered, signed, first attempt"
else
	lab_fail "finding-fixed" "$(cat "$out/hooks/4.meta" 2>/dev/null)"
fi

# ---- 3. maildir, filters, a dead webhook ------------------------------------------------------
sleep 2
if python3 - "$out/maildir/new" >"$out/mail.txt" 2>&1 <<'PY'
import email, json, os, sys
d = sys.argv[1]
got = []
for n in sorted(os.listdir(d)):
    m = email.message_from_binary_file(open(os.path.join(d, n), "rb"))
    body = json.loads(m.get_payload())
    assert m["Subject"] == "[iommulab] " + body["event"], m["Subject"]
    assert m["Message-ID"] and m["Date"]
    got.append(body["event"])
print(sorted(got))
sys.exit(0 if sorted(got) == ["finding-fixed", "finding-opened"] else 1)
PY
then
	lab_ok "maildir: two mails in new/ read by Python's email parser ($(cat "$out/mail.txt"))"
else
	lab_fail "maildir" "$(cat "$out/mail.txt"; ls -la "$out/maildir/new")"
fi
if [ "$(sql "SELECT count(*) FROM deliveries WHERE subscription_id = 3")" = 0 ] &&
   [ ! -e "$out/hooks/5.meta" ]; then
	lab_ok "the amd-iommu webhook got nothing (driver filter)"
else
	lab_fail "driver filter" "$(sql 'SELECT subscription_id, event FROM deliveries')"
fi
dead=$(sql "SELECT state || ' ' || attempts FROM deliveries WHERE subscription_id = 4 ORDER BY id LIMIT 1")
err=$(sql "SELECT error FROM delivery_attempts WHERE delivery_id = (SELECT min(id) FROM deliveries WHERE subscription_id = 4) LIMIT 1")
if [[ "$dead" == "pending "[1-9]* ]] && [ -n "$err" ]; then
	lab_ok "a dead webhook: attempts logged ($dead; '$err'), pending for the next try"
else
	lab_fail "dead webhook" "$dead $err"
fi
# ---- 4. patch-check ---------------------------------------------------------------
# post JOB OBSERVED VERDICT CASE: the job's one result (expected EINVAL), complete
post() {
	local k
	k=$(sql "SELECT k.name FROM jobs j JOIN kernels k ON k.id = j.kernel_id WHERE j.id = $1")
	sql "UPDATE jobs SET state = 2, attempts = 1 WHERE id = $1"
	jq -nc --argjson j "$1" --arg k "$k" --argjson o "$2" --arg v "$3" --arg c "$4" '{job: $j, complete: true,
		records: [{v: 1, id: $c, target: "q35-a", kernel: $k, arch: "x86_64",
		driver: "intel-iommu", iommu: "dmar0", steps: [], observed: $o, expected: 22, contract: "t",
		verdict: $v, reused: null, verified: "core", duration_us: 1, repeat: 0}]}' | api_post results >/dev/null
}
hook_of() { grep -l "\"path\": \"$1\"" "$out"/hooks/*.meta 2>/dev/null; }
ok=1
"$cli" subscribe webhook "http://127.0.0.1:$port/patch" --secret "$secret" --driver intel-iommu \
	--events patch-check >"$out/s5.out" || ok=0
"$cli" subscribe webhook "http://127.0.0.1:$port/patch-amd" --secret "$secret" --driver amd-iommu \
	--events patch-check >"$out/s6.out" || ok=0
"$cli" subscribe webhook "http://127.0.0.1:$port/patch-coherency" --secret "$secret" \
	--case 'kmod.coherency.*' --events patch-check >"$out/s7.out" || ok=0
"$cli" subscribe webhook "http://127.0.0.1:$port/patch-attach" --secret "$secret" \
	--case 'kmod.attach.*' --events patch-check >"$out/s8.out" || ok=0
[ $ok = 1 ] || lab_fail "patch-check subscriptions" "$(cat "$out"/s[5-8].out)"
msgid='<20261203.72-snoop-1@example.org>'
{
	echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
	echo "From: Ada Author <ada@example.org>"
	echo "Date: Thu, 03 Dec 2026 10:00:00 +0000"
	echo "Subject: [PATCH] iommu/vt-d: the series of stage 72"
	echo "Message-ID: $msgid"
	echo
	echo "---"
	echo " drivers/iommu/intel/iommu.c | 1 +"
	echo
	echo "diff --git a/drivers/iommu/intel/iommu.c b/drivers/iommu/intel/iommu.c"
	echo "--- a/drivers/iommu/intel/iommu.c"
	echo "+++ b/drivers/iommu/intel/iommu.c"
	echo "@@ -1,1 +1,2 @@"
	echo " /* x */"
	echo "+/* y */"
} >"$out/series.mbox"
plan=$(jq -n --rawfile s "$out/series.mbox" '{base: "debian-6.12", series: $s, targets: ["q35-a"]}' |
	api_post patches | jq -r .id)
head_k=$(sql "SELECT json_extract(spec, '$.patch.head') FROM plans WHERE id = ${plan:-0}")
for j in $(sql "SELECT id FROM jobs WHERE plan_id = ${plan:-0}"); do
	if [ "$(sql "SELECT k.name FROM jobs j JOIN kernels k ON k.id = j.kernel_id WHERE j.id = $j")" = "$head_k" ]; then
		post "$j" 19 fail kmod.coherency.snoop
	else
		post "$j" 22 pass kmod.coherency.snoop
	fi
done
for _ in $(seq 30); do [ -n "$(hook_of /patch)" ] && [ -n "$(hook_of /patch-coherency)" ] && break; sleep 0.5; done
sleep 2	# a second announcement, were there one, would be out by now
m=$(hook_of /patch); b=${m%.meta}.json
if [ -n "$m" ] && [ "$(echo "$m" | grep -c .)" = 1 ] &&
   jq -e '.signature_ok and .event == "patch-check"' "$m" >/dev/null &&
   jq -e --argjson p "$plan" --arg id "$msgid" --arg u "$LAB_URL" '.event == "patch-check" and .check.plan == $p
	and .check.state == "fail" and .check.message_id == $id
	and .check.subject == "[PATCH] iommu/vt-d: the series of stage 72"
	and (.check.drivers | length) == 1 and .check.drivers[0].driver == "intel-iommu"
	and .check.drivers[0].state == "fail" and .check.drivers[0].contract_violations == 1
	and (.check.summary | test("1 fail")) and .check.url == "\($u)/#/patches/\($p)"
	and .check.report == "\($u)/api/v1/patches/\($p)"' "$b" >/dev/null &&
   curl -fsS "$(jq -r .check.report "$b")" | jq -e --argjson p "$plan" '.plan == $p' >/dev/null &&
   [ "$(hook_of /patch-coherency | grep -c .)" = 1 ] &&
   [ "$(sql "SELECT count(*) FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
	WHERE s.url LIKE '%/patch-amd' OR s.url LIKE '%/patch-attach'")" = 0 ] &&
   [ "$(sql "SELECT count(*) FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
	WHERE d.event = 'patch-check' AND s.url LIKE '%/patch%'")" = 2 ]; then
	lab_ok "patch-check: one signed event (fail, subject, Message-ID, intel-iommu: 1 contract violation, links on the bound port $LAB_URL that answer) to the intel-iommu and kmod.coherency.* subscriptions, once; amd-iommu and kmod.attach.* got nothing"
else
	lab_fail "patch-check event" "$(cat "$m" "$b" 2>/dev/null; sql 'SELECT subscription_id, event FROM deliveries')"
fi

# ---- 5. the nightly's webhook through the outbox -------------------------------------
# (part 6's mail drafts for the nightly's case: subscribed before it opens)
mkdir -p "$out/maildir-life/tmp" "$out/maildir-life/new" "$out/maildir-life/cur"
"$cli" subscribe maildir "$out/maildir-life" --case 'kmod.nightly.*' \
	--events finding-opened,finding-fixed >"$out/s9.out" ||
	lab_fail "subscribe maildir kmod.nightly.*" "$(cat "$out/s9.out")"
day=$(date -u -d '2030-01-10 00:00:00' +%s)
echo $(( day + 1*3600 + 59*60 )) >"$out/clock"		# 01:59
jq -n --arg hook "http://127.0.0.1:$port/nightly" --arg s "$secret" '{at: "02:00",
	kernels: [{tree: "debian-6.12", name: "nightly-72"}], targets: ["q35-a"],
	cases: "kmod.nightly.one", webhook: $hook, webhook_secret: $s}' >"$out/nightly.json"
nightly_plan() { sql "SELECT coalesce(max(id), 0) FROM plans WHERE kind = 'nightly'"; }
for _ in $(seq 20); do [ -s "$out/state/nightly-state.json" ] && break; sleep 0.5; done
night=0
for n in 0 1; do	# night 1 passes, night 2 fails
	echo $(( day + n*86400 + 2*3600 + 30 )) >"$out/clock"
	for _ in $(seq 20); do [ "$(nightly_plan)" != "$night" ] && break; sleep 0.5; done
	night=$(nightly_plan)
	for j in $(sql "SELECT id FROM jobs WHERE plan_id = $night"); do
		if [ $n = 0 ]; then post "$j" 22 pass kmod.nightly.one; else post "$j" 19 fail kmod.nightly.one; fi
	done
	sleep 2	# compared on the next tick
done
for _ in $(seq 30); do [ -n "$(hook_of /nightly)" ] && break; sleep 0.5; done
m=$(hook_of /nightly); b=${m%.meta}.json
sub=$(sql "SELECT id FROM subscriptions WHERE created_by = 'config:nightly.json'")
if [ -n "$m" ] && jq -e '.signature_ok and .event == "nightly-regression" and .status == 204' "$m" >/dev/null &&
   jq -e '.event == "nightly.regression" and (.regressions | length) == 1
	and .regressions[0].case == "kmod.nightly.one" and .regressions[0].target == "q35-a"' "$b" >/dev/null &&
   python3 - "$b" "$(jq -r .signature "$m")" "$secret" <<'PY'
import hashlib, hmac, sys
body, sig, secret = open(sys.argv[1], "rb").read(), sys.argv[2], sys.argv[3].encode()
good = "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()
bad = "sha256=" + hmac.new(b"not-the-nightly-secret", body, hashlib.sha256).hexdigest()
sys.exit(0 if hmac.compare_digest(good, sig) and not hmac.compare_digest(bad, sig) else 1)
PY
then
	lab_ok "nightly regression: POSTed through the outbox as nightly-regression, signed with nightly.json's webhook_secret (verified; a wrong secret does not verify)"
else
	lab_fail "nightly webhook" "$(cat "$m" "$b" 2>/dev/null; tail -c 600 "$out/state/nightly-state.json")"
fi
if [ -n "$sub" ] && jq -e --argjson s "$sub" '.runs[-1].webhook == "queued" and .runs[-1].subscription == $s
	and .runs[-1].regressions == 1' "$out/state/nightly-state.json" >/dev/null &&
   [ "$(sql "SELECT d.state || ' ' || d.attempts || ' ' || (SELECT group_concat(status) FROM delivery_attempts a
	WHERE a.delivery_id = d.id) FROM deliveries d WHERE d.subscription_id = $sub")" = "delivered 1 204" ]; then
	lab_ok "nightly state: webhook queued under subscription $sub (config:nightly.json); its delivery logged: delivered, 1 attempt, 204"
else
	lab_fail "nightly delivery log" "sub '$sub': $(sql "SELECT * FROM deliveries WHERE subscription_id = ${sub:-0}")"
fi
# ---- 6. the nightly's regression, its whole life --------------------------------------
life=$out/life.txt
: >"$life"
fid=$(sql "SELECT f.id FROM findings f JOIN jobs j ON j.id = f.first_job_id JOIN plans p ON p.id = j.plan_id
	WHERE f.case_id = 'kmod.nightly.one' AND p.kind = 'nightly' AND p.id = $night AND f.state = 'open'")
if [ -n "$fid" ]; then
	lab_ok "life: the nightly's regression opened finding $fid (its first job is in nightly plan $night)"
else
	lab_fail "life: a finding opened by the nightly" "$(sql 'SELECT id, case_id, state, first_job_id FROM findings')"
	fid=0
fi
msgid=20300111020500.7272-1-dev@example.org
"$cli" findings ack "$fid" --note "72: bisecting the nightly regression" >>"$life" 2>&1 &&
	"$cli" findings link "$fid" "$msgid" >>"$life" 2>&1
if "$cli" findings show "$fid" --json >"$out/life-acked.json" 2>>"$life" &&
   jq -e --arg m "$msgid" '.state == "open" and .acked_by != null and .ack_note == "72: bisecting the nightly regression"
	and ([.links[] | select(.kind == "msgid" and .value == $m)] | length) == 1' "$out/life-acked.json" >/dev/null; then
	lab_ok "life: finding $fid acknowledged and linked to <$msgid> (CLI)"
else
	lab_fail "life: ack and link" "$(cat "$life" "$out/life-acked.json")"
fi
# its deliveries: the driver's webhook and the case's maildir
life_hook() { # EVENT: the /hook delivery of EVENT for finding $fid, delivered and signed
	local f
	for f in "$out"/hooks/*.json; do
		jq -e --arg e "$1" --argjson id "$fid" '.event == $e and .finding.id == $id' "$f" >/dev/null 2>&1 &&
			jq -e '.path == "/hook" and .signature_ok and .status == 204' "${f%.json}.meta" >/dev/null 2>&1 &&
			{ echo "$f"; return 0; }
	done
	return 1
}
life_mail() { # EVENT: a mail draft of EVENT for finding $fid in maildir-life/new
	python3 - "$out/maildir-life/new" "$1" "$fid" <<'PY'
import email, json, os, sys
d, ev, fid = sys.argv[1], sys.argv[2], int(sys.argv[3])
for n in sorted(os.listdir(d)):
    m = email.message_from_binary_file(open(os.path.join(d, n), "rb"))
    body = json.loads(m.get_payload(decode=True))
    if m["Subject"] == "[iommulab] " + ev and body["event"] == ev and body["finding"]["id"] == fid:
        print(n, m["Subject"], m["Message-ID"])
        sys.exit(0)
sys.exit(1)
PY
}
for _ in $(seq 30); do life_hook finding-opened >/dev/null && break; sleep 0.5; done
if h=$(life_hook finding-opened) && m=$(life_mail finding-opened); then
	lab_ok "life: finding-opened delivered to the intel-iommu webhook (signed, 204: $(basename "$h")) and drafted to the kmod.nightly.* maildir ($m)"
else
	lab_fail "life: finding-opened deliveries" "$(ls "$out/hooks" "$out/maildir-life/new")"
fi
# the next nightly builds a later kernel (nightly-73) on which the case passes
jq '.kernels[0].name = "nightly-73"' "$out/nightly.json" >"$out/nightly.json.new" &&
	mv "$out/nightly.json.new" "$out/nightly.json"
prev=$night
echo $(( day + 2*86400 + 2*3600 + 30 )) >"$out/clock"
for _ in $(seq 20); do [ "$(nightly_plan)" != "$prev" ] && break; sleep 0.5; done
night=$(nightly_plan)
for j in $(sql "SELECT id FROM jobs WHERE plan_id = $night"); do post "$j" 22 pass kmod.nightly.one; done
for _ in $(seq 30); do [ "$(sql "SELECT state FROM findings WHERE id = $fid")" = fixed ] && break; sleep 0.5; done
for _ in $(seq 30); do life_hook finding-fixed >/dev/null && life_mail finding-fixed >/dev/null && break; sleep 0.5; done
"$cli" findings show "$fid" >>"$life" 2>&1
if [ "$night" != "$prev" ] && "$cli" findings show "$fid" --json >"$out/life-fixed.json" &&
   jq -e '.state == "fixed" and .fixed_kernel == "nightly-73" and .first_kernel == "nightly-72"
	and ([.events[].kind] | index("acked") != null and index("linked") != null and .[-1] == "fixed")' \
	"$out/life-fixed.json" >/dev/null &&
   h=$(life_hook finding-fixed) && m=$(life_mail finding-fixed); then
	lab_ok "life: nightly plan $night's kernel nightly-73 passes: finding $fid fixed by it; finding-fixed delivered (webhook $(basename "$h"), mail $m)"
else
	lab_fail "life: closed by the later kernel" "plan $night (was $prev): $(tail -12 "$life")"
fi
"$cli" deliveries "$(sql "SELECT id FROM subscriptions WHERE url LIKE '%/hook' LIMIT 1")" >>"$life" 2>&1
# ---- 7. --public-url: the links' base for people behind a proxy ------------------------
# restarted with --public-url (its trailing '/' dropped): the patch report's links and the
# mail-style text use it, not the Host the client asked
lab_srv_stop
if lab_srv_start "$out/state" --targets "$out/targets" --web "$out/web" --schema "$top/schema" \
	--public-url https://iommulab.example.org/lab/ >/dev/null &&
   curl -fsS "$LAB_URL/api/v1/patches/$plan" | jq -e --argjson p "$plan" \
	'.target_url == "https://iommulab.example.org/lab/#/patches/\($p)"
	 and ([.checks[].target_url] | unique) == [.target_url]' >/dev/null &&
   curl -fsS "$LAB_URL/api/v1/patches/$plan?format=text" | grep -qx "Details: https://iommulab.example.org/lab/#/patches/$plan" &&
   grep -q "dashboard links: https://iommulab.example.org/lab/" "$LAB_SRV_LOG"; then
	lab_ok "--public-url https://iommulab.example.org/lab/: the patch report's links (JSON, text) and the log name it"
else
	lab_fail "--public-url" "$(curl -sS "$LAB_URL/api/v1/patches/$plan" | head -c 400; grep 'dashboard links' "$LAB_SRV_LOG")"
fi
lab_done
