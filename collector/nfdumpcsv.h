/*
 * nfdumpcsv.h - flows from nfdump's CSV output (`nfdump -r FILE -o csv`,
 * `nfdump -R DIR -o csv`), so that nfcapd archives go through the same
 * evidence filter and correlator as live exports.
 *
 * Tried with nfdump 1.7.1 (Debian 12).  Columns are found by name in the
 * header line (ts, te, sa, da, sp, dp, pr, flg, ipkt, ibyt required; fwd
 * and ra used when present), so their order does not matter; the summary
 * nfdump prints after the flows ends the input.  Times are nfdump's
 * local-time text ("2026-12-05 07:17:35", seconds): read them under the
 * same TZ as nfdump printed them.  A record time of 1970-01-01 00:00:00
 * (nfdump's "none") is no time: the flow has no SF_HAS_TIMES.
 */
#ifndef SF_NFDUMPCSV_H
#define SF_NFDUMPCSV_H

#include <glib.h>
#include <stdio.h>
#include "flow.h"

typedef struct sf_nfdump_csv_stats {
    guint64 lines;          /* read, header and summary included */
    guint64 flows;          /* given to the sink */
    guint64 bad_lines;      /* too few columns or a field that does not
                               parse: skipped */
    guint64 no_header;      /* data lines before any header: skipped */
} sf_nfdump_csv_stats_t;

typedef struct sf_nfdump_csv sf_nfdump_csv_t;
sf_nfdump_csv_t *sf_nfdump_csv_new(void);
void sf_nfdump_csv_free(sf_nfdump_csv_t *p);
/* One line of input (its newline removed, modified in place): a header
 * line sets the column map; a flow line fills *f and gives TRUE; anything
 * else gives FALSE (counted).  *done: the summary began. */
gboolean sf_nfdump_csv_line(sf_nfdump_csv_t *p, char *line, sf_flow_t *f,
                            gboolean *done);
/* Reads in to its end (or the summary), each flow into sink, then a NULL
 * flow.  FALSE: a read error. */
gboolean sf_nfdump_csv_read(sf_nfdump_csv_t *p, FILE *in,
                            sf_flow_sink_fn sink, void *ctx, GError **err);
const sf_nfdump_csv_stats_t *sf_nfdump_csv_stats(const sf_nfdump_csv_t *p);

#endif
