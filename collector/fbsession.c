/*
 * fbsession.c - libfixbuf as the decoder of NetFlow v9 and IPFIX records:
 * the information model, one fixbuf session per exporter, and reading a
 * sanitized message with fBufNext().
 *
 * One internal template (sf_fbrec_spec, fbrecord.h) covers every element
 * scanflow reads; fixbuf copies each external record into struct fbrec,
 * expanding reduced-size integers (RFC 7011 section 6.2) and zero-filling
 * what the template lacks.  When fixbuf reports a new template, the
 * new-template callback works out which elements it has and keeps that
 * as the template's context.  Templates whose fields all have a fixed
 * length are read by fbfast.c instead; fixbuf still receives them and
 * stays the authority on sessions.
 */
#include "fbrecord.h"

#include <string.h>

/* Elements scanflow adds to fixbuf's model.  Integers need FB_IE_F_ENDIAN,
 * or fixbuf copies their bytes unconverted (network order). */
static fbInfoElement_t extra_ies[] = {
    FB_IE_INIT_FULL("scanflowOpaque", SF_PEN, SF_IE_OPAQUE, FB_IE_VARLEN,
                    FB_IE_DEFAULT, 0, 0, FB_OCTET_ARRAY, NULL),
    FB_IE_INIT_FULL("scanflowNselExtEvent", SF_PEN, SF_IE_NSEL_EXT_EVENT, 2,
                    FB_IE_F_ENDIAN | FB_IE_IDENTIFIER, 0, 0, FB_UINT_16, NULL),
    FB_IE_INIT_FULL("scanflowNselFwEvent84", SF_PEN, SF_IE_NSEL_FW_EVENT84, 1,
                    FB_IE_F_ENDIAN | FB_IE_IDENTIFIER, 0, 0, FB_UINT_8, NULL),
    FB_IE_INIT_FULL("scanflowForwardingStatus32", SF_PEN, SF_IE_FWD_STATUS32, 4,
                    FB_IE_F_ENDIAN | FB_IE_IDENTIFIER, 0, 0, FB_UINT_32, NULL),
    FB_IE_NULL
};

#define SF_INTERNAL_TID 0xF100

static fbInfoModel_t *model;

void sf_fb_global_init(void)
{
    if (model)
        return;
    model = fbInfoModelAlloc();
    fbInfoModelAddElementArray(model, extra_ies);
    sf_fbrec_init(model);
}

static void tctx_free(void *tmpl_ctx, void *app_ctx)
{
    g_free(tmpl_ctx);
}

static void tctx_build(fbSession_t *session, uint16_t tid, fbTemplate_t *tmpl,
                       void *app_ctx, void **tmpl_ctx,
                       fbTemplateCtxFree_fn *free_fn)
{
    tctx_t *t = g_new0(tctx_t, 1);
    uint32_t n = fbTemplateCountElements(tmpl);

    for (uint32_t i = 0; i < n; i++) {
        const fbInfoElement_t *ie = fbTemplateGetIndexedIE(tmpl, i);
        int k = sf_fbrec_index(ie->ent, ie->num);
        if (k >= 0)
            t->mask |= UINT64_C(1) << k;
    }
    sf_fbrec_tmpl_finish(t, fbTemplateGetOptionsScope(tmpl) > 0);
    *tmpl_ctx = t;
    *free_fn = tctx_free;
}

gboolean sf_fb_exporter_init(sf_exporter_t *e, GError **err)
{
    fbTemplate_t *tmpl = NULL;

    e->session = fbSessionAlloc(model);
    fbSessionAddNewTemplateCallback(e->session, tctx_build, e);
    tmpl = fbTemplateAlloc(model);
    if (!fbTemplateAppendSpecArray(tmpl, sf_fbrec_spec, 0, err))
        goto err;
    if (!fbSessionAddTemplate(e->session, TRUE, SF_INTERNAL_TID, tmpl, err))
        goto err;
    tmpl = NULL;
    e->fbuf = fBufAllocForCollection(e->session, NULL);
    fBufSetAutomaticMode(e->fbuf, FALSE);
    if (!fBufSetInternalTemplate(e->fbuf, SF_INTERNAL_TID, err))
        goto err;
    return TRUE;
err:
    if (tmpl)
        fbTemplateFreeUnused(tmpl);
    sf_fb_exporter_clear(e);
    return FALSE;
}

