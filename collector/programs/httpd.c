/*
 * httpd.c - scanflowd's /metrics HTTP server, on libmicrohttpd.
 *
 * Prometheus reaches this port from other machines, and so can anyone
 * else: no client may delay another's scrape.  libmicrohttpd serves every
 * connection with non-blocking I/O from one internal thread (epoll), so a
 * client that sends half a request and stops holds only its own
 * connection, and that for at most SF_HTTP_TIMEOUT_S seconds of silence.
 * At most SF_HTTP_MAX_CONNS connections are open at once and
 * SF_HTTP_MAX_PER_IP from one address; past those, a newcomer is closed at
 * accept, so one address cannot take the slots of a Prometheus server
 * elsewhere.  Routes: GET or HEAD /metrics (exposition text, metrics.c),
 * / (a pointer to /metrics), anything else 404, other methods 405.
 *
 * The listening socket is bound here (port 0 picks a free one, logged)
 * and handed over with MHD_OPTION_LISTEN_SOCKET; MHD_stop_daemon closes it.
 */
#include "httpd.h"
#include "netsock.h"

#include <microhttpd.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define SF_HTTP_TIMEOUT_S   5
#define SF_HTTP_MAX_CONNS   128
#define SF_HTTP_MAX_PER_IP  16

struct sf_httpd {
    struct MHD_Daemon *mhd;
    sf_metrics_t      *metrics;
};

/* libmicrohttpd's own messages, at most one a minute: a flood of refused
 * connections must not become a flood of log lines. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    static gint64 last;
    gint64 now = g_get_monotonic_time();

    if (last != 0 && now - last < 60 * G_USEC_PER_SEC)
        return;
    last = now;
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    g_warning("metrics server: %s", g_strchomp(msg));
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned status,
                             const char *type, char *body)
{
    struct MHD_Response *r = MHD_create_response_from_buffer_with_free_callback(
        strlen(body), body, g_free);
    enum MHD_Result rc;

    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    sf_httpd_t *h = cls;

    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
                     g_strdup("GET /metrics\n"));
    if (strcmp(url, "/metrics") == 0)
        return reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                     sf_metrics_render(h->metrics));
    if (strcmp(url, "/") == 0)
        return reply(conn, MHD_HTTP_OK, "text/plain",
                     g_strdup("scanflowd: metrics at /metrics\n"));
    return reply(conn, MHD_HTTP_NOT_FOUND, "text/plain",
                 g_strdup("not found; metrics at /metrics\n"));
}

/* Binds host:port for the server and writes the bound address (port 0
 * picks one) into bound. */
static int bind_tcp(const char *host, const char *port, char *bound, size_t blen,
                    GError **err)
{
    const sf_netsock_opts_t o = { .tcp = true, .backlog = 128 };
    GError *e = NULL;
    int fd = sf_netsock_bind(host, port, &o, &e);

    if (fd < 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "--metrics %s:%s: %s",
                    host, port, e->message);
        g_error_free(e);
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char h[NI_MAXHOST], s[NI_MAXSERV];
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    if (getnameinfo((struct sockaddr *)&ss, sl, h, sizeof h, s, sizeof s,
                    NI_NUMERICHOST | NI_NUMERICSERV) == 0)
        g_snprintf(bound, blen, strchr(h, ':') ? "[%s]:%s" : "%s:%s", h, s);
    return fd;
}

sf_httpd_t *sf_httpd_start(sf_metrics_t *m, const char *spec, GError **err)
{
    g_autofree char *host = NULL, *port = NULL;
    char bound[NI_MAXHOST + NI_MAXSERV + 4] = "?";
    sf_httpd_t *h;
    int fd;

    if (!sf_metrics_spec_parse(spec, &host, &port, err))
        return NULL;
    fd = bind_tcp(host, port, bound, sizeof bound, err);
    if (fd < 0)
        return NULL;
    h = g_new0(sf_httpd_t, 1);
    h->metrics = m;
    h->mhd = MHD_start_daemon(
        MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, h,
        MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SF_HTTP_TIMEOUT_S,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SF_HTTP_MAX_CONNS,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)SF_HTTP_MAX_PER_IP,
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
        MHD_OPTION_END);
    if (h->mhd == NULL) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED,
                    "--metrics %s: the HTTP server (libmicrohttpd) did not start", spec);
        close(fd);
        g_free(h);
        return NULL;
    }
    g_message("metrics on http://%s/metrics", bound);
    return h;
}

void sf_httpd_stop(sf_httpd_t *h)
{
    if (h == NULL)
        return;
    MHD_stop_daemon(h->mhd);
    g_free(h);
}
