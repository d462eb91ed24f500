/* fuzz_store_lmdb.c - a hostile or truncated lmdb table must give an error,
 * not a crash (see store_fuzz.h).
 */
#include "tests/fuzz/store_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return store_fuzz(AM_STORE_LMDB, data, size);
}
