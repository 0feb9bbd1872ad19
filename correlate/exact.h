/*
 * exact.h - exact small counts beside the HyperLogLogs, and alert counts
 * that agree with each other and with the address space.
 *
 * Each dimension of a bucket (sf:{S}:p:B, n:B, h:NET:B, d:B) is first a
 * set (the dimension's letter prefixed with "x": sf:{S}:xp:B, ...) holding
 * its elements, as integers when they fit in 4 bytes (Redis keeps those as
 * an intset: 2-4 bytes each), until it would hold more than SF_EXACT_CAP;
 * then its elements move into the HLL key and the set holds only the
 * member "x" ("too many: ask the HLL"), and later elements go to the HLL.
 * So a source with few elements has no HLL at all.  One Lua script writes;
 * another counts the window: the size of the union of the buckets' sets
 * when none overflowed (exact), else PFCOUNT of the HLLs merged with the
 * sets that did not overflow.  Hosts of an IPv4 /24 never exceed 256, so
 * their count is always exact.
 */
#ifndef SF_EXACT_H
#define SF_EXACT_H

#include <glib.h>
#include "alert.h"
#include "pipe.h"

/* Distinct elements a bucket's set holds before it gives way to the HLL. */
#define SF_EXACT_CAP 256

/* EVALSHA of the write: the capped SADD into set_key, or once it
 * overflowed PFADD into hll_key; the keys written get ttl.  The elements,
 * all elem_len bytes long, follow as sf_pipe_arg()s, then sf_pipe_end().
 * The reply is 1 once the set overflowed, else 0. */
void sf_exact_add_begin(sf_pipe_t *p, const char *hll_key,
                        const char *set_key, gint64 ttl, guint elem_len);
/* EVALSHA of the count over buckets b0..b1 of the keys "<sk><dim><B>"
 * (HLL) and "<sk>x<dim><B>" (set), with "<sk>xt" as scratch; dim is "p:",
 * "h:NET:", ...  The reply is an integer. */
void sf_exact_count(sf_pipe_t *p, const char *sk, const char *dim,
                    gint64 b0, gint64 b1);
/* buf = "<sk>x<dim><bucket>" (buf of SF_KEY_LEN). */
const char *sf_exact_set_key(char *buf, const char *sk, const char *dim,
                             gint64 bucket);

/* Makes an alert's counts agree: no distinct count above the flows that
 * carried it (flows > 0) or the space (65,536 ports; 256 hosts in an IPv4
 * /24); hosts at least the hosts of the top net; nets at most the hosts
 * and, for IPv4, at least hosts / 256. */
void sf_exact_settle(sf_alert_facts_t *f);
/* The same bound for a rule's count: hosts of one net (v4: 256). */
gint64 sf_exact_net_hosts(gint64 hosts, guint net_len);

#endif
