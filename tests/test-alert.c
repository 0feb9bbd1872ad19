/*
 * test-alert.c - unit tests of correlate/alert.c: the alert's JSON form
 * (schemas/alert.schema.json), its severity and technique, and the facts'
 * ownership of their strings.  Each alert is also checked against the
 * schema with python3-jsonschema, an independent validator.
 */
#include "alert.h"

#include <json-glib/json-glib.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <glib/gstdio.h>

/* 2023-11-14T22:13:20.123Z */
#define T_MS G_GINT64_CONSTANT(1700000000123)

static void facts_init(sf_alert_facts_t *f, sf_alert_kind_t kind,
                       const char *src)
{
    memset(f, 0, sizeof *f);
    f->kind = kind;
    g_assert_true(sf_addr_parse(src, &f->src));
    f->window_s = 300;
    f->threshold = kind == SF_ALERT_PORT_SCAN ? 64 : 32;
}

static JsonObject *parse(const char *json, JsonParser **keep)
{
    g_autoptr(GError) err = NULL;
    JsonParser *p = json_parser_new();

    g_assert_true(json_parser_load_from_data(p, json, -1, &err));
    g_assert_no_error(err);
    g_assert_true(JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)));
    *keep = p;
    return json_node_get_object(json_parser_get_root(p));
}

/* Validates json against the schema (python3-jsonschema); skipped only
 * where the source tree is unknown (the program run by hand). */
static void validate(const char *json)
{
    const char *top = g_getenv("top_srcdir");
    g_autofree char *schema = NULL, *path = NULL, *errout = NULL;
    g_autoptr(GError) err = NULL;
    int fd, status = 0;
    const char *script =
        "import json, sys, jsonschema\n"
        "v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])),"
        " format_checker=jsonschema.FormatChecker())\n"
        "v.validate(json.load(open(sys.argv[2])))\n";

    if (top == NULL) {
        g_test_message("top_srcdir unset: schema not checked");
        return;
    }
    schema = g_build_filename(top, "schemas", "alert.schema.json", NULL);
    fd = g_file_open_tmp("sf-alert-XXXXXX", &path, &err);
    g_assert_no_error(err);
    close(fd);
    g_file_set_contents(path, json, -1, &err);
    g_assert_no_error(err);
    const char *argv[] = {"python3", "-c", script, schema, path, NULL};
    g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                 NULL, &errout, &status, &err);
    g_assert_no_error(err);
    g_unlink(path);
    if (!g_spawn_check_wait_status(status, NULL))
        g_error("schema validation failed: %s\n%s", errout, json);
}

static void test_kind_names(void)
{
    g_assert_cmpstr(sf_alert_kind_name(SF_ALERT_PORT_SCAN), ==, "port_scan");
    g_assert_cmpstr(sf_alert_kind_name(SF_ALERT_HOST_SWEEP), ==,
                    "host_sweep");
}

