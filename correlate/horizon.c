/*
 * horizon.c - parsing of --horizon and the one way time is cut into
 * buckets (horizon.h).
 *
 * A horizon of S seconds has buckets of len = S / 10 seconds (rounded
 * down, at least 1), numbered from the epoch: bucket b holds
 * [b * len, (b + 1) * len).  Its count at time t is the union of the
 * current bucket and the ceil(S / len) before it (10, or 11 when len does
 * not divide S), so it covers the last S to S + len seconds and slides one
 * bucket at a time.  The base window has always been cut this way.
 * Numbering from the epoch (not from the first flow) makes every
 * collector, and scanflow hunt over stored flows, cut the same buckets.
 */
#include "horizon.h"
#include "correlator.h"

#include <stdlib.h>

void sf_horizon_init(sf_horizon_t *h, gint32 seconds, gint32 ports,
                     gint32 hosts, gint32 wide)
{
    h->seconds = seconds;
    h->ports = ports;
    h->hosts = hosts;
    h->wide = wide;
    h->bucket_s = MAX(1, seconds / SF_HORIZON_BUCKETS);
    h->n_back = (seconds + h->bucket_s - 1) / h->bucket_s;
}

static gboolean bad(GError **err, const char *text, const char *why)
{
    g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_CONFIG,
                "--horizon %s: %s", text, why);
    return FALSE;
}

gboolean sf_horizon_parse(const char *text, sf_horizon_t *out, GError **err)
{
    g_auto(GStrv) parts = g_strsplit(text, ":", -1);
    guint n = g_strv_length(parts);
    guint64 s, p, h, w = 0;

    if (n < 3 || n > 4)
        return bad(err, text, "expected SECONDS:PORTS:HOSTS[:WIDE]");
    if (!g_ascii_string_to_unsigned(parts[0], 10, 10, SF_HORIZON_MAX_S, &s,
                                    NULL))
        return bad(err, text, "SECONDS must be between 10 and 604800");
    if (!g_ascii_string_to_unsigned(parts[1], 10, 2, 65536, &p, NULL)
        || !g_ascii_string_to_unsigned(parts[2], 10, 2, 65536, &h, NULL))
        return bad(err, text, "PORTS and HOSTS must be between 2 and 65536");
    if (n == 4 && !g_ascii_string_to_unsigned(parts[3], 10, 2, 1 << 24, &w,
                                              NULL))
        return bad(err, text, "WIDE must be between 2 and 16777216");
    sf_horizon_init(out, (gint32)s, (gint32)p, (gint32)h,
                    n == 4 ? (gint32)w : (gint32)MIN(2 * h, 1 << 24));
    return TRUE;
}

gboolean sf_horizon_check_list(const GArray *horizons, GError **err)
{
    if (horizons->len > SF_HORIZON_MAX) {
        g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_CONFIG,
                    "--horizon: at most %d of them", SF_HORIZON_MAX - 1);
        return FALSE;
    }
    for (guint i = 1; i < horizons->len; i++) {
        const sf_horizon_t *a = &g_array_index(horizons, sf_horizon_t, i - 1);
        const sf_horizon_t *b = &g_array_index(horizons, sf_horizon_t, i);

        if (b->seconds <= a->seconds) {
            g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_CONFIG,
                        "--horizon %d:%d:%d:%d: must be longer than %d s "
                        "(--window, then each --horizon longer than the "
                        "one before)", b->seconds, b->ports, b->hosts,
                        b->wide, a->seconds);
            return FALSE;
        }
    }
    return TRUE;
}

gint64 sf_horizon_bucket(const sf_horizon_t *h, gint64 t_ms)
{
    gint64 len = (gint64)h->bucket_s * 1000;

    /* floor division: times before the epoch (never from a sane clock)
     * still fall in the right bucket */
    return t_ms >= 0 ? t_ms / len : -((-t_ms + len - 1) / len);
}

gint64 sf_horizon_first_bucket(const sf_horizon_t *h, gint64 bucket)
{
    return bucket - h->n_back;
}

gboolean sf_horizon_bucket_live(const sf_horizon_t *h, gint64 bucket,
                                gint64 now_ms)
{
    return bucket >= sf_horizon_first_bucket(h, sf_horizon_bucket(h, now_ms));
}

gint64 sf_horizon_ttl(const sf_horizon_t *h)
{
    return (gint64)h->seconds + 2 * (gint64)h->bucket_s;
}
