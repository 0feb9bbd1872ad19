/*
 * tcp.c - IPFIX over TCP: the connection table of one listener.
 *
 * Each connection is an IPFIX transport session (RFC 7011 section 10.4):
 * messages back to back, each framed by the length in its 16-byte header.
 * A header that is not IPFIX, or whose length is impossible, closes the
 * connection (the stream cannot be resynchronised), counted as
 * malformed_tcp_framing.
 *
 * Anyone who reaches the port can open connections, so the table defends
 * itself (every close is counted by reason, tcp_closed_*):
 * - an address outside --exporter is closed at accept
 *   (refused_tcp_not_allowed) and never holds a slot;
 * - a connection that completes no message for --tcp-idle-timeout (from
 *   accept, or from its last message) is closed (idle), and a message
 *   whose first byte came --tcp-message-timeout ago and is still not
 *   whole is closed too (slow_message), so a client that dribbles a byte
 *   now and then cannot hold a slot either;
 * - --tcp-max-per-address: a newcomer from an address that has that many
 *   already takes the place of that address's longest-idle one
 *   (address_cap), so a restarting exporter whose old connection is still
 *   half-open gets in;
 * - --tcp-max-connections: when the table is full, the longest-idle
 *   connection gives way to the newcomer (table_full), those that never
 *   completed a message first.  A real exporter therefore always gets in,
 *   and keeps its slot against peers that send nothing.
 *
 * Memory: an accepted connection costs a small struct and its socket; the
 * 64 KiB reassembly buffer comes with its first byte and the fixbuf
 * session (about 75 kB) with its first whole message.
 */
#include "tcp.h"

#include "cursor.h"
#include "sanitize.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ACCEPT_BATCH 64

typedef struct conn {
    int            fd;
    bool           proven;      /* completed a message */
    sf_addr_t      addr;
    sf_exporter_t *exp;         /* from its first whole message */
    int64_t        last_ms;     /* accept or last whole message */
    int64_t        begun_ms;    /* first byte of the partial message */
    size_t         have;
    uint8_t       *buf;         /* SF_MSG_MAX + 1, from the first byte */
} conn_t;

struct sf_tcp {
    sf_decoder_t   *dec;
    sf_tcp_limits_t lim;
    GPtrArray      *conns;      /* conn_t* */
};

sf_tcp_t *sf_tcp_new(sf_decoder_t *d)
{
    sf_tcp_t *t = g_new0(sf_tcp_t, 1);
    const sf_tcp_limits_t def = SF_TCP_LIMITS_DEFAULT;

    t->dec = d;
    t->lim = def;
    t->conns = g_ptr_array_new();
    return t;
}

void sf_tcp_set_limits(sf_tcp_t *t, const sf_tcp_limits_t *lim)
{
    t->lim = *lim;
    t->lim.max_conns = MAX(t->lim.max_conns, 1);
    t->lim.max_per_addr = MAX(t->lim.max_per_addr, 1);
}

/* Closes the connection at index i, counted under why. */
static void conn_close(sf_tcp_t *t, guint i, sf_counter_t why)
{
    conn_t *c = g_ptr_array_index(t->conns, i);

    close(c->fd);
    if (c->exp)
        sf_decoder_session_free(t->dec, c->exp);
    g_free(c->buf);
    g_free(c);
    g_ptr_array_remove_index_fast(t->conns, i);
    sf_decoder_count(t->dec, why);
}

void sf_tcp_free(sf_tcp_t *t)
{
    if (t == NULL)
        return;
    while (t->conns->len > 0)
        conn_close(t, t->conns->len - 1, SF_C_TCP_CLOSED_PEER);
    g_ptr_array_free(t->conns, TRUE);
    g_free(t);
}

/* Whether a should give way before b: never proven first, then the
 * longest idle. */
static bool gives_way(const conn_t *a, const conn_t *b)
{
    if (a->proven != b->proven)
        return !a->proven;
    return a->last_ms < b->last_ms;
}

/* Frees a slot for a newcomer from addr if a cap says so. */
static void make_room(sf_tcp_t *t, const sf_addr_t *addr)
{
    int same = -1, any = -1;
    unsigned n_same = 0;

    for (guint i = 0; i < t->conns->len; i++) {
        const conn_t *c = g_ptr_array_index(t->conns, i);
        if (any < 0 || gives_way(c, g_ptr_array_index(t->conns, any)))
            any = (int)i;
        if (!sf_addr_equal(&c->addr, addr))
            continue;
        n_same++;
        if (same < 0 || gives_way(c, g_ptr_array_index(t->conns, same)))
            same = (int)i;
    }
    if (n_same >= t->lim.max_per_addr)
        conn_close(t, (guint)same, SF_C_TCP_CLOSED_ADDR_CAP);
    else if (t->conns->len >= t->lim.max_conns)
        conn_close(t, (guint)any, SF_C_TCP_CLOSED_FULL);
}

