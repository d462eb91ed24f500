/* fuzz_store_cdb.c - a hostile or truncated cdb table must give an error,
 * not a crash (see store_fuzz.h).
 */
#include "tests/fuzz/store_fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return store_fuzz(AM_STORE_CDB, data, size);
}
