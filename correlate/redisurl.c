/*
 * redisurl.c - parsing the --redis URL and connecting (see redisurl.h).
 *
 * Connections are blocking hiredis contexts with timeouts: they are used
 * only by the correlator's Redis thread and by the watch/top commands,
 * never by the receive thread, so a stalled Redis costs at most one
 * timeout there (FACTS.md: the 0.14 async API has no timeouts at all).
 */
#include "redisurl.h"
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
    const char *portp = NULL;

    t->port = 6379;
    if (hp[0] == '[') {
        const char *end = strchr(hp, ']');
        if (end == NULL)
            return FALSE;
        t->host = g_strndup(hp + 1, (gsize)(end - hp - 1));
        if (end[1] == ':')
            portp = end + 2;
        else if (end[1] != '\0')
            return FALSE;
    } else {
        const char *colon = strrchr(hp, ':');
        t->host = colon ? g_strndup(hp, (gsize)(colon - hp)) : g_strdup(hp);
        portp = colon ? colon + 1 : NULL;
    }
    if (*t->host == '\0')
        return FALSE;
    return portp == NULL || parse_int(portp, 1, 65535, &t->port);
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

static void describe(sf_redis_target_t *t)
{
    const char *user = t->user ? t->user : "";
    const char *pw = t->password ? ":***@" : (t->user ? "@" : "");

    if (t->path)
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
    if (!ok) {
        /* Never echo the URL: it may hold a password. */
        g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_CONFIG,
                    "not a Redis URL (expected redis://[user:password@]"
                    "host[:port][/db] or unix:///path[?db=N])");
        sf_redis_target_free(t);
        return NULL;
    }
    env = g_getenv("SCANFLOW_REDIS_PASSWORD");
    if (t->password == NULL && env && *env)
        t->password = g_strdup(env);
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

redisContext *sf_redis_target_connect(const sf_redis_target_t *t,
                                      int timeout_ms, GError **err)
{
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    redisContext *rc;

    if (t->path)
        rc = redisConnectUnixWithTimeout(t->path, tv);
    else
        rc = redisConnectWithTimeout(t->host, t->port, tv);
    if (rc == NULL || rc->err) {
        g_set_error(err, SF_CORRELATE_ERROR, SF_CORRELATE_ERROR_REDIS,
                    "%s: %s", t->described, rc ? rc->errstr : "out of memory");
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
