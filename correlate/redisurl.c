/*
 * redisurl.c - parsing the --redis URL and connecting (see redisurl.h).
 *
 * Connections are blocking hiredis contexts with timeouts: they are used
 * only by the correlator's Redis thread and by the watch/top commands,
 * never by the receive thread, so a stalled Redis costs at most one
 * timeout there (hiredis 0.14's async API, the one Debian 12 packages,
 * has no timeouts at all).
 */
#include "redisurl.h"
#include "addr.h"
#include "correlator.h"

#include <string.h>

struct sf_redis_target {
    char *host;         /* NULL for a unix socket */
    int   port;
    char *path;         /* unix socket path */
    int   db;
    char *user;
    char *password;
    char *described;
    GPtrArray *seed_hosts;  /* redis+cluster:// only */
    GArray    *seed_ports;  /* int */
};

void sf_redis_target_free(sf_redis_target_t *t)
{
    if (t == NULL)
        return;
    g_free(t->host);
    g_free(t->path);
    g_free(t->user);
    if (t->password)
        memset(t->password, 0, strlen(t->password));
    g_free(t->password);
    g_free(t->described);
    if (t->seed_hosts) {
        g_ptr_array_unref(t->seed_hosts);
        g_array_unref(t->seed_ports);
    }
    g_free(t);
}

static gboolean parse_int(const char *text, int lo, int hi, int *out)
{
    guint64 v;

    if (!g_ascii_string_to_unsigned(text, 10, (guint64)lo, (guint64)hi, &v,
                                    NULL))
        return FALSE;
    *out = (int)v;
    return TRUE;
}

/* user:password@ (either part optional), percent-decoded. */
static gboolean parse_userinfo(sf_redis_target_t *t, const char *info)
{
    const char *colon = strchr(info, ':');

    if (colon == NULL) {
        t->password = g_uri_unescape_string(info, NULL);
        return t->password != NULL;
    }
    g_autofree char *user = g_strndup(info, (gsize)(colon - info));
    if (*user)
        t->user = g_uri_unescape_string(user, NULL);
    t->password = g_uri_unescape_string(colon + 1, NULL);
    return t->password != NULL && (*user == '\0' || t->user != NULL);
}

static gboolean parse_hostport(sf_redis_target_t *t, const char *hp)
{
    g_autofree char *port = NULL;

    t->port = 6379;
    if (!sf_hostport_parse(hp, SF_HOSTPORT_PORT_OPTIONAL | SF_HOSTPORT_HOST_REQUIRED,
                           &t->host, &port))
        return FALSE;
    return port == NULL || parse_int(port, 1, 65535, &t->port);
}

static gboolean parse_tcp(sf_redis_target_t *t, const char *rest)
{
    g_autofree char *auth = g_strdup(rest);
    char *slash = strchr(auth, '/');
    char *at;

    if (slash) {
        if (slash[1] != '\0' && !parse_int(slash + 1, 0, 1 << 20, &t->db))
            return FALSE;
        *slash = '\0';
    }
    at = strrchr(auth, '@');
    if (at) {
        *at = '\0';
        if (!parse_userinfo(t, auth))
            return FALSE;
        return parse_hostport(t, at + 1);
    }
    return parse_hostport(t, auth);
}

static gboolean parse_unix(sf_redis_target_t *t, const char *rest)
{
    g_autofree char *path = g_strdup(rest);
    char *q = strchr(path, '?');
    char *at = strchr(path, '@');

    /* unix://[user[:password]@]/path: an ACL user over a socket */
    if (at && (q == NULL || at < q)) {
        *at = '\0';
        if (!parse_userinfo(t, path))
            return FALSE;
        memmove(path, at + 1, strlen(at + 1) + 1);
        q = strchr(path, '?');
    }
    if (q) {
        *q = '\0';
        if (!g_str_has_prefix(q + 1, "db=") || !parse_int(q + 4, 0, 1 << 20,
                                                          &t->db))
            return FALSE;
    }
    if (path[0] != '/')
        return FALSE;
    t->path = g_strdup(path);
    return TRUE;
}

