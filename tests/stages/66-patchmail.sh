#!/usr/bin/env bash
# 66-patchmail - a patch check's report as a reply a maintainer can send
# (issue 18.3), against a real iommulabd (own state dir, real SQLite,
# --no-scheduler: the jobs' runs are simulated, their results go in through
# POST /results as a runner's would) and real mail tools:
#
# 1. A v2 series as `b4 am` writes it (cover letter [PATCH v2 0/1] to the
#    author's To/Cc, the patch threaded under it: the test patch that makes
#    intel-iommu return -ENODEV on a snoop mismatch) is submitted on
#    debian-6.12; the candidate's vtd_no_snoop gives ENODEV against its
#    EINVAL contract: the check fails. `iommulab patch mail` drafts the
#    reply: `git mailinfo` parses it (author, subject, the Reported-by
#    trailer and the per-driver results in the body); Python's email parser
#    sees In-Reply-To/References = the cover letter's Message-ID, Subject
#    "Re: [PATCH v2 0/1] ...", To the author, Cc the series' To/Cc plus what
#    the tree's scripts/get_maintainer.pl names for drivers/iommu/intel
#    (the VT-d maintainer and the iommu list, from Debian's linux-source-6.12
#    unpacked by kernels/build); b4 (Debian's) reads the series and the reply
#    from one mbox and applies the reply's trailer to the patch.
# 2. The same patch as a directory series without a cover letter, every
#    case passing: the reply answers the patch itself with Tested-by.
# 3. A check still running has no reply (409); a bad --from is refused (400).
# 4. base-commit (issue 18.3): a git tree made here (t.c "1", then "2") and a
#    series from `git format-patch --base` on the older commit ("1" -> "3",
#    so it applies there only). Submitted against the tree, both kernels
#    are registered at the base commit (tree=PATH@SHA), and kernels/build
#    with the candidate's recipe applies the series there and not on HEAD
#    (exit 4). A base-commit the tree lacks is a 400 at submission (an
#    input error, no plan), not a build failure.
# get_maintainer's part is skipped when the unpacked tree is missing; b4's
# when Debian's b4 is not installed and cannot be (not root).
set -uo pipefail
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export CACHE=${CACHE:-$HOME/.cache/iommulab}
export O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/66-patchmail
rm -rf "$out"
mkdir -p "$out"
. "$top/tests/lib-server.sh"
unset IOMMULAB_SERVER IOMMULAB_TOKEN
for t in jq sqlite3 git python3; do
	command -v $t >/dev/null || { lab_skip "patchmail" "$t missing"; lab_done; exit $?; }
done
# Debian's b4 (scripts/deps/server.txt): installed here when missing, as root
if ! command -v b4 >/dev/null && [ "$(id -u)" = 0 ]; then
	"$top/scripts/install-deps" server >"$out/deps.log" 2>&1 || tail -5 "$out/deps.log"
fi
trap 'lab_srv_stop' EXIT
lab_srv_fixture "$out"
# the fixture's targets are q35-a/q35-b; the series runs on q35-a
db=$out/state/iommulab.db
cli=$LAB_CLI_BIN
export IOMMULAB_SERVER=$LAB_URL IOMMULAB_TOKEN=$LAB_TOKEN
sql() { sqlite3 -cmd '.timeout 10000' "$db" "$@"; }
patch=$top/kernels/patches/0001-iommu-vt-d-enodev-on-snoop-mismatch.patch
cover_id='<20261203.cover-v2-0-aa11@example.org>'
patch_id='<20261203.v2-1-aa11@example.org>'

# ---- the series, as b4 am writes it ---------------------------------------------
{
	cat <<EOF
From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001
From: Ada Author <ada@example.org>
Date: Thu, 03 Dec 2026 10:00:00 +0000
Subject: [PATCH v2 0/1] iommu/vt-d: -ENODEV for a snoop-control mismatch
Message-ID: $cover_id
To: iommu@lists.linux.dev
Cc: Rex Reviewer <rex@example.org>,
 "Quoted, Name" <quoted@example.org>

This series makes intel-iommu's attach return -ENODEV instead of -EINVAL
when the domain enforces coherency and the unit lacks snoop control.

Ada Author (1):
  iommu/vt-d: return -ENODEV for a snoop-control mismatch on attach

EOF
	sed -e "1,/^Subject:/{/^Subject:/i Message-ID: $patch_id\\
In-Reply-To: $cover_id\\
References: $cover_id\\
To: iommu@lists.linux.dev
}" -e 's/^From: iommulab <iommulab@localhost>/From: Ada Author <ada@example.org>/' \
		-e 's/^Subject: \[PATCH\]/Subject: [PATCH v2 1\/1]/' "$patch" |
		# one Subject line: b4 0.12 cannot carry a folded Subject into its output
		perl -0pe 's/^(Subject: [^\n]*)\n (\S)/$1 $2/m'
} >"$out/series.mbox"

