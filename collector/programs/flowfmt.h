/* flowfmt.h - a flow record as one JSON object or one CSV line. */
#ifndef SF_FLOWFMT_H
#define SF_FLOWFMT_H

#include <stdio.h>

#include "flow.h"

/* Keys, in order; a key is left out of JSON (empty in CSV) when the record
 * does not carry it.  version is 5, 9, 10, or 5000 for sFlow v5. */
#define SF_FLOW_CSV_HEADER \
    "exporter,version,obs_domain,src_addr,dst_addr,src_port,dst_port,proto," \
    "tcp_flags,icmp_type,icmp_code,packets,bytes,start_ms,end_ms,in_if,out_if,fw_event,sampling_interval"

void sf_flow_print_json(const sf_flow_t *f, FILE *out);
void sf_flow_print_csv(const sf_flow_t *f, FILE *out);

#endif
