# cli.sh - small helpers for the shell tests in tests/cli and
# tests/reliability: run a command capturing status, stdout and stderr,
# and assertions that print what differed.  Source it; every assertion
# failure is counted and the script ends with `finish`.
: "${ACCESSMAP:?}"
A=$ACCESSMAP
failures=0
checks=0

# Private Postfix configuration for this test (never /etc/postfix).
mkdir -p cf
printf 'compatibility_level = 3.6\n' > cf/main.cf

# run CMD...: sets $rc, and files out/err.
run() {
    "$@" >out 2>err
    rc=$?
}

fail() {
    failures=$((failures + 1))
    echo "FAIL: $*"
    [ -f err ] && sed 's/^/  stderr: /' err | head -n 8
}

expect_rc() {           # expect_rc WANT WHAT
    checks=$((checks + 1))
    [ "$rc" = "$1" ] || fail "$2: exit $rc, want $1"
}

expect_out() {          # expect_out TEXT WHAT  (stdout exactly TEXT + newline)
    checks=$((checks + 1))
    [ "$(cat out)" = "$1" ] || fail "$2: stdout '$(cat out)', want '$1'"
}

expect_err() {          # expect_err EXTENDED-REGEX WHAT
    checks=$((checks + 1))
    grep -Eq -- "$1" err || fail "$2: stderr does not match /$1/"
}

expect_no_err() {       # expect_no_err EXTENDED-REGEX WHAT
    checks=$((checks + 1))
    ! grep -Eq -- "$1" err || fail "$2: stderr matches /$1/"
}

expect_same_file() {    # expect_same_file A B WHAT
    checks=$((checks + 1))
    cmp -s "$1" "$2" || fail "$3: $1 and $2 differ"
}

# No temporary file left in DIR: only the names given may exist.
expect_only_files() {   # expect_only_files DIR NAME...
    local dir=$1 f extra=
    shift
    checks=$((checks + 1))
    for f in $(ls -A "$dir"); do
        case " $* " in *" $f "*) ;; *) extra="$extra $f" ;; esac
    done
    [ -z "$extra" ] || fail "files left in $dir:$extra"
}

# as_nobody ARGS...: run accessmap ARGS as nobody (uid 65534).  The
# checkout may sit where nobody cannot enter (/root on a fresh machine),
# so a copy of the binary in a world-readable directory runs.
NOBODY_BIN=
as_nobody() {
    local a
    if [ -z "$NOBODY_BIN" ]; then
        NOBODY_BIN=$(mktemp -d /tmp/accessmap-bin.XXXXXX) || return 1
        cp "${ACCESSMAP_BIN:-$A}" "$NOBODY_BIN/accessmap"
        cp "$SRCDIR/tests/valgrind-wrap" "$SRCDIR/tests/valgrind.supp" "$NOBODY_BIN/"
        chmod -R a+rX "$NOBODY_BIN"
    fi
    a=$NOBODY_BIN/accessmap
    [ "${VALGRIND:-}" = 1 ] && a=$NOBODY_BIN/valgrind-wrap
    setpriv --reuid=65534 --regid=65534 --clear-groups \
        env TMPDIR=/tmp ACCESSMAP_BIN="$NOBODY_BIN/accessmap" "$a" "$@"
}

finish() {
    [ -z "$NOBODY_BIN" ] || rm -rf "$NOBODY_BIN"
    echo "$checks checks, $failures failures"
    [ "$failures" = 0 ]
    exit
}
