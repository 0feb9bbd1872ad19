/*
 * decoder.c - dispatch by version, exporter table, sequence accounting.
 *
 * A datagram whose first 32-bit word is 5 is sFlow v5; otherwise the first
 * 16 bits are the NetFlow or IPFIX version (5, 9, 10).  NetFlow and IPFIX
 * exporters are keyed by the datagram's source address; an sFlow agent by
 * the agent address in its datagrams (sFlow's own identity of the agent,
 * which stays right behind a relay or NAT), so the records' exporter is
 * the agent.  --exporter allow-lists always test the source address.
 */
#include "decoder.h"

#include "cidr.h"
#include "cursor.h"
#include "fbdecode.h"
#include "sanitize.h"
#include "sflow.h"
#include "v5.h"

#include <string.h>

/* --sampling CIDR=N: the interval of exporters in net that say nothing. */
typedef struct sampling_net {
    sf_cidr_t net;
    uint32_t  interval;
} sampling_net_t;

struct sf_decoder {
    sf_decoder_config_t cfg;
    sf_limits_t         lim;
    sf_flow_sink_fn     sink;
    void               *sink_ctx;
    GHashTable         *exporters;      /* sf_exporter_key_t* -> sf_exporter_t* */
    int64_t             full_sweep_ms;  /* last idle sweep of a full table */
    GArray             *forget;         /* withdrawn tids of one message */
    GArray             *allowed;        /* sf_cidr_t; empty accepts all */
    GArray             *sampling;       /* sampling_net_t */
    sf_stats_t          st;
    uint8_t             scratch[SF_MSG_MAX + 1];
};

/* fixbuf logs a warning per IPFIX message out of sequence; scanflow counts
 * sequence gaps itself (sequence_lost), so those lines are dropped, and
 * fixbuf's other messages are passed on at most once a minute. */
static void fixbuf_log(const gchar *domain, GLogLevelFlags level,
                       const gchar *msg, gpointer data)
{
    static gint64 last;
    gint64 now = g_get_monotonic_time();

    if (strstr(msg, "out of sequence") != NULL)
        return;
    if (last != 0 && now - last < 60 * G_USEC_PER_SEC)
        return;
    last = now;
    g_log_default_handler(domain, level, msg, data);
}

static guint key_hash(gconstpointer k)
{
    const sf_exporter_key_t *key = k;
    guint h = 2166136261u ^ key->version;
    for (int i = 0; i < 16; i++)
        h = (h ^ key->addr.b[i]) * 16777619u;
    return h;
}

static gboolean key_equal(gconstpointer a, gconstpointer b)
{
    const sf_exporter_key_t *x = a, *y = b;
    return x->version == y->version && memcmp(&x->addr, &y->addr, sizeof x->addr) == 0;
}

static uint32_t configured_sampling(const sf_decoder_t *d, const sf_addr_t *a);

static sf_exporter_t *exporter_new(const sf_decoder_t *d, const sf_addr_t *addr,
                                   uint16_t version)
{
    sf_exporter_t *e = g_new0(sf_exporter_t, 1);
    GError *err = NULL;

    e->key.addr = *addr;
    e->key.version = version;
    e->sampling_cfg = configured_sampling(d, addr);
    e->templates = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    /* v5 and sFlow have no templates: only v9 and IPFIX exporters need a
     * fixbuf session (about 75 kB each, most of it fixbuf's own buffer) */
    if ((version == 9 || version == 10) && !sf_fb_exporter_init(e, &err))
        g_error("fixbuf session: %s", err->message);   /* programmer error */
    return e;
}

static void exporter_free(gpointer p)
{
    sf_exporter_t *e = p;

    if (e == NULL)
        return;
    if (e->held)
        g_queue_free_full(e->held, g_free);
    for (unsigned i = 0; i < e->n_domains; i++)
        g_free(e->domains[i].samplers);
    sf_fb_exporter_clear(e);
    g_hash_table_destroy(e->templates);
    g_free(e);
}

