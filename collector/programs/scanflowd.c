/*
 * scanflowd.c - the daemon: sockets -> decoder -> correlator -> Redis.
 *
 * Stays in the foreground and logs to stderr (systemd style).  The receive
 * loop runs on the main thread; the correlator owns a thread for Redis, so
 * a slow or absent Redis never stalls receiving.
 */
#include "cidr.h"
#include "conffile.h"
#include "correlator.h"
#include "daemon.h"
#include "decoder.h"
#include "httpd.h"
#include "listener.h"
#include "logging.h"
#include "metrics.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static volatile sig_atomic_t reload;

static void on_signal(int sig)
{
    if (sig == SIGHUP)
        reload = 1;
    else
        stop = 1;
}

/* What SIGHUP needs: the configuration file and the command line as
 * given, read again for the correlator's rules. */
static struct {
    sf_correlator_t       *cor;
    const GOptionEntry    *collector_entries;
    char                 **argv;
    int                    argc;
} hup;

/*
 * SIGHUP: --home-net, --allow, --tag and the thresholds are read again
 * from the configuration file and the original command line and handed to
 * the running correlator; its windows, counts and alert memory stay.  The
 * other options (sockets, Redis, caps) need a restart.  A configuration
 * that no longer parses is logged and the current rules stay.
 */
static void reload_rules(void)
{
    sf_correlate_config_t *cfg = sf_correlate_config_new();
    g_autofree GOptionEntry *centries = sf_correlate_option_entries(cfg);
    const sf_conf_group_t groups[] = { { "collector", hup.collector_entries, FALSE },
                                       { "correlate", centries, FALSE } };
    GOptionContext *ctx = g_option_context_new(NULL);
    GOptionGroup *g = g_option_group_new("correlate", "", "", NULL, NULL);
    GError *err = NULL;
    char **argv = g_strdupv(hup.argv);
    sf_conffile_t *cf = sf_conffile_load(sf_conffile_find(hup.argc, argv, 0), groups,
                                         G_N_ELEMENTS(groups), hup.argc, argv, &err);

    g_option_group_add_entries(g, centries);
    g_option_context_set_main_group(ctx, g);
    g_option_context_set_ignore_unknown_options(ctx, TRUE);
    g_option_context_set_help_enabled(ctx, FALSE);
    if (cf != NULL) {
        int argc;
        char **args = sf_conffile_argv(cf, &argc);
        if (g_option_context_parse(ctx, &argc, &args, &err) &&
            sf_correlate_config_finish(cfg, &err)) {
            sf_correlator_reload(hup.cor, cfg);
            g_message("SIGHUP: allow-lists, tags and thresholds reloaded");
        }
    }
    if (err != NULL) {
        sf_conffile_annotate(cf, err);
        g_warning("SIGHUP: configuration not reloaded, keeping the current rules: %s",
                  err->message);
        g_error_free(err);
    }
    sf_conffile_free(cf);
    g_option_context_free(ctx);
    g_strfreev(argv);
    sf_correlate_config_free(cfg);
}

/* --user: after the ports are bound, give up root for good. */
static gboolean drop_privileges(const char *user, GError **err)
{
    struct passwd *pw = getpwnam(user);

    if (pw == NULL) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--user %s: no such user", user);
        return FALSE;
    }
    if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
        setuid(pw->pw_uid) != 0 || (pw->pw_uid != 0 && setuid(0) == 0)) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                    "--user %s: cannot switch to uid %u: %s", user,
                    (unsigned)pw->pw_uid, g_strerror(errno));
        return FALSE;
    }
    g_message("running as %s (uid %u)", pw->pw_name, (unsigned)pw->pw_uid);
    return TRUE;
}

typedef struct daemon_opts {
    char   **listen;
    char   **exporters;
    char   **sampling;
    gint     max_exporters;
    gint     max_templates;
    gint     max_fields;
    gint     exporter_idle;
    char    *name;
    gboolean verbose;
    char    *config;            /* read by conffile.c before parsing */
    gboolean check_config;
    char    *log_level;
    gboolean daemonize;
    char    *pidfile;
    char    *metrics;
    gint     workers;
    gint     rx_coalesce_us;
    char    *user;
    gint     tcp_max;           /* IPFIX over TCP limits (tcp.h) */
    gint     tcp_per_addr;
    gint     tcp_idle;
    gint     tcp_message;
} daemon_opts_t;

