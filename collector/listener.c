/*
 * listener.c - UDP and TCP sockets and the receive loop.
 *
 * UDP datagrams are read 64 at a time with recvmmsg() into buffers that
 * are allocated once: nothing is allocated per packet or per flow.  IPFIX
 * over TCP connections live in a table of their own (tcp.c: framing,
 * timeouts, caps against peers that hold connections open).
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
#include "netsock.h"
#include "tcp.h"

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
typedef struct sock {
    int  fd;
    bool tcp;
} sock_t;

struct sf_listener {
    sf_decoder_t   *dec;
    bool            reuseport;
    guint           coalesce_us;
    GArray         *socks;          /* sock_t */
    sf_tcp_t       *tcp;            /* IPFIX over TCP connections */
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
    l->tcp = sf_tcp_new(d);
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

void sf_listener_set_tcp_limits(sf_listener_t *l, const sf_tcp_limits_t *lim)
{
    sf_tcp_set_limits(l->tcp, lim);
}

void sf_listener_free(sf_listener_t *l)
{
    if (l == NULL)
        return;
    sf_tcp_free(l->tcp);
    for (guint i = 0; i < l->socks->len; i++)
        close(g_array_index(l->socks, sock_t, i).fd);
    g_array_free(l->socks, TRUE);
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
            sf_addr_from_sockaddr(&from, &l->from[i]);
            sf_decoder_packet(l->dec, &from, l->iov[i].iov_base, l->msgs[i].msg_len, t);
        }
        sf_decoder_batch_end(l->dec);
        if (n < BATCH)
            return rounds > 0;
    }
    return TRUE;
}

/* One poll round's pollfds: the listening sockets, then the connections. */
static guint fill_pollfds(sf_listener_t *l, GArray *pfds)
{
    guint ns = l->socks->len, nc = sf_tcp_count(l->tcp);

    g_array_set_size(pfds, ns + nc);
    for (guint i = 0; i < ns; i++) {
        struct pollfd *p = &g_array_index(pfds, struct pollfd, i);
        p->fd = g_array_index(l->socks, sock_t, i).fd;
        p->events = POLLIN;
        p->revents = 0;
    }
    sf_tcp_fill(l->tcp, &g_array_index(pfds, struct pollfd, ns));
    return ns;
}

void sf_listener_run(sf_listener_t *l, volatile sig_atomic_t *stop,
                     sf_tick_fn tick, void *tick_ctx)
{
    GArray *pfds = g_array_new(FALSE, TRUE, sizeof(struct pollfd));
    int64_t last_tick = 0;

    while (!*stop) {
        guint ns = fill_pollfds(l, pfds);
        int rc = poll((struct pollfd *)pfds->data, pfds->len, 100);
        gboolean udp = FALSE, backlog = FALSE;
        int64_t t = now_ms();
        if (rc > 0)     /* connections first: accepting changes the table */
            sf_tcp_serve(l->tcp, &g_array_index(pfds, struct pollfd, ns),
                         pfds->len - ns, t);
        for (guint i = 0; rc > 0 && i < ns; i++) {
            const struct pollfd *p = &g_array_index(pfds, struct pollfd, i);
            if (!(p->revents & POLLIN))
                continue;
            if (g_array_index(l->socks, sock_t, i).tcp) {
                sf_tcp_accept(l->tcp, p->fd, t);
            } else {
                udp = TRUE;
                backlog |= udp_read(l, p->fd);
            }
        }
        t = now_ms();
        if (t - last_tick >= 100) {
            sf_tcp_expire(l->tcp, t);
            if (tick)
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
