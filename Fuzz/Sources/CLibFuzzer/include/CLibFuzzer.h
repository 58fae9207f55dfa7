#ifndef SOPD_CLIBFUZZER_H
#define SOPD_CLIBFUZZER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver, for a program that has its own `main` (SwiftPM gives every executable one).
/// Parses libFuzzer's command line and fuzzes `callback`; returns the exit status.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
