/*
 * nfdumpcsv.c - nfdump's CSV output read back as flows (nfdumpcsv.h).
 *
 * A line is split at its commas in place; every field is checked before
 * use, and a line that does not parse is skipped and counted, never
 * guessed at.  TCP flags are nfdump's 8-character text "CEUAPRSF" with
 * '.' for a flag not set; the protocol a name (TCP, UDP, ICMP, ICMP6, ...)
 * or a number; for ICMP nfdump prints type.code in dp.
 */
#include "nfdumpcsv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_COLS 128

enum { C_TS, C_TE, C_SA, C_DA, C_SP, C_DP, C_PR, C_FLG, C_IPKT, C_IBYT,
       C_FWD, C_RA, N_WANTED };
static const char *const wanted[N_WANTED] = {
    "ts", "te", "sa", "da", "sp", "dp", "pr", "flg", "ipkt", "ibyt",
    "fwd", "ra"};
#define N_REQUIRED C_FWD        /* the columns before fwd must be there */

/* The last time text read and its value: nfdump's consecutive records
 * mostly share their second, and mktime() is the costly part of a line. */
typedef struct time_memo {
    char   text[32];
    gint64 ms;
} time_memo_t;

struct sf_nfdump_csv {
    int                   col[N_WANTED];    /* -1: absent */
    time_memo_t           memo;
    gboolean              have_header;
    sf_nfdump_csv_stats_t st;
};

sf_nfdump_csv_t *sf_nfdump_csv_new(void)
{
    return g_new0(sf_nfdump_csv_t, 1);
}

void sf_nfdump_csv_free(sf_nfdump_csv_t *p)
{
    g_free(p);
}

const sf_nfdump_csv_stats_t *sf_nfdump_csv_stats(const sf_nfdump_csv_t *p)
{
    return &p->st;
}

/* Splits line at commas into at most MAX_COLS fields; returns how many. */
static guint split(char *line, char **field)
{
    guint n = 0;

    field[n++] = line;
    for (char *c = line; *c && n < MAX_COLS; c++)
        if (*c == ',') {
            *c = '\0';
            field[n++] = c + 1;
        }
    return n;
}

static gboolean header(sf_nfdump_csv_t *p, char **field, guint n)
{
    for (guint k = 0; k < N_WANTED; k++) {
        p->col[k] = -1;
        for (guint i = 0; i < n; i++)
            if (strcmp(g_strstrip(field[i]), wanted[k]) == 0)
                p->col[k] = (int)i;
        if (k < N_REQUIRED && p->col[k] < 0)
            return FALSE;
    }
    return TRUE;
}

static gboolean parse_u64(const char *s, guint64 max, guint64 *out)
{
    char *end;

    while (*s == ' ')
        s++;
    if (*s < '0' || *s > '9')
        return FALSE;
    errno = 0;
    *out = g_ascii_strtoull(s, &end, 10);
    return errno == 0 && *out <= max && (*end == '\0' || *end == '.');
}

/* "YYYY-MM-DD hh:mm:ss[.mmm]" in local time; 0: the epoch (no time). */
static gboolean parse_time_text(const char *s, gint64 *ms)
{
    struct tm tm = {0};
    int frac = 0;
    char *end;

    end = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
    if (end == NULL)
        return FALSE;
    if (*end == '.' && end[1] >= '0' && end[1] <= '9')
        frac = (int)strtol(end + 1, NULL, 10) % 1000;
    tm.tm_isdst = -1;
    *ms = tm.tm_year == 70 && tm.tm_yday == 0 && tm.tm_mon == 0
              && tm.tm_mday == 1 ? 0 : (gint64)mktime(&tm) * 1000 + frac;
    return TRUE;
}

static gboolean parse_time(time_memo_t *m, const char *s, gint64 *ms)
{
    if (strcmp(s, m->text) == 0) {
        *ms = m->ms;
        return TRUE;
    }
    if (!parse_time_text(s, ms))
        return FALSE;
    if (strlen(s) < sizeof m->text) {
        strcpy(m->text, s);
        m->ms = *ms;
    }
    return TRUE;
}

static guint8 parse_proto(const char *s)
{
    static const struct { const char *name; guint8 n; } names[] = {
        {"TCP", 6}, {"UDP", 17}, {"ICMP", 1}, {"ICMP6", 58}, {"SCTP", 132},
        {"GRE", 47}, {"ESP", 50}, {"AH", 51}, {"IPv6", 41}};
    guint64 v;

    while (*s == ' ')
        s++;
    for (guint i = 0; i < G_N_ELEMENTS(names); i++)
        if (g_ascii_strcasecmp(s, names[i].name) == 0)
            return names[i].n;
    return parse_u64(s, 255, &v) ? (guint8)v : 0;
}

/* "CEUAPRSF", '.' where a flag is not set; a hex "0x.." too. */
static gboolean parse_flags(const char *s, guint16 *flags)
{
    guint64 v;

    while (*s == ' ')
        s++;
    if (g_str_has_prefix(s, "0x")) {
        v = g_ascii_strtoull(s + 2, NULL, 16);
        *flags = (guint16)(v & 0xff);
        return TRUE;
    }
    if (strlen(s) != 8)
        return parse_u64(s, 255, &v) && ((*flags = (guint16)v), TRUE);
    *flags = 0;
    for (guint i = 0; i < 8; i++)
        if (s[i] != '.')
            *flags |= (guint16)(0x80 >> i);
    return TRUE;
}

