/* entries.c: folder listings shared by posix.c and win32.c, and plat_dir_files on top of
 * plat_dir_open / plat_dir_entries. */
#include "platform/entries.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"

int plat_entries_add(struct plat_entries *l, const char *name, enum plat_entry_kind kind)
{
    size_t len = strlen(name);
    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 64;
        struct plat_entry *ni = realloc(l->items, ncap * sizeof(*ni));
        if (!ni) {
            return ACDL_ENOMEM;
        }
        l->items = ni;
        l->cap = ncap;
    }
    if (!(l->items[l->n].name = malloc(len + 1))) {
        return ACDL_ENOMEM;
    }
    memcpy(l->items[l->n].name, name, len + 1);
    l->items[l->n++].kind = kind;
    return ACDL_OK;
}

static int cmp_entries(const void *a, const void *b)
{
    return strcmp(((const struct plat_entry *)a)->name, ((const struct plat_entry *)b)->name);
}

int plat_entries_run(struct plat_entries *l, int rc,
                     int (*fn)(const char *name, enum plat_entry_kind kind, void *ctx), void *ctx)
{
    if (rc == ACDL_OK && l->n > 1) {
        qsort(l->items, l->n, sizeof(*l->items), cmp_entries);
    }
    for (size_t i = 0; i < l->n; i++) {
        if (rc == ACDL_OK) {
            rc = fn(l->items[i].name, l->items[i].kind, ctx);
        }
        free(l->items[i].name);
    }
    free(l->items);
    memset(l, 0, sizeof(*l));
    return rc;
}

struct files_walk {
    int (*fn)(const char *name, void *ctx);
    void *ctx;
};

static int only_files(const char *name, enum plat_entry_kind kind, void *ctx)
{
    struct files_walk *w = ctx;
    return kind == PLAT_ENTRY_FILE || kind == PLAT_ENTRY_LINK ? w->fn(name, w->ctx) : 0;
}

int plat_dir_files(const char *dir, const char *pattern, int (*fn)(const char *name, void *ctx),
                   void *ctx)
{
    struct plat_dir *d = NULL;
    struct files_walk w = {fn, ctx};
    int rc = plat_dir_open(dir, &d);
    if (rc != ACDL_OK) {
        return rc == ACDL_ENOTFOUND ? ACDL_ENOTFOUND : ACDL_EIO;
    }
    rc = plat_dir_entries(d, pattern, only_files, &w);
    plat_dir_close(d);
    return rc;
}

const char *plat_entry_kind_key(enum plat_entry_kind k)
{
    static const char *const keys[] = {"file", "link", "folder", "fifo", "device", "socket"};
    return (size_t)k < sizeof(keys) / sizeof(keys[0]) ? keys[k] : "other";
}
