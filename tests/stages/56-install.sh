#!/usr/bin/env bash
# 56-install - `make install` as a lab admin uses it: install into a DESTDIR
# (PREFIX=/usr), check the layout (binaries, the runner's scripts and data,
# the systemd unit with its dedicated user and state dir, the sysusers file,
# a config file naming every option of `iommulabd --help`), check that
# iommulabd-start refuses a config line iommulabd does not know, then start
# the INSTALLED daemon through iommulabd-start and the installed config
# (overridden on the command line: a temp state dir, port 0, the user's
# cache for the kernels) and run one QEMU job through it with the installed
# CLI: the runner builds the agent from the installed sources into O.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export CACHE=${CACHE:-$HOME/.cache/iommulab}
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/56-install
rm -rf "$out"
mkdir -p "$out"
D=$out/root
pid=

if ! make -s -C "$top" install DESTDIR="$D" PREFIX=/usr >"$out/install.log" 2>&1; then
	tail -20 "$out/install.log"
	lab_fail "make install DESTDIR=... PREFIX=/usr" "see $out/install.log"
	lab_done
	exit 1
fi
lab_ok "make install DESTDIR=$D PREFIX=/usr"
miss=
for f in usr/bin/iommulabd usr/bin/iommulab usr/libexec/iommulab/iommulabd-start \
	usr/share/iommulab/schema/0001-init.sql usr/share/iommulab/rig/boot usr/share/iommulab/rig/mkinitramfs \
	usr/share/iommulab/kernels/fetch-debian usr/share/iommulab/kernels/build usr/share/iommulab/scripts/install-deps \
	usr/share/iommulab/agent/Makefile usr/share/iommulab/kmods/Makefile usr/share/iommulab/web/index.html \
	usr/share/iommulab/targets/x86_64/q35-vtd.json etc/iommulab/iommulabd.conf \
	usr/lib/systemd/system/iommulabd.service usr/lib/sysusers.d/iommulab.conf; do
	[ -e "$D/$f" ] || miss+=" $f"
done
for f in usr/bin/iommulabd usr/bin/iommulab usr/libexec/iommulab/iommulabd-start usr/share/iommulab/rig/boot; do
	[ -x "$D/$f" ] || miss+=" $f(not executable)"
done
[ -z "$miss" ] && lab_ok "installed: binaries, iommulabd-start, rig/, kernels/, scripts/, agent/, kmods/, schema/, targets/, web/, unit, sysusers, config" ||
	lab_fail "installed layout" "missing:$miss"
unit=$D/usr/lib/systemd/system/iommulabd.service
lab_check "unit: user iommulab, StateDirectory=iommulab, ExecStart iommulabd-start with /etc/iommulab/iommulabd.conf" \
	bash -c "grep -qx 'User=iommulab' '$unit' && grep -qx 'StateDirectory=iommulab' '$unit' &&
		grep -qx 'ExecStart=/usr/libexec/iommulab/iommulabd-start --config /etc/iommulab/iommulabd.conf' '$unit' &&
		grep -q 'O=/var/lib/iommulab/build' '$unit' && ! grep -q @ '$unit'"
lab_check "sysusers: the user iommulab, home /var/lib/iommulab" \
	grep -qE '^u iommulab - ".*" /var/lib/iommulab ' "$D/usr/lib/sysusers.d/iommulab.conf"
conf=$D/etc/iommulab/iommulabd.conf
opts=$("$D/usr/bin/iommulabd" --help | sed -n 's/^ *--\([a-z][a-z-]*\).*/\1/p')
nomiss=
for o in $opts; do grep -qE "^#? ?$o = " "$conf" || nomiss+=" $o"; done
[ -n "$opts" ] && [ -z "$nomiss" ] && lab_ok "config file names every option of iommulabd --help ($(echo $opts | wc -w))" ||
	lab_fail "config file names every option" "missing:$nomiss"
ok=1
for b in iommulabd iommulab; do
	"$D/usr/bin/$b" --help >"$out/$b.help" 2>&1 && grep -q "^usage: " "$out/$b.help" || ok=0
done
[ $ok = 1 ] && lab_ok "--help of the installed iommulabd and iommulab" || lab_fail "--help of both programs"

start=$D/usr/libexec/iommulab/iommulabd-start
export IOMMULABD=$D/usr/bin/iommulabd
if "$start" --config "$conf" --check >"$out/check.out" 2>&1 &&
   grep -q -- "--top /usr/share/iommulab --cache /var/lib/iommulab/cache --state-dir /var/lib/iommulab/state" "$out/check.out" &&
   grep -q -- "--port 8470" "$out/check.out"; then
	lab_ok "iommulabd-start --check: the installed config as iommulabd options"
else
	lab_fail "iommulabd-start --check" "$(cat "$out/check.out")"
