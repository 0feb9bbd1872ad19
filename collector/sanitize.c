/*
 * sanitize.c - checks IPFIX messages and rewrites NetFlow v9 packets into
 * IPFIX (see sanitize.h for why).
 *
 * Wire formats: RFC 3954 section 5 (v9 flowsets: template 0, options
 * template 1 with scope and option lengths in bytes, data >= 256) and
 * RFC 7011 section 3 (IPFIX sets: template 2, options template 3 with a
 * scope field count, data >= 256; field specifiers with the enterprise bit
 * followed by a 4-byte PEN; a template record with no fields withdraws it,
 * and one whose id equals its set id withdraws all of that set's kind).
 */
#include "sanitize.h"

#include "cursor.h"
#include "fbdecode.h"

#include <string.h>

typedef sf_field_t field_t;

/* Template ids a message defined or withdrew, up to this many: past it,
 * every refresh of the message is passed on. */
#define TOUCHED_MAX 64

typedef struct walk {
    const sf_msg_t    *m;
    sf_exporter_t     *e;
    const sf_limits_t *lim;
    sf_stats_t        *st;
    uint32_t           domain;
    int                version;
    uint8_t           *out;     /* start of the message being written */
    size_t             pos;     /* bytes written so far */
    field_t           *fields;  /* scratch, lim->max_fields long */
    sf_flow_sink_fn    sink;
    void              *ctx;
    GArray            *forget;  /* uint16_t tids withdrawn, for fixbuf later */
    unsigned           fast;    /* data records decoded on the fast path */
    bool               slow;    /* a data set was left for libfixbuf */
    unsigned           ntouched;    /* > TOUCHED_MAX: too many to tell */
    uint16_t           touched[TOUCHED_MAX];   /* tids this message wrote
                                   to the output or withdrew */
} walk_t;

static void touch(walk_t *w, uint16_t tid)
{
    if (w->ntouched < TOUCHED_MAX)
        w->touched[w->ntouched] = tid;
    if (w->ntouched <= TOUCHED_MAX)
        w->ntouched++;
}

static bool touched(const walk_t *w, uint16_t tid)
{
    if (w->ntouched > TOUCHED_MAX)
        return true;
    for (unsigned i = 0; i < w->ntouched; i++)
        if (w->touched[i] == tid)
            return true;
    return false;
}

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    while (n--)
        h = (h ^ *p++) * 16777619u;
    return h;
}

/* Reads one field specifier in the version's encoding. */
static bool read_field(walk_t *w, sf_cursor_t *c, bool v9_scope, field_t *f)
{
    uint16_t id, len;
    uint32_t pen = 0;

    if (!sf_cur_u16(c, &id) || !sf_cur_u16(c, &len))
        return false;
    if (w->version == 10 && (id & 0x8000)) {
        if (!sf_cur_u32(c, &pen))
            return false;
        id &= 0x7fff;
    } else if (w->version == 9 && (id & 0x8000)) {
        pen = SF_PEN;
        id &= 0x7fff;
    }
    f->ent = pen;
    f->num = id;
    f->len = len;
    if (v9_scope) {                     /* v9 scope types are not elements */
        f->ent = SF_PEN;
        f->num = SF_IE_OPAQUE;
    }
    return true;
}

static void put_field(uint8_t *p, size_t *pos, const field_t *f)
{
    if (f->ent == 0) {
        sf_put16(p + *pos, f->num);
        sf_put16(p + *pos + 2, f->len);
        *pos += 4;
    } else {
        sf_put16(p + *pos, (uint16_t)(f->num | 0x8000));
        sf_put16(p + *pos + 2, f->len);
        sf_put32(p + *pos + 4, f->ent);
        *pos += 8;
    }
}

static void withdraw(walk_t *w, uint16_t tid)
{
    /* libfixbuf reads this message after the walk, and data sets before
     * the withdrawal still need the template: it forgets it afterwards */
    touch(w, tid);
    if (g_hash_table_remove(w->e->templates, SF_TKEY(w->domain, tid))) {
        g_array_append_val(w->forget, tid);
        sf_count(w->st, SF_C_TEMPLATES_WITHDRAWN, 1);
    }
}