submit() { # submit BODY-JSON -> plan id
	curl -fsS -H "Authorization: Bearer $LAB_TOKEN" -H 'Content-Type: application/json' \
		--data-binary @- "$LAB_URL/api/v1/patches" | jq -r .id
}
# finish PLAN OBS : each job of the plan runs; the candidate observes OBS for vtd_no_snoop
finish() {
	local plan=$1 obs=$2 job kernel v o
	for job in $(sql "SELECT id FROM jobs WHERE plan_id = $plan"); do
		kernel=$(sql "SELECT k.name FROM jobs j JOIN kernels k ON k.id = j.kernel_id WHERE j.id = $job")
		sql "UPDATE jobs SET state = 2, attempts = 1 WHERE id = $job"
		o=22 v=pass
		case $kernel in patch-*) o=$obs; [ "$obs" = 22 ] || v=fail ;; esac
		jq -nc --argjson j "$job" --arg k "$kernel" --argjson o "$o" --arg v "$v" '{job: $j, complete: true,
			records: [{v: 1, id: "kmod.coherency.vtd_no_snoop", target: "q35-a", kernel: $k,
			  arch: "x86_64", driver: "intel-iommu", iommu: "dmar0", steps: [], observed: $o,
			  expected: 22, contract: ">=6.2: EINVAL", verdict: $v, reused: null,
			  verified: "core", duration_us: 1, repeat: 0},
			 {v: 1, id: "kmod.attach.one", target: "q35-a", kernel: $k, arch: "x86_64",
			  driver: "intel-iommu", iommu: "dmar0", steps: [], observed: 0, expected: 0,
			  contract: "any: OK", verdict: "pass", reused: null, verified: "core",
			  duration_us: 1, repeat: 0}]}' |
			curl -fsS -H "Authorization: Bearer $LAB_TOKEN" -H 'Content-Type: application/json' \
				--data-binary @- "$LAB_URL/api/v1/results" >/dev/null || return 1
	done
}
# hdr FILE NAME : one header of a mail, by Python's email parser
hdr() { python3 -c 'import email, sys; m = email.message_from_binary_file(open(sys.argv[1], "rb")); print(m.get(sys.argv[2], ""))' "$1" "$2"; }

plan=$(jq -n --rawfile s "$out/series.mbox" '{base: "debian-6.12", series: $s, targets: ["q35-a"]}' | submit)
[ -n "$plan" ] && [ "$plan" != null ] || { lab_fail "submit the series"; lab_done; exit 1; }

# ---- 3. still running: no reply yet ----------------------------------------------------
if ! "$cli" patch mail "$plan" >"$out/pending.out" 2>"$out/pending.err" &&
   grep -q "HTTP 409" "$out/pending.err" && grep -q "still running" "$out/pending.err"; then
	lab_ok "a check still running has no reply (409, 'still running')"
else
	lab_fail "pending -> 409" "$(cat "$out/pending.err")"
fi

# ---- 1. a failing check: Reported-by, threaded under the cover letter ----------------------
finish "$plan" 19
eml=$out/reply.eml
if "$cli" patch mail "$plan" --from 'Lab Bot <lab@example.org>' -o "$eml" 2>"$out/mail.err"; then
	lab_ok "patch mail $plan drafted $eml ($(wc -l <"$eml") lines)"
else
	lab_fail "patch mail" "$(cat "$out/mail.err")"
fi
sed 's/^/# /' "$eml" | head -60
(cd "$out" && git mailinfo mi.msg mi.patch <"$eml" >mi.info 2>mi.err)
if grep -q "^Author: Lab Bot$" "$out/mi.info" && grep -q "^Email: lab@example.org$" "$out/mi.info" &&
   grep -q "^Subject: iommu/vt-d: -ENODEV for a snoop-control mismatch$" "$out/mi.info" &&
   grep -q "^Reported-by: Lab Bot <lab@example.org>$" "$out/mi.msg" &&
   grep -q "kmod.coherency.vtd_no_snoop .*EINVAL/pass -> ENODEV/fail" "$out/mi.msg" &&
   grep -q "iommulab reproduce " "$out/mi.msg"; then
	lab_ok "git mailinfo parses it: author, subject, the Reported-by trailer, the violation row, the reproduction"
else
	lab_fail "git mailinfo" "$(cat "$out/mi.info" "$out/mi.err"; head -5 "$out/mi.msg")"
