/*
 * evidence.c - the evidence filter: probes count, conversations and
 * replies never do.
 *
 * Rules, in order (cumulative TCP flags as exported; F S R P A = FIN SYN
 * RST PSH ACK):
 *
 *  1. The two halves of an RFC 5103 biflow are judged alike, each on its
 *     own flags: the "forward" half is not always the initiator (softflowd
 *     -b orders the pair by address, so a scanner above its target is the
 *     reverse half), and a responder's half (SYN-ACK, RST, service-port
 *     reply) fails the tests below anyway.
 *  2. TCP, SYN without ACK: the initiator never acknowledged anything, so
 *     no connection was established (SYN alone: no answer or filtered;
 *     SYN+RST: nmap/masscan/zmap half-open scans, the kernel or scanner
 *     resets the SYN-ACK).  Every segment of an established connection
 *     carries ACK, so such a flow cannot hide a conversation.  Counted when
 *     the average packet is header-sized (<= 80 bytes IPv4, 100 IPv6: 20/40
 *     bytes IP + 20 TCP + 40 options), which rules out TCP Fast Open data.
 *  3. TCP, S+A+R within 3 header-sized packets: a connect() scan of an open
 *     port (SYN, ACK, RST, no data).  A responder's own flow to such a probe
 *     is S+A without R, and a server's replies to real clients carry data,
 *     so neither matches.
 *  4. TCP with none of S, A, R but some flag (FIN, Xmas, FIN+PSH+URG):
 *     stealth probes.  No stack sends a segment without ACK after the
 *     handshake, so this is never part of a conversation.  A flag field of
 *     zero is treated as unknown (some exporters send 0 when they do not
 *     track flags), so NULL scans are not counted.
 *  5. TCP with ACK and none of SYN, FIN, RST, PSH: counted only as an ACK
 *     probe of a host (nmap -sn -PA, or -PA with a port list, as root:
 *     one bare ACK to a service port, answered by a RST), when it goes
 *     from an ephemeral port (>= 1024) to a service port (< 1024), in at
 *     most 2 header-sized packets, from an unsampled flow export (a packet
 *     sample, sFlow's, or a sampled flow of a conversation can hold one of
 *     its ACKs alone).  Such a probe counts toward host sweeps
 *     only, never toward port scans (sf_evidence_has_port): the ACK scan
 *     of a port list (nmap -sA) maps firewall rules, and a port count fed
 *     by bare ACKs would be the first to take in stray segments.  Every
 *     other ACK-only flow is not counted: exporters that expire a flow on
 *     FIN export the trailing ACK of every closed connection as a
 *     one-packet flow of its own, and when the server closed first (HTTP
 *     servers do) it goes from the service port to the client's ephemeral
 *     port; keepalives of an idle connection come in trains of ACKs.  A
 *     client that closes first does send its trailing ACK to the service
 *     port: that is one host, and a sweep needs --sweep-threshold hosts of
 *     one /24 within the window.  RST without SYN is a reply (closed port)
 *     and never counts.
 *  6. Firewall deny (IE 233 / NSEL event 3) or forwarding status "dropped"
 *     (IE 89 = 2): the packet was refused, so nothing was established.  It
 *     still goes through the reply tests: a denied SYN-ACK or RST is a reply
 *     and a denied datagram from a service port to an ephemeral port is a
 *     reply; without TCP flags (NSEL has none) the port test decides.
 *  7. ICMP echo (8), timestamp (13), information (15) and address mask (17)
 *     requests, ICMPv6 echo request (128): ping sweeps.  Echo replies and
 *     errors (unreachable, time exceeded) are replies.  The type comes from
 *     IE 32/139 or, as NetFlow v5/v9 exporters do, from the destination
 *     port field (type << 8 | code).
 *  8. UDP: a flow of at most 2 datagrams that is not a reply.  A reply is a
 *     datagram from a service port (< 1024) to an ephemeral port (>= 1024):
 *     a DNS or NTP server answering many clients.  A flow of 3 or more
 *     datagrams is a conversation (or an answered probe, counted by its
 *     first flow anyway).  Unknown packet counts do not count.
 *  9. Anything else (GRE, ESP, ...) counts only when denied or dropped.
 */
#include "evidence.h"
#include "sflow.h"

enum {
    TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08,
    TCP_ACK = 0x10, TCP_URG = 0x20,
};

enum { PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMPV6 = 58,
       PROTO_SCTP = 132 };

static gboolean denied(const sf_flow_t *f)
{
    return ((f->fields & SF_HAS_FW_EVENT) && f->fw_event == SF_FW_DENIED)
        || ((f->fields & SF_HAS_FWD_STATUS) && f->fwd_status == 2);
}

/* A service port answering an ephemeral one. */
static gboolean reply_by_ports(const sf_flow_t *f)
{
    return (f->fields & SF_HAS_PORTS) && f->src_port < 1024
        && f->dst_port >= 1024;
}

