// The wrappers are header-only (static inline, see include/weft_system.h); SwiftPM wants a source file per C target.
#include "weft_system.h"