fi
cc=$(hdr "$eml" Cc)
if [ "$(hdr "$eml" In-Reply-To)" = "$cover_id" ] &&
   [ "$(hdr "$eml" References)" = "$cover_id" ] &&
   [ "$(hdr "$eml" Subject)" = "Re: [PATCH v2 0/1] iommu/vt-d: -ENODEV for a snoop-control mismatch" ] &&
   [ "$(hdr "$eml" To)" = "Ada Author <ada@example.org>" ] &&
   grep -q 'Rex Reviewer <rex@example.org>' <<<"$cc" &&
   grep -q '"Quoted, Name" <quoted@example.org>' <<<"$cc" &&
   [ "$(grep -o 'iommu@lists.linux.dev' <<<"$cc" | wc -l)" = 1 ]; then
	lab_ok "headers (Python's email parser): In-Reply-To/References the cover letter, Re: subject, To the author, Cc its To/Cc once each"
else
	lab_fail "headers" "irt=$(hdr "$eml" In-Reply-To) subj=$(hdr "$eml" Subject) to=$(hdr "$eml" To) cc=$cc"
fi
if ls "$CACHE"/src/debian-6.12-*/scripts/get_maintainer.pl >/dev/null 2>&1; then
	if grep -q 'baolu.lu@linux.intel.com' <<<"$cc"; then
		lab_ok "Cc has the tree's get_maintainer.pl answer for drivers/iommu/intel (Lu Baolu)"
	else
		lab_fail "get_maintainer Cc" "$cc"
	fi
else
	lab_skip "get_maintainer Cc" "no debian-6.12 tree unpacked under $CACHE/src (stage 60/65 unpack it)"