static sf_tcp_limits_t tcp_limits(const daemon_opts_t *o)
{
    return (sf_tcp_limits_t){ (unsigned)o->tcp_max, (unsigned)o->tcp_per_addr,
                              (unsigned)o->tcp_idle, (unsigned)o->tcp_message };
}

typedef struct tick_ctx {
    sf_decoder_t *dec;
    int64_t       last_expire;
    sf_metrics_t *metrics;      /* NULL without --metrics */
    guint         slot;         /* receive worker: its metrics slot */
} tick_ctx_t;

static void tick(void *p, int64_t now_ms)
{
    tick_ctx_t *t = p;

    if (now_ms - t->last_expire >= 60000) {
        sf_decoder_expire(t->dec, now_ms);
        t->last_expire = now_ms;
    }
    if (t->metrics)
        sf_metrics_publish(t->metrics, t->slot, t->dec, now_ms, FALSE);
    if (t->slot == 0 && reload) {       /* the main receive thread only */
        reload = 0;
        reload_rules();
    }
}

static gboolean add_exporters(sf_decoder_t *dec, char **nets, GError **err)
{
    for (char **n = nets; n && *n; n++) {
        sf_cidr_t net;
        if (!sf_cidr_parse_network(*n, &net, NULL)) {
            g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--exporter: bad network '%s' (expected ADDR[/LEN])", *n);
            return FALSE;
        }
        sf_decoder_allow_exporter(dec, &net);
    }
    return TRUE;
}

/* Receive workers (--workers): a decoder and a listener each, all
 * feeding the one correlator.  Worker 0 runs on the main thread; with more
 * than one, every socket is bound with SO_REUSEPORT (listener.c says why
 * per-worker template state is safe). */
typedef struct worker {
    sf_correlator_feed_t *feed;
    sf_decoder_t  *dec;
    sf_listener_t *lis;
    tick_ctx_t     t;
    GThread       *thread;
} worker_t;

static gboolean worker_open(worker_t *w, const sf_decoder_config_t *dcfg,
                            sf_correlator_t *cor, const daemon_opts_t *o,
                            GError **err)
{
    const sf_tcp_limits_t lim = tcp_limits(o);

    w->feed = sf_correlator_feed_new(cor);
    w->dec = sf_decoder_new(dcfg, sf_correlator_feed_flow, w->feed);
    w->lis = sf_listener_new(w->dec);
    sf_listener_set_reuseport(w->lis, o->workers > 1);
    sf_listener_set_coalesce(w->lis, (guint)o->rx_coalesce_us);
    sf_listener_set_tcp_limits(w->lis, &lim);
    if (!add_exporters(w->dec, o->exporters, err) ||
        !sf_decoder_add_sampling(w->dec, o->sampling, err))
        return FALSE;
    for (char **l = o->listen; *l; l++)
        if (!sf_listener_add(w->lis, *l, err))
            return FALSE;
    return TRUE;
}

/* The stopping lines: all workers' decoders summed, and the correlator's
 * counters (benchmarks read both). */
