/*
 * metrics.c - Prometheus text exposition (format 0.0.4) of scanflowd's
 * counters: the receive threads' snapshots and the rendering.  httpd.c
 * serves it at /metrics; statscmd.c (`scanflow stats`) reads it.
 *
 * Names: prefix scanflow_, counters end in _total.  The decoder's named
 * counters (stats.h) map by prefix, so a counter added there is exported
 * with no change here: malformed_X -> scanflow_decode_errors_total
 * {reason="X"}, refused_X -> scanflow_refused_total{reason="X"},
 * tcp_closed_X -> scanflow_tcp_closed_total{reason="X"}, packets_V /
 * records_V -> scanflow_packets_total / scanflow_records_total
 * {version="V"}, packets -> scanflow_datagrams_total, anything else ->
 * scanflow_NAME_total.  scanflow_tcp_connections (open IPFIX over TCP
 * connections) is accepted minus closed.
 */
#include "metrics.h"
#include "addr.h"

#include <stdlib.h>
#include <string.h>

typedef struct exp_sample {
    sf_exporter_key_t key;
    guint64           packets;
    guint64           records;
} exp_sample_t;

typedef struct slot {
    gint64      last_ms;        /* owner thread only */
    sf_stats_t  st;             /* under lock */
    guint       n_exporters;
    GArray     *exporters;      /* exp_sample_t */
} slot_t;

struct sf_metrics {
    GMutex           lock;
    slot_t          *slots;
    guint            n_slots;
    sf_correlator_t *cor;
    gint64           start_s;
};

sf_metrics_t *sf_metrics_new(guint n_slots, sf_correlator_t *cor)
{
    sf_metrics_t *m = g_new0(sf_metrics_t, 1);

    g_mutex_init(&m->lock);
    m->n_slots = MAX(n_slots, 1);
    m->slots = g_new0(slot_t, m->n_slots);
    for (guint i = 0; i < m->n_slots; i++)
        m->slots[i].exporters = g_array_new(FALSE, FALSE, sizeof(exp_sample_t));
    m->cor = cor;
    m->start_s = g_get_real_time() / G_USEC_PER_SEC;
    return m;
}

void sf_metrics_free(sf_metrics_t *m)
{
    if (m == NULL)
        return;
    for (guint i = 0; i < m->n_slots; i++)
        g_array_unref(m->slots[i].exporters);
    g_free(m->slots);
    g_mutex_clear(&m->lock);
    g_free(m);
}

/* Snapshots ---------------------------------------------------------------- */

static void add_exporter(const sf_exporter_t *e, void *p)
{
    exp_sample_t s = {e->key, e->packets, e->records};
    g_array_append_val((GArray *)p, s);
}

void sf_metrics_publish(sf_metrics_t *m, guint slot, const sf_decoder_t *d,
                        int64_t now_ms, gboolean force)
{
    slot_t *s;

    g_return_if_fail(m && slot < m->n_slots);
    s = &m->slots[slot];
    if (!force && now_ms - s->last_ms < 100)
        return;
    s->last_ms = now_ms;
    g_mutex_lock(&m->lock);
    s->st = *sf_decoder_stats(d);
    s->n_exporters = sf_decoder_exporter_count(d);
    g_array_set_size(s->exporters, 0);
    sf_decoder_foreach_exporter(d, add_exporter, s->exporters);
    g_mutex_unlock(&m->lock);
}

/* Rendering ----------------------------------------------------------------- */