static void withdraw_all(walk_t *w, bool options)
{
    GHashTableIter it;
    gpointer k, v;
    GArray *gone = g_array_new(FALSE, FALSE, sizeof(uint16_t));

    g_hash_table_iter_init(&it, w->e->templates);
    while (g_hash_table_iter_next(&it, &k, &v)) {
        gsize key = GPOINTER_TO_SIZE(k);
        uint16_t tid = (uint16_t)(key & 0xffff);
        if ((uint32_t)(key >> 16) == w->domain && ((sf_tmpl_t *)v)->options == options)
            g_array_append_val(gone, tid);
    }
    for (guint i = 0; i < gone->len; i++)
        withdraw(w, g_array_index(gone, uint16_t, i));
    g_array_free(gone, TRUE);
}

/* Whether old was built from this very clean template record. */
static bool same_template(const sf_tmpl_t *old, bool options, uint32_t hash,
                          const uint8_t *rec, size_t len)
{
    return old != NULL && old->options == options && old->hash == hash
        && old->rec_len == len && memcmp(old->rec, rec, len) == 0;
}

/* Records a template in scanflow's table; false if the cap refuses it. */
static bool remember(walk_t *w, uint16_t tid, bool options,
                     const uint8_t *rec, size_t len, unsigned nfields)
{
    gpointer key = SF_TKEY(w->domain, tid);
    const sf_tmpl_t *old = g_hash_table_lookup(w->e->templates, key);
    uint32_t hash = fnv1a(rec, len);

    if (old == NULL && g_hash_table_size(w->e->templates) >= w->lim->max_templates) {
        sf_count(w->st, SF_C_TEMPLATE_CAP, 1);
        return false;
    }
    if (old != NULL && (old->hash != hash || old->options != options))
        sf_count(w->st, SF_C_TEMPLATES_REDEFINED, 1);
    sf_count(w->st, options ? SF_C_OPTIONS_TEMPLATES : SF_C_TEMPLATES, 1);
    /* A refresh (the same record byte for byte, not only the same 32-bit
     * hash, which an exporter could collide) keeps the plan it had:
     * exporters resend their templates every few packets. */
    if (!same_template(old, options, hash, rec, len))
        g_hash_table_insert(w->e->templates, key,
                            sf_fb_plan(w->fields, nfields, options, hash,
                                       rec, len));
    w->m->dom->had_template = true;
    for (guint i = 0; i < w->forget->len; i++)      /* defined again */
        if (g_array_index(w->forget, uint16_t, i) == tid)
            g_array_remove_index_fast(w->forget, i--);
    return true;
}

/*
 * Writes one template record (fields already read) to the output, renaming
 * and dropping fields as sanitize.h describes.  False if it was refused.
 */
static bool emit_template(walk_t *w, uint16_t tid, unsigned count,
                          unsigned scope, bool options)
{
    size_t start = w->pos, pos = w->pos + (options ? 6 : 4);
    unsigned out_count = 0, out_scope = 0, min_len = 0;

    if (pos + (size_t)count * 8 > SF_MSG_MAX) {
        sf_count(w->st, SF_C_ERR_TOO_LARGE, 1);
        return false;
    }
    for (unsigned i = 0; i < count; i++) {
        field_t f = w->fields[i];
        if (f.len == 0)
            continue;
        uint32_t ent = f.ent;
        uint16_t num = f.num;
        if (!sf_fb_field_wanted(&ent, &num, f.len)) {
            if (sf_fb_field_known(f.ent, f.num))    /* read, but not at this length */
                sf_count(w->st, SF_C_FIELDS_IGNORED, 1);
            ent = SF_PEN;
            num = SF_IE_OPAQUE;
        }
        f.ent = ent;
        f.num = num;
        put_field(w->out, &pos, &f);
        w->fields[out_count] = f;       /* i >= out_count: not yet read */
        out_count++;
        if (i < scope)
            out_scope++;
        min_len += f.len == 0xffff ? 1 : f.len;
    }
    if (out_count == 0 || min_len == 0) {
        sf_count(w->st, SF_C_ERR_TEMPLATE_EMPTY, 1);
        return false;
    }
    if (options && out_scope == 0)
        out_scope = 1;
    sf_put16(w->out + start, tid);
    sf_put16(w->out + start + 2, (uint16_t)out_count);
    if (options)
        sf_put16(w->out + start + 4, (uint16_t)out_scope);
    if (!remember(w, tid, options, w->out + start, pos - start, out_count))
        return false;
    /* Left out when libfixbuf holds this very template already (its
     * session as the messages before left it: it reads this one only after
     * the walk), unless this message defined or withdrew the id before:
     * then what libfixbuf holds by the time it reaches this record is not
     * known here.  Reading the record again would change nothing in
     * libfixbuf, and skipping it saves libfixbuf building the template
     * anew.  When libfixbuf did not get a template (it stopped reading a
     * message early), it does not hold it: the next refresh is passed on. */
    if (!touched(w, tid) &&
        sf_fb_holds_template(w->e, w->domain, tid, w->fields, out_count,
                             options ? out_scope : 0))
        return true;
    touch(w, tid);
    w->pos = pos;
    return true;
}