static void log_stopping(const worker_t *w, int n, sf_correlator_t *cor)
{
    guint64 packets = sf_decoder_stats(w[0].dec)->c[SF_C_PACKETS];
    guint64 records = sf_decoder_stats(w[0].dec)->c[SF_C_RECORDS];
    sf_correlator_stats_t cs;

    for (int i = 1; i < n; i++) {
        guint64 p = sf_decoder_stats(w[i].dec)->c[SF_C_PACKETS];
        g_message("worker %d: %llu packets", i, (unsigned long long)p);
        packets += p;
        records += sf_decoder_stats(w[i].dec)->c[SF_C_RECORDS];
    }
    if (n > 1)
        g_message("worker 0: %llu packets",
                  (unsigned long long)sf_decoder_stats(w[0].dec)->c[SF_C_PACKETS]);
    g_message("stopping: %llu packets, %llu records", (unsigned long long)packets,
              (unsigned long long)records);
    sf_correlator_get_stats(cor, &cs);
    g_message("correlator: %llu flows, %llu evidence, %llu sources evicted, "
              "%llu elements dropped, %llu flushes, %llu redis commands, "
              "%llu held, %llu shared, %llu forgotten, %llu refused, "
              "%llu targets refused",
              (unsigned long long)cs.flows, (unsigned long long)cs.evidence,
              (unsigned long long)cs.evicted_sources,
              (unsigned long long)cs.dropped_elements,
              (unsigned long long)cs.flushes, (unsigned long long)cs.redis_commands,
              (unsigned long long)cs.probation_held,
              (unsigned long long)cs.probation_promoted,
              (unsigned long long)cs.probation_forgotten,
              (unsigned long long)cs.probation_refused,
              (unsigned long long)cs.refused_targets);
}

/* Room for every TCP connection the caps allow, plus sockets, Redis and
 * logs: the soft descriptor limit is raised towards the hard one.  What
 * remains short is logged; tcp.c then closes the longest-idle connection
 * when accept() finds no descriptor. */
static void raise_nofile(const daemon_opts_t *o)
{
    rlim_t want = (rlim_t)o->tcp_max * (rlim_t)o->workers + 256;
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? want : MIN(want, rl.rlim_max);
    setrlimit(RLIMIT_NOFILE, &rl);
    if (rl.rlim_cur < want)
        g_warning("descriptor limit %llu is below --tcp-max-connections x --workers + 256 = %llu",
                  (unsigned long long)rl.rlim_cur, (unsigned long long)want);
}

static gboolean check_range(const char *option, int v, int lo, int hi, GError **err)
{
    if (v >= lo && v <= hi)
        return TRUE;
    g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "--%s %d: must be between %d and %d", option, v, lo, hi);
    return FALSE;
}

static const char *default_listen[] = {
    "udp://[::]:2055", "udp://[::]:4739", "tcp://[::]:4739",
    "udp://[::]:6343", NULL };

/* Checks what binding or connecting would find wrong later, so that
 * --check-config and a daemon that detaches see it first.  Fills in the
 * default --listen addresses. */
static gboolean check_collector(daemon_opts_t *o, GError **err)
{
    sf_decoder_config_t dcfg = SF_DECODER_CONFIG_DEFAULT;
    sf_decoder_t *probe = sf_decoder_new(&dcfg, NULL, NULL);
    gboolean ok = add_exporters(probe, o->exporters, err) &&
                  sf_decoder_add_sampling(probe, o->sampling, err);

    sf_decoder_free(probe);
    if (o->listen == NULL)
        o->listen = g_strdupv((char **)default_listen);
    for (char **l = o->listen; ok && *l; l++) {
        g_autofree char *proto = NULL, *host = NULL, *port = NULL;
        g_autoptr(GError) e = NULL;
        if (!sf_listen_spec_parse(*l, &proto, &host, &port, &e)) {
            g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--listen %s: %s", *l, e->message);
            ok = FALSE;
        }
    }
    if (ok && o->metrics) {
        g_autofree char *host = NULL, *port = NULL;
        ok = sf_metrics_spec_parse(o->metrics, &host, &port, err);
    }
    return ok;
}

/* Everything main() wires together, and what it frees at the end. */
typedef struct scanflowd {
    daemon_opts_t          o;
    GOptionEntry          *entries;     /* collector options, into o */
    GOptionEntry          *centries;    /* correlator options, into ccfg */
    sf_conf_group_t        groups[2];
    GOptionContext        *ctx;
    sf_correlate_config_t *ccfg;
    sf_conffile_t         *cf;
    sf_pidfile_t          *pidfile;
    sf_correlator_t       *cor;
    worker_t              *workers;     /* o.workers of them */
    sf_metrics_t          *metrics;     /* NULL without --metrics */
    sf_httpd_t            *httpd;       /* serves metrics */
} scanflowd_t;

