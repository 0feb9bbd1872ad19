/*
 * test-listener.c - the daemon's sockets (listener.c, netsock.c): a NetFlow
 * v5 datagram sent to a listener on 127.0.0.1 reaches the decoder's sink
 * with the sender as exporter; listen addresses that do not parse, and a
 * port already taken, fail with their messages.
 */
#include "listener.h"
#include "cursor.h"

#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct rx {
    GMutex    lock;
    GArray   *flows;            /* sf_flow_t */
} rx_t;

static void sink(const sf_flow_t *f, void *ctx)
{
    rx_t *rx = ctx;

    if (f == NULL)              /* end of a receive batch */
        return;
    g_mutex_lock(&rx->lock);
    g_array_append_vals(rx->flows, f, 1);
    g_mutex_unlock(&rx->lock);
}

static guint flows_seen(rx_t *rx)
{
    g_mutex_lock(&rx->lock);
    guint n = rx->flows->len;
    g_mutex_unlock(&rx->lock);
    return n;
}

/* A UDP socket bound to 127.0.0.1 on a port the kernel chose. */
static int bound_udp(guint16 *port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof sa;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpint(bind(fd, (struct sockaddr *)&sa, sizeof sa), ==, 0);
    g_assert_cmpint(getsockname(fd, (struct sockaddr *)&sa, &sl), ==, 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* A NetFlow v5 packet of one flow: 10.9.0.1:40000 -> 10.9.0.2:22, TCP,
 * 3 packets, 180 bytes. */
static void v5_packet(guint8 p[24 + 48])
{
    memset(p, 0, 24 + 48);
    sf_put16(p, 5);
    sf_put16(p + 2, 1);
    sf_put32(p + 4, 100000);            /* sysUpTime */
    sf_put32(p + 8, 1700000000);        /* unix secs */
    guint8 *r = p + 24;
    sf_put32(r, 0x0a090001);
    sf_put32(r + 4, 0x0a090002);
    sf_put32(r + 16, 3);
    sf_put32(r + 20, 180);
    sf_put32(r + 24, 95000);
    sf_put32(r + 28, 99000);
    sf_put16(r + 32, 40000);
    sf_put16(r + 34, 22);
    r[38] = 6;
}

static void test_udp_receive(void)
{
    sf_decoder_config_t cfg = SF_DECODER_CONFIG_DEFAULT;
    volatile sig_atomic_t stop = 0;
    rx_t rx = { .flows = g_array_new(FALSE, TRUE, sizeof(sf_flow_t)) };
    sf_decoder_t *dec = sf_decoder_new(&cfg, sink, &rx);
    sf_listener_t *lis = sf_listener_new(dec);
    guint16 port;
    int probe = bound_udp(&port);
    guint8 pkt[24 + 48];
    char buf[SF_ADDR_STRLEN];

    g_mutex_init(&rx.lock);
    close(probe);                       /* the port is free again */
    g_autofree char *spec = g_strdup_printf("udp://127.0.0.1:%u", port);
    g_assert_true(sf_listener_add(lis, spec, NULL));
    GThread *t = sf_listener_spawn(lis, &stop, NULL, NULL);

    struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int tx = socket(AF_INET, SOCK_DGRAM, 0);
    v5_packet(pkt);
    g_assert_cmpint(sendto(tx, pkt, sizeof pkt, 0, (struct sockaddr *)&to, sizeof to),
                    ==, (ssize_t)sizeof pkt);
    for (int i = 0; i < 500 && flows_seen(&rx) == 0; i++)
        g_usleep(10000);
    stop = 1;
    g_thread_join(t);
    close(tx);

    g_assert_cmpuint(rx.flows->len, ==, 1);
    const sf_flow_t *f = &g_array_index(rx.flows, sf_flow_t, 0);
    g_assert_cmpstr(sf_addr_to_string(&f->exporter, buf), ==, "127.0.0.1");
    g_assert_cmpstr(sf_addr_to_string(&f->src, buf), ==, "10.9.0.1");
    g_assert_cmpuint(f->dst_port, ==, 22);
    g_assert_cmpuint(f->packets, ==, 3);
    g_assert_cmpuint(sf_decoder_stats(dec)->c[SF_C_PACKETS], ==, 1);
    sf_listener_free(lis);
    sf_decoder_free(dec);
    g_mutex_clear(&rx.lock);
    g_array_unref(rx.flows);
}

/* Addresses that must not parse: each fails with the expected forms. */
static void test_bad_specs(void)
{
    static const char *bad[] = {
        "udp://127.0.0.1",              /* no port */
        "127.0.0.1:2055",               /* no scheme */
        "sctp://127.0.0.1:2055",        /* not udp or tcp */
        "udpx://127.0.0.1:2055",
        "udp://[::1]2055",              /* nothing between ] and the port */
        "udp://[::1:2055",              /* no closing bracket */
        "udp://127.0.0.1:65536",        /* port out of range */
        "udp://127.0.0.1:",
        "udp://127.0.0.1:20x5",
        "udp://127.0.0.1:+2055",        /* digits only */
    };
    sf_decoder_config_t cfg = SF_DECODER_CONFIG_DEFAULT;
    sf_decoder_t *dec = sf_decoder_new(&cfg, NULL, NULL);
    sf_listener_t *lis = sf_listener_new(dec);

    for (gsize i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        g_assert_false(sf_listener_add(lis, bad[i], &err));
        g_assert_nonnull(err);
        g_autofree char *want = g_strdup_printf(
            "bad listen address '%s': expected udp://ADDR:PORT or tcp://ADDR:PORT",
            bad[i]);
        g_assert_cmpstr(err->message, ==, want);
    }
    sf_listener_free(lis);
    sf_decoder_free(dec);
}

/* A port some other socket holds: "cannot listen on SPEC: <strerror>". */
static void test_port_taken(void)
{
    sf_decoder_config_t cfg = SF_DECODER_CONFIG_DEFAULT;
    sf_decoder_t *dec = sf_decoder_new(&cfg, NULL, NULL);
    sf_listener_t *lis = sf_listener_new(dec);
    g_autoptr(GError) err = NULL;
    guint16 port;
    int holder = bound_udp(&port);
    g_autofree char *spec = g_strdup_printf("udp://127.0.0.1:%u", port);
    g_autofree char *want = g_strdup_printf("cannot listen on %s: %s", spec,
                                            g_strerror(EADDRINUSE));

    g_assert_false(sf_listener_add(lis, spec, &err));
    g_assert_cmpstr(err->message, ==, want);
    close(holder);
    sf_listener_free(lis);
    sf_decoder_free(dec);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/listener/udp/receive", test_udp_receive);
    g_test_add_func("/listener/spec/bad", test_bad_specs);
    g_test_add_func("/listener/bind/port-taken", test_port_taken);
    return g_test_run();
}
