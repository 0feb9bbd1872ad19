/*
 * config.c - defaults, command-line options and validation of the
 * correlator's settings.
 *
 * Defaults, set against the detectors operators know: a 300 s window
 * (Zeek's scan.zeek window), 64 distinct ports (between Zeek's 15 and
 * Elastic's 250: a SYN scan of nmap's top 100 ports trips it, a busy client
 * does not), 32 hosts in one /24 (Zeek's 25 rounded to a power of two), a
 * 1 s flush interval, suppression for one window.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK(sf-correlate-error-quark, sf_correlate_error)

sf_correlate_config_t *sf_correlate_config_new(void)
{
    sf_correlate_config_t *cfg = g_new0(sf_correlate_config_t, 1);

    cfg->flush_s = 1.0;
    cfg->window_s = 300;
    cfg->port_threshold = 64;
    cfg->sweep_threshold = 32;
    cfg->wide_sweep_threshold = 64;
    cfg->stream_maxlen = 100000;
    cfg->stream_shards = 1;
    cfg->max_sources = 65536;
    cfg->max_elements = 131072;
    cfg->max_nets_per_source = 256;
    cfg->max_pending_alerts = 1024;
    cfg->probation_slots = 262144;
    cfg->share_after = 4;
    cfg->max_redis_sources = 100000;
    cfg->max_redis_targets = 1000;
    return cfg;
}

void sf_correlate_config_free(sf_correlate_config_t *cfg)
{
    if (cfg == NULL)
        return;
    g_free(cfg->redis_url);
    g_strfreev(cfg->home_net_s);
    g_strfreev(cfg->allow_s);
    g_strfreev(cfg->tag_s);
    g_free(cfg->channel);
    g_free(cfg->source_prefix_s);
    g_strfreev(cfg->horizon_s);
    g_free(cfg->clock_s);
    if (cfg->horizons)
        g_array_unref(cfg->horizons);
    g_free(cfg->distributed_s);
    g_free(cfg->stream);
    sf_redis_target_free(cfg->redis);
    if (cfg->home_nets)
        g_array_unref(cfg->home_nets);
    if (cfg->allow)
        g_array_unref(cfg->allow);
    if (cfg->tags) {
        for (guint i = 0; i < cfg->tags->len; i++)
            g_free(g_array_index(cfg->tags, sf_tag_t, i).name);
        g_array_unref(cfg->tags);
    }
    g_free(cfg);
}

GOptionEntry *sf_correlate_option_entries(sf_correlate_config_t *cfg)
{
    const GOptionEntry entries[] = {
        {"redis", 0, 0, G_OPTION_ARG_STRING, &cfg->redis_url,
         "Redis: redis://[user:password@]host:port/db, unix:///path or "
         "redis+cluster://host:port[,host:port...] "
         "(password also from SCANFLOW_REDIS_PASSWORD)", "URL"},
        {"home-net", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cfg->home_net_s,
         "Home network; count only flows from outside into it (repeatable)",
         "CIDR"},
        {"window", 0, 0, G_OPTION_ARG_INT, &cfg->window_s,
         "Sliding window in seconds (300)", "S"},
        {"port-threshold", 0, 0, G_OPTION_ARG_INT, &cfg->port_threshold,
         "Distinct destination ports of one source for port_scan (64)", "N"},
        {"sweep-threshold", 0, 0, G_OPTION_ARG_INT, &cfg->sweep_threshold,
         "Distinct hosts of one source in one /24 for host_sweep (32)", "N"},
        {"wide-sweep-threshold", 0, 0, G_OPTION_ARG_INT,
         &cfg->wide_sweep_threshold,
         "Distinct hosts of one source over several /24s (IPv6: /64s) for "
         "wide_sweep (64)", "N"},
        {"distributed-threshold", 0, 0, G_OPTION_ARG_STRING,
         &cfg->distributed_s,
         "distributed_port_scan of one host of --home-net: distinct ports "
         "probed and distinct sources, no source holding PORTS ports of "
         "the host, e.g. 64:8 (default 0:0, off)", "PORTS:SOURCES"},
        {"horizon", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cfg->horizon_s,
         "A longer window with its own thresholds: port_scan ports, "
         "host_sweep hosts, wide_sweep hosts (default 2 x HOSTS); "
         "repeatable, replaces the defaults 3600:64:48:96 and "
         "86400:128:96:192; \"off\": the --window only",
         "SECONDS:PORTS:HOSTS[:WIDE]"},
        {"clock", 0, 0, G_OPTION_ARG_STRING, &cfg->clock_s,
         "The correlator's clock: \"arrival\" (the collector's, default) "
         "or \"flows\" (the newest flow end time seen: for replaying "
         "stored exports faster than they were made)", "arrival|flows"},
        {"suppress", 0, 0, G_OPTION_ARG_INT, &cfg->suppress_s,
         "Seconds between alerts of one (source, kind) (the window)", "S"},
        {"allow", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cfg->allow_s,
         "Authorised scanner: counted, never alerted (repeatable)", "CIDR"},
        {"tag", 0, 0, G_OPTION_ARG_STRING_ARRAY, &cfg->tag_s,
         "Known scanner: alerts carry NAME in tags (repeatable)", "CIDR=NAME"},
        {"channel", 0, 0, G_OPTION_ARG_STRING, &cfg->channel,
         "Pub/sub channel for alerts (scanflow:alerts)", "NAME"},
        {"stream", 0, 0, G_OPTION_ARG_STRING, &cfg->stream,
         "Stream for alerts (scanflow:alerts)", "KEY"},
        {"stream-maxlen", 0, 0, G_OPTION_ARG_INT, &cfg->stream_maxlen,
         "Approximate length cap of the stream (100000)", "N"},
        {"stream-shards", 0, 0, G_OPTION_ARG_INT, &cfg->stream_shards,
         "Spread alerts over N streams KEY:0..N-1 (1: the stream KEY)", "N"},
        {"flush-interval", 0, 0, G_OPTION_ARG_DOUBLE, &cfg->flush_s,
         "Seconds of local aggregation between Redis updates (1)", "S"},
        {"max-sources", 0, 0, G_OPTION_ARG_INT, &cfg->max_sources,
         "Sources tracked locally per flush interval (65536)", "N"},
        {"max-elements", 0, 0, G_OPTION_ARG_INT, &cfg->max_elements,
         "Distinct ports, nets and hosts kept locally per flush (131072)",
         "N"},
        {"max-nets-per-source", 0, 0, G_OPTION_ARG_INT,
         &cfg->max_nets_per_source,
         "Destination /24s whose hosts are tracked per source: per flush "
         "locally, per time bucket in Redis (256)", "N"},
        {"max-pending-alerts", 0, 0, G_OPTION_ARG_INT,
         &cfg->max_pending_alerts,
         "Alerts kept while Redis is unreachable (1024)", "N"},
        {"probation-slots", 0, 0, G_OPTION_ARG_INT, &cfg->probation_slots,
         "Sources held locally until they show fan-out, 96 bytes each "
         "(262144; 0: write every source to Redis)", "N"},
        {"share-after", 0, 0, G_OPTION_ARG_INT, &cfg->share_after,
         "Distinct ports or hosts a source must show within the window "
         "before it is written to Redis (4; 1 to 4; 1: at once)", "N"},
        {"source-prefix", 0, 0, G_OPTION_ARG_STRING, &cfg->source_prefix_s,
         "Networks of sources counted together for net_port_scan and "
         "net_host_sweep: IPv4 and IPv6 prefix lengths (24,64; 0: off)",
         "V4LEN,V6LEN"},
        {"max-redis-sources", 0, 0, G_OPTION_ARG_INT, &cfg->max_redis_sources,
         "New sources this collector writes to Redis per window, a tenth "
         "per bucket; beyond, they wait on probation for the next bucket "
         "(100000; 0: no cap)", "N"},
        {"max-redis-targets", 0, 0, G_OPTION_ARG_INT, &cfg->max_redis_targets,
         "New scanned hosts (distributed_port_scan) this collector writes "
         "to Redis per bucket; beyond, refused and counted (1000; 0: no "
         "cap)", "N"},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    GOptionEntry *copy = g_new(GOptionEntry, G_N_ELEMENTS(entries));

    memcpy(copy, entries, sizeof entries);
    return copy;
}

GOptionGroup *sf_correlate_option_group(sf_correlate_config_t *cfg)
{
    g_autofree GOptionEntry *entries = sf_correlate_option_entries(cfg);
    GOptionGroup *g = g_option_group_new("correlate",
        "Correlator options:", "Show correlator options", NULL, NULL);

    g_option_group_add_entries(g, entries);
    return g;
}

static gboolean bad_value(GError **err, const char *option, const char *value,
                          const char *why)
{
    g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_CONFIG,
                "--%s %s: %s", option, value, why);
    return FALSE;
}

static gboolean parse_cidrs(char **texts, const char *option, GArray **out,
                            GError **err)
{
    *out = g_array_new(FALSE, FALSE, sizeof(sf_cidr_t));
    for (guint i = 0; texts && texts[i]; i++) {
        sf_cidr_t c;
        g_autoptr(GError) e = NULL;

        if (!sf_cidr_parse(texts[i], &c, &e))
            return bad_value(err, option, texts[i], e->message);
        g_array_append_val(*out, c);
    }
    return TRUE;
}

static gboolean parse_tags(sf_correlate_config_t *cfg, GError **err)
{
    cfg->tags = g_array_new(FALSE, FALSE, sizeof(sf_tag_t));
    for (guint i = 0; cfg->tag_s && cfg->tag_s[i]; i++) {
        const char *eq = strchr(cfg->tag_s[i], '=');
        g_autofree char *prefix = NULL;
        g_autoptr(GError) e = NULL;
        sf_tag_t t;

        if (eq == NULL || eq[1] == '\0')
            return bad_value(err, "tag", cfg->tag_s[i],
                             "expected CIDR=NAME");
        prefix = g_strndup(cfg->tag_s[i], (gsize)(eq - cfg->tag_s[i]));
        if (!sf_cidr_parse(prefix, &t.cidr, &e))
            return bad_value(err, "tag", cfg->tag_s[i], e->message);
        t.name = g_strdup(eq + 1);
        g_array_append_val(cfg->tags, t);
    }
    return TRUE;
}

static gboolean check_range(GError **err, const char *option, int v, int lo,
                            int hi)
{
    char text[32];

    if (v >= lo && v <= hi)
        return TRUE;
    g_snprintf(text, sizeof text, "%d", v);
    g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_CONFIG,
                "--%s %s: must be between %d and %d", option, text, lo, hi);
    return FALSE;
}

static gboolean check_numbers(const sf_correlate_config_t *cfg, GError **err)
{
    return check_range(err, "window", cfg->window_s, 10, 86400)
        && check_range(err, "port-threshold", cfg->port_threshold, 2, 65536)
        && check_range(err, "sweep-threshold", cfg->sweep_threshold, 2, 65536)
        && check_range(err, "wide-sweep-threshold", cfg->wide_sweep_threshold,
                       2, 1 << 24)
        && check_range(err, "suppress", cfg->suppress_s, 0, 7 * 86400)
        && check_range(err, "stream-maxlen", cfg->stream_maxlen, 1, 1 << 30)
        && check_range(err, "stream-shards", cfg->stream_shards, 1, 1024)
        && check_range(err, "max-sources", cfg->max_sources, 16, 1 << 24)
        && check_range(err, "max-elements", cfg->max_elements, 64, 1 << 26)
        && check_range(err, "max-nets-per-source", cfg->max_nets_per_source,
                       1, 1 << 20)
        && check_range(err, "max-pending-alerts", cfg->max_pending_alerts,
                       1, 1 << 20)
        && check_range(err, "probation-slots", cfg->probation_slots, 0,
                       1 << 24)
        && check_range(err, "share-after", cfg->share_after, 1, 4)
        && check_range(err, "max-redis-sources", cfg->max_redis_sources, 0,
                       1 << 30)
        && check_range(err, "max-redis-targets", cfg->max_redis_targets, 0,
                       1 << 30);
}

/* "V4LEN,V6LEN" (default 24,64), each 0 (off) or 1-32 / 1-128. */
static gboolean parse_source_prefix(sf_correlate_config_t *cfg, GError **err)
{
    const char *text = cfg->source_prefix_s ? cfg->source_prefix_s : "24,64";
    g_auto(GStrv) parts = g_strsplit(text, ",", -1);
    guint64 v4, v6;

    if (g_strv_length(parts) != 2
        || !g_ascii_string_to_unsigned(g_strstrip(parts[0]), 10, 0, 32, &v4,
                                       NULL)
        || !g_ascii_string_to_unsigned(g_strstrip(parts[1]), 10, 0, 128, &v6,
                                       NULL))
        return bad_value(err, "source-prefix", text,
                         "expected V4LEN,V6LEN (0-32, 0-128; 0: off)");
    cfg->source_prefix_v4 = (int)v4;
    cfg->source_prefix_v6 = (int)v6;
    return TRUE;
}