/* [user:password@]host:port[,host:port...][/0] of redis+cluster://; the
 * first seed is also t->host and t->port.  A cluster has only db 0. */
static gboolean parse_cluster(sf_redis_target_t *t, const char *rest)
{
    g_autofree char *auth = g_strdup(rest);
    g_auto(GStrv) hosts = NULL;
    char *slash = strchr(auth, '/'), *at, *list = auth;

    if (slash) {
        if (slash[1] != '\0' && strcmp(slash + 1, "0") != 0)
            return FALSE;
        *slash = '\0';
    }
    at = strrchr(auth, '@');
    if (at) {
        *at = '\0';
        if (!parse_userinfo(t, auth))
            return FALSE;
        list = at + 1;
    }
    t->seed_hosts = g_ptr_array_new_with_free_func(g_free);
    t->seed_ports = g_array_new(FALSE, FALSE, sizeof(int));
    hosts = g_strsplit(list, ",", -1);
    for (guint i = 0; hosts[i]; i++) {
        sf_redis_target_t one = {0};

        if (!parse_hostport(&one, hosts[i])) {
            g_free(one.host);
            return FALSE;
        }
        g_ptr_array_add(t->seed_hosts, one.host);
        g_array_append_val(t->seed_ports, one.port);
    }
    if (t->seed_hosts->len == 0)
        return FALSE;
    t->host = g_strdup(g_ptr_array_index(t->seed_hosts, 0));
    t->port = g_array_index(t->seed_ports, int, 0);
    return TRUE;
}

static void describe(sf_redis_target_t *t)
{
    const char *user = t->user ? t->user : "";
    const char *pw = t->password ? ":***@" : (t->user ? "@" : "");

    if (t->seed_hosts) {
        GString *d = g_string_new("redis+cluster://");
        g_string_append_printf(d, "%s%s", user, pw);
        for (guint i = 0; i < t->seed_hosts->len; i++) {
            const char *h = g_ptr_array_index(t->seed_hosts, i);
            g_string_append_printf(d, strchr(h, ':') ? "%s[%s]:%d" : "%s%s:%d",
                                   i ? "," : "", h,
                                   g_array_index(t->seed_ports, int, i));
        }
        t->described = g_string_free(d, FALSE);
    } else if (t->path)
        t->described = g_strdup_printf("unix://%s?db=%d", t->path, t->db);
    else if (strchr(t->host, ':'))
        t->described = g_strdup_printf("redis://%s%s[%s]:%d/%d", user, pw,
                                       t->host, t->port, t->db);
    else
        t->described = g_strdup_printf("redis://%s%s%s:%d/%d", user, pw,
                                       t->host, t->port, t->db);
}

sf_redis_target_t *sf_redis_target_parse(const char *url, GError **err)
{
    sf_redis_target_t *t = g_new0(sf_redis_target_t, 1);
    gboolean ok = FALSE;
    const char *env;

    if (g_str_has_prefix(url, "redis://"))
        ok = parse_tcp(t, url + strlen("redis://"));
    else if (g_str_has_prefix(url, "unix://"))
        ok = parse_unix(t, url + strlen("unix://"));
    else if (g_str_has_prefix(url, "redis+cluster://"))
        ok = parse_cluster(t, url + strlen("redis+cluster://"));
    if (!ok) {
        /* Never echo the URL: it may hold a password. */
        g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_CONFIG,
                    "not a Redis URL (expected redis://[user:password@]"
                    "host[:port][/db], unix:///path[?db=N] or "
                    "redis+cluster://[user:password@]host:port[,host:port])");
        sf_redis_target_free(t);
        return NULL;
    }
    env = g_getenv("SCANFLOW_REDIS_PASSWORD");
    if ((t->password == NULL || *t->password == '\0') && env && *env) {
        g_free(t->password);            /* "user:@host": password from env */
        t->password = g_strdup(env);
    }
    describe(t);
    return t;
}