/* The [collector] options (the correlator's come from correlate/config.c). */
static GOptionEntry *option_entries(daemon_opts_t *o)
{
    const GOptionEntry entries[] = {
        { "listen", 'l', 0, G_OPTION_ARG_STRING_ARRAY, &o->listen,
          "Receive on udp://ADDR:PORT (v5, v9, IPFIX, sFlow v5) or tcp://ADDR:PORT "
          "(IPFIX); repeatable; any given replaces the defaults udp://[::]:2055, "
          "udp://[::]:4739, tcp://[::]:4739, udp://[::]:6343", "URL" },
        { "exporter", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->exporters,
          "Accept exports only from this network (repeatable; default: all)", "CIDR" },
        { "sampling", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o->sampling,
          "Exporters in CIDR sample 1 packet in N where they announce no interval "
          "(repeatable; the longest prefix wins; what an exporter announces wins)",
          "CIDR=N" },
        { "max-exporters", 0, 0, G_OPTION_ARG_INT, &o->max_exporters,
          "Exporters tracked at once (default 1024)", "N" },
        { "max-templates", 0, 0, G_OPTION_ARG_INT, &o->max_templates,
          "Templates per exporter, all domains (default 1024)", "N" },
        { "max-fields", 0, 0, G_OPTION_ARG_INT, &o->max_fields,
          "Fields per template (default 512, at most 4096)", "N" },
        { "exporter-idle", 0, 0, G_OPTION_ARG_INT, &o->exporter_idle,
          "Forget an exporter and its templates after this many silent seconds "
          "(default 3600)", "S" },
        { "name", 0, 0, G_OPTION_ARG_STRING, &o->name,
          "Collector name in alerts (default: host name)", "NAME" },
        { "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose,
          "Log debug messages (as --log-level debug)", NULL },
        { "config", 0, 0, G_OPTION_ARG_FILENAME, &o->config,
          "Read options from an INI file: groups [collector] and [correlate], keys "
          "named as the long options, lists as a;b; the command line wins", "FILE" },
        { "check-config", 0, 0, G_OPTION_ARG_NONE, &o->check_config,
          "Validate the configuration, print it (passwords masked) and exit", NULL },
        { "log-level", 0, 0, G_OPTION_ARG_STRING, &o->log_level,
          "error, warning, info (default) or debug; to the journal when stderr "
          "is the journal", "LEVEL" },
        { "daemon", 0, 0, G_OPTION_ARG_NONE, &o->daemonize,
          "Detach once listening and log to syslog (default: stay in the "
          "foreground, log to stderr)", NULL },
        { "pidfile", 0, 0, G_OPTION_ARG_FILENAME, &o->pidfile,
          "Write the pid to FILE, locked against a second instance; removed at exit",
          "FILE" },
        { "metrics", 0, 0, G_OPTION_ARG_STRING, &o->metrics,
          "Serve Prometheus metrics at http://ADDR:PORT/metrics, e.g. 127.0.0.1:9477 "
          "(default: off)", "ADDR:PORT" },
        { "workers", 0, 0, G_OPTION_ARG_INT, &o->workers,
          "Receive threads, each with its own decoder and its own SO_REUSEPORT "
          "socket per --listen address (default 1)", "N" },
        { "rx-coalesce-us", 0, 0, G_OPTION_ARG_INT, &o->rx_coalesce_us,
          "When the UDP sockets had no backlog, wait this long before polling "
          "again, so that datagrams are read in batches (default 2000; 0: off)", "US" },
        { "tcp-max-connections", 0, 0, G_OPTION_ARG_INT, &o->tcp_max,
          "IPFIX over TCP: connections at once per receive worker; when full, "
          "the longest-idle one gives way to a newcomer (default 256)", "N" },
        { "tcp-max-per-address", 0, 0, G_OPTION_ARG_INT, &o->tcp_per_addr,
          "IPFIX over TCP: connections from one address; a newcomer over it "
          "replaces that address's longest-idle one (default 16)", "N" },
        { "tcp-idle-timeout", 0, 0, G_OPTION_ARG_INT, &o->tcp_idle,
          "IPFIX over TCP: close a connection that completed no message for "
          "this many seconds (default 3600)", "S" },
        { "tcp-message-timeout", 0, 0, G_OPTION_ARG_INT, &o->tcp_message,
          "IPFIX over TCP: close a connection whose message begun this many "
          "seconds ago is still incomplete (default 30)", "S" },
        { "user", 0, 0, G_OPTION_ARG_STRING, &o->user,
          "After binding the ports, run as this unprivileged user (default: "
          "stay as started)", "NAME" },
        G_OPTION_ENTRY_NULL
    };

    return g_memdup2(entries, sizeof entries);
}

