/*
 * replay.c - sends the export messages of captures or raw payload files to
 * a collector over UDP, in file order, with sendmmsg() in batches of up to
 * 64, at a given rate (packets per second; 0 sends as fast as the socket
 * takes them), N times over.  Used by operators to test a collector and by
 * scanflow's own benchmarks and end-to-end tests.
 */
#include "replay.h"

#include "source.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "listener.h"

typedef struct payloads {
    GByteArray *bytes;
    GArray     *offs;           /* guint: start of each message */
} payloads_t;

static void collect(const sf_packet_t *pkt, void *p)
{
    payloads_t *pl = p;
    guint off = pl->bytes->len;

    g_byte_array_append(pl->bytes, pkt->data, (guint)pkt->len);
    g_array_append_val(pl->offs, off);
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int open_dest(const char *dest, GError **err)
{
    char *spec = g_strdup_printf("udp://%s", dest), *proto, *host, *port;
    struct addrinfo hints, *res = NULL;
    int fd = -1;

    if (!sf_listen_spec_parse(spec, &proto, &host, &port, err)) {
        g_free(spec);
        return -1;
    }
    memset(&hints, 0, sizeof hints);
    hints.ai_socktype = SOCK_DGRAM;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "%s: %s", dest,
                    gai_strerror(rc));
    } else {
        fd = socket(res->ai_family, SOCK_DGRAM, 0);
        int snd = 8 << 20;
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd);
        if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
            g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "%s: %s", dest,
                        g_strerror(errno));
            if (fd >= 0)
                close(fd);
            fd = -1;
        }
        freeaddrinfo(res);
    }
    g_free(spec);
    g_free(proto);
    g_free(host);
    g_free(port);
    return fd;
}

/* Sends messages [i, i+n) of pl; returns how many were sent. */
static int send_batch(int fd, const payloads_t *pl, guint i, int n)
{
    struct mmsghdr m[64];
    struct iovec iov[64];

    for (int k = 0; k < n; k++) {
        guint s = g_array_index(pl->offs, guint, i + k);
        guint e = i + k + 1 < pl->offs->len ? g_array_index(pl->offs, guint, i + k + 1)
                                             : pl->bytes->len;
        iov[k].iov_base = pl->bytes->data + s;
        iov[k].iov_len = e - s;
        memset(&m[k], 0, sizeof m[k]);
        m[k].msg_hdr.msg_iov = &iov[k];
        m[k].msg_hdr.msg_iovlen = 1;
    }
    int sent = sendmmsg(fd, m, (unsigned)n, 0);
    if (sent < 0 && (errno == ENOBUFS || errno == EAGAIN || errno == ECONNREFUSED)) {
        g_usleep(200);
        return 0;
    }
    return sent < 0 ? -1 : sent;
}

int sf_cmd_replay(int argc, char **argv)
{
    gint rate = 0, loops = 1;
    gboolean quiet = FALSE;
    GOptionEntry entries[] = {
        { "rate", 'r', 0, G_OPTION_ARG_INT, &rate,
          "Packets per second (default 0: as fast as possible)", "PPS" },
        { "loops", 'n', 0, G_OPTION_ARG_INT, &loops, "Send the files N times (default 1)", "N" },
        { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No progress line", NULL },
        G_OPTION_ENTRY_NULL
    };
    GOptionContext *ctx = g_option_context_new("FILE... HOST:PORT - send export captures over UDP");
    GError *err = NULL;
    payloads_t pl = { g_byte_array_new(), g_array_new(FALSE, FALSE, sizeof(guint)) };
    int fd = -1, rc = 1;
    sf_addr_t zero;

    memset(&zero, 0, sizeof zero);
    g_option_context_add_main_entries(ctx, entries, NULL);
    if (!g_option_context_parse(ctx, &argc, &argv, &err))
        goto fail;
    if (argc < 3 || rate < 0 || loops < 1) {
        g_set_error(&err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "usage: scanflow replay FILE... HOST:PORT [--rate PPS] [--loops N]");
        goto fail;
    }
    for (int i = 1; i < argc - 1; i++)
        if (!sf_file_foreach(argv[i], &zero, collect, &pl, NULL, &err))
            goto fail;
    if ((fd = open_dest(argv[argc - 1], &err)) < 0)
        goto fail;

    guint total = pl.offs->len * (guint)loops, done = 0;
    int64_t start = mono_ns(), last_print = start;
    while (done < total) {
        guint i = done % pl.offs->len;
        int n = (int)MIN(64u, MIN(pl.offs->len - i, total - done));
        if (rate > 0) {
            n = MIN(n, MAX(1, rate / 1000));
            int64_t due = start + (int64_t)done * 1000000000 / rate;
            int64_t now = mono_ns();
            if (due > now)
                g_usleep((gulong)((due - now) / 1000));
        }
        int sent = send_batch(fd, &pl, i, n);
        if (sent < 0) {
            g_set_error(&err, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "send: %s",
                        g_strerror(errno));
            goto fail;
        }
        done += (guint)sent;
        int64_t now = mono_ns();
        if (!quiet && now - last_print > 1000000000) {
            fprintf(stderr, "\rreplay: %u/%u packets, %.0f pps", done, total,
                    done / ((now - start) / 1e9));
            last_print = now;
        }
    }
    if (!quiet && last_print != start)
        fputc('\n', stderr);
    if (!quiet)
        fprintf(stderr, "replay: sent %u packets in %.3f s\n", total,
                (mono_ns() - start) / 1e9);
    rc = 0;
    goto out;
fail:
    fprintf(stderr, "scanflow replay: %s\n", err ? err->message : "failed");
    g_clear_error(&err);
out:
    if (fd >= 0)
        close(fd);
    g_byte_array_free(pl.bytes, TRUE);
    g_array_free(pl.offs, TRUE);
    g_option_context_free(ctx);
    return rc;
}
