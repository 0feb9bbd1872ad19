/*
 * seen.c - what Redis already holds of the window.
 *
 * What Redis already holds (Redis thread only), in two bounded tables.
 * The "seen" table has an entry per source: the bucket last written,
 * which keys got their EXPIRE in it and how many nets got h keys.  The
 * "elements" table holds, for all sources together, the elements PFADDed
 * into the current bucket (ports, nets, (net, host) pairs, addresses):
 * 64-bit slots of 48 bits of a fingerprint of (source, bucket, kind,
 * element) above 16 bits of the bucket, in sets of 8 (one cache line).
 * A source takes as many slots as it has distinct elements in the bucket,
 * so a 1,000-port scan repeated within the bucket (retries, a scan run
 * twice, the same sweep every minute) is held whole and its repeats cost
 * no command at all: a source entry also holds the flows and the newest
 * time of the source's flushes that added nothing (sf_seen_hold), which
 * go out with its next write (sf_seen_release), at the latest its first
 * flush of the next bucket (everything is new there).  Held flows are
 * lost when the source stops within the bucket, when its entry is
 * pushed out and when the connection is lost: the flows counters and
 * "last" are then short of up to a bucket's repeats.  A flush sends PFADD only for elements not
 * held (none: no PFADD), EXPIRE only once per key per bucket (the TTL of
 * window + 2 buckets still runs at least window + 1 bucket past the
 * key's last write in the bucket), PFCOUNT only for dimensions it PFADDed
 * into, and samples only when something was new.  A flush's findings are
 * staged and committed by sf_window_commit() once the whole flush went
 * through; sf_window_forget() clears both tables when the connection is
 * lost (a restarted Redis may have lost everything).  Slots of an older
 * bucket are free for reuse; a live slot or entry pushed out of a full
 * set is counted (seen_evicted) and costs only the commands it would
 * have saved (PFADD is idempotent).  A false "held" needs 48 bits of
 * fingerprint to agree within a set: about 2^-45 per element looked up.
 *
 * Longer horizons (--horizon) have buckets of their own, 12 and 288 base
 * buckets long by default: an element new in the base bucket (everything
 * a repeated scan sends, at the start of each base bucket) is mostly held
 * by their current buckets already.  Each longer horizon has an element
 * table of the same layout (HZ_SETS x 8 slots, 1 MiB), tagged with its
 * own bucket (sf_seen_element_in), staged, committed, counted and cleared
 * with the rest: an element is written into a longer horizon's bucket
 * once, not once per base bucket.
 *
 * Bounded Redis memory per source: the h:NET:B keys of one source and
 * bucket are capped at --max-nets-per-source (the aggregate caps the nets
 * carrying hosts per flush, not across flushes: a wide sweep could create
 * that many new h keys every flush, about 7,700 per bucket at the
 * defaults).  The seen entry counts the nets admitted (given an h key) in
 * its bucket, and a shared "admit" table (ADMIT_SETS x ADMIT_WAYS 64-bit
 * slots, 1 MiB) remembers which (source, net) pairs were admitted in the
 * current bucket: 48 bits of a fingerprint above 16 bits of the bucket.  A
 * net with hosts to write is admitted when that table holds it, else when
 * the source's count is under the cap (then counted); otherwise its hosts
 * are left out and the net is counted as capped (nets_capped).  Its hosts
 * still go into the d HLL and the net into the n HLL: distinct hosts and
 * nets stay counted, only per-net host counts of nets beyond the first N
 * of a bucket are lost.  Admission is exact but for the table's bound: a
 * pair pushed out of it is later taken for a new net and counted again
 * (the bound holds; the net may be refused its hosts once the count is
 * full).  The bound is soft where the count restarts: when the source's
 * seen entry is pushed out of its set (seen_evicted), and after
 * sf_window_forget() (a lost connection), up to N more nets of the source
 * may get h keys in that bucket.  Each collector counts on its own: with
 * K collectors writing one source, up to K x N nets.  Admissions and
 * refusals are staged and committed with the rest, so a retried flush
 * counts nothing twice.
 */
