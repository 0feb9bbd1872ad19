/*
 * probcost.c - the Redis thread's probation pass (sf_probation_apply) on
 * a flush of one-flow noise sources, timed alone.  Not a test: it prints
 * nanoseconds per judged source (correlate/README-design.md, "Probation
 * lookups").
 *
 *   make tests/bench/probcost && tests/bench/probcost [SOURCES [FLUSHES]]
 *
 * Two runs of FLUSHES flushes (1 s apart) of SOURCES sources (40,000, as
 * the bench's noise): "repeat", the same sources every flush (held entries
 * found again, as in make bench), and "new", other sources every flush
 * (internet noise that never comes back: every judge takes an entry).
 * The table is the default --probation-slots (262,144: 24 MiB), the
 * aggregate is filled before each pass and reset after it (not timed);
 * the pass is timed by the thread's CPU clock.
 */
#include "aggregate.h"
#include "probation.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* CPU time of this thread, ns: other processes' time slices not counted */
static gint64 cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void fill(sf_agg_t *a, guint n, guint32 base, gint64 now_ms)
{
    for (guint i = 0; i < n; i++) {
        sf_flow_t f;
        guint32 s = base + i * 2654435761u;     /* spread over the space */
        guint8 src[4] = {(guint8)(s >> 24) | 1, (guint8)(s >> 16), (guint8)(s >> 8), (guint8)s};
        guint8 dst[4] = {198, 18, (guint8)(i >> 8), (guint8)i};

        memset(&f, 0, sizeof f);
        sf_addr_set_v4(&f.src, src);
        sf_addr_set_v4(&f.dst, dst);
        f.dst_port = (guint16)(1 + i % 1000);
        f.arrival_ms = f.start_ms = f.end_ms = now_ms;
        f.sampling_interval = 1;
        f.fields = SF_HAS_ADDRS | SF_HAS_PORTS | SF_HAS_TIMES;
        sf_agg_add(a, &f, TRUE);
    }
}

static double run(guint n, guint flushes, gboolean fresh)
{
    sf_agg_t *a = sf_agg_new(MAX(n, 65536), 131072, 64);
    sf_probation_t *p = sf_probation_new(262144, 4, 300000, 0);
    gint64 spent = 0;

    for (guint k = 0; k < flushes; k++) {
        gint64 now = 1000000 + (gint64)k * 1000, t0;

        fill(a, n, fresh ? k * 7919u * n : 0, now);
        t0 = cpu_ns();
        sf_probation_apply(p, a, now);
        spent += cpu_ns() - t0;
        sf_agg_reset(a);
    }
    sf_probation_free(p);
    sf_agg_free(a);
    return (double)spent / ((double)n * flushes);
}

int main(int argc, char **argv)
{
    guint n = argc > 1 ? (guint)atoi(argv[1]) : 40000;
    guint flushes = argc > 2 ? (guint)atoi(argv[2]) : 20;

    printf("probation, %u sources a flush, %u flushes: repeat %.1f ns/source, new %.1f ns/source\n",
           n, flushes, run(n, flushes, FALSE), run(n, flushes, TRUE));
    return 0;
}
