#!/usr/bin/env bash
# 85-sanitizers: the server unit tests (stage 20) and the API tests against
# a real iommulabd (stage 25) again, on the ASan+UBSan build (SAN=1:
# $O/server-san), with halt_on_error so the first report fails the run and
# leak checks at exit; then tests/faults "busy" and "concurrent" against
# the ASan daemon and against a ThreadSanitizer build (the offload threads,
# concurrent writers). Their own
# checks count here too (prefixed "san:"),
# plus one check per log that no sanitizer report appears in it (unit test
# stderr, the daemon's log). Stage 20/25 themselves run the normal build
# (unless LAB_SAN=1 is set for the whole suite): this stage is the one that
# always covers the sanitizers, so nothing runs twice under ASan.
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export LAB_TOP=$top
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/san
rm -rf "$out"
mkdir -p "$out"

if ! echo 'int main(void){return 0;}' | cc -x c -fsanitize=address,undefined -o "$out/probe" - 2>/dev/null; then
	lab_skip "sanitizers" "the compiler cannot build with -fsanitize=address,undefined"
	lab_done
	exit $?
fi
rm -f "$out/probe"
export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:abort_on_error=0:exitcode=23:strict_string_checks=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=24
export LSAN_OPTIONS=exitcode=23

tp=0 tf=0 ts=0
for st in 20-server-unit 25-api; do
	cnt=$out/$st.counts
	: > "$cnt"
	LAB_SAN=1 SAN=1 LAB_TEST_OUT=$out LAB_TEST_COUNTS=$cnt "$top/tests/stages/$st.sh" \
		> "$out/$st.log" 2>&1
	rc=$?
	sed -n 's/^\(not ok\|ok\) - /\1 - san: '"$st"': /p' "$out/$st.log"
	read -r p f s < <(awk '{p+=$1; f+=$2; s+=$3} END {print p+0, f+0, s+0}' "$cnt")
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && { f=1; echo "not ok - san: $st exited $rc"; tail -20 "$out/$st.log"; }
	tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + s))
done
# faults_on TAG BIN: tests/faults "busy" (a 100,000-result ingest while
# GETs are answered: the offload threads, suspend/resume) and "concurrent"
# (200 submitters at once: the write queue) against daemon BIN; its checks
# count here, prefixed "TAG: faults:"; logs under $out/TAG
faults_on() {
	local tag=$1 bin=$2 rc p f s
	timeout 600 python3 "$top/tests/faults/faults.py" "$top" "$out/$tag" "$bin" \
		/nonexistent busy concurrent >"$out/$tag.log" 2>&1
	rc=$?
	sed -n 's/^\(not ok\|ok\) - /\1 - '"$tag"': faults: /p' "$out/$tag.log"
	read -r p f s < "$out/$tag/faults.counts" 2>/dev/null || { p=0; f=1; s=0; }
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && { f=1; echo "not ok - $tag: faults exited $rc"; tail -20 "$out/$tag.log"; }
	tp=$((tp + p)); tf=$((tf + f)); ts=$((ts + s))
}
faults_on san "$O/server-san/iommulabd"
# the same against a ThreadSanitizer build (SAN=thread: $O/server-tsan)
if nice -n 10 make -s -C "$top/server" O="$O" SAN=thread -j2 >"$out/tsan-build.log" 2>&1; then
	TSAN_OPTIONS="halt_on_error=0 report_signal_unsafe=0 exitcode=66" \
		faults_on tsan "$O/server-tsan/iommulabd"
else
	tail -20 "$out/tsan-build.log"
	echo "not ok - tsan: build iommulabd with -fsanitize=thread (see $out/tsan-build.log)"
	tf=$((tf + 1))
fi
lab_counts "$tp" "$tf" "$ts"

# no sanitizer report anywhere (a report in a child process or at exit
# might not fail the test that caused it)
pat='ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer|WARNING: ThreadSanitizer'
logs=("$out"/unit/*.stderr "$out/api/iommulabd.log" "$out"/san/*/iommulabd.*.log
      "$out"/tsan/*/iommulabd.*.log)
n=0
for l in "${logs[@]}"; do
	[ -f "$l" ] || continue
	n=$((n + 1))
	if grep -qE "$pat" "$l"; then
		lab_fail "no sanitizer report in ${l#$out/}" "$(grep -m1 -E "$pat" "$l")"
		grep -m1 -A8 -E "$pat" "$l" | sed 's/^/# /'
	else
		lab_ok "no sanitizer report in ${l#$out/}"
	fi
done
[ "$n" -gt 0 ] || lab_fail "sanitizer logs exist" "none found under $out"
# the daemon really was the ASan build
if nm -an "$O/server-san/iommulabd" 2>/dev/null | grep -q __asan_init; then
	lab_ok "iommulabd under test is the ASan build ($O/server-san/iommulabd)"
else
	lab_fail "iommulabd under test is the ASan build"
fi
lab_done
