/*
 * addr.h - text forms of endpoints: "HOST:PORT" and "[IPv6]:PORT".
 *
 * One parser for every place that reads an endpoint: the daemon's
 * --listen and --metrics, the Redis URL and Redis Cluster's MOVED/ASK
 * replies.  Callers differ only in what they accept, which the flags say.
 * The address types themselves (sf_addr_t) are in flow.h.
 */
#ifndef SF_ADDR_H
#define SF_ADDR_H

#include <glib.h>

enum {
    SF_HOSTPORT_PORT_OPTIONAL = 1u << 0,  /* "HOST" and "[V6]" alone too:
                                             *port is then NULL */
    SF_HOSTPORT_HOST_REQUIRED = 1u << 1,  /* an empty HOST is an error */
    SF_HOSTPORT_V6_BRACKETED  = 1u << 2,  /* an unbracketed HOST is not
                                             empty and has no ':' */
};

/* Splits text into host and port (g_free() both).  "[V6]:PORT" takes the
 * host inside the brackets; otherwise the last ':' separates the port, so
 * "::1:6379" is host "::1" (Redis writes MOVED replies that way).  PORT is
 * decimal digits, 0..65535; a caller that forbids 0 checks it. */
gboolean sf_hostport_parse(const char *text, guint flags, char **host,
                           char **port);

#endif
