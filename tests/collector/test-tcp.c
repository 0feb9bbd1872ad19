/*
 * test-tcp.c - the IPFIX-over-TCP connection table (collector/tcp.c) on
 * real loopback sockets, with the clock in the test's hands: refusal at
 * accept, framing across reads, the idle and message deadlines, and which
 * connection gives way when a cap is reached (a proven exporter stays).
 */
#include "cidr.h"
#include "tcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct fixture {
    sf_decoder_t *dec;
    sf_tcp_t     *tcp;
    int           lfd;
    int           port;
} fixture_t;

/* An IPFIX message with no sets: version 10, length 16. */
static const uint8_t empty_msg[16] = {0, 10, 0, 16};

static void setup(fixture_t *f, gconstpointer data)
{
    const sf_tcp_limits_t *lim = data;
    sf_decoder_config_t cfg = SF_DECODER_CONFIG_DEFAULT;
    struct sockaddr_in sin = {.sin_family = AF_INET};
    socklen_t sl = sizeof sin;
    sf_cidr_t net;

    f->dec = sf_decoder_new(&cfg, NULL, NULL);
    g_assert_true(sf_cidr_parse_network("127.0.0.0/30", &net, NULL));
    sf_decoder_allow_exporter(f->dec, &net);
    f->tcp = sf_tcp_new(f->dec);
    sf_tcp_set_limits(f->tcp, lim);
    f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(bind(f->lfd, (struct sockaddr *)&sin, sizeof sin), ==, 0);
    g_assert_cmpint(listen(f->lfd, 64), ==, 0);
    getsockname(f->lfd, (struct sockaddr *)&sin, &sl);
    f->port = ntohs(sin.sin_port);
}

static void teardown(fixture_t *f, gconstpointer data)
{
    sf_tcp_free(f->tcp);
    sf_decoder_free(f->dec);
    close(f->lfd);
}

static uint64_t count(const fixture_t *f, sf_counter_t c)
{
    return sf_decoder_stats(f->dec)->c[c];
}

/* A client connected from src, accepted by the table at now_ms. */
static int client(fixture_t *f, const char *src, int64_t now_ms)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};

    inet_pton(AF_INET, src, &a.sin_addr);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&a, sizeof a), ==, 0);
    a.sin_port = htons((uint16_t)f->port);
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&a, sizeof a), ==, 0);
    struct pollfd p = {f->lfd, POLLIN, 0};
    g_assert_cmpint(poll(&p, 1, 2000), ==, 1);
    sf_tcp_accept(f->tcp, f->lfd, now_ms);
    return fd;
}

/* Sends bytes and lets the table read them at now_ms. */
static void feed(fixture_t *f, int fd, const void *p, size_t n, int64_t now_ms)
{
    g_assert_cmpint(send(fd, p, n, 0), ==, (ssize_t)n);
    for (int tries = 0; tries < 20; tries++) {
        unsigned k = sf_tcp_count(f->tcp);
        struct pollfd pf[64];
        g_assert_cmpuint(k, <=, G_N_ELEMENTS(pf));
        sf_tcp_fill(f->tcp, pf);
        if (poll(pf, k, 100) > 0) {
            sf_tcp_serve(f->tcp, pf, k, now_ms);
            return;
        }
    }
    g_assert_not_reached();
}

