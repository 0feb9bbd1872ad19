/*
 * metrics.c - Prometheus text exposition (format 0.0.4) over a small
 * HTTP/1.0 server on a thread of its own, and `scanflow stats`.
 *
 * Names: prefix scanflow_, counters end in _total.  The decoder's named
 * counters (stats.h) map by prefix, so a counter added there is exported
 * with no change here: malformed_X -> scanflow_decode_errors_total
 * {reason="X"}, refused_X -> scanflow_refused_total{reason="X"},
 * packets_V / records_V -> scanflow_packets_total / scanflow_records_total
 * {version="V"}, packets -> scanflow_datagrams_total, anything else ->
 * scanflow_NAME_total.  One request at a time, answered and closed: a
 * Prometheus server scrapes every few seconds and `scanflow stats` asks
 * once.
 */
#include "metrics.h"
#include "addr.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

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
    int              fd;
    GThread         *thread;
    gint             stop;      /* atomic */
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
    m->fd = -1;
    return m;
}

void sf_metrics_free(sf_metrics_t *m)
{
    if (m == NULL)
        return;
    if (m->thread) {
        g_atomic_int_set(&m->stop, 1);
        g_thread_join(m->thread);
    }
    if (m->fd >= 0)
        close(m->fd);
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
           g_str_has_prefix(c, "malformed_") || g_str_has_prefix(c, "refused_");
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

static const char *version_label(guint8 v)
{
    return v == 5 ? "v5" : v == 9 ? "v9" : "ipfix";
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
            "Sources of the current bucket pushed out of the Redis thread's \"seen\" table.",
            c->seen_evicted);
    counter(o, "scanflow_redis_nets_capped_total",
            "Nets whose hosts were not written to Redis: the source had --max-nets-per-source "
            "nets with host keys in the time bucket.",
            c->nets_capped);
    family(o, "scanflow_alerts_total", "counter", "Alerts this collector won, by kind.");
    sample(o, "scanflow_alerts_total", "kind=\"port_scan\"", c->alerts_port_scan);
    sample(o, "scanflow_alerts_total", "kind=\"host_sweep\"", c->alerts_host_sweep);
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

/* HTTP server ---------------------------------------------------------------- */

gboolean sf_metrics_spec_parse(const char *spec, char **host, char **port,
                               GError **err)
{
    if (sf_hostport_parse(spec, SF_HOSTPORT_V6_BRACKETED, host, port))
        return TRUE;
    g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "--metrics %s: expected ADDR:PORT (IPv6 as [ADDR]:PORT)", spec);
    return FALSE;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0 && errno != EINTR)
            return;
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        }
    }
}

static void respond(int fd, const char *status, const char *type, const char *body,
                    gboolean head)
{
    g_autofree char *hdr = g_strdup_printf(
        "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
        "Connection: close\r\n\r\n", status, type, strlen(body));
    send_all(fd, hdr, strlen(hdr));
    if (!head)
        send_all(fd, body, strlen(body));
}

/* Reads the request head (2 s at most) and answers it. */
static void serve_one(sf_metrics_t *m, int fd)
{
    char req[4096];
    size_t n = 0;
    struct timeval tv = {2, 0};

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    while (n < sizeof req - 1) {
        ssize_t r = recv(fd, req + n, sizeof req - 1 - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
        req[n] = '\0';
        if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
            break;
    }
    req[n] = '\0';
    gboolean head = g_str_has_prefix(req, "HEAD ");
    if (!head && !g_str_has_prefix(req, "GET ")) {
        respond(fd, "405 Method Not Allowed", "text/plain", "GET /metrics\n", FALSE);
        return;
    }
    const char *path = req + (head ? 5 : 4);
    size_t plen = strcspn(path, " ?\r\n");
    if (plen == 8 && strncmp(path, "/metrics", 8) == 0) {
        g_autofree char *body = sf_metrics_render(m);
        respond(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body, head);
    } else if (plen == 1 && path[0] == '/') {
        respond(fd, "200 OK", "text/plain", "scanflowd: metrics at /metrics\n", head);
    } else {
        respond(fd, "404 Not Found", "text/plain", "not found; metrics at /metrics\n", head);
    }
}

static gpointer http_main(gpointer data)
{
    sf_metrics_t *m = data;

    while (!g_atomic_int_get(&m->stop)) {
        struct pollfd p = {m->fd, POLLIN, 0};
        if (poll(&p, 1, 200) <= 0)
            continue;
        int c = accept4(m->fd, NULL, NULL, SOCK_CLOEXEC);
        if (c < 0)
            continue;
        serve_one(m, c);
        shutdown(c, SHUT_WR);
        close(c);
    }
    return NULL;
}

static int bind_tcp(const char *host, const char *port, char *bound, size_t blen,
                    GError **err)
{
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *res = NULL;
    int fd = -1, rc = getaddrinfo(host, port, &hints, &res), one = 1, zero = 0;

    if (rc != 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "--metrics %s:%s: %s",
                    host, port, gai_strerror(rc));
        return -1;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (res->ai_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    if (fd < 0 || bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 16) != 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "--metrics %s:%s: %s", host, port, g_strerror(errno));
        if (fd >= 0)
            close(fd);
        freeaddrinfo(res);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char h[NI_MAXHOST], s[NI_MAXSERV];
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    if (getnameinfo((struct sockaddr *)&ss, sl, h, sizeof h, s, sizeof s,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
        g_snprintf(bound, blen, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, s);
    freeaddrinfo(res);
    return fd;
}

gboolean sf_metrics_serve(sf_metrics_t *m, const char *spec, GError **err)
{
    g_autofree char *host = NULL, *port = NULL;
    char bound[NI_MAXHOST + NI_MAXSERV + 4] = "?";

    g_return_val_if_fail(m->fd < 0, FALSE);
    if (!sf_metrics_spec_parse(spec, &host, &port, err))
        return FALSE;
    m->fd = bind_tcp(host, port, bound, sizeof bound, err);
    if (m->fd < 0)
        return FALSE;
    m->thread = g_thread_try_new("sf-metrics", http_main, m, err);
    if (m->thread == NULL)
        return FALSE;
    g_message("metrics on http://%s/metrics", bound);
    return TRUE;
}

/* scanflow stats ---------------------------------------------------------------- */

/* GET url ("http://HOST:PORT/PATH") with HTTP/1.0; the body on success. */
static char *http_get(const char *url, GError **err)
{
    g_autofree char *hostport = NULL, *host = NULL, *port = NULL;
    const char *rest = g_str_has_prefix(url, "http://") ? url + 7 : NULL;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL, *ai;
    GString *in;
    int fd = -1, rc;

    if (rest == NULL) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--metrics %s: expected http://HOST:PORT/metrics", url);
        return NULL;
    }
    const char *path = strchr(rest, '/');
    hostport = path ? g_strndup(rest, (gsize)(path - rest)) : g_strdup(rest);
    if (!sf_metrics_spec_parse(hostport, &host, &port, err))
        return NULL;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s", url, gai_strerror(rc));
        return NULL;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s "
                    "(is scanflowd running with --metrics %s?)", url,
                    g_strerror(errno), hostport);
        return NULL;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    g_autofree char *req = g_strdup_printf("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n",
                                           path ? path : "/metrics", hostport);
    send_all(fd, req, strlen(req));
    in = g_string_new(NULL);
    for (;;) {
        char buf[8192];
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0)
            break;
        g_string_append_len(in, buf, r);
    }
    close(fd);
    char *body = strstr(in->str, "\r\n\r\n");
    if (!g_str_has_prefix(in->str, "HTTP/1.") || strstr(in->str, " 200 ") == NULL
        || body == NULL) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: unexpected answer '%.40s'",
                    url, in->str);
        g_string_free(in, TRUE);
        return NULL;
    }
    char *out = g_strdup(body + 4);
    g_string_free(in, TRUE);
    return out;
}

