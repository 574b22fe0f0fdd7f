#ifndef SWAMP_CHYPERSCAN_SHIM_H
#define SWAMP_CHYPERSCAN_SHIM_H
// Hyperscan (or Vectorscan, which installs the same libhs): many patterns
// in one pass, the multi-pattern stage in front of PCRE2.
#include <hs.h>
// malloc_trim, to hand back the heap Hyperscan's compiler used.
#include <malloc.h>
#endif
