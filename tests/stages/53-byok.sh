#!/usr/bin/env bash
# 53-byok - bring your own kernel (issue 12 point 5) through a real iommulabd
# (own state dir, port 0) and its QEMU runner:
#   url      a kernel served over HTTP on 127.0.0.1 by this test (python3 -m
#            http.server on a free port): a tar of Debian 6.1's four .debs,
#            registered with `iommulab kernels add NAME --url U --sha256 H`,
#            downloaded once (libcurl, `iommulabd fetch`), laid out by
#            kernels/import; its job completes with the probe module built
#            from the imported headers, the kernel learns its release, a
#            second job downloads nothing
#   errors   a wrong checksum, a 404, a truncated file (with and without a
#            checksum), a file that is not a kernel image: each job is
#            incomplete after one attempt with "configuration error: ...";
#            no part file, no temp dir, no kernel dir is left, the kernel
#            learns no release
#   boot     an image that does not boot (a truncated bzImage): a boot result
#            (incomplete with the console excerpt), not a configuration error
#   degrade  --image/--modules with a headers dir copied without the -common
#            tree it includes: the probe module does not build, the job
#            completes with a warning, its kmod cases skip with the error
#   sid      Debian unstable's split packaging (linux-binary, -modules,
#            -base, headers, kbuild) through --deb on riscv64, when the
#            cache holds those .debs (kernels/fetch-sid) and QEMU 10.0
#   api      bad input changes nothing: a local file that does not exist, a
#            sha256 with local files, a url kernel without its URL
#   twice    two imports of one URL at once download it once and both
#            succeed; one URL for two arches at once: one download too
# Everything the test imports into $CACHE is removed at its end. The cache
# is shared: a second run of this stage (another checkout, a helper) waits
# for the first (flock on $CACHE/kernels/.stage-53.lock), since the cleanup
# removes every kernel and download that appeared while the run held it.
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export CACHE=${CACHE:-$HOME/.cache/iommulab}
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/53-byok
rm -rf "$out"
mkdir -p "$out/www"
. "$top/tests/lib-server.sh"

nice -n 10 make -s -C "$top/server" -j2 >"$out/build.log" 2>&1 ||
	{ tail -20 "$out/build.log"; lab_fail "server builds"; lab_done; exit 1; }
command -v qemu-system-x86_64 >/dev/null || { lab_skip "bring your own kernel" "qemu-system-x86_64 not installed"; lab_done; exit $?; }
kj=$(nice -n 10 "$top/kernels/fetch-debian" --kernel 6.1 --json 2>"$out/fetch.log") ||
	{ lab_skip "bring your own kernel" "Debian kernel 6.1 not available: $(tail -1 "$out/fetch.log")"; lab_done; exit $?; }
rel=$(jq -r .release "$kj") ver=$(jq -r .version "$kj") kdir=$(jq -r .dir "$kj")
debs=()
for p in $(jq -r '.source_ref[]' "$kj"); do
	f=$(ls "$CACHE/debs/${p}_${ver}_"*.deb 2>/dev/null | head -n1)
	[ -n "$f" ] || { lab_skip "bring your own kernel" "no cached .deb of $p $ver"; lab_done; exit $?; }
	debs+=("$f")
done

# ---- what the test serves and imports ----------------------------------
tar -cf "$out/www/k61.tar" -C "$(dirname "${debs[0]}")" $(for f in "${debs[@]}"; do basename "$f"; done)
sha=$(sha256sum "$out/www/k61.tar" | cut -d' ' -f1)
head -c $(( $(stat -c %s "$out/www/k61.tar") / 2 )) "$out/www/k61.tar" > "$out/www/k61-trunc.tar"
head -c $(( 4 << 20 )) "$kdir/vmlinuz" > "$out/bad-vmlinuz"	# a bzImage cut after 4 MiB
printf 'not a kernel\n' > "$out/not-a-kernel"
mkdir -p "$out/headers-broken"	# the flavour tree alone: its Makefile includes ../<common>
cp -a "$(readlink -f "$kdir/headers")/." "$out/headers-broken/"

