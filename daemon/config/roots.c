/* roots.c: the allowed roots of source and target folders, and the checks against them. */
#include "config/roots.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"
#include "core/why.h"
#include "platform/platform.h"

#define HOST (PLAT_PATH_WINDOWS ? FSPATH_WINDOWS : FSPATH_POSIX)
#define OWN_MAX 8

static struct {
    int ready;
    char roots[2][ROOTS_MAX][ROOTS_PATH_MAX];
    int n[2];
    const char *ptr[2][ROOTS_MAX];
    char data[ROOTS_PATH_MAX];
    char own_files[OWN_MAX][ROOTS_PATH_MAX]; /* the daemon's files outside the data folder */
    int nown;
} R;

static const char *const setting_name[2] = {"import_roots", "export_roots"};

int roots_parse_list(enum fspath_flavour fl, const char *list, char (*out)[ROOTS_PATH_MAX], int max,
                     int *n, char *why, size_t whysz)
{
    const char *p = list;
    *n = 0;
    while (*p) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char one[ROOTS_PATH_MAX];
        const char *w = NULL;
        while (len > 0 && (*p == ' ' || *p == '\t')) {
            p++, len--;
        }
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t')) {
            len--;
        }
        if (len >= sizeof(one)) {
            snprintf(why, whysz, "'%.60s...' is too long", p);
            return ACDL_EINVAL;
        }
        memcpy(one, p, len);
        one[len] = '\0';
        p = end ? end + 1 : p + strlen(p);
        if (len == 0) {
            continue;
        }
        if (*n == max) {
            snprintf(why, whysz, "at most %d folders", max);
            return ACDL_EINVAL;
        }
        if (fspath_normalize(fl, one, out[*n], ROOTS_PATH_MAX, &w) != ACDL_OK) {
            snprintf(why, whysz, "'%s' %s", one, w ? w : "is too long");
            return ACDL_EINVAL;
        }
        (*n)++;
    }
    return ACDL_OK;
}

static int same(enum fspath_flavour fl, const char *a, const char *b)
{
    return fspath_inside(fl, a, b) && fspath_inside(fl, b, a);
}

/* 1 when root lies in the data folder on a name acdlink uses itself (the database, key, TLS
 * files, lock, log, first password), or is the data folder. */
static int own_entry(enum fspath_flavour fl, const char *root, const char *data)
{
    static const char *const names[] = {"tls", "secret.key", "initial-admin-password"};
    char sep = fl == FSPATH_WINDOWS ? '\\' : '/';
    size_t dl = strlen(data);
    if (!data[0] || !fspath_inside(fl, root, data)) {
        return 0;
    }
    const char *first = root + dl + (data[dl - 1] == sep ? 0 : 1);
    if (root[dl] == '\0' || !*first) {
        return 1;
    }
    size_t n = strcspn(first, fl == FSPATH_WINDOWS ? "\\" : "/");
    char lowered[64];
    if (n >= sizeof(lowered)) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = first[i];
        lowered[i] = fl == FSPATH_WINDOWS && c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
    }
    lowered[n] = '\0';
    if (!strncmp(lowered, "acdlink", 7)) {
        return 1;
    }
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!strcmp(lowered, names[i])) {
            return 1;
        }
    }
    return 0;
}

int roots_decide(enum fspath_flavour fl, const char *folder, const char *const *roots, int n,
                 const char *data, const char *const *own, int nown, const char **why)
{
    int in_data = data && data[0] && fspath_inside(fl, folder, data);
    for (int i = 0; i < nown; i++) {
        if (same(fl, folder, own[i])) {
            *why = "holds acdlink's own files (key, certificate, log or config), which is never "
                   "allowed";
            return ACDL_EPERM;
        }
    }
    for (int i = 0; i < n; i++) {
        if (!fspath_inside(fl, folder, roots[i])) {
            continue;
        }
        /* a root above the data folder does not open it; a root inside it opens only itself */
        if (!in_data || (fspath_inside(fl, roots[i], data) && !own_entry(fl, roots[i], data))) {
            *why = NULL;
            return ACDL_OK;
        }
    }
    *why = in_data ? "lies in acdlink's data folder, which is never allowed"
                   : "is outside the allowed folders";
    return ACDL_EPERM;
}

