#ifndef GWS_FUZZER_DRIVER_H
#define GWS_FUZZER_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer's driver over `callback` with the process arguments. Only a build with
/// -sanitize=fuzzer and -DGWS_FUZZING has libFuzzer; elsewhere it returns 2.
int gws_run_fuzzer(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