fi
if command -v b4 >/dev/null; then
	cat "$out/series.mbox" >"$out/thread.mbox"
	printf 'From lab@example.org Thu Dec  3 12:00:00 2026\n' >>"$out/thread.mbox"
	cat "$eml" >>"$out/thread.mbox"
	rm -rf "$out/b4"
	mkdir -p "$out/b4"
	# b4 wants a git identity; -t: trailers sent to the cover letter go to every patch
	printf '[user]\n\tname = Maint Ainer\n\temail = maint@example.org\n' >"$out/b4/.gitconfig"
	(cd "$out/b4" && HOME=$out/b4 b4 --offline-mode am -t -m "$out/thread.mbox" -o . \
		"${cover_id//[<>]/}" >../b4.out 2>&1)
	am=$(ls "$out"/b4/*.mbx 2>/dev/null | head -1)
	if [ -n "$am" ] && grep -q "^Reported-by: Lab Bot <lab@example.org>$" "$am"; then
		lab_ok "b4 $(b4 --version) threads the reply under the series and applies its Reported-by to the patch"
	else
		lab_fail "b4 am" "$(tail -15 "$out/b4.out")"
	fi
else
	lab_skip "b4 am" "b4 not installed (apt-get install b4)"
fi

# ---- 2. a passing check, a directory series: Tested-by on the patch itself ------------------
plan2=$(jq -n --rawfile p "$patch" '{base: "debian-6.12", targets: ["q35-a"],
	series: [{name: "0001-snoop.patch", text: ($p | sub("Subject: \\[PATCH\\]"; "Message-ID: <solo-1@example.org>\nSubject: [PATCH]"))}]}' | submit)
finish "$plan2" 22
if "$cli" patch mail "$plan2" >"$out/reply2.eml" 2>"$out/mail2.err" &&
   [ "$(hdr "$out/reply2.eml" In-Reply-To)" = "<solo-1@example.org>" ] &&
   [[ "$(hdr "$out/reply2.eml" Subject)" == "Re: [PATCH] iommu/vt-d: return -ENODEV"* ]] &&
   (cd "$out" && git mailinfo m2.msg m2.patch <reply2.eml >m2.info) &&
   grep -q "^Tested-by: iommulab <iommulab@localhost>$" "$out/m2.msg" &&
   ! grep -q "Reported-by" "$out/m2.msg"; then
	lab_ok "a passing check (directory series, no cover letter): reply to the patch, Tested-by"
else
	lab_fail "passing check" "$(cat "$out/mail2.err"; head -20 "$out/reply2.eml")"
fi

# ---- 3. bad input -----------------------------------------------------------------------------
code=$(curl -s -o "$out/bad.json" -w '%{http_code}' "$LAB_URL/api/v1/patches/$plan?format=eml&from=x%0d%0aBcc:%20evil@x.org")
if [ "$code" = 400 ] && jq -e '.error | test("control")' "$out/bad.json" >/dev/null &&
   ! "$cli" patch mail "$plan" --from 'no address' 2>"$out/bad.err" && grep -q "HTTP 400" "$out/bad.err"; then
	lab_ok "a From with CR/LF (header injection) or without an address -> 400"
else
	lab_fail "bad from" "$code $(cat "$out/bad.json")"
fi
# ---- 4. base-commit: the series goes on the commit it names -------------------------------
# a git tree of two commits: t.c says 1, then 2; the series (git format-patch --base, so
# a "base-commit:" line after the patch) turns 1 into 3: it applies to the older commit only
tree=$out/tree
rm -rf "$tree"
mkdir -p "$tree/drivers/iommu"
g() { git -C "$tree" -c user.name=T -c user.email=t@example.org "$@"; }
printf 'all:\n\t@echo toy tree: nothing to build >&2; exit 1\n' >"$tree/Makefile"
printf 'mainmenu "toy"\n' >"$tree/Kconfig"
echo 'int x = 1;' >"$tree/drivers/iommu/t.c"
g init -q -b main && g add -A && g commit -qm one
old=$(g rev-parse HEAD)
g checkout -q -b topic && echo 'int x = 3;' >"$tree/drivers/iommu/t.c" && g commit -qam "iommu: three"
g format-patch -q -1 --base="$old" --stdout >"$out/based.mbox"
g checkout -q main && echo 'int x = 2;' >"$tree/drivers/iommu/t.c" && g commit -qam two
g branch -q -D topic
new=$(g rev-parse HEAD)
grep -q "^base-commit: $old$" "$out/based.mbox" || lab_fail "format-patch --base wrote the line" "$(tail -5 "$out/based.mbox")"
nplans=$(sql "SELECT count(*) FROM plans")
plan3=$(jq -n --arg t "$tree" --rawfile s "$out/based.mbox" '{base: $t, series: $s, targets: ["q35-a"]}' | submit)
spec=$(sql "SELECT json_extract(spec, '$.patch') FROM plans WHERE id = ${plan3:-0}")
head_ref=$(sql "SELECT source_ref FROM kernels WHERE name = '$(jq -r .head <<<"${spec:-null}")'")
base_ref=$(sql "SELECT source_ref FROM kernels WHERE name = '$(jq -r .base <<<"${spec:-null}")'")
if [ -n "$spec" ] && jq -e --arg c "$old" '.base_commit == $c and .base_commit_applied == true' <<<"$spec" >/dev/null &&
   [[ "$head_ref" == "tree=$tree@$old;patches="* ]] && [ "$base_ref" = "tree=$tree@$old" ]; then
	lab_ok "base-commit honoured: submitted against $tree (HEAD ${new:0:12}), both kernels are built from its base commit ${old:0:12}"
else
	lab_fail "base-commit honoured" "spec=$spec head=$head_ref base=$base_ref"
fi
# what the candidate's preparation runs (kernels/build with the recipe's tree and series):
# the series applies on the base commit and not on the tree's HEAD
if command -v flex >/dev/null && command -v bison >/dev/null && command -v bc >/dev/null &&
   command -v gcc >/dev/null; then
	series=${head_ref#*;patches=}
	CACHE=$out/kcache "$top/kernels/build" --no-ccache --tree "$tree@$old" --patches "$series" \
		>/dev/null 2>"$out/kb-old.err"
	rc_old=$?
	CACHE=$out/kcache "$top/kernels/build" --no-ccache --tree "$tree" --patches "$series" \
		>/dev/null 2>"$out/kb-head.err"
	rc_head=$?
	if [ "$rc_old" != 4 ] && grep -q "applied patch 1/1" "$out/kb-old.err" &&
	   [ "$rc_head" = 4 ] && grep -q "does not apply" "$out/kb-head.err"; then
		lab_ok "kernels/build with the recipe: the series applies on ${old:0:12} (then the toy tree stops: exit $rc_old), not on HEAD (exit 4)"
	else
		lab_fail "kernels/build on the base commit" "old: $rc_old $(tail -3 "$out/kb-old.err"); head: $rc_head $(tail -3 "$out/kb-head.err")"
	fi
else
	lab_skip "kernels/build on the base commit" "flex, bison, bc or gcc missing (scripts/install-deps kbuild)"
fi
sed "s/^base-commit: .*/base-commit: 0123456789abcdef0123456789abcdef01234567/" "$out/based.mbox" >"$out/unknown.mbox"
code=$(jq -n --arg t "$tree" --rawfile s "$out/unknown.mbox" '{base: $t, series: $s, targets: ["q35-a"]}' |
	curl -s -o "$out/unknown.json" -w '%{http_code}' -H "Authorization: Bearer $LAB_TOKEN" \
		-H 'Content-Type: application/json' --data-binary @- "$LAB_URL/api/v1/patches")
if [ "$code" = 400 ] && jq -e '.error | test("base-commit 0123456789abcdef0123456789abcdef01234567 is not a commit of the tree")' \
	"$out/unknown.json" >/dev/null && [ "$(sql "SELECT count(*) FROM plans")" = $((nplans + 1)) ]; then
	lab_ok "a base-commit the tree lacks is an input error at submission (400: $(jq -r .error "$out/unknown.json" | cut -c1-80)...), no plan"
else
	lab_fail "unknown base-commit" "$code $(cat "$out/unknown.json")"
fi
lab_done