/* The system's view of path (symbolic links resolved) in normal form; a path whose end does
 * not exist yet is resolved as far as it exists. */
static int resolve(const char *norm, char *out, size_t outsz)
{
    char head[ROOTS_PATH_MAX], real[ROOTS_PATH_MAX], tail[ROOTS_PATH_MAX] = "";
    const char *why = NULL;
    char sep = PLAT_PATH_WINDOWS ? '\\' : '/';
    const char sepstr[2] = {sep, '\0'};
    snprintf(head, sizeof(head), "%s", norm);
    for (;;) {
        if (plat_path_real(head, real, sizeof(real)) == ACDL_OK) {
            char joined[ROOTS_PATH_MAX * 2];
            size_t rl = strlen(real);
            snprintf(joined, sizeof(joined), "%s%s%s", real,
                     tail[0] && rl && real[rl - 1] != sep ? sepstr : "", tail);
            return fspath_normalize(HOST, joined, out, outsz, &why);
        }
        char parent[ROOTS_PATH_MAX];
        if (fspath_parent(HOST, head, parent, sizeof(parent)) != ACDL_OK || !strcmp(parent, head)) {
            /* nothing of it exists (an unreachable share): the text is all there is */
            return fspath_normalize(HOST, norm, out, outsz, &why);
        }
        char t2[ROOTS_PATH_MAX];
        const char *last = head + strlen(parent);
        if (*last == sep) {
            last++;
        }
        snprintf(t2, sizeof(t2), "%s%s%s", last, tail[0] ? sepstr : "", tail);
        snprintf(tail, sizeof(tail), "%s", t2);
        snprintf(head, sizeof(head), "%s", parent);
    }
}

int roots_init(const struct acdl_config *cfg, char *err, size_t errsz)
{
    char why[600] = "", abs_data[ROOTS_PATH_MAX];
    const char *w = NULL;
    const char *lists[2] = {cfg->import_roots, cfg->export_roots};
    memset(&R, 0, sizeof(R));
    if (plat_path_absolute(cfg->data_dir, abs_data, sizeof(abs_data)) != ACDL_OK ||
        fspath_normalize(HOST, abs_data, R.data, sizeof(R.data), &w) != ACDL_OK) {
        snprintf(err, errsz, "data_dir: '%s' %s", cfg->data_dir, w ? w : "cannot be resolved");
        return ACDL_EINVAL;
    }
    for (int k = 0; k < 2; k++) {
        if (lists[k][0]) {
            if (roots_parse_list(HOST, lists[k], R.roots[k], ROOTS_MAX, &R.n[k], why,
                                 sizeof(why)) != ACDL_OK) {
                snprintf(err, errsz, "%s: %s (a list of absolute folders separated by ';')",
                         setting_name[k], why);
                return ACDL_EINVAL;
            }
        } else {
            snprintf(R.roots[k][0], ROOTS_PATH_MAX, "%s%c%s", R.data,
                     PLAT_PATH_WINDOWS ? '\\' : '/', k == ROOTS_IMPORT ? "import" : "export");
            R.n[k] = 1;
        }
        for (int i = 0; i < R.n[k]; i++) {
            R.ptr[k][i] = R.roots[k][i];
            if (own_entry(HOST, R.roots[k][i], R.data)) {
                snprintf(err, errsz,
                         "%s: '%s' holds acdlink's own files; give a folder of its own, such as "
                         "%s%c%s",
                         setting_name[k], R.roots[k][i], R.data, PLAT_PATH_WINDOWS ? '\\' : '/',
                         k == ROOTS_IMPORT ? "import" : "export");
                return ACDL_EINVAL;
            }
        }
    }
    /* the daemon's files outside the data folder: their folders are never source folders */
    const char *files[] = {cfg->secret_key_file, cfg->tls_cert, cfg->tls_key, cfg->log_file,
                           cfg->config_file};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]) && R.nown < OWN_MAX; i++) {
        char a[ROOTS_PATH_MAX], n[ROOTS_PATH_MAX];
        if (!files[i][0] || plat_path_absolute(files[i], a, sizeof(a)) != ACDL_OK ||
            fspath_normalize(HOST, a, n, sizeof(n), &w) != ACDL_OK) {
            continue;
        }
        fspath_parent(HOST, n, R.own_files[R.nown++], ROOTS_PATH_MAX);
    }
    R.ready = 1;
    return ACDL_OK;
}