static void family(GString *o, const char *name, const char *type, const char *help)
{
    g_string_append_printf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void sample(GString *o, const char *name, const char *labels, guint64 v)
{
    g_string_append_printf(o, "%s%s%s%s %" G_GUINT64_FORMAT "\n", name,
                           labels ? "{" : "", labels ? labels : "",
                           labels ? "}" : "", v);
}

/* All decoder counters whose name starts with prefix, as one family with
 * the rest of the name as the label's value. */
static void by_prefix(GString *o, const sf_stats_t *st, const char *prefix,
                      const char *name, const char *label, const char *help)
{
    family(o, name, "counter", help);
    for (int i = 0; i < SF_C_COUNT; i++) {
        const char *c = sf_counter_name((sf_counter_t)i);
        if (g_str_has_prefix(c, prefix)) {
            g_autofree char *l = g_strdup_printf("%s=\"%s\"", label, c + strlen(prefix));
            sample(o, name, l, st->c[i]);
        }
    }
}

static gboolean is_grouped(const char *c)
{
    return strcmp(c, "packets") == 0 || strcmp(c, "records") == 0 ||
           g_str_has_prefix(c, "packets_") || g_str_has_prefix(c, "records_") ||
           g_str_has_prefix(c, "malformed_") || g_str_has_prefix(c, "refused_") ||
           g_str_has_prefix(c, "tcp_closed_");
}

static void render_decoder(GString *o, const sf_stats_t *st)
{
    family(o, "scanflow_datagrams_total", "counter",
           "Export messages received (UDP datagrams, IPFIX messages over TCP), refused ones included.");
    sample(o, "scanflow_datagrams_total", NULL, st->c[SF_C_PACKETS]);
    by_prefix(o, st, "packets_", "scanflow_packets_total", "version",
              "Export packets decoded, by version.");
    by_prefix(o, st, "records_", "scanflow_records_total", "version",
              "Flow records decoded, by version.");
    by_prefix(o, st, "malformed_", "scanflow_decode_errors_total", "reason",
              "Malformed input, by reason (collector/stats.h).");
    by_prefix(o, st, "refused_", "scanflow_refused_total", "reason",
              "Input refused by a limit or by --exporter, by reason.");
    by_prefix(o, st, "tcp_closed_", "scanflow_tcp_closed_total", "reason",
              "IPFIX over TCP connections closed, by reason (collector/tcp.c).");
    guint64 n_open = st->c[SF_C_TCP_ACCEPTED];
    for (int i = 0; i < SF_C_COUNT; i++)
        if (g_str_has_prefix(sf_counter_name((sf_counter_t)i), "tcp_closed_"))
            n_open -= st->c[i];
    family(o, "scanflow_tcp_connections", "gauge", "IPFIX over TCP connections open now.");
    sample(o, "scanflow_tcp_connections", NULL, n_open);
    for (int i = 0; i < SF_C_COUNT; i++) {
        const char *c = sf_counter_name((sf_counter_t)i);
        if (is_grouped(c))
            continue;
        g_autofree char *name = g_strdup_printf("scanflow_%s_total", c);
        g_autofree char *help = g_strdup_printf("Decoder counter %s (collector/stats.h).", c);
        family(o, name, "counter", help);
        sample(o, name, NULL, st->c[i]);
    }
}

static const char *version_label(guint16 v)
{
    return v == 5 ? "v5" : v == 9 ? "v9" : v == 10 ? "ipfix" : "sflow";
}

static void render_exporters(GString *o, GHashTable *merged, guint n_exporters)
{
    const char *names[2] = {"scanflow_exporter_packets_total",
                            "scanflow_exporter_records_total"};
    const char *helps[2] = {
        "Export packets per exporter and version (UDP; reset when an idle exporter is forgotten).",
        "Flow records per exporter and version (UDP; reset when an idle exporter is forgotten)."};

    family(o, "scanflow_exporters", "gauge", "Exporters tracked now (UDP).");
    sample(o, "scanflow_exporters", NULL, n_exporters);
    for (int k = 0; k < 2; k++) {
        GHashTableIter it;
        gpointer v;
        family(o, names[k], "counter", helps[k]);
        g_hash_table_iter_init(&it, merged);
        while (g_hash_table_iter_next(&it, NULL, &v)) {
            const exp_sample_t *e = v;
            char addr[SF_ADDR_STRLEN];
            g_autofree char *l = g_strdup_printf("exporter=\"%s\",version=\"%s\"",
                                                 sf_addr_to_string(&e->key.addr, addr),
                                                 version_label(e->key.version));
            sample(o, names[k], l, k == 0 ? e->packets : e->records);
        }
    }
}

static void counter(GString *o, const char *name, const char *help, guint64 v)
{
    family(o, name, "counter", help);
    sample(o, name, NULL, v);
}

static void render_correlator(GString *o, const sf_correlator_stats_t *c)
{
    counter(o, "scanflow_flows_total", "Flow records offered to the correlator.", c->flows);
    counter(o, "scanflow_evidence_flows_total",
            "Flows counted as scan evidence (probes, inbound to --home-net).", c->evidence);
    family(o, "scanflow_sources_tracked", "gauge", "Sources written to Redis by the last flush.");
    sample(o, "scanflow_sources_tracked", NULL, c->sources);
    counter(o, "scanflow_evicted_sources_total",
            "Sources pushed out of the local aggregate (--max-sources).", c->evicted_sources);
    counter(o, "scanflow_probation_held_total",
            "Sources of a flush held locally, below --share-after (not written to Redis).",
            c->probation_held);
    counter(o, "scanflow_probation_shared_total",
            "Sources that reached --share-after and were written to Redis from then on.",
            c->probation_promoted);
    counter(o, "scanflow_probation_refused_total",
            "Sources that reached --share-after when this bucket's --max-redis-sources budget was spent (held for the next bucket).",
            c->probation_refused);
    counter(o, "scanflow_probation_forgotten_total",
            "Held sources pushed out of the probation table (--probation-slots) in their window.",
            c->probation_forgotten);
    counter(o, "scanflow_dropped_elements_total",
            "Ports, nets or hosts not kept locally (--max-elements, --max-nets-per-source).",
            c->dropped_elements);
    counter(o, "scanflow_dropped_targets_total",
            "(target, source, port) probes not kept locally for distributed_port_scan (--max-elements).",
            c->dropped_targets);
    counter(o, "scanflow_redis_targets_refused_total",
            "Scanned hosts not written to Redis for distributed_port_scan (--max-redis-targets, or no local slot).",
            c->refused_targets);
    family(o, "scanflow_redis_roundtrip_seconds", "summary",
           "Duration of a flush: pipelined updates, counts and alert claims in Redis.");
    g_string_append_printf(o, "scanflow_redis_roundtrip_seconds_sum %.6f\n",
                           (double)c->flush_us / 1e6);
    sample(o, "scanflow_redis_roundtrip_seconds_count", NULL, c->flushes);
    counter(o, "scanflow_redis_commands_total", "Redis commands sent.", c->redis_commands);
    counter(o, "scanflow_redis_sent_bytes_total", "Bytes of Redis requests sent.", c->redis_bytes);
    counter(o, "scanflow_redis_errors_total", "Redis connection losses and failures.",
            c->redis_errors);
    counter(o, "scanflow_redis_cluster_moved_total",
            "Redis Cluster MOVED redirections followed.", c->cluster_moved);
    counter(o, "scanflow_redis_cluster_ask_total",
            "Redis Cluster ASK redirections followed.", c->cluster_ask);
    counter(o, "scanflow_redis_cluster_map_loads_total",
            "Redis Cluster slot map loads (at connect and after redirections or errors).",
            c->cluster_map_loads);
    counter(o, "scanflow_redis_cluster_retries_total",
            "Redis Cluster batch rounds retried after errors (CLUSTERDOWN, TRYAGAIN, lost nodes).",
            c->cluster_retries);
    counter(o, "scanflow_redis_seen_evicted_total",
            "Sources and elements of the current bucket pushed out of the Redis thread's \"seen\" tables.",
            c->seen_evicted);
    counter(o, "scanflow_redis_nets_capped_total",
            "Nets whose hosts were not written to Redis: the source had --max-nets-per-source "
            "nets with host keys in the time bucket.",
            c->nets_capped);
    family(o, "scanflow_alerts_total", "counter", "Alerts this collector won, by kind.");
    sample(o, "scanflow_alerts_total", "kind=\"port_scan\"", c->alerts_port_scan);
    sample(o, "scanflow_alerts_total", "kind=\"host_sweep\"", c->alerts_host_sweep);
    sample(o, "scanflow_alerts_total", "kind=\"wide_sweep\"", c->alerts_wide_sweep);
    sample(o, "scanflow_alerts_total", "kind=\"net_port_scan\"", c->alerts_net_port_scan);
    sample(o, "scanflow_alerts_total", "kind=\"net_host_sweep\"", c->alerts_net_host_sweep);
    sample(o, "scanflow_alerts_total", "kind=\"distributed_port_scan\"",
           c->alerts_distributed_port_scan);
    counter(o, "scanflow_alerts_published_total", "Alerts published (PUBLISH and XADD done).",
            c->alerts_published);
    counter(o, "scanflow_alerts_dropped_total",
            "Alerts dropped: pending queue full while Redis was unreachable.", c->alerts_dropped);
    counter(o, "scanflow_allowlisted_total",
            "Threshold crossings of --allow sources (counted, never alerted).", c->allowed);
}

char *sf_metrics_render(sf_metrics_t *m)
{
    GString *o = g_string_sized_new(8192);
    g_autoptr(GHashTable) merged = g_hash_table_new_full(g_bytes_hash, g_bytes_equal,
                                                         (GDestroyNotify)g_bytes_unref, g_free);
    sf_stats_t st = {{0}};
    guint n_exporters = 0;

    g_mutex_lock(&m->lock);
    for (guint i = 0; i < m->n_slots; i++) {
        const slot_t *s = &m->slots[i];
        for (int c = 0; c < SF_C_COUNT; c++)
            st.c[c] += s->st.c[c];
        n_exporters += s->n_exporters;
        for (guint j = 0; j < s->exporters->len; j++) {
            const exp_sample_t *e = &g_array_index(s->exporters, exp_sample_t, j);
            GBytes *k = g_bytes_new(&e->key, sizeof e->key);
            exp_sample_t *sum = g_hash_table_lookup(merged, k);
            if (sum == NULL) {
                sum = g_new(exp_sample_t, 1);
                *sum = *e;
                g_hash_table_insert(merged, k, sum);
            } else {
                sum->packets += e->packets;
                sum->records += e->records;
                g_bytes_unref(k);
            }
        }
    }
    g_mutex_unlock(&m->lock);

    family(o, "scanflow_start_time_seconds", "gauge", "Start time of scanflowd (Unix seconds).");
    sample(o, "scanflow_start_time_seconds", NULL, (guint64)m->start_s);
    render_decoder(o, &st);
    render_exporters(o, merged, n_exporters);
    if (m->cor) {
        sf_correlator_stats_t c;
        sf_correlator_get_stats(m->cor, &c);
        render_correlator(o, &c);
    }
    return g_string_free(o, FALSE);
}

/* --metrics ADDR:PORT ------------------------------------------------------ */

gboolean sf_metrics_spec_parse(const char *spec, char **host, char **port,
                               GError **err)
{
    if (sf_hostport_parse(spec, SF_HOSTPORT_V6_BRACKETED, host, port))
        return TRUE;
    g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "--metrics %s: expected ADDR:PORT (IPv6 as [ADDR]:PORT)", spec);
    return FALSE;
}
