/*
 * listener.c - UDP and TCP sockets and the receive loop.
 *
 * UDP datagrams are read 64 at a time with recvmmsg() into buffers that
 * are allocated once: nothing is allocated per packet or per flow.  Each
 * TCP connection is an IPFIX transport session with its own template state
 * (sf_decoder_session_new) and a 64 KiB reassembly buffer; a message whose
 * header is not IPFIX or whose length is impossible closes the connection
 * (the stream cannot be resynchronised), counted as malformed_tcp_framing.
 * One poll() loop serves all sockets; decoding never waits on Redis, whose
 * I/O lives on the correlator's own thread.
 *
 * Workers (scanflowd --workers N): each is a listener of its own, with its
 * own decoder, on its own thread (sf_listener_spawn), with one socket per
 * address bound with SO_REUSEPORT.  The kernel picks the socket of a UDP
 * datagram by a hash of its 4-tuple, so one exporter address:port always
 * lands on one worker and that worker's decoder holds all of its template
 * and sequence state.  An exporter that changes its source port (a
 * restart) may move to another worker and re-learns templates there from
 * its next template refresh, as after any restart.  TCP connections are
 * spread by the same hash at accept time.  All workers feed the one
 * correlator, each through a feed of its own that stages evidence flows
 * and files them under one mutex per batch (sf_decoder_batch_end after
 * every recvmmsg() batch and TCP read).
 *
 * Wakeups: when a poll round found the UDP sockets with no backlog, the
 * loop sleeps --rx-coalesce-us before polling again (sf_listener_set_
 * coalesce), so that a trickle of datagrams is read in batches too.
 */
#include "listener.h"

#include "addr.h"
#include "cursor.h"
#include "netsock.h"
#include "sanitize.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SF_ERROR g_quark_from_static_string("scanflow-listener")
#define BATCH 64
#define DGRAM_MAX 65536
#define MAX_TCP 256

typedef struct tcp_conn {
    int            fd;
    sf_exporter_t *exp;
    size_t         have;
    uint8_t        buf[SF_MSG_MAX + 1];
} tcp_conn_t;

typedef struct sock {
    int  fd;
    bool tcp;
} sock_t;

struct sf_listener {
    sf_decoder_t   *dec;
    bool            reuseport;
    guint           coalesce_us;
    GArray         *socks;          /* sock_t */
    GPtrArray      *conns;          /* tcp_conn_t* */
    uint8_t        *bufs;           /* BATCH * DGRAM_MAX */
    struct mmsghdr  msgs[BATCH];
    struct iovec    iov[BATCH];
    struct sockaddr_storage from[BATCH];
};

sf_listener_t *sf_listener_new(sf_decoder_t *d)
{
    sf_listener_t *l = g_new0(sf_listener_t, 1);

    l->dec = d;
    l->socks = g_array_new(FALSE, FALSE, sizeof(sock_t));
    l->conns = g_ptr_array_new();
    l->bufs = g_malloc((size_t)BATCH * DGRAM_MAX);
    for (int i = 0; i < BATCH; i++) {
        l->iov[i].iov_base = l->bufs + (size_t)i * DGRAM_MAX;
        l->iov[i].iov_len = DGRAM_MAX;
        l->msgs[i].msg_hdr.msg_iov = &l->iov[i];
        l->msgs[i].msg_hdr.msg_iovlen = 1;
        l->msgs[i].msg_hdr.msg_name = &l->from[i];
    }
    return l;
}

void sf_listener_set_reuseport(sf_listener_t *l, gboolean on)
{
    l->reuseport = on;
}

void sf_listener_set_coalesce(sf_listener_t *l, guint us)
{
    l->coalesce_us = us;
}

static void conn_close(sf_listener_t *l, tcp_conn_t *c)
{
    close(c->fd);
    sf_decoder_session_free(l->dec, c->exp);
    g_ptr_array_remove_fast(l->conns, c);
    g_free(c);
}

