#include "csha1.h"

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <cpuid.h>
#include <immintrin.h>

int swamp_sha1_hardware(void) {
    unsigned a, b, c, d;
    // SSSE3 and SSE4.1 (leaf 1, ECX bits 9 and 19), SHA (leaf 7, EBX bit 29).
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    if (!(c & (1u << 9)) || !(c & (1u << 19))) return 0;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return (b & (1u << 29)) != 0;
}

// The message schedule four words at a time: w[k] holds words 4k..4k+3,
// the first in the highest lane. sha1rnds4 runs four rounds with E+W
// given; sha1nexte derives the next E (A of four rounds before, rotated)
// and adds the next words; sha1msg1/sha1msg2 extend the schedule:
// w[k] = msg2(msg1(w[k-4], w[k-3]) ^ w[k-2], w[k-1]).
#define SCHEDULE(k) \
    w[(k) & 3] = _mm_sha1msg2_epu32(_mm_xor_si128(_mm_sha1msg1_epu32(w[(k) & 3], w[((k) + 1) & 3]), \
                                                  w[((k) + 2) & 3]), w[((k) + 3) & 3])
#define ROUNDS(k, f) do { \
        if ((k) >= 4) SCHEDULE(k); \
        __m128i e = _mm_sha1nexte_epu32(previous, w[(k) & 3]); \
        previous = abcd; \
        abcd = _mm_sha1rnds4_epu32(abcd, e, f); \
    } while (0)

__attribute__((target("sha,sse4.1,ssse3")))
void swamp_sha1_block(uint32_t state[5], const uint8_t block[64]) {
    const __m128i reverse = _mm_set_epi64x(0x0001020304050607LL, 0x08090a0b0c0d0e0fLL);
    __m128i abcd = _mm_shuffle_epi32(_mm_loadu_si128((const __m128i *)state), 0x1B);
    __m128i e0 = _mm_set_epi32((int)state[4], 0, 0, 0);
    const __m128i abcdStart = abcd, eStart = e0;
    __m128i w[4];
    for (int i = 0; i < 4; i++) {
        w[i] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 16 * i)), reverse);
    }
    __m128i previous = abcd;
    abcd = _mm_sha1rnds4_epu32(abcd, _mm_add_epi32(e0, w[0]), 0);
    ROUNDS(1, 0); ROUNDS(2, 0); ROUNDS(3, 0); ROUNDS(4, 0);
    ROUNDS(5, 1); ROUNDS(6, 1); ROUNDS(7, 1); ROUNDS(8, 1); ROUNDS(9, 1);
    ROUNDS(10, 2); ROUNDS(11, 2); ROUNDS(12, 2); ROUNDS(13, 2); ROUNDS(14, 2);
    ROUNDS(15, 3); ROUNDS(16, 3); ROUNDS(17, 3); ROUNDS(18, 3); ROUNDS(19, 3);
    __m128i e = _mm_sha1nexte_epu32(previous, eStart);
    abcd = _mm_add_epi32(abcd, abcdStart);
    _mm_storeu_si128((__m128i *)state, _mm_shuffle_epi32(abcd, 0x1B));
    state[4] = (uint32_t)_mm_extract_epi32(e, 3);
}

#else

int swamp_sha1_hardware(void) { return 0; }
void swamp_sha1_block(uint32_t state[5], const uint8_t block[64]) { (void)state; (void)block; }

#endif
