/*
 * table.h - zeroed tables of megabytes, with their pages mapped at once.
 *
 * The correlator's fixed tables (probation, seen elements) are written at
 * random places from their first flushes on, so within seconds every page
 * of them is touched.  Left to first touch, each 4 KiB page costs a page
 * fault on the Redis thread (several microseconds each on a virtual
 * machine); mapped at allocation (MAP_POPULATE), the kernel maps and
 * zeroes them in one call.  The memory is then resident from the start,
 * as it would be after the first busy seconds anyway.
 */
#ifndef SF_TABLE_H
#define SF_TABLE_H

#include <glib.h>

/* bytes of zeroes, resident; never NULL (aborts as g_malloc does). */
void *sf_table_new0(gsize bytes);
void sf_table_free(void *p, gsize bytes);

#endif
