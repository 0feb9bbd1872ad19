/*
 * alert.h - the alert: what is known when a (source, kind) crosses its
 * threshold, and its JSON form (schemas/alert.schema.json,
 * "scanflow.alert/1").
 */
#ifndef SF_ALERT_H
#define SF_ALERT_H

#include <glib.h>
#include "flow.h"

typedef enum sf_alert_kind {
    SF_ALERT_PORT_SCAN,
    SF_ALERT_HOST_SWEEP,
    SF_ALERT_WIDE_SWEEP,
    SF_ALERT_NET_PORT_SCAN,     /* src is a network of sources */
    SF_ALERT_NET_HOST_SWEEP,
    SF_ALERT_DISTRIBUTED_PORT_SCAN, /* src is the scanned host (target) */
    SF_ALERT_N_KINDS
} sf_alert_kind_t;

#define SF_ALERT_MAX_SAMPLES 20

/* An alert id: a UUID's text and its NUL. */
#define SF_ALERT_ID_LEN 37

typedef struct sf_alert_facts {
    sf_alert_kind_t kind;
    char            id[SF_ALERT_ID_LEN];        /* "": a fresh one */
    char            escalates[SF_ALERT_ID_LEN]; /* "": none; else the id
                                                   of the earlier alert of
                                                   this (source, kind) that
                                                   this one escalates */
    sf_addr_t       src;                /* a network: its first address */
    guint8          src_prefix;         /* 0: src is one source; else the
                                           network's prefix length */
    gint64          distinct_sources;   /* network kinds: members */
    char           *sample_sources[SF_ALERT_MAX_SAMPLES];
    guint           n_sample_sources;
    gint64          window_s;           /* the horizon that crossed */
    gint64          threshold;
    gint64          distinct_ports;
    gint64          distinct_hosts;
    gint64          distinct_nets24;
    char            top_net24[64];      /* "" when unknown */
    gint64          hosts_in_top_net24;
    gint64          flows;
    gint64          first_seen_ms;      /* flow times */
    gint64          last_seen_ms;
    guint16         sample_ports[SF_ALERT_MAX_SAMPLES];
    guint           n_sample_ports;
    char           *sample_hosts[SF_ALERT_MAX_SAMPLES];
    guint           n_sample_hosts;
    char           *exporters[8];
    guint           n_exporters;
    /* judged on packet-sampled evidence (> 1): the distinct counts above
     * are estimates (sf_alert_estimate), these what the sample showed */
    guint32         sampling_interval;
    gint64          observed_ports;
    gint64          observed_hosts;
    gint64          observed_hosts_in_top_net24;
} sf_alert_facts_t;

const char *sf_alert_kind_name(sf_alert_kind_t kind);
/* Whether kind's src is a network (scanflow.alert/2).  The distributed
 * kind is /2 too: its JSON has a target and no src. */
gboolean sf_alert_kind_is_net(sf_alert_kind_t kind);
/* With sampling_interval > 1: moves the distinct counts to observed_*
 * and puts there the estimates of what they stand for (sampling.h: r for
 * ports is the observed hosts, r for hosts the observed ports; at most
 * 65,536 ports and 256 hosts in an IPv4 /24).  Otherwise nothing. */
void sf_alert_estimate(sf_alert_facts_t *f);

/* Frees the strings the facts own (samples, exporters) and zeroes them. */
void sf_alert_facts_clear(sf_alert_facts_t *f);
/* The alert's JSON text: id f->id (a fresh one when empty), time =
 * now_ms, "escalates" when f->escalates is set.  tags may be NULL. */
char *sf_alert_to_json(const sf_alert_facts_t *f, const char *collector,
                       const char *const *tags, gint64 now_ms);

#endif
