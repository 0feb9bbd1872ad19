/*
 * alert.c - alert JSON (schemas/alert.schema.json) built with json-glib.
 *
 * Severity grows with how far past its threshold the scan went: below 4x
 * "low", below 16x "medium", beyond "high" (a 64-port threshold: nmap's
 * default 1,000 ports are "medium", 1,024 ports and more "high"; with a
 * 32-host threshold a sweep of 32-127 hosts of one /24 is "low", of
 * 128-254 "medium"; a wide sweep weighs its distinct hosts).  Technique:
 * MITRE ATT&CK T1595.001 (Scanning IP Blocks) for sweeps, T1595 (Active
 * Scanning) for port scans.
 * An alert judged on packet-sampled evidence carries the sample's counts
 * as observed_* and, in the distinct counts, the estimates of what they
 * stand for (sf_alert_estimate; severity is judged on those).
 */
#include "alert.h"
#include "sampling.h"

#include <json-glib/json-glib.h>
#include <string.h>

const char *sf_alert_kind_name(sf_alert_kind_t kind)
{
    static const char *const names[] = {"port_scan", "host_sweep",
                                        "wide_sweep", "net_port_scan",
                                        "net_host_sweep",
                                        "distributed_port_scan"};

    return (guint)kind < G_N_ELEMENTS(names) ? names[kind] : "?";
}

gboolean sf_alert_kind_is_net(sf_alert_kind_t kind)
{
    return kind == SF_ALERT_NET_PORT_SCAN || kind == SF_ALERT_NET_HOST_SWEEP;
}

void sf_alert_facts_clear(sf_alert_facts_t *f)
{
    for (guint i = 0; i < f->n_sample_hosts; i++)
        g_free(f->sample_hosts[i]);
    for (guint i = 0; i < f->n_exporters; i++)
        g_free(f->exporters[i]);
    for (guint i = 0; i < f->n_sample_sources; i++)
        g_free(f->sample_sources[i]);
    memset(f, 0, sizeof *f);
}

static char *rfc3339(gint64 ms)
{
    g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(ms / 1000);
    g_autofree char *base = g_date_time_format(t, "%Y-%m-%dT%H:%M:%S");

    return g_strdup_printf("%s.%03dZ", base, (int)(ms % 1000));
}

void sf_alert_estimate(sf_alert_facts_t *f)
{
    guint32 n = f->sampling_interval;
    guint rp, rh;

    if (n <= 1)
        return;
    f->observed_ports = f->distinct_ports;
    f->observed_hosts = f->distinct_hosts;
    f->observed_hosts_in_top_net24 = f->hosts_in_top_net24;
    rp = sf_sampling_r_class((guint64)MAX(f->observed_hosts, 1));
    rh = sf_sampling_r_class((guint64)MAX(f->observed_ports, 1));
    f->distinct_ports = (gint64)sf_sampling_estimate((guint64)MAX(f->observed_ports, 0),
                                                     n, rp, 65536);
    f->distinct_hosts = (gint64)sf_sampling_estimate((guint64)MAX(f->observed_hosts, 0),
                                                     n, rh, G_MAXINT64);
    f->hosts_in_top_net24 = (gint64)sf_sampling_estimate(
        (guint64)MAX(f->observed_hosts_in_top_net24, 0), n, rh,
        g_str_has_suffix(f->top_net24, "/24") ? 256 : G_MAXINT64);
}

static const char *severity(const sf_alert_facts_t *f)
{
    gint64 value = f->kind == SF_ALERT_PORT_SCAN ? f->distinct_ports
                 : f->kind == SF_ALERT_NET_PORT_SCAN ? f->distinct_ports
                 : f->kind == SF_ALERT_DISTRIBUTED_PORT_SCAN ? f->distinct_ports
                 : f->kind == SF_ALERT_WIDE_SWEEP ? f->distinct_hosts
                 : f->hosts_in_top_net24;

    if (value < 4 * f->threshold)
        return "low";
    return value < 16 * f->threshold ? "medium" : "high";
}

