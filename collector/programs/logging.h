/*
 * logging.h - scanflowd's log writer for GLib structured logging.
 *
 * Code logs with g_message/g_warning (G_LOG_USE_STRUCTURED is defined for
 * the whole build, so each call carries CODE_FILE and CODE_LINE); this
 * writer filters by --log-level, rate-limits warnings per call site, and
 * writes to the journal when stderr is connected to it, to syslog after
 * --daemon, and otherwise to stderr as "TIME scanflowd: LEVEL: message".
 */
#ifndef SF_LOGGING_H
#define SF_LOGGING_H

#include <glib.h>

typedef enum {
    SF_LOG_ERROR,       /* errors and criticals */
    SF_LOG_WARNING,
    SF_LOG_INFO,        /* g_message and g_info: start, stop, Redis back */
    SF_LOG_DEBUG,
} sf_log_level_t;

/* "error", "warning", "info" or "debug". */
gboolean sf_log_level_parse(const char *text, sf_log_level_t *out, GError **err);

/* Installs the writer (once per process; later calls change the level). */
void sf_log_init(sf_log_level_t level);

/* From now on, write to syslog (after --daemon closed stderr), unless the
 * journal is the destination. */
void sf_log_to_syslog(const char *ident);

/* At most this many warnings per call site per interval; the next one
 * after a quiet interval says how many were suppressed. */
#define SF_LOG_BURST 5
#define SF_LOG_INTERVAL_S 60

#endif
