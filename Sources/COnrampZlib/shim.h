#ifndef ONRAMP_ZLIB_SHIM_H
#define ONRAMP_ZLIB_SHIM_H
#include <zlib.h>

/// inflateInit2 is a macro Swift cannot import: the same call as a function.
static inline int onramp_inflate_init2(z_streamp stream, int window_bits) {
    return inflateInit2(stream, window_bits);
}
#endif
