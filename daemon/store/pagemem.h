/* pagemem.h: SQLite's memory, with its page-sized blocks in slabs of their own.
 *
 * Every page a connection's cache holds is a block of about 4.3 KiB; a poll's staging widens
 * its cache to 16 MiB and gives it back at the end, every poll, and the pool's caches come and
 * go with the connections' use. In the C library's arenas those blocks lay between the
 * daemon's other blocks, and the pages of an arena that a few longer-lived blocks kept in use
 * stayed with the process after the cache was freed. Here blocks of STORE_PAGEMEM_MIN to
 * STORE_PAGEMEM_SLOT bytes come from slabs of STORE_PAGEMEM_CHUNK_KIB in address space of their
 * own, the lowest slab with room first (so the caches' long-lived pages gather at the bottom),
 * and a slab whose last block is freed is returned to the operating system at once, beyond
 * STORE_PAGEMEM_KEEP empty ones, which wait for store_pagemem_trim, so that a cache growing and
 * shrinking at a slab's edge does not give back and take the same memory every time. A slab is
 * small, so that a page that stays, such as the one each idle connection's cache keeps, holds
 * little memory with it. Everything else SQLite allocates goes to malloc (blocks of exactly a page
 * too: a connection's lasting buffers, which would keep slabs). Past STORE_PAGEMEM_CHUNKS slabs
 * (256 MiB of address space), page blocks go to malloc too. */
#ifndef ACDL_STORE_PAGEMEM_H
#define ACDL_STORE_PAGEMEM_H

#define STORE_PAGEMEM_MIN 4097
#define STORE_PAGEMEM_SLOT 4608
#define STORE_PAGEMEM_CHUNK_KIB 64
#define STORE_PAGEMEM_CHUNKS 4096
#define STORE_PAGEMEM_KEEP 32

/* Makes SQLite allocate through these slabs. Only before SQLite's first use (later it
 * changes nothing and returns ACDL_EINVAL); once per process, later calls return ACDL_OK. */
int store_pagemem_install(void);

/* Gives every empty slab back to the system. Thread-safe. */
void store_pagemem_trim(void);

/* Bytes the slabs hold from the operating system, that is used at least once since given back,
 * and the bytes of the blocks in use in them. Thread-safe. */
void store_pagemem_stats(long long *held, long long *in_use);

#endif
