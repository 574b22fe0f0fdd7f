#ifndef SWAMP_CMALLOC_SHIM_H
#define SWAMP_CMALLOC_SHIM_H

// glibc's malloc tuning (mallopt, malloc_trim), which Swift's Glibc module
// does not export. Elsewhere the calls do nothing.
#if defined(__GLIBC__) || defined(__linux__)
#include <malloc.h>
#endif
#if defined(__linux__)
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
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

// Asks the kernel to take back the resident pages of read-only file
// mappings (code, constants) that hold no private copies, with
// MADV_PAGEOUT: code run only while loading (the configuration parser, the
// rule compiler) then stops counting against the daemon, and what scans
// use is read in again on first use. MADV_PAGEOUT never discards data
// (a private page it cannot write out stays), so a mapping that changed
// since /proc/self/smaps was read (a library loaded meanwhile) or holds
// private pages swapped out is safe; mappings that are writable or hold
// private pages in memory are not even asked. Returns the bytes of the
// mappings given, or -1 when /proc/self/smaps cannot be read.
#if defined(__linux__) && !defined(MADV_PAGEOUT)
#define MADV_PAGEOUT 21
#endif
static inline long swamp_release_clean_file_pages(void) {
#if defined(__linux__)
    FILE *f = fopen("/proc/self/smaps", "re");
    if (!f) return -1;
    char line[4096];
    unsigned long start = 0, end = 0;
    int candidate = 0;
    long released = 0;
    // A mapping's header line, then "Key: value" lines; "Anonymous:" (the
    // private pages) comes before the next header.
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        char perms[8] = {0};
        int path = 0;
        if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &lo, &hi, perms, &path) == 3) {
            start = lo; end = hi;
            candidate = perms[0] == 'r' && perms[1] != 'w' && path > 0 && line[path] == '/';
            continue;
        }
        if (candidate && strncmp(line, "Anonymous:", 10) == 0) {
            unsigned long kb = 0;
            // A kernel without MADV_PAGEOUT refuses it (EINVAL): then
            // nothing happens, as for any mapping it will not page out.
            if (sscanf(line + 10, "%lu", &kb) == 1 && kb == 0 && end > start &&
                madvise((void *)start, end - start, MADV_PAGEOUT) == 0) {
                released += (long)(end - start);
            }
            candidate = 0;
        }
    }
    fclose(f);
    return released;
#else
    return 0;
#endif
}

#endif
