/*
 * exact.h - exact small counts beside the HyperLogLogs, and alert counts
 * that agree with each other and with the address space.
 *
 * Each dimension of a bucket (sf:{S}:p:B, n:B, h:NET:B, d:B) is first a
 * set (the dimension's letter prefixed with "x": sf:{S}:xp:B, ...) holding
 * its elements, as integers when they fit in 4 bytes (Redis keeps those as
 * an intset: 2-4 bytes each), until it would hold more than SF_EXACT_CAP;
 * then its elements move into the HLL key and the set holds only the
 * member "x" ("too many: ask the HLL"), and later elements go to the HLL
 * (a write of more than SF_EXACT_CAP elements at once is sent as plain
 * commands, no script, and leaves the set's earlier members beside "x").
 * So a source with few elements has no HLL at all.  One Lua script writes;
 * another counts the window: the size of the union of the buckets' sets
 * when none overflowed (exact), else PFCOUNT of the HLLs merged with the
 * sets' members.  An IPv4 source's destinations have one set
 * (xd:B, addresses as integers): their nets and the hosts of each net are
 * derived from its members, and the per-net and nets' HLLs are written
 * only once it overflowed (sf_exact_add4, sf_exact_count4 below).
 */
#ifndef SF_EXACT_H
#define SF_EXACT_H

#include <glib.h>
#include "aggregate.h"
#include "alert.h"
#include "pipe.h"

/* Distinct elements a bucket's set holds before it gives way to the HLL. */
#define SF_EXACT_CAP 256

/* The write of n elements: EVALSHA of the capped SADD into set_key, or
 * once it overflowed PFADD into hll_key; the keys written get ttl.  The
 * elements, all elem_len bytes long, follow as sf_pipe_arg()s, then
 * sf_pipe_end().  The reply is 1 once the set overflowed, else 0.  When n
 * > SF_EXACT_CAP (the set overflows by this write alone; n = 0: unknown)
 * no script runs: plain commands give the set the member "x" (beside the
 * members it had: the count scripts merge them), create hll_key (dense
 * for 2,000 elements or more), and the caller's elements end a PFADD.
 * Returns how many commands (their replies to be read, and ignored: one
 * can be an error where PFDEBUG is denied) precede that last one. */
guint sf_exact_add_begin(sf_pipe_t *p, const char *hll_key,
                         const char *set_key, gint64 ttl, guint elem_len,
                         guint n);
/* EVALSHA of the count over buckets b0..b1 of the keys "<sk><dim><B>"
 * (HLL) and "<sk>x<dim><B>" (set), with "<sk>xt" as scratch; dim is "p:",
 * "h:NET:", ...  The reply is an integer. */
void sf_exact_count(sf_pipe_t *p, const char *sk, const char *dim,
                    gint64 b0, gint64 b1);
/* buf = "<sk>x<dim><bucket>" (buf of SF_KEY_LEN). */
const char *sf_exact_set_key(char *buf, const char *sk, const char *dim,
                             gint64 bucket);

/* IPv4 destinations: the addresses' set "<sk>xd<B>" alone while exact;
 * nets and hosts of each net are derived from its members (a member is
 * the address as an integer: its net is member / 256, its host member %
 * 256).  seconds: the horizon (0: the base window, else the dimensions
 * are "d3600:", "xd3600:", ... as sf_key_horizon_dim names them).
 *
 * sf_exact_add4: EVALSHA of the write of n addresses (4 bytes each, n >=
 * 1) into bucket; pick (NULL: all) chooses among nets[0..n_nets) the
 * nets whose hosts the script writes into their h:NET HLLs once the set
 * overflowed (IPv6 nets are skipped; the hosts of an address whose net is
 * not chosen go into no h:NET).  Reply: 1 once overflowed.  When n >
 * SF_EXACT_CAP, plain commands instead of the script (as
 * sf_exact_add_begin; the addresses are sorted in place).  Returns the
 * commands sent (their replies to be read and ignored). */
guint sf_exact_add4(sf_pipe_t *p, const char *sk, gint seconds,
                    gint64 bucket, gint64 ttl, const sf_agg_net_t *nets,
                    guint n_nets, const guint8 *pick, guint8 *addrs,
                    guint n);
/* EVALSHA of the count over buckets b0..b1: distinct hosts, distinct nets
 * and the net with most hosts, exact while no set overflowed; grown
 * (NULL: none) picks the nets of nets[0..n_nets) whose hosts are counted
 * from their HLLs when a set overflowed.  Reply: sf_exact_parse4. */
void sf_exact_count4(sf_pipe_t *p, const char *sk, gint seconds,
                     gint64 b0, gint64 b1, const sf_agg_net_t *nets,
                     guint n_nets, const guint8 *grown);
/* The reply of sf_exact_count4: FALSE when it is not one. *top_hosts is 0
 * when there is no top net. */
gboolean sf_exact_parse4(const redisReply *r, gint64 *hosts, gint64 *nets,
                         guint8 top_net[3], gint64 *top_hosts);

/* Makes an alert's counts agree: no distinct count above the flows that
 * carried it (flows > 0) or the space (65,536 ports; 256 hosts in an IPv4
 * /24); hosts at least the hosts of the top net; nets at most the hosts
 * and, for IPv4, at least hosts / 256. */
void sf_exact_settle(sf_alert_facts_t *f);
/* The same bound for a rule's count: hosts of one net (v4: 256). */
gint64 sf_exact_net_hosts(gint64 hosts, guint net_len);

#endif
