/* ini.h: a parser for the ini files of the legacy Xlink tool (isps_ul.ini, isps.cfg,
 * acd_map.ini) as Windows wrote and read them.
 *
 * Design: the text is UTF-8 when it is valid UTF-8 (a BOM is dropped), else Windows-1252 and
 * converted to UTF-8. Lines end in CRLF, LF or CR. A line is blank, a comment (first non-blank
 * character ';' or '#'), a section header "[name]" (names compared without case, as Windows
 * does), or "key=value" (key and value trimmed; keys compared without case; a value in double
 * quotes loses them). ';' inside a value is data, not a comment: Xlink uses it for lists.
 * Lines before the first section belong to a section with the empty name (acd_map.ini has no
 * sections). Every entry keeps its line and a "taken" mark, so a converter can report each key
 * it used and each it did not. Anything else on a line is kept as a problem with its line and
 * column; nothing is fatal but size limits. */
#ifndef ACDL_XLINK_INI_H
#define ACDL_XLINK_INI_H
#include <stddef.h>

#define INI_MAX_BYTES (4 * 1024 * 1024)
#define INI_MAX_LINE 65536
#define INI_MAX_ENTRIES 20000
#define INI_MAX_PROBLEMS 100

struct ini_entry {
    char *key;   /* as written (trimmed) */
    char *value; /* trimmed, quotes removed */
    int line;
    int quoted; /* 1 when the value was in double quotes */
    int taken;  /* set by ini_take() */
    int section;
};

struct ini_section {
    char *name; /* as written, without the brackets */
    int line;   /* 0 for the implicit section before the first header */
};

struct ini_problem {
    int line, column;
    char text[160];
};

struct ini_file {
    char name[128]; /* for messages */
    int cp1252;     /* 1 when the bytes were read as Windows-1252 */
    int crlf;       /* 1 when lines ended in CRLF */
    struct ini_section *sections;
    size_t nsections;
    struct ini_entry *entries; /* in file order */
    size_t nentries;
    struct ini_problem problems[INI_MAX_PROBLEMS];
    int nproblems;
};

/* Parses data[0..len) of the file called name. *out is new: free with ini_free(). Returns 0,
 * ACDL_ETOOBIG (file, line or entry count over the limits; err says which and where) or
 * ACDL_ENOMEM. */
int ini_parse(const char *name, const char *data, size_t len, struct ini_file **out, char *err,
              size_t errsz);

void ini_free(struct ini_file *f);

/* The index of the first section called name (any case), or -1. */
int ini_section_find(const struct ini_file *f, const char *name);

/* The first entry of section sec whose key is key (any case) and that is not taken yet; marks
 * it taken. NULL when there is none. Borrowed from f. */
struct ini_entry *ini_take(struct ini_file *f, int sec, const char *key);

/* Like ini_take() but leaves the mark alone. */
const struct ini_entry *ini_peek(const struct ini_file *f, int sec, const char *key);

/* Converts Windows-1252 text to UTF-8 into a new NUL-terminated buffer (free()). NULL when out
 * of memory. */
char *ini_cp1252_to_utf8(const char *data, size_t len);

/* 1 when a and b are equal ignoring ASCII case (as Windows compares keys and sections). */
int ini_ieq(const char *a, const char *b);

/* 1 when data[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int ini_is_utf8(const char *data, size_t len);

#endif
