# shellcheck shell=bash
# tests/expect/lib.sh - the expectation files' one parser and one record
# reader (tests/expect/README.md describes the format); sourced by
# tests/expect/{check,regen,lint,table,mutate}.
#
#   exp_records LOG       the IOMMULAB-REC objects of a console log, one per
#                         line (CR stripped: arm64's console ends lines CR LF)
#   exp_canon             records on stdin -> "ID<TAB>CELL<TAB>REASON" lines,
#                         sorted by ID: CELL is the compared part of an
#                         expectation line, in its canonical spelling
#   exp_read FILE         an expectation file -> "ID<TAB>CELL<TAB>LINENO",
#                         sorted by ID; a malformed line or a duplicate ID is
#                         named on stderr and makes it return 2
#   exp_where LOG         "ARCH SERIES TARGET" of a console log (its BEGIN line)
#   exp_series RELEASE    6.1.0-57-amd64 -> 6.1, 6.12.118+deb12-arm64 -> 6.12
#
# Invariant: a record and an expectation line are compared only as the CELL
# strings these functions produce, so the two sides cannot drift apart:
#   OBSERVED VERDICT REUSED VERIFIED STEPS
# with single spaces, REUSED true|false|-, STEPS "name=ERR ..." or "-".
# The agent's free-text reason is never compared (regen keeps it as a #: note).

exp_records() {
	tr -d '\r' <"$1" | grep -a '^IOMMULAB-REC ' | sed 's/^IOMMULAB-REC //'
}

exp_canon() {
	jq -r '
		def id: .id + (if (.repeat // 0) > 0 then "/r\(.repeat)" else "" end);
		def steps: [.steps[]? | "\(.name | gsub("[\\s=#]"; "_"))=\(.err // ("E\(.errno)"))"]
			| if length == 0 then "-" else join(" ") end;
		[id,
		 ([(.observed_name // "E\(.observed)"), .verdict,
		   (if .reused == null then "-" else (.reused | tostring) end),
		   (.verified // "none"), steps] | join(" ")),
		 ((.reason // "") | gsub("[\\t\\n]"; " "))] | @tsv' | LC_ALL=C sort -t$'\t' -k1,1
}

# an expectation line: ID OBSERVED VERDICT REUSED VERIFIED STEPS...
# (a "#" starts a comment anywhere; blank lines are ignored)
exp_read() {
	awk -v file="$1" '
		BEGIN { rc = 0 }
		{ sub(/#.*/, "") }
		NF == 0 { next }
		{
			bad = ""
			if (NF < 6) bad = "needs ID OBSERVED VERDICT REUSED VERIFIED STEPS"
			else if ($1 !~ /^[a-z0-9_.-]+(\/r[0-9]+)?$/) bad = "bad case id \"" $1 "\""
			else if ($2 !~ /^(OK|E[A-Z0-9]+|E[?][0-9]+)$/) bad = "bad errno name \"" $2 "\""
			else if ($3 !~ /^(pass|fail|skip|error|crash|warn)$/) bad = "verdict \"" $3 "\" is not pass|fail|skip|error|crash|warn"
			else if ($4 !~ /^(true|false|-)$/) bad = "reused \"" $4 "\" is not true|false|-"
			else if ($5 !~ /^(dma|core|none)$/) bad = "verified \"" $5 "\" is not dma|core|none"
			else if (NF == 6 && $6 == "-") bad = ""
			else for (i = 6; i <= NF; i++)
				if ($i !~ /^[^=]+=(OK|E[A-Z0-9]+|E[?][0-9]+)$/) { bad = "bad step \"" $i "\" (want name=ERRNAME)"; break }
			if (bad == "" && ($1 in seen)) bad = "case " $1 " listed twice (first on line " seen[$1] ")"
			if (bad != "") { printf "%s:%d: %s\n", file, NR, bad > "/dev/stderr"; rc = 2; next }
			seen[$1] = NR
			cell = $2
			for (i = 3; i <= NF; i++) cell = cell " " $i
			printf "%s\t%s\t%d\n", $1, cell, NR
		}
		END { exit rc }' "$1" | LC_ALL=C sort -t$'\t' -k1,1
	return "${PIPESTATUS[0]}"
}

exp_series() {
	sed -E 's/^([0-9]+\.[0-9]+).*/\1/' <<<"$1"
}

exp_where() {
	local begin arch
	begin=$(tr -d '\r' <"$1" | grep -a -m1 '^IOMMULAB-BEGIN ' | sed 's/^IOMMULAB-BEGIN //')
	[ -n "$begin" ] || return 1
	arch=$(jq -r .arch <<<"$begin" | sed 's/^aarch64$/arm64/')
	echo "$arch $(exp_series "$(jq -r .kernel <<<"$begin")") $(jq -r .target <<<"$begin")"
}

# exp_findings FILE: "LINENO<TAB>ID<TAB>VERDICT<TAB>FINDINGS" for every case
# line, FINDINGS the "# finding FN" ids of the comment block above it
# (space-separated, empty when none)
exp_findings() {
	awk '
		/^[ \t]*#/ {
			if (match($0, /^[ \t]*# finding F[0-9]+[a-z]?/)) {
				s = substr($0, RSTART, RLENGTH); sub(/.*# finding /, "", s)
				fids = fids (fids == "" ? "" : " ") s
			}
			next
		}
		/^[ \t]*$/ { fids = ""; next }
		{ printf "%d\t%s\t%s\t%s\n", NR, $1, $3, fids; fids = "" }' "$1"
}