void roots_create(void)
{
    for (int k = 0; k < 2 && R.ready; k++) {
        for (int i = 0; i < R.n[k]; i++) {
            if (!plat_path_exists(R.roots[k][i]) && plat_mkdir_p(R.roots[k][i], 0) != ACDL_OK) {
                log_warn("main", "%s: cannot create %s", setting_name[k], R.roots[k][i]);
            }
        }
    }
}

const char *const *roots_list(enum roots_kind kind, int *n)
{
    *n = R.ready ? R.n[kind] : 0;
    return R.ptr[kind];
}

#define ROOTS_NONE "(none)" /* the list of no roots */

void roots_describe(enum roots_kind kind, char *out, size_t outsz)
{
    size_t o = 0;
    out[0] = '\0';
    for (int i = 0; R.ready && i < R.n[kind] && o < outsz; i++) {
        int w = snprintf(out + o, outsz - o, "%s%s", i ? ", " : "", R.roots[kind][i]);
        if (w < 0) {
            break;
        }
        o += (size_t)w;
    }
    if (!out[0]) {
        snprintf(out, outsz, "%s", ROOTS_NONE);
    }
}

/* The message code of a refusal of roots_decide() (its why). */
static const char *refusal_code(const char *w)
{
    return w[0] == 'h' ? "roots.own_files" : w[0] == 'l' ? "roots.in_data" : "roots.outside";
}

/* The parameters of a refused folder: the folder as given (with the folder it really is when
 * that differs, as a message of its own), the allowed roots and the setting that holds them. */
static json_t *refusal_params(const char *folder, const char *res, const char *list,
                              const char *setting)
{
    int same_folder = !strcmp(folder, res);
    json_t *shown = same_folder ? json_pack("{s:s%}", "folder", folder, strnlen(folder, 300))
                                : json_pack("{s:s%, s:s%}", "folder", folder, strnlen(folder, 300),
                                            "real", res, strnlen(res, 300));
    char text[700];
    if (same_folder) {
        snprintf(text, sizeof(text), "'%.300s'", folder);
    } else {
        snprintf(text, sizeof(text), "'%.300s' (that is %.300s)", folder, res);
    }
    json_t *p = json_pack("{s:s, s:s, s:o, s:s, s:s}", "folder", text, "folder_code",
                          same_folder ? "roots.folder" : "roots.folder_real", "folder_params",
                          shown, "roots", list, "setting", setting);
    if (p && !strcmp(list, ROOTS_NONE)) { /* "(none)" is a word of its own */
        json_object_set_new(p, "roots_code", json_string("roots.none"));
        json_object_set_new(p, "roots_params", json_object());
    }
    return p;
}

