/*
 * statscmd.c - `scanflow stats`: asks a running scanflowd for its metrics
 * (its --metrics address, HTTP/1.0 GET) and prints them for a person, or
 * as received with --raw.
 */
#include "metrics.h"
#include "statscmd.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0 && errno != EINTR)
            return;
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        }
    }
}

/* GET url with HTTP/1.0; the body on success.  url is what scanflowd's
 * --metrics takes (HOST:PORT, path /metrics) or http://HOST:PORT[/PATH]. */
static char *http_get(const char *url, GError **err)
{
    g_autofree char *hostport = NULL, *host = NULL, *port = NULL;
    const char *rest = g_str_has_prefix(url, "http://") ? url + 7 : url;
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV};
    struct addrinfo *res = NULL, *ai;
    GString *in;
    int fd = -1, rc;

    if (strstr(rest, "://") != NULL) {
        g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "--metrics %s: expected HOST:PORT or http://HOST:PORT/metrics", url);
        return NULL;
    }
    const char *path = strchr(rest, '/');
    hostport = path ? g_strndup(rest, (gsize)(path - rest)) : g_strdup(rest);
    if (!sf_metrics_spec_parse(hostport, &host, &port, err))
        return NULL;
    rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: %s", url, gai_strerror(rc));
        return NULL;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
            break;
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno), "%s: %s "
                    "(is scanflowd running with --metrics %s?)", url,
                    g_strerror(errno), hostport);
        return NULL;
    }
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    g_autofree char *req = g_strdup_printf("GET %s HTTP/1.0\r\nHost: %s\r\n\r\n",
                                           path ? path : "/metrics", hostport);
    send_all(fd, req, strlen(req));
    in = g_string_new(NULL);
    for (;;) {
        char buf[8192];
        ssize_t r = recv(fd, buf, sizeof buf, 0);
        if (r <= 0)
            break;
        g_string_append_len(in, buf, r);
    }
    close(fd);
    char *body = strstr(in->str, "\r\n\r\n");
    if (!g_str_has_prefix(in->str, "HTTP/1.") || strstr(in->str, " 200 ") == NULL
        || body == NULL) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_FAILED, "%s: unexpected answer '%.40s'",
                    url, in->str);
        g_string_free(in, TRUE);
        return NULL;
    }
    char *out = g_strdup(body + 4);
    g_string_free(in, TRUE);
    return out;
}

/* "scanflow_packets_total{version="v9"} 5" -> name "packets", labels
 * "v9", value "5". */
static gboolean split_sample(const char *line, char **name, char **labels,
                             const char **value)
{
    const char *v = strrchr(line, ' '), *lb = strchr(line, '{');
    const char *end = lb && lb < v ? lb : v;

    if (v == NULL || !g_str_has_prefix(line, "scanflow_"))
        return FALSE;
    *name = g_strndup(line + 9, (gsize)(end - line - 9));
    if (g_str_has_suffix(*name, "_total"))
        (*name)[strlen(*name) - 6] = '\0';
    GString *l = g_string_new(NULL);
    for (const char *p = lb && lb < v ? lb + 1 : v; p < v && *p != '}'; p++) {
        if (*p == '"')
            continue;
        if (*p == '=') {        /* drop the label's key */
            gssize k = (gssize)l->len - 1;
            while (k >= 0 && l->str[k] != ' ')
                k--;
            g_string_truncate(l, (gsize)(k + 1));
            continue;
        }
        g_string_append_c(l, *p == ',' ? ' ' : *p);
    }
    *labels = g_string_free(l, FALSE);
    *value = v + 1;
    return TRUE;
}

static void print_human(const char *text, gboolean all)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    double rt_sum = 0, rt_count = 0, start = 0;

    for (char **l = lines; *l; l++) {
        g_autofree char *name = NULL, *labels = NULL;
        const char *value;
        if (**l == '#' || !split_sample(*l, &name, &labels, &value))
            continue;
        double v = g_ascii_strtod(value, NULL);
        if (strcmp(name, "start_time_seconds") == 0) {
            start = v;
            continue;
        }
        if (strcmp(name, "redis_roundtrip_seconds_sum") == 0) {
            rt_sum = v;
            continue;
        }
        if (strcmp(name, "redis_roundtrip_seconds_count") == 0) {
            rt_count = v;
            continue;
        }
        if (v == 0 && !all)
            continue;
        printf("%-28s %-30s %s\n", name, labels, value);
    }
    if (rt_count > 0)
        printf("%-28s %-30s %.2f ms (%.0f flushes)\n", "redis_roundtrip_mean", "",
               rt_sum * 1000 / rt_count, rt_count);
    if (start > 0)
        printf("%-28s %-30s %.0f s\n", "uptime", "",
               (double)g_get_real_time() / G_USEC_PER_SEC - start);
}

int sf_cmd_stats(int argc, char **argv)
{
    g_autofree char *url = NULL;
    gboolean all = FALSE, raw = FALSE;
    const GOptionEntry entries[] = {
        {"metrics", 'm', 0, G_OPTION_ARG_STRING, &url,
         "scanflowd's metrics address, as given to its --metrics (HOST:PORT) or as "
         "a URL (http://HOST:PORT/metrics); default 127.0.0.1:9477", "ADDR"},
        {"all", 'a', 0, G_OPTION_ARG_NONE, &all, "Also print counters that are zero", NULL},
        {"raw", 0, 0, G_OPTION_ARG_NONE, &raw, "Print the Prometheus text as received", NULL},
        {NULL, 0, 0, 0, NULL, NULL, NULL},
    };
    g_autoptr(GOptionContext) ctx = g_option_context_new(
        "- print a running scanflowd's metrics (--metrics) for a person");
    g_autoptr(GError) err = NULL;
    g_autofree char *body = NULL;

    g_option_context_add_main_entries(ctx, entries, NULL);
    if (g_option_context_parse(ctx, &argc, &argv, &err) && argc > 1)
        g_set_error(&err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                    "unexpected argument '%s' (the address goes after --metrics)", argv[1]);
    if (err != NULL || (body = http_get(url ? url : "127.0.0.1:9477", &err)) == NULL) {
        g_printerr("scanflow stats: %s\n", err->message);
        return 1;
    }
    if (raw)
        fputs(body, stdout);
    else
        print_human(body, all);
    return 0;
}
