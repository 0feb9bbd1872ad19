/*
 * cidr.c - address prefixes (see cidr.h).  Parsing is done once at start;
 * matching runs per flow (--home-net on the correlator's feed, --exporter
 * on every packet): two masked 64-bit word compares, no allocation.
 */
#include "cidr.h"

#include <stdlib.h>
#include <string.h>

/* Host bits set beyond the prefix: cleared when clear_host, else an error. */
static gboolean parse(const char *text, gboolean clear_host, sf_cidr_t *out,
                      GError **err)
{
    g_autofree char *addr = g_strdup(text);
    char *slash = strchr(addr, '/');
    guint64 len = 0;
    gboolean v4;

    if (slash)
        *slash = '\0';
    if (!sf_addr_parse(addr, &out->net))
        goto bad;
    v4 = sf_addr_is_v4(&out->net) && strchr(addr, ':') == NULL;
    if (slash) {
        if (!g_ascii_string_to_unsigned(slash + 1, 10, 0, v4 ? 32 : 128,
                                        &len, NULL))
            goto bad;
    } else {
        len = v4 ? 32 : 128;
    }
    out->plen = (guint)len + (v4 ? 96 : 0);
    for (guint bit = out->plen; bit < 128; bit++) {
        guint8 *byte = &out->net.b[bit / 8], mask = (guint8)(0x80u >> (bit % 8));
        if ((*byte & mask) && !clear_host)
            goto bad;
        *byte &= (guint8)~mask;
    }
    return TRUE;
bad:
    g_set_error(err, SF_CIDR_ERROR, 0,
                "'%s' is not an address prefix (a.b.c.d/n or x:y::/n, "
                "host bits zero)", text);
    return FALSE;
}

gboolean sf_cidr_parse(const char *text, sf_cidr_t *out, GError **err)
{
    return parse(text, FALSE, out, err);
}

gboolean sf_cidr_parse_network(const char *text, sf_cidr_t *out, GError **err)
{
    return parse(text, TRUE, out, err);
}

static guint64 be64(const guint8 *p)
{
    guint64 v;
    memcpy(&v, p, 8);
    return GUINT64_FROM_BE(v);
}

/* The top bits of a 64-bit word (0 to 64 of them). */
static guint64 top_bits(guint bits)
{
    return bits == 0 ? 0 : G_MAXUINT64 << (64 - MIN(bits, 64u));
}

/* Two masked 64-bit compares: this runs twice per evidence flow (the
 * --home-net test), where a memcmp of plen / 8 bytes cost four times as
 * many instructions. */
gboolean sf_cidr_contains(const sf_cidr_t *c, const sf_addr_t *a)
{
    guint64 m0 = top_bits(c->plen), m1 = top_bits(c->plen > 64 ? c->plen - 64 : 0);

    return ((be64(a->b) ^ be64(c->net.b)) & m0) == 0
           && ((be64(a->b + 8) ^ be64(c->net.b + 8)) & m1) == 0;
}

gboolean sf_cidr_list_contains(const GArray *list, const sf_addr_t *a)
{
    for (guint i = 0; list && i < list->len; i++)
        if (sf_cidr_contains(&g_array_index(list, sf_cidr_t, i), a))
            return TRUE;
    return FALSE;
}
