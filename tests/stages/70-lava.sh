#!/usr/bin/env bash
# 70-lava - iommulab's LAVA backend against a real LAVA 2023.01 on 127.0.0.1.
#
# 1. tests/lava/up (install from Debian when missing, start, idempotent)
# 2. decoder: console text -> LAVA's own ShellLogger + YAML dump
#    (tests/lava/mklog.py) -> server/lava_log.c gives the text back exactly
#    (quotes, backslashes, tabs, non-ASCII); renderer refuses bad values
# 3. templates: every board in jobs/boards/ and every target in targets/ is
#    rendered by the server's renderer (lava-tool, same library) and passes
#    LAVA's validator (POST /api/v0.2/jobs/validate/); a qemu target's job
#    asks for a device of its QEMU generation (tag qemu-7.2 / qemu-10.0)
# 4. device dictionaries: every jobs/devices example (with the device types
#    of jobs/device-types/ that LAVA lacks) renders in LAVA for an offline
#    device, with the boot method its template needs
# 5. end to end through iommulabd (own state dir, port, targets, labs):
#    a. Debian 6.1 on q35-vtd via the local QEMU runner AND via LAVA (lab
#       "cb": results by notify callback): same cases, same errnos
#    b. callback auth: wrong/missing token -> 401, nothing stored
#    c. lab "poll": the callback goes nowhere, the poller picks the job up;
#       same results again
#    d. LAVA down at submit: the job waits ("cb:pending", reason in its log),
#       retries with backoff and completes once LAVA is back
#    e. a guest that panics: LAVA job Incomplete -> job incomplete, no results
#    e2. a case that panics the kernel on LAVA (fault.kpanic): what LAVA
#       delivered is stored - fault.kpanic crash with the panic trace, 6.1's
#       boot WARN as a "boot" record; the job is complete, not retried; the
#       case after it is lost (LAVA boots once, no resubmission; LAVA
#       itself calls the job Incomplete, "Infrastructure: Connection closed")
#    e3. a kernel panic before the agent's first case on LAVA (fault.panic):
#       a "boot" record, crash, complete, not retried
#    f. a job canceled in LAVA -> incomplete "canceled in LAVA"
#    g. a job canceled in iommulab -> its LAVA job is canceled
#    i. QEMU generations (issue 19): a qemu.version 10.0 target's job runs on
#       the qemu-10.0 device (rig/lava-qemu: QEMU 10.0 from rig/setup-qemu's
#       prefix) and records QEMU 10.0.x as its provenance, job a's 7.2.x; a
#       device that runs the wrong generation makes the job bad, not stored
#    j. known broken (docs/targets.md known_broken, q35-amd-q10 on QEMU
#       10.0.2): a LAVA job on such a target is not sent to LAVA: incomplete
#       after 1 attempt of 2 with rig/boot's reason, backend id
#       "cb:preparing", no log; and when the server cannot tell (its copy of
#       the target lacks known_broken, the worker's checkout has it) the
#       device's rig/lava-qemu refuses it on the worker: LAVA job
#       Incomplete, the job incomplete after 1 attempt with the same reason
# 6. tests/lava/down (also on any exit)
# Needs root (apt, postgres, /etc/lava-server); without it every check is a
# SKIP with the reason.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export CACHE=${CACHE:-$HOME/.cache/iommulab}
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/70-lava
rm -rf "$out"
mkdir -p "$out"
t_stage=$(date +%s)
el() { echo $(( $(date +%s) - t_stage )); }

if [ "$(id -u)" -ne 0 ]; then
	lab_skip "lava" "needs root to install and run LAVA"
	lab_done
	exit 0
fi

# One LAVA per machine (PostgreSQL, lava-server's ports, /etc/lava-*): two runs
# of this stage (two clones, a tests/fresh-machine root, which shares the
# host's /dev/shm and network) wait for each other instead of colliding.
lavalock=${LAB_LAVA_LOCK:-/dev/shm/iommulab-lava.lock}
exec 8>>"$lavalock"
if ! flock -n 8; then
	echo "# waiting for another run of the LAVA stage on this machine ($lavalock)"
	flock 8
fi

srv_pid=
cleanup() {
	if [ -n "$srv_pid" ] && kill -0 "$srv_pid" 2>/dev/null; then
		kill -TERM "$srv_pid" 2>/dev/null
		for _ in $(seq 1 50); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$srv_pid" 2>/dev/null
	fi
	"$top/tests/lava/down" > "$out/down.log" 2>&1 || true
}
trap cleanup EXIT

# ---- 1. bring-up ----------------------------------------------------------
t0=$(date +%s)
if "$top/tests/lava/up" > "$out/up.log" 2>&1; then
	lab_ok "tests/lava/up: LAVA answers, worker online ($(( $(date +%s) - t0 ))s)"
else
	tail -20 "$out/up.log"
	lab_fail "tests/lava/up" "see $out/up.log"
	lab_done
	exit 1
fi
. "$CACHE/lava/state.env"
tokf=$out/lava.token
( umask 077; printf '%s' "$LAVA_TOKEN" > "$tokf" )
lava() { curl -sS -H "Authorization: Token $LAVA_TOKEN" "$@"; }

make -s -C "$top/server" >/dev/null 2>"$out/server.build.log" ||
	{ lab_fail "server builds" "$(tail -5 "$out/server.build.log")"; lab_done; exit 1; }
