/* grow.h: room in a growing array. */
#ifndef ACDL_CORE_GROW_H
#define ACDL_CORE_GROW_H

#include <stdlib.h>

#include "core/err.h"

/* Makes *p (*cap elements of elem bytes) hold at least need elements, doubling from 64; *p is
 * kept as it was when the memory is not there. ACDL_OK or ACDL_ENOMEM. */
static inline int acdl_grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) {
        return ACDL_OK;
    }
    size_t n = *cap ? *cap : 64;
    while (n < need) {
        n *= 2;
    }
    void *q = realloc(*p, n * elem);
    if (!q) {
        return ACDL_ENOMEM;
    }
    *p = q;
    *cap = n;
    return ACDL_OK;
}

#endif
