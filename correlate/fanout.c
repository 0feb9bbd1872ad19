/*
 * fanout.c - the fan-out index that `scanflow top` reads.
 *
 * A source's fan-out is the largest of its window counts (ports, nets,
 * hosts in one net).  Per flush, every source with a fan-out of 2 or more
 * gets: its nets with the most hosts (sf:{S}:top, the top 8), its last
 * counts (sf:{S}:c), and its fan-out in the minute's index (sf:top:MINUTE,
 * ZADD GT, the top 10,000, kept 180 s).
 */
#include "fanout.h"
#include "keys.h"
#include "window.h"

#define TOP_MIN_FANOUT 2

static gint64 fanout(const sf_window_counts_t *c)
{
    return MAX(MAX(c->ports, c->nets), c->top_hosts);
}

/* sf:{S}:top: the net of this flush with the most hosts; 3 commands. */
static void record_top_net(sf_pipe_t *p, const char *sk, gint64 ttl,
                           const sf_window_counts_t *c, const char *net)
{
    char key[SF_KEY_LEN];

    sf_key_of(key, sk, SF_KEY_TOP);
    sf_pipe_cmd(p, "ZADD");
    sf_pipe_str(p, key);
    sf_pipe_str(p, "GT");
    sf_pipe_int(p, c->top_hosts);
    sf_pipe_str(p, net);
    sf_pipe_end(p);
    sf_pipe_cmd(p, "ZREMRANGEBYRANK");
    sf_pipe_str(p, key);
    sf_pipe_str(p, "0");
    sf_pipe_str(p, "-9");
    sf_pipe_end(p);
    sf_pipe_key_int(p, "EXPIRE", key, ttl);
}

/* sf:{S}:c: the last counts; 2 commands. */
static void record_counts(sf_pipe_t *p, const char *sk, gint64 ttl,
                          const sf_window_counts_t *c, const char *net)
{
    char key[SF_KEY_LEN];

    sf_key_of(key, sk, SF_KEY_COUNTS);
    sf_pipe_cmd(p, "HSET");
    sf_pipe_str(p, key);
    if (c->nets >= 0) {         /* -1: not counted, Redis held them all */
        sf_pipe_str(p, "nets");
        sf_pipe_int(p, c->nets);
    }
    if (c->ports >= 0) {
        sf_pipe_str(p, "ports");
        sf_pipe_int(p, c->ports);
    }
    if (c->top_net_len) {
        sf_pipe_str(p, "hosts");
        sf_pipe_int(p, c->top_hosts);
        sf_pipe_str(p, "net");
        sf_pipe_str(p, net);
    }
    sf_pipe_end(p);
    sf_pipe_key_int(p, "EXPIRE", key, ttl);
}

/* A network of sources keeps its top net (the alert's top_net24) and
 * nothing else: `scanflow top` lists sources.  Returns the commands sent. */
static guint record_network(sf_pipe_t *p, gint64 ttl,
                            const sf_window_counts_t *c)
{
    char nk[SF_KEY_NETWORK_LEN], net[SF_KEY_NET_LEN];

    if (!c->top_net_len)
        return 0;
    sf_key_network(nk, &c->src, c->src_prefix);
    sf_key_net_text(c->top_net, c->top_net_len, net);
    record_top_net(p, nk, ttl, c, net);
    return 3;
}

/* Returns the number of commands sent. */
static guint record_source(sf_pipe_t *p, gint64 ttl,
                           const sf_window_counts_t *c, const char *top_key)
{
    char src[SF_ADDR_STRLEN], sk[SF_KEY_SOURCE_LEN], net[SF_KEY_NET_LEN];
    guint sent = 0;

    sf_key_source_text(sk, sf_key_addr_text(&c->src, src));
    if (c->top_net_len) {
        sf_key_net_text(c->top_net, c->top_net_len, net);
        record_top_net(p, sk, ttl, c, net);
        sent += 3;
    }
    record_counts(p, sk, ttl, c, net);
    sf_pipe_cmd(p, "ZADD");
    sf_pipe_str(p, top_key);
    sf_pipe_str(p, "GT");
    sf_pipe_int(p, fanout(c));
    sf_pipe_str(p, src);
    sf_pipe_end(p);
    return sent + 3;
}

gboolean sf_fanout_record(sf_pipe_t *p, gint64 ttl, gint64 now_ms,
                          const GArray *counts, GError **err)
{
    char top_key[SF_KEY_LEN];
    guint sent = 0;

    sf_key_top_minute(top_key, now_ms / 60000);
    for (guint i = 0; i < counts->len; i++) {
        const sf_window_counts_t *c =
            &g_array_index(counts, sf_window_counts_t, i);
        if (c->src_prefix)
            sent += record_network(p, ttl, c);
        else if (fanout(c) >= TOP_MIN_FANOUT)
            sent += record_source(p, ttl, c, top_key);
        if (sf_pipe_pending(p) >= SF_WINDOW_CHUNK && !sf_pipe_drain(p, err))
            return FALSE;
    }
    if (sent == 0)
        return sf_pipe_drain(p, err);
    sf_pipe_key_int(p, "EXPIRE", top_key, SF_KEY_TOP_TTL_S);
    sf_pipe_cmd(p, "ZREMRANGEBYRANK");
    sf_pipe_str(p, top_key);
    sf_pipe_str(p, "0");
    sf_pipe_str(p, "-10001");
    sf_pipe_end(p);
    return sf_pipe_drain(p, err);
}
