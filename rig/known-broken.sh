# rig/known-broken.sh - is a target known broken on a QEMU version (sourced, not run).
#
# Sourced by rig/boot (the local runner's boot), rig/lava-qemu (a LAVA qemu
# device's command, on the worker) and rig/known-broken (what the server's
# LAVA backend asks before it submits): the one reading of a target's
# "known_broken" (docs/targets.md) and the one wording of the refusal, so a
# job says the same thing whichever path refused it.
#
# known_broken_why FILE VERSION
#   FILE     a target file (docs/targets.md)
#   VERSION  the version a QEMU binary reports (--version: 10.0.2)
#   0  FILE's known_broken.qemu lists VERSION: prints
#        NAME is known broken on QEMU VERSION: REASON (REFERENCE)
#      (callers put "iommulab-boot: not booted: " before it: the line the
#      server's backends read, server/run/runlog.h lab_runlog_not_booted)
#   1  it does not (nothing printed), or IOMMULAB_BOOT_BROKEN=run is in the
#      environment (boot it anyway, to re-check the symptom)
#   2  FILE is not a JSON object or its known_broken is malformed: prints why
# Needs jq.
known_broken_why() {
	local file=$1 ver=$2 out
	out=$(jq -r --arg v "$ver" '
		if type != "object" then "bad not a JSON object"
		elif ((.known_broken // {}) | type == "object" and
		      ((.qemu // []) | type == "array" and all(type == "string"))) | not then
			"bad known_broken must be an object whose qemu is an array of version strings"
		elif any((.known_broken.qemu // [])[]; . == $v) | not then "no"
		else "yes \(.name // "?") is known broken on QEMU \($v): \(.known_broken.reason // "") (\(.known_broken.reference // "no reference"))"
		end' "$file" 2>/dev/null) || { echo "not a JSON file"; return 2; }
	case "$out" in
	no) return 1 ;;
	"bad "*) echo "${out#bad }"; return 2 ;;
	esac
	[ "${IOMMULAB_BOOT_BROKEN:-}" != run ] || return 1
	echo "${out#yes }"
}
