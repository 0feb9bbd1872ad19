/*
 * watch.h - `scanflow watch`: print alerts as they are published.
 */
#ifndef SF_WATCH_H
#define SF_WATCH_H

/* The Redis of watch and top without --redis. */
#define SF_WATCH_DEFAULT_REDIS "redis://127.0.0.1:6379/0"

int sf_cmd_watch(int argc, char **argv);

#endif
