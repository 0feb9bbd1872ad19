/*
 * scanflow.c - the operator's tool: dispatches to its commands, one file
 * each: decode.c, hunt.c, replay.c, watch.c, top.c and statscmd.c.
 */
#include "decode.h"
#include "hunt.h"
#include "replay.h"
#include "statscmd.h"
#include "top.h"
#include "watch.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *help;
} commands[] = {
    { "decode", sf_cmd_decode, "decode captures or raw export files to JSON or CSV" },
    { "hunt", sf_cmd_hunt, "run the scan detection over stored flows (captures, nfdump)" },
    { "replay", sf_cmd_replay, "send export captures to a collector over UDP" },
    { "watch", sf_cmd_watch, "print alerts as they are published" },
    { "top", sf_cmd_top, "list the sources with the highest fan-out now" },
    { "stats", sf_cmd_stats, "print a running scanflowd's metrics (--metrics)" },
};

static int usage(FILE *out)
{
    fprintf(out, "usage: scanflow COMMAND [OPTIONS...]\n\ncommands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].help);
    fprintf(out, "\n'scanflow COMMAND --help' describes a command's options.\n");
    return out == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage(stderr);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help"))
        return usage(stdout);
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "scanflow: unknown command '%s'\n", argv[1]);
    return usage(stderr);
}
