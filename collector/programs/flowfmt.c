/* flowfmt.c - printing flow records for `scanflow decode`. */
#include "flowfmt.h"

#include <inttypes.h>

typedef struct val {
    const char *key;
    bool        known;
    bool        text;
    const char *s;
    uint64_t    u;
    int64_t     i;
    bool        is_signed;
} val_t;

/* Fills v with the record's values in SF_FLOW_CSV_HEADER order. */
static int values(const sf_flow_t *f, val_t *v, char bufs[3][SF_ADDR_STRLEN])
{
    int n = 0;
    uint32_t h = f->fields;
#define T(k, s_) v[n++] = (val_t){ k, true, true, s_, 0, 0, false }
#define U(k, ok, x) v[n++] = (val_t){ k, ok, false, NULL, (uint64_t)(x), 0, false }
#define I(k, ok, x) v[n++] = (val_t){ k, ok, false, NULL, 0, (int64_t)(x), true }
    T("exporter", sf_addr_to_string(&f->exporter, bufs[0]));
    U("version", true, f->version);
    U("obs_domain", true, f->obs_domain);
    v[n++] = (val_t){ "src_addr", h & SF_HAS_ADDRS, true,
                      sf_addr_to_string(&f->src, bufs[1]), 0, 0, false };
    v[n++] = (val_t){ "dst_addr", h & SF_HAS_ADDRS, true,
                      sf_addr_to_string(&f->dst, bufs[2]), 0, 0, false };
    U("src_port", h & SF_HAS_PORTS, f->src_port);
    U("dst_port", h & SF_HAS_PORTS, f->dst_port);
    U("proto", h & SF_HAS_PROTO, f->proto);
    U("tcp_flags", h & SF_HAS_TCP_FLAGS, f->tcp_flags);
    U("icmp_type", h & SF_HAS_ICMP, f->icmp_type_code >> 8);
    U("icmp_code", h & SF_HAS_ICMP, f->icmp_type_code & 0xff);
    U("packets", h & SF_HAS_PACKETS, f->packets);
    U("bytes", h & SF_HAS_BYTES, f->bytes);
    I("start_ms", h & SF_HAS_TIMES, f->start_ms);
    I("end_ms", h & SF_HAS_TIMES, f->end_ms);
    U("in_if", h & SF_HAS_IN_IF, f->in_if);
    U("out_if", h & SF_HAS_OUT_IF, f->out_if);
    U("fw_event", h & SF_HAS_FW_EVENT, f->fw_event);
    U("sampling_interval", f->sampling_interval != 0, f->sampling_interval);
#undef T
#undef U
#undef I
    return n;
}

void sf_flow_print_json(const sf_flow_t *f, FILE *out)
{
    char bufs[3][SF_ADDR_STRLEN];
    val_t v[24];
    int n = values(f, v, bufs);
    const char *sep = "{";

    for (int i = 0; i < n; i++) {
        if (!v[i].known)
            continue;
        if (v[i].text)
            fprintf(out, "%s\"%s\":\"%s\"", sep, v[i].key, v[i].s);
        else if (v[i].is_signed)
            fprintf(out, "%s\"%s\":%" PRId64, sep, v[i].key, v[i].i);
        else
            fprintf(out, "%s\"%s\":%" PRIu64, sep, v[i].key, v[i].u);
        sep = ",";
    }
    fputs("}\n", out);
}

void sf_flow_print_csv(const sf_flow_t *f, FILE *out)
{
    char bufs[3][SF_ADDR_STRLEN];
    val_t v[24];
    int n = values(f, v, bufs);

    for (int i = 0; i < n; i++) {
        if (i)
            fputc(',', out);
        if (!v[i].known)
            continue;
        if (v[i].text)
            fputs(v[i].s, out);
        else if (v[i].is_signed)
            fprintf(out, "%" PRId64, v[i].i);
        else
            fprintf(out, "%" PRIu64, v[i].u);
    }
    fputc('\n', out);
}
