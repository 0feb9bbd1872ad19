/*
 * conffile.c - the configuration file as option arguments.
 *
 * Why arguments rather than a second way of setting fields: GOptionContext
 * stays the one parser and the one place where an option's type and
 * storage are declared, so an option added to an entry table is a key of
 * the file with no further work, and a value is checked the same way
 * whether it came from the file or the command line.  What the file can
 * get wrong that the parser would report without naming the file (an
 * unknown key, "maybe" for a flag, "3OO" for a number) is checked here.
 */
#include "conffile.h"

#include <errno.h>
#include <string.h>

struct sf_conffile {
    char       *path;
    GPtrArray  *args;           /* owned strings: argv[0], file, command line */
    char      **argv;           /* shallow copy handed to the parser */
    GHashTable *from_file;      /* long name -> "[group] key=value" */
};

/* Keys that make no sense in the file itself. */
static gboolean command_line_only(const char *name)
{
    return strcmp(name, "config") == 0 || strcmp(name, "check-config") == 0;
}

const char *sf_conffile_find(int argc, char **argv, char short_name)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if ((strcmp(argv[i], "--config") == 0 ||
             (short_name && argv[i][0] == '-' && argv[i][1] == short_name &&
              argv[i][2] == '\0')) && i + 1 < argc)
            return argv[i + 1];
        if (g_str_has_prefix(argv[i], "--config="))
            return argv[i] + strlen("--config=");
    }
    return NULL;
}

static const GOptionEntry *find_entry(const sf_conf_group_t *g, const char *key)
{
    for (const GOptionEntry *e = g->entries; e->long_name; e++)
        if (strcmp(e->long_name, key) == 0 && !command_line_only(key))
            return e;
    return NULL;
}

/* Whether the command line sets option e (long or short form). */
static gboolean on_command_line(const GOptionEntry *e, int argc, char **argv)
{
    size_t n = strlen(e->long_name);

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (a[0] == '-' && a[1] == '-' && strncmp(a + 2, e->long_name, n) == 0
            && (a[2 + n] == '\0' || a[2 + n] == '='))
            return TRUE;
        if (e->short_name && a[0] == '-' && a[1] == e->short_name)
            return TRUE;
    }
    return FALSE;
}

static gboolean bad(GError **err, const sf_conffile_t *cf, const char *group,
                    const char *key, const char *value, const char *why)
{
    g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                "%s: [%s] %s=%s: %s", cf->path, group, key,
                value ? value : "", why);
    return FALSE;
}

/* Checks that the text is what the option's type needs, before the
 * parser sees it without knowing it came from the file. */
static gboolean check_value(const sf_conffile_t *cf, const char *group,
                            const GOptionEntry *e, const char *v, GError **err)
{
    char *end = NULL;

    switch (e->arg) {
    case G_OPTION_ARG_INT:
        errno = 0;
        gint64 n = g_ascii_strtoll(v, &end, 10);
        if (*v == '\0' || *end != '\0' || errno || n < G_MININT || n > G_MAXINT)
            return bad(err, cf, group, e->long_name, v, "not an integer");
        return TRUE;
    case G_OPTION_ARG_INT64:
        errno = 0;
        g_ascii_strtoll(v, &end, 10);
        if (*v == '\0' || *end != '\0' || errno)
            return bad(err, cf, group, e->long_name, v, "not an integer");
        return TRUE;
    case G_OPTION_ARG_DOUBLE:
        errno = 0;
        g_ascii_strtod(v, &end);
        if (*v == '\0' || *end != '\0' || errno)
            return bad(err, cf, group, e->long_name, v, "not a number");
        return TRUE;
    default:
        return TRUE;
    }
}

static void add_arg(sf_conffile_t *cf, const GOptionEntry *e, const char *v)
{
    g_ptr_array_add(cf->args, v ? g_strdup_printf("--%s=%s", e->long_name, v)
                                : g_strdup_printf("--%s", e->long_name));
}