/* Reads count field specifiers into w->fields. */
static bool read_fields(walk_t *w, sf_cursor_t *c, unsigned count, unsigned v9_scope)
{
    for (unsigned i = 0; i < count; i++)
        if (!read_field(w, c, i < v9_scope, &w->fields[i])) {
            sf_count(w->st, SF_C_ERR_TEMPLATE_OVERRUN, 1);
            return false;
        }
    return true;
}

/*
 * The part of every template record after its header: the field
 * specifiers, checked against the caps and the bytes left, then emitted.
 * v9_scope fields at the front are v9 scope types.  False stops the set
 * (its remaining bytes cannot be trusted); true goes on to the next record.
 */
static bool template_body(walk_t *w, sf_cursor_t *c, uint16_t tid, unsigned count,
                          unsigned scope, bool options, unsigned v9_scope)
{
    if (count > w->lim->max_fields) {
        sf_count(w->st, SF_C_ERR_TEMPLATE_FIELDS, 1);
        return false;
    }
    if (!read_fields(w, c, count, v9_scope))
        return false;
    if (tid < 256) {
        sf_count(w->st, SF_C_ERR_TEMPLATE_ID, 1);
        return true;
    }
    if (options && (scope == 0 || scope > count)) {
        sf_count(w->st, SF_C_ERR_OPTIONS_SCOPE, 1);
        return true;
    }
    emit_template(w, tid, count, scope, options);
    return true;
}

/* One IPFIX template or options template record; false stops the set. */
static bool ipfix_template(walk_t *w, sf_cursor_t *c, bool options, uint16_t set_id)
{
    uint16_t tid, count, scope = 0;

    if (!sf_cur_u16(c, &tid) || !sf_cur_u16(c, &count))
        return false;
    if (tid == 0 && count == 0)         /* padding (RFC 7011 3.3.1) */
        return false;
    if (count == 0) {                   /* withdrawal */
        if (tid == set_id)
            withdraw_all(w, options);
        else if (tid >= 256)
            withdraw(w, tid);
        else
            sf_count(w->st, SF_C_ERR_TEMPLATE_ID, 1);
        return true;
    }
    if (options && !sf_cur_u16(c, &scope)) {
        sf_count(w->st, SF_C_ERR_TEMPLATE_OVERRUN, 1);
        return false;
    }
    return template_body(w, c, tid, count, scope, options, 0);
}

/* One v9 template record (RFC 3954 5.2); false stops the flowset. */
static bool v9_template(walk_t *w, sf_cursor_t *c)
{
    uint16_t tid, count;

    if (!sf_cur_u16(c, &tid) || !sf_cur_u16(c, &count))
        return false;
    if (tid == 0 && count == 0)         /* padding */
        return false;
    if (count == 0) {
        sf_count(w->st, SF_C_ERR_TEMPLATE_EMPTY, 1);
        return true;
    }
    return template_body(w, c, tid, count, 0, false, 0);
}

/* One v9 options template record (RFC 3954 6.1); false stops the flowset.
 * Scope and option lengths are in bytes; a v9 scope may be empty, IPFIX
 * needs one scope field, so the first field stands in for it. */
static bool v9_options_template(walk_t *w, sf_cursor_t *c)
{
    uint16_t tid, scope_len, opt_len;

    if (c->left < 6)
        return false;
    sf_cur_u16(c, &tid);
    sf_cur_u16(c, &scope_len);
    sf_cur_u16(c, &opt_len);
    if (tid == 0)                       /* padding */
        return false;
    if (scope_len % 4 || opt_len % 4) {
        sf_count(w->st, SF_C_ERR_OPTIONS_SCOPE, 1);
        return false;
    }
    unsigned scope = scope_len / 4u, count = scope + opt_len / 4u;
    if (count == 0) {
        sf_count(w->st, SF_C_ERR_TEMPLATE_EMPTY, 1);
        return false;
    }
    return template_body(w, c, tid, count, scope ? scope : 1, true, scope);
}

