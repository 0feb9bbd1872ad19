/*
 * statscmd.h - `scanflow stats`, a running scanflowd's metrics for a person.
 */
#ifndef SF_STATSCMD_H
#define SF_STATSCMD_H

int sf_cmd_stats(int argc, char **argv);

#endif
