#!/usr/bin/env bash
# fuzz_replay.sh - replay the fuzz seed corpus and every past crash input.
#
# Each tests/fuzz/fuzz_NAME.c is built by `make tests` with a plain main
# (tests/fuzz/replay_main.c) into $BUILD/tests/fuzz/fuzz_NAME, so this
# needs neither clang nor libFuzzer and runs under SANITIZE=1 (the build
# is sanitized) and VALGRIND=1 (each replay runs under memcheck).  Inputs:
# tests/fuzz/corpus/NAME (seeds) and tests/fuzz/crashes/NAME (inputs that
# once crashed or failed a property; each must now pass).
set -u
cd "$SRCDIR" || exit 1
# libdb's verifier leaks on the damaged files replayed here (lsan.supp).
export LSAN_OPTIONS=suppressions=$SRCDIR/tests/fuzz/lsan.supp:print_suppressions=0
status=0 count=0
for src in tests/fuzz/fuzz_*.c; do
    n=${src##*/fuzz_}; n=${n%.c}
    bin=$BUILD/tests/fuzz/fuzz_$n
    [ -x "$bin" ] || { echo "missing $bin (run make tests)"; exit 1; }
    dirs=()
    for d in tests/fuzz/corpus/$n tests/fuzz/crashes/$n; do
        [ -d "$d" ] && dirs+=("$d")
    done
    if [ ${#dirs[@]} = 0 ]; then
        echo "fuzz_$n: no seed corpus in tests/fuzz/corpus/$n"
        status=1
        continue
    fi
    wrap=()
    if [ "${VALGRIND:-}" = 1 ]; then
        wrap=(valgrind -q --error-exitcode=99 --leak-check=full
              --errors-for-leak-kinds=definite,indirect
              --suppressions=tests/valgrind.supp)
    fi
    if ! out=$(TMPDIR=$TMPDIR "${wrap[@]}" "$bin" "${dirs[@]}" 2>&1); then
        echo "FAIL fuzz_$n:"
        echo "$out" | tail -n 30
        status=1
        continue
    fi
    echo "$out" | tail -n 1
    count=$((count + 1))
done
echo "replayed $count harnesses"
exit $status
