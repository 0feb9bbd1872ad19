/*
 * source.c - export messages from capture files and raw payload files.
 *
 * Captures are read with libpcap (pcap and pcapng alike); the link layer
 * and IP headers are walked here with the same checked reads as the wire
 * decoders, since a capture file is as untrusted as a packet.
 */
#include "source.h"

#include "cursor.h"
#include "decoder.h"

#include <errno.h>
#include <pcap/pcap.h>
#include <string.h>

#define SF_ERROR g_quark_from_static_string("scanflow-source")

/* Walks IPv4/IPv6 + UDP at l3; true with pkt filled if it is a whole UDP
 * datagram. */
static bool udp_payload(const uint8_t *l3, size_t len, sf_packet_t *pkt)
{
    const uint8_t *udp;
    size_t left;

    if (len < 1)
        return false;
    if ((l3[0] >> 4) == 4) {
        if (len < 20)
            return false;
        size_t ihl = (size_t)(l3[0] & 0x0f) * 4, tot = sf_get16(l3 + 2);
        uint16_t frag = sf_get16(l3 + 6);
        if (ihl < 20 || tot < ihl || tot > len || l3[9] != 17 || (frag & 0x3fff))
            return false;                   /* not UDP, or a fragment */
        sf_addr_set_v4(&pkt->from, l3 + 12);
        udp = l3 + ihl;
        left = tot - ihl;
    } else if ((l3[0] >> 4) == 6) {
        if (len < 40 || l3[6] != 17)        /* UDP right after the header */
            return false;
        size_t pl = sf_get16(l3 + 4);
        if (40 + pl > len)
            return false;
        memcpy(pkt->from.b, l3 + 8, 16);
        udp = l3 + 40;
        left = pl;
    } else {
        return false;
    }
    if (left < 8)
        return false;
    size_t ulen = sf_get16(udp + 4);
    if (ulen < 8 || ulen > left)
        return false;
    pkt->from_port = sf_get16(udp);
    pkt->data = udp + 8;
    pkt->len = ulen - 8;
    return true;
}

/* Finds the IP header under the capture's link layer. */
static const uint8_t *link_to_ip(int dlt, const uint8_t *p, size_t *len)
{
    size_t off;
    uint16_t type;

    switch (dlt) {
    case DLT_EN10MB:
        if (*len < 14)
            return NULL;
        off = 14;
        type = sf_get16(p + 12);
        while ((type == 0x8100 || type == 0x88a8) && *len >= off + 4) {
            type = sf_get16(p + off + 2);
            off += 4;
        }
        if (type != 0x0800 && type != 0x86dd)
            return NULL;
        break;
    case DLT_LINUX_SLL:
        off = 16;
        break;
    case DLT_LINUX_SLL2:
        off = 20;
        break;
    case DLT_NULL:
    case DLT_LOOP:
        off = 4;
        break;
    case DLT_RAW:
    case DLT_IPV4:
    case DLT_IPV6:
        off = 0;
        break;
    default:
        return NULL;
    }
    if (*len <= off)
        return NULL;
    *len -= off;
    return p + off;
}

static gboolean read_pcap(const char *path, sf_packet_fn fn, void *ctx,
                          sf_stats_t *st, GError **err)
{
    char ebuf[PCAP_ERRBUF_SIZE];
    pcap_t *pc = pcap_open_offline(path, ebuf);
    struct pcap_pkthdr *h;
    const u_char *data;
    int rc;

    if (pc == NULL) {
        g_set_error(err, SF_ERROR, 1, "%s: %s", path, ebuf);
        return FALSE;
    }
    int dlt = pcap_datalink(pc);
    while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
        size_t len = h->caplen;
        const uint8_t *ip = link_to_ip(dlt, data, &len);
        sf_packet_t pkt;

        memset(&pkt, 0, sizeof pkt);
        pkt.time_ms = (int64_t)h->ts.tv_sec * 1000 + h->ts.tv_usec / 1000;
        if (ip == NULL || !udp_payload(ip, len, &pkt)) {
            if (st)
                sf_count(st, SF_C_PCAP_SKIPPED, 1);
            continue;
        }
        fn(&pkt, ctx);
    }
    if (rc == -1)
        g_set_error(err, SF_ERROR, 2, "%s: %s", path, pcap_geterr(pc));
    pcap_close(pc);
    return rc != -1;
}

static gboolean read_raw(const char *path, const uint8_t *buf, size_t len,
                         const sf_addr_t *from, sf_packet_fn fn, void *ctx)
{
    sf_packet_t pkt;

    memset(&pkt, 0, sizeof pkt);
    pkt.from = *from;
    pkt.time_ms = g_get_real_time() / 1000;
    while (len > 0) {
        size_t n = sf_message_length(buf, len);
        pkt.data = buf;
        pkt.len = n;
        fn(&pkt, ctx);
        buf += n;
        len -= n;
    }
    return TRUE;
}

static bool is_capture(const uint8_t *p, size_t len)
{
    static const uint8_t magic[][4] = {
        { 0xa1, 0xb2, 0xc3, 0xd4 }, { 0xd4, 0xc3, 0xb2, 0xa1 },
        { 0xa1, 0xb2, 0x3c, 0x4d }, { 0x4d, 0x3c, 0xb2, 0xa1 },
        { 0x0a, 0x0d, 0x0d, 0x0a },
    };
    for (size_t i = 0; len >= 4 && i < G_N_ELEMENTS(magic); i++)
        if (memcmp(p, magic[i], 4) == 0)
            return true;
    return false;
}

gboolean sf_file_foreach(const char *path, const sf_addr_t *raw_from,
                         sf_packet_fn fn, void *ctx, sf_stats_t *st,
                         GError **err)
{
    gchar *buf = NULL;
    gsize len = 0;
    gboolean ok;

    if (!g_file_get_contents(path, &buf, &len, err))
        return FALSE;
    if (is_capture((const uint8_t *)buf, len))
        ok = read_pcap(path, fn, ctx, st, err);
    else
        ok = read_raw(path, (const uint8_t *)buf, len, raw_from, fn, ctx);
    g_free(buf);
    return ok;
}
