/*
 * scanflowd.c - the daemon: sockets -> decoder -> correlator -> Redis.
 *
 * Stays in the foreground and logs to stderr (systemd style).  The receive
 * loop runs on the main thread; the correlator owns a thread for Redis, so
 * a slow or absent Redis never stalls receiving.
 */
#include "correlator.h"
#include "decoder.h"
#include "listener.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    stop = 1;
}

typedef struct daemon_opts {
    char   **listen;
    char   **exporters;
    gint     max_exporters;
    gint     max_templates;
    gint     max_fields;
    gint     exporter_idle;
    char    *name;
    gboolean verbose;
} daemon_opts_t;

typedef struct tick_ctx {
    sf_decoder_t *dec;
    int64_t       last_expire;
} tick_ctx_t;

static void tick(void *p, int64_t now_ms)
{
    tick_ctx_t *t = p;

    if (now_ms - t->last_expire >= 60000) {
        sf_decoder_expire(t->dec, now_ms);
        t->last_expire = now_ms;
    }
}

static gboolean add_exporters(sf_decoder_t *dec, char **nets, GError **err)
{
    for (char **n = nets; n && *n; n++) {
        char *slash = strchr(*n, '/');
        char *addr = slash ? g_strndup(*n, (gsize)(slash - *n)) : g_strdup(*n);
        sf_addr_t a;
        long plen = -1;
        bool ok = sf_addr_parse(addr, &a);
        if (ok && slash) {
            char *end;
            plen = strtol(slash + 1, &end, 10);
            ok = *end == '\0' && slash[1] != '\0' && plen >= 0 &&
                 plen <= (sf_addr_is_v4(&a) ? 32 : 128);
        }
        g_free(addr);
        if (!ok) {
            g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--exporter: bad network '%s' (expected ADDR[/LEN])", *n);
            return FALSE;
        }
        if (plen < 0)
            plen = sf_addr_is_v4(&a) ? 32 : 128;
        sf_decoder_allow_exporter(dec, &a, sf_addr_is_v4(&a) ? (unsigned)plen + 96
                                                             : (unsigned)plen);
    }
    return TRUE;
}

int main(int argc, char **argv)
{
    static const char *default_listen[] = {
        "udp://[::]:2055", "udp://[::]:4739", "tcp://[::]:4739", NULL };
    daemon_opts_t o = { .max_exporters = 1024, .max_templates = 1024,
                        .max_fields = 512, .exporter_idle = 3600 };
    GOptionEntry entries[] = {
        { "listen", 'l', 0, G_OPTION_ARG_STRING_ARRAY, &o.listen,
          "Receive on udp://ADDR:PORT (v5, v9, IPFIX) or tcp://ADDR:PORT (IPFIX); "
          "repeatable; any given replaces the defaults udp://[::]:2055, "
          "udp://[::]:4739, tcp://[::]:4739", "URL" },
        { "exporter", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.exporters,
          "Accept exports only from this network (repeatable; default: all)", "CIDR" },
        { "max-exporters", 0, 0, G_OPTION_ARG_INT, &o.max_exporters,
          "Exporters tracked at once (default 1024)", "N" },
        { "max-templates", 0, 0, G_OPTION_ARG_INT, &o.max_templates,
          "Templates per exporter, all domains (default 1024)", "N" },
        { "max-fields", 0, 0, G_OPTION_ARG_INT, &o.max_fields,
          "Fields per template (default 512, at most 4096)", "N" },
        { "exporter-idle", 0, 0, G_OPTION_ARG_INT, &o.exporter_idle,
          "Forget an exporter and its templates after this many silent seconds "
          "(default 3600)", "S" },
        { "name", 0, 0, G_OPTION_ARG_STRING, &o.name,
          "Collector name in alerts (default: host name)", "NAME" },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &o.verbose, "Log debug messages", NULL },
        G_OPTION_ENTRY_NULL
    };
    GOptionContext *ctx = g_option_context_new("- receive NetFlow/IPFIX, detect scans, alert via Redis");
    sf_correlate_config_t *ccfg = sf_correlate_config_new();
    GError *err = NULL;
    int rc = 1;
    sf_decoder_t *dec = NULL;
    sf_listener_t *lis = NULL;
    sf_correlator_t *cor = NULL;

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_add_group(ctx, sf_correlate_option_group(ccfg));
    if (!g_option_context_parse(ctx, &argc, &argv, &err) ||
        !sf_correlate_config_finish(ccfg, &err))
        goto fail;
    if (argc > 1) {
        g_set_error(&err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "unexpected argument '%s'", argv[1]);
        goto fail;
    }
    if (o.max_exporters < 1 || o.max_templates < 1 || o.max_fields < 1 ||
        o.max_fields > 4096 || o.exporter_idle < 1) {
        g_set_error(&err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--max-exporters, --max-templates, --exporter-idle must be >= 1 "
                    "and --max-fields within 1..4096");
        goto fail;
    }
    if (o.verbose)
        g_setenv("G_MESSAGES_DEBUG", "scanflow", TRUE);

    char host[256] = "scanflowd";
    gethostname(host, sizeof host - 1);
    cor = sf_correlator_new(ccfg, o.name ? o.name : host, &err);
    if (cor == NULL)
        goto fail;
    sf_decoder_config_t dcfg = { (unsigned)o.max_exporters, (unsigned)o.max_templates,
                                 (unsigned)o.max_fields, (unsigned)o.exporter_idle,
                                 false };
    dec = sf_decoder_new(&dcfg, sf_correlator_flow, cor);
    if (!add_exporters(dec, o.exporters, &err))
        goto fail;
    lis = sf_listener_new(dec);
    const char *const *specs = o.listen ? (const char *const *)o.listen : default_listen;
    for (; *specs; specs++)
        if (!sf_listener_add(lis, *specs, &err))
            goto fail;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    tick_ctx_t t = { dec, g_get_real_time() / 1000 };
    sf_listener_run(lis, &stop, tick, &t);
    g_message("stopping: %llu packets, %llu records",
              (unsigned long long)sf_decoder_stats(dec)->c[SF_C_PACKETS],
              (unsigned long long)sf_decoder_stats(dec)->c[SF_C_RECORDS]);
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "scanflowd: %s\n", err ? err->message : "failed");
    g_clear_error(&err);
out:
    sf_listener_free(lis);
    sf_correlator_free(cor);        /* flushes aggregates and pending alerts */
    sf_decoder_free(dec);
    sf_correlate_config_free(ccfg);
    g_option_context_free(ctx);
    g_strfreev(o.listen);
    g_strfreev(o.exporters);
    g_free(o.name);
    return rc;
}