srv_out=$(make -s -C "$top/server" print-out)
tool=$out/lava-tool
if cc -std=gnu11 -Wall -Wextra -Werror -O2 -g -D_GNU_SOURCE $(make -s -C "$top/server" print-inc) \
	"$top/tests/lava/lava-tool.c" "$srv_out/libiommulab.a" $(make -s -C "$top/server" print-libs) \
	-o "$tool" 2>"$out/tool.build.log"; then
	lab_ok "lava-tool builds against libiommulab.a"
else
	lab_fail "lava-tool builds" "$(head -5 "$out/tool.build.log")"
	lab_done
	exit 1
fi

# ---- 2. decoder and renderer ---------------------------------------------
printf '%s\n' 'plain console line' \
	'IOMMULAB-REC {"v":1,"reason":"quote \" backslash \\ tab\t end","x":"caf\u00e9"}' \
	"$(printf 'non-ASCII caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 and a \\\\" pair')" \
	"$(printf 'carriage return line\r')" > "$out/console.in"
tests_py=$top/tests/lava/mklog.py
if /usr/bin/python3 "$tests_py" "$out/console.in" > "$out/console.yaml" 2>"$out/mklog.err" &&
	"$tool" console "$out/console.yaml" > "$out/console.out" 2>/dev/null &&
	tr -d '\r' < "$out/console.in" | cmp -s - "$out/console.out"; then
	lab_ok "LAVA-logged console text decodes back byte for byte"
else
	lab_fail "LAVA log decode round trip" "$(cat "$out/mklog.err"; diff <(tr -d '\r' < "$out/console.in") "$out/console.out" | head -5)"
fi
printf '%s\n' '- {"dt": "x", "lvl": "target", "msg": "unterminated' '- {"dt": "x", "lvl": "target", "msg": "bad \q escape"}' \
	'garbage' '- {"dt": "x", "lvl": "target", "msg": "ok line"}' > "$out/bad.yaml"
if "$tool" console "$out/bad.yaml" > "$out/bad.out" 2>"$out/bad.err" &&
	[ "$(cat "$out/bad.out")" = "ok line" ] && grep -q "2 undecodable" "$out/bad.err"; then
	lab_ok "malformed log lines are skipped and counted, never trusted"
else
	lab_fail "malformed log lines" "$(cat "$out/bad.out" "$out/bad.err")"
fi
jq '.lava.device_type = "qemu\nactions: []"' "$top/targets/x86_64/q35-vtd.json" > "$out/evil-dt.json"
jq '.name = "evil" | .qemu.append = "quiet\"\n- boot: {}"' "$top/targets/x86_64/q35-vtd.json" > "$out/evil-append.json"
for f in evil-dt evil-append; do
	if "$tool" render --jobs "$top/jobs" --target "$out/$f.json" --kernel 6.1 \
		--kernel-url file:///k --initrd-url file:///i > "$out/$f.yaml" 2>"$out/$f.err"; then
		lab_fail "renderer refuses a target value that would change the job ($f)"
	else
		lab_ok "renderer refuses a target value that would change the job ($f: $(sed 's/^lava-tool: //' "$out/$f.err"))"
	fi
done

# ---- 3. every template through LAVA's validator ---------------------------
sha_k=$(printf 'a%.0s' $(seq 64)) sha_i=$(printf 'b%.0s' $(seq 64))
nval=0 nbad=0
for f in "$top"/jobs/boards/*/*.json "$top"/targets/*/*.json; do
	[ -f "$f" ] || continue
	jq -e '.lava.device_type' "$f" >/dev/null 2>&1 || continue
	n=$(basename "$f" .json)
	if "$tool" render --jobs "$top/jobs" --target "$f" --kernel 6.1 --job-id 7 \
		--kernel-url "https://artifacts.lab.example/k/$n/vmlinuz" \
		--initrd-url "https://artifacts.lab.example/k/$n/initrd.cpio.gz" \
		--callback http://127.0.0.1:8470/api/v1/lava/callback iommulab-callback \
		--sha256 "$sha_k" "$sha_i" > "$out/job-$n.yaml" 2>"$out/job-$n.err" &&
		"$tool" validate --url "$LAVA_URL" --token-file "$tokf" "$out/job-$n.yaml" \
			>>"$out/validate.log" 2>&1; then
		nval=$((nval + 1))
	else
		nbad=$((nbad + 1))
		lab_fail "template for $n renders and validates" "$(cat "$out/job-$n.err"; tail -1 "$out/validate.log")"
	fi
done
for t in qemu depthcharge ipxe u-boot; do
	if ! grep -q "method: $t" "$out"/job-*.yaml 2>/dev/null; then
		lab_fail "some rendered job uses template $t"
	fi
done
[ "$nval" -ge 10 ] && [ "$nbad" -eq 0 ] &&
	lab_ok "$nval rendered jobs (every board and target) pass LAVA's validator" ||
	lab_fail "rendered jobs validate" "$nval valid, $nbad bad"

# the QEMU generation: LAVA's qemu type runs qemu-system-ARCH from PATH, a
# job cannot pick another binary; it asks for a device of its generation
jq '.lava = {"device_type": "qemu", "context": {"arch": "amd64"}}' \
	"$top/targets/x86_64/q35-vtd-q10.json" > "$out/q35-vtd-q10.json"
