/*
 * hunt.c - `scanflow hunt`: scanflowd's detection over stored flows.
 *
 * Captures and raw payload files go through the daemon's decode path
 * (source.c, decoder.c, as `scanflow decode`), nfdump's CSV through
 * nfdumpcsv.c; the flows feed the in-process correlator (correlate/
 * local.c) on their own clock, and each alert is printed as one line of
 * the daemon's JSON, in time order.  The correlator's options, --sampling
 * and --config (of whose [collector] group only sampling is read) mean
 * what they mean for scanflowd; the Redis and publishing ones are
 * accepted and unused.
 */
#include "hunt.h"
#include "conffile.h"
#include "decoder.h"
#include "local.h"
#include "nfdumpcsv.h"
#include "source.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef struct hunt {
    sf_local_t   *local;
    sf_decoder_t *dec;
    const char   *name;
    const char   *input;        /* for the progress line */
    gboolean      progress;
    gint64        next_us;      /* next progress line (monotonic) */
    guint         countdown;
} hunt_t;

static void print_alert(const sf_alert_facts_t *f, const char *const *tags,
                        gint64 time_ms, void *user)
{
    const hunt_t *h = user;
    g_autofree char *json = sf_alert_to_json(f, h->name, tags, time_ms);

    puts(json);
}

static void progress_line(hunt_t *h, gboolean last)
{
    sf_local_stats_t st;
    char when[32] = "-";
    gint64 clock = sf_local_clock(h->local);

    sf_local_get_stats(h->local, &st);
    if (clock > 0) {
        g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc(clock / 1000);
        g_autofree char *s = t ? g_date_time_format(t, "%Y-%m-%d %H:%M:%S")
                               : NULL;
        g_strlcpy(when, s ? s : "?", sizeof when);
    }
    fprintf(stderr, "\r\033[Khunt: %s: %" G_GUINT64_FORMAT " flows, %"
            G_GUINT64_FORMAT " evidence, %" G_GUINT64_FORMAT
            " alerts, flow clock %s UTC%s", h->input, st.flows, st.evidence,
            st.alerts, when, last ? "\n" : "");
}

static void hunt_flow(const sf_flow_t *f, void *user)
{
    hunt_t *h = user;

    sf_local_flow(f, h->local);
    if (!h->progress || f == NULL || --h->countdown)
        return;
    h->countdown = 4096;
    if (g_get_monotonic_time() >= h->next_us) {
        h->next_us = g_get_monotonic_time() + 250000;
        progress_line(h, FALSE);
    }
}

static void hunt_packet(const sf_packet_t *pkt, void *user)
{
    hunt_t *h = user;

    sf_decoder_packet(h->dec, &pkt->from, pkt->data, pkt->len, pkt->time_ms);
}

static gboolean read_nfdump(hunt_t *h, const char *path, GError **err)
{
    FILE *in = strcmp(path, "-") ? fopen(path, "r") : stdin;
    sf_nfdump_csv_t *p;
    gboolean ok;

    if (in == NULL) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "--nfdump %s: %s", path, g_strerror(errno));
        return FALSE;
    }
    p = sf_nfdump_csv_new();
    h->input = path;
    ok = sf_nfdump_csv_read(p, in, hunt_flow, h, err);
    if (sf_nfdump_csv_stats(p)->bad_lines || sf_nfdump_csv_stats(p)->no_header)
        fprintf(stderr, "hunt: %s: %" G_GUINT64_FORMAT " lines not read as "
                "flows (%" G_GUINT64_FORMAT " before a header)\n", path,
                sf_nfdump_csv_stats(p)->bad_lines + sf_nfdump_csv_stats(p)->no_header,
                sf_nfdump_csv_stats(p)->no_header);
    sf_nfdump_csv_free(p);
    if (in != stdin)
        fclose(in);
    return ok;
}

static void summary(hunt_t *h)
{
    sf_local_stats_t st;

    sf_local_get_stats(h->local, &st);
    if (h->progress)
        progress_line(h, TRUE);
    fprintf(stderr,
            "hunt: %" G_GUINT64_FORMAT " flows, %" G_GUINT64_FORMAT
            " evidence, %" G_GUINT64_FORMAT " alerts (%" G_GUINT64_FORMAT
            " allowed); %" G_GUINT64_FORMAT " flows without a time (%"
            G_GUINT64_FORMAT " dropped); peak %"
            G_GUINT64_FORMAT " entities, %" G_GUINT64_FORMAT " elements; %"
            G_GUINT64_FORMAT " entities evicted (--max-sources), %"
            G_GUINT64_FORMAT " elements dropped (--max-elements)\n",
            st.flows, st.evidence, st.alerts, st.allowed, st.untimed,
            st.untimed_dropped, st.entities_peak, st.elements_peak, st.entities_evicted,
            st.elements_dropped);
}