sf_decoder_t *sf_decoder_new(const sf_decoder_config_t *cfg,
                             sf_flow_sink_fn sink, void *sink_ctx)
{
    static gsize once;
    sf_decoder_t *d = g_new0(sf_decoder_t, 1);

    if (g_once_init_enter(&once)) {
        sf_fb_global_init();
        g_log_set_handler(NULL, G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE |
                          G_LOG_LEVEL_INFO | G_LOG_LEVEL_DEBUG, fixbuf_log, NULL);
        g_once_init_leave(&once, 1);
    }
    d->cfg = *cfg;
    d->lim.max_templates = cfg->max_templates;
    d->lim.max_fields = CLAMP(cfg->max_fields, 1, 4096);
    d->lim.fixbuf_only = cfg->fixbuf_only;
    d->sink = sink;
    d->sink_ctx = sink_ctx;
    d->exporters = g_hash_table_new_full(key_hash, key_equal, NULL, exporter_free);
    d->allowed = g_array_new(FALSE, FALSE, sizeof(sf_cidr_t));
    d->sampling = g_array_new(FALSE, FALSE, sizeof(sampling_net_t));
    d->forget = g_array_new(FALSE, FALSE, sizeof(uint16_t));
    return d;
}

void sf_decoder_free(sf_decoder_t *d)
{
    if (d == NULL)
        return;
    g_hash_table_destroy(d->exporters);
    g_array_free(d->allowed, TRUE);
    g_array_free(d->sampling, TRUE);
    g_array_free(d->forget, TRUE);
    g_free(d);
}

const sf_stats_t *sf_decoder_stats(const sf_decoder_t *d)
{
    return &d->st;
}

void sf_decoder_batch_end(sf_decoder_t *d)
{
    if (d->sink != NULL)
        d->sink(NULL, d->sink_ctx);
}

void sf_decoder_count(sf_decoder_t *d, sf_counter_t id)
{
    sf_count(&d->st, id, 1);
}

unsigned sf_decoder_exporter_count(const sf_decoder_t *d)
{
    return g_hash_table_size(d->exporters);
}

void sf_decoder_foreach_exporter(const sf_decoder_t *d,
                                 void (*fn)(const sf_exporter_t *e, void *ctx),
                                 void *ctx)
{
    GHashTableIter it;
    gpointer v;

    g_hash_table_iter_init(&it, d->exporters);
    while (g_hash_table_iter_next(&it, NULL, &v))
        fn(v, ctx);
}

void sf_decoder_allow_exporter(sf_decoder_t *d, const sf_cidr_t *net)
{
    g_array_append_val(d->allowed, *net);
}

void sf_decoder_set_sampling(sf_decoder_t *d, const sf_cidr_t *net,
                             uint32_t interval)
{
    sampling_net_t s = { *net, interval };
    g_array_append_val(d->sampling, s);
}

gboolean sf_decoder_add_sampling(sf_decoder_t *d, char **specs, GError **err)
{
    for (char **s = specs; s && *s; s++) {
        const char *eq = strrchr(*s, '=');
        g_autofree char *net = eq ? g_strndup(*s, (gsize)(eq - *s)) : NULL;
        g_autoptr(GError) e = NULL;
        sf_cidr_t c;
        char *end = NULL;
        guint64 n = 0;

        if (eq && eq[1] >= '0' && eq[1] <= '9')
            n = g_ascii_strtoull(eq + 1, &end, 10);
        if (!eq || end == NULL || *end != '\0' || n < 1 || n > G_MAXUINT32 ||
            !sf_cidr_parse(net, &c, &e)) {
            g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--sampling %s: expected CIDR=N, N from 1 to %u%s%s", *s,
                        G_MAXUINT32, e ? ": " : "", e ? e->message : "");
            return FALSE;
        }
        sf_decoder_set_sampling(d, &c, (uint32_t)n);
    }
    return TRUE;
}