const char *sf_redis_target_describe(const sf_redis_target_t *t)
{
    return t->described;
}

static gboolean login(redisContext *rc, const sf_redis_target_t *t,
                      GError **err)
{
    redisReply *r = NULL;
    char db[16];

    if (t->password) {
        if (t->user)
            r = redisCommand(rc, "AUTH %s %s", t->user, t->password);
        else
            r = redisCommand(rc, "AUTH %s", t->password);
        if (r == NULL || r->type == REDIS_REPLY_ERROR)
            goto fail;
        freeReplyObject(r);
    }
    if (t->db != 0) {
        g_snprintf(db, sizeof db, "%d", t->db);
        r = redisCommand(rc, "SELECT %s", db);
        if (r == NULL || r->type == REDIS_REPLY_ERROR)
            goto fail;
        freeReplyObject(r);
    }
    return TRUE;
fail:
    g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_REDIS,
                "%s: %s", t->described,
                r ? r->str : (rc->errstr[0] ? rc->errstr : "no reply"));
    if (r)
        freeReplyObject(r);
    return FALSE;
}

/* The connection to host:port (or t's socket when host is NULL). */
static redisContext *connect_to(const sf_redis_target_t *t, const char *host,
                                int port, int timeout_ms, GError **err)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *rc;

    if (host == NULL)
        rc = redisConnectUnixWithTimeout(t->path, tv);
    else
        rc = redisConnectWithTimeout(host, port, tv);
    if (rc == NULL || rc->err) {
        if (t->seed_hosts)      /* name the node, not the seed list */
            g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_REDIS,
                        "cluster node %s:%d: %s", host, port,
                        rc ? rc->errstr : "out of memory");
        else
            g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_REDIS,
                        "%s: %s", t->described,
                        rc ? rc->errstr : "out of memory");
        goto fail;
    }
    if (redisSetTimeout(rc, tv) != REDIS_OK) {
        g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_REDIS,
                    "%s: cannot set timeout", t->described);
        goto fail;
    }
    if (!login(rc, t, err))
        goto fail;
    return rc;
fail:
    if (rc)
        redisFree(rc);
    return NULL;
}

redisContext *sf_redis_target_connect(const sf_redis_target_t *t,
                                      int timeout_ms, GError **err)
{
    if (t->seed_hosts) {
        for (guint i = 0; i + 1 < t->seed_hosts->len; i++) {
            redisContext *rc = sf_redis_target_connect_node(
                t, g_ptr_array_index(t->seed_hosts, i),
                g_array_index(t->seed_ports, int, i), timeout_ms, NULL);
            if (rc)
                return rc;
        }
        return sf_redis_target_connect_node(
            t, g_ptr_array_index(t->seed_hosts, t->seed_hosts->len - 1),
            g_array_index(t->seed_ports, int, t->seed_hosts->len - 1),
            timeout_ms, err);
    }
    return connect_to(t, t->path ? NULL : t->host, t->port, timeout_ms, err);
}

gboolean sf_redis_target_is_cluster(const sf_redis_target_t *t)
{
    return t->seed_hosts != NULL;
}

guint sf_redis_target_n_seeds(const sf_redis_target_t *t)
{
    return t->seed_hosts ? t->seed_hosts->len : 0;
}

const char *sf_redis_target_seed(const sf_redis_target_t *t, guint i,
                                 int *port)
{
    g_return_val_if_fail(i < sf_redis_target_n_seeds(t), NULL);
    *port = g_array_index(t->seed_ports, int, i);
    return g_ptr_array_index(t->seed_hosts, i);
}

redisContext *sf_redis_target_connect_node(const sf_redis_target_t *t,
                                           const char *host, int port,
                                           int timeout_ms, GError **err)
{
    return connect_to(t, host, port, timeout_ms, err);
}
