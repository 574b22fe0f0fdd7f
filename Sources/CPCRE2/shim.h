#ifndef SWAMP_CPCRE2_SHIM_H
#define SWAMP_CPCRE2_SHIM_H
// 8-bit code units: rules match UTF-8 octets, as SpamAssassin's qr//aa does.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>

// PCRE2_ZERO_TERMINATED and friends are macros Swift cannot see.
static inline size_t swamp_pcre2_unset(void) { return PCRE2_UNSET; }
#endif
