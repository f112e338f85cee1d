#!/usr/bin/env bash
# 90-faults: fault injection against a real iommulabd and real SQLite files
# (tests/faults/faults.py does the work; every check reads the database
# back, PRAGMA integrity_check included):
#   kill        SIGKILL while a 60,000-result batch is being written (the
#               WAL growing is the trigger) and after its 201: after restart
#               the batch is all there or absent, an answered one is there
#   disk_full   the state dir on a 24 MiB tmpfs filled to the last block:
#               507 with "No space left on device", nothing half-written,
#               same batch accepted once space is back
#   read_only   a 0444 database file (server without CAP_DAC_OVERRIDE):
#               writes 503 "Read-only file system", reads work; a read-only
#               file system: refuses to start naming the database; both
#               recover and pass integrity_check
#   concurrent  200 submitters at once to one job: all 201, all stored once
#   busy        GET /health answered while a 100,000-result ingest runs
#   big_body    10 MiB body (and 11 MiB chunked): 413, server fine, DB same
#   flood       a guest flooding its console (the agent has no such fault,
#               so a 100 MiB spam log with a valid run inside goes through
#               the runner's scanner: bounded memory, ok; 300 MiB: refused;
#               cut: no_end), and a 7 MiB flood through POST /results
#   slow_lava   a stand-in for LAVA's REST API on loopback that takes 4 s
#               per answer (a stand-in is acceptable only for this fault):
#               the API stays responsive, the job is still submitted,
#               SIGTERM with a request in flight exits cleanly
# Mounting needs root: without it those checks SKIP with the reason.
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export LAB_TOP=$top
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/faults
rm -rf "$out"
mkdir -p "$out"

if ! nice -n 10 make -s -C "$top/server" O="$O" -j2 >"$out/build.log" 2>&1 ||
   ! nice -n 10 make -s -C "$top/tests/faults" O="$O" >>"$out/build.log" 2>&1; then
	tail -20 "$out/build.log"
	lab_fail "build iommulabd and lab-scanlog" "see $out/build.log"
	lab_done
	exit 1
fi
timeout 900 python3 "$top/tests/faults/faults.py" "$top" "$out" "$O/server/iommulabd" \
	"$O/faults/lab-scanlog" "$@"
rc=$?
# whatever happened, no mount of ours stays behind
for m in "$out/full-fs" "$out/ro-fs"; do
	mountpoint -q "$m" 2>/dev/null && umount -l "$m"
done
if read -r p f s < "$out/faults.counts" 2>/dev/null; then
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	lab_counts "$p" "$f" "$s"
	[ "$f" -eq 0 ]
else
	lab_fail "faults.py reported no counts (exit $rc)"
	lab_done
fi