int roots_check_folder(enum roots_kind kind, const char *folder, char *real, size_t realsz,
                       char *why, size_t whysz)
{
    char norm[ROOTS_PATH_MAX], res[ROOTS_PATH_MAX], list[1200];
    char rr[ROOTS_MAX][ROOTS_PATH_MAX], data[ROOTS_PATH_MAX], own[OWN_MAX][ROOTS_PATH_MAX];
    const char *rp[ROOTS_MAX], *op[OWN_MAX];
    const char *w = NULL;
    int rc;
    if (fspath_normalize(HOST, folder, norm, sizeof(norm), &w) != ACDL_OK) {
        const char *code = NULL;
        if (HOST == FSPATH_POSIX &&
            fspath_normalize(FSPATH_WINDOWS, folder, norm, sizeof(norm), &w) == ACDL_OK) {
            w = folder[0] == '\\' ? "is a Windows network path: mount the share on this machine "
                                    "(for example with mount.cifs) and give the mounted folder"
                                  : "is a Windows path; give a folder of this machine";
            code = folder[0] == '\\' ? "roots.windows_share" : "roots.windows_path";
        }
        snprintf(why, whysz, "'%.300s' %s", folder, w ? w : "is too long");
        char wcode[48];
        json_t *wparams = NULL;
        if (!code && w && why_match(w, wcode, sizeof(wcode), &wparams)) {
            /* the path's own problem (core/fspath.c), worded from its code */
            why_note(why, "roots.path",
                     json_pack("{s:s%, s:s, s:s, s:o}", "folder", folder, strnlen(folder, 300),
                               "why", w, "why_code", wcode, "why_params", wparams));
        }
        code = code ? code : w ? NULL : "roots.too_long";
        if (code) {
            why_note(why, code, json_pack("{s:s%}", "folder", folder, strnlen(folder, 300)));
        }
        return ACDL_EINVAL;
    }
    if (!R.ready) {
        snprintf(why, whysz, "'%.300s' cannot be checked: no allowed folders are set", folder);
        why_note(why, "roots.unchecked",
                 json_pack("{s:s%}", "folder", folder, strnlen(folder, 300)));
        return ACDL_EPERM;
    }
    resolve(norm, res, sizeof(res));
    for (int i = 0; i < R.n[kind]; i++) {
        resolve(R.roots[kind][i], rr[i], sizeof(rr[i]));
        rp[i] = rr[i];
    }
    for (int i = 0; i < R.nown; i++) {
        resolve(R.own_files[i], own[i], sizeof(own[i]));
        op[i] = own[i];
    }
    resolve(R.data, data, sizeof(data));
    rc = roots_decide(HOST, res, rp, R.n[kind], data, op, R.nown, &w);
    if (rc != ACDL_OK) {
        roots_describe(kind, list, sizeof(list));
        snprintf(why, whysz,
                 "'%.300s'%s%.300s%s %s; allowed are folders inside %s (%s), set by whoever "
                 "runs the machine",
                 folder, strcmp(folder, res) ? " (that is " : "", strcmp(folder, res) ? res : "",
                 strcmp(folder, res) ? ")" : "", w, list, setting_name[kind]);
        why_note(why, refusal_code(w), refusal_params(folder, res, list, setting_name[kind]));
        return rc;
    }
    if (real) {
        snprintf(real, realsz, "%s", res);
    }
    return ACDL_OK;
}

/* Writes why (the reason file cannot be read, worded by fmt) and notes its message code code
 * with the file and params (stolen, NULL: none) as parameters (core/why.h). */
static void file_why(char *why, size_t whysz, const char *file, const char *code, json_t *params,
                     const char *fmt, ...) ACDL_PRINTF(6, 7);
static void file_why(char *why, size_t whysz, const char *file, const char *code, json_t *params,
                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whysz, fmt, ap);
    va_end(ap);
    json_t *p = params ? params : json_object();
    json_object_set_new(p, "file", json_stringn(file, strnlen(file, 300)));
    why_note(why, code, p);
}

/* Splits the resolved form of file into its folder and name. Returns 0 or ACDL_EINVAL / an
 * error of roots_check_folder() with why. */
static int file_split(enum roots_kind kind, const char *file, char *dir, size_t dirsz, char *name,
                      size_t namesz, char *why, size_t whysz)
{
    char norm[ROOTS_PATH_MAX], res[ROOTS_PATH_MAX], fwhy[1600] = "";
    const char *w = NULL;
    char sep = PLAT_PATH_WINDOWS ? '\\' : '/';
    if (fspath_normalize(HOST, file, norm, sizeof(norm), &w) != ACDL_OK) {
        snprintf(why, whysz, "'%.300s' %s", file, w ? w : "is too long");
        return ACDL_EINVAL;
    }
    resolve(norm, res, sizeof(res));
    if (fspath_parent(HOST, res, dir, dirsz) != ACDL_OK || !strcmp(dir, res)) {
        file_why(why, whysz, file, "roots.file_not_file", NULL, "'%.300s' is not a file", file);
        return ACDL_EINVAL;
    }
    const char *last = res + strlen(dir);
    if (*last == sep) {
        last++;
    }
    snprintf(name, namesz, "%s", last);
    int rc = roots_check_folder(kind, dir, NULL, 0, fwhy, sizeof(fwhy));
    if (rc != ACDL_OK) {
        snprintf(why, whysz, "'%.300s' is not allowed: its folder %s", file, fwhy);
        why_note(why, "roots.file_refused",
                 why_attach(json_pack("{s:s%}", "file", file, strnlen(file, 300)), "why", fwhy));
    }
    return rc;
}

