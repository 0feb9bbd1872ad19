/*
 * table.c - zeroed tables with their pages mapped at once (see table.h).
 */
#include "table.h"

#include <sys/mman.h>

void *sf_table_new0(gsize bytes)
{
#ifdef MAP_POPULATE
    void *p = mmap(NULL, MAX(bytes, 1), PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

    if (p == MAP_FAILED)
        g_error("table: failed to map %" G_GSIZE_FORMAT " bytes", bytes);
    return p;
#else
    return g_malloc0(bytes);
#endif
}

void sf_table_free(void *p, gsize bytes)
{
    if (p == NULL)
        return;
#ifdef MAP_POPULATE
    munmap(p, MAX(bytes, 1));
#else
    g_free(p);
#endif
}