/* A template or options template set: records until only padding is left. */
static void template_set(walk_t *w, sf_cursor_t body, bool options, uint16_t set_id)
{
    size_t hdr = w->pos;

    w->pos += 4;
    while (body.left >= 4) {
        bool go;
        if (w->version == 9)
            go = options ? v9_options_template(w, &body) : v9_template(w, &body);
        else
            go = ipfix_template(w, &body, options, set_id);
        if (!go)
            break;
    }
    if (w->pos == hdr + 4) {            /* nothing survived: drop the set */
        w->pos = hdr;
        return;
    }
    sf_put16(w->out + hdr, options ? 3 : 2);
    sf_put16(w->out + hdr + 2, (uint16_t)(w->pos - hdr));
}

static void data_set(walk_t *w, uint16_t id, sf_cursor_t body)
{
    const sf_tmpl_t *t = g_hash_table_lookup(w->e->templates, SF_TKEY(w->domain, id));

    if (t == NULL) {
        sf_count(w->st, SF_C_SETS_NO_TEMPLATE, 1);
        /* Only where the domain never had a template (start-up, restart):
         * after a withdrawal, the id may come back meaning something
         * else, and those records must not be read with it. */
        if (!w->m->dom->had_template)
            sf_exporter_hold(w->e, w->m, id, body.p, body.left);
        return;
    }
    if (body.left < t->reclen) {
        /* shorter than one record: libfixbuf would end the whole message
         * here; drop just this set */
        sf_count(w->st, SF_C_ERR_SET_LENGTH, 1);
        return;
    }
    /* Records leave in wire order: once a set is left for libfixbuf (which
     * runs after this walk), the sets behind it are too, so an options
     * record still applies to the flows that follow it. */
    if (t->fast && !w->slow && !w->lim->fixbuf_only) {
        w->fast += sf_fb_fast_decode(w->m, t, body.p, body.left, w->sink, w->ctx, w->st);
        return;
    }
    w->slow = true;
    if (w->pos + 4 + body.left > SF_MSG_MAX) {
        sf_count(w->st, SF_C_ERR_TOO_LARGE, 1);
        return;
    }
    sf_put16(w->out + w->pos, id);
    sf_put16(w->out + w->pos + 2, (uint16_t)(body.left + 4));
    memcpy(w->out + w->pos + 4, body.p, body.left);
    w->pos += 4 + body.left;
}

size_t sf_sanitize(const sf_msg_t *m, const sf_limits_t *lim,
                   const uint8_t *sets, size_t len, uint8_t *out,
                   unsigned *fast_records, GArray *forget,
                   sf_flow_sink_fn sink, void *ctx, sf_stats_t *st)
{
    field_t fields[lim->max_fields ? lim->max_fields : 1];
    int version = m->version;
    g_array_set_size(forget, 0);
    walk_t w = { m, m->exp, lim, st, m->domain_id, version, out, SF_IPFIX_HDR,
                 fields, sink, ctx, forget, 0, false, 0, { 0 } };
    sf_cursor_t c = sf_cursor(sets, len);
    uint16_t tmpl_id = version == 9 ? 0 : 2, opt_id = version == 9 ? 1 : 3;

    while (c.left > 0) {
        uint16_t id, slen;
        sf_cursor_t body;

        if (c.left < 4 || !sf_cur_u16(&c, &id) || !sf_cur_u16(&c, &slen)) {
            sf_count(st, SF_C_ERR_SET_LENGTH, 1);   /* trailing bytes */
            break;
        }
        if (slen < 4 || !sf_cur_take(&c, (size_t)slen - 4, &body)) {
            sf_count(st, SF_C_ERR_SET_LENGTH, 1);
            break;
        }
        if (id == tmpl_id || id == opt_id)
            template_set(&w, body, id == opt_id, id);
        else if (id >= 256)
            data_set(&w, id, body);
        else
            sf_count(st, SF_C_ERR_SET_ID, 1);
    }
    *fast_records = w.fast;
    return w.pos;
}