/* The longest --sampling prefix holding a; 0 if none.  Once per exporter. */
static uint32_t configured_sampling(const sf_decoder_t *d, const sf_addr_t *a)
{
    const sampling_net_t *best = NULL;

    for (guint i = 0; i < d->sampling->len; i++) {
        const sampling_net_t *s = &g_array_index(d->sampling, sampling_net_t, i);
        if (sf_cidr_contains(&s->net, a) && (best == NULL || s->net.plen >= best->net.plen))
            best = s;
    }
    return best ? best->interval : 0;
}

void sf_exporter_sampling_said(sf_exporter_t *e, uint32_t said)
{
    char a[SF_ADDR_STRLEN];

    e->sampling_said = said;
    if (e->sampling_logged || said == e->sampling_cfg ||
        (said == 1 && e->sampling_cfg == 0))
        return;
    e->sampling_logged = true;
    sf_addr_to_string(&e->key.addr, a);
    if (e->sampling_cfg == 0)
        g_message("exporter %s (version %u) announces sampling 1:%u; "
                  "no --sampling covers it", a, e->key.version, said);
    else
        g_warning("exporter %s (version %u) announces sampling 1:%u, "
                  "--sampling for its network says 1:%u: using 1:%u where it "
                  "announces, 1:%u where it does not", a, e->key.version, said,
                  e->sampling_cfg, said, e->sampling_cfg);
}

gboolean sf_decoder_exporter_allowed(const sf_decoder_t *d, const sf_addr_t *a)
{
    return d->allowed->len == 0 || sf_cidr_list_contains(d->allowed, a);
}

sf_domain_t *sf_exporter_domain(sf_exporter_t *e, uint32_t id)
{
    for (unsigned i = 0; i < e->n_domains; i++)
        if (e->domains[i].id == id)
            return &e->domains[i];
    if (e->n_domains == SF_MAX_DOMAINS)
        return NULL;
    sf_domain_t *d = &e->domains[e->n_domains++];
    memset(d, 0, sizeof *d);
    d->id = id;
    return d;
}

/* Gaps up to this size are losses; larger jumps, and going backwards, are
 * an exporter restart or reordering and only reset the expectation. */
#define SF_MAX_SEQ_GAP 1000000

void sf_domain_sequence(sf_domain_t *d, uint32_t seq, uint32_t next,
                        sf_stats_t *st, sf_exporter_t *e)
{
    if (d->seq_valid && seq != d->next_seq) {
        int32_t gap = (int32_t)(seq - d->next_seq);
        if (gap > 0 && gap <= SF_MAX_SEQ_GAP) {
            sf_count(st, SF_C_SEQ_LOST, (uint64_t)gap);
            e->lost += (uint64_t)gap;
        } else {
            sf_count(st, SF_C_SEQ_RESET, 1);
        }
    }
    d->next_seq = next;
    d->seq_valid = true;
}

/* NetFlow v9 (RFC 3954) and IPFIX (RFC 7011): check or translate the
 * message into scratch, decode it through fixbuf, account the sequence. */
/* Data sets held until their template comes: at most HELD_SETS sets and
 * HELD_BYTES bytes per exporter (the oldest go first), for HELD_MS at
 * most: exporters resend templates every few seconds to minutes (v9
 * devices often every 20 packets), and a set older than that is dropped
 * rather than decoded against a later view of the exporter. */
#define HELD_SETS 64
#define HELD_BYTES 65536
#define HELD_MS 120000