typedef struct hunt_opts {
    char    *config, *nfdump, *raw_from, *name;
    char   **sampling;
    gboolean quiet;
} hunt_opts_t;

static gboolean run(hunt_t *h, const hunt_opts_t *o, int argc, char **argv,
                    GError **err)
{
    sf_decoder_config_t dcfg = SF_DECODER_CONFIG_DEFAULT;
    sf_stats_t capture = {{0}};
    sf_addr_t from;

    if (!sf_addr_parse(o->raw_from ? o->raw_from : "0.0.0.0", &from)) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--raw-exporter: bad address '%s'", o->raw_from);
        return FALSE;
    }
    if (argc < 2 && o->nfdump == NULL) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "no FILE given (nor --nfdump)");
        return FALSE;
    }
    h->dec = sf_decoder_new(&dcfg, hunt_flow, h);
    if (!sf_decoder_add_sampling(h->dec, o->sampling, err))
        return FALSE;
    for (int i = 1; i < argc; i++) {
        h->input = argv[i];
        if (!sf_file_foreach(argv[i], &from, hunt_packet, h, &capture, err))
            return FALSE;
    }
    if (o->nfdump && !read_nfdump(h, o->nfdump, err))
        return FALSE;
    sf_local_finish(h->local);
    return TRUE;
}

int sf_cmd_hunt(int argc, char **argv)
{
    hunt_opts_t o = {0};
    GOptionEntry entries[] = {
        { "config", 'c', 0, G_OPTION_ARG_FILENAME, &o.config,
          "scanflowd's configuration file: its [correlate] options and [collector] sampling apply", "FILE" },
        { "nfdump", 0, 0, G_OPTION_ARG_FILENAME, &o.nfdump,
          "Also read flows from nfdump's CSV output (nfdump -R DIR -o csv); - for stdin",
          "FILE" },
        { "raw-exporter", 0, 0, G_OPTION_ARG_STRING, &o.raw_from,
          "Exporter address for raw payload files (default 0.0.0.0)", "ADDR" },
        { "name", 0, 0, G_OPTION_ARG_STRING, &o.name,
          "The alerts' collector field (default hunt)", "NAME" },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o.quiet,
          "No progress line on a terminal, no summary", NULL },
        { "sampling", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.sampling,
          "Exporters in CIDR sample 1 packet in N where they announce no interval "
          "(repeatable; as scanflowd's)", "CIDR=N" },
        G_OPTION_ENTRY_NULL
    };
    const GOptionEntry collector[] = { entries[G_N_ELEMENTS(entries) - 2],
                                       G_OPTION_ENTRY_NULL };
    sf_correlate_config_t *cfg = sf_correlate_config_new();
    g_autofree GOptionEntry *centries = sf_correlate_option_entries(cfg);
    const sf_conf_group_t groups[] = { { "collector", collector, TRUE },
                                       { "correlate", centries, FALSE } };
    GOptionContext *ctx = g_option_context_new(
        "[FILE...] - run scanflowd's detection over captures, raw export "
        "files or nfdump's CSV, on the flows' own clock; alerts as JSON lines");
    GOptionGroup *g = g_option_group_new("correlate", "Detection options "
                                         "(as scanflowd's)", "Show detection options",
                                         NULL, NULL);
    hunt_t h = {.countdown = 4096};
    sf_conffile_t *cf;
    GError *err = NULL;
    int rc = 1;

    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_group_add_entries(g, centries);
    g_option_context_add_group(ctx, g);
    cf = sf_conffile_load(sf_conffile_find(argc, argv, 'c'), groups,
                          G_N_ELEMENTS(groups), argc, argv, &err);
    if (cf == NULL)
        goto fail;
    argv = sf_conffile_argv(cf, &argc);
    if (!g_option_context_parse(ctx, &argc, &argv, &err)
        || !sf_correlate_config_finish(cfg, &err)) {
        sf_conffile_annotate(cf, err);
        goto fail;
    }
    h.name = o.name ? o.name : "hunt";
    h.progress = !o.quiet && isatty(STDERR_FILENO);
    h.local = sf_local_new(cfg, print_alert, &h);
    if (!run(&h, &o, argc, argv, &err))
        goto fail;
    fflush(stdout);
    if (!o.quiet)
        summary(&h);
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "scanflow hunt: %s\n", err ? err->message : "failed");
    g_clear_error(&err);
out:
    sf_decoder_free(h.dec);
    sf_local_free(h.local);
    sf_conffile_free(cf);
    g_option_context_free(ctx);
    sf_correlate_config_free(cfg);
    g_free(o.config);
    g_free(o.nfdump);
    g_free(o.raw_from);
    g_free(o.name);
    g_strfreev(o.sampling);
    return rc;
}
