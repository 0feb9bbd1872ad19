/*
 * test-addr.c - text forms of addresses and endpoints (addr.c): the one
 * host:port parser that --listen, --metrics, the Redis URL and Redis
 * Cluster redirections share, with each caller's flags.
 */
#include "addr.h"
#include "flow.h"

#include <glib.h>

typedef struct hp_case {
    const char *text;
    guint       flags;
    const char *host;           /* NULL: must fail */
    const char *port;           /* NULL: no port */
} hp_case_t;

#define OPT SF_HOSTPORT_PORT_OPTIONAL
#define REQ SF_HOSTPORT_HOST_REQUIRED
#define BR  SF_HOSTPORT_V6_BRACKETED

static const hp_case_t cases[] = {
    { "127.0.0.1:2055", 0, "127.0.0.1", "2055" },
    { "[::]:4739", 0, "::", "4739" },
    { "[::1]:0", 0, "::1", "0" },
    { ":2055", 0, "", "2055" },             /* --listen: the wildcard */
    { "::1:6379", 0, "::1", "6379" },       /* MOVED: the last colon */
    { "host.example:080", 0, "host.example", "080" },
    { "127.0.0.1", 0, NULL, NULL },         /* port required */
    { "[::1]", 0, NULL, NULL },
    { "[::1]x:1", 0, NULL, NULL },
    { "[::1:1", 0, NULL, NULL },
    { "h:65536", 0, NULL, NULL },
    { "h:", 0, NULL, NULL },
    { "h: 1", 0, NULL, NULL },
    { "h:+1", 0, NULL, NULL },
    { "h:-1", 0, NULL, NULL },
    { "redis", OPT | REQ, "redis", NULL },  /* the Redis URL */
    { "[::1]", OPT | REQ, "::1", NULL },
    { "[::1]:6380", OPT | REQ, "::1", "6380" },
    { "[]:6380", OPT | REQ, NULL, NULL },
    { ":6380", OPT | REQ, NULL, NULL },
    { "", OPT | REQ, NULL, NULL },
    { "127.0.0.1:9477", BR, "127.0.0.1", "9477" },  /* --metrics */
    { "[::1]:9477", BR, "::1", "9477" },
    { "::1:9477", BR, NULL, NULL },
    { ":9477", BR, NULL, NULL },
};

static void test_hostport(void)
{
    for (gsize i = 0; i < G_N_ELEMENTS(cases); i++) {
        const hp_case_t *c = &cases[i];
        g_autofree char *host = NULL, *port = NULL;
        gboolean ok = sf_hostport_parse(c->text, c->flags, &host, &port);

        g_test_message("'%s' flags %u", c->text, c->flags);
        g_assert_cmpint(ok, ==, c->host != NULL);
        g_assert_cmpstr(host, ==, c->host);
        g_assert_cmpstr(port, ==, c->host ? c->port : NULL);
    }
}

static void test_addr_text(void)
{
    sf_addr_t a;
    char buf[SF_ADDR_STRLEN];

    g_assert_true(sf_addr_parse("192.0.2.1", &a));
    g_assert_true(sf_addr_is_v4(&a));
    g_assert_cmpstr(sf_addr_to_string(&a, buf), ==, "192.0.2.1");
    g_assert_true(sf_addr_parse("2001:db8::1", &a));
    g_assert_false(sf_addr_is_v4(&a));
    g_assert_cmpstr(sf_addr_to_string(&a, buf), ==, "2001:db8::1");
    g_assert_false(sf_addr_parse("192.0.2.256", &a));
    g_assert_false(sf_addr_parse("", &a));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/addr/hostport", test_hostport);
    g_test_add_func("/addr/text", test_addr_text);
    return g_test_run();
}
