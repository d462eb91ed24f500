#!/usr/bin/env bash
# symbols.sh - the libraries export only accessmap's own names.
#
# A program linking libamformats.a and libamengine.a (the CLI, the server,
# anyone embedding them) must not meet a global symbol of ours that could
# clash with its own or another library's: every defined global symbol
# starts with "am_".  Helpers private to one file are static; helpers
# shared between files of one library still carry the prefix.
# The one exception is names starting with "__": the C implementation
# reserves them, and sanitizer builds define some (__odr_asan_gen_...).
set -u
cd "$SRCDIR" || exit 1
status=0
for lib in "$BUILD/libamformats.a" "$BUILD/libamengine.a"; do
    [ -f "$lib" ] || { echo "missing $lib (run make)"; exit 1; }
    syms=$(nm -g --defined-only "$lib") || { echo "nm failed on $lib"; exit 1; }
    total=$(echo "$syms" | awk 'NF == 3' | wc -l)
    # "object.o:" headers and "ADDR TYPE NAME" lines; report NAME (object).
    bad=$(echo "$syms" | awk '
        /:$/ { obj = $1; sub(":$", "", obj); next }
        NF == 3 && $3 !~ /^am_/ && $3 !~ /^__/ { print "  " $3 " (" obj ", type " $2 ")" }')
    if [ "$total" = 0 ]; then
        echo "$lib: no exported symbols found; is nm working?"
        status=1
    elif [ -n "$bad" ]; then
        echo "$lib: symbols without the am_ prefix:"
        echo "$bad"
        status=1
    else
        echo "$lib: $total exported symbols, all am_"
    fi
done
exit $status