/* dp: a port, or type.code for ICMP (as v5/v9 exporters: type << 8 | code). */
static gboolean parse_dport(const char *s, sf_flow_t *f)
{
    guint64 a, b = 0;
    const char *dot = strchr(s, '.');

    if (!parse_u64(s, 65535, &a))
        return FALSE;
    if (f->proto != 1 && f->proto != 58) {
        f->dst_port = (guint16)a;
        return TRUE;
    }
    if (dot && !parse_u64(dot + 1, 255, &b))
        return FALSE;
    if (dot && a > 255)
        return FALSE;
    f->icmp_type_code = dot ? (guint16)(a << 8 | b) : (guint16)a;
    f->dst_port = f->icmp_type_code;
    f->fields |= SF_HAS_ICMP;
    return TRUE;
}

static gboolean parse_addrs(char **field, const int *col, sf_flow_t *f)
{
    if (!sf_addr_parse(g_strstrip(field[col[C_SA]]), &f->src)
        || !sf_addr_parse(g_strstrip(field[col[C_DA]]), &f->dst))
        return FALSE;
    f->is_v4 = sf_addr_is_v4(&f->src) && sf_addr_is_v4(&f->dst);
    if (col[C_RA] >= 0
        && !sf_addr_parse(g_strstrip(field[col[C_RA]]), &f->exporter))
        memset(&f->exporter, 0, sizeof f->exporter);
    return TRUE;
}

static gboolean parse_flow(sf_nfdump_csv_t *p, char **field, guint n,
                           sf_flow_t *f)
{
    const int *col = p->col;
    guint64 sp, pkts, bytes, fwd;

    for (guint k = 0; k < N_WANTED; k++)
        if (col[k] >= (int)n)
            return FALSE;
    memset(f, 0, sizeof *f);
    f->proto = parse_proto(field[col[C_PR]]);
    if (!parse_addrs(field, col, f)
        || !parse_time(&p->memo, field[col[C_TS]], &f->start_ms)
        || !parse_time(&p->memo, field[col[C_TE]], &f->end_ms)
        || !parse_u64(field[col[C_SP]], 65535, &sp) || !parse_dport(field[col[C_DP]], f)
        || !parse_flags(field[col[C_FLG]], &f->tcp_flags)
        || !parse_u64(field[col[C_IPKT]], G_MAXUINT64, &pkts)
        || !parse_u64(field[col[C_IBYT]], G_MAXUINT64, &bytes))
        return FALSE;
    f->src_port = (guint16)sp;
    f->packets = pkts;
    f->bytes = bytes;
    f->sampling_interval = 1;
    f->version = 0;
    f->fields |= SF_HAS_ADDRS | SF_HAS_PROTO | SF_HAS_PACKETS | SF_HAS_BYTES;
    if (f->proto == 6 || f->proto == 17 || f->proto == 132)
        f->fields |= SF_HAS_PORTS;
    if (f->proto == 6)
        f->fields |= SF_HAS_TCP_FLAGS;
    if (f->start_ms > 0 || f->end_ms > 0)
        f->fields |= SF_HAS_TIMES;
    if (col[C_FWD] >= 0 && parse_u64(field[col[C_FWD]], 255, &fwd) && fwd) {
        f->fwd_status = (guint8)(fwd >> 6);
        f->fields |= SF_HAS_FWD_STATUS;
    }
    return TRUE;
}

gboolean sf_nfdump_csv_line(sf_nfdump_csv_t *p, char *line, sf_flow_t *f,
                            gboolean *done)
{
    char *field[MAX_COLS];
    guint n;

    p->st.lines++;
    *done = FALSE;
    if (g_str_has_prefix(line, "Summary")) {
        *done = TRUE;
        return FALSE;
    }
    n = split(line, field);
    if (g_str_has_prefix(field[0], "ts") && n > 1) {
        p->have_header = header(p, field, n);
        if (!p->have_header)
            p->st.bad_lines++;
        return FALSE;
    }
    if (!p->have_header) {
        p->st.no_header++;
        return FALSE;
    }
    if (!parse_flow(p, field, n, f)) {
        p->st.bad_lines++;
        return FALSE;
    }
    p->st.flows++;
    return TRUE;
}

gboolean sf_nfdump_csv_read(sf_nfdump_csv_t *p, FILE *in,
                            sf_flow_sink_fn sink, void *ctx, GError **err)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    gboolean done = FALSE;
    sf_flow_t f;

    while (!done && (len = getline(&line, &cap, in)) >= 0) {
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (sf_nfdump_csv_line(p, line, &f, &done))
            sink(&f, ctx);
    }
    free(line);
    sink(NULL, ctx);
    if (ferror(in)) {
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(errno),
                    "reading nfdump CSV: %s", g_strerror(errno));
        return FALSE;
    }
    return TRUE;
}
