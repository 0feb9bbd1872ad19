/* fuzz-sflow.c - libFuzzer target: sFlow v5 datagrams from one agent
 * through sf_decoder_packet() (framing in fuzz-common.h; the first 32-bit
 * word of each message is forced to 5). */
#include "fuzz-common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return sf_fuzz_run(data, size, SF_VERSION_SFLOW);
}
