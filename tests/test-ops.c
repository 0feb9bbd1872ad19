/*
 * test-ops.c - the operations modules without a daemon: the log writer's
 * rate limit and level filter, URL password masking, and the metrics
 * snapshot summing several decoders (one per receive thread).
 */
#include "conffile.h"
#include "decoder.h"
#include "logging.h"
#include "metrics.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Runs fn with stderr sent to a file; returns what it wrote. */
static char *capture_stderr(void (*fn)(void))
{
    char path[] = "/tmp/sf-test-ops.XXXXXX";
    int fd = mkstemp(path), saved = dup(STDERR_FILENO);
    char *text = NULL;

    g_assert_cmpint(fd, >=, 0);
    fflush(stderr);
    dup2(fd, STDERR_FILENO);
    fn();
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    close(fd);
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    unlink(path);
    return text;
}

static guint count_lines(const char *text, const char *needle)
{
    guint n = 0;
    for (const char *p = text; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void log_flood(void)
{
    for (int i = 0; i < 50; i++)
        g_warning("flood %d", i);      /* one call site */
    g_warning("other site");
    g_message("an info line");
    g_debug("a debug line");
}

static void test_ratelimit(void)
{
    sf_log_init(SF_LOG_INFO);
    g_autofree char *out = capture_stderr(log_flood);

    /* SF_LOG_BURST lines of the flooding site, the other site's line, the
     * info line, no debug line. */
    g_assert_cmpuint(count_lines(out, "warning: flood"), ==, SF_LOG_BURST);
    g_assert_cmpuint(count_lines(out, "warning: other site"), ==, 1);
    g_assert_cmpuint(count_lines(out, "info: an info line"), ==, 1);
    g_assert_cmpuint(count_lines(out, "a debug line"), ==, 0);
}

static void log_levels(void)
{
    g_message("hidden info");
    g_warning("shown warning");
}

static void test_level(void)
{
    sf_log_level_t level;

    g_assert_true(sf_log_level_parse("WARNING", &level, NULL));
    g_assert_false(sf_log_level_parse("loud", &level, NULL));
    sf_log_init(SF_LOG_WARNING);
    g_autofree char *out = capture_stderr(log_levels);
    sf_log_init(SF_LOG_INFO);
    g_assert_null(strstr(out, "hidden info"));
    g_assert_nonnull(strstr(out, "warning: shown warning"));
}

static void test_mask(void)
{
    static const char *const cases[][2] = {
        {"redis://user:secret@host:6379/0", "redis://user:***@host:6379/0"},
        {"redis://:secret@host", "redis://:***@host"},
        {"redis://host:6379/0", "redis://host:6379/0"},
        {"redis://user@host", "redis://user@host"},
        {"unix:///run/redis.sock", "unix:///run/redis.sock"},
        {"redis://host/a:b@c", "redis://host/a:b@c"},   /* @ after the path */
        /* a password holding '@' is masked whole (the last '@' ends it) */
        {"redis://:p@ss@host:6379/0", "redis://:***@host:6379/0"},
        {"redis://u:p@ss@[::1]:6379/1", "redis://u:***@[::1]:6379/1"},
        {"redis+cluster://u:s@c@h1:7000,h2:7001", "redis+cluster://u:***@h1:7000,h2:7001"},
        {"unix://u:s@c@/run/redis.sock?db=2", "unix://u:***@/run/redis.sock?db=2"},
        {"plain", "plain"},
    };
    for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *m = sf_conffile_mask_url(cases[i][0]);
        g_assert_cmpstr(m, ==, cases[i][1]);
    }
}

static void no_sink(const sf_flow_t *f, void *ctx)
{
}

/* NetFlow v5 header (version 5, count 1, the rest zero) and one zero record. */
static void feed_v5(sf_decoder_t *d, const sf_addr_t *from)
{
    uint8_t pkt[24 + 48] = {0, 5, 0, 1};
    sf_decoder_packet(d, from, pkt, sizeof pkt, 1000);
}

static void test_metrics_sum(void)
{
    sf_decoder_config_t cfg = SF_DECODER_CONFIG_DEFAULT;
    sf_decoder_t *a = sf_decoder_new(&cfg, no_sink, NULL);
    sf_decoder_t *b = sf_decoder_new(&cfg, no_sink, NULL);
    sf_metrics_t *m = sf_metrics_new(2, NULL);
    sf_addr_t from;

    g_assert_true(sf_addr_parse("192.0.2.1", &from));
    feed_v5(a, &from);
    feed_v5(b, &from);
    feed_v5(b, &from);
    sf_metrics_publish(m, 0, a, 1000, TRUE);
    sf_metrics_publish(m, 1, b, 1000, TRUE);
    feed_v5(b, &from);                  /* not published: 100 ms not over */
    sf_metrics_publish(m, 1, b, 1050, FALSE);
    g_autofree char *text = sf_metrics_render(m);
    g_assert_nonnull(strstr(text, "\nscanflow_packets_total{version=\"v5\"} 3\n"));
    g_assert_nonnull(strstr(text, "\nscanflow_exporter_packets_total{exporter=\"192.0.2.1\",version=\"v5\"} 3\n"));
    g_assert_nonnull(strstr(text, "\nscanflow_exporters 2\n"));
    sf_metrics_free(m);
    sf_decoder_free(a);
    sf_decoder_free(b);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/logging/ratelimit", test_ratelimit);
    g_test_add_func("/logging/level", test_level);
    g_test_add_func("/conffile/mask-url", test_mask);
    g_test_add_func("/metrics/decoders-sum", test_metrics_sum);
    return g_test_run();
}
