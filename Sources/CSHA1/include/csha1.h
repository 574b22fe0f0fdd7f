#ifndef SWAMP_CSHA1_H
#define SWAMP_CSHA1_H

#include <stdint.h>

// SHA-1's block function with the x86 SHA extensions, for the Bayes
// tokenizer's hash of every token (SwampBayes.SHA1). Elsewhere, and on
// processors without them, swamp_sha1_hardware() is 0 and the Swift code
// does the work.

/// 1 when swamp_sha1_block may be called on this machine.
int swamp_sha1_hardware(void);

/// Updates the five state words with one 64-byte block.
void swamp_sha1_block(uint32_t state[5], const uint8_t block[64]);

#endif
