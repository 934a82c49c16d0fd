/* tzif.h: one zone of the compiled tz database (a TZif file, RFC 8536) and its offsets.
 *
 * The system's tz database (Debian's tzdata package: /usr/share/zoneinfo) is kept current by
 * the operating system's updates, independently of ICU's built-in copy, which is as old as the
 * ICU release. core/tz.c reads zones from it through this parser. A TZif file lists the UTC
 * instants at which a zone's offset changed, and its footer (a POSIX TZ string such as
 * "CET-1CEST,M3.5.0,M10.5.0/3") gives the rule for every instant after the last one.
 *
 * Pure functions on memory: no I/O, no global state; a parsed zone is immutable, so one may be
 * shared by any number of threads. Returns 0 or a negative ACDL_E* code (core/err.h). */
#ifndef ACDL_CORE_TZIF_H
#define ACDL_CORE_TZIF_H
#include <stddef.h>
#include <stdint.h>

/* Largest TZif file accepted (the biggest in the tz database is about 4 kB). */
#define TZIF_FILE_MAX (256 * 1024)

struct tzif;

/* Parses a TZif file of version 1 to 4 held in buf[0..len-1]. Checked: the magic, every
 * count against the length and its limits, ascending transition times, type indexes, offsets
 * within -25 h .. +26 h, and the footer's POSIX TZ string (with RFC 8536's extensions: hours
 * of rule times from -167 to 167). Files with leap-second records ("right/" zones) are
 * refused: their times are not UTC seconds. *out is new: free it with tzif_free().
 * ACDL_EINVAL for a malformed file (*err, when not NULL, gets a static reason), ACDL_ENOMEM. */
int tzif_parse(const unsigned char *buf, size_t len, struct tzif **out, const char **err);

/* Frees z; NULL is fine. */
void tzif_free(struct tzif *z);

/* The zone's total UTC offset (seconds, east positive: 7200 for CEST) at instant t (seconds
 * since the epoch, UTC). */
int32_t tzif_offset(const struct tzif *z, int64_t t);

/* The first instant after t at which the zone's offset or rule changes, into *next. Returns 1
 * when there is one, 0 when the zone has no more changes (a fixed offset from then on). Some
 * transitions change only the abbreviation or the DST flag and keep the offset. */
int tzif_next(const struct tzif *z, int64_t t, int64_t *next);

#endif
