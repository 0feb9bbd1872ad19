/* stats.c - names and printing of the collector's counters. */
#include "stats.h"

static const char *const names[SF_C_COUNT] = {
#define SF_X(id, name) name,
    SF_COUNTERS(SF_X)
#undef SF_X
};

const char *sf_counter_name(sf_counter_t id)
{
    return id < SF_C_COUNT ? names[id] : "unknown";
}

void sf_stats_print(const sf_stats_t *s, FILE *out, int all)
{
    for (int i = 0; i < SF_C_COUNT; i++)
        if (all || s->c[i] != 0)
            fprintf(out, "%-36s %llu\n", names[i], (unsigned long long)s->c[i]);
}