static gboolean add_key(sf_conffile_t *cf, GKeyFile *kf, const char *group,
                        const GOptionEntry *e, int argc, char **argv,
                        GError **err)
{
    g_autoptr(GError) e2 = NULL;
    g_autofree char *raw = g_key_file_get_value(kf, group, e->long_name, NULL);

    switch (e->arg) {
    case G_OPTION_ARG_NONE: {
        gboolean on = g_key_file_get_boolean(kf, group, e->long_name, &e2);
        if (e2)
            return bad(err, cf, group, e->long_name, raw, "expected true or false");
        if (on)
            add_arg(cf, e, NULL);
        return TRUE;
    }
    case G_OPTION_ARG_STRING_ARRAY:
    case G_OPTION_ARG_FILENAME_ARRAY: {
        g_auto(GStrv) list = g_key_file_get_string_list(kf, group, e->long_name,
                                                        NULL, &e2);
        if (e2)
            return bad(err, cf, group, e->long_name, raw, e2->message);
        if (on_command_line(e, argc, argv))
            return TRUE;        /* the command line's list replaces it */
        for (char **s = list; s && *s; s++) {
            g_strstrip(*s);
            if (**s)
                add_arg(cf, e, *s);
        }
        return TRUE;
    }
    default: {
        g_autofree char *v = g_key_file_get_string(kf, group, e->long_name, &e2);
        if (e2)
            return bad(err, cf, group, e->long_name, raw, e2->message);
        g_strstrip(v);
        if (!check_value(cf, group, e, v, err))
            return FALSE;
        add_arg(cf, e, v);
        return TRUE;
    }
    }
}

static gboolean load_groups(sf_conffile_t *cf, GKeyFile *kf,
                            const sf_conf_group_t *groups, guint n_groups,
                            int argc, char **argv, GError **err)
{
    g_auto(GStrv) names = g_key_file_get_groups(kf, NULL);

    for (char **g = names; *g; g++) {
        const sf_conf_group_t *grp = NULL;
        for (guint i = 0; i < n_groups && grp == NULL; i++)
            if (strcmp(groups[i].name, *g) == 0)
                grp = &groups[i];
        if (grp == NULL) {
            g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "%s: unknown group [%s] (known: [collector], [correlate])",
                        cf->path, *g);
            return FALSE;
        }
        if (grp->entries == NULL)
            continue;           /* another program's group: not read */
        g_auto(GStrv) keys = g_key_file_get_keys(kf, *g, NULL, NULL);
        for (char **k = keys; k && *k; k++) {
            const GOptionEntry *e = find_entry(grp, *k);
            if (e == NULL && grp->some)
                continue;       /* another program's key: not read */
            if (e == NULL) {
                g_autofree char *v = g_key_file_get_value(kf, *g, *k, NULL);
                return bad(err, cf, *g, *k, v, "unknown key");
            }
            if (!add_key(cf, kf, *g, e, argc, argv, err))
                return FALSE;
            if (on_command_line(e, argc, argv))
                continue;       /* errors about it are about the command line */
            g_autofree char *v = g_key_file_get_value(kf, *g, *k, NULL);
            g_autofree char *masked = sf_conffile_mask_url(v ? v : "");
            g_hash_table_insert(cf->from_file, (gpointer)e->long_name,
                                g_strdup_printf("[%s] %s=%s", *g, *k, masked));
        }
    }
    return TRUE;
}

sf_conffile_t *sf_conffile_load(const char *path, const sf_conf_group_t *groups,
                                guint n_groups, int argc, char **argv,
                                GError **err)
{
    sf_conffile_t *cf = g_new0(sf_conffile_t, 1);
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autoptr(GError) e = NULL;

    cf->path = g_strdup(path);
    cf->args = g_ptr_array_new_with_free_func(g_free);
    cf->from_file = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
    g_ptr_array_add(cf->args, g_strdup(argc > 0 ? argv[0] : "scanflowd"));
    if (path) {
        if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &e)) {
            g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--config %s: %s", path, e->message);
            goto err;
        }
        if (!load_groups(cf, kf, groups, n_groups, argc, argv, err))
            goto err;
    }
    for (int i = 1; i < argc; i++)
        g_ptr_array_add(cf->args, g_strdup(argv[i]));
    return cf;
err:
    sf_conffile_free(cf);
    return NULL;
}

void sf_conffile_free(sf_conffile_t *cf)
{
    if (cf == NULL)
        return;
    g_free(cf->path);
    g_ptr_array_unref(cf->args);
    g_free(cf->argv);
    g_hash_table_unref(cf->from_file);
    g_free(cf);
}