void sf_exporter_hold(sf_exporter_t *e, const sf_msg_t *m, uint16_t id,
                      const uint8_t *body, size_t len)
{
    sf_held_t *h;

    if (len + 4 > HELD_BYTES || len + 4 > G_MAXUINT16)
        return;
    if (e->held == NULL)
        e->held = g_queue_new();
    while (e->held->length >= HELD_SETS || e->held_bytes + len + 4 > HELD_BYTES) {
        sf_held_t *old = g_queue_pop_head(e->held);
        e->held_bytes -= old->len;
        g_free(old);
    }
    h = g_malloc(sizeof *h + len + 4);
    h->arrival_ms = m->arrival_ms;
    h->export_ms = m->export_ms;
    h->uptime_ms = m->uptime_ms;
    h->domain_id = m->domain_id;
    h->version = m->version;
    h->len = (uint16_t)(len + 4);
    sf_put16(h->set, id);
    sf_put16(h->set + 2, h->len);
    memcpy(h->set + 4, body, len);
    g_queue_push_tail(e->held, h);
    e->held_bytes += h->len;
}

static void decode_template_based(sf_decoder_t *d, sf_exporter_t *e, int version,
                                  const uint8_t *p, size_t len, int64_t arrival_ms,
                                  bool replay);

/* After a message: the held sets whose template is now known are decoded,
 * each in a message of its own with its original header (times, domain),
 * outside sequence accounting; expired ones are dropped. */
static void replay_held(sf_decoder_t *d, sf_exporter_t *e, int64_t now_ms)
{
    GQueue *q = e->held;
    GList *l = q->head;

    while (l != NULL) {
        GList *next = l->next;
        sf_held_t *h = l->data;
        uint16_t id = sf_get16(h->set);
        bool expired = now_ms - h->arrival_ms > HELD_MS;

        if (expired || g_hash_table_contains(e->templates, SF_TKEY(h->domain_id, id))) {
            g_queue_delete_link(q, l);
            e->held_bytes -= h->len;
            if (!expired) {
                uint8_t msg[SF_V9_HDR + 65536];
                size_t hdr = h->version == 9 ? SF_V9_HDR : SF_IPFIX_HDR;

                memset(msg, 0, hdr);
                sf_put16(msg, h->version);
                if (h->version == 9) {
                    sf_put32(msg + 4, h->uptime_ms);
                    sf_put32(msg + 8, (uint32_t)(h->export_ms / 1000));
                    sf_put32(msg + 16, h->domain_id);
                } else {
                    sf_put16(msg + 2, (uint16_t)(hdr + h->len));
                    sf_put32(msg + 4, (uint32_t)(h->export_ms / 1000));
                    sf_put32(msg + 12, h->domain_id);
                }
                memcpy(msg + hdr, h->set, h->len);
                sf_count(&d->st, SF_C_SETS_RECOVERED, 1);
                decode_template_based(d, e, h->version, msg, hdr + h->len,
                                      h->arrival_ms, true);
            }
            g_free(h);
        }
        l = next;
    }
}

/* replay: a held set's message (replay_held): not a packet received, no
 * sequence number of its own. */
