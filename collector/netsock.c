/*
 * netsock.c - creating bound, listening sockets (see netsock.h).
 */
#include "netsock.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int open_socket(const struct addrinfo *ai, const sf_netsock_opts_t *o,
                       GError **err)
{
    int fd = socket(ai->ai_family, (o->tcp ? SOCK_STREAM : SOCK_DGRAM) |
                    (o->nonblock ? SOCK_NONBLOCK : 0) | SOCK_CLOEXEC, 0);
    int one = 1, zero = 0, rcv = o->rcvbuf;

    if (fd < 0)
        goto err;
    /* TCP only: restart past TIME_WAIT.  On UDP, SO_REUSEADDR would let a
     * second scanflowd bind the same port and silently take its traffic. */
    if (o->tcp)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (o->reuseport && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) < 0)
        goto err;
    if (ai->ai_family == AF_INET6)      /* [::] takes IPv4 too */
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    if (!o->tcp && rcv > 0 &&
        setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof rcv) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv);
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0)
        goto err;
    if (o->tcp && listen(fd, o->backlog) < 0)
        goto err;
    return fd;
err:
    g_set_error(err, SF_NETSOCK_ERROR, SF_NETSOCK_ERROR_BIND, "%s", g_strerror(errno));
    if (fd >= 0)
        close(fd);
    return -1;
}

int sf_netsock_bind(const char *host, const char *port,
                    const sf_netsock_opts_t *o, GError **err)
{
    struct addrinfo hints, *res = NULL;
    int fd, rc;

    memset(&hints, 0, sizeof hints);
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    hints.ai_socktype = o->tcp ? SOCK_STREAM : SOCK_DGRAM;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        g_set_error(err, SF_NETSOCK_ERROR, SF_NETSOCK_ERROR_RESOLVE, "%s",
                    gai_strerror(rc));
        return -1;
    }
    fd = open_socket(res, o, err);
    freeaddrinfo(res);
    return fd;
}
