/*
 * libcost.c - what two hand-written encoders save over the library call
 * that would replace them (correlate/README-design.md, "Hand-written
 * code and libraries").  Not a test: it prints nanoseconds per item.
 *
 *   make tests/bench/libcost && tests/bench/libcost [N]
 *
 * RESP: the commands a flush writes most (PFADD KEY ELEMENT, KEY of the
 * form sf:{S}:p:BUCKET), written by sf_pipe (RESP by hand, handed over
 * with redisAppendFormattedCommand) and by hiredis's redisAppendCommandArgv
 * with printf-built arguments.  The context is never connected: both only
 * append to its output buffer, emptied every 4,096 commands.
 *
 * JSON: one flow record of `scanflow decode --format json`, written by
 * sf_flow_print_json (fprintf) and by json-glib (JsonBuilder and
 * JsonGenerator, the same keys and values), both to /dev/null.
 */
#include "pipe.h"
#include "flowfmt.h"

#include <hiredis/hiredis.h>
#include <hiredis/sds.h>
#include <json-glib/json-glib.h>
#include <stdio.h>
#include <string.h>

static void drain(redisContext *rc, guint64 i)
{
    if ((i & 4095) == 4095) {
        sdsfree(rc->obuf);
        rc->obuf = sdsempty();
    }
}

static double bench_pipe(redisContext *rc, guint64 n)
{
    sf_pipe_t *p = sf_pipe_new();
    gint64 t0 = g_get_monotonic_time();

    sf_pipe_begin(p, rc);
    for (guint64 i = 0; i < n; i++) {
        sf_pipe_cmd(p, "PFADD");
        sf_pipe_prefix_int(p, "sf:{203.0.113.7}:p:", 29000000 + (gint64)(i & 63));
        sf_pipe_int(p, (gint64)(i % 65536));
        sf_pipe_end(p);
        drain(rc, i);
    }
    sf_pipe_free(p);
    return (double)(g_get_monotonic_time() - t0) * 1000.0 / (double)n;
}

static double bench_argv(redisContext *rc, guint64 n)
{
    gint64 t0 = g_get_monotonic_time();
    char key[64], elem[24];
    const char *argv[3] = {"PFADD", key, elem};
    size_t lens[3] = {5, 0, 0};

    for (guint64 i = 0; i < n; i++) {
        lens[1] = (size_t)g_snprintf(key, sizeof key, "sf:{203.0.113.7}:p:%d",
                                     29000000 + (int)(i & 63));
        lens[2] = (size_t)g_snprintf(elem, sizeof elem, "%d", (int)(i % 65536));
        redisAppendCommandArgv(rc, 3, argv, lens);
        drain(rc, i);
    }
    return (double)(g_get_monotonic_time() - t0) * 1000.0 / (double)n;
}

static void example_flow(sf_flow_t *f, guint64 i)
{
    const uint8_t ex[4] = {192, 0, 2, 1}, src[4] = {203, 0, 113, 7};
    const uint8_t dst[4] = {198, 18, 1, (uint8_t)i};

    memset(f, 0, sizeof *f);
    sf_addr_set_v4(&f->exporter, ex);
    sf_addr_set_v4(&f->src, src);
    sf_addr_set_v4(&f->dst, dst);
    f->version = 10;
    f->src_port = 40000;
    f->dst_port = (uint16_t)i;
    f->proto = 6;
    f->tcp_flags = 2;
    f->packets = 1;
    f->bytes = 44;
    f->start_ms = 1764900000000 + (int64_t)i;
    f->end_ms = f->start_ms;
    f->fields = SF_HAS_ADDRS | SF_HAS_PORTS | SF_HAS_PROTO | SF_HAS_TCP_FLAGS
                | SF_HAS_PACKETS | SF_HAS_BYTES | SF_HAS_TIMES;
}

