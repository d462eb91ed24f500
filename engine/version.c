/* version.c - the engine library's version string. */
#include "engine/version.h"

const char *
am_engine_version(void)
{
    return "0.1";
}