#include "seen.h"
#include "hash.h"
#include "table.h"

#include <string.h>

#define SEEN_WAYS 4
#define SEEN_SETS 16384         /* 65,536 entries of 48 bytes */
#define ELEM_WAYS 8
#define ELEM_SETS 65536         /* 524,288 element slots of 8 bytes, 4 MiB */
#define ADMIT_WAYS 4
#define ADMIT_SETS 32768        /* 131,072 (source, net) slots of 8 bytes */
#define HZ_SETS 16384           /* per longer horizon: 131,072 slots, 1 MiB */

typedef struct seen {
    sf_addr_t src;
    gint64    bucket;           /* -1: empty */
    guint32   keys;             /* SF_SEEN_K_* */
    guint32   n_nets;           /* nets given h keys in the bucket */
    gint64    held_last;        /* newest time of the held flows, ms */
    guint32   held;             /* flows of flushes that added nothing,
                                   not written yet (sf_seen_hold) */
    guint32   released;         /* stage only: the held flows went out */
} seen_t;

G_STATIC_ASSERT(sizeof(seen_t) == 48);

struct sf_seen {
    guint       max_nets;       /* --max-nets-per-source */
    gint64      bucket;         /* of the flush being written */
    seen_t     *seen;           /* SEEN_SETS * SEEN_WAYS */
    const seen_t *cur;          /* the visited source's entry, or NULL */
    const seen_t *any;          /* its entry of any bucket, or NULL */
    seen_t      stage;          /* the visited source's findings */
    guint64     src_fp;         /* of the visited source and the bucket */
    guint64     src_h;          /* of the visited source alone */
    guint       n_longer;
    guint64    *hz[SF_SEEN_LONGER];     /* HZ_SETS * ELEM_WAYS each */
    GArray     *staged_hz;      /* guint64 slot value, guint64 horizon */
    guint64    *elems;          /* ELEM_SETS * ELEM_WAYS, 0: empty */
    GArray     *staged_elems;   /* guint64 slot values, until commit */
    guint       elem_rr;
    gboolean    dirty;          /* elems or admit hold slots */
    GArray     *staged;         /* seen_t: this flush's, until commit */
    guint       seen_rr;
    guint64     seen_evicted;
    guint64    *admit;          /* ADMIT_SETS * ADMIT_WAYS, 0: empty */
    GArray     *staged_admit;   /* guint64 slot values, until commit */
    guint64     staged_capped;  /* nets refused by this flush */
    guint64     nets_capped;
    guint       admit_rr;
};

sf_seen_t *sf_seen_new(guint max_nets_per_source, guint n_longer)
{
    sf_seen_t *t = g_new0(sf_seen_t, 1);

    t->max_nets = max_nets_per_source;
    t->n_longer = MIN(n_longer, SF_SEEN_LONGER);
    for (guint k = 0; k < t->n_longer; k++)
        t->hz[k] = sf_table_new0(sizeof(guint64) * HZ_SETS * ELEM_WAYS);
    t->staged_hz = g_array_new(FALSE, FALSE, 2 * sizeof(guint64));
    t->seen = g_new(seen_t, SEEN_SETS * SEEN_WAYS);
    t->staged = g_array_new(FALSE, FALSE, sizeof(seen_t));
    /* written at random from the first flushes on: mapped at once */
    t->elems = sf_table_new0(sizeof(guint64) * ELEM_SETS * ELEM_WAYS);
    t->staged_elems = g_array_new(FALSE, FALSE, sizeof(guint64));
    t->admit = sf_table_new0(sizeof(guint64) * ADMIT_SETS * ADMIT_WAYS);
    t->staged_admit = g_array_new(FALSE, FALSE, sizeof(guint64));
    sf_seen_forget(t);
    return t;
}

