/* xlink.c: the Xlink migration: which files, the report, and applying the result. */
#include "xlink/xlink.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/tz.h"
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

static int status_rank(const char *st)
{
    return !strcmp(st, "not_convertible") ? 2 : !strcmp(st, "converted") ? 1 : 0;
}

/* The line of the first entry with key in the section called section (its first of that
 * name), or 0. */
static int key_line(const struct ini_file *f, const char *section, const char *key)
{
    int sec = ini_section_find(f, section ? section : "");
    for (size_t i = 0; sec >= 0 && i < f->nentries; i++) {
        if (f->entries[i].section == sec && conv_ieq(f->entries[i].key, key)) {
            return f->entries[i].line;
        }
    }
    return 0;
}

/* Adds note to the detail of report line it once. */
static void append_note(json_t *it, const char *note)
{
    const char *old = json_string_value(json_object_get(it, "detail"));
    if (it && old && !strstr(old, note)) {
        char both[1500];
        snprintf(both, sizeof(both), "%s (%s)", old, note);
        json_object_set_new(it, "detail", json_string(both));
        conv_detail_code(it, note, 1);
    }
}

void conv_item(struct conv *c, const struct ini_file *f, const char *section,
               const struct ini_entry *e, const char *key, enum conv_status st, const char *fmt,
               ...)
{
    char detail[700] = "", at[200];
    va_list ap;
    int disables = (st & CONV_DISABLES) != 0;
    st = (enum conv_status)(st & ~CONV_DISABLES);
    va_start(ap, fmt);
    vsnprintf(detail, sizeof(detail), fmt, ap);
    va_end(ap);
    int line = e && e->line ? e->line : f && key && section ? key_line(f, section, key) : 0;
    json_t *it = NULL;
    if (f && line) {
        snprintf(at, sizeof(at), "%s:%d", f->name, line);
        json_t *idx = json_object_get(c->seen, at);
        it = idx ? json_array_get(c->items, (size_t)json_integer_value(idx)) : NULL;
    }
    if (it) {
        /* the same line again: one report line, the worse status */
        const char *old = json_string_value(json_object_get(it, "detail"));
        if (!strstr(old, detail)) {
            char both[1500];
            snprintf(both, sizeof(both), "%s; %s", old, detail);
            json_object_set_new(it, "detail", json_string(both));
            conv_detail_code(it, detail, 0);
        }
        if (status_rank(status_names[st]) >
            status_rank(json_string_value(json_object_get(it, "status")))) {
            json_object_set_new(it, "status", json_string(status_names[st]));
        }
        if (section && *section && !json_object_get(it, "section")) {
            json_object_set_new(it, "section", json_string(section));
        }
        if (key && !json_object_get(it, "key")) {
            json_object_set_new(it, "key", json_string(key));
        }
        if (disables) {
            size_t k;
            json_t *d;
            int have = 0;
            json_array_foreach(c->disabling, k, d)
            {
                have |= d == it;
            }
            if (!have) {
                json_array_append(c->disabling, it);
            }
        }
        return;
    }
    json_t *note = f && line ? json_object_get(c->notes, at) : NULL;
    /* a line about a whole file names it as the file */
    it = json_pack("{s:s, s:s, s:s}", "file",
                   f     ? f->name
                   : key ? key
                         : "",
                   "status", status_names[st], "detail", detail);
    conv_detail_code(it, detail, 0);
    if (!f) {
        key = NULL;
    }
    if (section && *section) {
        json_object_set_new(it, "section", json_string(section));
    }
    if (key) {
        json_object_set_new(it, "key", json_string(key));
    }
    if (line) {
        json_object_set_new(it, "line", json_integer(line));
        json_object_set_new(c->seen, at, json_integer((json_int_t)json_array_size(c->items)));
    }
    if (e && e->value && (e->value[0] || e->key[0])) {
        json_object_set_new(it, "value",
                            json_string(is_secret(section, key) ? "(not shown)" : e->value));
    }
    if (note) {
        append_note(it, json_string_value(note));
    }
    if (disables) {
        json_array_append(c->disabling, it);
    }
    json_array_append_new(c->items, it);
}

