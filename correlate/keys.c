/*
 * keys.c - the Redis key layout of the window, and builders of its names.
 *
 * Keys of source S (every key of S carries the {S} hash tag: one slot, so
 * multi-key PFCOUNT works on Redis Cluster; every key has a TTL of
 * window + 2 buckets, refreshed on write):
 *
 *   sf:{S}:xp:B       set  destination ports (2 bytes, big endian, kept as
 *                          integers), bucket B, while at most 256; then
 *                          {"x"} and the elements are in sf:{S}:p:B (a
 *                          write of more than 256 at once leaves the
 *                          earlier members beside "x": the count merges
 *                          them with the HLL)
 *   sf:{S}:xd:B       set  destination addresses (IPv4: integers; IPv6:
 *                          16 bytes)
 *   sf:{S}:xn:B       set  destination nets, IPv6 sources only (/64: 8 bytes)
 *   sf:{S}:xh:NET:B   set  hosts inside NET, IPv6 sources only (low 64 bits)
 *   sf:{S}:p:B, n:B, h:NET:B, d:B
 *                     HLL  the same, once their set overflowed (exact.c)
 *
 * An IPv4 source's nets and hosts of each net are its addresses' (member
 * / 256, member % 256): while sf:{S}:xd:B holds at most 256 addresses it
 * is the bucket's only key of its destinations (no xn, xh, n, h or d).
 * Once it would hold more it keeps its members and gets "x" (the script
 * PFADDs them into d:B; a write of more than 256 addresses at once, sent
 * as plain commands, does not), and from then on each write also PFADDs its addresses into d:B, their /24s (3
 * bytes) into n:B and their hosts (last byte) into h:NET:B of the nets
 * whose hosts the source's --max-nets-per-source tracks; the count merges
 * those HLLs with the set's members (sf_exact_add4, sf_exact_count4).
 *   sf:{S}:xt         HLL  scratch of the count script, deleted by it
 *   sf:{S}:f:B        int  flows
 *   sf:{S}:m          zset "first" (score -ms: ZADD GT keeps the minimum),
 *                          "last" (ms), "x:EXPORTER" (last ms seen), "i"
 *                          (the smallest sampling interval of the source's
 *                          evidence: ZADD LT; written once a collector has
 *                          seen sampled evidence)
 *   sf:{S}:s          list samples "p:PORT" / "h:HOST", newest first, 80
 *   sf:{S}:top        zset NET -> most hosts counted in NET (top 8)
 *   sf:{S}:c          hash last counts: ports nets hosts net
 *   sf:{S}:a:KIND     string, the (source, kind) alert claim, set for the
 *                     suppression period by the claim script (claim.c);
 *                     holds "COLLECTOR/RUN/SEQ" (RUN random per process,
 *                     SEQ the claim round), so that a claim whose reply
 *                     was lost with the connection is recognised as ours
 *                     when the same flush is retried, and only then
 *   sf:{S}:r:KIND     hash the last alert of (source, kind): "id", "n"
 *                     (its count: ports, hosts in the top net, or hosts),
 *                     "w" (its horizon, s), "t" (its time, ms), "e" (the
 *                     id it escalates, or ""); TTL the longest horizon
 *
 * Longer horizons (--horizon SECONDS:...; horizon.c) have per-bucket keys
 * of their own, of the source only, the dimension's letter followed by
 * the horizon's seconds, with their own buckets (SECONDS / 10 long) and a
 * TTL of SECONDS + 2 of their buckets:
 *
 *   sf:{S}:p3600:B, n3600:B, h3600:NET:B, d3600:B, f3600:B, and their
 *                     exact twins xp3600:B, ... (IPv4: xd3600:B as above)
 *
 * With longer horizons, m and s live as long as the longest one's keys.
 *   sf:top:MINUTE     zset S -> fan-out, for `scanflow top` (TTL 180 s)
 *
 * A network of sources (--source-prefix; NET = "203.0.113.0/24") has the
 * same keys under sf:{NET}: holding the union of its members' elements,
 * and two of its own:
 *
 *   sf:{NET}:u:B      HLL  member sources (4 or 16 bytes), with its twin
 *                          sf:{NET}:xu:B
 *   sf:{NET}:v        list member sources' texts, newest first, 20
 *
 * Every name is built here.  Keys and texts are built by hand: printf-style
 * formatting was a quarter of the Redis thread's CPU in the benchmark's
 * profile.
 */