void sf_seen_free(sf_seen_t *t)
{
    if (t == NULL)
        return;
    g_free(t->seen);
    g_array_unref(t->staged);
    sf_table_free(t->elems, sizeof(guint64) * ELEM_SETS * ELEM_WAYS);
    g_array_unref(t->staged_elems);
    sf_table_free(t->admit, sizeof(guint64) * ADMIT_SETS * ADMIT_WAYS);
    g_array_unref(t->staged_admit);
    for (guint k = 0; k < t->n_longer; k++)
        sf_table_free(t->hz[k], sizeof(guint64) * HZ_SETS * ELEM_WAYS);
    g_array_unref(t->staged_hz);
    g_free(t);
}

void sf_seen_begin_flush(sf_seen_t *t, gint64 bucket)
{
    t->bucket = bucket;
    g_array_set_size(t->staged, 0);
    g_array_set_size(t->staged_elems, 0);
    g_array_set_size(t->staged_admit, 0);
    g_array_set_size(t->staged_hz, 0);
    t->staged_capped = 0;
}

/* Fingerprint of an element of kind (p, n, h, d); a: the net for hosts. */
guint64 sf_seen_fingerprint(char kind, const guint8 *a, gsize alen,
                            const guint8 *b, gsize blen)
{
    guint64 h = G_GUINT64_CONSTANT(0xcbf29ce484222325);

    h = (h ^ (guint8)kind) * G_GUINT64_CONSTANT(0x100000001b3);
    h = (h ^ (alen << 8 | blen)) * G_GUINT64_CONSTANT(0x100000001b3);
    for (gsize i = 0; i < alen; i++)
        h = (h ^ a[i]) * G_GUINT64_CONSTANT(0x100000001b3);
    for (gsize i = 0; i < blen; i++)
        h = (h ^ b[i]) * G_GUINT64_CONSTANT(0x100000001b3);
    return sf_mix64(h);
}

static seen_t *seen_set(sf_seen_t *t, const sf_addr_t *src)
{
    guint64 h = 0;

    for (guint i = 0; i < 16; i += 8) {
        guint64 v;
        memcpy(&v, src->b + i, 8);
        h = sf_mix64(h ^ v);
    }
    return &t->seen[(h & (SEEN_SETS - 1)) * SEEN_WAYS];
}

/* The entry of src (of any bucket), or NULL. */
static const seen_t *seen_find(sf_seen_t *t, const sf_addr_t *src)
{
    seen_t *set = seen_set(t, src);

    for (guint i = 0; i < SEEN_WAYS; i++)
        if (set[i].bucket >= 0 && sf_addr_equal(&set[i].src, src))
            return &set[i];
    return NULL;
}

/* A table slot's value: 48 bits of fp above 16 bits of the bucket (0 is
 * an empty slot).  The set is chosen by the fingerprint's bits. */
static guint64 slot_value(guint64 fp, gint64 bucket)
{
    fp &= ~G_GUINT64_CONSTANT(0xffff);
    return (fp ? fp : G_GUINT64_CONSTANT(1) << 16) | ((guint64)bucket & 0xffff);
}

static gboolean slot_held(const guint64 *set, guint ways, guint64 v)
{
    for (guint i = 0; i < ways; i++)
        if (set[i] == v)
            return TRUE;
    return FALSE;
}

/* Puts v into its set: an empty slot, or one of another bucket, before a
 * live one (then *rr picks it, and TRUE says a live slot was lost). */
static gboolean slot_insert(guint64 *set, guint ways, guint64 v, guint *rr)
{
    guint64 *e = NULL;

    if (slot_held(set, ways, v))
        return FALSE;
    for (guint i = 0; i < ways && e == NULL; i++)
        if (set[i] == 0 || (set[i] & 0xffff) != (v & 0xffff))
            e = &set[i];
    if (e) {
        *e = v;
        return FALSE;
    }
    set[(*rr)++ % ways] = v;
    return TRUE;
}

static guint64 *elem_set(sf_seen_t *t, guint64 v)
{
    return &t->elems[((v >> 16) & (ELEM_SETS - 1)) * ELEM_WAYS];
}

