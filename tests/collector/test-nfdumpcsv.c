/*
 * test-nfdumpcsv.c - nfdump's CSV read back as flows (collector/
 * nfdumpcsv.c): lines as nfdump 1.7.1 `-o csv` prints them (TCP, UDP,
 * ICMP, IPv6, its epoch "no time"), columns found by name in any order,
 * the summary ending the input, and lines that must be skipped and
 * counted: no header yet, too few columns, bad addresses, numbers out of
 * range, flags of the wrong length.
 */
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include "nfdumpcsv.h"

/* nfdump 1.7.1 `nfdump -r FILE -o csv`, header and one record (of
 * nfcapd's store of fixtures/campaigns/exports/softflowd-v9.pcap). */
#define HEADER "ts,te,td,sa,da,sp,dp,pr,flg,fwd,stos,ipkt,ibyt,opkt,obyt,in,out," \
    "sas,das,smk,dmk,dtos,dir,nh,nhb,svln,dvln,ismc,odmc,idmc,osmc,mpls1," \
    "mpls2,mpls3,mpls4,mpls5,mpls6,mpls7,mpls8,mpls9,mpls10,cl,sl,al,ra," \
    "eng,exid,tr"
#define TAIL ",0,0,0,0,0,0,0,0,0,0,0.0.0.0,0.0.0.0,0,0,00:00:00:00:00:00," \
    "00:00:00:00:00:00,00:00:00:00:00:00,00:00:00:00:00:00,0-0-0,0-0-0," \
    "0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,0-0-0,    0.000,    0.000," \
    "    0.000,127.0.0.1,0/0,1,2026-12-05 10:21:20.394"

static gboolean parse(sf_nfdump_csv_t *p, const char *text, sf_flow_t *f)
{
    g_autofree char *line = g_strdup(text);
    gboolean done;

    return sf_nfdump_csv_line(p, line, f, &done);
}

static void test_records(void)
{
    sf_nfdump_csv_t *p = sf_nfdump_csv_new();
    char text[64];
    sf_flow_t f;

    g_setenv("TZ", "UTC", TRUE);
    g_assert_false(parse(p, HEADER, &f));
    g_assert_true(parse(p, "2026-12-05 07:15:49,2026-12-05 07:15:49,0.000,"
                        "100.66.5.16,198.18.20.10,39386,21,TCP,......S.,0,0,1,44"
                        TAIL, &f));
    g_assert_cmpstr(sf_addr_to_string(&f.src, text), ==, "100.66.5.16");
    g_assert_cmpstr(sf_addr_to_string(&f.exporter, text), ==, "127.0.0.1");
    g_assert_cmpuint(f.proto, ==, 6);
    g_assert_cmpuint(f.tcp_flags, ==, 0x02);
    g_assert_cmpuint(f.dst_port, ==, 21);
    g_assert_cmpuint(f.src_port, ==, 39386);
    g_assert_cmpuint(f.packets, ==, 1);
    g_assert_cmpuint(f.bytes, ==, 44);
    g_assert_cmpint(f.end_ms, ==, G_GINT64_CONSTANT(1796454949000));
    g_assert_true(f.fields & SF_HAS_TIMES);
    g_assert_true(f.fields & SF_HAS_TCP_FLAGS);
    /* ACK+RST, epoch times: no time */
    g_assert_true(parse(p, "1970-01-01 00:00:00,1970-01-01 00:00:00,0.000,"
                        "198.18.20.10,100.66.5.16,21,39386,TCP,...A.R..,0,0,1,40"
                        TAIL, &f));
    g_assert_cmpuint(f.tcp_flags, ==, 0x14);
    g_assert_false(f.fields & SF_HAS_TIMES);
    /* ICMP echo request: type.code in dp */
    g_assert_true(parse(p, "2026-12-05 07:15:49,2026-12-05 07:15:49,0.000,"
                        "203.0.113.103,198.18.3.7,0,8.0,ICMP,........,0,0,1,28"
                        TAIL, &f));
    g_assert_true(f.fields & SF_HAS_ICMP);
    g_assert_cmpuint(f.icmp_type_code, ==, 0x0800);
    g_assert_false(f.fields & SF_HAS_PORTS);
    /* IPv6, UDP */
    g_assert_true(parse(p, "2026-12-05 07:15:49,2026-12-05 07:15:49,0.000,"
                        "2001:db8:f::108,2001:db8:a::108,53000,161,UDP,........,0,0,1,60"
                        TAIL, &f));
    g_assert_false(f.is_v4);
    g_assert_cmpuint(f.proto, ==, 17);
    g_assert_true(f.fields & SF_HAS_PORTS);
    g_assert_cmpuint(sf_nfdump_csv_stats(p)->flows, ==, 4);
    sf_nfdump_csv_free(p);
}

/* Columns in another order; hostile lines skipped and counted. */
static void test_hostile(void)
{
    sf_nfdump_csv_t *p = sf_nfdump_csv_new();
    static const char *const bad[] = {
        "2026-12-05 07:15:49,2026-12-05 07:15:49,TCP,1,44",            /* short */
        "2026-12-05 07:15:49,2026-12-05 07:15:49,x,y,100.66.5.16,198.18.20.10,1,21,TCP,......S.",
        "2026-12-05 07:15:49,2026-12-05 07:15:49,1,44,100.66.5.300,198.18.20.10,1,21,TCP,......S.",
        "2026-12-05 07:15:49,2026-12-05 07:15:49,1,44,100.66.5.1,198.18.20.10,1,70000,TCP,......S.",
        "2026-12-05 07:15:49,2026-12-05 07:15:49,1,44,100.66.5.1,198.18.20.10,1,21,TCP,..S.",
        "2026-13-45 07:15:49,2026-12-05 07:15:49,1,44,100.66.5.1,198.18.20.10,1,21,TCP,......S.",
        "2026-12-05 07:15:49,2026-12-05 07:15:49,-1,44,100.66.5.1,198.18.20.10,1,21,TCP,......S.",
        ",,,,,,,,,,,,,,,,,",
    };
    sf_flow_t f;
    gboolean done;
    char summary[] = "Summary";

    g_assert_false(parse(p, "2026-12-05 07:15:49,x", &f));     /* no header */
    g_assert_cmpuint(sf_nfdump_csv_stats(p)->no_header, ==, 1);
    g_assert_false(parse(p, "ts,te,ipkt,ibyt,sa,da,sp,dp,pr,flg", &f));
    g_assert_true(parse(p, "2026-12-05 07:15:49,2026-12-05 07:15:49,1,44,"
                        "100.66.5.1,198.18.20.10,1,21,TCP,......S.", &f));
    g_assert_cmpuint(f.dst_port, ==, 21);
    for (guint i = 0; i < G_N_ELEMENTS(bad); i++)
        g_assert_false(parse(p, bad[i], &f));
    g_assert_cmpuint(sf_nfdump_csv_stats(p)->bad_lines, ==, G_N_ELEMENTS(bad));
    g_assert_false(sf_nfdump_csv_line(p, summary, &f, &done));
    g_assert_true(done);
    /* a header without a required column: no map, lines counted */
    g_assert_false(parse(p, "ts,te,sa,da", &f));
    g_assert_false(parse(p, "2026-12-05 07:15:49,2026-12-05 07:15:49,a,b", &f));
    g_assert_cmpuint(sf_nfdump_csv_stats(p)->no_header, ==, 2);
    sf_nfdump_csv_free(p);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/nfdumpcsv/records", test_records);
    g_test_add_func("/nfdumpcsv/hostile", test_hostile);
    return g_test_run();
}
