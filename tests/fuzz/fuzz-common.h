/*
 * fuzz-common.h - the body shared by the three fuzz targets.
 *
 * One input is several export messages from one exporter, so that
 * templates and the data that uses them can arrive in separate datagrams,
 * as they do from real exporters:
 *
 *   [len:2, big-endian][len bytes]  [len:2][len bytes]  ...
 *
 * A length past the end takes what is left.  Each message has its version
 * field forced to the target's version, so the fuzzer spends its time in
 * one decoder rather than on the dispatch.  For IPFIX a message length
 * field larger than the datagram is cut to the datagram (that rejection is
 * covered by tests/test-decoder.c), so mutations reach the sets.
 *
 * The decoder is created once, as in the daemon; after each input every
 * exporter is expired, so an input's outcome does not depend on the inputs
 * before it and a saved crash file reproduces on its own.
 */
#ifndef SF_FUZZ_COMMON_H
#define SF_FUZZ_COMMON_H

#include "decoder.h"
#include "cursor.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile uint64_t sf_fuzz_sum;

/* Reads what the correlator would read, so a bad record is touched. */
static void sf_fuzz_sink(const sf_flow_t *f, void *ctx)
{
    uint64_t s = f->packets + f->bytes + (uint64_t)f->start_ms + (uint64_t)f->end_ms;
    for (int i = 0; i < 16; i++)
        s += f->src.b[i] ^ f->dst.b[i];
    sf_fuzz_sum += s + f->src_port + f->dst_port + f->proto + f->sampling_interval;
}

static int sf_fuzz_run(const uint8_t *data, size_t size, uint16_t version)
{
    static sf_decoder_t *d;
    static uint8_t msg[65536];
    static const sf_decoder_config_t cfg = { 16, 64, 128, 3600 };
    sf_addr_t exporter;
    const uint8_t v4[4] = { 192, 0, 2, 1 };

    if (d == NULL)
        d = sf_decoder_new(&cfg, sf_fuzz_sink, NULL);
    sf_addr_set_v4(&exporter, v4);
    while (size >= 2) {
        size_t n = sf_get16(data);
        data += 2;
        size -= 2;
        if (n > size)
            n = size;
        memcpy(msg, data, n);
        if (n >= 2)
            sf_put16(msg, version);
        if (version == 10 && n >= 4 && sf_get16(msg + 2) > n)
            sf_put16(msg + 2, (uint16_t)n);
        sf_decoder_packet(d, &exporter, msg, n, INT64_C(1700000000000));
        data += n;
        size -= n;
    }
    sf_decoder_expire(d, INT64_MAX / 4);
    return 0;
}

#endif