gboolean sf_seen_element(sf_seen_t *t, guint64 fp)
{
    guint64 v = slot_value(sf_mix64(fp ^ t->src_fp), t->bucket);

    if (slot_held(elem_set(t, v), ELEM_WAYS, v))
        return TRUE;
    g_array_append_val(t->staged_elems, v);
    return FALSE;
}

static guint64 *hz_set(sf_seen_t *t, guint k, guint64 v)
{
    return &t->hz[k - 1][((v >> 16) & (HZ_SETS - 1)) * ELEM_WAYS];
}

gboolean sf_seen_element_in(sf_seen_t *t, guint64 fp, guint k, gint64 hb)
{
    guint64 v, staged[2];

    if (k == 0 || k > t->n_longer)
        return FALSE;
    v = slot_value(sf_mix64(fp ^ sf_mix64(t->src_h ^ (guint64)hb)), hb);
    if (slot_held(hz_set(t, k, v), ELEM_WAYS, v))
        return TRUE;
    staged[0] = v;
    staged[1] = k;
    g_array_append_val(t->staged_hz, staged);
    return FALSE;
}

gboolean sf_seen_hold(sf_seen_t *t, guint32 flows, gint64 last_ms)
{
    guint64 held = (guint64)flows + (t->any ? t->any->held : 0);

    if (t->cur == NULL || held > G_MAXUINT32 / 2)
        return FALSE;
    t->stage.held = flows;
    t->stage.held_last = last_ms;
    return TRUE;
}

guint64 sf_seen_release(sf_seen_t *t, gint64 *last_ms)
{
    *last_ms = t->any ? t->any->held_last : 0;
    t->stage.released = TRUE;
    return t->any ? t->any->held : 0;
}

gboolean sf_seen_expire_needed(sf_seen_t *t, guint32 key)
{
    if (t->cur && (t->cur->keys & key))
        return FALSE;
    t->stage.keys |= key;
    return TRUE;
}

/* The admit table's slot value of (src, net) in the current bucket: 48
 * bits of fingerprint above 16 bits of the bucket.  A slot of another
 * bucket is free for reuse; 0 is an empty slot.  (A slot left untouched
 * for 65,536 buckets would pass for the current one: one net admitted
 * uncounted, at worst.) */
static guint64 admit_value(const sf_seen_t *t, const sf_addr_t *src,
                           const sf_agg_net_t *n)
{
    return slot_value(sf_seen_fingerprint('a', src->b, 16, n->net, n->net_len),
                      t->bucket);
}

static guint64 *admit_set(sf_seen_t *t, guint64 v)
{
    return &t->admit[((v >> 16) & (ADMIT_SETS - 1)) * ADMIT_WAYS];
}

static gboolean admitted(sf_seen_t *t, guint64 v)
{
    return slot_held(admit_set(t, v), ADMIT_WAYS, v);
}

/* TRUE: n's hosts may be written into its h key of this bucket: it was
 * admitted in the bucket already, or the source's count (committed and
 * staged) is under the cap, and the admission is staged. */
gboolean sf_seen_admit_net(sf_seen_t *t, const sf_agg_net_t *n)
{
    guint64 v = admit_value(t, &t->stage.src, n);
    guint64 used = t->stage.n_nets + (t->cur ? t->cur->n_nets : 0);

    if (admitted(t, v))
        return TRUE;
    if (used >= (guint64)t->max_nets) {
        t->staged_capped++;
        return FALSE;
    }
    t->stage.n_nets++;
    g_array_append_val(t->staged_admit, v);
    return TRUE;
}

void sf_seen_forget(sf_seen_t *t)
{
    for (guint i = 0; i < SEEN_SETS * SEEN_WAYS; i++)
        t->seen[i].bucket = -1;
    if (t->dirty) {
        memset(t->elems, 0, sizeof(guint64) * ELEM_SETS * ELEM_WAYS);
        memset(t->admit, 0, sizeof(guint64) * ADMIT_SETS * ADMIT_WAYS);
        for (guint k = 0; k < t->n_longer; k++)
            memset(t->hz[k], 0, sizeof(guint64) * HZ_SETS * ELEM_WAYS);
        t->dirty = FALSE;
    }
    g_array_set_size(t->staged_hz, 0);
    g_array_set_size(t->staged, 0);
    g_array_set_size(t->staged_elems, 0);
    g_array_set_size(t->staged_admit, 0);
    t->staged_capped = 0;
}

