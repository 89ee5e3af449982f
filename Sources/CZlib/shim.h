#ifndef WEFT_CZLIB_SHIM_H
#define WEFT_CZLIB_SHIM_H
#include <zlib.h>

// zlib's init calls are macros (they pass the header's version and struct size), which Swift does not import.

/// deflateInit2 for gzip framing (windowBits 15 + 16), 8 levels of memory, the default strategy.
static inline int weft_deflate_init_gzip(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/// inflateInit2 accepting gzip framing (windowBits 15 + 16).
static inline int weft_inflate_init_gzip(z_streamp stream) {
    return inflateInit2(stream, 15 + 16);
}
#endif
