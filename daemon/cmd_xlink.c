/* cmd_xlink.c: `acdlink import-xlink`: the Xlink migration from a folder, in this process,
 * through the same code as POST /api/v1/xlink-imports, acting as the local administrator. */
#include "cmd_xlink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "platform/platform.h"
#include "store/store.h"
#include "xlink/ini.h"
#include "xlink/xlink.h"

struct folder {
    const char *dir;
    struct xlink_file files[XLINK_MAX_FILES];
    char *bufs[XLINK_MAX_FILES];
    char *names[XLINK_MAX_FILES];
    size_t n;
    char err[1200];
};

static int read_one(const char *name, void *ctx)
{
    struct folder *fo = ctx;
    char path[2048];
    if (fo->n == XLINK_MAX_FILES) {
        snprintf(fo->err, sizeof(fo->err), "%s: more than %d files; copy only the Xlink "
                 "configuration files into a folder of their own", fo->dir, XLINK_MAX_FILES);
        return ACDL_ETOOBIG;
    }
    snprintf(path, sizeof(path), "%s/%s", fo->dir, name);
    long long size = plat_file_size(path);
    if (size < 0 || size > INI_MAX_BYTES) {
        snprintf(fo->err, sizeof(fo->err), "%s: %s", path,
                 size < 0 ? "cannot be read" : "is larger than 4 MiB: not an Xlink file");
        return ACDL_ETOOBIG;
    }
    FILE *f = fopen(path, "rb");
    char *buf = malloc((size_t)size + 1);
    size_t got = f && buf ? fread(buf, 1, (size_t)size, f) : 0;
    if (f) {
        fclose(f);
    }
    if (!buf || got != (size_t)size) {
        free(buf);
        snprintf(fo->err, sizeof(fo->err), "%s: cannot be read", path);
        return ACDL_EIO;
    }
    fo->bufs[fo->n] = buf;
    fo->names[fo->n] = strdup(name);
    fo->files[fo->n].name = fo->names[fo->n] ? fo->names[fo->n] : "";
    fo->files[fo->n].data = buf;
    fo->files[fo->n].len = got;
    fo->n++;
    return ACDL_OK;
}