/* The configuration file, then the command line over it.  --help shows
 * every group. */
static gboolean parse_options(scanflowd_t *d, int argc, char **argv, GError **err)
{
    d->entries = option_entries(&d->o);
    d->ccfg = sf_correlate_config_new();
    d->centries = sf_correlate_option_entries(d->ccfg);
    d->groups[0] = (sf_conf_group_t){ "collector", d->entries, FALSE };
    d->groups[1] = (sf_conf_group_t){ "correlate", d->centries, FALSE };
    d->ctx = g_option_context_new("- receive NetFlow/IPFIX, detect scans, alert via Redis");
    hup.argv = g_strdupv(argv);
    hup.argc = argc;
    hup.collector_entries = d->entries;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
            argv[i] = (char *)"--help-all";
    g_option_context_add_main_entries(d->ctx, d->entries, NULL);
    g_option_context_add_group(d->ctx, sf_correlate_option_group(d->ccfg));
    d->cf = sf_conffile_load(sf_conffile_find(argc, argv, 0), d->groups,
                             G_N_ELEMENTS(d->groups), argc, argv, err);
    if (d->cf == NULL)
        return FALSE;
    argv = sf_conffile_argv(d->cf, &argc);
    if (!g_option_context_parse(d->ctx, &argc, &argv, err) ||
        !sf_correlate_config_finish(d->ccfg, err))
        return FALSE;
    if (argc > 1) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "unexpected argument '%s'", argv[1]);
        return FALSE;
    }
    return TRUE;
}

/* Ranges, addresses and the log level; then logging at that level. */
static gboolean validate(scanflowd_t *d, GError **err)
{
    daemon_opts_t *o = &d->o;
    sf_log_level_t level = SF_LOG_INFO;

    if (!check_range("max-exporters", o->max_exporters, 1, G_MAXINT, err) ||
        !check_range("max-templates", o->max_templates, 1, G_MAXINT, err) ||
        !check_range("max-fields", o->max_fields, 1, 4096, err) ||
        !check_range("exporter-idle", o->exporter_idle, 1, G_MAXINT, err) ||
        !check_range("workers", o->workers, 1, 64, err) ||
        !check_range("rx-coalesce-us", o->rx_coalesce_us, 0, 100000, err) ||
        !check_range("tcp-max-connections", o->tcp_max, 1, 65536, err) ||
        !check_range("tcp-max-per-address", o->tcp_per_addr, 1, 65536, err) ||
        !check_range("tcp-idle-timeout", o->tcp_idle, 1, 86400, err) ||
        !check_range("tcp-message-timeout", o->tcp_message, 1, 3600, err) ||
        !check_collector(o, err) ||
        (o->log_level && !sf_log_level_parse(o->log_level, &level, err)))
        return FALSE;
    sf_log_init(o->verbose ? SF_LOG_DEBUG : level);
    return TRUE;
}

/* The correlator, then the receive workers with their bound sockets, then
 * the metrics endpoint: everything that needs the privileges we start
 * with. */
static gboolean start(scanflowd_t *d, GError **err)
{
    const daemon_opts_t *o = &d->o;
    char host[256] = "scanflowd";

    gethostname(host, sizeof host - 1);
    d->cor = sf_correlator_new(d->ccfg, o->name ? o->name : host, err);
    if (d->cor == NULL)
        return FALSE;
    sf_decoder_config_t dcfg = { (unsigned)o->max_exporters, (unsigned)o->max_templates,
                                 (unsigned)o->max_fields, (unsigned)o->exporter_idle,
                                 false };
    raise_nofile(o);
    d->workers = g_new0(worker_t, o->workers);
    for (int i = 0; i < o->workers; i++)
        if (!worker_open(&d->workers[i], &dcfg, d->cor, o, err))
            return FALSE;
    if (o->metrics) {
        d->metrics = sf_metrics_new((guint)o->workers, d->cor);
        if ((d->httpd = sf_httpd_start(d->metrics, o->metrics, err)) == NULL)
            return FALSE;
    }
    return TRUE;
}

