/*
 * keys.h - the names of scanflow's Redis keys, in one place: the window's
 * writer (window.c, fanout.c, claim.c) and the operator's `scanflow top`
 * build them here.  The layout is drawn at the top of keys.c.
 *
 * Builders write into a caller's buffer of SF_KEY_LEN bytes (a key of
 * source S is at most "sf:{" S "}:h:" NET ":" BUCKET) and return the end
 * of what they wrote, or the buffer for the ones named *_key; no
 * allocation: they run for every source of every flush.
 */
#ifndef SF_KEYS_H
#define SF_KEYS_H

#include <glib.h>
#include "flow.h"

#define SF_KEY_LEN 192
/* "sf:{S}:", S an address's text. */
#define SF_KEY_SOURCE_LEN (SF_ADDR_STRLEN + 8)
/* "192.0.2.0/24" or "2001:db8:0:1::/64" */
#define SF_KEY_NET_LEN (SF_ADDR_STRLEN + 4)

/* Suffixes after "sf:{S}:"; the ones ending in ':' take a bucket (or, for
 * hosts, "NET:" and a bucket). */
#define SF_KEY_PORTS "p:"       /* HLL of destination ports, per bucket */
#define SF_KEY_NETS "n:"        /* HLL of destination nets, per bucket */
#define SF_KEY_HOSTS "h:"       /* HLL of hosts inside a net, per bucket */
#define SF_KEY_ADDRS "d:"       /* HLL of destination addresses */
#define SF_KEY_EXACT "x"        /* before a dimension: its exact twin set */
#define SF_KEY_MEMBERS "u:"     /* network: HLL of member sources, per bucket */
#define SF_KEY_MEMBER_SAMPLES "v" /* network: list of member sources */
#define SF_KEY_FLOWS "f:"       /* flow counter, per bucket */
#define SF_KEY_META "m"         /* first, last, exporters, interval */
#define SF_KEY_SAMPLES "s"      /* sample ports and hosts */
#define SF_KEY_TOP "top"        /* nets with the most hosts */
#define SF_KEY_COUNTS "c"       /* last counts, read by `scanflow top` */
#define SF_KEY_CLAIM "a:"       /* the (source, kind) alert claim */
#define SF_KEY_RECORD "r:"      /* the last alert of (source, kind) */

/* Writes the decimal of v at p. */
char *sf_key_put_uint(char *p, guint64 v);
/* Copies s (without its NUL) to p. */
char *sf_key_put_str(char *p, const char *s);
/* sf_addr_to_string()'s text, without inet_ntop's printf for IPv4; buf of
 * SF_ADDR_STRLEN. */
const char *sf_key_addr_text(const sf_addr_t *a, char *buf);
/* A net's text (3 bytes: IPv4 /24, 8: IPv6 /64); buf of SF_KEY_NET_LEN. */
const char *sf_key_net_text(const guint8 *net, guint len, char *buf);

/* "sf:{S}:" of a source, from its address or from its text (as stored in
 * the fan-out index); buf of SF_KEY_SOURCE_LEN; returns buf. */
const char *sf_key_source(char *buf, const sf_addr_t *src);
const char *sf_key_source_text(char *buf, const char *src);
/* "sf:{NET/LEN}:" of a network of sources (net: its first address); buf
 * of SF_KEY_NETWORK_LEN; returns buf. */
#define SF_KEY_NETWORK_LEN (SF_ADDR_STRLEN + 12)
const char *sf_key_network(char *buf, const sf_addr_t *net, guint len);
/* sk SUFFIX: buf of SF_KEY_LEN; returns buf. */
const char *sf_key_of(char *buf, const char *sk, const char *suffix);
/* sk DIM BUCKET (DIM one of the per-bucket suffixes, or "h:NET:"). */
const char *sf_key_bucket(char *buf, const char *sk, const char *dim,
                          gint64 bucket);
/* "h:NET:": the dimension of the hosts of a net; buf of
 * SF_KEY_NET_LEN + 3. */
const char *sf_key_hosts_dim(char *buf, const guint8 *net, guint len);
/* A per-bucket dimension of a longer horizon of SECONDS: its letter, the
 * seconds, then the rest ("p:" -> "p3600:", "h:NET:" -> "h3600:NET:");
 * seconds 0 (the base window): dim itself.  buf of SF_KEY_NET_LEN + 16. */
#define SF_KEY_HDIM_LEN (SF_KEY_NET_LEN + 16)
const char *sf_key_horizon_dim(char *buf, const char *dim, gint seconds);
/* sk "r:" KIND: the record of the last alert of one kind. */
const char *sf_key_record(char *buf, const char *sk, const char *kind);
/* sk "a:" KIND: the claim key of one alert kind. */
const char *sf_key_claim(char *buf, const char *sk, const char *kind);
/* "sf:top:MINUTE": the fan-out index of one minute (minute = Unix time /
 * 60), kept 180 s. */
#define SF_KEY_TOP_TTL_S 180
const char *sf_key_top_minute(char *buf, gint64 minute);

#endif
