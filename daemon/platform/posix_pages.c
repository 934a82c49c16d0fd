/* posix_pages.c: address space handed out in pages (platform.h), on POSIX. Apart from posix.c
 * for the mapping flags and madvise, which are outside the X/Open names posix.c is built with. */
#define _DEFAULT_SOURCE
#include <sys/mman.h>

#include "core/err.h"
#include "platform/platform.h"

#ifndef MAP_NORESERVE
#define MAP_NORESERVE 0
#endif

void *plat_pages_reserve(size_t n)
{
    void *p =
        mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

int plat_pages_commit(void *p, size_t n)
{
    (void)p;
    (void)n;
    return ACDL_OK;
}

void plat_pages_release(void *p, size_t n)
{
    /* the pages go back to the system; the next touch gets fresh zero pages */
    madvise(p, n, MADV_DONTNEED);
}