jq '.qemu.version = "latest"' "$out/q35-vtd-q10.json" > "$out/evil-qver.json"
gbad=
for f in q35-vtd-q10:qemu-10.0 q35-vtd:qemu-7.2; do
	n=${f%%:*} want=${f#*:}
	tf=$out/$n.json
	[ -f "$tf" ] || tf=$top/targets/x86_64/$n.json
	"$tool" render --jobs "$top/jobs" --target "$tf" --kernel 6.1 --job-id 7 \
		--kernel-url https://artifacts.lab.example/k --initrd-url https://artifacts.lab.example/i \
		> "$out/gen-$n.yaml" 2>"$out/gen-$n.err" &&
		grep -qx "tags: \[\"$want\"\]" "$out/gen-$n.yaml" &&
		grep -q "\"iommulab.qemu\": \"${want#qemu-}\"" "$out/gen-$n.yaml" &&
		"$tool" validate --url "$LAVA_URL" --token-file "$tokf" "$out/gen-$n.yaml" \
			>>"$out/validate.log" 2>&1 || gbad="$gbad $n"
done
[ -z "$gbad" ] && lab_ok "a qemu target's job asks for a device of its QEMU generation (tags qemu-10.0, qemu-7.2; LAVA validates both)" ||
	lab_fail "QEMU generation tags" "$gbad: $(cat "$out"/gen-*.err; grep -h '^tags' "$out"/gen-*.yaml)"
if "$tool" render --jobs "$top/jobs" --target "$out/evil-qver.json" --kernel 6.1 \
	--kernel-url file:///k --initrd-url file:///i > /dev/null 2>"$out/evil-qver.err"; then
	lab_fail "renderer refuses a qemu.version that is not N.N"
else
	lab_ok "renderer refuses a qemu.version that is not N.N ($(sed 's/^lava-tool: //' "$out/evil-qver.err"))"
fi

# ---- 4. device dictionaries render in LAVA --------------------------------
export PATH=/usr/sbin:/usr/bin:/sbin:/bin:$PATH
ndev=0
for f in "$top"/jobs/devices/*-01.jinja2; do
	b=$(basename "$f" -01.jinja2)
	case "$b" in qemu|qemu10) continue ;; esac	# tests/lava/up's own devices (below)
	dev=iommulab-example-$b
	case "$b" in
	x86) want=ipxe ;; apple-*) want=u-boot ;; *) want=depthcharge ;;
	esac
	install -m 0644 "$f" "/etc/lava-server/dispatcher-config/devices/$dev.jinja2"
	lava -o /dev/null -f "$LAVA_URL/api/v0.2/devicetypes/$b/" 2>/dev/null ||
		lava-server manage device-types add "$b" >>"$out/devices.log" 2>&1
	lava -o /dev/null -f "$LAVA_URL/api/v0.2/devices/$dev/" 2>/dev/null ||
		lava-server manage devices add --device-type "$b" --worker "$LAVA_WORKER" \
			--offline --description "iommulab example (never runs jobs)" "$dev" \
			>>"$out/devices.log" 2>&1
	if lava -f "$LAVA_URL/api/v0.2/devices/$dev/dictionary/?render=true" > "$out/dev-$b.yaml" 2>>"$out/devices.log" &&
		/usr/bin/python3 - "$out/dev-$b.yaml" "$want" <<'PY'
import sys, yaml
y = yaml.safe_load(open(sys.argv[1]))
assert sys.argv[2] in y["actions"]["boot"]["methods"], list(y["actions"]["boot"]["methods"])
assert y["commands"]["connect"].startswith("telnet ")
PY
	then
		ndev=$((ndev + 1))
	else
		lab_fail "device dictionary $b renders in LAVA with boot method $want" "$(tail -3 "$out/devices.log")"
	fi
done
[ "$ndev" -ge 11 ] && lab_ok "$ndev example device dictionaries render in LAVA (incl. brya, guybrush, Apple M1 types from jobs/device-types)" ||
	lab_fail "device dictionaries" "only $ndev rendered"
# the devices tests/lava/up made: each runs its generation's QEMU through
# rig/lava-qemu, tagged with it
gdev=0
for d in "$LAVA_DEVICE:7.2" "${LAVA_DEVICE_QEMU10:-}:10.0"; do
	[ -n "${d%%:*}" ] || continue
	if lava -f "$LAVA_URL/api/v0.2/devices/${d%%:*}/dictionary/?render=true" > "$out/dev-${d#*:}.yaml" 2>>"$out/devices.log" &&
		grep -q "$CACHE/lava/qemu/${d#*:}/qemu-system-" "$out/dev-${d#*:}.yaml" &&
		tid=$(lava -f "$LAVA_URL/api/v0.2/tags/?name=qemu-${d#*:}" | jq -e '.results[0].id') &&
		lava -f "$LAVA_URL/api/v0.2/devices/${d%%:*}/" | jq -e --argjson t "$tid" '.tags | index($t)' >/dev/null 2>&1; then
		gdev=$((gdev + 1))
	else
		lab_fail "device ${d%%:*} runs QEMU ${d#*:} through rig/lava-qemu, tag qemu-${d#*:}" "$(grep -m1 'command:' "$out/dev-${d#*:}.yaml" 2>/dev/null)"
	fi
done
[ "$gdev" -ge 1 ] && lab_ok "$gdev qemu devices run their QEMU generation through rig/lava-qemu, tagged qemu-GEN"
echo "# static checks done at $(el)s"

# ---- 5. end to end through iommulabd -------------------------------------
if [ ! -x "$top/rig/boot" ] || [ ! -f "$top/targets/x86_64/q35-vtd.json" ] ||
	! command -v qemu-system-x86_64 >/dev/null; then
	lab_skip "lava end to end" "rig/boot, targets/x86_64/q35-vtd.json or qemu-system-x86_64 missing"
	lab_done
	exit $?
fi
state=$out/state
tdir=$out/targets
mkdir -p "$state" "$tdir/x86_64"
src=$top/targets/x86_64/q35-vtd.json
cp "$src" "$tdir/x86_64/"
mk() { # mk NAME LAB [JQ]: a LAVA variant of q35-vtd
	jq --arg n "$1" --arg l "$2" ".name = \$n | .backend = \"lava\" | .lava.lab = \$l ${3:+| $3}" \
		"$src" > "$tdir/x86_64/$1.json"
}
mk q35-vtd-lava cb
mk q35-vtd-lavapoll poll
# no init: the kernel panics after boot; the rest of the append stays
# (without no_timer_check a loaded host's TCG guest may panic in the IO-APIC
# timer check first: a real boot crash, a result, not this infrastructure case)
# the QEMU 10.0 twin of q35-vtd on LAVA (lab cb)
jq '.name = "q35-vtd-q10-lava" | .backend = "lava" | .lava = {"device_type": "qemu", "context": {"arch": "amd64"}, "lab": "cb"}' \
	"$top/targets/x86_64/q35-vtd-q10.json" > "$tdir/x86_64/q35-vtd-q10-lava.json"
mk q35-vtd-lavapanic poll '.qemu.append += " rdinit=/nonexistent"'
# known broken on QEMU 10.0.2 (j.): the server's own copy says so, and one
# named like the repo's target whose copy here does not (only the worker's
# rig/lava-qemu, which reads the checkout's targets/, knows)
kbsrc=$top/targets/x86_64/q35-amd-q10.json
jq '.name = "q35-amd-q10-lava" | .backend = "lava" | .lava = {"device_type": "qemu", "context": {"arch": "amd64"}, "lab": "cb"}' \
	"$kbsrc" > "$tdir/x86_64/q35-amd-q10-lava.json"
jq 'del(.known_broken) | .backend = "lava" | .lava = {"device_type": "qemu", "context": {"arch": "amd64"}, "lab": "cb"}' \
	"$kbsrc" > "$tdir/x86_64/q35-amd-q10.json"
port=$(( 20000 + RANDOM % 20000 ))
cat > "$out/labs.json" <<EOF
{"labs": [
 {"name": "cb", "url": "$LAVA_URL", "token_file": "$tokf", "device_types": ["qemu"],
  "artifacts": "file", "callback_url": "http://127.0.0.1:$port/api/v1/lava/callback",
  "callback_token": "$LAVA_CALLBACK_TOKEN", "callback_token_desc": "$LAVA_CALLBACK_TOKEN_DESC",
  "poll_s": 600},
 {"name": "poll", "url": "$LAVA_URL", "token_file": "$tokf", "device_types": [],
  "artifacts": "http://127.0.0.1:$port/api/v1/artifacts", "callback_url": "http://127.0.0.1:9/nowhere",
  "callback_token": "$LAVA_CALLBACK_TOKEN", "callback_token_desc": "$LAVA_CALLBACK_TOKEN_DESC",
  "poll_s": 3}
]}
EOF
"$srv_out/iommulabd" --state-dir "$state" --targets "$tdir" --labs "$out/labs.json" \
	--port "$port" --log-level info > "$out/server.log" 2>&1 &
srv_pid=$!
api=http://127.0.0.1:$port/api/v1
for _ in $(seq 1 50); do curl -fsS -o /dev/null "$api/health" 2>/dev/null && break; sleep 0.2; done
tok=$(cat "$state/admin.token" 2>/dev/null)
post() { curl -sS -H "Authorization: Bearer $tok" -H 'Content-Type: application/json' -d "$2" "$api$1"; }
job_of_plan() { curl -sS "$api/jobs?plan=$1" | jq -r --arg t "$2" '.items[] | select(.target == $t) | .id'; }
jfield() { curl -sS "$api/jobs/$1" | jq -r ".$2 // empty"; }
wait_final() { # wait_final JOB SECONDS -> prints the final state
	local s
	for _ in $(seq 1 "$2"); do
		# a dead server answers nothing: say so at once, not after SECONDS
		kill -0 "$srv_pid" 2>/dev/null || { echo "iommulabd-died"; return 0; }
		s=$(jfield "$1" state)
		case "$s" in
		complete|canceled) echo "$s"; return 0 ;;
		incomplete)	# final unless the scheduler is about to requeue it
			local j
			j=$(curl -sS "$api/jobs/$1")
			[ "$(jq '.attempts < .max_attempts' <<< "$j")" = true ] || { echo "$s"; return 0; }
			sleep 2
			[ "$(jfield "$1" state)" = incomplete ] && { echo "$s"; return 0; } ;;
		esac
		sleep 1
	done
	echo "timeout($s)"
}
rows() { sqlite3 "$state/iommulab.db" "SELECT case_id, observed, ifnull(expected,'-'), verdict, ifnull(reused,'-') FROM results WHERE job_id = $1 ORDER BY case_id, repeat"; }
nres() { sqlite3 "$state/iommulab.db" "SELECT count(*) FROM results"; }
post /kernels '{"name":"6.1","arch":"x86_64","source":"debian"}' > "$out/kernel.json"
# plan TARGETS [ATTEMPTS]: jobs expected to complete get a second attempt, so
# a transient infrastructure failure (another build racing in a shared tree)
# is retried as the scheduler would; failure cases get exactly one
plan() { post /plans "{\"kind\":\"manual\",\"kernels\":[\"6.1\"],\"targets\":$1,\"max_attempts\":${2:-1},\"timeout_s\":300}" | jq -r .id; }

# a. local QEMU vs LAVA (callback)
t0=$(date +%s)
p=$(plan '["q35-vtd","q35-vtd-lava"]' 2)
jobq=$(job_of_plan "$p" q35-vtd) jl=$(job_of_plan "$p" q35-vtd-lava)
sq=$(wait_final "$jobq" 900) sl=$(wait_final "$jl" 900)
t_a=$(( $(date +%s) - t0 ))
if [ "$sq" = complete ] && [ "$sl" = complete ]; then
	lab_ok "6.1 on q35-vtd: local QEMU and LAVA jobs complete (${t_a}s)"
else
	lab_fail "6.1 on q35-vtd: local $sq, LAVA $sl" "$(jfield "$jl" reason | head -c 600)"
fi
rows "$jobq" > "$out/results.qemu"
rows "$jl" > "$out/results.lava"
if [ -s "$out/results.qemu" ] && cmp -s "$out/results.qemu" "$out/results.lava"; then
	lab_ok "LAVA results equal the local runner's: $(wc -l < "$out/results.lava") cases, same errnos and verdicts"
else
	lab_fail "LAVA results equal the local runner's" "$(diff "$out/results.qemu" "$out/results.lava" | head -8)"
fi
grep -q "lava: job $jl: LAVA job .* stored (via callback)" "$out/server.log" &&
	lab_ok "results arrived by notify callback" ||
	lab_fail "results arrived by notify callback" "$(grep "lava: job $jl" "$out/server.log" | tail -3)"
lid=$(jfield "$jl" backend_job_id | sed 's/^cb://')
lava -o "$out/lava-job-$lid.json" "$LAVA_URL/api/v0.2/jobs/$lid/"
echo "# LAVA job $lid: submit $(jq -r .submit_time "$out/lava-job-$lid.json"), start $(jq -r .start_time "$out/lava-job-$lid.json"), end $(jq -r .end_time "$out/lava-job-$lid.json")"

# b. callback authentication
before=$(nres)
c1=$(curl -s -o "$out/cb1.json" -w '%{http_code}' -H 'Authorization: wrong-secret' -H 'Content-Type: application/json' \
	-d "{\"id\": $lid, \"health_string\": \"Complete\", \"state_string\": \"Finished\", \"log\": \"\"}" "$api/lava/callback")
c2=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d "{\"id\": $lid}" "$api/lava/callback")
c3=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: $LAVA_CALLBACK_TOKEN" -H 'Content-Type: application/json' \
	-d "{\"id\": $lid, \"health_string\": \"Complete\"}" "$api/lava/callback")
c4=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: $LAVA_CALLBACK_TOKEN" -H 'Content-Type: application/json' \
	-d '[1,2]' "$api/lava/callback")
[ "$c1" = 401 ] && [ "$c2" = 401 ] && lab_ok "callback with a wrong or no token: 401" ||
	lab_fail "callback auth" "wrong token $c1, none $c2"
[ "$c3" = 404 ] && lab_ok "replayed callback for an ingested job: 404, nothing stored twice" ||
	lab_fail "replayed callback" "got $c3"
[ "$c4" = 400 ] && lab_ok "callback that is not an object with an id: 400" || lab_fail "bad callback body" "got $c4"
[ "$(nres)" = "$before" ] && lab_ok "refused callbacks stored nothing" || lab_fail "refused callbacks stored something"

a1=$(curl -s -o /dev/null -w '%{http_code}' "$api/artifacts/$(printf '0%.0s' $(seq 64))/vmlinux")
a2=$(curl -s -o /dev/null -w '%{http_code}' "$api/artifacts/..%2f..%2fetc/passwd")
a3=$(curl -s -o /dev/null -w '%{http_code}' "$api/artifacts/$(printf 'a%.0s' $(seq 64))/..")
[ "$a1" = 404 ] && case "$a2:$a3" in 40[04]:40[04]) true ;; *) false ;; esac &&
	lab_ok "artifact route: unknown hash 404, path tricks refused ($a2, $a3)" || lab_fail "artifact route refusals" "$a1 $a2 $a3"

# c. callback never comes: the poller
t0=$(date +%s)
p=$(plan '["q35-vtd-lavapoll"]' 2)
jp=$(job_of_plan "$p" q35-vtd-lavapoll)
sp=$(wait_final "$jp" 600)
t_c=$(( $(date +%s) - t0 ))
rows "$jp" > "$out/results.poll"
if [ "$sp" = complete ] && grep -q "lava: job $jp: LAVA job .* stored (via poll)" "$out/server.log" &&
	[ -s "$out/results.poll" ]; then
	lab_ok "callback never arrives: the poller ingests $(wc -l < "$out/results.poll") results (${t_c}s)"
	grep -q "downloading http://127.0.0.1:$port/api/v1/artifacts/[0-9a-f]\{64\}/" "$state/logs/$jp.lava.yaml" &&
		lab_ok "lab \"poll\" fetched kernel and initramfs over HTTP from the artifact route (sha256-checked)" ||
		lab_fail "artifact route" "$(grep -m2 downloading "$state/logs/$jp.lava.yaml")"
	aurl=$(grep -o "http://127.0.0.1:$port/api/v1/artifacts/[0-9a-f]\{64\}/[A-Za-z0-9._+-]*" "$state/logs/$jp.lava.yaml" | head -1)
	asha=$(echo "$aurl" | sed 's|.*/artifacts/\([0-9a-f]*\)/.*|\1|')
	got=$(curl -fsS "$aurl" | sha256sum | cut -d' ' -f1)
	wrong=$(curl -s -o /dev/null -w '%{http_code}' "${aurl%/*}/passwd")
	[ -n "$asha" ] && [ "$got" = "$asha" ] && [ "$wrong" = 404 ] &&
		lab_ok "artifact route serves the registered file (sha256 matches), not another name (404)" ||
		lab_fail "artifact route content" "url $aurl, sha $got, other name $wrong"
else
	lab_fail "poll fallback" "state $sp; $(jfield "$jp" reason | head -c 300)"
fi
initrd_of() { sed -n "s/.*lava: job $1: artifacts ready (.*, \(.*\))\$/\1/p" "$out/server.log" | tail -1; }
if [ "$(initrd_of "$jl")" = "$(initrd_of "$jp")" ]; then
	cmp -s "$out/results.lava" "$out/results.poll" &&
		lab_ok "polled results equal the callback job's" ||
		lab_fail "polled results equal the callback job's" "$(diff "$out/results.lava" "$out/results.poll" | head -5)"
else
	lab_skip "polled results equal the callback job's" "the initramfs was rebuilt between the jobs (the tree changed during the run)"
fi

# d. LAVA down at submit
kill -TERM -- "-$(cat "$CACHE/lava/pids/gunicorn.pid")" 2>/dev/null
for _ in $(seq 1 50); do curl -fsS -o /dev/null "$LAVA_URL/api/v0.2/system/version/" 2>/dev/null || break; sleep 0.2; done
t0=$(date +%s)
p=$(plan '["q35-vtd-lava"]' 2)
jd=$(job_of_plan "$p" q35-vtd-lava)
pend=
for _ in $(seq 1 240); do
	[ "$(jfield "$jd" backend_job_id)" = cb:pending ] && { pend=1; break; }
	sleep 0.5
done
jlog() { curl -sS "$api/jobs/$1/log"; }
if [ -n "$pend" ] && [ "$(jfield "$jd" state)" = running ] && jlog "$jd" | grep "submit try 1 failed, retry in 5 s" >/dev/null; then
	lab_ok "LAVA down at submit: job waits as cb:pending with the reason in its log"
else
	lab_fail "LAVA down at submit: pending" "backend_job_id $(jfield "$jd" backend_job_id), state $(jfield "$jd" state)"
fi
sleep 6
"$top/tests/lava/up" --no-install > "$out/up2.log" 2>&1 || lab_fail "LAVA restarts" "$(tail -3 "$out/up2.log")"
sd=$(wait_final "$jd" 600)
t_d=$(( $(date +%s) - t0 ))
tries=$(jlog "$jd" | grep -c "submit try [0-9]* failed")
if [ "$sd" = complete ] && [ "${tries:-0}" -ge 2 ]; then
	lab_ok "LAVA back: the job is submitted after $tries failed tries (backoff) and completes (${t_d}s)"
else
	lab_fail "LAVA down then back" "state $sd, $tries failed tries; $(jfield "$jd" reason | head -c 300)"
fi

# e./f./g. Incomplete in LAVA, canceled in LAVA, canceled in iommulab
before=$(nres)
p=$(plan '["q35-vtd-lavapanic"]'); je=$(job_of_plan "$p" q35-vtd-lavapanic)
p=$(plan '["q35-vtd-lavapoll"]'); jf=$(job_of_plan "$p" q35-vtd-lavapoll)
p=$(plan '["q35-vtd-lava"]'); jg=$(job_of_plan "$p" q35-vtd-lava)
idf= idg=
for _ in $(seq 1 240); do
	[ -z "$idf" ] && idf=$(jfield "$jf" backend_job_id | sed -n 's/^poll:\([0-9][0-9]*\)$/\1/p')
	[ -z "$idg" ] && idg=$(jfield "$jg" backend_job_id | sed -n 's/^cb:\([0-9][0-9]*\)$/\1/p')
	[ -n "$idf" ] && [ -n "$idg" ] && break
	sleep 0.5
done
lava -o /dev/null "$LAVA_URL/api/v0.2/jobs/$idf/cancel/"
post "/jobs/$jg/cancel" '{"reason":"test: cancel from iommulab"}' > /dev/null
sf=$(wait_final "$jf" 300)
rf=$(jfield "$jf" reason)
case "$sf:$rf" in
incomplete:*"canceled in LAVA"*) lab_ok "job canceled in LAVA -> incomplete: $(echo "$rf" | head -c 80)" ;;
*) lab_fail "job canceled in LAVA" "state $sf, reason $(echo "$rf" | head -c 200)" ;;
esac
sg=$(wait_final "$jg" 120)
hg=
for _ in $(seq 1 60); do
	hg=$(lava "$LAVA_URL/api/v0.2/jobs/$idg/" | jq -r .health)
	[ "$hg" = Canceled ] && break
	sleep 1