state=$out/state
srv_pid=
mkdir -p "$CACHE/kernels"
exec 7>"$CACHE/kernels/.stage-53.lock"
if ! flock -n 7; then
	echo "# another run of stage 53 holds $CACHE/kernels/.stage-53.lock: waiting"
	flock -w 3600 7 || { lab_fail "stage 53 lock" "held for an hour by another run"; lab_done; exit 1; }
fi
before=$(ls -d "$CACHE"/kernels/byo-* "$CACHE"/downloads/* 2>/dev/null | sort)
cleanup() {
	lab_srv_stop
	for p in $(lab_qemu_of "$state"); do kill -9 "$p"; done
	[ -n "$srv_pid" ] && kill "$srv_pid" 2>/dev/null
	# what this run imported (url keys carry its port: never reused)
	comm -13 <(echo "$before") <(ls -d "$CACHE"/kernels/byo-* "$CACHE"/downloads/* 2>/dev/null | sort) |
		while read -r d; do
			rm -rf "$d" "$CACHE/kmods/$(basename "$d")" "$CACHE/kmods/.$(basename "$d").build.log"
		done
}
trap cleanup EXIT

python3 -u -m http.server --bind 127.0.0.1 --directory "$out/www" 0 >"$out/http.log" 2>&1 7>&- &
srv_pid=$!
port=
for i in $(seq 1 200); do
	port=$(sed -n 's/.*port \([0-9]*\).*/\1/p' "$out/http.log" | head -n1)
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { lab_fail "python3 -m http.server starts" "$(cat "$out/http.log")"; lab_done; exit 1; }
U=http://127.0.0.1:$port
echo "# serving $out/www on $U"

lab_srv_start "$state" 7>&- || { lab_fail "iommulabd starts"; lab_done; exit 1; }

# submit KERNEL TARGET ARGS...: prints the job id
submit() {
	local k=$1 t=$2 plan; shift 2
	plan=$(lab_cli plan submit --kernel "$k" --target "$t" --json "$@" | jq -r .id) || return 1
	lab_api "jobs?plan=$plan" | jq -r '.items[0].id'
}
show() { lab_api "jobs/$1" | jq -c '{state, attempts, max_attempts, reason: (.reason // "" | .[0:400])}'; }
cfg_error() {	# cfg_error NAME JOB WORDS: incomplete after 1 of 3, configuration error naming WORDS
	local r
	r=$(lab_job_field "$2" reason)
	if [ "$(lab_job_field "$2" state)" = incomplete ] && [ "$(lab_job_field "$2" attempts)" = 1 ] &&
	   [[ $r == "configuration error: "* ]] && grep -qF -- "$3" <<< "$r"; then
		lab_ok "$1: configuration error, 1 attempt of 3: $(grep -F -- "$3" <<< "$r" | head -1 | cut -c1-140)"
	else
		lab_fail "$1: configuration error naming '$3', not retried" "$(show "$2")"
	fi
}

# ---- api: bad input changes nothing ------------------------------------
api_post() { curl -s -o "$out/post.json" -w '%{http_code}' -H "Authorization: Bearer $LAB_TOKEN" \
	-H 'Content-Type: application/json' -d "$1" "$LAB_URL/api/v1/kernels"; }
c=$(api_post '{"name":"byo-nofile","source":"local","source_ref":"deb=/nonexistent/x.deb"}')
lab_check "a local file that does not exist: 400 ($(jq -r .error "$out/post.json" 2>/dev/null | cut -c1-80))" test "$c" = 400
c=$(api_post "{\"name\":\"byo-shalocal\",\"source\":\"local\",\"source_ref\":\"deb=${debs[0]}\",\"sha256\":\"$sha\"}")
lab_check "a sha256 with local files: 400" test "$c" = 400
c=$(api_post '{"name":"byo-nourl","source":"url"}')
lab_check "a url kernel without its URL: 400" test "$c" = 400
c=$(api_post '{"name":"byo-badref","source":"local","source_ref":"image=/etc/hostname"}')
lab_check "an image without modules: 400" test "$c" = 400
n=$(lab_api kernels | jq '[.items[] | select(.name | startswith("byo-"))] | length')
lab_check "nothing registered by the refused requests" test "$n" = 0
lab_cli kernels add byo-x --deb /nonexistent.deb 2>"$out/cli.err"; rc=$?
lab_check "the CLI refuses a file it cannot find (exit $rc: $(head -c 80 "$out/cli.err"))" test "$rc" = 2

# ---- registrations ------------------------------------------------------
lab_cli kernels add byo-url --url "$U/k61.tar" --sha256 "$sha" >"$out/add.out" ||
	lab_fail "kernels add --url" "$(cat "$out/add.out")"
reg() { lab_cli kernels add "$@" >"$out/add-$1.out" 2>&1 || lab_fail "kernels add $*" "$(cat "$out/add-$1.out")"; }
reg byo-badsum --url "$U/k61.tar" --sha256 "$(echo x | sha256sum | cut -d' ' -f1)" >/dev/null
reg byo-404 --url "$U/nope.tar" >/dev/null
reg byo-trunc --url "$U/k61-trunc.tar" --sha256 "$sha" >/dev/null
reg byo-trunc-nosum --url "$U/k61-trunc.tar" >/dev/null
reg byo-notkernel --image "$out/not-a-kernel" --modules "$kdir/modules" >/dev/null
reg byo-noboot --image "$out/bad-vmlinuz" --modules "$kdir/modules" --headers "$kdir/headers" >/dev/null
reg byo-nohdr --image "$kdir/vmlinuz" --modules "$kdir/modules" --headers "$out/headers-broken" >/dev/null
lab_check "the kernels list shows the sources" \
	test "$(lab_api kernels | jq -r '[.items[] | select(.name | startswith("byo-")) | .source] | unique | join(",")')" = local,url

F='kmod.attach.*'
j_url=$(submit byo-url q35-vtd --filter "$F" --max-attempts 3)
j_bad=$(submit byo-badsum q35-vtd --filter "$F" --max-attempts 3)
j_404=$(submit byo-404 q35-vtd --filter "$F" --max-attempts 3)
j_tr=$(submit byo-trunc q35-vtd --filter "$F" --max-attempts 3)
j_trn=$(submit byo-trunc-nosum q35-vtd --filter "$F" --max-attempts 3)
j_nk=$(submit byo-notkernel q35-vtd --filter "$F" --max-attempts 3)
j_nb=$(submit byo-noboot q35-vtd-snoop --filter "$F" --max-attempts 1 --timeout 90)
j_nh=$(submit byo-nohdr q35-vtd-sm --filter "$F" --max-attempts 1)
for j in $j_url $j_bad $j_404 $j_tr $j_trn $j_nk $j_nb $j_nh; do
	case "$j" in ''|null) continue ;; esac	# its kernel was refused: that check fails below
	lab_wait_job "$j" 900 complete incomplete canceled >/dev/null
