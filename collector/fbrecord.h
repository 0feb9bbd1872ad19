/*
 * fbrecord.h - the decoded record that both v9/IPFIX record paths fill,
 * and what they share (collector-internal; fbdecode.h is the interface).
 *
 * struct fbrec holds every element scanflow reads, from flow records and
 * options records alike, ordered by size so that it has no padding.  Two
 * paths fill it: libfixbuf's fBufNext() through one internal template
 * (fbsession.c), and the fixed-offset fast path (fbfast.c).  Both then hand
 * it to fbrecord.c, which turns it into an sf_flow_t (or options state)
 * through the template's recipe.
 */
#ifndef SF_FBRECORD_H
#define SF_FBRECORD_H

#include "fbdecode.h"

/* Elements by size: name, member. */
#define FB16(X) X("sourceIPv6Address", src6) X("destinationIPv6Address", dst6)
#define FB8(X) \
    X("packetDeltaCount", pkts) X("octetDeltaCount", octs) \
    X("packetTotalCount", pkts_tot) X("octetTotalCount", octs_tot) \
    X("initiatorPackets", init_pkts) X("initiatorOctets", init_octs) \
    X("flowStartMilliseconds", start_ms) X("flowEndMilliseconds", end_ms) \
    X("flowStartMicroseconds", start_us) X("flowEndMicroseconds", end_us) \
    X("flowStartNanoseconds", start_ns) X("flowEndNanoseconds", end_ns) \
    X("systemInitTimeMilliseconds", sys_init) \
    X("reversePacketDeltaCount", r_pkts) X("reverseOctetDeltaCount", r_octs) \
    X("reversePacketTotalCount", r_pkts_tot) X("reverseOctetTotalCount", r_octs_tot) \
    X("reverseFlowStartMilliseconds", r_start_ms) X("reverseFlowEndMilliseconds", r_end_ms) \
    X("selectorId", sel_id)
#define FB4(X) \
    X("sourceIPv4Address", src4) X("destinationIPv4Address", dst4) \
    X("ingressInterface", in_if) X("egressInterface", out_if) \
    X("ingressPhysicalInterface", in_phys) X("egressPhysicalInterface", out_phys) \
    X("flowStartSeconds", start_s) X("flowEndSeconds", end_s) \
    X("flowStartDeltaMicroseconds", start_dus) X("flowEndDeltaMicroseconds", end_dus) \
    X("flowStartSysUpTime", start_up) X("flowEndSysUpTime", end_up) \
    X("flowDurationMilliseconds", dur_ms) X("flowDurationMicroseconds", dur_us) \
    X("samplingInterval", samp_int) X("samplerRandomInterval", samp_rand) \
    X("samplingPacketInterval", samp_pint) X("samplingPacketSpace", samp_pspace) \
    X("scanflowForwardingStatus32", fwd32)
#define FB2(X) \
    X("sourceTransportPort", sport) X("destinationTransportPort", dport) \
    X("udpSourcePort", udp_sport) X("udpDestinationPort", udp_dport) \
    X("tcpSourcePort", tcp_sport) X("tcpDestinationPort", tcp_dport) \
    X("tcpControlBits", flags) X("reverseTcpControlBits", r_flags) \
    X("icmpTypeCodeIPv4", icmp4) X("icmpTypeCodeIPv6", icmp6) \
    X("scanflowNselExtEvent", ext_event) \
    X("reverseIcmpTypeCodeIPv4", r_icmp4) X("reverseIcmpTypeCodeIPv6", r_icmp6)
#define FB1(X) \
    X("protocolIdentifier", proto) X("firewallEvent", fw_event) \
    X("scanflowNselFwEvent84", fw_event84) X("forwardingStatus", fwd8) \
    X("icmpTypeIPv4", icmp_t4) \
    X("icmpCodeIPv4", icmp_c4) X("icmpTypeIPv6", icmp_t6) \
    X("icmpCodeIPv6", icmp_c6) X("ipVersion", ipver)

