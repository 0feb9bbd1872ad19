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

/* Lua: e, a set member, as the element it was (L bytes big endian when
 * L > 0: the elements of the key were integers; else as it is). */
#define RAW_FN \
    "local function raw(e,L) if L==0 then return e end " \
    "local v,s=tonumber(e),'' for j=1,L do s=string.char(v%256)..s " \
    "v=math.floor(v/256) end return s end "

/* KEYS: hll, set.  ARGV: cap, ttl, L (the elements' length when at most 4
 * bytes, else 0), elements.  Elements of up to 4 bytes go into the set as
 * the integer they spell (big endian), longer ones as they are.  While the
 * set holds at most cap elements it is the only key.  When it would hold
 * more, its members and the new elements go into the HLL (PFADD in chunks:
 * unpack() takes a few thousand values at most) and the set becomes {"x"};
 * from then on the elements go to the HLL alone.  Returns 1 once the set
 * has overflowed. */
static const char add_text[] =
    RAW_FN
    "local k,a,n=KEYS,ARGV,#ARGV "
    "local c,t,L=tonumber(a[1]),a[2],tonumber(a[3]) "
    "local function pf(v,i,j) for x=i,j,4000 do "
    "redis.call('PFADD',k[1],unpack(v,x,math.min(x+3999,j))) end end "
    "if n-3<=c and redis.call('SISMEMBER',k[2],'x')==0 then "
    "local m={} for i=4,n do local e=a[i] "
    "if #e<=4 then local v=0 for j=1,#e do v=v*256+e:byte(j) end e=v end "
    "m[#m+1]=e end redis.call('SADD',k[2],unpack(m)) "
    "if redis.call('SCARD',k[2])<=c then "
    "redis.call('EXPIRE',k[2],t) return 0 end end "
    "local r={} for _,e in ipairs(redis.call('SMEMBERS',k[2])) do "
    "if e~='x' then r[#r+1]=raw(e,L) end end "
    "if #r>0 then pf(r,1,#r) end pf(a,4,n) "
    "redis.call('DEL',k[2]) redis.call('SADD',k[2],'x') "
    "redis.call('EXPIRE',k[2],t) redis.call('EXPIRE',k[1],t) return 1";

/* KEYS: the n sets, the n HLLs of the same buckets, a scratch key.  ARGV:
 * L as above.  The size of the sets' union when no set overflowed and no
 * bucket has an HLL without its set (written by a collector without
 * sets); else PFCOUNT of the HLLs, merged first (into the scratch key,
 * deleted after) with the members of the sets that did not overflow. */
static const char count_text[] =
    RAW_FN
    "local k=KEYS local n=(#k-1)/2 local L=tonumber(ARGV[1]) "
    "local u=redis.call('SUNION',unpack(k,1,n)) "
    "local h=redis.call('EXISTS',unpack(k,n+1,2*n)) "
    "local x=h>0 and redis.call('EXISTS',unpack(k,1,n))<h "
    "local r={} for _,e in ipairs(u) do "
    "if e=='x' then x=true else r[#r+1]=e end end "
    "if not x then return #u end "
    "if #r==0 then return redis.call('PFCOUNT',unpack(k,n+1,2*n)) end "
    "local s=k[2*n+1] redis.call('PFMERGE',s,unpack(k,n+1,2*n)) "
    "for i=1,#r,4000 do local v={} "
    "for j=i,math.min(i+3999,#r) do v[#v+1]=raw(r[j],L) end "
    "redis.call('PFADD',s,unpack(v)) end "
    "local c=redis.call('PFCOUNT',s) redis.call('DEL',s) return c";

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
                        const char *set_key, gint64 ttl, guint elem_len)
{
    sf_pipe_evalsha(p, &add_script);
    sf_pipe_str(p, "2");
    sf_pipe_str(p, hll_key);
    sf_pipe_str(p, set_key);
    sf_pipe_int(p, SF_EXACT_CAP);
    sf_pipe_int(p, ttl);
    sf_pipe_int(p, elem_len <= 4 ? elem_len : 0);
}

/* The length of the elements of "<sk><dim>" when they are kept as
 * integers (IPv4: ports 2, nets 3, hosts of a net 1, addresses and member
 * sources 4), else 0 (an IPv6 source's, or network's, are longer). */
static guint int_len(const char *sk, const char *dim)
{
    const char *tag = strchr(sk, '{');

    if (tag && strchr(tag, ':') < strchr(tag, '}'))
        return 0;                       /* an IPv6 tag */
    switch (dim[0]) {
    case 'p':
        return 2;
    case 'n':
        return 3;
    case 'h':
        return 1;
    default:
        return 4;
    }
}

void sf_exact_count(sf_pipe_t *p, const char *sk, const char *dim,
                    gint64 b0, gint64 b1)
{
    char prefix[SF_KEY_LEN], xdim[SF_KEY_LEN];

    *sf_key_put_str(sf_key_put_str(xdim, SF_KEY_EXACT), dim) = '\0';
    sf_pipe_evalsha(p, &count_script);
    sf_pipe_int(p, 2 * (b1 - b0 + 1) + 1);
    sf_key_of(prefix, sk, xdim);
    for (gint64 b = b0; b <= b1; b++)
        sf_pipe_prefix_int(p, prefix, b);
    sf_key_of(prefix, sk, dim);
    for (gint64 b = b0; b <= b1; b++)
        sf_pipe_prefix_int(p, prefix, b);
    sf_pipe_str(p, sf_key_of(prefix, sk, SF_KEY_EXACT "t"));
    sf_pipe_int(p, int_len(sk, dim));
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
