/*
 * cidr.c - address prefixes (see cidr.h).  Parsing is done once at start;
 * matching runs per flow (--home-net on the correlator's feed, --exporter
 * on every packet): two masked 64-bit word compares (sf_cidr_words_t),
 * no allocation.
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

/* The top bits of a 64-bit word (0 to 64 of them). */
static guint64 top_bits(guint bits)
{
    return bits == 0 ? 0 : G_MAXUINT64 << (64 - MIN(bits, 64u));
}

void sf_cidr_to_words(const sf_cidr_t *c, sf_cidr_words_t *out)
{
    guint64 m[2] = {
        GUINT64_TO_BE(top_bits(c->plen)),
        GUINT64_TO_BE(top_bits(c->plen > 64 ? c->plen - 64 : 0)),
    };

    memcpy(out->net, c->net.b, 16);
    out->mask[0] = m[0];
    out->mask[1] = m[1];
    out->net[0] &= m[0];
    out->net[1] &= m[1];
}

gboolean sf_cidr_contains(const sf_cidr_t *c, const sf_addr_t *a)
{
    sf_cidr_words_t w;

    sf_cidr_to_words(c, &w);
    return sf_cidr_words_contains(&w, a);
}

gboolean sf_cidr_list_contains(const GArray *list, const sf_addr_t *a)
{
    for (guint i = 0; list && i < list->len; i++)
        if (sf_cidr_contains(&g_array_index(list, sf_cidr_t, i), a))
            return TRUE;
    return FALSE;
}
