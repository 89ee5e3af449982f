// The kernels are header-only (static inline, see include/weft_simd.h); SwiftPM wants a source file per C target.
#include "weft_simd.h"
