/* fuzz.h - what the fuzz harnesses in tests/fuzz share.
 *
 * Each fuzz_NAME.c defines LLVMFuzzerTestOneInput() for one parser or
 * decoder.  It is linked either with libFuzzer (make fuzz, clang) or with
 * replay_main.c (make check: any compiler, sanitizers, valgrind), so it
 * must not depend on libFuzzer.  A harness checks properties that must hold
 * for every input and calls fuzz_fail() when one does not: a crash is a
 * finding just like a sanitizer report.
 */
#ifndef AM_TESTS_FUZZ_H
#define AM_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define fuzz_fail(what) \
    do { \
        fprintf(stderr, "%s:%d: property failed: %s\n", __FILE__, __LINE__, \
                what); \
        abort(); \
    } while (0)

#define fuzz_assert(cond) \
    do { \
        if (!(cond)) \
            fuzz_fail(#cond); \
    } while (0)

#endif
