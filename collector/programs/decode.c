/*
 * decode.c - `scanflow decode`: pcap/pcapng captures and raw export
 * payload files through the daemon's own decode path, printed as JSON
 * lines or CSV (flowfmt.c), with the decoder's counters on request.
 */
#include "decode.h"
#include "decoder.h"
#include "flowfmt.h"
#include "source.h"

#include <stdio.h>
#include <string.h>

typedef enum { FMT_JSON, FMT_CSV, FMT_NONE } fmt_t;

typedef struct decode_ctx {
    sf_decoder_t *dec;
    fmt_t         fmt;
} decode_ctx_t;

static void print_flow(const sf_flow_t *f, void *p)
{
    const decode_ctx_t *c = p;
    if (c->fmt == FMT_CSV)
        sf_flow_print_csv(f, stdout);
    else if (c->fmt == FMT_JSON)
        sf_flow_print_json(f, stdout);
}

static void feed(const sf_packet_t *pkt, void *p)
{
    decode_ctx_t *c = p;
    sf_decoder_packet(c->dec, &pkt->from, pkt->data, pkt->len, pkt->time_ms);
}

int sf_cmd_decode(int argc, char **argv)
{
    char *format = NULL, *raw_from = NULL;
    gboolean stats = FALSE, fixbuf_only = FALSE;
    GOptionEntry entries[] = {
        { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
          "json (default), csv, or none (decode and count only)", "FMT" },
        { "stats", 's', 0, G_OPTION_ARG_NONE, &stats,
          "Print counters (messages, records, templates, errors by reason) to stderr", NULL },
        { "fixbuf-only", 0, 0, G_OPTION_ARG_NONE, &fixbuf_only,
          "Decode every v9/IPFIX record with libfixbuf's fBufNext, not the "
          "fixed-length fast path (for comparing the two)", NULL },
        { "raw-exporter", 0, 0, G_OPTION_ARG_STRING, &raw_from,
          "Exporter address for raw payload files (default 0.0.0.0)", "ADDR" },
        G_OPTION_ENTRY_NULL
    };
    GOptionContext *ctx = g_option_context_new(
        "FILE... - decode pcap/pcapng captures and raw export payload files; "
        "all files share template state, in the order given");
    sf_decoder_config_t cfg = SF_DECODER_CONFIG_DEFAULT;
    decode_ctx_t c = { NULL, FMT_JSON };
    GError *err = NULL;
    sf_addr_t from;
    int rc = 1;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err))
        goto fail;
    if (format && strcmp(format, "json") && strcmp(format, "csv") &&
        strcmp(format, "none")) {
        g_set_error(&err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--format: '%s' is not json, csv or none", format);
        goto fail;
    }
    if (!sf_addr_parse(raw_from ? raw_from : "0.0.0.0", &from)) {
        g_set_error(&err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--raw-exporter: bad address '%s'", raw_from);
        goto fail;
    }
    if (argc < 2) {
        g_set_error(&err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "no FILE given");
        goto fail;
    }
    if (format && strcmp(format, "csv") == 0)
        c.fmt = FMT_CSV;
    else if (format && strcmp(format, "none") == 0)
        c.fmt = FMT_NONE;
    cfg.fixbuf_only = fixbuf_only;
    c.dec = sf_decoder_new(&cfg, print_flow, &c);
    if (c.fmt == FMT_CSV)
        puts(SF_FLOW_CSV_HEADER);
    sf_stats_t capture = { { 0 } };
    for (int i = 1; i < argc; i++)
        if (!sf_file_foreach(argv[i], &from, feed, &c, &capture, &err))
            goto fail;
    if (stats) {
        sf_stats_t all = *sf_decoder_stats(c.dec);
        all.c[SF_C_PCAP_SKIPPED] += capture.c[SF_C_PCAP_SKIPPED];
        fflush(stdout);
        sf_stats_print(&all, stderr, 0);
    }
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "scanflow decode: %s\n", err ? err->message : "failed");
    g_clear_error(&err);
out:
    sf_decoder_free(c.dec);
    g_option_context_free(ctx);
    g_free(format);
    g_free(raw_from);
    return rc;
}