void sf_listener_free(sf_listener_t *l)
{
    if (l == NULL)
        return;
    while (l->conns->len > 0)
        conn_close(l, g_ptr_array_index(l->conns, 0));
    for (guint i = 0; i < l->socks->len; i++)
        close(g_array_index(l->socks, sock_t, i).fd);
    g_array_free(l->socks, TRUE);
    g_ptr_array_free(l->conns, TRUE);
    g_free(l->bufs);
    g_free(l);
}

gboolean sf_listen_spec_parse(const char *spec, char **proto, char **host,
                              char **port, GError **err)
{
    const char *rest = strstr(spec, "://");

    if (rest == NULL || (strncmp(spec, "udp", 3) && strncmp(spec, "tcp", 3)) ||
        rest - spec != 3 || !sf_hostport_parse(rest + 3, 0, host, port)) {
        g_set_error(err, SF_ERROR, 1,
                    "bad listen address '%s': expected udp://ADDR:PORT or tcp://ADDR:PORT",
                    spec);
        return FALSE;
    }
    *proto = g_strndup(spec, 3);
    return TRUE;
}

gboolean sf_listener_add(sf_listener_t *l, const char *spec, GError **err)
{
    g_autofree char *proto = NULL, *host = NULL, *port = NULL;
    g_autoptr(GError) e2 = NULL;

    if (!sf_listen_spec_parse(spec, &proto, &host, &port, err))
        return FALSE;
    bool tcp = strcmp(proto, "tcp") == 0;
    sf_netsock_opts_t o = { .tcp = tcp, .nonblock = true,
                            .reuseport = l->reuseport, .backlog = 64,
                            .rcvbuf = tcp ? 0 : 32 << 20 };
    int fd = sf_netsock_bind(*host ? host : NULL, port, &o, &e2);
    if (fd < 0) {
        if (e2->code == SF_NETSOCK_ERROR_RESOLVE)
            g_set_error(err, SF_ERROR, 3, "%s: %s", spec, e2->message);
        else
            g_set_error(err, SF_ERROR, 4, "cannot listen on %s: %s", spec, e2->message);
        return FALSE;
    }
    sock_t s = { fd, tcp };
    g_array_append_val(l->socks, s);
    g_message("listening on %s", spec);
    return TRUE;
}

static void to_addr(const struct sockaddr_storage *ss, sf_addr_t *a)
{
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;
        sf_addr_set_v4(a, (const uint8_t *)&s4->sin_addr);
    } else {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;
        memcpy(a->b, &s6->sin6_addr, 16);
    }
}

static int64_t now_ms(void)
{
    return g_get_real_time() / 1000;
}

/* Reads the socket until it is drained, at most 16 batches; TRUE when
 * it had a backlog (a first batch full). */