done

# ---- url: downloaded, imported, run ------------------------------------
res=$(lab_api "results?job=$j_url&limit=1000")
nk=$(jq '[.items[] | select(.verdict != "skip")] | length' <<< "$res")
if [ "$(lab_job_field "$j_url" state)" = complete ] && [ "$nk" -gt 0 ] && [ "$(lab_job_field "$j_url" reason)" = null ]; then
	lab_ok "url kernel: job complete, $nk kmod cells judged (module built from the imported headers), no warning"
else
	lab_fail "url kernel: job complete with the probe module" "$(show "$j_url"), $nk judged"
fi
lab_check "url kernel: learned release $rel" test "$(lab_api kernels/byo-url | jq -r .release)" = "$rel"
lab_check "url kernel: the prep log shows the download through iommulabd fetch" \
	grep -q "kernels/import: downloading $U/k61.tar" "$state/logs/$j_url.prep.log"
j_url2=$(submit byo-url q35-vtd --filter 'kmod.attach.no_group')
lab_wait_job "$j_url2" 600 complete incomplete >/dev/null
if [ "$(lab_job_field "$j_url2" state)" = complete ] && ! grep -q downloading "$state/logs/$j_url2.prep.log" &&
   grep -q "imported before" "$state/logs/$j_url2.prep.log"; then
	lab_ok "url kernel: a second job downloads and imports nothing"