static void decode_template_based(sf_decoder_t *d, sf_exporter_t *e, int version,
                                  const uint8_t *p, size_t len, int64_t arrival_ms,
                                  bool replay)
{
    sf_msg_t m = { .exp = e, .version = (uint8_t)version, .arrival_ms = arrival_ms,
                   .st = &d->st };
    uint32_t seq;
    size_t hdr = version == 9 ? SF_V9_HDR : SF_IPFIX_HDR;

    if (len < hdr) {
        sf_count(&d->st, SF_C_ERR_SHORT_HEADER, 1);
        return;
    }
    if (version == 9) {
        m.uptime_ms = sf_get32(p + 4);
        m.export_ms = (int64_t)sf_get32(p + 8) * 1000;
        seq = sf_get32(p + 12);
        m.domain_id = sf_get32(p + 16);
        sf_count(&d->st, SF_C_PACKETS_V9, replay ? 0 : 1);
    } else {
        size_t mlen = sf_get16(p + 2);
        if (mlen < SF_IPFIX_HDR || mlen > len) {
            sf_count(&d->st, SF_C_ERR_MSG_LENGTH, 1);
            return;
        }
        len = mlen;
        m.export_ms = (int64_t)sf_get32(p + 4) * 1000;
        seq = sf_get32(p + 8);
        m.domain_id = sf_get32(p + 12);
        sf_count(&d->st, SF_C_PACKETS_IPFIX, replay ? 0 : 1);
    }
    m.dom = sf_exporter_domain(e, m.domain_id);
    if (m.dom == NULL) {
        sf_count(&d->st, SF_C_DOMAIN_CAP, 1);
        return;
    }
    uint64_t before = d->st.c[SF_C_RECORDS];
    uint64_t dropped = d->st.c[SF_C_SETS_NO_TEMPLATE] + d->st.c[SF_C_ERR_SET_LENGTH] +
                       d->st.c[SF_C_ERR_TOO_LARGE] + d->st.c[SF_C_ERR_RECORD];
    unsigned data = 0;
    size_t out = sf_sanitize(&m, &d->lim, p + hdr, len - hdr, d->scratch, &data,
                             d->forget, d->sink, d->sink_ctx, &d->st);
    if (out > SF_IPFIX_HDR) {
        sf_put16(d->scratch, 10);
        sf_put16(d->scratch + 2, (uint16_t)out);
        sf_put32(d->scratch + 4, (uint32_t)(m.export_ms / 1000));
        sf_put32(d->scratch + 8, seq);
        sf_put32(d->scratch + 12, m.domain_id);
        data += sf_fb_decode(&m, d->scratch, out, d->sink, d->sink_ctx, &d->st);
    }
    for (guint i = 0; i < d->forget->len; i++)
        sf_fb_forget_template(e, m.domain_id, g_array_index(d->forget, uint16_t, i));
    uint64_t flows = d->st.c[SF_C_RECORDS] - before;
    sf_count(&d->st, version == 9 ? SF_C_RECORDS_V9 : SF_C_RECORDS_IPFIX, flows);
    e->records += flows;
    if (replay)
        return;
    sf_domain_sequence(m.dom, seq, version == 9 ? seq + 1 : seq + data, &d->st, e);
    /* IPFIX numbers records: after a set we could not decode, the next
     * message's number cannot be predicted, only taken as it comes. */
    if (version == 10 && d->st.c[SF_C_SETS_NO_TEMPLATE] + d->st.c[SF_C_ERR_SET_LENGTH] +
                         d->st.c[SF_C_ERR_TOO_LARGE] + d->st.c[SF_C_ERR_RECORD] != dropped)
        m.dom->seq_valid = false;
    if (e->held != NULL && e->held->length > 0)
        replay_held(d, e, arrival_ms);      /* (a replay returned above) */
}

static void decode(sf_decoder_t *d, sf_exporter_t *e, const uint8_t *p,
                   size_t len, int64_t arrival_ms)
{
    e->packets++;
    e->last_ms = arrival_ms;
    if (e->key.version == SF_VERSION_SFLOW) {
        sf_count(&d->st, SF_C_PACKETS_SFLOW, 1);
        sf_sflow_decode(e, p, len, arrival_ms, d->sink, d->sink_ctx, &d->st);
        return;
    }
    switch (len < 2 ? 0 : sf_get16(p)) {
    case 5:
        sf_count(&d->st, SF_C_PACKETS_V5, 1);
        sf_v5_decode(e, p, len, arrival_ms, d->sink, d->sink_ctx, &d->st);
        break;
    case 9:
        decode_template_based(d, e, 9, p, len, arrival_ms, false);
        break;
    case 10:
        decode_template_based(d, e, 10, p, len, arrival_ms, false);
        break;
    default:
        sf_count(&d->st, len < 2 ? SF_C_ERR_SHORT_HEADER : SF_C_ERR_BAD_VERSION, 1);
    }
}

static gboolean idle(gpointer key, gpointer value, gpointer data);

