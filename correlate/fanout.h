/*
 * fanout.h - phase 2's first step: each source's fan-out and last counts,
 * for `scanflow top` (keys sf:{S}:top, sf:{S}:c, sf:top:MINUTE; keys.c).
 */
#ifndef SF_FANOUT_H
#define SF_FANOUT_H

#include <glib.h>
#include "pipe.h"

/* Records the sources of counts (sf_window_counts_t, window.h) whose
 * fan-out reaches 2; their keys get a TTL of ttl seconds.  Reads the
 * replies, SF_WINDOW_CHUNK commands at a time. */
gboolean sf_fanout_record(sf_pipe_t *p, gint64 ttl, gint64 now_ms,
                          const GArray *counts, GError **err);

#endif