void sf_fb_exporter_clear(sf_exporter_t *e)
{
    if (e->fbuf)
        fBufFree(e->fbuf);          /* frees the session too */
    else if (e->session)
        fbSessionFree(e->session);
    e->fbuf = NULL;
    e->session = NULL;
}

void sf_fb_forget_template(sf_exporter_t *e, uint32_t domain, uint16_t tid)
{
    uint32_t saved = fbSessionGetDomain(e->session);

    fbSessionSetDomain(e->session, domain);
    fbSessionRemoveTemplate(e->session, FALSE, tid, NULL);
    fbSessionSetDomain(e->session, saved);
}

/* fixbuf keeps a template record's elements as sent: (ent, num) name the
 * model's element (an alien one is added for unknown ones) and the length
 * is the record's own, so comparing them with the clean record is exact.
 * fbSessionSetDomain() keeps each domain's sequence number and is undone
 * below; fixbuf sets the domain from each message header anyway. */
bool sf_fb_holds_template(sf_exporter_t *e, uint32_t domain, uint16_t tid,
                          const sf_field_t *fields, unsigned n, unsigned scope)
{
    uint32_t saved = fbSessionGetDomain(e->session);
    fbTemplate_t *t;
    bool same;

    fbSessionSetDomain(e->session, domain);
    t = fbSessionGetTemplate(e->session, FALSE, tid, NULL);
    same = t != NULL && fbTemplateGetContext(t) != NULL &&
           fbTemplateCountElements(t) == n &&
           fbTemplateGetOptionsScope(t) == scope;
    for (unsigned i = 0; same && i < n; i++) {
        const fbInfoElement_t *ie = fbTemplateGetIndexedIE(t, i);
        same = ie != NULL && ie->ent == fields[i].ent &&
               ie->num == fields[i].num && ie->len == fields[i].len;
    }
    fbSessionSetDomain(e->session, saved);
    return same;
}

/* One record of the libfixbuf path: options update the domain, flows go
 * out. */
static void record_out(const sf_msg_t *m, const struct fbrec *rec, const tctx_t *t,
                       sf_flow_sink_fn sink, void *ctx, sf_stats_t *st)
{
    if (t->options) {
        sf_count(st, SF_C_OPTIONS_RECORDS, 1);
        sf_fbrec_options(m, rec, t);
        return;
    }
    sf_count(st, SF_C_RECORDS, 1);
    sf_count(st, SF_C_BIFLOW_REVERSE, sf_fbrec_flow_out(m, rec, t, sink, ctx));
}

unsigned sf_fb_decode(const sf_msg_t *m, uint8_t *buf, size_t len,
                      sf_flow_sink_fn sink, void *ctx, sf_stats_t *st)
{
    fBuf_t *fbuf = m->exp->fbuf;
    struct fbrec rec;
    unsigned records = 0;
    GError *err = NULL;

    fBufSetBuffer(fbuf, buf, len);
    for (;;) {
        uint16_t tid;
        fbTemplate_t *tmpl = fBufNextCollectionTemplate(fbuf, &tid, &err);
        size_t rlen = sizeof rec;

        if (tmpl == NULL || fbTemplateGetContext(tmpl) == NULL ||
            !fBufNext(fbuf, (uint8_t *)&rec, &rlen, &err))
            break;
        /* fBufNext can step over a set's padding to a later data set; a
         * template set in between may replace (and free) the template
         * peeked above when it reuses its id.  Use the one really read. */
        tmpl = fBufGetCollectionTemplate(fbuf, &tid);
        const tctx_t *t = tmpl ? fbTemplateGetContext(tmpl) : NULL;
        if (t == NULL)
            break;
        records++;
        record_out(m, &rec, t, sink, ctx, st);
    }
    if (err != NULL) {
        if (!g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_EOM) &&
            !g_error_matches(err, FB_ERROR_DOMAIN, FB_ERROR_BUFSZ))
            sf_count(st, SF_C_ERR_RECORD, 1);
        g_clear_error(&err);
    }
    return records;
}