fi
{ cat "$conf"; echo "frobnicate = 1"; } >"$out/bad.conf"
n=$(wc -l <"$out/bad.conf")
"$start" --config "$out/bad.conf" --check >"$out/bad.out" 2>&1
rc=$?
if [ $rc = 2 ] && grep -q "bad.conf:$n: iommulabd has no option --frobnicate" "$out/bad.out"; then
	lab_ok "an unknown option in the config -> exit 2 naming the line, nothing started"
else
	lab_fail "unknown config option refused" "exit $rc: $(cat "$out/bad.out")"
fi
printf 'no-scheduler = maybe\n' >"$out/bad2.conf"
"$start" --config "$out/bad2.conf" --check >"$out/bad2.out" 2>&1
rc=$?
[ $rc = 2 ] && grep -q "is a flag: yes or no" "$out/bad2.out" && lab_ok "a flag with a value other than yes/no -> exit 2" ||
	lab_fail "flag value refused" "exit $rc: $(cat "$out/bad2.out")"

# ---- the installed daemon runs one QEMU job ------------------------------------
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	pid=
}
trap cleanup EXIT
if ! command -v qemu-system-x86_64 >/dev/null || ! rel=$("$top/kernels/fetch-debian" --kernel 6.1 2>"$out/fetch.log"); then
	lab_skip "the installed daemon runs a QEMU job" "qemu-system-x86_64 or Debian's 6.1 kernel missing (scripts/install-deps rig)"
	lab_done
	exit $?
fi
mkdir -p "$out/state" "$out/o"
O=$out/o "$start" --config "$conf" --top "$D/usr/share/iommulab" --cache "$CACHE" \
	--catalogue "$D/usr/share/iommulab/catalogue.json" \
	--state-dir "$out/state" --port 0 --listen 127.0.0.1 >"$out/iommulabd.log" 2>&1 </dev/null &
pid=$!
url=
for _ in $(seq 1 100); do
	port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$out/iommulabd.log" | tail -1)
	[ -n "$port" ] && curl -fsS -o /dev/null "http://127.0.0.1:$port/api/v1/health" 2>/dev/null &&
		{ url=http://127.0.0.1:$port; break; }
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
if [ -z "$url" ]; then
	tail -20 "$out/iommulabd.log"
	lab_fail "the installed iommulabd starts through iommulabd-start" "see $out/iommulabd.log"
	lab_done
	exit 1
fi
lab_ok "the installed iommulabd runs (pid $pid, $url, state $out/state)"
ncat=$(jq '.cases | length' "$D/usr/share/iommulab/catalogue.json" 2>/dev/null)
lab_check "it imported the installed catalogue (${ncat:-no} cases): the contracts it judges by" \
	grep -q "case catalogue: ${ncat:-x} cases from $D/usr/share/iommulab/catalogue.json" "$out/iommulabd.log"
lab_check "it serves the installed web/ (the dashboard)" \
	bash -c "curl -fsS '$url/' | cmp -s - '$D/usr/share/iommulab/web/index.html'"
cli=$D/usr/bin/iommulab
export IOMMULAB_SERVER=$url IOMMULAB_TOKEN
IOMMULAB_TOKEN=$(cat "$out/state/admin.token")
"$cli" kernels add 6.1 --release "$rel" >"$out/kadd.out" 2>&1 || cat "$out/kadd.out"
plan=$("$cli" plan submit --kernel 6.1 --target q35-vtd --filter 'kmod.attach.no_group' --max-attempts 2 --json |
	jq -r '.id // .plan_id')
"$cli" watch "$plan" --interval 2 --timeout 900 >"$out/watch.out" 2>&1
rc=$?
"$cli" jobs --plan "$plan" --json >"$out/jobs.json" 2>&1
job=$(jq -r '(if type == "array" then . else (.items // .jobs) end)[0].id' "$out/jobs.json")
nres=$(curl -fsS "$url/api/v1/results?job=$job&limit=100" | jq '.items | length')
if [ "$rc" = 0 ] && [ "$(jq -r '(if type == "array" then . else (.items // .jobs) end)[0].state' "$out/jobs.json")" = complete ] &&
   [ "${nres:-0}" -gt 0 ]; then
	lab_ok "one QEMU job through the installed daemon and CLI: complete, $nres result(s)"
else
	lab_fail "one QEMU job through the installed daemon" "watch exit $rc: $(tail -3 "$out/watch.out" | tr '\n' '|') $(jq -c '.' "$out/jobs.json" | cut -c1-300)"
fi
lab_check "the runner built the agent from the installed sources into O ($out/o)" \
	test -x "$out/o/agent/iommulab-agent"
cleanup
lab_check "SIGTERM stops it" bash -c "! curl -fsS -o /dev/null '$url/api/v1/health' 2>/dev/null"
lab_done