static const char *str(const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

/* One report line: file:line [section] key=value: status: detail. */
static void print_line(const json_t *it)
{
    const char *sec = json_string_value(json_object_get(it, "section"));
    const char *key = json_string_value(json_object_get(it, "key"));
    const char *val = json_string_value(json_object_get(it, "value"));
    json_t *line = json_object_get(it, "line");
    printf("  %s", str(it, "file"));
    if (line) {
        printf(":%lld", (long long)json_integer_value(line));
    }
    printf("%s%s%s%s%s%s%s: %s: %s\n", sec ? " [" : "", sec ? sec : "", sec ? "]" : "",
           key ? " " : "", key ? key : "", val ? "=" : "", val ? val : "", str(it, "status"),
           str(it, "detail"));
}

/* The members of an object as "k v, k v" (numbers and strings; objects by their members). */
static void print_members(const char *label, const json_t *o)
{
    const char *k;
    json_t *v;
    int first = 1;
    if (!json_is_object(o) || !json_object_size(o)) {
        return;
    }
    printf("      %s:", label);
    json_object_foreach((json_t *)o, k, v)
    {
        if (json_is_null(v) || json_is_object(v) || !strcmp(k, "sql")) {
            continue;
        }
        char *text = json_is_string(v) ? NULL : json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        printf("%s %s %s", first ? "" : ",", k, text ? text : json_string_value(v));
        free(text);
        first = 0;
    }
    printf("\n");
    const char *sql = json_string_value(json_object_get(o, "sql"));
    if (sql) {
        printf("      SQL: %s\n", sql);
    }
}

/* A source of a block with the configuration it is (or would be) made with. */
static void print_source(const json_t *src, int dry)
{
    int made = json_is_true(json_object_get(src, "made"));
    int on = json_is_true(json_object_get(src, "enabled"));
    int exists = json_is_true(json_object_get(src, "exists"));
    printf("    source '%s' (%s, %s): %s\n", str(src, "name"), str(src, "kind"),
           str(src, "product"),
           exists  ? "exists already, left as it is"
           : !made ? "not made"
           : dry   ? (on ? "would be created" : "would be created disabled")
                   : (on ? "created" : "created disabled"));
    json_t *set = json_object_get(src, "settings");
    if (!made || !set) {
        return;
    }
    printf("      time zone %s, %lld-minute intervals\n", str(set, "time_zone"),
           (long long)json_integer_value(json_object_get(set, "interval_minutes")));
    static const char *const parts[] = {"csv", "odbc", "columns", "metrics", "agent_states", NULL};
    for (const char *const *p = parts; *p; p++) {
        print_members(*p, json_object_get(set, *p));
    }
}

static void print_text(const json_t *report)
{
    size_t i, k;
    json_t *it, *b;
    int dry = json_is_true(json_object_get(report, "dry_run"));
    json_array_foreach(json_object_get(report, "files"), i, it)
    {
        printf("read %s (%s, %s line endings)\n", str(it, "name"), str(it, "encoding"),
               str(it, "line_endings"));
    }
    json_array_foreach(json_object_get(report, "sections"), i, b)
    {
        const char *sec = json_string_value(json_object_get(b, "section"));
        const char *summary = str(b, "summary");
        printf("\n%s%s%s%s", str(b, "file"), sec ? " [" : "", sec ? sec : "", sec ? "]" : "");
        if (json_object_get(b, "line")) {
            printf(" (line %lld)", (long long)json_integer_value(json_object_get(b, "line")));
        }
        printf(": %s%s%s\n", str(b, "outcome"), *summary ? ": " : "", summary);
        json_array_foreach(json_object_get(b, "sources"), k, it)
        {
            print_source(it, dry);
        }
        json_array_foreach(json_object_get(b, "todo"), k, it)
        {
            printf("    to do: %s\n", json_string_value(it));
        }
        json_array_foreach(json_object_get(b, "lines"), k, it)
        {
            print_line(it);
        }
        json_array_foreach(json_object_get(b, "notes"), k, it)
        {
            print_line(it);
        }
    }
    printf("\n");
    json_t *created = json_object_get(report, "created");
    const char *kind;
    json_t *names;
    json_object_foreach(created, kind, names)
    {
        json_array_foreach(names, i, it)
        {
            printf("%s %s: %s\n", dry ? "would create" : "created", kind, json_string_value(it));
        }
    }
    json_array_foreach(json_object_get(report, "existing"), i, it)
    {
        printf("exists already, left as it is: %s %s\n", str(it, "kind"), str(it, "key"));
    }
    json_array_foreach(json_object_get(report, "actions"), i, it)
    {
        printf("to do: %s\n", json_string_value(it));
    }
    json_t *s = json_object_get(report, "summary");
    printf("%lld converted, %lld skipped, %lld not convertible%s\n",
           (long long)json_integer_value(json_object_get(s, "converted")),
           (long long)json_integer_value(json_object_get(s, "skipped")),
           (long long)json_integer_value(json_object_get(s, "not_convertible")),
           dry ? " (dry run: nothing changed)" : "");
}

/* A dry run on a machine without a database yet: compared with an empty setup, in memory. */
static int open_empty(const struct acdl_config *cfg, struct app *app, char *err, size_t errsz)
{
    memset(app, 0, sizeof(*app));
    app->cfg = cfg;
    app->started_at = plat_now();
    return store_open(":memory:", 1, &app->store, err, errsz);
}

int cmd_import_xlink(const struct acdl_config *cfg, const char *dir, int dry_run,
                     const char *time_zone, int json)
{
    static struct folder fo;
    struct app app;
    struct auth_ctx actor;
    struct xlink_opts o = {time_zone, dry_run};
    json_t *report = NULL;
    char err[1400] = "";
    int code = 1;
    memset(&fo, 0, sizeof(fo));
    fo.dir = dir;
    int rc = plat_dir_files(dir, "*", read_one, &fo);
    if (rc != ACDL_OK) {
        fprintf(stderr, "acdlink: %s\n", fo.err[0] ? fo.err : "the folder cannot be read");
        code = 2;
        goto free_files;
    }
    char db[1100];
    snprintf(db, sizeof(db), "%s/acdlink.db", cfg->data_dir);
    int fresh = dry_run && !plat_path_exists(db);
    if ((fresh ? open_empty(cfg, &app, err, sizeof(err))
               : cli_app_open(cfg, &app, err, sizeof(err))) != ACDL_OK) {
        fprintf(stderr, "acdlink: %s\n", err);
        goto free_files;
    }
    if (fresh && !json) {
        printf("no database in %s yet: compared with an empty setup (nothing is written)\n",
               cfg->data_dir);
    }
    memset(&actor, 0, sizeof(actor));
    actor.kind = AUTH_TOKEN;
    snprintf(actor.name, sizeof(actor.name), "acdlink import-xlink");
    snprintf(actor.role, sizeof(actor.role), "admin");
    rc = xlink_import(&app, &actor, fo.files, fo.n, &o, &report, err, sizeof(err));
    if (report) {
        if (json) {
            json_dumpf(report, stdout, JSON_INDENT(2));
            printf("\n");
        } else {
            print_text(report);
        }
    }
    json_t *e = json_object_get(report, "error");
    if (rc == ACDL_EINVAL && !report) {
        fprintf(stderr, "acdlink: %s: %s\n", dir, err);
        code = 2;
    } else if (e) {
        fprintf(stderr, "acdlink: the API refused %s: %s\n",
                json_string_value(json_object_get(e, "path")),
                json_string_value(json_object_get(e, "message")));
    } else if (rc != ACDL_OK) {
        fprintf(stderr, "acdlink: %s\n", err[0] ? err : acdl_strerror(rc));
    } else {
        code = 0;
    }
    json_decref(report);
    cli_app_close(&app);
free_files:
    for (size_t i = 0; i < fo.n; i++) {
        free(fo.bufs[i]);
        free(fo.names[i]);
    }
    return code;
}