struct fbrec {
#define M16(n, m) uint8_t m[16];
#define M8(n, m) uint64_t m;
#define M4(n, m) uint32_t m;
#define M2(n, m) uint16_t m;
#define M1(n, m) uint8_t m;
    FB16(M16) FB8(M8) FB4(M4) FB2(M2) FB1(M1)
};

/* Bit index of each element in a template's presence mask. */
enum {
#define E(n, m) F_##m,
    FB16(E) FB8(E) FB4(E) FB2(E) FB1(E)
#undef E
    F_COUNT
};
G_STATIC_ASSERT(F_COUNT <= 64);
#define HAS(t, m) (((t)->mask >> F_##m) & 1u)

/* Per external template: which elements it has (the same record as the
 * fast path's, without a plan). */
typedef sf_tmpl_t tctx_t;

/* Where the fast path decodes a flow record of a template that takes it
 * (sf_fbrec_direct_ok): the members of sf_flow_t that are copies of one
 * element (addresses, counters, ports, interfaces, flags, protocol) are
 * stored straight into f; the elements that need the record as a whole
 * (times, ICMP, sampling, forwarding status) into r, which
 * sf_fbrec_direct_finish() reads as flow_build() reads a whole record. */
struct fbdirect {
    sf_flow_t   f;
    struct fbrec r;
};

/* Does template t's flow records go to struct fbdirect (a flow template
 * without RFC 5103 reverse counters, one address family)? */
bool sf_fbrec_direct_ok(const tctx_t *t);
/* Where element k (F_*) of template t goes in struct fbdirect, and the
 * size of that member (*width; 0: the 4 bytes of an IPv4 address, copied
 * as they are); -1 if a flow record of t never reads it. */
int sf_fbrec_direct_dst(const tctx_t *t, int k, unsigned *width);
/* The shape of a direct plan (n_dop: its fields of each conversion) if
 * it is one that sf_fbrec_direct_decode() has a record loop for, else 0. */
uint8_t sf_fbrec_direct_shape(const uint8_t n_dop[SF_PLAN_OPS]);
/* The flow records of one data set (p, len: at least one record) of a
 * direct template t, to the sink; counts them and returns how many. */
unsigned sf_fbrec_direct_decode(const sf_msg_t *m, const tctx_t *t,
                                const uint8_t *p, size_t len,
                                sf_flow_sink_fn sink, void *ctx,
                                sf_stats_t *st);

/* The elements of struct fbrec in order, for fixbuf's internal template. */
extern fbInfoElementSpec_t sf_fbrec_spec[];
/* Offset of each element's member in struct fbrec, and its size. */
extern const uint16_t sf_fbrec_off[F_COUNT];
extern uint16_t sf_fbrec_len[F_COUNT];

/* Reads each element's (ent, num), length and type from the model that
 * fbsession.c built; once, before anything else. */
void sf_fbrec_init(fbInfoModel_t *model);
/* Index of (ent, num) in struct fbrec's elements, -1 if not read. */
int sf_fbrec_index(uint32_t ent, uint16_t num);
/* Completes a template whose mask is set: options flag, RFC 5103 reverse
 * counters and the recipe. */
void sf_fbrec_tmpl_finish(tctx_t *t, bool options);
/* An options record of template t: updates the domain's sampling (or
 * one sampler's, when it names a sampler id) and system init time. */
void sf_fbrec_options(const sf_msg_t *m, const struct fbrec *r,
                      const tctx_t *t);
/* One flow record, either path: to the sink, and its reverse half too
 * when it is a biflow that saw traffic both ways.  Returns the reverse
 * halves sent (0 or 1): the caller counts. */
unsigned sf_fbrec_flow_out(const sf_msg_t *m, const struct fbrec *rec,
                           const tctx_t *t, sf_flow_sink_fn sink, void *ctx);

#endif
