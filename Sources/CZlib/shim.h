#ifndef SWAMP_CZLIB_SHIM_H
#define SWAMP_CZLIB_SHIM_H

#include <zlib.h>

// inflateInit is a macro (it passes ZLIB_VERSION and sizeof(z_stream)), which
// Swift cannot call; these wrappers give it a function to call.
static inline int swamp_inflateInit(z_streamp stream) {
    return inflateInit(stream);
}

// windowBits 15 + 32: accept zlib or gzip framing, as spamc -z sends zlib.
static inline int swamp_inflateInitAuto(z_streamp stream) {
    return inflateInit2(stream, 15 + 32);
}

#endif
