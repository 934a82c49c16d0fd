/* entries.h: the name-ordered entry list both platform files build when listing a folder
 * (platform/entries.c); internal to platform/. */
#ifndef ACDL_PLATFORM_ENTRIES_H
#define ACDL_PLATFORM_ENTRIES_H
#include <stddef.h>

#include "platform/platform.h"

struct plat_entries {
    struct plat_entry {
        char *name;
        enum plat_entry_kind kind;
    } * items;
    size_t n, cap;
};

/* Adds a copy of name. Returns 0 or ACDL_ENOMEM. */
int plat_entries_add(struct plat_entries *l, const char *name, enum plat_entry_kind kind);

/* Sorts by name, calls fn for each until one returns non-zero (returned), frees the list.
 * rc: an earlier failure, returned without calling fn. */
int plat_entries_run(struct plat_entries *l, int rc,
                     int (*fn)(const char *name, enum plat_entry_kind kind, void *ctx), void *ctx);

#endif