/* Every member of a port scan with samples, exporters and tags. */
static void test_port_scan_json(void)
{
    sf_alert_facts_t f;
    const char *tags[] = {"dmz", "lab", NULL};
    g_autofree char *json = NULL;
    g_autoptr(JsonParser) p = NULL;
    JsonObject *o;
    JsonArray *a;

    facts_init(&f, SF_ALERT_PORT_SCAN, "203.0.113.9");
    f.distinct_ports = 1000;
    f.distinct_hosts = 1;
    f.distinct_nets24 = 1;
    g_strlcpy(f.top_net24, "192.0.2.0/24", sizeof f.top_net24);
    f.hosts_in_top_net24 = 1;
    f.flows = 1003;
    f.first_seen_ms = T_MS - 60000;
    f.last_seen_ms = T_MS - 1;
    f.sample_ports[f.n_sample_ports++] = 22;
    f.sample_ports[f.n_sample_ports++] = 443;
    f.sample_hosts[f.n_sample_hosts++] = g_strdup("192.0.2.7");
    f.exporters[f.n_exporters++] = g_strdup("192.0.2.254");
    json = sf_alert_to_json(&f, "edge-1", tags, T_MS);
    o = parse(json, &p);
    g_assert_cmpuint(json_object_get_size(o), ==, 21);
    g_assert_cmpstr(json_object_get_string_member(o, "schema"), ==,
                    "scanflow.alert/1");
    g_assert_true(g_uuid_string_is_valid(
        json_object_get_string_member(o, "id")));
    g_assert_cmpstr(json_object_get_string_member(o, "time"), ==,
                    "2023-11-14T22:13:20.123Z");
    g_assert_cmpstr(json_object_get_string_member(o, "kind"), ==,
                    "port_scan");
    g_assert_cmpstr(json_object_get_string_member(o, "src"), ==,
                    "203.0.113.9");
    g_assert_cmpstr(json_object_get_string_member(o, "technique"), ==,
                    "T1595");
    g_assert_cmpstr(json_object_get_string_member(o, "severity"), ==,
                    "medium");      /* 1000 ports: 15.6 x 64 */
    g_assert_cmpint(json_object_get_int_member(o, "window_s"), ==, 300);
    g_assert_cmpint(json_object_get_int_member(o, "distinct_ports"), ==,
                    1000);
    g_assert_cmpint(json_object_get_int_member(o, "distinct_hosts"), ==, 1);
    g_assert_cmpint(json_object_get_int_member(o, "distinct_nets24"), ==, 1);
    g_assert_cmpstr(json_object_get_string_member(o, "top_net24"), ==,
                    "192.0.2.0/24");
    g_assert_cmpint(json_object_get_int_member(o, "hosts_in_top_net24"), ==,
                    1);
    g_assert_cmpint(json_object_get_int_member(o, "flows"), ==, 1003);
    g_assert_cmpstr(json_object_get_string_member(o, "first_seen"), ==,
                    "2023-11-14T22:12:20.123Z");
    g_assert_cmpstr(json_object_get_string_member(o, "last_seen"), ==,
                    "2023-11-14T22:13:20.122Z");
    a = json_object_get_array_member(o, "sample_ports");
    g_assert_cmpuint(json_array_get_length(a), ==, 2);
    g_assert_cmpint(json_array_get_int_element(a, 0), ==, 22);
    g_assert_cmpint(json_array_get_int_element(a, 1), ==, 443);
    a = json_object_get_array_member(o, "sample_hosts");
    g_assert_cmpuint(json_array_get_length(a), ==, 1);
    g_assert_cmpstr(json_array_get_string_element(a, 0), ==, "192.0.2.7");
    a = json_object_get_array_member(o, "exporters");
    g_assert_cmpuint(json_array_get_length(a), ==, 1);
    g_assert_cmpstr(json_array_get_string_element(a, 0), ==, "192.0.2.254");
    g_assert_cmpstr(json_object_get_string_member(o, "collector"), ==,
                    "edge-1");
    a = json_object_get_array_member(o, "tags");
    g_assert_cmpuint(json_array_get_length(a), ==, 2);
    g_assert_cmpstr(json_array_get_string_element(a, 0), ==, "dmz");
    g_assert_cmpstr(json_array_get_string_element(a, 1), ==, "lab");
    validate(json);
    sf_alert_facts_clear(&f);
}

/* A sweep from IPv6 without a top net, samples or tags: null and empty
 * arrays, the sweep's technique; times before 1970 are clamped to 0. */
static void test_sweep_v6_json(void)
{
    sf_alert_facts_t f;
    g_autofree char *json = NULL;
    g_autoptr(JsonParser) p = NULL;
    JsonObject *o;

    facts_init(&f, SF_ALERT_HOST_SWEEP, "2001:db8::1");
    f.hosts_in_top_net24 = 40;
    f.first_seen_ms = -5;
    json = sf_alert_to_json(&f, "c", NULL, T_MS);
    o = parse(json, &p);
    g_assert_cmpstr(json_object_get_string_member(o, "kind"), ==,
                    "host_sweep");
    g_assert_cmpstr(json_object_get_string_member(o, "src"), ==,
                    "2001:db8::1");
    g_assert_cmpstr(json_object_get_string_member(o, "technique"), ==,
                    "T1595.001");
    g_assert_true(json_object_get_null_member(o, "top_net24"));
    g_assert_cmpstr(json_object_get_string_member(o, "first_seen"), ==,
                    "1970-01-01T00:00:00.000Z");
    g_assert_cmpuint(json_array_get_length(
        json_object_get_array_member(o, "sample_ports")), ==, 0);
    g_assert_cmpuint(json_array_get_length(
        json_object_get_array_member(o, "sample_hosts")), ==, 0);
    g_assert_cmpuint(json_array_get_length(
        json_object_get_array_member(o, "tags")), ==, 0);
    validate(json);
}