done
[ "$sg" = canceled ] && [ "$hg" = Canceled ] && lab_ok "job canceled in iommulab -> its LAVA job $idg is Canceled" ||
	lab_fail "cancel from iommulab" "iommulab $sg, LAVA $hg"
se=$(wait_final "$je" 600)
re=$(jfield "$je" reason)
case "$se:$re" in
incomplete:*Incomplete*) lab_ok "guest panics -> LAVA Incomplete -> job incomplete: $(echo "$re" | head -c 100)" ;;
*) lab_fail "guest panic on LAVA" "state $se, reason $(echo "$re" | head -c 300)" ;;
esac
[ "$(nres)" = "$before" ] && lab_ok "no results stored for incomplete or canceled LAVA jobs" ||
	lab_fail "incomplete/canceled jobs stored results"
# e2. a kernel crash in a case on LAVA is a result (server/lava crash_results)
p=$(post /plans '{"kind":"manual","kernels":["6.1"],"targets":["q35-vtd-lavapoll"],"max_attempts":2,"timeout_s":300,"cases":"fault.kpanic,kmod.attach.no_group"}' | jq -r .id)
jk=$(job_of_plan "$p" q35-vtd-lavapoll)
sk=$(wait_final "$jk" 600)
rk=$(sqlite3 "$state/iommulab.db" "SELECT case_id || ':' || CASE verdict WHEN 4 THEN 'crash' WHEN 5 THEN 'warn' ELSE verdict END || ':' || ifnull(kernel_kind,'-') || ':' || (instr(ifnull(kernel_excerpt,''), 'Kernel panic - not syncing: iommulab_probe') = 1) FROM results WHERE job_id = $jk ORDER BY case_id" | tr '\n' ' ')
if [ "$sk" = complete ] && [ "$(jfield "$jk" attempts)" = 1 ] &&
   [ "$rk" = "boot:warn:warning:0 fault.kpanic:crash:panic:1 " ] &&
   jlog "$jk" | grep -q "^iommulab-runner: .*fault.kpanic.*(LAVA: no reboot, later cases not run)"; then
	lab_ok "kernel panic in a case on LAVA -> complete: $rk(kmod.attach.no_group after it not run)"
