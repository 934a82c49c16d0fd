/* ini.h: a parser for the ini files of the legacy Xlink tool (isps_ul.ini, isps.cfg,
 * acd_map.ini) as Windows wrote and read them.
 *
 * Design: the text is UTF-16 (little or big endian) when it starts with that byte-order mark
 * (what Notepad saves as "Unicode"), UTF-8 when it is valid UTF-8 (a BOM is dropped), else
 * Windows-1252; all is converted to UTF-8. A file without any text is marked empty; bytes that
 * are not text (control characters beyond a stray one) are refused. Lines end in CRLF, LF or
 * CR. A line is blank, a comment (first non-blank character ';' or '#'), a section header or
 * "key=value" (key and value trimmed; keys compared without case; a value in matching double
 * or single quotes loses them). ';' inside a value is data, not a comment: Xlink uses it for
 * lists. Lines before the first section belong to a section with the empty name (acd_map.ini
 * has no sections).
 *
 * Sections are read the way Windows' profile functions (GetPrivateProfileString) read them,
 * which is what Xlink saw: a header's name ends at the first ']' (text after it is ignored;
 * without ']' the name runs to the end of the line); names compare without case; when a name
 * comes twice, only the first section is read and the keys of the later one are not (each
 * section records the first of its name). A value that opens a quote it does not close is
 * read as written, quote included. Every entry keeps its line and a "taken" mark, so a
 * converter can report each key it used and each it did not. Anything else on a line is kept
 * as a problem with its line and column, saying whether the line is ignored; nothing is fatal
 * but size limits and non-text input. */
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
    int quoted;     /* 1 when the value was in quotes (removed) */
    int open_quote; /* 1 when the value opens a quote it does not close (kept as written) */
    int taken;  /* set by ini_take() */
    int section;
};

struct ini_section {
    char *name; /* as written, without the brackets */
    int line;   /* 0 for the implicit section before the first header */
    int first;  /* index of the first section of this name: itself unless repeated */
};

struct ini_problem {
    int line, column;
    int ignored; /* 1 when the line is not read at all */
    char text[200];
};

struct ini_file {
    char name[128]; /* for messages */
    int cp1252;     /* 1 when the bytes were read as Windows-1252 */
    const char *encoding; /* "utf-8", "windows-1252", "utf-16le" or "utf-16be" (static) */
    int empty;            /* 1 when the file holds no text at all */
    int crlf;       /* 1 when lines ended in CRLF */
    struct ini_section *sections;
    size_t nsections;
    struct ini_entry *entries; /* in file order */
    size_t nentries;
    struct ini_problem problems[INI_MAX_PROBLEMS];
    int nproblems;
};

/* Parses data[0..len) of the file called name. *out is new: free with ini_free(). Returns 0,
 * ACDL_ETOOBIG (file, line or entry count over the limits; err says which and where),
 * ACDL_EINVAL (not text: binary bytes, or UTF-16 cut in half; err says what) or ACDL_ENOMEM. */
int ini_parse(const char *name, const char *data, size_t len, struct ini_file **out, char *err,
              size_t errsz);

void ini_free(struct ini_file *f);

/* The index of the first section called name (any case), or -1. Later sections of the same
 * name are never read (f->sections[i].first != i). */
int ini_section_find(const struct ini_file *f, const char *name);

/* The first entry of section sec (that very section, not a later one of the same name) whose
 * key is key (any case) and that is not taken yet; marks it taken. NULL when there is none.
 * Borrowed from f. */
struct ini_entry *ini_take(struct ini_file *f, int sec, const char *key);

/* Like ini_take() but leaves the mark alone. */
const struct ini_entry *ini_peek(const struct ini_file *f, int sec, const char *key);

/* Converts Windows-1252 text to UTF-8 into a new NUL-terminated buffer (free()) of *outlen
 * bytes (NUL bytes of the input are kept). NULL when out of memory. */
char *ini_cp1252_to_utf8(const char *data, size_t len, size_t *outlen);

/* Converts UTF-16 (big_endian or little, without its BOM) to UTF-8 like ini_cp1252_to_utf8;
 * an unpaired surrogate becomes U+FFFD. NULL when out of memory. */
char *ini_utf16_to_utf8(const char *data, size_t len, int big_endian, size_t *outlen);

/* 1 when a and b are equal ignoring ASCII case (as Windows compares keys and sections). */
int ini_ieq(const char *a, const char *b);

/* 1 when data[0..len) is valid UTF-8 (no overlongs, no surrogates). */
int ini_is_utf8(const char *data, size_t len);

#endif