else
	lab_fail "url kernel: second job from the cache" "$(show "$j_url2"); $(grep -c downloading "$state/logs/$j_url2.prep.log") downloads"
fi
# k61.tar is fetched twice in all: byo-url once, byo-badsum (same URL,
# another checksum: another download) once; the second byo-url job not at all
lab_check "the HTTP server saw k61.tar fetched twice (byo-url once, byo-badsum once)" \
	test "$(grep -c 'GET /k61.tar ' "$out/http.log")" = 2

# ---- errors: clear, not retried, nothing half-registered ---------------
cfg_error "wrong checksum" "$j_bad" "sha256 mismatch"
cfg_error "404" "$j_404" "HTTP 404"
cfg_error "truncated file with the full file's checksum" "$j_tr" "sha256 mismatch"
cfg_error "truncated file without a checksum" "$j_trn" "not a readable tar archive"
cfg_error "a file that is not a kernel" "$j_nk" "is not a x86_64 Linux kernel image"
left=$(find "$CACHE/downloads" "$CACHE/kernels" -maxdepth 2 \( -name '*.part.*' -o -name 'byo-*.tmp.*' \) 2>/dev/null)
lab_check "no part file or temp dir left in \$CACHE${left:+: $left}" test -z "$left"
n=$(lab_api kernels | jq '[.items[] | select(.name | IN("byo-badsum","byo-404","byo-trunc","byo-trunc-nosum","byo-notkernel")) | select(.release != null)] | length')
lab_check "the failed kernels learned no release" test "$n" = 0
nd=$(comm -13 <(echo "$before") <(ls -d "$CACHE"/downloads/* 2>/dev/null | sort) | wc -l)
lab_check "one download dir in \$CACHE (the good one; the truncated one that is no tar was removed), got $nd" test "$nd" = 1

# ---- an image that does not boot: a boot result ------------------------
r=$(lab_job_field "$j_nb" reason)
if [ "$(lab_job_field "$j_nb" state)" = incomplete ] && [[ $r != "configuration error"* ]] &&
   grep -qiE 'timeout|no IOMMULAB-END|panic' <<< "$r"; then
	lab_ok "an image that does not boot: a boot result: $(head -1 <<< "$r" | cut -c1-120)"
else
	lab_fail "an image that does not boot: a boot result" "$(show "$j_nb")"
fi

# ---- headers that cannot build the module: degraded, with a warning ----
res=$(lab_api "results?job=$j_nh&limit=1000")
nks=$(jq '[.items[] | select(.verdict == "skip" and (.reason // "" | test("probe module build failed")))] | length' <<< "$res")
r=$(lab_job_field "$j_nh" reason)
if [ "$(lab_job_field "$j_nh" state)" = complete ] && [[ $r == "warning: no probe module"* ]] && [ "$nks" -gt 0 ]; then
	lab_ok "broken headers: complete, warning, $nks kmod cases skip: ${r:0:150}"
else
	lab_fail "broken headers: degraded run with a warning" "$(show "$j_nh"), $nks skips for the build"
fi

# ---- Debian unstable's split packaging through --deb (riscv64) ---------
sd=$CACHE/debs/unstable-riscv64
sdebs=($(ls "$sd"/linux-binary-*.deb "$sd"/linux-modules-*.deb "$sd"/linux-base-*.deb \
	"$sd"/linux-headers-*.deb "$CACHE"/debs/unstable-amd64/linux-kbuild-*.deb 2>/dev/null))
if [ ${#sdebs[@]} -lt 6 ]; then
	lab_skip "sid split packaging via --deb" "no sid riscv64 .debs in $sd (kernels/fetch-sid)"
elif ! "$top/rig/setup-qemu" 10.0 >/dev/null 2>&1 || ! command -v riscv64-linux-gnu-gcc >/dev/null; then
	lab_skip "sid split packaging via --deb" "QEMU 10.0 or riscv64-linux-gnu-gcc missing"
else
	lab_cli kernels add byo-sid --arch riscv64 --deb "${sdebs[@]}" >/dev/null
	j_sid=$(submit byo-sid virt-riscv-iommu --max-attempts 1)
	lab_wait_job "$j_sid" 900 complete incomplete >/dev/null
	srel=$(lab_api kernels/byo-sid | jq -r .release)
	nu=$(lab_api "results?job=$j_sid&limit=1000" | jq '[.items[] | select(.case | startswith("kmod.") | not)] | length')
	if [ "$(lab_job_field "$j_sid" state)" = complete ] && [[ $srel == *-riscv64 ]] && [ "$nu" -gt 0 ]; then
		lab_ok "sid split packaging (${#sdebs[@]} .debs) via --deb: $srel on virt-riscv-iommu complete, $nu userspace records; $(lab_job_field "$j_sid" reason | cut -c1-90)"
	else
		lab_fail "sid split packaging via --deb" "$(show "$j_sid"), release $srel"
	fi
fi

# ---- one URL imported twice at once: one download ----------------------
# (kernels/import's download lock.) Two imports of a URL this run has not
# fetched, started together: both succeed with one kernel.json, the HTTP
# server sees one GET. Then one URL for two arches (two kernel keys, only
# the download lock orders them): the second starts while the first
# downloads; the first imports, the second waits for the file, fetches
# nothing and fails on the arch (exit 2).
imp() {	# imp ARCH FILE OUT: kernels/import of $U/FILE, stdout/stderr in OUT.{out,err}
	nice -n 10 "$top/kernels/import" --name byo-twice --arch "$1" --url "$U/$2" --sha256 "$sha" \
		--fetch "$LAB_SRV_BIN" >"$3.out" 2>"$3.err"
}
gets() { grep -c "GET /$1 " "$out/http.log"; }
cp "$out/www/k61.tar" "$out/www/k61-twice.tar"
cp "$out/www/k61.tar" "$out/www/k61-arch.tar"
imp x86_64 k61-twice.tar "$out/twice1" & p1=$!
imp x86_64 k61-twice.tar "$out/twice2" & p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
if [ "$r1:$r2" = 0:0 ] && [ -s "$out/twice1.out" ] && cmp -s "$out/twice1.out" "$out/twice2.out" &&
   [ "$(gets k61-twice.tar)" = 1 ]; then
	lab_ok "two imports of one URL at once: both exit 0 with $(cat "$out/twice1.out"), one download"
else
	lab_fail "two imports of one URL at once: both succeed, one download" \
		"exits $r1 $r2, $(gets k61-twice.tar) GETs: $(tail -n2 "$out/twice1.err" "$out/twice2.err" | tr '\n' ' ')"
fi
imp x86_64 k61-arch.tar "$out/arch1" & p1=$!
for _ in $(seq 1 300); do
	grep -q "downloading $U/k61-arch.tar" "$out/arch1.err" 2>/dev/null && break
	sleep 0.1
done
imp arm64 k61-arch.tar "$out/arch2" & p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
if [ "$r1:$r2" = 0:2 ] && grep -q "is not a arm64 Linux kernel image" "$out/arch2.err" &&
   ! grep -q downloading "$out/arch2.err" && [ "$(gets k61-arch.tar)" = 1 ]; then
	lab_ok "one URL for two arches at once: one download, x86_64 imported, arm64 refused (exit 2)"
else
	lab_fail "one URL for two arches at once: one download" \
		"exits $r1 $r2, $(gets k61-arch.tar) GETs: $(tail -n2 "$out/arch1.err" "$out/arch2.err" | tr '\n' ' ')"
fi

lab_srv_stop
lab_check "no QEMU left" test -z "$(lab_qemu_of "$state")"
lab_done