else
	lab_fail "kernel panic in a case on LAVA" "state $sk, attempts $(jfield "$jk" attempts), rows '$rk', reason $(jfield "$jk" reason | head -c 300)"
fi
# e3. a kernel that panics before the agent's first case on LAVA
# (fault.panic: a sysrq crash after BEGIN) is a "boot" record, crash, kind
# panic, with the excerpt from the first kernel report (6.1 warns at boot
# first, so the excerpt starts with that WARNING)
p=$(post /plans '{"kind":"manual","kernels":["6.1"],"targets":["q35-vtd-lavapoll"],"max_attempts":2,"timeout_s":300,"cases":"fault.panic"}' | jq -r .id)
jb=$(job_of_plan "$p" q35-vtd-lavapoll)
sb=$(wait_final "$jb" 600)
rb=$(sqlite3 "$state/iommulab.db" "SELECT case_id || ':' || CASE verdict WHEN 4 THEN 'crash' WHEN 5 THEN 'warn' ELSE verdict END || ':' || ifnull(kernel_kind,'-') || ':' || (length(ifnull(kernel_excerpt,'')) > 0) FROM results WHERE job_id = $jb ORDER BY case_id" | tr '\n' ' ')
if [ "$sb" = complete ] && [ "$(jfield "$jb" attempts)" = 1 ] && [ "$rb" = "boot:crash:panic:1 " ]; then
	lab_ok "kernel panic before the first case on LAVA -> a boot record: $rb(complete, not retried)"
