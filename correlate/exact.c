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

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Lua: e, a set member, as the element it was (L bytes big endian when
 * L > 0: the elements of the key were integers; else as it is). */
#define RAW_FN \
    "local function raw(e,L) if L==0 then return e end " \
    "local v,s=tonumber(e),'' for j=1,L do s=string.char(v%256)..s " \
    "v=math.floor(v/256) end return s end "

/* Lua: before n >= 2,000 elements go into an HLL in one call, the HLL is
 * made dense (PFDEBUG TODENSE, created empty first when missing).  Redis
 * keeps a new HLL sparse until it passes hll-sparse-max-bytes (3,000 by
 * default: about 1,600 elements), and an insert into a sparse HLL moves
 * its bytes: PFADD of 4,000 elements took 1,301 us into a new (sparse)
 * HLL and 85 us into a dense one (Redis 7.0.15, this machine; 1,000: 490
 * against 27).  Past 2,000 elements the HLL ends dense (12,304 bytes)
 * either way, so this costs no memory.  Where PFDEBUG is not allowed
 * (renamed or denied by a managed Redis), pcall leaves the HLL sparse. */
#define SF_EXACT_DENSE 2000
#define DENSE_FN \
    "local function dense(key,n) if n>=" G_STRINGIFY(SF_EXACT_DENSE) " then redis.call('PFADD',key) " \
    "pcall(redis.call,'PFDEBUG','TODENSE',key) end end "

/* KEYS: hll, set.  ARGV: cap, ttl, L (the elements' length when at most 4
 * bytes, else 0), elements.  Elements of up to 4 bytes go into the set as
 * the integer they spell (big endian), longer ones as they are.  While the
 * set holds at most cap elements it is the only key.  When it would hold
 * more, its members and the new elements go into the HLL (PFADD in chunks:
 * unpack() takes a few thousand values at most) and the set becomes {"x"};
 * from then on the elements go to the HLL alone.  Returns 1 once the set
 * has overflowed. */
static const char add_text[] =
    RAW_FN DENSE_FN
    "local k,a,n=KEYS,ARGV,#ARGV "
    "local c,t,L=tonumber(a[1]),a[2],tonumber(a[3]) "
    "local function pf(v,i,j) dense(k[1],j-i+1) for x=i,j,4000 do "
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

/* IPv4 destinations (exact.h): the addresses' set xd is the only key
 * while exact; nets and hosts of a net are derived from its members.
 * KEYS: d (HLL), xd (set), n (HLL), then h:NET (HLL) for each net given.
 * ARGV: cap, ttl, m, the m nets (3 bytes each, in the order of their h
 * keys), then the addresses (4 bytes each, at least one).  While the set
 * holds at most cap addresses they go into it as integers.  When the set
 * would hold more (counted with SMISMEMBER), it keeps its members, gets
 * the member "x", and its members go into d; from then on (this call
 * included) the addresses go into d, their nets into n and their hosts
 * (last byte) into h:NET.  Returns 1 once the set has overflowed. */
static const char add4_text[] =
    DENSE_FN
    "local k,a=KEYS,ARGV "
    "local c,t,m=tonumber(a[1]),a[2],tonumber(a[3]) local e0,n=m+4,#a "
    "local function int(e) local v=0 for j=1,#e do v=v*256+e:byte(j) end "
    "return v end "
    "local function pf(key,v,i,j) dense(key,j-i+1) for x=i,j,4000 do "
    "redis.call('PFADD',key,unpack(v,x,math.min(x+3999,j))) end end "
    "if redis.call('SISMEMBER',k[2],'x')==0 then "
    "local over,v=n-e0+1>c,{} "
    "if not over then for i=e0,n do v[#v+1]=int(a[i]) end end "
    "local s=redis.call('SCARD',k[2]) "
    "if not over and s+#v>c then "
    "local f=redis.call('SMISMEMBER',k[2],unpack(v)) local w=0 "
    "for i=1,#f do w=w+1-f[i] end over=s+w>c end "
    "if not over then redis.call('SADD',k[2],unpack(v)) "
    "redis.call('EXPIRE',k[2],t) return 0 end "
    "local r={} for _,e in ipairs(redis.call('SMEMBERS',k[2])) do "
    "local x=tonumber(e) r[#r+1]=string.char(math.floor(x/16777216)%256,"
    "math.floor(x/65536)%256,math.floor(x/256)%256,x%256) end "
    "if #r>0 then pf(k[1],r,1,#r) end "
    "redis.call('SADD',k[2],'x') redis.call('EXPIRE',k[2],t) end "
    "pf(k[1],a,e0,n) "
    "local idx,nets,hs={},{},{} for i=1,m do idx[a[3+i]]=3+i end "
    "for i=e0,n do local e=a[i] local nt=e:sub(1,3) "
    "if not hs[nt] then hs[nt]={} nets[#nets+1]=nt end "
    "local h=hs[nt] h[#h+1]=e:sub(4,4) end "
    "pf(k[3],nets,1,#nets) "
    "for _,nt in ipairs(nets) do local j=idx[nt] if j then "
    "pf(k[j],hs[nt],1,#hs[nt]) redis.call('EXPIRE',k[j],t) end end "
    "redis.call('EXPIRE',k[1],t) redis.call('EXPIRE',k[3],t) return 1";

