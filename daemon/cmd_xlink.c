/* cmd_xlink.c: `acdlink import-xlink`: the Xlink migration from a folder, in this process,
 * through the same code as POST /api/v1/xlink-imports, acting as the local administrator. */
#include "cmd_xlink.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "platform/platform.h"
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

static void print_text(const json_t *report)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(report, "files"), i, it)
    {
        printf("read %s (%s, %s line endings)\n", json_string_value(json_object_get(it, "name")),
               json_string_value(json_object_get(it, "encoding")),
               json_string_value(json_object_get(it, "line_endings")));
    }
    json_array_foreach(json_object_get(report, "items"), i, it)
    {
        const char *sec = json_string_value(json_object_get(it, "section"));
        const char *key = json_string_value(json_object_get(it, "key"));
        const char *val = json_string_value(json_object_get(it, "value"));
        json_t *line = json_object_get(it, "line");
        printf("%s", json_string_value(json_object_get(it, "file")));
        if (line) {
            printf(":%lld", (long long)json_integer_value(line));
        }
        printf("%s%s%s%s%s%s%s: %s: %s\n", sec ? " [" : "", sec ? sec : "", sec ? "]" : "",
               key ? " " : "", key ? key : "", val ? "=" : "", val ? val : "",
               json_string_value(json_object_get(it, "status")),
               json_string_value(json_object_get(it, "detail")));
    }
    json_t *created = json_object_get(report, "created");
    const char *kind;
    json_t *names;
    int dry = json_is_true(json_object_get(report, "dry_run"));
    json_object_foreach(created, kind, names)
    {
        json_array_foreach(names, i, it)
        {
            printf("%s %s: %s\n", dry ? "would create" : "created", kind, json_string_value(it));
        }
    }
    json_array_foreach(json_object_get(report, "existing"), i, it)
    {
        printf("exists already, left as it is: %s %s\n",
               json_string_value(json_object_get(it, "kind")),
               json_string_value(json_object_get(it, "key")));
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
    if (cli_app_open(cfg, &app, err, sizeof(err)) != ACDL_OK) {
        fprintf(stderr, "acdlink: %s\n", err);
        goto free_files;
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
