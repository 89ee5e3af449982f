#ifndef WEFT_CPCRE2_SHIM_H
#define WEFT_CPCRE2_SHIM_H
// PCRE2 requires the code-unit width before its header; Weft matches bytes (8-bit code units).
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#endif
