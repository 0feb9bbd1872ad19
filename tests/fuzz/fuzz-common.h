/*
 * fuzz-common.h - the body shared by the fuzz targets (v5, v9, IPFIX, sFlow).
 *
 * One input is several export messages from one exporter, so that
 * templates and the data that uses them can arrive in separate datagrams,
 * as they do from real exporters:
 *
 *   [len:2, big-endian][len bytes]  [len:2][len bytes]  ...
 *
 * A length past the end takes what is left.  Each message has its version
 * field forced to the target's version (for sFlow the first 32-bit word,
 * 5), so the fuzzer spends its time in one decoder rather than on the
 * dispatch.  For IPFIX a message length
 * field larger than the datagram is cut to the datagram (that rejection is
 * covered by tests/collector/test-sanitize.c), so mutations reach the sets.
 *
 * The decoder is created once, as in the daemon; after each input every
 * exporter is expired, so an input's outcome does not depend on the inputs
 * before it and a saved crash file reproduces on its own.
 *
 * Differential: every input also goes through a second decoder that reads
 * all records with libfixbuf's fBufNext (fixbuf_only); the fast path must
 * give the same records (compared as a count and an order-independent sum
 * of record hashes), or the target aborts.
 */
#ifndef SF_FUZZ_COMMON_H
#define SF_FUZZ_COMMON_H

#include "decoder.h"
#include "cursor.h"
#include "sflow.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#include <stdlib.h>

typedef struct sf_fuzz_tally {
    uint64_t n;
    uint64_t sum;
} sf_fuzz_tally_t;

static uint64_t sf_fuzz_mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15u + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdu;
}

/* Reads every field the correlator would read, so a bad record is
 * touched, and adds the record's hash to the tally. */
static void sf_fuzz_sink(const sf_flow_t *f, void *ctx)
{
    sf_fuzz_tally_t *t = ctx;
    uint64_t h = 0;

    for (int i = 0; i < 16; i++)
        h = sf_fuzz_mix(h, (uint64_t)f->src.b[i] << 8 | f->dst.b[i]);
    h = sf_fuzz_mix(h, f->packets);
    h = sf_fuzz_mix(h, f->bytes);
    h = sf_fuzz_mix(h, (uint64_t)f->start_ms);
    h = sf_fuzz_mix(h, (uint64_t)f->end_ms);
    h = sf_fuzz_mix(h, (uint64_t)f->obs_domain << 32 | f->in_if);
    h = sf_fuzz_mix(h, (uint64_t)f->out_if << 32 | f->sampling_interval);
    h = sf_fuzz_mix(h, (uint64_t)f->fields << 32 | (uint64_t)f->src_port << 16 | f->dst_port);
    h = sf_fuzz_mix(h, (uint64_t)f->tcp_flags << 48 | (uint64_t)f->icmp_type_code << 32 |
                       (uint64_t)f->fw_ext_event << 16 | (uint64_t)f->fw_event << 8 |
                       f->fwd_status);
    h = sf_fuzz_mix(h, (uint64_t)f->version << 32 | (uint64_t)f->proto << 16 |
                       (uint64_t)f->is_v4 << 1 | f->reverse);
    t->n++;
    t->sum += h;
}

static int sf_fuzz_run(const uint8_t *data, size_t size, uint16_t version)
{
    static sf_decoder_t *d, *ref;
    static sf_fuzz_tally_t fast, slow;
    static uint8_t msg[65536];
    static const sf_decoder_config_t cfg = { 16, 64, 128, 3600, false };
    static const sf_decoder_config_t ref_cfg = { 16, 64, 128, 3600, true };
    sf_addr_t exporter;
    const uint8_t v4[4] = { 192, 0, 2, 1 };

    if (d == NULL) {
        d = sf_decoder_new(&cfg, sf_fuzz_sink, &fast);
        ref = sf_decoder_new(&ref_cfg, sf_fuzz_sink, &slow);
    }
    fast.n = fast.sum = slow.n = slow.sum = 0;
    sf_addr_set_v4(&exporter, v4);
    while (size >= 2) {
        size_t n = sf_get16(data);
        data += 2;
        size -= 2;
        if (n > size)
            n = size;
        memcpy(msg, data, n);
        if (version == SF_VERSION_SFLOW && n >= 4)
            sf_put32(msg, 5);
        else if (version != SF_VERSION_SFLOW && n >= 2)
            sf_put16(msg, version);
        if (version == 10 && n >= 4 && sf_get16(msg + 2) > n)
            sf_put16(msg + 2, (uint16_t)n);
        sf_decoder_packet(d, &exporter, msg, n, INT64_C(1700000000000));
        sf_decoder_packet(ref, &exporter, msg, n, INT64_C(1700000000000));
        data += n;
        size -= n;
    }
    sf_decoder_expire(d, INT64_MAX / 4);
    sf_decoder_expire(ref, INT64_MAX / 4);
    if (fast.n != slow.n || fast.sum != slow.sum)
        abort();                /* the fast path disagrees with fBufNext */
    return 0;
}

#endif