/* Receives until SIGTERM or SIGINT: worker 0 on this thread, the others on
 * threads of their own; SIGHUP reloads the rules (tick(), worker 0). */
static void run(scanflowd_t *d)
{
    int n = d->o.workers;
    worker_t *w = d->workers;
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    hup.cor = d->cor;
    w[0].t = (tick_ctx_t){ w[0].dec, g_get_real_time() / 1000, d->metrics, 0 };
    if (d->o.daemonize)
        sf_log_to_syslog("scanflowd");
    sf_daemon_ready();                  /* --daemon: the parent exits 0 */
    for (int i = 1; i < n; i++) {
        w[i].t = (tick_ctx_t){ w[i].dec, w[0].t.last_expire, d->metrics, (guint)i };
        w[i].thread = sf_listener_spawn(w[i].lis, &stop, tick, &w[i].t);
    }
    sf_listener_run(w[0].lis, &stop, tick, &w[0].t);
    for (int i = 1; i < n; i++)
        g_thread_join(w[i].thread);
    log_stopping(w, n, d->cor);
}

/* In dependency order: the metrics thread reads the correlator, the
 * listeners feed the decoders, the feeds file what is staged and the
 * correlator flushes aggregates and pending alerts. */
static void teardown(scanflowd_t *d)
{
    daemon_opts_t *o = &d->o;
    int n = d->workers ? o->workers : 0;

    sf_httpd_stop(d->httpd);            /* before the metrics it serves */
    sf_metrics_free(d->metrics);
    for (int i = 0; i < n; i++)
        sf_listener_free(d->workers[i].lis);
    for (int i = 0; i < n; i++)
        sf_correlator_feed_free(d->workers[i].feed);
    sf_correlator_free(d->cor);
    for (int i = 0; i < n; i++)
        sf_decoder_free(d->workers[i].dec);
    g_free(d->workers);
    sf_correlate_config_free(d->ccfg);
    if (d->ctx)
        g_option_context_free(d->ctx);
    g_free(d->entries);
    g_free(d->centries);
    g_strfreev(o->listen);
    g_strfreev(o->exporters);
    g_strfreev(o->sampling);
    g_free(o->name);
    g_free(o->config);
    g_free(o->log_level);
    g_free(o->pidfile);
    g_free(o->metrics);
    g_free(o->user);
    g_strfreev(hup.argv);
    sf_pidfile_free(d->pidfile);
    sf_conffile_free(d->cf);
}

int main(int argc, char **argv)
{
    scanflowd_t d = { .o = { .max_exporters = 1024, .max_templates = 1024,
                             .max_fields = 512, .exporter_idle = 3600,
                             .workers = 1, .rx_coalesce_us = 2000,
                             .tcp_max = 256, .tcp_per_addr = 16,
                             .tcp_idle = 3600, .tcp_message = 30 } };
    GError *err = NULL;
    int rc = 0;

    sf_log_init(SF_LOG_INFO);
    if (!parse_options(&d, argc, argv, &err) || !validate(&d, &err))
        goto fail;
    if (d.o.check_config) {
        sf_conffile_print(d.groups, G_N_ELEMENTS(d.groups), stdout);
        goto out;
    }
    if ((d.o.daemonize && !sf_daemon_start(&err)) ||
        (d.o.pidfile && (d.pidfile = sf_pidfile_new(d.o.pidfile, &err)) == NULL) ||
        !start(&d, &err) ||
        (d.o.user && !drop_privileges(d.o.user, &err)))
        goto fail;
    run(&d);
    goto out;
fail:
    sf_conffile_annotate(d.cf, err);
    fprintf(stderr, "scanflowd: %s\n", err ? err->message : "failed");
    g_clear_error(&err);
    rc = 1;
out:
    teardown(&d);
    return rc;
}
