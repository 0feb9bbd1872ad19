/*
 * hugemem.h - zeroed tables of megabytes, on huge pages where the kernel
 * gives them.
 *
 * The correlator's tables (the aggregate's source table, bodies and
 * element pool, probation's entries) are read at random, once or twice
 * per flow.  On 4 KiB pages each such read of a table larger than the
 * TLB's reach (about 8 MiB) also misses the TLB and walks the page
 * tables; on 2 MiB pages a 24 MiB table takes 12 TLB entries.  With
 * transparent huge pages in "madvise" mode (Debian's default) the kernel
 * gives them only to ranges that ask.  Where it does not, this is plain
 * anonymous memory: zeroed, touched page by page as used.
 */
#ifndef SF_HUGEMEM_H
#define SF_HUGEMEM_H

#include <glib.h>
#include <sys/mman.h>

#define SF_HUGE_PAGE (2u << 20)

/* n elements of size bytes, zeroed; aborts when out of memory, as
 * g_new0 does.  Free with sf_huge_free(p, n, size). */
static inline void *sf_huge_new0(gsize n, gsize size)
{
    gsize bytes = n * size;
    void *p;

    if (size != 0 && n > G_MAXSIZE / size)
        g_error("out of memory: %" G_GSIZE_FORMAT " x %" G_GSIZE_FORMAT " bytes", n, size);
    p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

    if (p == MAP_FAILED)
        g_error("out of memory: %" G_GSIZE_FORMAT " bytes", bytes);
#ifdef MADV_HUGEPAGE
    if (bytes >= SF_HUGE_PAGE)
        (void)madvise(p, bytes, MADV_HUGEPAGE);
#endif
    return p;
}

static inline void sf_huge_free(void *p, gsize n, gsize size)
{
    if (p != NULL)
        munmap(p, n * size);
}

#endif
