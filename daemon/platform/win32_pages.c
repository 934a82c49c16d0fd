/* win32_pages.c: address space handed out in pages (platform.h), on Windows. */
#include <windows.h>

#include "core/err.h"
#include "platform/platform.h"

void *plat_pages_reserve(size_t n)
{
    return VirtualAlloc(NULL, n, MEM_RESERVE, PAGE_NOACCESS);
}

int plat_pages_commit(void *p, size_t n)
{
    return VirtualAlloc(p, n, MEM_COMMIT, PAGE_READWRITE) ? ACDL_OK : ACDL_ENOMEM;
}

void plat_pages_release(void *p, size_t n)
{
    VirtualFree(p, n, MEM_DECOMMIT);
}
