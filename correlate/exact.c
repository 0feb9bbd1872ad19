/*
 * exact.c - exact small counts beside the HyperLogLogs (two Lua scripts)
 * and alert counts that agree with each other (see exact.h).
 *
 * Why: Redis's HLL is off for small sets too (a 1,024-port scan counted
 * 1,025 ports from 1,024 flows, a /24 sweep 257 hosts; two of 64 random
 * ports share a register 13% of the time, so a scan of exactly the
 * threshold could stay unseen).  Sets of up to SF_EXACT_CAP integers cost
 * 2-4 bytes an element in Redis (intset), fewer than a sparse HLL's
 * registers for such counts, and need no HLL code here.
 *
 * The scripts declare every key they touch (all of one source's {S} hash
 * tag: one slot on Redis Cluster) and are sent by their SHA1 (EVALSHA):
 * the pipe loads them once per connection, on a cluster once per node
 * (pipe.h says what a NOSCRIPT reply does).
 */
#include "exact.h"
#include "keys.h"

#include <string.h>

/* KEYS: hll, set.  ARGV: cap, ttl, elements.  Elements of up to 4 bytes go
 * into the set as the integer they spell (big endian), longer ones as they
 * are.  unpack() takes at most a few thousand values: PFADD in chunks of
 * 4000.  An overflowed set is replaced by {"x"}; elements added to it later
 * keep the "x" until it overflows again (it never holds more than cap + 1). */
static const char add_text[] =
    "local k,a,n=KEYS,ARGV,#ARGV "
    "for i=3,n,4000 do redis.call('PFADD',k[1],unpack(a,i,math.min(i+3999,n))) end "
    "local c=tonumber(a[1]) "
    "if n-2<=c then local m={} for i=3,n do local e=a[i] "
    "if #e<=4 then local v=0 for j=1,#e do v=v*256+e:byte(j) end e=v end "
    "m[#m+1]=e end redis.call('SADD',k[2],unpack(m)) end "
    "if n-2>c or redis.call('SCARD',k[2])>c then "
    "redis.call('DEL',k[2]) redis.call('SADD',k[2],'x') end "
    "redis.call('EXPIRE',k[2],a[2]) return 0";

/* KEYS: the n sets, then the n HLLs of the same buckets.  The size of the
 * sets' union; PFCOUNT of the HLLs when a set overflowed ("x" in the
 * union) or fewer sets than HLLs exist (a bucket written by a collector
 * without sets). */
static const char count_text[] =
    "local k=KEYS local n=#k/2 "
    "local u=redis.call('SUNION',unpack(k,1,n)) "
    "local h=redis.call('EXISTS',unpack(k,n+1)) "
    "if h>0 and redis.call('EXISTS',unpack(k,1,n))<h then "
    "return redis.call('PFCOUNT',unpack(k,n+1)) end "
    "for _,e in ipairs(u) do if e=='x' then "
    "return redis.call('PFCOUNT',unpack(k,n+1)) end end "
    "return #u";

static sf_pipe_script_t add_script = SF_PIPE_SCRIPT(add_text);
static sf_pipe_script_t count_script = SF_PIPE_SCRIPT(count_text);

const char *sf_exact_set_key(char *buf, const char *sk, const char *dim,
                             gint64 bucket)
{
    char xdim[SF_KEY_LEN];

    *sf_key_put_str(sf_key_put_str(xdim, SF_KEY_EXACT), dim) = '\0';
    return sf_key_bucket(buf, sk, xdim, bucket);
}

void sf_exact_add_begin(sf_pipe_t *p, const char *hll_key,
                        const char *set_key, gint64 ttl)
{
    sf_pipe_evalsha(p, &add_script);
    sf_pipe_str(p, "2");
    sf_pipe_str(p, hll_key);
    sf_pipe_str(p, set_key);
    sf_pipe_int(p, SF_EXACT_CAP);
    sf_pipe_int(p, ttl);
}

void sf_exact_count(sf_pipe_t *p, const char *sk, const char *dim,
                    gint64 b0, gint64 b1)
{
    char prefix[SF_KEY_LEN], xdim[SF_KEY_LEN];

    *sf_key_put_str(sf_key_put_str(xdim, SF_KEY_EXACT), dim) = '\0';
    sf_pipe_evalsha(p, &count_script);
    sf_pipe_int(p, 2 * (b1 - b0 + 1));
    sf_key_of(prefix, sk, xdim);
    for (gint64 b = b0; b <= b1; b++)
        sf_pipe_prefix_int(p, prefix, b);
    sf_key_of(prefix, sk, dim);
    for (gint64 b = b0; b <= b1; b++)
        sf_pipe_prefix_int(p, prefix, b);
    sf_pipe_end(p);
}

gint64 sf_exact_net_hosts(gint64 hosts, guint net_len)
{
    return net_len == 3 ? MIN(hosts, 256) : hosts;
}

void sf_exact_settle(sf_alert_facts_t *f)
{
    gint64 flows = f->flows > 0 ? f->flows : G_MAXINT64;
    gboolean v4 = sf_addr_is_v4(&f->src);

    f->distinct_ports = MIN(MIN(f->distinct_ports, 65536), flows);
    f->distinct_sources = MIN(f->distinct_sources, flows);
    if (v4)
        f->hosts_in_top_net24 = MIN(f->hosts_in_top_net24, 256);
    f->hosts_in_top_net24 = MIN(f->hosts_in_top_net24, flows);
    f->distinct_hosts = MIN(MAX(f->distinct_hosts, f->hosts_in_top_net24),
                            flows);
    f->distinct_nets24 = MIN(f->distinct_nets24, f->distinct_hosts);
    if (v4)
        f->distinct_nets24 = MAX(f->distinct_nets24,
                                 (f->distinct_hosts + 255) / 256);
}
