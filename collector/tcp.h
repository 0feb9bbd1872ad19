/*
 * tcp.h - the table of IPFIX-over-TCP connections of one listener (RFC 7011
 * section 10.4): accept, read and frame messages, and the limits that keep
 * a hostile peer from holding the port (tcp.c says how).
 */
#ifndef SF_TCP_H
#define SF_TCP_H

#include <poll.h>

#include "decoder.h"

typedef struct sf_tcp_limits {
    unsigned max_conns;         /* connections at once (per listener) */
    unsigned max_per_addr;      /* connections from one address */
    unsigned idle_s;            /* close after this long with no message */
    unsigned message_s;         /* a message begun must end within this */
} sf_tcp_limits_t;

#define SF_TCP_LIMITS_DEFAULT { 256, 16, 3600, 30 }

typedef struct sf_tcp sf_tcp_t;

sf_tcp_t *sf_tcp_new(sf_decoder_t *d);
/* Closes every connection; NULL is a no-op. */
void sf_tcp_free(sf_tcp_t *t);
void sf_tcp_set_limits(sf_tcp_t *t, const sf_tcp_limits_t *lim);

/* Accepts what the listening socket has queued (at most 64 at a time). */
void sf_tcp_accept(sf_tcp_t *t, int listen_fd, int64_t now_ms);

/* Connections open now, and their pollfds (POLLIN) into p[0..count-1]. */
unsigned sf_tcp_count(const sf_tcp_t *t);
void sf_tcp_fill(const sf_tcp_t *t, struct pollfd *p);
/* Reads the connections whose pollfds (as filled, none accepted since)
 * poll() marked. */
void sf_tcp_serve(sf_tcp_t *t, const struct pollfd *p, unsigned n, int64_t now_ms);
/* Closes connections past a deadline (call every 100 ms or so). */
void sf_tcp_expire(sf_tcp_t *t, int64_t now_ms);

#endif