/* "PORTS:SOURCES" (default 0:0: off, see README), 2-65536 and 2-1000000, or 0:0 (off). */
static gboolean parse_distributed(sf_correlate_config_t *cfg, GError **err)
{
    const char *text = cfg->distributed_s ? cfg->distributed_s : "0:0";
    g_auto(GStrv) parts = g_strsplit(text, ":", -1);
    guint64 ports, sources;

    if (g_strv_length(parts) != 2
        || !g_ascii_string_to_unsigned(g_strstrip(parts[0]), 10, 0, 65536,
                                       &ports, NULL)
        || !g_ascii_string_to_unsigned(g_strstrip(parts[1]), 10, 0, 1000000,
                                       &sources, NULL)
        || (ports == 0) != (sources == 0) || ports == 1 || sources == 1)
        return bad_value(err, "distributed-threshold", text,
                         "expected PORTS:SOURCES (2-65536, 2-1000000; "
                         "0:0: off)");
    cfg->distributed_ports = (int)ports;
    cfg->distributed_sources = (int)sources;
    return TRUE;
}

/* cfg->horizons: the base window, then --horizon (or the defaults). */
static gboolean parse_horizons(sf_correlate_config_t *cfg, GError **err)
{
    static const char *const defaults[] = {SF_HORIZON_DEFAULTS, NULL};
    const char *const *texts = cfg->horizon_s
                               ? (const char *const *)cfg->horizon_s
                               : defaults;
    sf_horizon_t h;

    cfg->horizons = g_array_new(FALSE, FALSE, sizeof(sf_horizon_t));
    sf_horizon_init(&h, cfg->window_s, cfg->port_threshold,
                    cfg->sweep_threshold, cfg->wide_sweep_threshold);
    g_array_append_val(cfg->horizons, h);
    for (guint i = 0; texts[i]; i++) {
        if (g_strcmp0(texts[i], "off") == 0) {
            if (texts[1] != NULL || i != 0)
                return bad_value(err, "horizon", "off",
                                 "\"off\" cannot be given with horizons");
            break;
        }
        if (!sf_horizon_parse(texts[i], &h, err))
            return FALSE;
        /* a default no longer than a long --window is left out, and a
         * default's thresholds are at least the shorter horizon's: a
         * raised --port-threshold is not undercut by the hour's 64 */
        if (texts == defaults) {
            const sf_horizon_t *prev = &g_array_index(
                cfg->horizons, sf_horizon_t, cfg->horizons->len - 1);

            if (h.seconds <= cfg->window_s)
                continue;
            h.ports = MAX(h.ports, prev->ports);
            h.hosts = MAX(h.hosts, prev->hosts);
            h.wide = MAX(h.wide, prev->wide);
        }
        g_array_append_val(cfg->horizons, h);
    }
    return sf_horizon_check_list(cfg->horizons, err);
}