/* Whether the table closed the client's connection. */
static gboolean closed(int fd)
{
    char b;
    struct pollfd p = {fd, POLLIN, 0};

    if (poll(&p, 1, 500) != 1)
        return FALSE;
    ssize_t n = recv(fd, &b, 1, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void test_not_allowed(fixture_t *f, gconstpointer data)
{
    int fd = client(f, "127.0.0.9", 1000);

    g_assert_cmpuint(sf_tcp_count(f->tcp), ==, 0);
    g_assert_cmpuint(count(f, SF_C_TCP_DENIED), ==, 1);
    g_assert_cmpuint(count(f, SF_C_TCP_ACCEPTED), ==, 0);
    g_assert_true(closed(fd));
    close(fd);
}

static void test_framing(fixture_t *f, gconstpointer data)
{
    int fd = client(f, "127.0.0.1", 1000);
    uint8_t two[32];

    feed(f, fd, empty_msg, 5, 1000);    /* a message split over reads */
    g_assert_cmpuint(count(f, SF_C_PACKETS), ==, 0);
    feed(f, fd, empty_msg + 5, 11, 1001);
    g_assert_cmpuint(count(f, SF_C_PACKETS_IPFIX), ==, 1);
    memcpy(two, empty_msg, 16);
    memcpy(two + 16, empty_msg, 16);
    feed(f, fd, two, 32, 1002);         /* two in one read */
    g_assert_cmpuint(count(f, SF_C_PACKETS_IPFIX), ==, 3);
    feed(f, fd, "\x00\x05\x00\x10", 4, 1003);
    feed(f, fd, "xxxxxxxxxxxx", 12, 1003);
    g_assert_cmpuint(count(f, SF_C_TCP_BAD_FRAMING), ==, 1);
    g_assert_cmpuint(count(f, SF_C_TCP_CLOSED_FRAMING), ==, 1);
    g_assert_cmpuint(sf_tcp_count(f->tcp), ==, 0);
    g_assert_true(closed(fd));
    close(fd);
}

static void test_deadlines(fixture_t *f, gconstpointer data)
{
    const sf_tcp_limits_t *lim = data;
    int64_t t0 = 100000, msg = lim->message_s * 1000, idle = lim->idle_s * 1000;
    int quiet = client(f, "127.0.0.1", t0);
    int slow = client(f, "127.0.0.2", t0);
    int busy = client(f, "127.0.0.3", t0);

    feed(f, slow, empty_msg, 7, t0);
    sf_tcp_expire(f->tcp, t0 + msg - 1);
    g_assert_cmpuint(sf_tcp_count(f->tcp), ==, 3);
    sf_tcp_expire(f->tcp, t0 + msg);
    g_assert_cmpuint(count(f, SF_C_TCP_CLOSED_SLOW), ==, 1);
    g_assert_true(closed(slow));
    feed(f, busy, empty_msg, 16, t0 + idle - 1);    /* a message resets idle */
    sf_tcp_expire(f->tcp, t0 + idle);
    g_assert_cmpuint(count(f, SF_C_TCP_CLOSED_IDLE), ==, 1);
    g_assert_true(closed(quiet));
    g_assert_false(closed(busy));
    g_assert_cmpuint(sf_tcp_count(f->tcp), ==, 1);
    close(quiet);
    close(slow);
    close(busy);
}

/* Caps 3 in all, 2 per address: newcomers push out the longest-idle
 * connection of their address, then the longest-idle unproven one; the
 * exporter that completed a message keeps its slot though it is older. */
static void test_eviction(fixture_t *f, gconstpointer data)
{
    int exp = client(f, "127.0.0.1", 1000);
    int a1, a2, a3, b1;

    feed(f, exp, empty_msg, 16, 1000);
    a1 = client(f, "127.0.0.2", 2000);
    a2 = client(f, "127.0.0.2", 3000);
    a3 = client(f, "127.0.0.2", 4000);
    g_assert_cmpuint(count(f, SF_C_TCP_CLOSED_ADDR_CAP), ==, 1);
    g_assert_true(closed(a1));
    b1 = client(f, "127.0.0.3", 5000);
    g_assert_cmpuint(count(f, SF_C_TCP_CLOSED_FULL), ==, 1);
    g_assert_true(closed(a2));
    g_assert_false(closed(exp));
    g_assert_cmpuint(sf_tcp_count(f->tcp), ==, 3);
    feed(f, exp, empty_msg, 16, 6000);
    g_assert_cmpuint(count(f, SF_C_PACKETS_IPFIX), ==, 2);
    g_assert_cmpuint(count(f, SF_C_TCP_ACCEPTED), ==, 5);
    for (int fd, i = 0; i < 5; i++)
        if ((fd = (int[]){exp, a1, a2, a3, b1}[i]) >= 0)
            close(fd);
}

int main(int argc, char **argv)
{
    static const sf_tcp_limits_t wide = { 16, 16, 300, 10 };
    static const sf_tcp_limits_t tight = { 3, 2, 300, 10 };

    g_test_init(&argc, &argv, NULL);
    g_test_add("/tcp/not-allowed", fixture_t, &wide, setup, test_not_allowed, teardown);
    g_test_add("/tcp/framing", fixture_t, &wide, setup, test_framing, teardown);
    g_test_add("/tcp/deadlines", fixture_t, &wide, setup, test_deadlines, teardown);
    g_test_add("/tcp/eviction", fixture_t, &tight, setup, test_eviction, teardown);
    return g_test_run();
}
