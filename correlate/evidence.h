/*
 * evidence.h - is this flow a probe?  The filter in front of all counting.
 *
 * Only probes count towards a scan: a flow that tried to reach something
 * and got nowhere, or was refused.  Conversations and replies never count,
 * so a web server answering a thousand clients, or a client fetching 300
 * pages, has no fan-out at all.  The rules and the reason for each are in
 * evidence.c and correlate/README-design.md.
 */
#ifndef SF_EVIDENCE_H
#define SF_EVIDENCE_H

#include <glib.h>
#include "flow.h"

typedef enum sf_evidence {
    SF_EVIDENCE_NONE = 0,       /* conversation, reply, or cannot tell */
    SF_EVIDENCE_TCP_PROBE,      /* SYN never acknowledged; SYN..ACK..RST, no data */
    SF_EVIDENCE_TCP_STEALTH,    /* FIN, Xmas and other SYN-less, ACK-less probes */
    SF_EVIDENCE_FW_DENY,        /* firewall deny (IE 233) or dropped (IE 89) */
    SF_EVIDENCE_ICMP_REQUEST,   /* echo, timestamp or address mask request */
    SF_EVIDENCE_UDP_PROBE,      /* one or two datagrams, not from a service port */
    SF_EVIDENCE_TCP_ACK_PROBE,  /* a bare ACK to a service port: hosts only */
} sf_evidence_t;

sf_evidence_t sf_evidence_classify(const sf_flow_t *f);
/* Whether the evidence flow's destination port is a dimension (TCP, UDP,
 * SCTP; not for an ACK probe, which counts toward host sweeps only).
 * Inline: the feed asks it of every evidence flow. */
static inline gboolean sf_evidence_has_port(const sf_flow_t *f)
{
    enum { FIN = 0x01, SYN = 0x02, RST = 0x04, PSH = 0x08, ACK = 0x10,
           TCP = 6, UDP = 17, SCTP = 132 };

    if (f->proto == TCP && (f->fields & SF_HAS_TCP_FLAGS)
        && (f->tcp_flags & (FIN | SYN | RST | PSH | ACK)) == ACK)
        return FALSE;           /* an ACK probe: hosts only (rule 5) */
    return (f->fields & SF_HAS_PORTS)
        && (f->proto == TCP || f->proto == UDP || f->proto == SCTP);
}

#endif
