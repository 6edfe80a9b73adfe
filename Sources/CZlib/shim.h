#ifndef DEADLETTER_CZLIB_SHIM_H
#define DEADLETTER_CZLIB_SHIM_H
#include <zlib.h>

// inflateInit2 is a macro that Swift cannot call; this wrapper passes the
// version and struct size the macro would have supplied.
static inline int deadletter_inflateInit2(z_streamp strm, int windowBits) {
    return inflateInit2_(strm, windowBits, ZLIB_VERSION, (int)sizeof(z_stream));
}
#endif
