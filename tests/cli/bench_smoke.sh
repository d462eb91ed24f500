#!/usr/bin/env bash
# bench_smoke.sh - `make bench` in its tiny mode: keeps the benchmark from
# rotting.  Runs bench/run with BENCH_TINY=1 (seconds) into a private
# results directory and checks that the report has every section and that
# the raw results are complete and agree where answers must agree.  No
# assertion about time.
set -u
fail() { echo "FAIL: $*"; exit 1; }
for p in loadgen bench_engine bench_netindex lmdb_load; do
    [ -x "$SRCDIR/$BUILD/bench/$p" ] || fail "$BUILD/bench/$p not built"
done
res=$PWD/results
BENCH_TINY=1 BENCH_RESULTS=$res BUILD=$BUILD bash "$SRCDIR/bench/run" \
    > bench.log 2>&1
rc=$?
[ $rc = 0 ] || { tail -20 bench.log; fail "bench/run exited $rc"; }
report=$res/REPORT.md
[ -s "$report" ] || fail "no REPORT.md"
for section in "## Machine" "## Compile" "## Batch exact lookups" \
        "## In-process engine lookups" "## Address index" "## cidr tables" \
        "## Server" "## Commands"; do
    grep -qF "$section" "$report" || fail "report lacks '$section'"
done
grep -q '^| CPUs (nproc) | [0-9]' "$report" || fail "no machine description"
# Every table type was compiled by accessmap, and its output is not empty.
for t in hash btree lmdb cdb; do
    awk -F'\t' -v t=$t '$2 == t && $3 == "accessmap" && $9 > 0 { ok = 1 }
        END { exit !ok }' "$res/compile.tsv" || fail "no accessmap $t compile row"
done
# Both contenders find the same keys in the same table.
if command -v postmap >/dev/null; then
    awk -F'\t' 'NR > 1 { f[$2 "\t" $3] = $6 }
        END { n = 0
              for (k in f) { split(k, a, "\t")
                  if (a[2] == "accessmap") { n++
                      if (f[a[1] "\tpostmap"] != f[k]) {
                          print "found differs for " a[1]; exit 1 } } }
              exit n != 4 }' "$res/lookup.tsv" || fail "lookup results differ"
fi
# The load generator measured redis (when installed) without errors.
if command -v redis-server >/dev/null; then
    awk -F'\t' '$1 == "redis" && $9 > 0 && $13 == 0 { ok = 1 }
        END { exit !ok }' "$res/server.tsv" || fail "no clean redis row"
fi
grep -q "rps ratio vs redis\|server not built" "$report" || fail "no server table or status"
exit 0
