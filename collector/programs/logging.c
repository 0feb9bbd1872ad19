/*
 * logging.c - the log writer: level filter, rate limit, destination.
 *
 * Rate limiting lives in the writer, not at the call sites, so every
 * warning of every module (correlate/ and libfixbuf's included) is bounded
 * the same way: a site that fires in a loop (an exporter sending garbage,
 * Redis flapping) costs at most SF_LOG_BURST lines per SF_LOG_INTERVAL_S.
 * A site is CODE_FILE:CODE_LINE when the caller logged structured, else
 * the first 48 bytes of the message.  The site table is bounded.
 */
#include "logging.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#define MAX_SITES 256

typedef struct site {
    gint64 window_start;        /* monotonic us */
    guint  count;               /* lines in this window */
    guint  suppressed;
} site_t;

static struct {
    GMutex          lock;
    sf_log_level_t  level;
    gboolean        journald;
    gboolean        syslog;
    GHashTable     *sites;      /* key -> site_t */
} lg;

gboolean sf_log_level_parse(const char *text, sf_log_level_t *out, GError **err)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};

    for (guint i = 0; i < G_N_ELEMENTS(names); i++)
        if (g_ascii_strcasecmp(text, names[i]) == 0) {
            *out = (sf_log_level_t)i;
            return TRUE;
        }
    g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "--log-level %s: expected error, warning, info or debug", text);
    return FALSE;
}

static sf_log_level_t level_of(GLogLevelFlags flags)
{
    if (flags & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL))
        return SF_LOG_ERROR;
    if (flags & G_LOG_LEVEL_WARNING)
        return SF_LOG_WARNING;
    if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        return SF_LOG_INFO;
    return SF_LOG_DEBUG;
}

static const char *field(const GLogField *fields, gsize n, const char *key)
{
    for (gsize i = 0; i < n; i++)
        if (strcmp(fields[i].key, key) == 0)
            return fields[i].length < 0 ? fields[i].value : NULL;
    return NULL;
}

/* Whether this warning may be written; *suppressed gets how many of the
 * site's were dropped since it last wrote.  Under lg.lock. */
static gboolean admit(const GLogField *fields, gsize n, guint *suppressed)
{
    const char *file = field(fields, n, "CODE_FILE");
    const char *line = field(fields, n, "CODE_LINE");
    const char *msg = field(fields, n, "MESSAGE");
    g_autofree char *key = file && line ? g_strdup_printf("%s:%s", file, line)
                                        : g_strndup(msg ? msg : "", 48);
    gint64 now = g_get_monotonic_time();
    site_t *s = g_hash_table_lookup(lg.sites, key);

    *suppressed = 0;
    if (s == NULL) {
        if (g_hash_table_size(lg.sites) >= MAX_SITES)
            g_hash_table_remove_all(lg.sites);
        s = g_new0(site_t, 1);
        s->window_start = now;
        g_hash_table_insert(lg.sites, g_steal_pointer(&key), s);
    }
    if (now - s->window_start >= SF_LOG_INTERVAL_S * G_USEC_PER_SEC) {
        s->window_start = now;
        s->count = 0;
    }
    if (s->count >= SF_LOG_BURST) {
        s->suppressed++;
        return FALSE;
    }
    s->count++;
    *suppressed = s->suppressed;
    s->suppressed = 0;
    return TRUE;
}

static const char *level_name(GLogLevelFlags flags)
{
    if (flags & G_LOG_LEVEL_ERROR)
        return "error";
    if (flags & G_LOG_LEVEL_CRITICAL)
        return "critical";
    if (flags & G_LOG_LEVEL_WARNING)
        return "warning";
    if (flags & (G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO))
        return "info";
    return "debug";
}

static int syslog_priority(GLogLevelFlags flags)
{
    switch (level_of(flags)) {
    case SF_LOG_ERROR: return LOG_ERR;
    case SF_LOG_WARNING: return LOG_WARNING;
    case SF_LOG_INFO: return LOG_INFO;
    default: return LOG_DEBUG;
    }
}

static void write_stderr(GLogLevelFlags flags, const char *msg, guint suppressed)
{
    char when[32];
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    if (suppressed)
        fprintf(stderr, "%s.%03ldZ scanflowd: %s: (%u similar suppressed) %s\n",
                when, ts.tv_nsec / 1000000, level_name(flags), suppressed, msg);
    else
        fprintf(stderr, "%s.%03ldZ scanflowd: %s: %s\n", when,
                ts.tv_nsec / 1000000, level_name(flags), msg);
    fflush(stderr);
}

static GLogWriterOutput writer(GLogLevelFlags flags, const GLogField *fields,
                               gsize n, gpointer data)
{
    const char *msg = field(fields, n, "MESSAGE");
    guint suppressed = 0;
    GLogWriterOutput out = G_LOG_WRITER_HANDLED;

    g_mutex_lock(&lg.lock);
    if (level_of(flags) > lg.level)
        goto out;
    if ((flags & (G_LOG_LEVEL_WARNING | G_LOG_LEVEL_CRITICAL))
        && !admit(fields, n, &suppressed))
        goto out;
    if (lg.journald) {
        out = g_log_writer_journald(flags, fields, n, data);
    } else if (lg.syslog) {
        if (suppressed)
            syslog(syslog_priority(flags), "(%u similar suppressed) %s",
                   suppressed, msg ? msg : "");
        else
            syslog(syslog_priority(flags), "%s", msg ? msg : "");
    } else {
        write_stderr(flags, msg ? msg : "", suppressed);
    }
out:
    g_mutex_unlock(&lg.lock);
    return out;
}

void sf_log_init(sf_log_level_t level)
{
    static gsize once;

    if (g_once_init_enter(&once)) {
        lg.sites = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        lg.journald = g_log_writer_is_journald(fileno(stderr));
        g_log_set_writer_func(writer, NULL, NULL);
        g_once_init_leave(&once, 1);
    }
    g_mutex_lock(&lg.lock);
    lg.level = level;
    g_mutex_unlock(&lg.lock);
}

void sf_log_to_syslog(const char *ident)
{
    g_mutex_lock(&lg.lock);
    if (!lg.journald) {
        openlog(ident, LOG_PID, LOG_DAEMON);
        lg.syslog = TRUE;
    }
    g_mutex_unlock(&lg.lock);
}