/* "scanflow_packets_total{version="v9"} 5" -> name "packets", labels
 * "v9", value "5". */
static gboolean split_sample(const char *line, char **name, char **labels,
                             const char **value)
{
    const char *v = strrchr(line, ' '), *lb = strchr(line, '{');
    const char *end = lb && lb < v ? lb : v;

    if (v == NULL || !g_str_has_prefix(line, "scanflow_"))
        return FALSE;
    *name = g_strndup(line + 9, (gsize)(end - line - 9));
    if (g_str_has_suffix(*name, "_total"))
        (*name)[strlen(*name) - 6] = '\0';
    GString *l = g_string_new(NULL);
    for (const char *p = lb && lb < v ? lb + 1 : v; p < v && *p != '}'; p++) {
        if (*p == '"')
            continue;
        if (*p == '=') {        /* drop the label's key */
            gssize k = (gssize)l->len - 1;
            while (k >= 0 && l->str[k] != ' ')
                k--;
            g_string_truncate(l, (gsize)(k + 1));
            continue;
        }
        g_string_append_c(l, *p == ',' ? ' ' : *p);
    }
    *labels = g_string_free(l, FALSE);
    *value = v + 1;
    return TRUE;
}

static void print_human(const char *text, gboolean all)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    double rt_sum = 0, rt_count = 0, start = 0;

    for (char **l = lines; *l; l++) {
        g_autofree char *name = NULL, *labels = NULL;
        const char *value;
        if (**l == '#' || !split_sample(*l, &name, &labels, &value))
            continue;
        double v = g_ascii_strtod(value, NULL);
        if (strcmp(name, "start_time_seconds") == 0) {
            start = v;
            continue;
        }
        if (strcmp(name, "redis_roundtrip_seconds_sum") == 0) {
            rt_sum = v;
            continue;
        }
        if (strcmp(name, "redis_roundtrip_seconds_count") == 0) {
            rt_count = v;
            continue;
        }
        if (v == 0 && !all)
            continue;
        printf("%-28s %-30s %s\n", name, labels, value);
    }
    if (rt_count > 0)
        printf("%-28s %-30s %.2f ms (%.0f flushes)\n", "redis_roundtrip_mean", "",
               rt_sum * 1000 / rt_count, rt_count);
    if (start > 0)
        printf("%-28s %-30s %.0f s\n", "uptime", "",
               (double)g_get_real_time() / G_USEC_PER_SEC - start);
}

int sf_cmd_stats(int argc, char **argv)
{
    g_autofree char *url = NULL;
    gboolean all = FALSE, raw = FALSE;
    const GOptionEntry entries[] = {
        {"metrics", 'm', 0, G_OPTION_ARG_STRING, &url,
         "scanflowd's metrics URL (default http://127.0.0.1:9477/metrics)", "URL"},
        {"all", 'a', 0, G_OPTION_ARG_NONE, &all, "Also print counters that are zero", NULL},
        {"raw", 0, 0, G_OPTION_ARG_NONE, &raw, "Print the Prometheus text as received", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(
        "- print a running scanflowd's metrics (--metrics) for a person");
    g_autoptr(GError) err = NULL;
    g_autofree char *body = NULL;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)
        || (body = http_get(url ? url : "http://127.0.0.1:9477/metrics", &err)) == NULL) {
        g_printerr("scanflow stats: %s\n", err->message);
        return 1;
    }
    if (raw)
        fputs(body, stdout);
    else
        print_human(body, all);
    return 0;
}
