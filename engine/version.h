/* version.h - the engine library's version string. */
#ifndef AM_ENGINE_VERSION_H
#define AM_ENGINE_VERSION_H

const char *am_engine_version(void);

#endif