else
	lab_fail "boot panic on LAVA" "state $sb, attempts $(jfield "$jb" attempts), rows '$rb', reason $(jfield "$jb" reason | head -c 300)"
fi
# h. LAVA says Complete but the test cases are missing: not a pass. A
# callback carrying a real LAVA log (job a's) whose results lack the
# "iommulab" suite reaches the run before LAVA's own callback does.
p=$(plan '["q35-vtd-lava"]'); jh=$(job_of_plan "$p" q35-vtd-lava)
idh=
for _ in $(seq 1 240); do
	idh=$(jfield "$jh" backend_job_id | sed -n 's/^cb:\([0-9][0-9]*\)$/\1/p')
	[ -n "$idh" ] && break
	sleep 0.5
done
/usr/bin/python3 - "$idh" "$state/logs/$jl.lava.yaml" > "$out/forged.json" <<'PY'
import json, sys
print(json.dumps({"id": int(sys.argv[1]), "state_string": "Finished", "health_string": "Complete",
                  "log": open(sys.argv[2]).read(),
                  "results": {"lava": "- id: '1'\n  name: job\n  result: pass\n  suite: lava\n"}}))
PY
ch=$(curl -s -o "$out/forged.out" -w '%{http_code}' -H "Authorization: $LAVA_CALLBACK_TOKEN" \
	-H 'Content-Type: application/json' --data-binary @"$out/forged.json" "$api/lava/callback")
