# tests/lib.sh - helpers for stage scripts (source it).
#   lab_counts P F S   report a stage's counts to tests/run
#   lab_ok NAME / lab_fail NAME [WHY] / lab_skip NAME WHY
#                      one TAP-like line per check, counted at lab_done
#   lab_done           report the counts of lab_ok/lab_fail/lab_skip; exit 1 on failure
#   lab_browser_ready LOG  Debian's chromium, chromium-driver and python3-selenium
#                      (for /usr/bin/python3: another python3 may come first on PATH)
#                      (scripts/deps/web.txt) are usable, installing them as root
#                      when missing (apt output in LOG); else prints why, returns 1
lab_counts() { echo "$1 $2 $3" >> "${LAB_TEST_COUNTS:-/dev/null}"; }
_lab_p=0 _lab_f=0 _lab_s=0
lab_ok()   { _lab_p=$((_lab_p + 1)); echo "ok - $1"; }
lab_fail() { _lab_f=$((_lab_f + 1)); echo "not ok - $1${2:+: $2}"; }
lab_skip() { _lab_s=$((_lab_s + 1)); echo "ok - $1 # SKIP $2"; }
lab_check() { # lab_check NAME CMD... : ok when CMD succeeds
	local n=$1; shift
	if "$@"; then lab_ok "$n"; else lab_fail "$n"; fi
}
# lab_died RC LOG: how a child that should still run ended (RC from the
# caller's own `wait`: a $(...) subshell is not its parent), for a failure
# line: "exit N (signal S: NAME); its log ends: <last 3 lines of LOG>"
lab_died() {
	printf 'exit %s' "$1"
	[ "$1" -gt 128 ] && printf ' (signal %s: %s)' $(($1 - 128)) "$(kill -l $(($1 - 128)) 2>/dev/null)"
	printf '; its log ends: %s' "$(tail -3 "$2" 2>/dev/null | tr '\n' ' ' | cut -c1-300)"
}
lab_done() { lab_counts "$_lab_p" "$_lab_f" "$_lab_s"; [ "$_lab_f" -eq 0 ]; }
lab_browser_ready() {
	local log=$1 why=
	_lab_browser_missing() {
		why=
		[ -x /usr/bin/chromium ] || why+=" /usr/bin/chromium"
		[ -x /usr/bin/chromedriver ] || why+=" /usr/bin/chromedriver"
		/usr/bin/python3 -c 'import selenium' 2>/dev/null || why+=" python3-selenium"
		[ -n "$why" ]
	}
	_lab_browser_missing || return 0
	if [ "$(id -u)" = 0 ]; then
		"${LAB_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}/scripts/install-deps" web >"$log" 2>&1 || tail -5 "$log"
		_lab_browser_missing || return 0
	fi
	echo "missing$why (scripts/install-deps web, as root; Debian's /usr/bin/python3)"
	return 1
}