#include "keys.h"

#include <arpa/inet.h>
#include <string.h>

char *sf_key_put_uint(char *p, guint64 v)
{
    char text[24], *end = text + sizeof text, *s = end;

    do {
        *--s = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    memcpy(p, s, (gsize)(end - s));
    return p + (end - s);
}

char *sf_key_put_str(char *p, const char *s)
{
    gsize n = strlen(s);

    memcpy(p, s, n);
    return p + n;
}

/* Dotted decimal of 4 bytes, as inet_ntop writes it. */
static char *put_v4(char *p, const guint8 *b)
{
    for (int i = 0; i < 4; i++) {
        if (i)
            *p++ = '.';
        p = sf_key_put_uint(p, b[i]);
    }
    return p;
}

const char *sf_key_addr_text(const sf_addr_t *a, char *buf)
{
    if (!sf_addr_is_v4(a))
        return sf_addr_to_string(a, buf);
    *put_v4(buf, a->b + 12) = '\0';
    return buf;
}

const char *sf_key_net_text(const guint8 *net, guint len, char *buf)
{
    guint8 a[16] = {0};
    char addr[SF_ADDR_STRLEN];

    memcpy(a, net, len);
    if (len == 3) {
        memcpy(put_v4(buf, a), "/24", 4);
        return buf;
    }
    inet_ntop(AF_INET6, a, addr, sizeof addr);
    g_snprintf(buf, SF_KEY_NET_LEN, "%s/64", addr);
    return buf;
}

const char *sf_key_source_text(char *buf, const char *src)
{
    *sf_key_put_str(sf_key_put_str(sf_key_put_str(buf, "sf:{"), src),
                    "}:") = '\0';
    return buf;
}

const char *sf_key_network(char *buf, const sf_addr_t *net, guint len)
{
    char text[SF_ADDR_STRLEN];
    char *p = sf_key_put_str(sf_key_put_str(buf, "sf:{"),
                             sf_key_addr_text(net, text));

    *sf_key_put_str(sf_key_put_uint(sf_key_put_str(p, "/"), len), "}:") = '\0';
    return buf;
}

const char *sf_key_source(char *buf, const sf_addr_t *src)
{
    char text[SF_ADDR_STRLEN];

    return sf_key_source_text(buf, sf_key_addr_text(src, text));
}

const char *sf_key_of(char *buf, const char *sk, const char *suffix)
{
    *sf_key_put_str(sf_key_put_str(buf, sk), suffix) = '\0';
    return buf;
}

const char *sf_key_bucket(char *buf, const char *sk, const char *dim,
                          gint64 bucket)
{
    char *p = sf_key_put_str(sf_key_put_str(buf, sk), dim);

    *sf_key_put_uint(p, (guint64)MAX(bucket, 0)) = '\0';
    return buf;
}

const char *sf_key_hosts_dim(char *buf, const guint8 *net, guint len)
{
    char *p = sf_key_put_str(buf, SF_KEY_HOSTS);

    sf_key_net_text(net, len, p);
    p += strlen(p);
    *p++ = ':';
    *p = '\0';
    return buf;
}

const char *sf_key_horizon_dim(char *buf, const char *dim, gint seconds)
{
    const char *colon = strchr(dim, ':');
    gsize head = colon ? (gsize)(colon - dim) : strlen(dim);
    char *p = buf;

    memcpy(p, dim, head);
    p += head;
    if (seconds > 0)
        p = sf_key_put_uint(p, (guint64)seconds);
    *sf_key_put_str(p, dim + head) = '\0';
    return buf;
}

const char *sf_key_record(char *buf, const char *sk, const char *kind)
{
    *sf_key_put_str(sf_key_put_str(sf_key_put_str(buf, sk), SF_KEY_RECORD),
                    kind) = '\0';
    return buf;
}

const char *sf_key_claim(char *buf, const char *sk, const char *kind)
{
    *sf_key_put_str(sf_key_put_str(sf_key_put_str(buf, sk), SF_KEY_CLAIM),
                    kind) = '\0';
    return buf;
}

const char *sf_key_top_minute(char *buf, gint64 minute)
{
    g_snprintf(buf, SF_KEY_LEN, "sf:top:%" G_GINT64_FORMAT, minute);
    return buf;
}