static gboolean udp_read(sf_listener_t *l, int fd)
{
    for (int rounds = 0; rounds < 16; rounds++) {
        for (int i = 0; i < BATCH; i++)
            l->msgs[i].msg_hdr.msg_namelen = sizeof l->from[i];
        int n = recvmmsg(fd, l->msgs, BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return rounds > 0;
        int64_t t = now_ms();
        for (int i = 0; i < n; i++) {
            sf_addr_t from;
            to_addr(&l->from[i], &from);
            sf_decoder_packet(l->dec, &from, l->iov[i].iov_base, l->msgs[i].msg_len, t);
        }
        sf_decoder_batch_end(l->dec);
        if (n < BATCH)
            return rounds > 0;
    }
    return TRUE;
}

static void tcp_accept(sf_listener_t *l, int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int c = accept4(fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (c < 0)
        return;
    if (l->conns->len >= MAX_TCP) {
        close(c);
        return;
    }
    tcp_conn_t *conn = g_new0(tcp_conn_t, 1);
    sf_addr_t from;
    to_addr(&ss, &from);
    conn->fd = c;
    conn->exp = sf_decoder_session_new(l->dec, &from);
    g_ptr_array_add(l->conns, conn);
}

/* Reads what the connection has; false if it must be closed. */
static bool tcp_read(sf_listener_t *l, tcp_conn_t *c)
{
    ssize_t n = read(c->fd, c->buf + c->have, SF_MSG_MAX - c->have);

    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        return false;
    if (n < 0)
        return true;
    c->have += (size_t)n;
    size_t off = 0;
    int64_t t = now_ms();
    while (c->have - off >= SF_IPFIX_HDR) {
        const uint8_t *m = c->buf + off;
        size_t mlen = sf_get16(m + 2);
        if (sf_get16(m) != 10 || mlen < SF_IPFIX_HDR) {
            sf_decoder_count(l->dec, SF_C_TCP_BAD_FRAMING);
            return false;
        }
        if (c->have - off < mlen)
            break;
        sf_decoder_session_packet(l->dec, c->exp, m, mlen, t);
        off += mlen;
    }
    sf_decoder_batch_end(l->dec);
    memmove(c->buf, c->buf + off, c->have - off);
    c->have -= off;
    return true;
}

void sf_listener_run(sf_listener_t *l, volatile sig_atomic_t *stop,
                     sf_tick_fn tick, void *tick_ctx)
{
    GArray *pfds = g_array_new(FALSE, TRUE, sizeof(struct pollfd));
    int64_t last_tick = 0;

    while (!*stop) {
        guint ns = l->socks->len, nc = l->conns->len;
        g_array_set_size(pfds, ns + nc);
        for (guint i = 0; i < ns; i++) {
            struct pollfd *p = &g_array_index(pfds, struct pollfd, i);
            p->fd = g_array_index(l->socks, sock_t, i).fd;
            p->events = POLLIN;
            p->revents = 0;
        }
        for (guint i = 0; i < nc; i++) {
            struct pollfd *p = &g_array_index(pfds, struct pollfd, ns + i);
            p->fd = ((tcp_conn_t *)g_ptr_array_index(l->conns, i))->fd;
            p->events = POLLIN;
            p->revents = 0;
        }
        int rc = poll((struct pollfd *)pfds->data, ns + nc, 100);
        gboolean udp = FALSE, backlog = FALSE;
        for (guint i = 0; rc > 0 && i < ns; i++) {
            const struct pollfd *p = &g_array_index(pfds, struct pollfd, i);
            if (!(p->revents & POLLIN))
                continue;
            if (g_array_index(l->socks, sock_t, i).tcp) {
                tcp_accept(l, p->fd);
            } else {
                udp = TRUE;
                backlog |= udp_read(l, p->fd);
            }
        }
        /* connections accepted above are polled next round */
        for (guint i = nc; rc > 0 && i-- > 0;) {
            const struct pollfd *p = &g_array_index(pfds, struct pollfd, ns + i);
            tcp_conn_t *c = g_ptr_array_index(l->conns, i);
            if (c->fd != p->fd || !(p->revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (!tcp_read(l, c))
                conn_close(l, c);
        }
        int64_t t = now_ms();
        if (tick && t - last_tick >= 100) {
            tick(tick_ctx, t);
            last_tick = t;
        }
        if (udp && !backlog && l->coalesce_us > 0 && !*stop)
            g_usleep(l->coalesce_us);
    }
    g_array_free(pfds, TRUE);
}

typedef struct spawn_args {
    sf_listener_t               *l;
    volatile sig_atomic_t       *stop;
    sf_tick_fn                   tick;
    void                        *tick_ctx;
} spawn_args_t;

static gpointer worker_main(gpointer p)
{
    spawn_args_t *a = p;

    sf_listener_run(a->l, a->stop, a->tick, a->tick_ctx);
    g_free(a);
    return NULL;
}

GThread *sf_listener_spawn(sf_listener_t *l, volatile sig_atomic_t *stop,
                           sf_tick_fn tick, void *tick_ctx)
{
    spawn_args_t *a = g_new(spawn_args_t, 1);

    *a = (spawn_args_t){ l, stop, tick, tick_ctx };
    return g_thread_new("sf-receive", worker_main, a);
}
