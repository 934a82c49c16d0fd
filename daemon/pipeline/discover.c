/* discover.c: a day's external queues, metrics, agents and activity codes (see discover.h). */
#include "pipeline/discover.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "pipeline/import.h"

static int by_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* {key: {members}} -> [{key_name: key, members...}] sorted by key (new). */
static json_t *as_list(const json_t *group, const char *key_name)
{
    size_t n = json_object_size(group), i = 0;
    const char **keys = calloc(n + 1, sizeof(*keys));
    const char *k;
    json_t *v, *list = json_array();
    if (!keys) {
        return list;
    }
    json_object_foreach((json_t *)group, k, v)
    {
        keys[i++] = k;
    }
    qsort(keys, n, sizeof(*keys), by_key);
    for (i = 0; i < n; i++) {
        json_t *e = json_deep_copy(json_object_get(group, keys[i]));
        json_object_set_new(e, key_name, json_string(keys[i]));
        json_array_append_new(list, e);
    }
    free(keys);
    return list;
}

/* 1 when name (lower-cased, split at anything but letters and digits) has one of words as a
 * whole word ("sl" in "sl_pct", not in "slots"; "att" not in "attempts"); with percent, a '%'
 * counts too. */
static int has_word(const char *name, const char *const *words, size_t nwords, int percent)
{
    char low[72];
    size_t n = 0;
    for (; name[n] && n + 1 < sizeof(low); n++) {
        char c = name[n];
        low[n] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    low[n] = '\0';
    if (percent && strchr(low, '%')) {
        return 1;
    }
    for (char *w = low; *w;) {
        size_t len = 0;
        while (w[len] && ((w[len] >= 'a' && w[len] <= 'z') || (w[len] >= '0' && w[len] <= '9'))) {
            len++;
        }
        for (size_t k = 0; len && k < nwords; k++) {
            if (strlen(words[k]) == len && !strncmp(w, words[k], len)) {
                return 1;
            }
        }
        w += len ? len : 1;
    }
    return 0;
}

int discover_metric_is_average(const char *name)
{
    static const char *const words[] = {"avg",  "average", "mean", "aht",     "asa",   "att",
                                        "rate", "ratio",   "pct",  "percent", "level", "sl"};
    return has_word(name, words, sizeof(words) / sizeof(words[0]), 1);
}

int discover_metric_is_total(const char *name)
{
    static const char *const words[] = {"time",     "total",    "sum",     "count",
                                        "calls",    "offered",  "handled", "abandoned",
                                        "answered", "contacts", "seconds", "duration"};
    return !discover_metric_is_average(name) &&
           has_word(name, words, sizeof(words) / sizeof(words[0]), 0);
}

/* Per metric what makes sense: the sum for counts and times ("aggregate": "sum"), the mean,
 * lowest and highest interval value for averages ("aggregate": "average"); rows, total, min,
 * max and avg are always there. */
static void describe_metrics(json_t *metrics)
{
    size_t i;
    json_t *m;
    json_array_foreach(metrics, i, m)
    {
        double rows = (double)json_integer_value(json_object_get(m, "rows"));
        double total = json_number_value(json_object_get(m, "total"));
        const char *name = json_string_value(json_object_get(m, "metric"));
        json_object_set_new(m, "avg", rows > 0 ? json_real(total / rows) : json_null());
        if (!json_object_get(m, "min")) {
            json_object_set_new(m, "min", json_null());
            json_object_set_new(m, "max", json_null());
        }
        json_object_set_new(
            m, "aggregate",
            json_string(name && discover_metric_is_average(name) ? "average" : "sum"));
    }
}

/* The last discoveries' queue and metric lists (see discover_seen). */
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static struct {
    int64_t source_id;
    json_t *lists[2]; /* queues, metrics; owned */
    uint64_t used;
} seen[DISCOVER_KEEP];
static uint64_t seen_clock;

static void remember(int64_t source_id, const json_t *out)
{
    int slot = 0;
    pthread_mutex_lock(&seen_mu);
    for (int i = 0; i < DISCOVER_KEEP; i++) {
        if (seen[i].source_id == source_id) {
            slot = i;
            break;
        }
        if (seen[i].used < seen[slot].used) {
            slot = i;
        }
    }
    json_decref(seen[slot].lists[0]);
    json_decref(seen[slot].lists[1]);
    seen[slot].source_id = source_id;
    seen[slot].lists[0] = json_deep_copy(json_object_get(out, "queues"));
    seen[slot].lists[1] = json_deep_copy(json_object_get(out, "metrics"));
    seen[slot].used = ++seen_clock;
    pthread_mutex_unlock(&seen_mu);
}

int discover_seen(int64_t source_id, enum discover_what what, const char *name, json_t *names,
                  size_t max)
{
    const char *key = what == DISCOVER_QUEUE ? "ext_queue" : "metric";
    int found = -1;
    pthread_mutex_lock(&seen_mu);
    for (int i = 0; i < DISCOVER_KEEP && found < 0; i++) {
        size_t k;
        json_t *e;
        if (seen[i].source_id != source_id || !seen[i].lists[what]) {
            continue;
        }
        found = 0;
        json_array_foreach(seen[i].lists[what], k, e)
        {
            const char *v = json_string_value(json_object_get(e, key));
            if (!v) {
                continue;
            }
            found |= name && !strcmp(v, name);
            if (names && json_array_size(names) < max) {
                json_array_append_new(names, json_string(v));
            }
        }
    }
    pthread_mutex_unlock(&seen_mu);
    return found;
}

int discover_day(struct app *app, int64_t source_id, const char *day, json_t **out, char *err,
                 size_t errsz)
{
    json_t *p = NULL;
    *out = NULL;
    /* a failed read still answers what it saw (its messages) beside the error */
    int rc = import_preview(app, source_id, day, -DISCOVER_MAX_ROWS, &p, err, errsz);
    if (!p) {
        return rc;
    }
    json_t *d = json_object_get(p, "digest"), *counts = json_object_get(p, "counts");
    json_int_t read = json_integer_value(json_object_get(counts, "rows_read"));
    *out = json_pack("{s:I, s:O, s:O, s:O, s:O, s:O, s:b, s:o, s:o, s:o, s:o}", "source_id",
                     (json_int_t)source_id, "day", json_object_get(p, "day"), "columns",
                     json_object_get(p, "columns"), "counts", counts, "messages",
                     json_object_get(p, "messages"), "errors", json_object_get(d, "errors"),
                     "truncated", read >= DISCOVER_MAX_ROWS,
                     "queues", as_list(json_object_get(d, "queues"), "ext_queue"), "metrics",
                     as_list(json_object_get(d, "metrics"), "metric"), "agents",
                     as_list(json_object_get(d, "agents"), "ext_agent"), "activities",
                     as_list(json_object_get(d, "activities"), "code"));
    describe_metrics(json_object_get(*out, "metrics"));
    if (rc == ACDL_OK && *out) {
        remember(source_id, *out);
    }
    json_decref(p);
    return rc != ACDL_OK ? rc : *out ? ACDL_OK : ACDL_ENOMEM;
}
