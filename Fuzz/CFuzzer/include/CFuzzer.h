// libFuzzer's driver, called from weft-fuzz's own entry point (SwiftPM names an executable's entry point itself, so
// the driver cannot be libFuzzer's `main`).
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
