#!/usr/bin/env bash
# 88-fuzz-short: every libFuzzer target (tests/fuzz: record lines/logs, LAVA
# log + results YAML, API POST bodies, the HTTP layer with query arguments
# and LAVA callbacks) for LAB_FUZZ_SECS seconds each (default 20), under
# ASan+UBSan; one check per target: no crash, no broken invariant. Prints
# execs/s per target. Installs clang and its libFuzzer runtime (scripts/deps/
# bench.txt) when root; SKIP when it cannot.
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export LAB_TOP=$top
export O=${O:-$top/build}
secs=${LAB_FUZZ_SECS:-20}
out=${LAB_TEST_OUT:-$top/tests/out}/fuzz
mkdir -p "$out"

fuzz_ready() {
	command -v clang >/dev/null && echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
		clang -x c -fsanitize=fuzzer,address -o "$out/probe" - 2>"$out/probe.err"
}
# the stage installs what it needs itself (scripts/deps/bench.txt: clang,
# libclang-rt-14-dev), as `make test` installs only base, rig and server
if ! fuzz_ready && [ "$(id -u)" = 0 ]; then
	"$top/scripts/install-deps" bench >"$out/deps.log" 2>&1 || tail -5 "$out/deps.log"
fi
if ! fuzz_ready; then
	lab_skip "fuzz" "clang with libFuzzer missing ($(head -c 200 "$out/probe.err" 2>/dev/null); scripts/install-deps bench, as root)"
	lab_done
	exit $?
fi
rm -f "$out/probe"
for t in fuzz_record fuzz_ingest fuzz_lava fuzz_api fuzz_http; do
	line=$("$top/tests/fuzz/run" -t "$secs" "$t" 2>&1 | tee "$out/$t.txt")
	rc=${PIPESTATUS[0]}
	echo "$line" | sed 's/^/# /'
	if [ "$rc" -eq 0 ] && grep -q "crashes 0" "$out/$t.txt"; then
		lab_ok "$t: ${secs}s without a crash ($(sed -n 's/.*(\([0-9]* exec\/s\)).*/\1/p' "$out/$t.txt" | head -1))"
	else
		# the invariant or sanitizer line says most; else the count line
		why=$(grep -a -m1 -E 'INVARIANT|ERROR: |runtime error|build failed' "$out/$t.txt" ||
		      grep -a -m1 -E 'crashes [1-9]' "$out/$t.txt")
		lab_fail "$t" "$(echo "$why" | cut -c1-300) (crash input: $O/fuzz/crashes/$t/)"
	fi
done
lab_done
