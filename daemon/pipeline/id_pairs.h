/* id_pairs.h: pasted pairs of external agent id and WFM agent identifier, one per line:
 * "external id<sep>identifier" with <sep> a tab, ';' or ',' (the first of them in the line);
 * blanks around both are dropped, blank lines and lines starting with '#' are skipped, and an
 * empty identifier means "make the id unknown again". Pure and thread-safe. */
#ifndef ACDL_PIPELINE_ID_PAIRS_H
#define ACDL_PIPELINE_ID_PAIRS_H
#include <stddef.h>

#define ID_PAIRS_MAX 20000

struct id_pair {
    char ext[129];   /* 1-128 bytes, no control characters */
    char agent[129]; /* 0-128 bytes ("" = unknown again), no control characters */
    int line;        /* 1-based line in the text */
};

/* Parses text (NUL-terminated) into out[0..max) and *n. Returns 0, or ACDL_EINVAL with the
 * line in *bad_line and the reason in why (the pairs parsed so far are in out), or
 * ACDL_ETOOBIG when there are more than max pairs. */
int id_pairs_parse(const char *text, struct id_pair *out, int max, int *n, int *bad_line,
                   char *why, size_t whysz);

#endif