/* Out of descriptors: the longest-idle connection gives one back. */
static bool free_descriptor(sf_tcp_t *t)
{
    guint v = 0;

    if (t->conns->len == 0)
        return false;
    for (guint i = 1; i < t->conns->len; i++)
        if (gives_way(g_ptr_array_index(t->conns, i), g_ptr_array_index(t->conns, v)))
            v = i;
    conn_close(t, v, SF_C_TCP_CLOSED_FULL);
    return true;
}

void sf_tcp_accept(sf_tcp_t *t, int listen_fd, int64_t now_ms)
{
    for (int k = 0; k < ACCEPT_BATCH; k++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(listen_fd, (struct sockaddr *)&ss, &sl,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if ((errno == EMFILE || errno == ENFILE) && free_descriptor(t))
                continue;
            return;
        }
        sf_addr_t from;
        sf_addr_from_sockaddr(&from, &ss);
        if (!sf_decoder_exporter_allowed(t->dec, &from)) {
            close(fd);
            sf_decoder_count(t->dec, SF_C_TCP_DENIED);
            continue;
        }
        make_room(t, &from);
        conn_t *c = g_new0(conn_t, 1);
        c->fd = fd;
        c->addr = from;
        c->last_ms = now_ms;
        g_ptr_array_add(t->conns, c);
        sf_decoder_count(t->dec, SF_C_TCP_ACCEPTED);
    }
}

unsigned sf_tcp_count(const sf_tcp_t *t)
{
    return t->conns->len;
}

void sf_tcp_fill(const sf_tcp_t *t, struct pollfd *p)
{
    for (guint i = 0; i < t->conns->len; i++) {
        p[i].fd = ((const conn_t *)g_ptr_array_index(t->conns, i))->fd;
        p[i].events = POLLIN;
        p[i].revents = 0;
    }
}

/* Decodes the whole messages at the start of the buffer; the bytes used,
 * or -1 on a framing error. */
static gssize frame(sf_tcp_t *t, conn_t *c, int64_t now_ms)
{
    size_t off = 0;

    while (c->have - off >= SF_IPFIX_HDR) {
        const uint8_t *m = c->buf + off;
        size_t mlen = sf_get16(m + 2);
        if (sf_get16(m) != 10 || mlen < SF_IPFIX_HDR)
            return -1;
        if (c->have - off < mlen)
            break;
        if (c->exp == NULL)
            c->exp = sf_decoder_session_new(t->dec, &c->addr);
        sf_decoder_session_packet(t->dec, c->exp, m, mlen, now_ms);
        off += mlen;
    }
    return (gssize)off;
}

/* Reads what the connection has; the reason to close it, or SF_C_COUNT
 * to keep it. */
static sf_counter_t conn_read(sf_tcp_t *t, conn_t *c, int64_t now_ms)
{
    if (c->buf == NULL)
        c->buf = g_malloc(SF_MSG_MAX + 1);
    ssize_t n = read(c->fd, c->buf + c->have, SF_MSG_MAX - c->have);

    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
        return SF_C_TCP_CLOSED_PEER;
    if (n < 0)
        return SF_C_COUNT;
    if (c->have == 0)
        c->begun_ms = now_ms;
    c->have += (size_t)n;
    gssize used = frame(t, c, now_ms);
    if (used < 0) {
        sf_decoder_count(t->dec, SF_C_TCP_BAD_FRAMING);
        return SF_C_TCP_CLOSED_FRAMING;
    }
    if (used > 0) {
        sf_decoder_batch_end(t->dec);
        memmove(c->buf, c->buf + used, c->have - (size_t)used);
        c->have -= (size_t)used;
        c->proven = true;
        c->last_ms = now_ms;
        c->begun_ms = now_ms;   /* what is left came in this read */
    }
    return SF_C_COUNT;
}

/* The reason the connection is past a deadline, or SF_C_COUNT. */
static sf_counter_t overdue(const sf_tcp_t *t, const conn_t *c, int64_t now_ms)
{
    if (c->have > 0 && now_ms - c->begun_ms >= (int64_t)t->lim.message_s * 1000)
        return SF_C_TCP_CLOSED_SLOW;
    if (now_ms - c->last_ms >= (int64_t)t->lim.idle_s * 1000)
        return SF_C_TCP_CLOSED_IDLE;
    return SF_C_COUNT;
}

void sf_tcp_expire(sf_tcp_t *t, int64_t now_ms)
{
    for (guint i = t->conns->len; i-- > 0;) {
        sf_counter_t why = overdue(t, g_ptr_array_index(t->conns, i), now_ms);
        if (why != SF_C_COUNT)
            conn_close(t, i, why);
    }
}

void sf_tcp_serve(sf_tcp_t *t, const struct pollfd *p, unsigned n, int64_t now_ms)
{
    /* downwards: a close moves the last connection into the hole, which
     * was served already */
    for (guint i = MIN(n, t->conns->len); i-- > 0;) {
        conn_t *c = g_ptr_array_index(t->conns, i);
        if (c->fd != p[i].fd || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        sf_counter_t why = conn_read(t, c, now_ms);
        if (why != SF_C_COUNT)
            conn_close(t, i, why);
    }
}