void sf_seen_commit(sf_seen_t *t)
{
    for (guint k = 0; k < t->staged->len; k++) {
        const seen_t *st = &g_array_index(t->staged, seen_t, k);
        seen_t *set = seen_set(t, &st->src), *e = NULL;

        for (guint i = 0; i < SEEN_WAYS && e == NULL; i++)
            if (sf_addr_equal(&set[i].src, &st->src)
                && set[i].bucket >= 0)
                e = &set[i];
        for (guint i = 0; i < SEEN_WAYS && e == NULL; i++)
            if (set[i].bucket != st->bucket)
                e = &set[i];
        if (e == NULL) {
            e = &set[t->seen_rr++ % SEEN_WAYS];
            t->seen_evicted++;
        }
        if (!sf_addr_equal(&e->src, &st->src) || e->bucket < 0) {
            e->held = 0;
            e->held_last = 0;
        }
        if (e->bucket != st->bucket
            || !sf_addr_equal(&e->src, &st->src)) {
            e->src = st->src;
            e->bucket = st->bucket;
            e->keys = 0;
            e->n_nets = 0;
        }
        e->keys |= st->keys;
        e->n_nets += st->n_nets;
        if (st->released) {
            e->held = 0;
            e->held_last = 0;
        }
        e->held += st->held;
        e->held_last = MAX(e->held_last, st->held_last);
    }
    g_array_set_size(t->staged, 0);
    t->dirty |= t->staged_elems->len > 0 || t->staged_admit->len > 0
                || t->staged_hz->len > 0;
    for (guint i = 0; i < t->staged_hz->len; i++) {
        const guint64 *st = &g_array_index(t->staged_hz, guint64, 2 * i);

        t->seen_evicted += slot_insert(hz_set(t, (guint)st[1], st[0]),
                                       ELEM_WAYS, st[0], &t->elem_rr);
    }
    g_array_set_size(t->staged_hz, 0);
    for (guint k = 0; k < t->staged_elems->len; k++) {
        guint64 v = g_array_index(t->staged_elems, guint64, k);

        t->seen_evicted += slot_insert(elem_set(t, v), ELEM_WAYS, v,
                                       &t->elem_rr);
    }
    g_array_set_size(t->staged_elems, 0);
    for (guint k = 0; k < t->staged_admit->len; k++) {
        guint64 v = g_array_index(t->staged_admit, guint64, k);

        slot_insert(admit_set(t, v), ADMIT_WAYS, v, &t->admit_rr);
    }
    g_array_set_size(t->staged_admit, 0);
    t->nets_capped += t->staged_capped;
    t->staged_capped = 0;
}

void sf_seen_begin_source(sf_seen_t *t, const sf_addr_t *src)
{
    guint64 h = (guint64)t->bucket;

    t->any = seen_find(t, src);
    t->cur = t->any && t->any->bucket == t->bucket ? t->any : NULL;
    memset(&t->stage, 0, sizeof t->stage);
    t->stage.src = *src;
    t->stage.bucket = t->bucket;
    for (guint i = 0; i < 16; i += 8) {
        guint64 v;
        memcpy(&v, src->b + i, 8);
        h = sf_mix64(h ^ v);
    }
    t->src_fp = h;
    h = 0;
    for (guint i = 0; i < 16; i += 8) {
        guint64 v;
        memcpy(&v, src->b + i, 8);
        h = sf_mix64(h ^ v);
    }
    t->src_h = h;
}

void sf_seen_end_source(sf_seen_t *t)
{
    g_array_append_val(t->staged, t->stage);
}

void sf_seen_get_stats(const sf_seen_t *t, guint64 *evicted,
                       guint64 *nets_capped)
{
    *evicted = t->seen_evicted;
    *nets_capped = t->nets_capped;
}
