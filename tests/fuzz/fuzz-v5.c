/* fuzz-v5.c - libFuzzer target: messages of version 5 from one exporter
 * through sf_decoder_packet() (framing in fuzz-common.h). */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return sf_fuzz_run(data, size, 5);
}