int conv_reported(const struct conv *c, const struct ini_file *f, int line)
{
    char at[200];
    snprintf(at, sizeof(at), "%s:%d", f->name, line);
    return json_object_get(c->seen, at) != NULL;
}

void conv_flag(struct conv *c, const struct ini_file *f, int sec, const char *fmt, ...)
{
    char text[2400] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    json_array_append_new(c->flags,
                          json_pack("{s:s, s:i, s:s}", "file", f->name, "sec", sec, "todo", text));
}

int conv_int(struct conv *c, const struct ini_file *f, const struct ini_entry *e, long *out)
{
    const char *s = e ? e->value : NULL;
    char *end = NULL, note[200];
    if (!s || !((s[0] >= '0' && s[0] <= '9') ||
                ((s[0] == '-' || s[0] == '+') && s[1] >= '0' && s[1] <= '9'))) {
        return 0;
    }
    long v = strtol(s, &end, 10);
    if (*end && f && e->line) {
        snprintf(note, sizeof(note),
                 "read as %ld, as Xlink did: the text '%.60s' after the number "
                 "is ignored",
                 v, end);
        conv_note(c, f, e, note);
    }
    *out = v;
    return 1;
}

void conv_note(struct conv *c, const struct ini_file *f, const struct ini_entry *e,
               const char *note)
{
    char at[200];
    if (!f || !e || !e->line) {
        return;
    }
    snprintf(at, sizeof(at), "%s:%d", f->name, e->line);
    json_object_set_new(c->notes, at, json_string(note));
    json_t *idx = json_object_get(c->seen, at);
    if (idx) {
        append_note(json_array_get(c->items, (size_t)json_integer_value(idx)), note);
    }
}

/* Adds an action and its code (stolen; its text's code when NULL), once. */
static void action_add(struct conv *c, const char *text, json_t *code)
{
    size_t i;
    json_t *a;
    json_array_foreach(c->actions, i, a)
    {
        if (!strcmp(json_string_value(a), text)) {
            json_decref(code);
            return;
        }
    }
    json_array_append_new(c->actions, json_string(text));
    json_array_append_new(c->action_codes, code ? code : conv_note_code(text));
}

void conv_action(struct conv *c, const char *fmt, ...)
{
    char text[2400] = "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    action_add(c, text, NULL);
}

