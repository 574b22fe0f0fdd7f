#ifndef SWAMP_CMALLOC_SHIM_H
#define SWAMP_CMALLOC_SHIM_H

// glibc's malloc tuning (mallopt, malloc_trim), which Swift's Glibc module
// does not export. Elsewhere the calls do nothing.
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif

static inline void swamp_malloc_limit_arenas(int count) {
#if defined(__GLIBC__) && defined(M_ARENA_MAX)
    mallopt(M_ARENA_MAX, count);
#else
    (void)count;
#endif
}

static inline void swamp_malloc_trim(void) {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

#endif
