/* xlink.c: the Xlink migration: which files, the report, and applying the result. */
#include "xlink/xlink.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "http/setup.h"
#include "xlink/conv.h"

static const char *const status_names[] = {"converted", "skipped", "not_convertible"};

int conv_ieq(const char *a, const char *b)
{
    return ini_ieq(a, b);
}

static int is_secret(const char *section, const char *key)
{
    return (key && (conv_ieq(key, "Password") || conv_ieq(key, "Pwd") ||
                    conv_ieq(key, "AdminPassword"))) ||
           (section && conv_ieq(section, "DB"));
}

void conv_item(struct conv *c, const struct ini_file *f, const char *section,
               const struct ini_entry *e, const char *key, enum conv_status st, const char *fmt,
               ...)
{
    char detail[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    /* a line about a whole file names it as the file */
    json_t *it = json_pack("{s:s, s:s, s:s}", "file", f ? f->name : key ? key : "", "status",
                           status_names[st], "detail", detail);
    if (!f) {
        key = NULL;
    }
    if (section && *section) {
        json_object_set_new(it, "section", json_string(section));
    }
    if (key) {
        json_object_set_new(it, "key", json_string(key));
    }
    if (e && e->line) {
        json_object_set_new(it, "line", json_integer(e->line));
    }
    if (e && e->value && (e->value[0] || e->key[0])) {
        json_object_set_new(it, "value",
                            json_string(is_secret(section, key) ? "(not shown)" : e->value));
    }
    json_array_append_new(c->items, it);
}

void conv_action(struct conv *c, const char *fmt, ...)
{
    char text[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    size_t i;
    json_t *a;
    json_array_foreach(c->actions, i, a)
    {
        if (!strcmp(json_string_value(a), text)) {
            return;
        }
    }
    json_array_append_new(c->actions, json_string(text));
}

void conv_rest(struct conv *c, struct ini_file *f, int sec)
{
    const char *name = f->sections[sec].name;
    for (size_t i = 0; i < f->nentries; i++) {
        struct ini_entry *e = &f->entries[i];
        if (e->taken || !conv_ieq(f->sections[e->section].name, name)) {
            continue;
        }
        e->taken = 1;
        int first = 0;
        for (size_t k = 0; k < i; k++) {
            const struct ini_entry *o = &f->entries[k];
            if (conv_ieq(o->key, e->key) && conv_ieq(f->sections[o->section].name, name)) {
                first = o->line;
                break;
            }
        }
        if (first) {
            conv_item(c, f, name, e, e->key, ST_SKIPPED,
                      "the key is repeated; Xlink reads the first one (line %d)", first);
        } else if (!*name) {
            conv_item(c, f, name, e, e->key, ST_SKIPPED, "outside any [section]");
        } else {
            conv_item(c, f, name, e, e->key, ST_SKIPPED, "not used by acdlink");
        }
    }
}

struct conv_source *conv_source_find(struct conv *c, const char *name)
{
    for (int i = 0; i < c->nsrc; i++) {
        if (conv_ieq(c->src[i].name, name)) {
            return &c->src[i];
        }
    }
    return NULL;
}

const struct xlink_file *conv_file(const struct conv *c, const char *name)
{
    for (size_t i = 0; i < c->nfiles; i++) {
        if (conv_ieq(c->files[i].name, name)) {
            return &c->files[i];
        }
    }
    return NULL;
}

static int is_bas(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && conv_ieq(name + n - 4, ".bas");
}

/* Parses one of the three ini files when it is there; reports its encoding and problems. */
static struct ini_file *load(struct conv *c, const char *name, json_t *files, char *err,
                             size_t errsz, int *rc)
{
    const struct xlink_file *x = conv_file(c, name);
    struct ini_file *f = NULL;
    *rc = ACDL_OK;
    if (!x) {
        return NULL;
    }
    *rc = ini_parse(x->name, x->data, x->len, &f, err, errsz);
    if (*rc != ACDL_OK) {
        return NULL;
    }
    json_array_append_new(files, json_pack("{s:s, s:s, s:s, s:I}", "name", x->name, "encoding",
                                           f->cp1252 ? "windows-1252" : "utf-8", "line_endings",
                                           f->crlf ? "crlf" : "lf", "bytes",
                                           (json_int_t)x->len));
    for (int i = 0; i < f->nproblems; i++) {
        struct ini_entry e = {0};
        e.line = f->problems[i].line;
        conv_item(c, f, NULL, &e, NULL, ST_SKIPPED, "column %d: %s; the line is ignored",
                  f->problems[i].column, f->problems[i].text);
    }
    return f;
}

int xlink_convert(const struct xlink_file *files, size_t n, const struct xlink_opts *o,
                  json_t **doc, json_t **report, char *err, size_t errsz)
{
    struct conv c;
    struct ini_file *cfg = NULL, *ul = NULL, *map = NULL;
    json_t *flist = json_array();
    int rc = ACDL_OK;
    memset(&c, 0, sizeof(c));
    c.opts = o;
    c.files = files;
    c.nfiles = n > XLINK_MAX_FILES ? XLINK_MAX_FILES : n;
    c.items = json_array();
    c.actions = json_array();
    c.value_types = json_array();
    c.queues = json_array();
    c.sources = json_array();
    c.mappings = json_array();
    c.cfg = malloc(sizeof(*c.cfg));
    *doc = NULL;
    *report = NULL;
    if (n > XLINK_MAX_FILES) {
        snprintf(err, errsz, "more than %d files", XLINK_MAX_FILES);
        rc = ACDL_EINVAL;
        goto out;
    }
    if (!conv_file(&c, "isps_ul.ini")) {
        snprintf(err, errsz, "isps_ul.ini is missing: it holds the external systems to convert "
                             "(take it from the Xlink folder, with isps.cfg, acd_map.ini and "
                             "the $N.BAS scripts)");
        rc = ACDL_EINVAL;
        goto out;
    }
    if ((cfg = load(&c, "isps.cfg", flist, err, errsz, &rc)) == NULL && rc != ACDL_OK) {
        goto out;
    }
    if ((ul = load(&c, "isps_ul.ini", flist, err, errsz, &rc)) == NULL) {
        goto out;
    }
    if ((map = load(&c, "acd_map.ini", flist, err, errsz, &rc)) == NULL && rc != ACDL_OK) {
        goto out;
    }
    if (cfg) {
        conv_isps_cfg(&c, cfg);
    } else {
        conv_item(&c, NULL, NULL, NULL, "isps.cfg", ST_SKIPPED,
                  "not given: acd_map.ini lines of every WFM system are converted");
    }
    conv_isps_ul(&c, ul);
    if (map) {
        conv_acd_map(&c, map);
    } else {
        conv_item(&c, NULL, NULL, NULL, "acd_map.ini", ST_SKIPPED,
                  "not given: no mappings are made");
    }
    for (size_t i = 0; i < c.nfiles; i++) {
        const char *name = files[i].name;
        if (conv_ieq(name, "isps_ul.ini") || conv_ieq(name, "isps.cfg") ||
            conv_ieq(name, "acd_map.ini") || is_bas(name)) {
            continue;
        }
        conv_item(&c, NULL, NULL, NULL, name, ST_SKIPPED,
                  conv_ieq(name, "isps_ulx.ini")
                      ? "its content is not documented; nothing in it is converted"
                      : "not an Xlink configuration file");
    }
    int counts[3] = {0, 0, 0};
    size_t i;
    json_t *it;
    json_array_foreach(c.items, i, it)
    {
        const char *s = json_string_value(json_object_get(it, "status"));
        for (int k = 0; k < 3; k++) {
            counts[k] += !strcmp(s, status_names[k]);
        }
    }
    *doc = json_pack("{s:i, s:O, s:O, s:O, s:O}", "acdlink_config", SETUP_VERSION, "value_types",
                     c.value_types, "queues", c.queues, "sources", c.sources, "mappings",
                     c.mappings);
    *report = json_pack("{s:b, s:O, s:O, s:O, s:{s:i, s:i, s:i}}", "dry_run", o->dry_run,
                        "files", flist, "items", c.items, "actions", c.actions, "summary",
                        "converted", counts[0], "skipped", counts[1], "not_convertible",
                        counts[2]);
out:
    free(c.cfg);
    for (int k = 0; k < c.nsrc; k++) {
        json_decref(c.src[k].metrics);
    }
    ini_free(cfg);
    ini_free(ul);
    ini_free(map);
    json_decref(flist);
    json_decref(c.items);
    json_decref(c.actions);
    json_decref(c.value_types);
    json_decref(c.queues);
    json_decref(c.sources);
    json_decref(c.mappings);
    return rc;
}

/* The key of a document item, as setup.c names them. */
static void item_key(const char *kind, const json_t *it, char *out, size_t outsz)
{
    const char *a = "", *b = NULL;
    if (!strcmp(kind, "value_types")) {
        a = json_string_value(json_object_get(it, "key"));
    } else if (!strcmp(kind, "queues")) {
        a = json_string_value(json_object_get(it, "identifier"));
    } else if (!strcmp(kind, "sources")) {
        a = json_string_value(json_object_get(it, "name"));
    } else {
        a = json_string_value(json_object_get(it, "queue"));
        b = json_string_value(json_object_get(it, "value_type"));
    }
    snprintf(out, outsz, "%s%s%s", a ? a : "", b ? " / " : "", b ? b : "");
}

int xlink_import(struct app *app, const struct auth_ctx *actor, const struct xlink_file *files,
                 size_t n, const struct xlink_opts *o, json_t **report, char *err,
                 size_t errsz)
{
    static const char *const kinds[] = {"value_types", "queues", "sources", "mappings"};
    json_t *doc = NULL, *cur = NULL, *applied = NULL;
    int rc = xlink_convert(files, n, o, &doc, report, err, errsz);
    if (rc != ACDL_OK) {
        return rc;
    }
    rc = setup_export(app, actor, &cur, err, errsz);
    if (rc != ACDL_OK) {
        goto out;
    }
    json_t *created = json_object(), *existing = json_array();
    for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
        json_t *list = json_object_get(doc, kinds[k]), *names = json_array();
        for (size_t i = 0; i < json_array_size(list);) {
            char key[300], other[300];
            int found = 0;
            item_key(kinds[k], json_array_get(list, i), key, sizeof(key));
            size_t j;
            json_t *have;
            json_array_foreach(json_object_get(cur, kinds[k]), j, have)
            {
                item_key(kinds[k], have, other, sizeof(other));
                found |= k == 2 ? conv_ieq(key, other) : !strcmp(key, other);
            }
            if (found) {
                json_array_append_new(existing, json_pack("{s:s, s:s}", "kind", kinds[k], "key",
                                                          key));
                json_array_remove(list, i);
            } else {
                json_array_append_new(names, json_string(key));
                i++;
            }
        }
        json_object_set_new(created, kinds[k], names);
    }
    json_object_set_new(*report, "created", created);
    json_object_set_new(*report, "existing", existing);
    rc = setup_apply(app, actor, doc, o->dry_run ? SETUP_DRY_RUN : 0, &applied);
    json_t *e = json_object_get(applied, "error");
    if (e) {
        json_object_set(*report, "error", e);
    }
    if (rc == ACDL_EINVAL) {
        snprintf(err, errsz, "the converted setup was refused: %s",
                 json_string_value(json_object_get(e, "message")));
    }
out:
    json_decref(applied);
    json_decref(cur);
    json_decref(doc);
    return rc;
}