gboolean sf_correlate_config_finish(sf_correlate_config_t *cfg, GError **err)
{
    g_autoptr(GError) e = NULL;
    const char *url = cfg->redis_url ? cfg->redis_url
                                     : "redis://127.0.0.1:6379/0";

    g_return_val_if_fail(!cfg->finished, FALSE);
    if (!check_numbers(cfg, err))
        return FALSE;
    if (!(cfg->flush_s >= 0.01 && cfg->flush_s <= 60.0)) {
        g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_CONFIG,
                    "--flush-interval %g: must be between 0.01 and 60",
                    cfg->flush_s);
        return FALSE;
    }
    cfg->redis = sf_redis_target_parse(url, &e);
    if (cfg->redis == NULL) {
        /* The message names the URL without its password. */
        g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_CONFIG,
                    "--redis: %s", e->message);
        return FALSE;
    }
    if (!parse_cidrs(cfg->home_net_s, "home-net", &cfg->home_nets, err)
        || !parse_cidrs(cfg->allow_s, "allow", &cfg->allow, err)
        || !parse_tags(cfg, err))
        return FALSE;
    if (!parse_source_prefix(cfg, err) || !parse_distributed(cfg, err)
        || !parse_horizons(cfg, err))
        return FALSE;
    if (cfg->clock_s && strcmp(cfg->clock_s, "flows") != 0
        && strcmp(cfg->clock_s, "arrival") != 0)
        return bad_value(err, "clock", cfg->clock_s,
                         "expected arrival or flows");
    cfg->clock_flows = g_strcmp0(cfg->clock_s, "flows") == 0;
    if (cfg->channel == NULL)
        cfg->channel = g_strdup("scanflow:alerts");
    if (cfg->stream == NULL)
        cfg->stream = g_strdup("scanflow:alerts");
    if (cfg->suppress_s == 0)
        cfg->suppress_s = cfg->window_s;
    cfg->bucket_s = g_array_index(cfg->horizons, sf_horizon_t, 0).bucket_s;
    cfg->flush_ms = (int)(cfg->flush_s * 1000.0 + 0.5);
    cfg->finished = TRUE;
    return TRUE;
}

guint sf_correlate_share_after(const sf_correlate_config_t *cfg)
{
    return (guint)MIN(cfg->share_after,
                      MIN(MIN(cfg->port_threshold, cfg->sweep_threshold),
                          cfg->wide_sweep_threshold));
}
