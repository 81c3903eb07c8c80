#ifndef GRIDLEDGER_CFUZZDRIVER_H
#define GRIDLEDGER_CFUZZDRIVER_H

#include <stddef.h>
#include <stdint.h>

// libFuzzer's entry point for programs that have their own main (SwiftPM links every executable's main as
// `<module>_main`, so libFuzzer's own main is never used). Defined by the libFuzzer runtime that
// `-sanitize=fuzzer` links in.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
