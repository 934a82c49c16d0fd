/* mappings.c: acd_map.ini and its $N.BAS scripts into WFM queues, value types and mappings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xlink/conv.h"

#define MAX_INPUTS 32

/* Xlink / WFM value-type names and the built-in value types they are. */
static const struct {
    const char *name;
    const char *key;
} vt_names[] = {
    {"offered", "offered"},         {"calls offered", "offered"},
    {"contacts offered", "offered"}, {"received", "offered"},
    {"incoming", "offered"},        {"handled", "handled"},
    {"answered", "handled"},        {"calls answered", "handled"},
    {"calls handled", "handled"},   {"contacts handled", "handled"},
    {"abandoned", "abandoned"},     {"calls abandoned", "abandoned"},
    {"aht", "aht"},                 {"average handling time", "aht"},
    {"average handle time", "aht"}, {"calls average handling time", "aht"},
    {"asa", "asa"},                 {"average speed of answer", "asa"},
    {"service level", "service_level"}, {"servicelevel", "service_level"},
    {"handle time", "handle_time"}, {"total handle time", "handle_time"},
};

/* The acdlink value type for an Xlink value-type id; custom ones get a key xlink_<id>. */
static int value_type_of(const char *id, char *key, size_t keysz)
{
    char norm[130];
    size_t o = 0;
    for (const char *p = id; *p && o + 1 < sizeof(norm); p++) {
        char ch = *p >= 'A' && *p <= 'Z' ? (char)(*p + 32) : *p;
        norm[o++] = ch == '_' ? ' ' : ch;
    }
    norm[o] = '\0';
    for (size_t i = 0; i < sizeof(vt_names) / sizeof(vt_names[0]); i++) {
        if (!strcmp(norm, vt_names[i].name)) {
            snprintf(key, keysz, "%s", vt_names[i].key);
            return 1;
        }
    }
    o = (size_t)snprintf(key, keysz, "xlink_");
    for (const char *p = norm; *p && o + 1 < keysz && o < 64; p++) {
        char ch = *p;
        key[o++] = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ? ch : '_';
    }
    key[o] = '\0';
    return 0;
}

/* Removes blanks and lowers the case of a BASIC line. */
static void squeeze(const char *s, size_t n, char *out, size_t outsz)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < outsz; i++) {
        char ch = s[i];
        if (ch == ' ' || ch == '\t') {
            continue;
        }
        out[o++] = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
    }
    out[o] = '\0';
}

/* "para1+para2+...": 1 when every ParaK of 1..n appears once and nothing else. */
static int plain_sum(const char *e, int n)
{
    int seen[MAX_INPUTS + 1] = {0}, count = 0;
    const char *p = e;
    while (*p) {
        if (strncmp(p, "para", 4) != 0) {
            return 0;
        }
        p += 4;
        int k = 0;
        if (*p < '1' || *p > '9') {
            return 0;
        }
        while (*p >= '0' && *p <= '9') {
            k = k * 10 + (*p++ - '0');
            if (k > MAX_INPUTS) {
                return 0;
            }
        }
        if (k < 1 || k > n || seen[k]) {
            return 0;
        }
        seen[k] = 1;
        count++;
        if (*p == '+') {
            p++;
            if (!*p) {
                return 0;
            }
        } else if (*p) {
            return 0;
        }
    }
    return count == n;
}

int conv_bas_is_sum(const char *text, size_t len, int n, char *why, size_t whysz)
{
    char expr[1024] = "";
    int statements = 0;
    size_t pos = 0;
    snprintf(why, whysz, "it assigns no Result");
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n' && text[end] != '\r') {
            end++;
        }
        char line[1024];
        size_t ln = end - pos;
        /* a comment starts with ' outside a string */
        int instr = 0;
        for (size_t i = 0; i < ln; i++) {
            if (text[pos + i] == '"') {
                instr = !instr;
            } else if (text[pos + i] == '\'' && !instr) {
                ln = i;
                break;
            }
        }
        squeeze(text + pos, ln, line, sizeof(line));
        pos = end + 1;
        if (!line[0] || !strncmp(line, "rem", 3) || !strncmp(line, "dim", 3) ||
            !strncmp(line, "option", 6) || !strcmp(line, "submain()") ||
            !strcmp(line, "submain") || !strcmp(line, "endsub")) {
            continue;
        }
        statements++;
        if (strncmp(line, "result=", 7) != 0) {
            snprintf(why, whysz, "it does more than set Result ('%.60s')", line);
            return 0;
        }
        snprintf(expr, sizeof(expr), "%s", line + 7);
    }
    if (statements != 1) {
        if (statements > 1) {
            snprintf(why, whysz, "it has %d statements", statements);
        }
        return 0;
    }
    size_t el = strlen(expr);
    char inner[1024];
    if (el > 5 && !strcmp(expr + el - 4, "*100")) {
        snprintf(inner, sizeof(inner), "%.*s", (int)(el - 4), expr);
    } else if (!strncmp(expr, "100*", 4)) {
        snprintf(inner, sizeof(inner), "%s", expr + 4);
    } else {
        if (plain_sum(expr, n)) {
            return 2;
        }
        snprintf(why, whysz, "Result = %.80s is not the sum of Para1..Para%d", expr, n);
        return 0;
    }
    size_t il = strlen(inner);
    if (il > 2 && inner[0] == '(' && inner[il - 1] == ')') {
        inner[il - 1] = '\0';
        if (plain_sum(inner + 1, n)) {
            return 1;
        }
    } else if (n == 1 && plain_sum(inner, 1)) {
        return 1;
    }
    snprintf(why, whysz, "Result = %.80s is not the sum of Para1..Para%d", expr, n);
    return 0;
}

