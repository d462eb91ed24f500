#!/usr/bin/env bash
# bench/netindex.sh - build and run bench/bench_netindex.c.
#
#   bash bench/netindex.sh [-q] [-n KEYS] [-k POSTMAP_KEYS]
#
# Builds the libraries (BUILD, default build), compiles the benchmark
# against them, and runs it with the postmap comparison in a private
# Postfix configuration directory.  Not part of `make check`: it asserts
# nothing and takes about a minute (-q: about ten seconds).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CC=${CC:-cc}
make --no-print-directory BUILD="$BUILD" "$BUILD/libamengine.a" \
    "$BUILD/libamformats.a" >/dev/null
mkdir -p "$BUILD/bench"
$CC -std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -I. \
    -o "$BUILD/bench/bench_netindex" bench/bench_netindex.c \
    "$BUILD/libamengine.a" "$BUILD/libamformats.a"
conf=$(mktemp -d "${TMPDIR:-/tmp}/bench-netindex-conf.XXXXXX")
trap 'rm -rf "$conf"' EXIT
echo 'compatibility_level = 3.6' > "$conf/main.cf"
if command -v postmap >/dev/null; then
    "$BUILD/bench/bench_netindex" -p -c "$conf" "$@"
else
    echo "postmap not installed: no comparison with Postfix"
    "$BUILD/bench/bench_netindex" "$@"
fi