static void glib_json(const sf_flow_t *f, FILE *out)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonGenerator) gen = json_generator_new();
    g_autoptr(JsonNode) root = NULL;
    char a[3][SF_ADDR_STRLEN];
    gsize len;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "exporter");
    json_builder_add_string_value(b, sf_addr_to_string(&f->exporter, a[0]));
    json_builder_set_member_name(b, "version");
    json_builder_add_int_value(b, f->version);
    json_builder_set_member_name(b, "obs_domain");
    json_builder_add_int_value(b, f->obs_domain);
    json_builder_set_member_name(b, "src_addr");
    json_builder_add_string_value(b, sf_addr_to_string(&f->src, a[1]));
    json_builder_set_member_name(b, "dst_addr");
    json_builder_add_string_value(b, sf_addr_to_string(&f->dst, a[2]));
    json_builder_set_member_name(b, "src_port");
    json_builder_add_int_value(b, f->src_port);
    json_builder_set_member_name(b, "dst_port");
    json_builder_add_int_value(b, f->dst_port);
    json_builder_set_member_name(b, "proto");
    json_builder_add_int_value(b, f->proto);
    json_builder_set_member_name(b, "tcp_flags");
    json_builder_add_int_value(b, f->tcp_flags);
    json_builder_set_member_name(b, "packets");
    json_builder_add_int_value(b, (gint64)f->packets);
    json_builder_set_member_name(b, "bytes");
    json_builder_add_int_value(b, (gint64)f->bytes);
    json_builder_set_member_name(b, "start_ms");
    json_builder_add_int_value(b, f->start_ms);
    json_builder_set_member_name(b, "end_ms");
    json_builder_add_int_value(b, f->end_ms);
    json_builder_end_object(b);
    root = json_builder_get_root(b);
    json_generator_set_root(gen, root);
    g_autofree char *text = json_generator_to_data(gen, &len);
    fwrite(text, 1, len, out);
    fputc('\n', out);
}

static double bench_json(void (*print)(const sf_flow_t *, FILE *), FILE *out,
                         guint64 n)
{
    sf_flow_t f;
    gint64 t0 = g_get_monotonic_time();

    for (guint64 i = 0; i < n; i++) {
        example_flow(&f, i);
        print(&f, out);
    }
    fflush(out);
    return (double)(g_get_monotonic_time() - t0) * 1000.0 / (double)n;
}

/* Whether both JSON writers give the same bytes for one record. */
static gboolean same_json(void)
{
    g_autofree char *x = NULL, *y = NULL;
    size_t xl = 0, yl = 0;
    FILE *a = open_memstream(&x, &xl), *b = open_memstream(&y, &yl);
    sf_flow_t f;

    example_flow(&f, 7);
    sf_flow_print_json(&f, a);
    glib_json(&f, b);
    fclose(a);
    fclose(b);
    if (xl != yl || memcmp(x, y, xl) != 0) {
        printf("json differs:\n  %s  %s", x, y);
        return FALSE;
    }
    return TRUE;
}

int main(int argc, char **argv)
{
    guint64 n = argc > 1 ? g_ascii_strtoull(argv[1], NULL, 10) : 2000000;
    redisContext *rc = redisConnectUnixNonBlock("/nonexistent/libcost.sock");
    FILE *null = fopen("/dev/null", "w");

    if (rc == NULL || null == NULL || n == 0)
        return 1;
    for (int round = 0; round < 3; round++) {
        printf("RESP PFADD: sf_pipe %.0f ns, redisAppendCommandArgv+printf %.0f ns"
               " per command\n", bench_pipe(rc, n), bench_argv(rc, n));
        printf("flow JSON: fprintf %.0f ns, json-glib %.0f ns per record\n",
               bench_json(sf_flow_print_json, null, n / 4),
               bench_json(glib_json, null, n / 4));
    }
    printf("flow JSON byte-identical: %s\n", same_json() ? "yes" : "no");
    redisFree(rc);
    fclose(null);
    return 0;
}