void conv_rest(struct conv *c, struct ini_file *f, int sec)
{
    const char *name = f->sections[sec].name;
    for (size_t i = 0; i < f->nentries; i++) {
        struct ini_entry *e = &f->entries[i];
        if (e->taken || e->section != sec) {
            continue;
        }
        e->taken = 1;
        int first = 0;
        for (size_t k = 0; k < i; k++) {
            const struct ini_entry *o = &f->entries[k];
            if (conv_ieq(o->key, e->key) && o->section == sec) {
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

/* A section whose name came before: Windows' profile functions, and so Xlink, never read
 * it. Its header and every key get a line saying so. */
void conv_repeated_section(struct conv *c, struct ini_file *f, int sec)
{
    const struct ini_section *s = &f->sections[sec];
    int first = f->sections[s->first].line;
    struct ini_entry h = {0};
    h.line = s->line;
    conv_item(c, f, s->name, &h, NULL, ST_SKIPPED,
              "repeats the section [%s] of line %d: Windows reads only the first section of a "
              "name, so Xlink never read this one and neither does the migration; move keys "
              "that are needed into the section of line %d",
              f->sections[s->first].name, first, first);
    for (size_t i = 0; i < f->nentries; i++) {
        struct ini_entry *e = &f->entries[i];
        if (e->section == sec && !e->taken) {
            e->taken = 1;
            conv_item(c, f, s->name, e, e->key,
                      is_secret(s->name, e->key) ? ST_NOT_CONVERTIBLE : ST_SKIPPED,
                      "in the repeated section of line %d: never read (the section of line %d "
                      "is)",
                      s->line, first);
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

/* Parses one of the three ini files when it is there; reports its encoding and problems.
 * An empty isps_ul.ini is an error (nothing to convert), other empty files are reported. */
static struct ini_file *load(struct conv *c, const char *name, json_t *files, char *err,
                             size_t errsz, int *rc)
{
    const struct xlink_file *x = conv_file(c, name);
    struct ini_file *f = NULL;
    char why[600] = "";
    *rc = ACDL_OK;
    if (!x) {
        return NULL;
    }
    *rc = ini_parse(x->name, x->data, x->len, &f, why, sizeof(why));
    if (*rc != ACDL_OK) {
        snprintf(err, errsz, "files: %s", why);
        return NULL;
    }
    if (f->empty && conv_ieq(name, "isps_ul.ini")) {
        snprintf(err, errsz,
                 "files: %s: the file is empty (%zu bytes): take isps_ul.ini from the Xlink "
                 "folder again",
                 x->name, x->len);
        ini_free(f);
        *rc = ACDL_EINVAL;
        return NULL;
    }
    json_array_append_new(files, json_pack("{s:s, s:s, s:s, s:I}", "name", x->name, "encoding",
                                           f->encoding, "line_endings", f->crlf ? "crlf" : "lf",
                                           "bytes", (json_int_t)x->len));
    if (f->empty) {
        conv_item(c, NULL, NULL, NULL, x->name, ST_SKIPPED,
                  "the file is empty: nothing in it "
                  "to convert");
    }
    for (int i = 0; i < f->nproblems; i++) {
        struct ini_entry e = {0};
        e.line = f->problems[i].line;
        conv_item(c, f, NULL, &e, NULL, ST_SKIPPED, "column %d: %s%s", f->problems[i].column,
                  f->problems[i].text, f->problems[i].ignored ? "; the line is ignored" : "");
    }
    return f;
}

/* The section of f that holds line (the last header at or before it). */
static int section_of_line(const struct ini_file *f, int line)
{
    int sec = 0;
    for (size_t i = 1; i < f->nsections; i++) {
        if (f->sections[i].line <= line) {
            sec = (int)i;
        }
    }
    return sec;
}

static json_t *block_new(const char *file, const struct ini_file *f, int sec)
{
    json_t *b = json_pack("{s:s, s:s, s:s, s:[], s:[], s:[], s:[]}", "file", file, "outcome",
                          "skipped", "summary", "", "sources", "todo", "lines", "notes");
    if (f && sec > 0) {
        json_object_set_new(b, "section", json_string(f->sections[sec].name));
        json_object_set_new(b, "line", json_integer(f->sections[sec].line));
    }
    return b;
}

static int by_line(const void *a, const void *b)
{
    json_int_t x = json_integer_value(json_object_get(*(json_t *const *)a, "line"));
    json_int_t y = json_integer_value(json_object_get(*(json_t *const *)b, "line"));
    return x < y ? -1 : x > y;
}

/* Sorts a block's lines by line number (stable enough: one line per number). */
static void sort_lines(json_t *b)
{
    json_t *lines = json_object_get(b, "lines");
    size_t n = json_array_size(lines);
    json_t **v = n ? malloc(n * sizeof(*v)) : NULL;
    if (!v) {
        return;
    }
    for (size_t i = 0; i < n; i++) {
        v[i] = json_incref(json_array_get(lines, i));
    }
    qsort(v, n, sizeof(*v), by_line);
    json_array_clear(lines);
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(lines, v[i]);
    }
    free(v);
}

/* The source called name in the setup document, or NULL. Borrowed. */
static json_t *doc_source(const struct conv *c, const char *name)
{
    size_t i;
    json_t *s;
    json_array_foreach(c->sources, i, s)
    {
        if (!strcmp(json_string_value(json_object_get(s, "name")), name)) {
            return s;
        }
    }
    return NULL;
}

/* The outcome of an isps_ul.ini section's block from the sources made of it and its flags. */
static void block_outcome(struct conv *c, const struct ini_file *f, int sec, json_t *b)
{
    const char *name = f->sections[sec].name;
    json_t *sources = json_object_get(b, "sources"), *todo = json_object_get(b, "todo");
    json_t *todo_codes = json_array();
    json_object_set_new(b, "todo_codes", todo_codes);
    char text[2400] = "";
    size_t i, o = 0;
    json_t *m;
    int made = 0, disabled = 0, failed = 0;
    json_array_foreach(c->made, i, m)
    {
        if (strcmp(json_string_value(json_object_get(m, "file")), f->name) != 0 ||
            json_integer_value(json_object_get(m, "sec")) != sec) {
            continue;
        }
        json_t *src = json_deep_copy(m);
        json_object_del(src, "file");
        json_object_del(src, "sec");
        json_object_del(src, "password");
        json_object_del(src, "why_codes");
        json_t *made_src = doc_source(c, json_string_value(json_object_get(m, "name")));
        if (made_src) {
            json_t *set = json_deep_copy(json_object_get(made_src, "settings"));
            json_object_set(set, "time_zone", json_object_get(made_src, "time_zone"));
            json_object_set(set, "interval_minutes", json_object_get(made_src, "interval_minutes"));
            json_object_set_new(src, "settings", set);
        }
        json_array_append_new(sources, src);
        int ok = json_is_true(json_object_get(m, "made"));
        int on = json_is_true(json_object_get(m, "enabled"));
        made += ok;
        disabled += ok && !on;
        failed += !ok;
        const char *sname = json_string_value(json_object_get(m, "name"));
        if (o < sizeof(text)) {
            const char *product = json_string_value(json_object_get(m, "product"));
            char part[300];
            snprintf(part, sizeof(part), "%s source '%s'%s",
                     !strcmp(product, "agent_states") ? "agent-state" : "contact", sname,
                     !ok   ? " not made: see the to-do"
                     : !on ? " disabled: see the to-do"
                           : "");
            o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%s", o ? "; " : "", part);
            conv_summary_code(b, part);
        }
        size_t k;
        json_t *w;
        json_array_foreach(json_object_get(m, "why"), k, w)
        {
            char t[2400];
            json_t *wc = json_array_get(json_object_get(m, "why_codes"), k);
            snprintf(t, sizeof(t), "%s '%s': %s", ok ? "before enabling source" : "source", sname,
                     json_string_value(w));
            json_array_append_new(todo, json_string(t));
            json_array_append_new(todo_codes,
                                  json_pack("{s:s, s:{s:s, s:O, s:O*, s:O*}}", "code",
                                            ok ? "xlink.todo.before_enabling" : "xlink.todo.source",
                                            "params", "source", sname, "why", w, "why_code",
                                            json_object_get(wc, "code"), "why_params",
                                            json_object_get(wc, "params")));
        }
    }
    json_array_foreach(c->flags, i, m)
    {
        if (!strcmp(json_string_value(json_object_get(m, "file")), f->name) &&
            json_integer_value(json_object_get(m, "sec")) == sec) {
            json_array_append(todo, json_object_get(m, "todo"));
            json_array_append_new(todo_codes,
                                  conv_note_code(json_string_value(json_object_get(m, "todo"))));
            if (!made && o < sizeof(text)) {
                o += (size_t)snprintf(text + o, sizeof(text) - o, "%s%s", o ? "; " : "",
                                      json_string_value(json_object_get(m, "todo")));
                conv_summary_code(b, json_string_value(json_object_get(m, "todo")));
            }
        }
    }
    const char *outcome = "skipped";
    if (f->sections[sec].first != sec) {
        snprintf(text, sizeof(text), "a repeated section: never read by Xlink");
        conv_summary_code(b, text);
    } else if (conv_ieq(name, "General") || conv_ieq(name, "DB")) {
        outcome = "settings";
        snprintf(text, sizeof(text), "general settings of Xlink: see each key");
        conv_summary_code(b, text);
    } else if (made) {
        outcome = disabled ? "created_disabled" : "created";
    } else if (failed || json_array_size(todo)) {
        outcome = "not_converted";
    } else if (!o) {
        snprintf(text, sizeof(text), "%s",
                 sec ? "nothing to convert: see each key" : "lines before the first [section]");
        conv_summary_code(b, text);
    }
    json_object_set_new(b, "outcome", json_string(outcome));
    json_object_set_new(b, "summary", json_string(text));
}

/* Groups the report's lines into blocks: one per section of each file in file order (one per
 * other file), each with its outcome, then its lines in line order. items becomes the blocks'
 * lines in the same order; the to-do list gets the blocks' to-dos. */
static json_t *build_blocks(struct conv *c, struct ini_file *const *ini, size_t nini)
{
    json_t *blocks = json_array(), *other = json_object(), *items = json_array();
    json_t **per[3] = {NULL, NULL, NULL};
    size_t i;
    json_t *it;
    for (size_t k = 0; k < nini; k++) {
        per[k] = ini[k] ? calloc(ini[k]->nsections, sizeof(json_t *)) : NULL;
    }
    json_array_foreach(c->items, i, it)
    {
        const char *file = json_string_value(json_object_get(it, "file"));
        const char *sname = json_string_value(json_object_get(it, "section"));
        json_int_t line = json_integer_value(json_object_get(it, "line"));
        json_t *b = NULL;
        for (size_t k = 0; k < nini && !b; k++) {
            if (!ini[k] || !per[k] || strcmp(ini[k]->name, file) != 0) {
                continue;
            }
            int sec = line    ? section_of_line(ini[k], (int)line)
                      : sname ? ini_section_find(ini[k], sname)
                              : 0;
            sec = sec < 0 ? 0 : sec;
            if (!per[k][sec]) {
                per[k][sec] = block_new(file, ini[k], sec);
            }
            b = per[k][sec];
        }
        if (!b) {
            b = json_object_get(other, file);
            if (!b) {
                b = block_new(file, NULL, 0);
                json_object_set_new(other, file, b);
            }
        }
        json_array_append(json_object_get(b, line ? "lines" : "notes"), it);
    }
    for (size_t k = 0; k < nini; k++) {
        const char *kind = k == 0 ? "isps.cfg" : k == 1 ? "isps_ul.ini" : "acd_map.ini";
        json_t *b = ini[k] ? NULL : json_object_get(other, kind);
        if (b) {
            json_array_append(blocks, b);
            json_object_del(other, kind);
        }
        for (size_t s = 0; ini[k] && per[k] && s < ini[k]->nsections; s++) {
            if (k == 1 && !per[k][s] && s > 0) {
                per[k][s] = block_new(ini[k]->name, ini[k], (int)s);
            }
            if (!per[k][s]) {
                continue;
            }
            b = per[k][s];
            if (k == 1) {
                block_outcome(c, ini[k], (int)s, b);
            } else if (s > 0 || k == 2) {
                json_object_set_new(b, "outcome", json_string("settings"));
                const char *sum = k == 2 ? "WFM queues and mappings: see each line"
                                         : "the WFM system: see each key";
                json_object_set_new(b, "summary", json_string(sum));
                conv_summary_code(b, sum);
            }
            sort_lines(b);
            json_array_append_new(blocks, b);
        }
        free(per[k]);
    }
    const char *name;
    json_t *b;
    json_object_foreach(other, name, b)
    {
        json_array_append(blocks, b);
    }
    json_decref(other);
    json_array_foreach(blocks, i, b)
    {
        json_array_extend(items, json_object_get(b, "lines"));
        json_array_extend(items, json_object_get(b, "notes"));
        size_t k;
        json_t *t;
        const char *sec = json_string_value(json_object_get(b, "section"));
        json_array_foreach(json_object_get(b, "todo"), k, t)
        {
            char text[2400];
            json_t *tc = json_array_get(json_object_get(b, "todo_codes"), k);
            snprintf(text, sizeof(text), "[%s] (%s line %lld): %s", sec ? sec : "",
                     json_string_value(json_object_get(b, "file")),
                     (long long)json_integer_value(json_object_get(b, "line")),
                     json_string_value(t));
            action_add(c, text,
                       json_pack("{s:s, s:{s:s, s:O, s:O*, s:O, s:O*, s:O*}}", "code",
                                 "xlink.todo.section_line", "params", "section", sec ? sec : "",
                                 "file", json_object_get(b, "file"), "line",
                                 json_object_get(b, "line"), "why", t, "why_code",
                                 json_object_get(tc, "code"), "why_params",
                                 json_object_get(tc, "params")));
        }
    }
    json_decref(c->items);
    c->items = items;
    return blocks;
}

/* The password to-dos, for the sources that are made only. */
static void password_actions(struct conv *c)
{
    size_t i;
    json_t *m;
    json_array_foreach(c->made, i, m)
    {
        if (json_is_true(json_object_get(m, "made")) &&
            json_is_true(json_object_get(m, "password"))) {
            const char *name = json_string_value(json_object_get(m, "name"));
            char text[400];
            snprintf(text, sizeof(text),
                     "set the ODBC password of source '%s': set it in the console "
                     "(Sources) or with PATCH /api/v1/sources/{id}",
                     name);
            action_add(c, text,
                       json_pack("{s:s, s:{s:s, s:s}}", "code", "xlink.todo.password", "params",
                                 "source", name, "id", "{id}"));
        }
    }
}

int xlink_convert(const struct xlink_file *files, size_t n, const struct xlink_opts *o,
                  json_t **doc, json_t **report, char *err, size_t errsz)
{
    struct conv c;
    struct ini_file *cfg = NULL, *ul = NULL, *map = NULL;
    json_t *flist = json_array(), *blocks = NULL;
    char canonical[65];
    int rc = ACDL_OK;
    memset(&c, 0, sizeof(c));
    c.opts = o;
    c.files = files;
    c.nfiles = n > XLINK_MAX_FILES ? XLINK_MAX_FILES : n;
    c.items = json_array();
    c.actions = json_array();
    c.action_codes = json_array();
    c.value_types = json_array();
    c.queues = json_array();
    c.sources = json_array();
    c.mappings = json_array();
    c.seen = json_object();
    c.made = json_array();
    c.flags = json_array();
    c.disabling = json_array();
    c.notes = json_object();
    c.cfg = malloc(sizeof(*c.cfg));
    *doc = NULL;
    *report = NULL;
    if (n > XLINK_MAX_FILES) {
        snprintf(err, errsz, "files: more than %d files", XLINK_MAX_FILES);
        rc = ACDL_EINVAL;
        goto out;
    }
    if (o->time_zone && *o->time_zone &&
        tz_check(o->time_zone, canonical, sizeof(canonical)) != ACDL_OK) {
        snprintf(err, errsz,
                 "time_zone: '%.80s' is not a time zone known here: give the Xlink server's "
                 "IANA zone, e.g. Europe/Berlin (or leave it out for UTC)",
                 o->time_zone);
        rc = ACDL_EINVAL;
        goto out;
    }
    if (!conv_file(&c, "isps_ul.ini")) {
        snprintf(err, errsz,
                 "files: isps_ul.ini is missing: it holds the external systems to "
                 "convert (take it from the Xlink folder, with isps.cfg, acd_map.ini "
                 "and the $N.BAS scripts)");
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
    struct ini_file *ini[3] = {cfg, ul, map};
    blocks = build_blocks(&c, ini, 3);
    password_actions(&c);
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
    *doc =
        json_pack("{s:i, s:O, s:O, s:O, s:O}", "acdlink_config", SETUP_VERSION, "value_types",
                  c.value_types, "queues", c.queues, "sources", c.sources, "mappings", c.mappings);
    *report = json_pack("{s:b, s:O, s:O, s:O, s:O, s:O, s:{s:i, s:i, s:i}}", "dry_run", o->dry_run,
                        "files", flist, "sections", blocks, "items", c.items, "actions", c.actions,
                        "action_codes", c.action_codes, "summary", "converted", counts[0],
                        "skipped", counts[1], "not_convertible", counts[2]);
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
    json_decref(c.action_codes);
    json_decref(c.value_types);
    json_decref(c.queues);
    json_decref(c.sources);
    json_decref(c.mappings);
    json_decref(c.seen);
    json_decref(c.made);
    json_decref(c.flags);
    json_decref(c.disabling);
    json_decref(c.notes);
    json_decref(blocks);
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
    /* the blocks say which of their sources exist already */
    size_t bi, si, ei;
    json_t *b, *src, *ex;
    json_array_foreach(json_object_get(*report, "sections"), bi, b)
    {
        json_array_foreach(json_object_get(b, "sources"), si, src)
        {
            json_array_foreach(existing, ei, ex)
            {
                if (!strcmp(json_string_value(json_object_get(ex, "kind")), "sources") &&
                    conv_ieq(json_string_value(json_object_get(ex, "key")),
                             json_string_value(json_object_get(src, "name")))) {
                    json_object_set_new(src, "exists", json_true());
                }
            }
        }
    }
    json_object_set_new(*report, "existing", existing);
    json_object_set(*report, "config", doc);
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
