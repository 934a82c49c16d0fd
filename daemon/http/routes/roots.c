/* roots.c (routes): GET /api/v1/roots: the folders sources and targets may use, for the
 * console's forms. Read-only: the roots are bootstrap settings (config/roots.h). */
#include "config/roots.h"
#include "http/routes/routes.h"

static json_t *list_json(enum roots_kind kind)
{
    int n = 0;
    const char *const *roots = roots_list(kind, &n);
    json_t *a = json_array();
    for (int i = 0; i < n; i++) {
        json_array_append_new(a, json_string(roots[i]));
    }
    return a;
}

int route_roots_get(struct req *r)
{
    return reply_json(r, 200,
                      json_pack("{s:o, s:o}", "import", list_json(ROOTS_IMPORT), "export",
                                list_json(ROOTS_EXPORT)));
}