/* KEYS: the B sets xd, the B HLLs d, the B HLLs n of the same buckets, a
 * scratch key, then for each of G nets its B HLLs h:NET.  ARGV: B, G, the
 * G nets (3 bytes each).  Returns {hosts, nets, top net (an integer, -1:
 * none), hosts in it}.  When no set overflowed (and no bucket has a d
 * without its xd): the union of the sets' members, its nets, and the net
 * holding the most of them (the smallest on a tie), all exact.  Else:
 * PFCOUNT of d merged with the members, of n merged with the members'
 * nets, and for each of the G nets of its h:NET merged with the members
 * inside it; the top net is the largest of those and of the members' own
 * nets (a lower bound for the nets not given).  Without members to merge,
 * PFCOUNT of the HLLs alone (the same registers, no scratch key). */
static const char count4_text[] =
    "local k,a=KEYS,ARGV local B,G=tonumber(a[1]),tonumber(a[2]) "
    "local function int(e) local v=0 for j=1,#e do v=v*256+e:byte(j) end "
    "return v end "
    "local u=redis.call('SUNION',unpack(k,1,B)) "
    "local hd=redis.call('EXISTS',unpack(k,B+1,2*B)) "
    "local x=hd>0 and redis.call('EXISTS',unpack(k,1,B))<hd "
    "local gi,gh={},{} for i=1,G do gi[int(a[2+i])]=i gh[i]={} end "
    "local per,nn,r={},0,{} "
    "for _,e in ipairs(u) do if e=='x' then x=true else "
    "local v=tonumber(e) local nt=math.floor(v/256) r[#r+1]=v "
    "if not per[nt] then per[nt]=0 nn=nn+1 end per[nt]=per[nt]+1 "
    "local j=gi[nt] if j then gh[j][#gh[j]+1]=string.char(v%256) end "
    "end end "
    "local tn,th=-1,0 for nt,c in pairs(per) do "
    "if c>th or (c==th and nt<tn) then tn,th=nt,c end end "
    "if not x then return {#r,nn,tn,th} end "
    "local s=k[3*B+1] "
    "local function b(v,L) local o='' for j=1,L do "
    "o=string.char(v%256)..o v=math.floor(v/256) end return o end "
    "local function cnt(i,vals) if #vals==0 then "
    "return redis.call('PFCOUNT',unpack(k,i,i+B-1)) end redis.call('DEL',s) "
    "redis.call('PFMERGE',s,unpack(k,i,i+B-1)) "
    "for y=1,#vals,4000 do "
    "redis.call('PFADD',s,unpack(vals,y,math.min(y+3999,#vals))) end "
    "local c=redis.call('PFCOUNT',s) redis.call('DEL',s) return c end "
    "local d,ns={},{} for _,v in ipairs(r) do d[#d+1]=b(v,4) end "
    "for nt in pairs(per) do ns[#ns+1]=b(nt,3) end "
    "local hosts,nets=cnt(B+1,d),cnt(2*B+1,ns) "
    "for i=1,G do local nt=int(a[2+i]) local c=cnt(3*B+2+(i-1)*B,gh[i]) "
    "if c>th or (c==th and nt<tn) then tn,th=nt,c end end "
    "return {hosts,nets,tn,th}";

