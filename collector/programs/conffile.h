/*
 * conffile.h - scanflowd's configuration file (GKeyFile INI, --config).
 *
 * Every command-line option is a key, named as the long option, in the
 * group of its option entries: [collector] for the daemon's own options,
 * [correlate] for the correlator's.  Repeatable options are lists
 * (key=a;b).  The file becomes option arguments placed before the real
 * command line, so one parser (GOptionContext) checks both and the
 * command line wins: a later scalar replaces the file's, and a repeatable
 * option given on the command line replaces the file's whole list.
 */
#ifndef SF_CONFFILE_H
#define SF_CONFFILE_H

#include <glib.h>
#include <stdio.h>

typedef struct sf_conf_group {
    const char         *name;       /* INI group */
    const GOptionEntry *entries;    /* NULL-terminated; arg_data is read
                                     * by sf_conffile_print().  NULL: a
                                     * group of another program (scanflow
                                     * hunt reads scanflowd's file), its
                                     * keys not read */
    gboolean            some;       /* entries are some of the group's
                                     * keys (another program's group):
                                     * the others are not read */
} sf_conf_group_t;

typedef struct sf_conffile sf_conffile_t;

/* The value of --config FILE or --config=FILE in argv (and of -X FILE
 * when short_name X is not 0), or NULL. */
const char *sf_conffile_find(int argc, char **argv, char short_name);

/* Reads path (NULL: no file) and checks every group and key against the
 * entries: unknown ones, and values that are no boolean, integer or
 * number where one is needed, fail with one line naming the file, the key
 * and the value.  Options never read from a file: config, check-config. */
sf_conffile_t *sf_conffile_load(const char *path, const sf_conf_group_t *groups,
                                guint n_groups, int argc, char **argv,
                                GError **err);
void sf_conffile_free(sf_conffile_t *cf);

/* argv for g_option_context_parse(): argv[0], the file's options, then
 * argv[1..].  The array belongs to cf (the parser may reorder it). */
char **sf_conffile_argv(sf_conffile_t *cf, int *argc);

/* When err is about an option ("--KEY ...") whose value came from the
 * file, appends where and what: " (FILE: [GROUP] KEY=VALUE)". */
void sf_conffile_annotate(const sf_conffile_t *cf, GError *err);

/* Prints the effective configuration, read from the entries' storage, as
 * an INI file that --config accepts; URL passwords are masked. */
void sf_conffile_print(const sf_conf_group_t *groups, guint n_groups, FILE *out);

/* "redis://user:***@host" for "redis://user:secret@host"; a new string. */
char *sf_conffile_mask_url(const char *url);

#endif