struct planned {
    char key[300]; /* the left side as written */
    const struct ini_entry *lines[MAX_INPUTS + 1];
    int nlines;
};

static int split_colon(const char *s, char parts[][130], int max)
{
    int n = 0;
    const char *p = s;
    while (n < max) {
        const char *q = strchr(p, ':');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        snprintf(parts[n++], 130, "%.*s", (int)(len > 129 ? 129 : len), p);
        if (!q) {
            return n;
        }
        p = q + 1;
    }
    return max + 1;
}

static int has_queue(json_t *queues, const char *id)
{
    size_t i;
    json_t *q;
    json_array_foreach(queues, i, q)
    {
        if (!strcmp(json_string_value(json_object_get(q, "identifier")), id)) {
            return 1;
        }
    }
    return 0;
}

/* The mapping of (queue, value type) in the document, or NULL. */
static json_t *find_mapping(json_t *mappings, const char *queue, const char *vt)
{
    size_t i;
    json_t *m;
    json_array_foreach(mappings, i, m)
    {
        if (!strcmp(json_string_value(json_object_get(m, "queue")), queue) &&
            !strcmp(json_string_value(json_object_get(m, "value_type")), vt)) {
            return m;
        }
    }
    return NULL;
}

/* Converts one left side with its lines; reports on its first line. */
static void conv_one(struct conv *c, struct ini_file *f, struct planned *p, json_t *weighted)
{
    char parts[5][130], vt[80], why[200] = "";
    const struct ini_entry *first = p->lines[0];
    const char *sec = f->sections[first->section].name;
    int np = split_colon(p->key, parts, 4);
    if (np != 4) {
        conv_item(c, f, sec, first, p->key, ST_NOT_CONVERTIBLE,
                  "the key is not <WFM system>:<parent queue>:<queue>:<value type>");
        return;
    }
    if (c->wfm_system[0] && !conv_ieq(parts[0], c->wfm_system)) {
        conv_item(c, f, sec, first, p->key, ST_SKIPPED,
                  "belongs to the WFM system '%s', not '%s' of isps.cfg", parts[0],
                  c->wfm_system);
        return;
    }
    const char *queue = parts[2];
    if (!queue[0]) {
        conv_item(c, f, sec, first, p->key, ST_NOT_CONVERTIBLE, "no queue id");
        return;
    }
    int builtin = value_type_of(parts[3], vt, sizeof(vt));
    json_t *inputs = json_array();
    const struct ini_entry *script = NULL;
    struct conv_source *src0 = NULL;
    for (int i = 0; i < p->nlines; i++) {
        const struct ini_entry *e = p->lines[i];
        char path[8][130];
        if (e->value[0] == '$') {
            if (script) {
                conv_item(c, f, sec, e, p->key, ST_NOT_CONVERTIBLE, "a second script");
                json_decref(inputs);
                return;
            }
            script = e;
            continue;
        }
        int n = split_colon(e->value, path, 7);
        struct conv_source *s = n >= 3 && n <= 7 ? conv_source_find(c, path[0]) : NULL;
        if (s && !s->made) {
            conv_item(c, f, sec, e, p->key, ST_NOT_CONVERTIBLE,
                      "the source '%s' is not made (see its section in isps_ul.ini and the "
                      "to-do list): create it, then map WFM queue '%s' in the console",
                      s->name, parts[2]);
            json_decref(inputs);
            return;
        }
        if (!s) {
            conv_item(c, f, sec, e, p->key, ST_NOT_CONVERTIBLE,
                      n < 3 || n > 7 ? "the right side is not <external system>:<queue>:<metric>"
                                     : "'%s' is not a converted CSV or Universal section of "
                                       "isps_ul.ini",
                      path[0]);
            json_decref(inputs);
            return;
        }
        if (n != 3) {
            conv_item(c, f, sec, e, p->key, ST_NOT_CONVERTIBLE,
                      "%d levels below the system name: sub-groups and vendor trees are not "
                      "converted",
                      n - 1);
            json_decref(inputs);
            return;
        }
        json_t *m = json_object_get(s->metrics, path[2]);
        if (!m) {
            conv_item(c, f, sec, e, p->key, ST_NOT_CONVERTIBLE,
                      "the source '%s' has no metric '%s' (ColumnNames / ValueTypes)", s->name,
                      path[2]);
            json_decref(inputs);
            return;
        }
        if (src0 && src0->interval != s->interval) {
            conv_item(c, f, sec, e, p->key, ST_NOT_CONVERTIBLE,
                      "the inputs come from sources with different intervals");
            json_decref(inputs);
            return;
        }
        src0 = src0 ? src0 : s;
        json_array_append_new(inputs, json_pack("{s:s, s:s, s:O}", "source", s->name,
                                                "ext_queue", path[1], "metric", m));
    }
    int n = (int)json_array_size(inputs);
    if (!n) {
        conv_item(c, f, sec, first, p->key, ST_NOT_CONVERTIBLE, "no input to map");
        json_decref(inputs);
        return;
    }
    if (n > 1 && !script) {
        conv_item(c, f, sec, first, p->key, ST_SKIPPED,
                  "%d inputs without a script: summed, as Xlink's default script does", n);
    }
    if (script) {
        char file[64];
        snprintf(file, sizeof(file), "%s", script->value);
        const struct xlink_file *bas = conv_file(c, file);
        int kind = bas ? conv_bas_is_sum(bas->data, bas->len, n, why, sizeof(why)) : 0;
        if (!bas) {
            conv_item(c, f, sec, script, p->key, ST_NOT_CONVERTIBLE,
                      "the script %s was not among the files; add it, or write the mapping's "
                      "formula (p1 .. p%d, weekday, minute_of_day)",
                      file, n);
            json_decref(inputs);
            return;
        }
        if (!kind) {
            conv_item(c, f, sec, script, p->key, ST_NOT_CONVERTIBLE,
                      "%s does not only sum its parameters (%s): write it as the mapping's "
                      "formula over p1 .. p%d, weekday, minute_of_day",
                      file, why, n);
            json_decref(inputs);
            return;
        }
        conv_item(c, f, sec, script, p->key, ST_CONVERTED,
                  kind == 1 ? "%s sums its parameters: the default mapping (sum; the x100 of "
                              "Xlink's Result is not needed)"
                            : "%s sums its parameters without Xlink's x100 scaling: the default "
                              "mapping sends the plain sum",
                  file);
    }
    if (find_mapping(c->mappings, queue, vt)) {
        conv_item(c, f, sec, first, p->key, ST_NOT_CONVERTIBLE,
                  "queue '%s' is mapped for '%s' already (another value-type id?)", queue, vt);
        json_decref(inputs);
        return;
    }
    if (!has_queue(c->queues, queue)) {
        json_array_append_new(c->queues,
                              json_pack("{s:s, s:s, s:s, s:i, s:s}", "identifier", queue, "name",
                                        queue, "channel", "calls", "interval_minutes",
                                        src0->interval, "time_zone", src0->tz));
    }
    if (!builtin) {
        int known = 0;
        size_t i;
        json_t *v;
        json_array_foreach(c->value_types, i, v)
        {
            known |= !strcmp(json_string_value(json_object_get(v, "key")), vt);
        }
        if (!known) {
            char name[160];
            snprintf(name, sizeof(name), "Xlink value type %.100s", parts[3]);
            json_array_append_new(c->value_types,
                                  json_pack("{s:s, s:s, s:s, s:s, s:n}", "key", vt, "name", name,
                                            "unit", "number", "combine", "sum", "weight_key"));
        }
    }
    json_t *m = json_pack("{s:s, s:s, s:n, s:o}", "queue", queue, "value_type", vt, "formula",
                          "inputs", inputs);
    if (!strcmp(vt, "aht") || !strcmp(vt, "asa") || !strcmp(vt, "service_level")) {
        /* reported once it is known whether its weight is mapped (add_weighted) */
        json_array_append_new(weighted,
                              json_pack("{s:o, s:i, s:s, s:s}", "m", m, "line", first->line, "key",
                                        p->key, "value", first->value));
        return;
    }
    json_array_append_new(c->mappings, m);
    conv_item(c, f, sec, first, p->key, ST_CONVERTED, "mapping of WFM queue '%s', value type '%s'%s",
              queue, vt, builtin ? "" : " (a custom value type: rename or replace it as needed)");
}

