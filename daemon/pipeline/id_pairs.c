/* id_pairs.c: parsing pasted external-id / agent-identifier pairs (see id_pairs.h). */
#include "pipeline/id_pairs.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"

static size_t trim(const char **s, size_t n)
{
    while (n > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        n--;
    }
    while (n > 0 && ((*s)[n - 1] == ' ' || (*s)[n - 1] == '\t' || (*s)[n - 1] == '\r')) {
        n--;
    }
    return n;
}

static int has_ctl(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
            return 1;
        }
    }
    return 0;
}

int id_pairs_parse(const char *text, struct id_pair *out, int max, int *n, int *bad_line,
                   char *why, size_t whysz)
{
    int line = 0;
    *n = 0;
    *bad_line = 0;
    for (const char *s = text; *s;) {
        const char *e = strchr(s, '\n');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        const char *a = s;
        size_t alen = trim(&a, len);
        line++;
        s += len + (e != NULL);
        if (alen == 0 || a[0] == '#') {
            continue;
        }
        size_t cut = strcspn(a, "\t;,");
        if (cut >= alen) {
            *bad_line = line;
            snprintf(why, whysz, "line %d has no separator (a tab, ; or ,)", line);
            return ACDL_EINVAL;
        }
        const char *x = a, *y = a + cut + 1;
        size_t xl = trim(&x, cut), yl = trim(&y, alen - cut - 1);
        if (*n == max) {
            *bad_line = line;
            snprintf(why, whysz, "more than %d pairs", max);
            return ACDL_ETOOBIG;
        }
        if (xl == 0 || xl > 128 || yl > 128) {
            *bad_line = line;
            snprintf(why, whysz, "line %d: ids are 1-128 characters, identifiers at most 128",
                     line);
            return ACDL_EINVAL;
        }
        if (has_ctl(x, xl) || has_ctl(y, yl) || memchr(y, ';', yl) != NULL) {
            *bad_line = line;
            snprintf(why, whysz, "line %d: control characters or a second separator", line);
            return ACDL_EINVAL;
        }
        memcpy(out[*n].ext, x, xl);
        out[*n].ext[xl] = '\0';
        memcpy(out[*n].agent, y, yl);
        out[*n].agent[yl] = '\0';
        out[*n].line = line;
        (*n)++;
    }
    return ACDL_OK;
}
