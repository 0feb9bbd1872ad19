/*
 * metrics.h - Prometheus metrics of scanflowd (--metrics ADDR:PORT):
 * snapshots of the receive threads' counters and their exposition text.
 * httpd.h serves them; `scanflow stats` (statscmd.c) prints them.
 *
 * Threads: a decoder's counters are plain integers written by the thread
 * that owns the decoder, so the HTTP thread never reads them.  Each
 * receive thread owns one slot and, from its tick, copies its decoder's
 * counters and exporter table into the slot under the metrics lock at
 * most every 100 ms (sf_metrics_publish).  A scrape sums all slots, so
 * several receive threads (one decoder each) add up; the correlator's
 * counters come from sf_correlator_get_stats(), which locks its own.
 */
#ifndef SF_METRICS_H
#define SF_METRICS_H

#include "correlator.h"
#include "decoder.h"

typedef struct sf_metrics sf_metrics_t;

/* n_slots: one per receive thread (decoder).  cor may be NULL. */
sf_metrics_t *sf_metrics_new(guint n_slots, sf_correlator_t *cor);
/* NULL is a no-op; stop the HTTP server (httpd.h) first. */
void sf_metrics_free(sf_metrics_t *m);

/* On the thread that owns d: snapshot into slot, if 100 ms have passed
 * since that slot's last snapshot (or force). */
void sf_metrics_publish(sf_metrics_t *m, guint slot, const sf_decoder_t *d,
                        int64_t now_ms, gboolean force);

/* Checks "ADDR:PORT" ("[v6]:PORT" for IPv6) without binding. */
gboolean sf_metrics_spec_parse(const char *spec, char **host, char **port,
                               GError **err);
/* The exposition text (format 0.0.4); g_free it. */
char *sf_metrics_render(sf_metrics_t *m);

#endif
