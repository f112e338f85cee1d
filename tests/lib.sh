# tests/lib.sh - helpers for stage scripts (source it).
#   lab_counts P F S   report a stage's counts to tests/run
#   lab_ok NAME / lab_fail NAME [WHY] / lab_skip NAME WHY
#                      one TAP-like line per check, counted at lab_done
#   lab_done           report the counts of lab_ok/lab_fail/lab_skip; exit 1 on failure
lab_counts() { echo "$1 $2 $3" >> "${LAB_TEST_COUNTS:-/dev/null}"; }
_lab_p=0 _lab_f=0 _lab_s=0
lab_ok()   { _lab_p=$((_lab_p + 1)); echo "ok - $1"; }
lab_fail() { _lab_f=$((_lab_f + 1)); echo "not ok - $1${2:+: $2}"; }
lab_skip() { _lab_s=$((_lab_s + 1)); echo "ok - $1 # SKIP $2"; }
lab_check() { # lab_check NAME CMD... : ok when CMD succeeds
	local n=$1; shift
	if "$@"; then lab_ok "$n"; else lab_fail "$n"; fi
}
lab_done() { lab_counts "$_lab_p" "$_lab_f" "$_lab_s"; [ "$_lab_f" -eq 0 ]; }