int roots_check_file(enum roots_kind kind, const char *file, char *why, size_t whysz)
{
    char dir[ROOTS_PATH_MAX], name[ROOTS_PATH_MAX];
    return file_split(kind, file, dir, sizeof(dir), name, sizeof(name), why, whysz);
}

int roots_read_file(enum roots_kind kind, const char *file, size_t max, char **out, size_t *len,
                    char *why, size_t whysz)
{
    char dir[ROOTS_PATH_MAX], name[ROOTS_PATH_MAX], real[ROOTS_PATH_MAX], parent[ROOTS_PATH_MAX];
    char fwhy[1600] = "";
    struct plat_dir *d = NULL;
    enum plat_entry_kind k = PLAT_ENTRY_FILE;
    FILE *f = NULL;
    char *buf = NULL;
    size_t n = 0;
    int rc = file_split(kind, file, dir, sizeof(dir), name, sizeof(name), why, whysz);
    *out = NULL;
    *len = 0;
    if (rc != ACDL_OK) {
        goto out;
    }
    rc = plat_dir_open(dir, &d);
    if (rc != ACDL_OK) {
        if (rc == ACDL_ENOTFOUND) {
            file_why(why, whysz, file, "roots.file_folder_missing", NULL,
                     "'%.300s' cannot be read: its folder does not exist", file);
        } else {
            file_why(why, whysz, file, "roots.file_folder_unreadable",
                     why_attach(json_object(), "reason", acdl_strerror(rc)),
                     "'%.300s' cannot be read: its folder %s", file, acdl_strerror(rc));
        }
        goto out;
    }
    if ((plat_dir_real(d, real, sizeof(real)) != ACDL_OK ||
         roots_check_folder(kind, real, NULL, 0, fwhy, sizeof(fwhy)) != ACDL_OK)) {
        rc = ACDL_EPERM;
    }
    if (rc == ACDL_OK) {
        rc = plat_dir_open_file(d, name, &f, real, sizeof(real), &k);
    }
    /* a link, or a folder swapped meanwhile, must not lead out of the roots */
    if (rc == ACDL_OK &&
        (fspath_parent(HOST, real, parent, sizeof(parent)) != ACDL_OK ||
         roots_check_folder(kind, parent, NULL, 0, fwhy, sizeof(fwhy)) != ACDL_OK)) {
        rc = ACDL_EPERM;
        k = PLAT_ENTRY_FILE;
    }
    if (rc == ACDL_ENOTFOUND) {
        file_why(why, whysz, file, "roots.file_missing", NULL, "'%.300s' does not exist", file);
        goto out;
    }
    if (rc == ACDL_EPERM && k != PLAT_ENTRY_FILE) {
        file_why(why, whysz, file, "roots.file_not_regular",
                 json_pack("{s:s}", "kind", plat_entry_kind_key(k)),
                 "'%.300s' is %s, not a regular file", file, plat_entry_kind_text(k));
        goto out;
    }
    if (rc == ACDL_EPERM) {
        file_why(why, whysz, file, "roots.file_changed", NULL,
                 "'%.300s' changed while it was opened and now leads outside the allowed "
                 "folders; not read",
                 file);
        goto out;
    }
    if (rc != ACDL_OK) {
        file_why(why, whysz, file, "roots.file_unreadable",
                 why_attach(json_object(), "reason", acdl_strerror(rc)),
                 "'%.300s' cannot be read: %s", file, acdl_strerror(rc));
        goto out;
    }
    if (!(buf = malloc(max + 1))) {
        rc = ACDL_ENOMEM;
        snprintf(why, whysz, "'%.300s': out of memory", file);
        goto out;
    }
    n = fread(buf, 1, max + 1, f);
    if (ferror(f)) {
        rc = ACDL_EIO;
        file_why(why, whysz, file, "roots.file_read_failed", NULL, "'%.300s' cannot be read",
                 file);
        goto out;
    }
    if (n > max) {
        rc = ACDL_ETOOBIG;
        file_why(why, whysz, file, "roots.file_too_large",
                 json_pack("{s:I}", "max", (json_int_t)max), "'%.300s' is larger than %zu bytes",
                 file, max);
        goto out;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    if (f) {
        fclose(f);
    }
    plat_dir_close(d);
    return rc;
}