sh=$(wait_final "$jh" 60)
rh=$(jfield "$jh" reason)
lava -o /dev/null "$LAVA_URL/api/v0.2/jobs/$idh/cancel/"
case "$ch:$sh:$rh" in
200:incomplete:*"missing or different test cases"*) lab_ok "Complete without its test cases -> incomplete: $(echo "$rh" | head -c 90)" ;;
*) lab_fail "Complete without test cases" "callback $ch, state $sh, reason $(echo "$rh" | head -c 200)" ;;
esac
[ "$(sqlite3 "$state/iommulab.db" "SELECT count(*) FROM results WHERE job_id = $jh")" = 0 ] &&
	lab_ok "nothing stored for it" || lab_fail "results stored for a job with missing test cases"
# i. QEMU generations on LAVA (issue 19)
gplan() { post /plans "{\"kind\":\"manual\",\"kernels\":[\"6.1\"],\"targets\":[\"q35-vtd-q10-lava\"],\"max_attempts\":1,\"timeout_s\":300,\"cases\":\"kmod.attach.*\"}" | jq -r .id; }
qv() { curl -sS "$api/jobs/$1" | jq -r '.provenance.qemu_version // empty'; }
if [ -z "${LAVA_DEVICE_QEMU10:-}" ]; then
	lab_skip "QEMU 10.0 on LAVA" "rig/setup-qemu 10.0 is not ready: tests/lava/up made no qemu-10.0 device"
