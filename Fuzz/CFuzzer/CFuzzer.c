// Header-only: LLVMFuzzerRunDriver comes from libFuzzer, linked with -sanitize=fuzzer.
#include "CFuzzer.h"
