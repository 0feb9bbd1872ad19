/*
 * table.c - zeroed tables with their pages mapped at once (see table.h).
 *
 * A table of at least one huge page (2 MiB) is mapped at a huge page's
 * boundary, in whole huge pages, and marked MADV_HUGEPAGE before its pages
 * are touched: where transparent huge pages are on ("always" or
 * "madvise"), the kernel backs it with 2 MiB pages, and a lookup at a
 * random place costs one TLB entry of 512 fewer.  Where they are off, or
 * none is free, the same calls give ordinary pages.
 */
#include "table.h"

#include <stdint.h>
#include <sys/mman.h>

#define HUGE_PAGE ((gsize)2 << 20)

#ifdef MAP_POPULATE

/* What a table of `bytes` maps: whole huge pages when it fills one. */
static gsize mapped_bytes(gsize bytes)
{
    bytes = MAX(bytes, 1);
    return bytes >= HUGE_PAGE ? (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1)
                              : bytes;
}

/* n bytes (whole huge pages) at a huge page's boundary, zeroed, resident,
 * with huge pages where the kernel gives them. */
static void *map_huge(gsize n)
{
    guint8 *raw = mmap(NULL, n + HUGE_PAGE, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (raw == MAP_FAILED)
        return NULL;

    guint8 *p = (guint8 *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));

    if (p > raw)
        munmap(raw, (gsize)(p - raw));
    if (raw + HUGE_PAGE > p)
        munmap(p + n, (gsize)(raw + HUGE_PAGE - p));
#ifdef MADV_HUGEPAGE
    madvise(p, n, MADV_HUGEPAGE);
#endif
#ifdef MADV_POPULATE_WRITE
    if (madvise(p, n, MADV_POPULATE_WRITE) == 0)
        return p;
#endif
    for (gsize i = 0; i < n; i += 4096)    /* older kernels: touch them */
        ((volatile guint8 *)p)[i] = 0;
    return p;
}

void *sf_table_new0(gsize bytes)
{
    gsize n = mapped_bytes(bytes);
    void *p = n >= HUGE_PAGE ? map_huge(n)
                             : mmap(NULL, n, PROT_READ | PROT_WRITE,
                                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                                    -1, 0);

    if (p == NULL || p == MAP_FAILED)
        g_error("table: failed to map %" G_GSIZE_FORMAT " bytes", bytes);
    return p;
}

void sf_table_free(void *p, gsize bytes)
{
    if (p != NULL)
        munmap(p, mapped_bytes(bytes));
}

#else

void *sf_table_new0(gsize bytes)
{
    return g_malloc0(bytes);
}

void sf_table_free(void *p, gsize bytes)
{
    (void)bytes;
    g_free(p);
}

#endif
