#!/usr/bin/env bash
# 24-mutation-ingest: the ingest half of the mutation check (issue 15.5) on
# the two real guest logs of tests/unit/data (Debian 6.1 and 6.12 on q35 +
# intel-iommu): tests/mutation-check starts a private iommulabd with the
# agent's catalogue, and POST /results must refuse a copy of the batch with
# one verdict changed and one with one observed errno changed (400, nothing
# stored) and accept the batch as the guest printed it. The matrix half
# (tests/expect/mutate) runs with the same script in the matrix stages (40,
# 45), on the logs they boot.
top=${LAB_TOP:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$top/tests/lib.sh"
export LAB_TOP=$top O=${O:-$top/build}
out=${LAB_TEST_OUT:-$top/tests/out}/mutation-ingest
mkdir -p "$out"

for log in "$top"/tests/unit/data/q35-vtd-6.1.log "$top"/tests/unit/data/q35-vtd-6.12.log; do
	name=$(basename "$log" .log)
	"$top/tests/mutation-check" "$log" >"$out/$name.log" 2>&1
	rc=$?
	sed 's/^/# /' "$out/$name.log"
	if [ "$rc" = 0 ]; then
		lab_ok "mutation check (ingest): a changed verdict and a changed errno refused, the real batch accepted ($name)"
	else
		lab_fail "mutation check (ingest) on $name" "exit $rc, see $out/$name.log"
	fi
done
lab_done