static sf_pipe_script_t add_script = SF_PIPE_SCRIPT(add_text);
static sf_pipe_script_t add4_script = SF_PIPE_SCRIPT(add4_text);
static sf_pipe_script_t count4_script = SF_PIPE_SCRIPT(count4_text);
static sf_pipe_script_t count_script = SF_PIPE_SCRIPT(count_text);

const char *sf_exact_set_key(char *buf, const char *sk, const char *dim,
                             gint64 bucket)
{
    char xdim[SF_KEY_LEN];

    *sf_key_put_str(sf_key_put_str(xdim, SF_KEY_EXACT), dim) = '\0';
    return sf_key_bucket(buf, sk, xdim, bucket);
}

/* One command of plain arguments (NULL-terminated). */
static void cmd(sf_pipe_t *p, const char *name, ...)
{
    va_list ap;
    const char *a;

    sf_pipe_cmd(p, name);
    va_start(ap, name);
    while ((a = va_arg(ap, const char *)) != NULL)
        sf_pipe_str(p, a);
    va_end(ap);
    sf_pipe_end(p);
}

/* Plain commands for a write that overflows its set by itself: the HLL
 * key created (empty PFADD), made dense before n >= SF_EXACT_DENSE
 * elements (as DENSE_FN: an error reply where PFDEBUG is denied leaves
 * it sparse), given its ttl; then the set gets "x" beside the members it
 * had (the count scripts merge those with the HLL) and its ttl; then
 * "PFADD key" is begun for the caller's elements.  Returns the commands
 * sent before that PFADD. */
static guint plain_begin_hll(sf_pipe_t *p, const char *hll_key,
                             gint64 ttl, guint n)
{
    guint sent = 2;

    cmd(p, "PFADD", hll_key, NULL);
    if (n >= SF_EXACT_DENSE) {
        cmd(p, "PFDEBUG", "TODENSE", hll_key, NULL);
        sent++;
    }
    sf_pipe_key_int(p, "EXPIRE", hll_key, ttl);
    sf_pipe_cmd(p, "PFADD");
    sf_pipe_str(p, hll_key);
    return sent;
}

static guint plain_begin(sf_pipe_t *p, const char *hll_key,
                         const char *set_key, gint64 ttl, guint n)
{
    cmd(p, "SADD", set_key, "x", NULL);
    sf_pipe_key_int(p, "EXPIRE", set_key, ttl);
    return 2 + plain_begin_hll(p, hll_key, ttl, n);
}