/* Every line of a left side gets its report line: the lines not reported yet speak of the one
 * that decided the mapping's outcome (its first line, or the line that stopped it). */
static void report_rest(struct conv *c, struct ini_file *f, const struct planned *p)
{
    const struct ini_entry *head = NULL;
    json_t *it = NULL;
    char at[200];
    for (int i = 0; i < p->nlines && !head; i++) {
        snprintf(at, sizeof(at), "%s:%d", f->name, p->lines[i]->line);
        json_t *idx = json_object_get(c->seen, at);
        if (idx) {
            head = p->lines[i];
            it = json_array_get(c->items, (size_t)json_integer_value(idx));
        }
    }
    const char *st = it ? json_string_value(json_object_get(it, "status")) : "skipped";
    for (int i = 0; i < p->nlines; i++) {
        const struct ini_entry *e = p->lines[i];
        if (conv_reported(c, f, e->line)) {
            continue;
        }
        conv_item(c, f, f->sections[e->section].name, e, p->key,
                  !strcmp(st, "converted")         ? ST_CONVERTED
                  : !strcmp(st, "not_convertible") ? ST_NOT_CONVERTIBLE
                                                   : ST_SKIPPED,
                  "an input of the mapping of line %d: %s", head ? head->line : e->line,
                  !strcmp(st, "converted") ? "made with it" : "not made, see there");
    }
}

