#!/usr/bin/env bash
# cidr_diff.sh - am_cidrtable against real Postfix on random cidr tables.
#
# For several fixed seeds, tests/tools/cidr_gen.py writes a table of a few
# thousand rules (valid, invalid, nested, badly indented) and thousands of
# keys biased to network boundaries.  Every answer of
# `postmap -q - cidr:FILE` must equal build/tests/tools/cidrq's, and the
# warnings must agree: same lines, same kinds, and for non-canonical
# networks the same suggested network.  SEEDS overrides the seed list.
set -u
: "${SRCDIR:?}" "${BUILD:?}"
CIDRQ=$SRCDIR/$BUILD/tests/tools/cidrq
GEN=$SRCDIR/tests/tools/cidr_gen.py

command -v postmap >/dev/null || { echo "postmap not installed"; exit 77; }
command -v python3 >/dev/null || { echo "python3 not installed"; exit 77; }
[ -x "$CIDRQ" ] || { echo "missing $CIDRQ (run make tests)"; exit 1; }

conf=$PWD/conf
mkdir -p "$conf"
echo 'compatibility_level = 3.6' > "$conf/main.cf"

# Postfix's warning text -> "LINE ID [SUGGESTION]", as cidrq reports them.
postfix_warnings() {
    sed -n 's/^postmap: warning: //p' "$1" | awk '
    {
        line = "-"
        if (match($0, /^cidr map [^,]*, line [0-9]+: /)) {
            head = substr($0, 1, RLENGTH)
            sub(/.*, line /, "", head); sub(/: $/, "", head)
            line = head
            $0 = substr($0, RLENGTH + 1)
        }
        id = "UNKNOWN[" $0 "]"; extra = ""
        if ($0 ~ /logical line must not start with whitespace/) {
            id = "leading-whitespace"; line = "-"
        }
        else if ($0 ~ /^non-null host address bits/) {
            id = "host-bits"
            s = $0; sub(/.*perhaps you should use "/, "", s)
            sub(/" instead.*/, "", s); extra = " " s
        }
        else if ($0 ~ /^bad mask length/) id = "mask-too-long"
        else if ($0 ~ /^bad mask value/) id = "bad-mask"
        else if ($0 ~ /^bad network value/) id = "bad-network"
        else if ($0 ~ /^bad address pattern/) id = "bad-address"
        else if ($0 ~ /^missing .\]. character/) id = "missing-bracket"
        else if ($0 ~ /^garbage after "\[/) id = "text-after-bracket"
        else if ($0 ~ /^no address pattern/) id = "no-pattern"
        else if ($0 ~ /^no lookup result/) id = "no-result"
        else if ($0 ~ /^ENDIF without IF/) id = "endif-without-if"
        else if ($0 ~ /^garbage after ENDIF/) id = "text-after-endif"
        else if ($0 ~ /^IF has no matching ENDIF/) id = "if-without-endif"
        print line " " id extra
    }'
}

# cidrq's diagnostics in the same shape; the extra lint warnings
# (mask-wraps, nul-byte) have no Postfix counterpart and are dropped.
our_warnings() {
    awk -F '\t' '
    $1 == "warning" && $3 != "mask-wraps" && $3 != "nul-byte" {
        line = $2; extra = ""
        if ($3 == "leading-whitespace") line = "-"
        if ($3 == "host-bits") {
            s = $4; sub(/.*; use "/, "", s); sub(/".*/, "", s); extra = " " s
        }
        print line " " $3 extra
    }' "$1"
}

# Odd seeds: big tables; even seeds: small ones, where most rules answer.
seeds=${SEEDS:-"1 2 3 4 5 6 7 8"}
fail=0 total_keys=0 total_found=0 total_warn=0
for seed in $seeds; do
    nrules=$(( seed % 2 ? 2500 : 300 ))
    python3 "$GEN" "$seed" $nrules 4000 t$seed.cidr keys$seed || exit 1
    postmap -c "$conf" -q - cidr:t$seed.cidr < keys$seed \
        > pf$seed.out 2> pf$seed.err
    rc=$?
    if [ $rc -gt 1 ] || grep -q 'fatal' pf$seed.err; then
        echo "seed $seed: postmap failed (exit $rc):"; head -5 pf$seed.err
        exit 1
    fi
    "$CIDRQ" t$seed.cidr < keys$seed > am$seed.out 2> am$seed.err || {
        echo "seed $seed: cidrq failed"; cat am$seed.err; exit 1; }
    if ! cmp -s pf$seed.out am$seed.out; then
        echo "seed $seed: answers differ (< postmap, > cidrq):"
        diff pf$seed.out am$seed.out | head -20
        fail=1
    fi
    postfix_warnings pf$seed.err > pfw$seed
    our_warnings am$seed.err > amw$seed
    if ! cmp -s pfw$seed amw$seed; then
        echo "seed $seed: warnings differ (< postmap, > cidrq):"
        diff pfw$seed amw$seed | head -20
        fail=1
    fi
    if grep -q UNKNOWN pfw$seed; then
        echo "seed $seed: unrecognised Postfix warning:"; grep UNKNOWN pfw$seed
        fail=1
    fi
    n=$(wc -l < keys$seed); f=$(wc -l < pf$seed.out); w=$(wc -l < pfw$seed)
    total_keys=$((total_keys + n)) total_found=$((total_found + f))
    total_warn=$((total_warn + w))
    echo "seed $seed: $nrules rules, $n keys, $f found, $w warnings"
done
# The comparison is only worth something if both sides had work to do.
if [ "$total_found" -lt $((total_keys / 4)) ] || [ "$total_warn" -lt 100 ]; then
    echo "too few answers ($total_found) or warnings ($total_warn) to compare"
    fail=1
fi
[ $fail = 0 ] && echo "all $total_keys answers and $total_warn warnings agree"
exit $fail
