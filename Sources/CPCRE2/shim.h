#ifndef SWAMP_CPCRE2_SHIM_H
#define SWAMP_CPCRE2_SHIM_H
// 8-bit code units: rules match UTF-8 octets, as SpamAssassin's qr//aa does.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>

// PCRE2_ZERO_TERMINATED and friends are macros Swift cannot see.
static inline size_t swamp_pcre2_unset(void) { return PCRE2_UNSET; }

// A compiled pattern whose machine code (JIT) is made on demand: once it
// has been searched `threshold` times and in at least 1 % of the scans
// since it was compiled. Most of SpamAssassin's rules are searched rarely
// (their required strings seldom occur), and JIT code costs several KiB a
// pattern, about 11 MiB for the stock rules; PCRE2's interpreter is slower
// per search, but for a rule searched in under 1 % of messages that costs
// next to nothing, and the memory is never spent, however long the daemon
// runs.
//
// Searches run on many threads at once and must never see a code object
// while JIT compilation writes to it, so the JIT version is a copy, compiled
// by the one thread that claims it (jit_state 1 -> 2) and then published
// with release/acquire ordering; until then everyone uses `base`.
typedef struct {
    pcre2_code_8 *base;
    pcre2_code_8 *jitted;   // atomic: NULL until published
    long searches;          // atomic
    long born;              // the scan count when compiled
    int jit_state;          // atomic: 0 never (or JIT failed), 1 allowed, 2 compiling or done
} swamp_regex;

// The JIT version now, compiled by the one thread that claims it: for
// `swamp_regex_code` once the count is reached, and whatever the count for
// a search the interpreter gave up on at one of its limits (depth, heap,
// match count), which JIT code, with its own stack, may well finish, so
// that a cold and a warm daemon answer the same. NULL when JIT is not
// allowed, failed, or another thread is compiling it at this moment.
static inline pcre2_code_8 *swamp_regex_jit_now(swamp_regex *r) {
    pcre2_code_8 *j = __atomic_load_n(&r->jitted, __ATOMIC_ACQUIRE);
    if (j) return j;
    int expected = 1;
    if (!__atomic_compare_exchange_n(&r->jit_state, &expected, 2, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        return NULL;
    pcre2_code_8 *copy = pcre2_code_copy_8(r->base);
    if (copy && pcre2_jit_compile_8(copy, PCRE2_JIT_COMPLETE) == 0) {
        __atomic_store_n(&r->jitted, copy, __ATOMIC_RELEASE);
        return copy;
    }
    if (copy) pcre2_code_free_8(copy);
    __atomic_store_n(&r->jit_state, 0, __ATOMIC_RELAXED);
    return NULL;
}

static inline pcre2_code_8 *swamp_regex_code(swamp_regex *r, long threshold, const long *scans) {
    pcre2_code_8 *j = __atomic_load_n(&r->jitted, __ATOMIC_ACQUIRE);
    if (j) return j;
    if (__atomic_load_n(&r->jit_state, __ATOMIC_RELAXED) != 1) return r->base;
    long n = __atomic_add_fetch(&r->searches, 1, __ATOMIC_RELAXED);
    if (n < threshold || n * 100 < __atomic_load_n(scans, __ATOMIC_RELAXED) - r->born) return r->base;
    j = swamp_regex_jit_now(r);
    return j ? j : r->base;
}

static inline long swamp_counter_load(const long *c) { return __atomic_load_n(c, __ATOMIC_RELAXED); }
static inline void swamp_counter_increment(long *c) { __atomic_add_fetch(c, 1, __ATOMIC_RELAXED); }

static inline int swamp_regex_is_jit(swamp_regex *r) {
    return __atomic_load_n(&r->jitted, __ATOMIC_ACQUIRE) != NULL;
}
#endif