/* Weighted mappings need their weight's mapping with the same inputs: checked here. */
static void add_weighted(struct conv *c, struct ini_file *f, json_t *weighted)
{
    size_t i, k;
    json_t *w, *in;
    json_array_foreach(weighted, i, w)
    {
        json_t *m = json_object_get(w, "m");
        const char *vt = json_string_value(json_object_get(m, "value_type"));
        const char *weight = !strcmp(vt, "service_level") ? "offered" : "handled";
        json_t *wm = find_mapping(c->mappings, json_string_value(json_object_get(m, "queue")),
                                  weight);
        int ok = wm != NULL;
        json_array_foreach(json_object_get(m, "inputs"), k, in)
        {
            int found = 0;
            size_t j;
            json_t *win;
            json_array_foreach(wm ? json_object_get(wm, "inputs") : NULL, j, win)
            {
                found |= json_equal(json_object_get(win, "source"), json_object_get(in, "source")) &&
                         json_equal(json_object_get(win, "ext_queue"),
                                    json_object_get(in, "ext_queue"));
            }
            ok &= found;
        }
        struct ini_entry e = {0};
        e.line = (int)json_integer_value(json_object_get(w, "line"));
        e.key = (char *)"";
        e.value = (char *)json_string_value(json_object_get(w, "value"));
        if (ok) {
            json_array_append(c->mappings, m);
            conv_item(c, f, "", &e, json_string_value(json_object_get(w, "key")), ST_CONVERTED,
                      "mapping of WFM queue '%s', value type '%s' (weighted by %s)",
                      json_string_value(json_object_get(m, "queue")), vt, weight);
            continue;
        }
        conv_item(c, f, "", &e, json_string_value(json_object_get(w, "key")), ST_NOT_CONVERTIBLE,
                  "%s is an average weighted by %s in acdlink: map %s of the same queue from the "
                  "same external queues too, then this mapping is made",
                  vt, weight, weight);
    }
}

void conv_acd_map(struct conv *c, struct ini_file *f)
{
    struct planned *plans = calloc(f->nentries + 1, sizeof(*plans));
    json_t *weighted = json_array();
    int nplans = 0;
    if (!plans) {
        json_decref(weighted);
        return;
    }
    for (size_t i = 0; i < f->nentries; i++) {
        struct ini_entry *e = &f->entries[i];
        int k;
        e->taken = 1;
        for (k = 0; k < nplans && strcmp(plans[k].key, e->key) != 0; k++) {
        }
        if (k == nplans) {
            snprintf(plans[k].key, sizeof(plans[k].key), "%s", e->key);
            nplans++;
        }
        if (plans[k].nlines == MAX_INPUTS + 1) {
            conv_item(c, f, f->sections[e->section].name, e, e->key, ST_NOT_CONVERTIBLE,
                      "more than %d inputs", MAX_INPUTS);
            continue;
        }
        plans[k].lines[plans[k].nlines++] = e;
    }
    for (int k = 0; k < nplans; k++) {
        conv_one(c, f, &plans[k], weighted);
    }
    add_weighted(c, f, weighted);
    for (int k = 0; k < nplans; k++) {
        report_rest(c, f, &plans[k]);
    }
    json_decref(weighted);
    free(plans);
}