char **sf_conffile_argv(sf_conffile_t *cf, int *argc)
{
    g_free(cf->argv);
    cf->argv = g_new0(char *, cf->args->len + 1);
    memcpy(cf->argv, cf->args->pdata, cf->args->len * sizeof(char *));
    *argc = (int)cf->args->len;
    return cf->argv;
}

void sf_conffile_annotate(const sf_conffile_t *cf, GError *err)
{
    const char *m;
    size_t n;

    if (cf == NULL || cf->path == NULL || err == NULL)
        return;
    m = err->message;
    if (!g_str_has_prefix(m, "--"))
        m = strstr(m, " --");       /* GLib: "Cannot parse ... for --KEY" */
    if (m == NULL)
        return;
    m += m[0] == ' ' ? 3 : 2;
    n = strcspn(m, " :=");
    g_autofree char *key = g_strndup(m, n);
    const char *where = g_hash_table_lookup(cf->from_file, key);
    if (where == NULL)
        return;
    char *old = err->message;
    err->message = g_strdup_printf("%s (%s: %s)", old, cf->path, where);
    g_free(old);
}

/* The userinfo ends at the last '@' before the first '/' after "://", as
 * redisurl.c parses it (and redis-py's urlsplit), so a password holding
 * an '@' is masked whole. */
char *sf_conffile_mask_url(const char *url)
{
    const char *scheme = strstr(url, "://");
    const char *host = NULL, *colon, *end;

    if (scheme == NULL)
        return g_strdup(url);
    scheme += 3;
    end = scheme + strcspn(scheme, "/");
    for (const char *a = scheme; a < end; a++)
        if (*a == '@')
            host = a;
    if (host == NULL)
        return g_strdup(url);
    colon = memchr(scheme, ':', (size_t)(host - scheme));
    if (colon == NULL)
        return g_strdup(url);
    return g_strdup_printf("%.*s***%s", (int)(colon + 1 - url), url, host);
}

static void print_value(const GOptionEntry *e, FILE *out)
{
    switch (e->arg) {
    case G_OPTION_ARG_NONE:
        fprintf(out, "%s=%s\n", e->long_name,
                *(gboolean *)e->arg_data ? "true" : "false");
        break;
    case G_OPTION_ARG_INT:
        fprintf(out, "%s=%d\n", e->long_name, *(gint *)e->arg_data);
        break;
    case G_OPTION_ARG_INT64:
        fprintf(out, "%s=%" G_GINT64_FORMAT "\n", e->long_name,
                *(gint64 *)e->arg_data);
        break;
    case G_OPTION_ARG_DOUBLE: {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        fprintf(out, "%s=%s\n", e->long_name,
                g_ascii_dtostr(buf, sizeof buf, *(gdouble *)e->arg_data));
        break;
    }
    case G_OPTION_ARG_STRING:
    case G_OPTION_ARG_FILENAME: {
        const char *s = *(char **)e->arg_data;
        g_autofree char *masked = s ? sf_conffile_mask_url(s) : NULL;
        if (s)
            fprintf(out, "%s=%s\n", e->long_name, masked);
        else
            fprintf(out, "#%s=  (not set: default)\n", e->long_name);
        break;
    }
    case G_OPTION_ARG_STRING_ARRAY:
    case G_OPTION_ARG_FILENAME_ARRAY: {
        char **v = *(char ***)e->arg_data;
        if (v == NULL || v[0] == NULL) {
            fprintf(out, "#%s=  (not set)\n", e->long_name);
            break;
        }
        fprintf(out, "%s=", e->long_name);
        for (; *v; v++) {
            g_autofree char *masked = sf_conffile_mask_url(*v);
            fprintf(out, "%s;", masked);
        }
        fputc('\n', out);
        break;
    }
    default:
        break;
    }
}

void sf_conffile_print(const sf_conf_group_t *groups, guint n_groups, FILE *out)
{
    for (guint i = 0; i < n_groups; i++) {
        if (groups[i].entries == NULL)
            continue;
        fprintf(out, "%s[%s]\n", i ? "\n" : "", groups[i].name);
        for (const GOptionEntry *e = groups[i].entries; e->long_name; e++)
            if (!command_line_only(e->long_name) && e->arg_data)
                print_value(e, out);
    }
}