else
	t0=$(date +%s)
	p=$(gplan); jg=$(job_of_plan "$p" q35-vtd-q10-lava)
	sg=$(wait_final "$jg" 900)
	t_g=$(( $(date +%s) - t0 ))
	vg=$(qv "$jg") va=$(qv "$jl")
	ng=$(sqlite3 "$state/iommulab.db" "SELECT count(*) FROM results WHERE job_id = $jg")
	case "$sg:$vg:$va" in
	complete:10.0.*:7.2.*)
		[ "$ng" -gt 0 ] && lab_ok "qemu.version 10.0 on LAVA: job complete on the qemu-10.0 device, $ng results, provenance QEMU $vg (the 7.2 job a: $va) (${t_g}s)" ||
			lab_fail "qemu.version 10.0 on LAVA stored no results" ;;
	*) lab_fail "qemu.version 10.0 on LAVA" "state $sg, QEMU '$vg' (job a '$va'), reason $(jfield "$jg" reason | head -c 300)" ;;
	esac
	# the 10.0 device runs 7.2 by mistake: the job is bad, nothing stored
	printf '#!/bin/sh\nexec %q 7.2 qemu-system-x86_64 "$@"\n' "$top/rig/lava-qemu" > "$CACHE/lava/qemu/10.0/qemu-system-x86_64"
	p=$(gplan); jw=$(job_of_plan "$p" q35-vtd-q10-lava)
	sw=$(wait_final "$jw" 900)
	"$top/rig/lava-qemu" --install "$CACHE/lava/qemu"
	rw=$(jfield "$jw" reason)
	nw=$(sqlite3 "$state/iommulab.db" "SELECT count(*) FROM results WHERE job_id = $jw")
	case "$sw:$nw:$rw" in
	incomplete:0:*"needs QEMU 10.0, but the LAVA device ran QEMU 7.2"*)
		lab_ok "a device that runs the wrong QEMU generation: job incomplete, nothing stored ($(echo "$rw" | head -c 120))" ;;
	*) lab_fail "wrong QEMU generation on LAVA" "state $sw, $nw results, reason $(echo "$rw" | head -c 300)" ;;
	esac
	# j. known broken on the QEMU the device runs
	kbv=$(jq -r '.known_broken.qemu[0]' "$kbsrc")
	kbwhy="is known broken on QEMU $kbv: $(jq -r .known_broken.reason "$kbsrc") ($(jq -r .known_broken.reference "$kbsrc"))"
	kplan() { post /plans "{\"kind\":\"manual\",\"kernels\":[\"6.1\"],\"targets\":[\"$1\"],\"max_attempts\":2,\"timeout_s\":300,\"cases\":\"kmod.attach.*\"}" | jq -r .id; }
	if [ "$(qv "$jg")" != "$kbv" ]; then
		lab_skip "known broken on LAVA" "the qemu-10.0 device runs QEMU $(qv "$jg"), not $kbv (q35-amd-q10's known_broken)"
	else
		p=$(kplan q35-amd-q10-lava); jkb=$(job_of_plan "$p" q35-amd-q10-lava)
		skb=$(wait_final "$jkb" 300)
		kj=$(curl -sS "$api/jobs/$jkb")
		if [ "$skb" = incomplete ] && [ "$(jq -r .attempts <<< "$kj")" = 1 ] &&
		   [ "$(jq -r .reason <<< "$kj")" = "configuration error: not booted: q35-amd-q10-lava $kbwhy" ] &&
		   [ "$(jq -r .backend_job_id <<< "$kj")" = cb:preparing ] && [ "$(jq -r .has_log <<< "$kj")" = false ]; then
			lab_ok "known broken on QEMU $kbv: the LAVA job is refused by the server (not submitted, 1 attempt of 2, rig/boot's reason, no log)"
		else
			lab_fail "known broken target refused before LAVA" "$skb: $(jq -c '{attempts, backend_job_id, has_log, reason: (.reason // "" | .[0:200])}' <<< "$kj")"
		fi
		t0=$(date +%s)
		p=$(kplan q35-amd-q10); jkw=$(job_of_plan "$p" q35-amd-q10)
		skw=$(wait_final "$jkw" 900)
		kj=$(curl -sS "$api/jobs/$jkw")
		if [ "$skw" = incomplete ] && [ "$(jq -r .attempts <<< "$kj")" = 1 ] &&
		   [ "$(jq -r .reason <<< "$kj")" = "configuration error: not booted: q35-amd-q10 $kbwhy" ] &&
		   [[ $(jq -r .backend_job_id <<< "$kj") == cb:[0-9]* ]] &&
		   grep -qxF "iommulab-boot: not booted: q35-amd-q10 $kbwhy" <(tr -d '\r' < "$state/logs/$jkw.log"); then
			lab_ok "known broken, the server not knowing: the worker's rig/lava-qemu refuses it (LAVA job $(jq -r .backend_job_id <<< "$kj")), job incomplete after 1 attempt of 2 with the same reason ($(( $(date +%s) - t0 ))s)"
		else
			lab_fail "known broken refused by rig/lava-qemu on the worker" "$skw: $(jq -c '{attempts, backend_job_id, reason: (.reason // "" | .[0:200])}' <<< "$kj")"
		fi
	fi
fi
echo "# times: callback job pair ${t_a}s, poll job ${t_c}s, down-then-up job ${t_d}s, stage $(el)s"
# the one iommulabd of parts 2-6 served to the end (a crash in it is a failure
# of its own, whichever check was running: session 7's SIGBUS was one)
if kill -0 "$srv_pid" 2>/dev/null; then
	lab_ok "iommulabd ran through the stage (pid $srv_pid)"
else
	wait "$srv_pid" 2>/dev/null; rc=$?
	lab_fail "iommulabd ran through the stage" "pid $srv_pid: $(lab_died "$rc" "$out/server.log")"
fi
lab_done