static void add_time(JsonBuilder *b, const char *name, gint64 ms)
{
    g_autofree char *text = rfc3339(ms > 0 ? ms : 0);

    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, text);
}

static void add_int(JsonBuilder *b, const char *name, gint64 v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, v);
}

static void add_str(JsonBuilder *b, const char *name, const char *v)
{
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, v);
}

static void add_strings(JsonBuilder *b, const char *name,
                        char *const *v, guint n)
{
    json_builder_set_member_name(b, name);
    json_builder_begin_array(b);
    for (guint i = 0; i < n; i++)
        json_builder_add_string_value(b, v[i]);
    json_builder_end_array(b);
}

static void add_samples(JsonBuilder *b, const sf_alert_facts_t *f)
{
    json_builder_set_member_name(b, "sample_ports");
    json_builder_begin_array(b);
    for (guint i = 0; i < f->n_sample_ports; i++)
        json_builder_add_int_value(b, f->sample_ports[i]);
    json_builder_end_array(b);
    add_strings(b, "sample_hosts", f->sample_hosts, f->n_sample_hosts);
    add_strings(b, "exporters", f->exporters, f->n_exporters);
}

char *sf_alert_to_json(const sf_alert_facts_t *f, const char *collector,
                       const char *const *tags, gint64 now_ms)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    g_autofree char *id = f->id[0] ? g_strdup(f->id) : g_uuid_string_random();
    char src[SF_ADDR_STRLEN + 8];
    gboolean dist = f->kind == SF_ALERT_DISTRIBUTED_PORT_SCAN;
    gboolean net = sf_alert_kind_is_net(f->kind) || dist;

    sf_addr_to_string(&f->src, src);
    if (f->src_prefix)
        g_snprintf(src + strlen(src), 8, "/%u", f->src_prefix);
    json_builder_begin_object(b);
    /* /2: src may be a network (CIDR), with distinct_sources */
    add_str(b, "schema", net ? "scanflow.alert/2" : "scanflow.alert/1");
    add_str(b, "id", id);
    add_time(b, "time", now_ms);
    add_str(b, "kind", sf_alert_kind_name(f->kind));
    /* distributed_port_scan: no one source; the scanned host instead */
    add_str(b, dist ? "target" : "src", src);
    add_str(b, "technique",
            f->kind == SF_ALERT_PORT_SCAN || f->kind == SF_ALERT_NET_PORT_SCAN
                || dist
                ? "T1595" : "T1595.001");
    add_str(b, "severity", severity(f));
    add_int(b, "window_s", f->window_s);
    if (f->escalates[0])
        add_str(b, "escalates", f->escalates);
    add_int(b, "distinct_ports", f->distinct_ports);
    add_int(b, "distinct_hosts", f->distinct_hosts);
    add_int(b, "distinct_nets24", f->distinct_nets24);
    json_builder_set_member_name(b, "top_net24");
    if (f->top_net24[0])
        json_builder_add_string_value(b, f->top_net24);
    else
        json_builder_add_null_value(b);
    add_int(b, "hosts_in_top_net24", f->hosts_in_top_net24);
    if (f->sampling_interval > 1) {
        add_int(b, "sampling_interval", f->sampling_interval);
        json_builder_set_member_name(b, "estimated");
        json_builder_add_boolean_value(b, TRUE);
        add_int(b, "observed_ports", f->observed_ports);
        add_int(b, "observed_hosts", f->observed_hosts);
        add_int(b, "observed_hosts_in_top_net24", f->observed_hosts_in_top_net24);
    }
    add_int(b, "flows", f->flows);
    add_time(b, "first_seen", f->first_seen_ms);
    add_time(b, "last_seen", f->last_seen_ms);
    if (net) {
        add_int(b, "distinct_sources", f->distinct_sources);
        add_strings(b, "sample_sources", f->sample_sources,
                    f->n_sample_sources);
    }
    add_samples(b, f);
    add_str(b, "collector", collector);
    add_strings(b, "tags", (char *const *)tags,
                tags ? g_strv_length((char **)tags) : 0);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    return json_generator_to_data(gen, NULL);
}
