/*
 * netsock.h - bound sockets for the programs' servers: the collector's
 * UDP and TCP listeners (listener.c) and the metrics endpoint.
 *
 * Both want the same things of a listening socket: close-on-exec,
 * SO_REUSEADDR on TCP (restart past TIME_WAIT), and an IPv6 wildcard that
 * takes IPv4 too.  This is the one place that creates them.
 */
#ifndef SF_NETSOCK_H
#define SF_NETSOCK_H

#include <glib.h>
#include <stdbool.h>

#define SF_NETSOCK_ERROR g_quark_from_static_string("scanflow-netsock")
enum {
    SF_NETSOCK_ERROR_RESOLVE,   /* message: getaddrinfo's */
    SF_NETSOCK_ERROR_BIND,      /* message: strerror of socket/bind/listen */
};

typedef struct sf_netsock_opts {
    bool tcp;                   /* SOCK_STREAM and listen(), else SOCK_DGRAM */
    bool nonblock;
    bool reuseport;             /* SO_REUSEPORT; failing to set it fails */
    int  backlog;               /* TCP: listen() backlog */
    int  rcvbuf;                /* UDP: receive buffer bytes, 0: default */
} sf_netsock_opts_t;

/* Resolves host (NULL: the wildcard) and the numeric port, then creates,
 * binds and (TCP) listens on a socket for the first address found.
 * Returns the descriptor, or -1 with err set. */
int sf_netsock_bind(const char *host, const char *port,
                    const sf_netsock_opts_t *o, GError **err);

#endif
