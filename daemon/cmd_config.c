/* cmd_config.c: `acdlink config export|apply` in this process, through the same route
 * handlers as the API, acting as the local administrator. */
#include "cmd_config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "http/setup.h"

/* The actor of command-line changes: whoever may open the data folder controls it anyway. */
static void cli_actor(struct auth_ctx *a, const char *what)
{
    memset(a, 0, sizeof(*a));
    a->kind = AUTH_TOKEN;
    snprintf(a->name, sizeof(a->name), "%s", what);
    snprintf(a->role, sizeof(a->role), "admin");
}

int cmd_config_export(const struct acdl_config *cfg, const char *output)
{
    struct app app;
    struct auth_ctx actor;
    char err[1400] = "";
    json_t *doc = NULL;
    int code = 1;
    if (cli_app_open(cfg, &app, err, sizeof(err)) != ACDL_OK) {
        fprintf(stderr, "acdlink: %s\n", err);
        return 1;
    }
    cli_actor(&actor, "acdlink config export");
    if (setup_export(&app, &actor, &doc, err, sizeof(err)) != ACDL_OK) {
        fprintf(stderr, "acdlink: export failed: %s\n", err);
        goto out;
    }
    size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER;
    if (!output || !strcmp(output, "-")) {
        code = json_dumpf(doc, stdout, flags) == 0 && fputc('\n', stdout) != EOF ? 0 : 1;
    } else {
        char tmp[1100];
        snprintf(tmp, sizeof(tmp), "%s.tmp", output);
        if (json_dump_file(doc, tmp, flags) == 0 && rename(tmp, output) == 0) {
            code = 0;
            fprintf(stderr, "acdlink: setup written to %s\n", output);
        } else {
            remove(tmp);
            fprintf(stderr, "acdlink: cannot write %s\n", output);
        }
    }
out:
    json_decref(doc);
    cli_app_close(&app);
    return code;
}

static void print_report(const json_t *report)
{
    size_t i;
    json_t *c;
    int dry = json_is_true(json_object_get(report, "dry_run"));
    json_array_foreach(json_object_get(report, "changes"), i, c)
    {
        printf("%s%-6s %-12s %s", dry ? "would " : "",
               json_string_value(json_object_get(c, "action")),
               json_string_value(json_object_get(c, "kind")),
               json_string_value(json_object_get(c, "key")));
        json_t *fields = json_object_get(c, "fields"), *f;
        size_t j;
        json_array_foreach(fields, j, f)
        {
            printf("%s%s", j ? ", " : " (", json_string_value(f));
        }
        printf("%s", json_array_size(fields) ? ")" : "");
        /* what a pruned source or WFM queue takes with it: the counts that are not 0 */
        const char *name;
        json_t *n;
        int any = 0;
        json_object_foreach(json_object_get(c, "consequences"), name, n)
        {
            if (json_integer_value(n) > 0) {
                printf("%s%s %lld", any++ ? ", " : " with ", name,
                       (long long)json_integer_value(n));
            }
        }
        printf("%s\n", json_is_true(json_object_get(c, "needs_cascade"))
                           ? " (refused without --cascade)"
                           : "");
    }
    printf("%zu change(s)%s, %lld unchanged\n", json_array_size(json_object_get(report, "changes")),
           dry ? " planned (dry run: nothing changed)" : "",
           (long long)json_integer_value(json_object_get(report, "unchanged")));
}

int cmd_config_apply(const struct acdl_config *cfg, const char *file, int flags)
{
    struct app app;
    struct auth_ctx actor;
    char err[1400] = "";
    json_error_t jerr;
    json_t *doc, *report = NULL;
    if (!strcmp(file, "-")) {
        doc = json_loadf(stdin, JSON_REJECT_DUPLICATES, &jerr);
    } else {
        doc = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
    }
    if (!doc) {
        fprintf(stderr, "acdlink: %s:%d:%d: %s\n", !strcmp(file, "-") ? "stdin" : file,
                jerr.line, jerr.column, jerr.text);
        return 2;
    }
    if (cli_app_open(cfg, &app, err, sizeof(err)) != ACDL_OK) {
        fprintf(stderr, "acdlink: %s\n", err);
        json_decref(doc);
        return 1;
    }
    cli_actor(&actor, "acdlink config apply");
    int rc = setup_apply(&app, &actor, doc, flags, &report);
    print_report(report);
    json_t *e = json_object_get(report, "error");
    if (e) {
        const char *hint = json_string_value(json_object_get(e, "hint"));
        fprintf(stderr, "acdlink: %s: %s: %s%s%s\n", file,
                json_string_value(json_object_get(e, "path")),
                json_string_value(json_object_get(e, "message")), hint && *hint ? "; " : "",
                hint ? hint : "");
        if (rc == ACDL_ECONFLICT && json_array_size(json_object_get(report, "changes"))) {
            fprintf(stderr, "acdlink: the changes above were made; fix the file and apply it "
                            "again to carry on\n");
        }
    }
    json_decref(report);
    json_decref(doc);
    cli_app_close(&app);
    return rc == ACDL_OK ? 0 : rc == ACDL_EINVAL ? 2 : 1;
}