guint sf_exact_add_begin(sf_pipe_t *p, const char *hll_key,
                         const char *set_key, gint64 ttl, guint elem_len,
                         guint n)
{
    if (n > SF_EXACT_CAP)
        return plain_begin(p, hll_key, set_key, ttl, n);
    sf_pipe_evalsha(p, &add_script);
    sf_pipe_str(p, "2");
    sf_pipe_str(p, hll_key);
    sf_pipe_str(p, set_key);
    sf_pipe_int(p, SF_EXACT_CAP);
    sf_pipe_int(p, ttl);
    sf_pipe_int(p, elem_len <= 4 ? elem_len : 0);
    return 0;
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

/* "<sk><dim of horizon seconds>" into buf (SF_KEY_LEN): a bucket's
 * prefix. */
static const char *hz_prefix(char *buf, const char *sk, const char *dim,
                             gint seconds)
{
    char hdim[SF_KEY_HDIM_LEN];

    return sf_key_of(buf, sk, sf_key_horizon_dim(hdim, dim, seconds));
}

static const char *hosts_prefix(char *buf, const char *sk,
                                const sf_agg_net_t *net, gint seconds)
{
    char dim[SF_KEY_NET_LEN + 3];

    return hz_prefix(buf, sk, sf_key_hosts_dim(dim, net->net, 3), seconds);
}

static guint n_v4(const sf_agg_net_t *nets, guint n_nets,
                  const guint8 *pick)
{
    guint m = 0;

    for (guint i = 0; i < n_nets; i++)
        m += nets[i].net_len == 3 && (pick == NULL || pick[i]);
    return m;
}

/* buf = the key of dim in bucket of horizon seconds (buf of SF_KEY_LEN). */
static const char *hz_key(char *buf, const char *sk, const char *dim,
                          gint seconds, gint64 bucket)
{
    char hdim[SF_KEY_HDIM_LEN];

    return sf_key_bucket(buf, sk, sf_key_horizon_dim(hdim, dim, seconds),
                         bucket);
}

static int by_addr(const void *a, const void *b)
{
    return memcmp(a, b, 4);
}

/* Of the n sorted addresses, the index of the first in net (3 bytes). */
static guint net_start(const guint8 *addrs, guint n, const guint8 *net)
{
    guint lo = 0, hi = n;

    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;

        if (memcmp(addrs + (gsize)4 * mid, net, 3) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Whether sorted address i is the first of its net (3 bytes). */
static gboolean net_first(const guint8 *addrs, guint i)
{
    return i == 0 || memcmp(addrs + 4 * (gsize)i,
                            addrs + 4 * (gsize)(i - 1), 3) != 0;
}

/* The nets of the n sorted addresses into the HLL n (as add4_text does
 * once overflowed); returns the commands sent. */
static guint plain_nets(sf_pipe_t *p, const char *sk, gint seconds,
                        gint64 bucket, gint64 ttl, const guint8 *addrs,
                        guint n)
{
    char key[SF_KEY_LEN];
    guint nets = 0, sent;

    for (guint i = 0; i < n; i++)
        nets += net_first(addrs, i);
    hz_key(key, sk, SF_KEY_NETS, seconds, bucket);
    sent = 1 + plain_begin_hll(p, key, ttl, nets);
    for (guint i = 0; i < n; i++)
        if (net_first(addrs, i))
            sf_pipe_arg(p, addrs + 4 * (gsize)i, 3);
    sf_pipe_end(p);
    return sent;
}

/* The hosts of the picked IPv4 nets among the n sorted addresses into
 * their h:NET HLLs; returns the commands sent. */
static guint plain_hosts(sf_pipe_t *p, const char *sk, gint seconds,
                         gint64 bucket, gint64 ttl, const sf_agg_net_t *nets,
                         guint n_nets, const guint8 *pick,
                         const guint8 *addrs, guint n)
{
    char key[SF_KEY_LEN], dim[SF_KEY_NET_LEN + 3];
    guint sent = 0;

    for (guint i = 0; i < n_nets; i++) {
        guint j = net_start(addrs, n, nets[i].net);

        if (nets[i].net_len != 3 || (pick && !pick[i]) || j == n
            || memcmp(addrs + 4 * (gsize)j, nets[i].net, 3) != 0)
            continue;
        hz_key(key, sk, sf_key_hosts_dim(dim, nets[i].net, 3), seconds,
               bucket);
        sf_pipe_cmd(p, "PFADD");
        sf_pipe_str(p, key);
        for (; j < n && memcmp(addrs + 4 * (gsize)j, nets[i].net, 3) == 0;
             j++)
            sf_pipe_arg(p, addrs + 4 * (gsize)j + 3, 1);
        sf_pipe_end(p);
        sf_pipe_key_int(p, "EXPIRE", key, ttl);
        sent += 2;
    }
    return sent;
}

/* add4 in plain commands, for n > SF_EXACT_CAP addresses (the set
 * overflows by this call alone): what add4_text does then, without the
 * set's earlier members going into d (count4_text merges them). */
static guint plain_add4(sf_pipe_t *p, const char *sk, gint seconds,
                        gint64 bucket, gint64 ttl, const sf_agg_net_t *nets,
                        guint n_nets, const guint8 *pick, guint8 *addrs,
                        guint n)
{
    char d[SF_KEY_LEN], xd[SF_KEY_LEN];
    guint sent;

    qsort(addrs, n, 4, by_addr);
    sent = 1 + plain_begin(p, hz_key(d, sk, SF_KEY_ADDRS, seconds, bucket),
                           hz_key(xd, sk, SF_KEY_EXACT SF_KEY_ADDRS,
                                  seconds, bucket), ttl, n);
    for (guint i = 0; i < n; i++)
        sf_pipe_arg(p, addrs + (gsize)4 * i, 4);
    sf_pipe_end(p);
    sent += plain_nets(p, sk, seconds, bucket, ttl, addrs, n);
    return sent + plain_hosts(p, sk, seconds, bucket, ttl, nets, n_nets,
                              pick, addrs, n);
}

guint sf_exact_add4(sf_pipe_t *p, const char *sk, gint seconds,
                    gint64 bucket, gint64 ttl, const sf_agg_net_t *nets,
                    guint n_nets, const guint8 *pick, guint8 *addrs,
                    guint n)
{
    char prefix[SF_KEY_LEN];
    guint m = n_v4(nets, n_nets, pick);

    if (n > SF_EXACT_CAP)
        return plain_add4(p, sk, seconds, bucket, ttl, nets, n_nets, pick,
                          addrs, n);
    sf_pipe_evalsha(p, &add4_script);
    sf_pipe_int(p, 3 + m);
    sf_pipe_prefix_int(p, hz_prefix(prefix, sk, SF_KEY_ADDRS, seconds),
                       bucket);
    sf_pipe_prefix_int(p, hz_prefix(prefix, sk, SF_KEY_EXACT SF_KEY_ADDRS,
                                    seconds), bucket);
    sf_pipe_prefix_int(p, hz_prefix(prefix, sk, SF_KEY_NETS, seconds),
                       bucket);
    for (guint i = 0; i < n_nets; i++)
        if (nets[i].net_len == 3 && (pick == NULL || pick[i]))
            sf_pipe_prefix_int(p, hosts_prefix(prefix, sk, &nets[i],
                                               seconds), bucket);
    sf_pipe_int(p, SF_EXACT_CAP);
    sf_pipe_int(p, ttl);
    sf_pipe_int(p, m);
    for (guint i = 0; i < n_nets; i++)
        if (nets[i].net_len == 3 && (pick == NULL || pick[i]))
            sf_pipe_arg(p, nets[i].net, 3);
    for (guint i = 0; i < n; i++)
        sf_pipe_arg(p, addrs + (gsize)4 * i, 4);
    sf_pipe_end(p);
    return 1;
}

/* One key per bucket b0..b1 of "<sk><dim of horizon seconds>". */
static void over_buckets(sf_pipe_t *p, const char *prefix, gint64 b0,
                         gint64 b1)
{
    for (gint64 b = b0; b <= b1; b++)
        sf_pipe_prefix_int(p, prefix, b);
}

void sf_exact_count4(sf_pipe_t *p, const char *sk, gint seconds,
                     gint64 b0, gint64 b1, const sf_agg_net_t *nets,
                     guint n_nets, const guint8 *grown)
{
    char prefix[SF_KEY_LEN];
    guint g = grown ? n_v4(nets, n_nets, grown) : 0;
    gint64 nb = b1 - b0 + 1;

    sf_pipe_evalsha(p, &count4_script);
    sf_pipe_int(p, 3 * nb + 1 + (gint64)g * nb);
    over_buckets(p, hz_prefix(prefix, sk, SF_KEY_EXACT SF_KEY_ADDRS,
                              seconds), b0, b1);
    over_buckets(p, hz_prefix(prefix, sk, SF_KEY_ADDRS, seconds), b0, b1);
    over_buckets(p, hz_prefix(prefix, sk, SF_KEY_NETS, seconds), b0, b1);
    sf_pipe_str(p, sf_key_of(prefix, sk, SF_KEY_EXACT "t"));
    for (guint i = 0; g && i < n_nets; i++)
        if (nets[i].net_len == 3 && grown[i])
            over_buckets(p, hosts_prefix(prefix, sk, &nets[i], seconds),
                         b0, b1);
    sf_pipe_int(p, nb);
    sf_pipe_int(p, g);
    for (guint i = 0; g && i < n_nets; i++)
        if (nets[i].net_len == 3 && grown[i])
            sf_pipe_arg(p, nets[i].net, 3);
    sf_pipe_end(p);
}

gboolean sf_exact_parse4(const redisReply *r, gint64 *hosts, gint64 *nets,
                         guint8 top_net[3], gint64 *top_hosts)
{
    gint64 v[4];

    if (r->type != REDIS_REPLY_ARRAY || r->elements != 4)
        return FALSE;
    for (guint i = 0; i < 4; i++) {
        if (r->element[i]->type != REDIS_REPLY_INTEGER)
            return FALSE;
        v[i] = r->element[i]->integer;
    }
    *hosts = v[0];
    *nets = v[1];
    *top_hosts = v[2] >= 0 && v[2] < (1 << 24) ? MIN(v[3], 256) : 0;
    for (guint i = 0; i < 3; i++)
        top_net[i] = (guint8)(MAX(v[2], 0) >> (16 - 8 * i));
    return TRUE;
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