/*
 * A full exporter table (spoofed sources, or many exporters) first drops
 * exporters silent for a minute: real exporters send every few seconds,
 * while a spoofed address is idle right after its packet.  At most once a
 * second, so a flood does not make every packet walk the table.  What is
 * still full refuses new exporters (counted); known ones keep working.
 */
#define SF_FULL_IDLE_MS 60000

static void make_room(sf_decoder_t *d, int64_t now_ms)
{
    if (now_ms - d->full_sweep_ms < 1000 && d->full_sweep_ms != 0)
        return;
    d->full_sweep_ms = now_ms;
    int64_t cutoff = now_ms - SF_FULL_IDLE_MS;
    g_hash_table_foreach_remove(d->exporters, idle, &cutoff);
}

void sf_decoder_packet(sf_decoder_t *d, const sf_addr_t *addr,
                       const uint8_t *p, size_t len, int64_t arrival_ms)
{
    sf_count(&d->st, SF_C_PACKETS, 1);
    if (!sf_decoder_exporter_allowed(d, addr)) {
        sf_count(&d->st, SF_C_EXPORTER_DENIED, 1);
        return;
    }
    uint16_t version = len >= 2 ? sf_get16(p) : 0;
    sf_addr_t agent;
    if (sf_sflow_is(p, len)) {
        if (!sf_sflow_agent(p, len, &agent, &d->st))
            return;
        addr = &agent;
        version = SF_VERSION_SFLOW;
    } else if (version != 5 && version != 9 && version != 10) {
        /* never create exporter state for what is not an export packet */
        sf_count(&d->st, len < 2 ? SF_C_ERR_SHORT_HEADER : SF_C_ERR_BAD_VERSION, 1);
        return;
    }
    sf_exporter_key_t key;
    memset(&key, 0, sizeof key);
    key.addr = *addr;
    key.version = version;
    sf_exporter_t *e = g_hash_table_lookup(d->exporters, &key);
    if (e == NULL) {
        if (g_hash_table_size(d->exporters) >= d->cfg.max_exporters)
            make_room(d, arrival_ms);
        if (g_hash_table_size(d->exporters) >= d->cfg.max_exporters) {
            sf_count(&d->st, SF_C_EXPORTER_CAP, 1);
            return;
        }
        e = exporter_new(d, addr, version);
        g_hash_table_insert(d->exporters, &e->key, e);
    }
    decode(d, e, p, len, arrival_ms);
}

sf_exporter_t *sf_decoder_session_new(sf_decoder_t *d, const sf_addr_t *addr)
{
    return exporter_new(d, addr, 10);
}

void sf_decoder_session_free(sf_decoder_t *d, sf_exporter_t *e)
{
    exporter_free(e);
}

void sf_decoder_session_packet(sf_decoder_t *d, sf_exporter_t *e,
                               const uint8_t *p, size_t len, int64_t arrival_ms)
{
    sf_count(&d->st, SF_C_PACKETS, 1);
    decode(d, e, p, len, arrival_ms);
}

static gboolean idle(gpointer key, gpointer value, gpointer data)
{
    const sf_exporter_t *e = value;
    return e->last_ms < *(const int64_t *)data;
}

void sf_decoder_expire(sf_decoder_t *d, int64_t now_ms)
{
    int64_t cutoff = now_ms - (int64_t)d->cfg.exporter_idle_s * 1000;
    g_hash_table_foreach_remove(d->exporters, idle, &cutoff);
}

size_t sf_message_length(const uint8_t *p, size_t len)
{
    if (len >= SF_V5_HDR && sf_get16(p) == 5) {
        size_t n = sf_v5_length(p, len);
        return n ? n : len;
    }
    if (len >= SF_IPFIX_HDR && sf_get16(p) == 10) {
        size_t n = sf_get16(p + 2);
        return n >= SF_IPFIX_HDR && n <= len ? n : len;
    }
    return len;
}