/* Average packet no bigger than the headers; unknown counts pass. */
static gboolean header_sized(const sf_flow_t *f)
{
    guint64 limit = f->is_v4 ? 80 : 100;

    if (!(f->fields & SF_HAS_PACKETS) || !(f->fields & SF_HAS_BYTES)
        || f->packets == 0)
        return TRUE;
    return f->bytes <= f->packets * limit;
}

/* Rule 5: a bare ACK from an ephemeral port to a service port, at most 2
 * header-sized packets, in a flow export that saw every packet: a packet
 * sample (sFlow) or a sampled flow (interval > 1) of a conversation can
 * hold one of its ACKs alone. */
static gboolean ack_probe(const sf_flow_t *f)
{
    return f->version != SF_VERSION_SFLOW && f->sampling_interval <= 1
        && (f->tcp_flags & (TCP_FIN | TCP_SYN | TCP_RST | TCP_PSH | TCP_ACK))
               == TCP_ACK
        && (f->fields & SF_HAS_PORTS) && f->dst_port < 1024
        && f->src_port >= 1024
        && (f->fields & SF_HAS_PACKETS) && f->packets > 0 && f->packets <= 2
        && header_sized(f);
}

static sf_evidence_t classify_tcp(const sf_flow_t *f, gboolean fw)
{
    guint flags = f->tcp_flags;
    gboolean syn = flags & TCP_SYN, ack = flags & TCP_ACK,
             rst = flags & TCP_RST;

    if (!(f->fields & SF_HAS_TCP_FLAGS) || flags == 0)
        return fw && !reply_by_ports(f) ? SF_EVIDENCE_FW_DENY
                                        : SF_EVIDENCE_NONE;
    if (syn && !ack)
        return !header_sized(f) ? SF_EVIDENCE_NONE
             : fw ? SF_EVIDENCE_FW_DENY : SF_EVIDENCE_TCP_PROBE;
    if (syn && ack && rst && !fw && header_sized(f)
        && (f->fields & SF_HAS_PACKETS) && f->packets > 0 && f->packets <= 3)
        return SF_EVIDENCE_TCP_PROBE;
    if (!syn && !ack && !rst && (flags & (TCP_FIN | TCP_PSH | TCP_URG)))
        return fw ? SF_EVIDENCE_FW_DENY : SF_EVIDENCE_TCP_STEALTH;
    if (ack_probe(f))
        return fw ? SF_EVIDENCE_FW_DENY : SF_EVIDENCE_TCP_ACK_PROBE;
    return SF_EVIDENCE_NONE;
}

static sf_evidence_t classify_icmp(const sf_flow_t *f)
{
    int type;

    if (f->fields & SF_HAS_ICMP)
        type = f->icmp_type_code >> 8;
    else if (f->fields & SF_HAS_PORTS)
        type = f->dst_port >> 8;
    else
        return SF_EVIDENCE_NONE;
    if (f->proto == PROTO_ICMPV6)
        return type == 128 ? SF_EVIDENCE_ICMP_REQUEST : SF_EVIDENCE_NONE;
    if (type == 8 || type == 13 || type == 15 || type == 17)
        return SF_EVIDENCE_ICMP_REQUEST;
    return SF_EVIDENCE_NONE;
}

static sf_evidence_t classify_udp(const sf_flow_t *f, gboolean fw)
{
    if (reply_by_ports(f))
        return SF_EVIDENCE_NONE;
    if (fw)
        return SF_EVIDENCE_FW_DENY;
    if ((f->fields & SF_HAS_PACKETS) && f->packets > 0 && f->packets <= 2)
        return SF_EVIDENCE_UDP_PROBE;
    return SF_EVIDENCE_NONE;
}

sf_evidence_t sf_evidence_classify(const sf_flow_t *f)
{
    guint32 fields = f->fields;
    gboolean fw;

    if ((fields & (SF_HAS_ADDRS | SF_HAS_PROTO)) != (SF_HAS_ADDRS | SF_HAS_PROTO))
        return SF_EVIDENCE_NONE;    /* no addresses or protocol: nothing to count */
    /* most exports carry neither firewall field: one test */
    fw = (fields & (SF_HAS_FW_EVENT | SF_HAS_FWD_STATUS)) && denied(f);
    /* TCP first: the usual protocol of probes, and a compare is cheaper
     * than the switch's jump table */
    if (f->proto == PROTO_TCP)
        return classify_tcp(f, fw);
    switch (f->proto) {
    case PROTO_UDP:
        return classify_udp(f, fw);
    case PROTO_ICMP:
    case PROTO_ICMPV6:
        return classify_icmp(f);
    default:
        return fw && !reply_by_ports(f) ? SF_EVIDENCE_FW_DENY
                                        : SF_EVIDENCE_NONE;
    }
}