static const char *severity_of(sf_alert_kind_t kind, gint64 value)
{
    static char text[16];
    sf_alert_facts_t f;
    g_autofree char *json = NULL;
    g_autoptr(JsonParser) p = NULL;

    facts_init(&f, kind, "198.51.100.1");
    if (kind == SF_ALERT_PORT_SCAN)
        f.distinct_ports = value;
    else
        f.hosts_in_top_net24 = value;
    f.distinct_hosts = 1000;        /* not what a sweep is judged by */
    json = sf_alert_to_json(&f, "c", NULL, T_MS);
    g_strlcpy(text, json_object_get_string_member(parse(json, &p),
                                                  "severity"), sizeof text);
    return text;
}

/* Below 4x the threshold low, below 16x medium, then high; a port scan
 * is judged by its ports, a sweep by the hosts of its top net. */
static void test_severity(void)
{
    g_assert_cmpstr(severity_of(SF_ALERT_PORT_SCAN, 64), ==, "low");
    g_assert_cmpstr(severity_of(SF_ALERT_PORT_SCAN, 255), ==, "low");
    g_assert_cmpstr(severity_of(SF_ALERT_PORT_SCAN, 256), ==, "medium");
    g_assert_cmpstr(severity_of(SF_ALERT_PORT_SCAN, 1023), ==, "medium");
    g_assert_cmpstr(severity_of(SF_ALERT_PORT_SCAN, 1024), ==, "high");
    g_assert_cmpstr(severity_of(SF_ALERT_HOST_SWEEP, 127), ==, "low");
    g_assert_cmpstr(severity_of(SF_ALERT_HOST_SWEEP, 128), ==, "medium");
    g_assert_cmpstr(severity_of(SF_ALERT_HOST_SWEEP, 512), ==, "high");
}

/* Each alert gets an id of its own. */
static void test_ids_differ(void)
{
    sf_alert_facts_t f;
    g_autofree char *a = NULL, *b = NULL;
    g_autoptr(JsonParser) pa = NULL, pb = NULL;

    facts_init(&f, SF_ALERT_PORT_SCAN, "198.51.100.1");
    a = sf_alert_to_json(&f, "c", NULL, T_MS);
    b = sf_alert_to_json(&f, "c", NULL, T_MS);
    g_assert_cmpstr(json_object_get_string_member(parse(a, &pa), "id"), !=,
                    json_object_get_string_member(parse(b, &pb), "id"));
}

/* Texts that need escaping come out as valid JSON with the same text. */
static void test_escaping(void)
{
    sf_alert_facts_t f;
    const char *tags[] = {"a \"quoted\"\\tag\n", NULL};
    g_autofree char *json = NULL;
    g_autoptr(JsonParser) p = NULL;
    JsonObject *o;

    facts_init(&f, SF_ALERT_PORT_SCAN, "198.51.100.1");
    json = sf_alert_to_json(&f, "edge \"1\"", tags, T_MS);
    o = parse(json, &p);
    g_assert_cmpstr(json_object_get_string_member(o, "collector"), ==,
                    "edge \"1\"");
    g_assert_cmpstr(json_array_get_string_element(
        json_object_get_array_member(o, "tags"), 0), ==, tags[0]);
}

/* clear frees what the facts own and zeroes them (ASan/LSan watch the
 * frees), and may be called again. */
static void test_facts_clear(void)
{
    sf_alert_facts_t f;

    facts_init(&f, SF_ALERT_PORT_SCAN, "198.51.100.1");
    for (guint i = 0; i < SF_ALERT_MAX_SAMPLES; i++)
        f.sample_hosts[f.n_sample_hosts++] = g_strdup_printf("h%u", i);
    f.exporters[f.n_exporters++] = g_strdup("192.0.2.254");
    f.distinct_ports = 7;
    sf_alert_facts_clear(&f);
    g_assert_cmpuint(f.n_sample_hosts, ==, 0);
    g_assert_cmpuint(f.n_exporters, ==, 0);
    g_assert_null(f.sample_hosts[0]);
    g_assert_cmpint(f.distinct_ports, ==, 0);
    sf_alert_facts_clear(&f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/alert/kind-names", test_kind_names);
    g_test_add_func("/alert/port-scan-json", test_port_scan_json);
    g_test_add_func("/alert/sweep-v6-json", test_sweep_v6_json);
    g_test_add_func("/alert/severity", test_severity);
    g_test_add_func("/alert/ids-differ", test_ids_differ);
    g_test_add_func("/alert/escaping", test_escaping);
    g_test_add_func("/alert/facts-clear", test_facts_clear);
    return g_test_run();
}
