/*
 * stats.h - named counters of the collector.
 *
 * Every malformed or refused input has a reason here, counted, never logged
 * per packet.  The X-macro keeps each counter's enum and its name (as
 * printed by `scanflow decode --stats` and exported as metrics) in one place.
 */
#ifndef SF_STATS_H
#define SF_STATS_H

#include <stdint.h>
#include <stdio.h>

#define SF_COUNTERS(X) \
    X(PACKETS,              "packets") \
    X(PACKETS_V5,           "packets_v5") \
    X(PACKETS_V9,           "packets_v9") \
    X(PACKETS_IPFIX,        "packets_ipfix") \
    X(PACKETS_SFLOW,        "packets_sflow") \
    X(RECORDS,              "records") \
    X(RECORDS_V5,           "records_v5") \
    X(RECORDS_V9,           "records_v9") \
    X(RECORDS_IPFIX,        "records_ipfix") \
    X(RECORDS_SFLOW,        "records_sflow") \
    X(BIFLOW_REVERSE,       "biflow_reverse_records") \
    X(TEMPLATES,            "templates") \
    X(OPTIONS_TEMPLATES,    "options_templates") \
    X(TEMPLATES_REDEFINED,  "templates_redefined") \
    X(TEMPLATES_WITHDRAWN,  "templates_withdrawn") \
    X(OPTIONS_RECORDS,      "options_records") \
    X(SETS_NO_TEMPLATE,     "sets_without_template") \
    X(SETS_RECOVERED,       "sets_decoded_late") \
    X(SEQ_LOST,             "sequence_lost") \
    X(SEQ_RESET,            "sequence_resets") \
    X(FIELDS_IGNORED,       "fields_bad_length") \
    X(SAMPLERS_EVICTED,     "samplers_evicted") \
    X(SAMPLER_NO_INTERVAL,  "options_sampler_without_interval") \
    X(SAMPLER_UNKNOWN,      "records_sampler_unknown") \
    X(SFLOW_COUNTER_SAMPLES, "sflow_counter_samples") \
    X(SFLOW_SAMPLES_SKIPPED, "sflow_samples_skipped") \
    X(SFLOW_RECORDS_SKIPPED, "sflow_records_skipped") \
    X(SFLOW_NOT_IP,         "sflow_samples_not_ip") \
    X(ERR_SHORT_HEADER,     "malformed_short_header") \
    X(ERR_BAD_VERSION,      "malformed_bad_version") \
    X(ERR_V5_COUNT,         "malformed_v5_count") \
    X(ERR_MSG_LENGTH,       "malformed_message_length") \
    X(ERR_SET_LENGTH,       "malformed_set_length") \
    X(ERR_SET_ID,           "malformed_set_id") \
    X(ERR_TEMPLATE_ID,      "malformed_template_id") \
    X(ERR_TEMPLATE_EMPTY,   "malformed_template_empty") \
    X(ERR_TEMPLATE_OVERRUN, "malformed_template_overrun") \
    X(ERR_TEMPLATE_FIELDS,  "malformed_template_too_many_fields") \
    X(ERR_OPTIONS_SCOPE,    "malformed_options_scope") \
    X(ERR_RECORD,           "malformed_record") \
    X(ERR_TOO_LARGE,        "malformed_too_large") \
    X(ERR_SFLOW_AGENT,      "malformed_sflow_agent_type") \
    X(ERR_SFLOW_SAMPLE_COUNT, "malformed_sflow_sample_count") \
    X(ERR_SFLOW_SAMPLE_LENGTH, "malformed_sflow_sample_length") \
    X(ERR_SFLOW_SAMPLE_SHORT, "malformed_sflow_sample_short") \
    X(ERR_SFLOW_RECORD_COUNT, "malformed_sflow_record_count") \
    X(ERR_SFLOW_RECORD_LENGTH, "malformed_sflow_record_length") \
    X(ERR_SFLOW_RECORD_SHORT, "malformed_sflow_record_short") \
    X(ERR_SFLOW_HEADER_LENGTH, "malformed_sflow_header_length") \
    X(TEMPLATE_CAP,         "refused_template_cap") \
    X(EXPORTER_CAP,         "refused_exporter_cap") \
    X(DOMAIN_CAP,           "refused_domain_cap") \
    X(EXPORTER_DENIED,      "refused_exporter_not_allowed") \
    X(TCP_BAD_FRAMING,      "malformed_tcp_framing") \
    X(TCP_DENIED,           "refused_tcp_not_allowed") \
    X(TCP_ACCEPTED,         "tcp_accepted") \
    X(TCP_CLOSED_PEER,      "tcp_closed_peer") \
    X(TCP_CLOSED_FRAMING,   "tcp_closed_framing") \
    X(TCP_CLOSED_IDLE,      "tcp_closed_idle") \
    X(TCP_CLOSED_SLOW,      "tcp_closed_slow_message") \
    X(TCP_CLOSED_ADDR_CAP,  "tcp_closed_address_cap") \
    X(TCP_CLOSED_FULL,      "tcp_closed_table_full") \
    X(PCAP_SKIPPED,         "capture_frames_skipped")

typedef enum {
#define SF_X(id, name) SF_C_##id,
    SF_COUNTERS(SF_X)
#undef SF_X
    SF_C_COUNT
} sf_counter_t;

typedef struct sf_stats {
    uint64_t c[SF_C_COUNT];
} sf_stats_t;

static inline void sf_count(sf_stats_t *s, sf_counter_t id, uint64_t n)
{
    s->c[id] += n;
}

const char *sf_counter_name(sf_counter_t id);
/* Prints "name value" lines; zero counters are skipped unless all is set. */
void sf_stats_print(const sf_stats_t *s, FILE *out, int all);

#endif
