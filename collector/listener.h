/*
 * listener.h - the daemon's sockets: UDP for NetFlow v5, v9 and IPFIX on
 * the same port (dispatched by the version field), TCP for IPFIX (RFC 7011
 * section 10.4 framing, many exporters at once).
 */
#ifndef SF_LISTENER_H
#define SF_LISTENER_H

#include <signal.h>

#include "decoder.h"
#include "tcp.h"

typedef struct sf_listener sf_listener_t;

sf_listener_t *sf_listener_new(sf_decoder_t *d);
void sf_listener_free(sf_listener_t *l);

/* Receive workers (scanflowd --workers N): N listeners, each with its own
 * decoder and its own socket per address, all bound with SO_REUSEPORT so
 * the kernel spreads datagrams over them.  Its hash of the sender's
 * address and port keeps one exporter socket on one worker, so template
 * and sequence state stays whole inside that worker's decoder.  Call
 * before sf_listener_add; off by default (any process of the same user
 * could otherwise bind the port too and take a share of the exports). */
void sf_listener_set_reuseport(sf_listener_t *l, gboolean on);

/* After a poll round that drained every UDP socket it read in one batch
 * (no backlog), sleep this long before polling again, so that datagrams
 * are read many per wakeup rather than one or a few: each wakeup costs
 * about 10 us on a VM, more than decoding a packet's flows.  The socket
 * buffer (32 MiB) holds what arrives meanwhile; under load there is a
 * backlog and no sleep.  0: off. */
void sf_listener_set_coalesce(sf_listener_t *l, guint us);

/* Caps and timeouts of IPFIX over TCP (tcp.c); SF_TCP_LIMITS_DEFAULT
 * until set.  With several workers each has a table of its own. */
void sf_listener_set_tcp_limits(sf_listener_t *l, const sf_tcp_limits_t *lim);

/* Binds "udp://ADDR:PORT" or "tcp://ADDR:PORT"; ADDR is an IPv4 address,
 * an IPv6 address in brackets, or a host name.  [::] takes IPv4 too. */
gboolean sf_listener_add(sf_listener_t *l, const char *spec, GError **err);

/* Called between batches, at least every 100 ms. */
typedef void (*sf_tick_fn)(void *ctx, int64_t now_ms);

/* Receives until *stop becomes non-zero. */
void sf_listener_run(sf_listener_t *l, volatile sig_atomic_t *stop,
                     sf_tick_fn tick, void *tick_ctx);

/* Runs sf_listener_run on a new thread (join it after setting *stop). */
GThread *sf_listener_spawn(sf_listener_t *l, volatile sig_atomic_t *stop,
                           sf_tick_fn tick, void *tick_ctx);

/* Splits "proto://host:port" into its parts (for callers that validate
 * configuration before binding). */
gboolean sf_listen_spec_parse(const char *spec, char **proto, char **host,
                              char **port, GError **err);

#endif
