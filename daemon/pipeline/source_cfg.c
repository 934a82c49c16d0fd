/* source_cfg.c: validation of a source's settings JSON, field by field. */
#include "pipeline/source_cfg.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "adapters/odbc/odbc.h"
#include "config/roots.h"
#include "core/err.h"
#include "core/fspath.h"
#include "pipeline/expr.h"
#include "platform/platform.h"

const char *source_kind_name(enum source_kind k)
{
    return k == SOURCE_ODBC ? "odbc" : "csv";
}

const char *source_layout_name(enum source_layout l)
{
    return l == LAYOUT_CONTACT ? "contact" : "interval";
}

int source_kind_parse(const char *s, enum source_kind *out)
{
    if (!strcmp(s, "csv")) {
        *out = SOURCE_CSV;
    } else if (!strcmp(s, "odbc")) {
        *out = SOURCE_ODBC;
    } else {
        return ACDL_EINVAL;
    }
    return ACDL_OK;
}

int source_layout_parse(const char *s, enum source_layout *out)
{
    if (!strcmp(s, "interval")) {
        *out = LAYOUT_INTERVAL;
    } else if (!strcmp(s, "contact")) {
        *out = LAYOUT_CONTACT;
    } else {
        return ACDL_EINVAL;
    }
    return ACDL_OK;
}

static int fail(char *err, size_t errsz, const char *field, const char *why)
{
    snprintf(err, errsz, "%s: %s", field, why);
    return ACDL_EINVAL;
}

static int has_ctl(const char *s)
{
    for (; *s; s++) {
        if ((unsigned char)*s < 0x20 || *s == 0x7f) {
            return 1;
        }
    }
    return 0;
}

/* Copies an optional string member; absent or null leaves dst as it is. */
static int get_str(const json_t *obj, const char *key, const char *field, char *dst, size_t dstsz,
                   int allow_ctl, char *err, size_t errsz)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        return ACDL_OK;
    }
    if (!json_is_string(v)) {
        return fail(err, errsz, field, "must be a string");
    }
    const char *s = json_string_value(v);
    if (strlen(s) >= dstsz || json_string_length(v) != strlen(s)) {
        return fail(err, errsz, field, "is too long or contains a NUL character");
    }
    if (!allow_ctl && has_ctl(s)) {
        return fail(err, errsz, field, "must not contain control characters");
    }
    memcpy(dst, s, strlen(s) + 1);
    return ACDL_OK;
}

static int get_int(const json_t *obj, const char *key, const char *field, int lo, int hi,
                   int *dst, char *err, size_t errsz)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        return ACDL_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi) {
        char why[64] = "";
        snprintf(why, sizeof(why), "must be a whole number from %d to %d", lo, hi);
        return fail(err, errsz, field, why);
    }
    *dst = (int)json_integer_value(v);
    return ACDL_OK;
}

static int get_bool(const json_t *obj, const char *key, const char *field, int *dst, char *err,
                    size_t errsz)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        return ACDL_OK;
    }
    if (!json_is_boolean(v)) {
        return fail(err, errsz, field, "must be true or false");
    }
    *dst = json_is_true(v);
    return ACDL_OK;
}

/* Every member of obj must be one of the allowed keys. */
static int only_keys(const json_t *obj, const char *where, const char *const *keys, char *err,
                     size_t errsz)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v)
    {
        int ok = 0;
        for (const char *const *p = keys; *p; p++) {
            ok |= strcmp(k, *p) == 0;
        }
        if (!ok) {
            char field[160];
            snprintf(field, sizeof(field), "%s%s%.64s", where, *where ? "." : "", k);
            return fail(err, errsz, field, "is not a known setting");
        }
    }
    return ACDL_OK;
}

/* A column: a header name (string) or a 1-based number (integer). */
static int get_column(const json_t *obj, const char *key, const char *field,
                      struct source_column *dst, char *err, size_t errsz)
{
    json_t *v = json_object_get(obj, key);
    dst->spec[0] = '\0';
    if (!v || json_is_null(v)) {
        return ACDL_OK;
    }
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 1 || json_integer_value(v) > 100000) {
            return fail(err, errsz, field, "a column number must be from 1 to 100000");
        }
        snprintf(dst->spec, sizeof(dst->spec), "%lld", (long long)json_integer_value(v));
        return ACDL_OK;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 ||
        json_string_length(v) >= sizeof(dst->spec) || has_ctl(json_string_value(v))) {
        return fail(err, errsz, field, "must be a column name (text) or a column number");
    }
    snprintf(dst->spec, sizeof(dst->spec), "%s", json_string_value(v));
    return ACDL_OK;
}

static int check_name(const char *s)
{
    size_t n = strlen(s);
    if (n < 1 || n > 64) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.' || c == ' ')) {
            return 0;
        }
    }
    return 1;
}

/* Checks that text is a valid, allowed expression, whatever names it uses (the names are only
 * known from the data's header at import time). */
static int check_expression(const char *field, const char *text, char *err, size_t errsz)
{
    char names_buf[32][129];
    const char *names[32];
    int n = 0;
    char why[800] = "";
    for (;;) {
        struct expr *e = NULL;
        if (expr_compile(text, names, n, &e, why, sizeof(why)) == ACDL_OK) {
            expr_free(e);
            return ACDL_OK;
        }
        const char *p = strstr(why, "unknown name '");
        if (!p || n == 32) {
            return fail(err, errsz, field, why);
        }
        p += 14;
        const char *q = strchr(p, '\'');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len == 0 || len >= sizeof(names_buf[0])) {
            return fail(err, errsz, field, why);
        }
        memcpy(names_buf[n], p, len);
        names_buf[n][len] = '\0';
        names[n] = names_buf[n];
        n++;
    }
}

/* A folder must be an absolute path (core/fspath.h): a POSIX one, or one with a Windows drive
 * letter (settings written for one appliance are read on others: config apply, the Xlink
 * migration); a UNC share only where acdlink runs on Windows, since elsewhere a share must be
 * mounted first. Whether it can be used here is checked against the allowed roots
 * (source_cfg_check_paths). */
static int check_folder(const char *field, const char *folder, char *err, size_t errsz)
{
    char norm[SOURCE_PATH_MAX];
    const char *why = NULL, *why_win = NULL;
    int unc = (folder[0] == '\\' || folder[0] == '/') && (folder[1] == '\\' || folder[1] == '/');
    if ((!unc || !PLAT_PATH_WINDOWS) &&
        fspath_normalize(FSPATH_POSIX, folder, norm, sizeof(norm), &why) == ACDL_OK) {
        return ACDL_OK;
    }
    if ((!unc || PLAT_PATH_WINDOWS) &&
        fspath_normalize(FSPATH_WINDOWS, folder, norm, sizeof(norm), &why_win) == ACDL_OK) {
        return ACDL_OK;
    }
    if (unc && !PLAT_PATH_WINDOWS) {
        return fail(err, errsz, field, "must be an absolute path: a Windows share (UNC path) is "
                                       "not a folder here; mount it and give the mounted folder");
    }
    why = PLAT_PATH_WINDOWS ? why_win : why;
    return fail(err, errsz, field, why ? why : "is too long");
}

/* 1 when path has a ".." part (between '/' or '\\'). */
static int has_dotdot(const char *path)
{
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/\\");
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            return 1;
        }
        p += n + (p[n] != '\0');
    }
    return 0;
}

static int is_folder(const char *path)
{
    struct plat_dir *d = NULL;
    if (plat_dir_open(path, &d) != ACDL_OK) {
        return 0;
    }
    plat_dir_close(d);
    return 1;
}

/* An ODBC connection string's members that name files: file DSNs (read, or written by
 * SAVEFILE), and database files (SQLite, Access, Firebird, dBase: read with the daemon's
 * rights, so only inside the import roots, like source folders). */
static int check_connstr_files(const char *cs, char *err, size_t errsz)
{
    /* files first, then the keys that name a folder */
    static const char *const files[] = {"Database", "DBQ", "DBPath", "DefaultDir", NULL};
    char v[1024] = "", why[1800] = "", full[ROOTS_PATH_MAX];
    if (odbc_connstr_get(cs, "FILEDSN", v, sizeof(v)) ||
        odbc_connstr_get(cs, "SAVEFILE", v, sizeof(v))) {
        return fail(err, errsz, "odbc.connection_string",
                    "FILEDSN= and SAVEFILE= name files; use a DSN of the machine or the "
                    "connection's own keys");
    }
    for (int i = 0; files[i]; i++) {
        if (!odbc_connstr_get(cs, files[i], v, sizeof(v)) || !v[0]) {
            continue;
        }
        if ((v[0] | 0x20) == 'f' && (v[1] | 0x20) == 'i' && (v[2] | 0x20) == 'l' &&
            (v[3] | 0x20) == 'e' && v[4] == ':') { /* SQLite's URI file names */
            char what[64];
            snprintf(what, sizeof(what), "odbc.connection_string (%s=)", files[i]);
            snprintf(why, sizeof(why), "'%.300s' is a file: URI: give the file's path", v);
            return fail(err, errsz, what, why);
        }
        int abs = v[0] == '/' || v[0] == '\\' || (v[0] && v[1] == ':');
        const char *file = v;
        /* a relative path is opened from the daemon's working folder, so it is checked as that
         * path; a bare name is one only when it names a file there (or a folder, for the keys
         * that take a folder): otherwise it is a database name (PostgreSQL, MariaDB) */
        if (!abs && plat_path_absolute(v, full, sizeof(full)) != ACDL_OK) {
            return fail(err, errsz, "odbc.connection_string", "is too long");
        }
        if (!abs && !strpbrk(v, "/\\") && (!plat_path_exists(full) || (i < 2 && is_folder(full)))) {
            continue;
        }
        file = abs ? v : full;
        if (has_dotdot(v)) { /* the roots are checked on the path as written */
            snprintf(why, sizeof(why), "'%.300s' must not contain '..': name the file itself", v);
        }
        /* a path in the form of the other OS: nothing the driver could open here */
        if (has_dotdot(v) || roots_check_file(ROOTS_IMPORT, file, why, sizeof(why)) == ACDL_EPERM) {
            char what[64];
            snprintf(what, sizeof(what), "odbc.connection_string (%s=)", files[i]);
            return fail(err, errsz, what, why);
        }
    }
    return ACDL_OK;
}

/* Whether an ODBC Driver= value names a library file rather than a registered driver. */
static int names_library(const char *v)
{
    static const char *const ext[] = {".so", ".dll", ".dylib", NULL};
    size_t n = strlen(v);
    if (strchr(v, '/') || strchr(v, '\\') || strstr(v, ".so.")) {
        return 1;
    }
    for (int i = 0; ext[i]; i++) {
        size_t k = strlen(ext[i]), j = 0;
        while (n >= k && j < k && (v[n - k + j] | 0x20) == ext[i][j]) {
            j++;
        }
        if (n >= k && j == k) {
            return 1;
        }
    }
    return 0;
}

/* The driver manager loads the library a connection string names, so Driver= must name a
 * driver the machine's administrator registered (odbcinst.ini, the registry on Windows), and
 * members that make a driver load further libraries are refused. A DSN is the administrator's
 * definition (odbc.ini): its driver is used as defined. */
int source_cfg_check_driver(const struct source_cfg *cfg, char *err, size_t errsz)
{
    const char *cs = cfg->connection_string;
    static const char *const loads[] = {"LoadExt", "TranslationDLL", "TranslateDLL", "PLUGIN_DIR",
                                        NULL};
    /* statements a driver sends itself after connecting, apart from the source's one SELECT:
     * MariaDB's driver runs INITSTMT=, and a LOAD DATA LOCAL INFILE there sends a local file */
    static const char *const stmts[] = {"INITSTMT", NULL};
    char v[512] = "", names[1024] = "", why[1800];
    if (cfg->kind != SOURCE_ODBC) {
        return ACDL_OK;
    }
    for (int i = 0; loads[i]; i++) {
        if (odbc_connstr_get(cs, loads[i], v, sizeof(v))) {
            snprintf(why, sizeof(why), "%s= loads a library into the daemon; leave it out",
                     loads[i]);
            return fail(err, errsz, "odbc.connection_string", why);
        }
    }
    for (int i = 0; stmts[i]; i++) {
        if (odbc_connstr_get(cs, stmts[i], v, sizeof(v))) {
            snprintf(why, sizeof(why),
                     "%s= sends a statement of its own when connecting; leave it out (the "
                     "source's SQL is the one statement sent)",
                     stmts[i]);
            return fail(err, errsz, "odbc.connection_string", why);
        }
    }
    if (!odbc_connstr_get(cs, "Driver", v, sizeof(v))) {
        return ACDL_OK;
    }
    int registered = odbc_driver_registered(v, names, sizeof(names));
    if (registered == 1 && !names_library(v)) {
        return ACDL_OK;
    }
    if (registered < 0) {
        snprintf(why, sizeof(why),
                 "the ODBC driver manager cannot list its drivers to check "
                 "'%.200s'; check the ODBC installation",
                 v);
    } else {
        snprintf(why, sizeof(why),
                 "'%.200s' %s; name a driver registered with the ODBC driver manager "
                 "(odbcinst.ini), installed here: %s",
                 v,
                 names_library(v) ? "names a library file, which the daemon does not load"
                                  : "is not a registered ODBC driver",
                 names[0] ? names : "none");
    }
    return fail(err, errsz, "odbc.connection_string (Driver=)", why);
}

int source_cfg_check_paths(const struct source_cfg *cfg, char *err, size_t errsz)
{
    char why[1600] = "";
    if (cfg->kind == SOURCE_ODBC) {
        int rc = source_cfg_check_driver(cfg, err, errsz);
        return rc == ACDL_OK ? check_connstr_files(cfg->connection_string, err, errsz) : rc;
    }
    if (cfg->kind != SOURCE_CSV) {
        return ACDL_OK;
    }
    if (roots_check_folder(ROOTS_IMPORT, cfg->folder, NULL, 0, why, sizeof(why)) != ACDL_OK) {
        return fail(err, errsz, "csv.folder", why);
    }
    if (cfg->after_import == AFTER_MOVE &&
        roots_check_folder(ROOTS_IMPORT, cfg->archive_folder, NULL, 0, why, sizeof(why)) !=
            ACDL_OK) {
        return fail(err, errsz, "csv.archive_folder", why);
    }
    return ACDL_OK;
}

static int parse_csv(const json_t *o, struct source_cfg *cfg, char *err, size_t errsz)
{
    static const char *const keys[] = {"folder", "pattern", "separator", "quote", "encoding",
                                       "skip_lines", "header", "date_order", "date_format",
                                       "time_format", "timestamp_format", "after_import",
                                       "archive_folder", "strict", "partial_line_wait_s", "preset",
                                       NULL};
    char sep[8] = ",", quote[8] = "\"", enc[16] = "utf-8", order[8] = "dmy", after[8] = "keep";
    int skip = 0, header = 1;
    char why[600] = "";
    cfg->partial_line_wait_s = SOURCE_PARTIAL_LINE_WAIT_S;
    struct datetime_format f;
    int rc;
    if (!json_is_object(o)) {
        return fail(err, errsz, "csv", "must be an object with the folder and file settings");
    }
    if ((rc = only_keys(o, "csv", keys, err, errsz)) != 0 ||
        (rc = get_str(o, "folder", "csv.folder", cfg->folder, sizeof(cfg->folder), 0, err, errsz)) ||
        (rc = get_str(o, "pattern", "csv.pattern", cfg->pattern, sizeof(cfg->pattern), 0, err, errsz)) ||
        (rc = get_str(o, "separator", "csv.separator", sep, sizeof(sep), 1, err, errsz)) ||
        (rc = get_str(o, "quote", "csv.quote", quote, sizeof(quote), 0, err, errsz)) ||
        (rc = get_str(o, "encoding", "csv.encoding", enc, sizeof(enc), 0, err, errsz)) ||
        (rc = get_int(o, "skip_lines", "csv.skip_lines", 0, 1000, &skip, err, errsz)) ||
        (rc = get_bool(o, "header", "csv.header", &header, err, errsz)) ||
        (rc = get_str(o, "date_order", "csv.date_order", order, sizeof(order), 0, err, errsz)) ||
        (rc = get_str(o, "date_format", "csv.date_format", cfg->date_format, sizeof(cfg->date_format), 0, err, errsz)) ||
        (rc = get_str(o, "time_format", "csv.time_format", cfg->time_format, sizeof(cfg->time_format), 0, err, errsz)) ||
        (rc = get_str(o, "timestamp_format", "csv.timestamp_format", cfg->timestamp_format, sizeof(cfg->timestamp_format), 0, err, errsz)) ||
        (rc = get_str(o, "after_import", "csv.after_import", after, sizeof(after), 0, err, errsz)) ||
        (rc = get_str(o, "archive_folder", "csv.archive_folder", cfg->archive_folder, sizeof(cfg->archive_folder), 0, err, errsz)) ||
        (rc = get_bool(o, "strict", "csv.strict", &cfg->strict, err, errsz)) ||
        (rc = get_int(o, "partial_line_wait_s", "csv.partial_line_wait_s", 0, 86400,
                      &cfg->partial_line_wait_s, err, errsz)) ||
        (rc = get_str(o, "preset", "csv.preset", cfg->preset, sizeof(cfg->preset), 0, err,
                      errsz))) {
        return rc;
    }
    if (cfg->preset[0] && (strcmp(cfg->preset, SOURCE_QUEUE_LOG_PRESET) != 0 ||
                           cfg->product != PRODUCT_AGENT_STATES)) {
        return fail(err, errsz, "csv.preset",
                    "the one file preset is asterisk_queue_log_states, for agent states");
    }
    if (cfg->preset[0]) { /* the file's form: time|callid|queue|agent|event|data1|... */
        sep[0] = '|';
        sep[1] = '\0';
        quote[0] = '\0';
        header = 0;
        skip = 0;
    }
    if (!cfg->folder[0]) {
        return fail(err, errsz, "csv.folder", "is required: the folder the ACD writes its files to");
    }
    if ((rc = check_folder("csv.folder", cfg->folder, err, errsz)) != ACDL_OK) {
        return rc;
    }
    if (!cfg->pattern[0]) {
        snprintf(cfg->pattern, sizeof(cfg->pattern), "*.csv");
    }
    if (!fspath_pattern_ok(cfg->pattern)) {
        return fail(err, errsz, "csv.pattern",
                    "is a file-name pattern like *.csv, without folders, ':' or '..'");
    }
    if (strlen(sep) != 1 || sep[0] == '\r' || sep[0] == '\n' || sep[0] == '\0' || sep[0] == '"') {
        return fail(err, errsz, "csv.separator", "must be one character such as , ; | or a tab");
    }
    csv_options_init(&cfg->csv);
    cfg->csv.separator = sep[0];
    if (strlen(quote) > 1 || (quote[0] && quote[0] == sep[0])) {
        return fail(err, errsz, "csv.quote", "must be one character other than the separator, or \"\" for none");
    }
    cfg->csv.quote = quote[0] ? quote[0] : CSV_QUOTE_NONE;
    if (!strcmp(enc, "utf-8")) {
        cfg->csv.encoding = CSV_ENC_UTF8;
    } else if (!strcmp(enc, "windows-1252")) {
        cfg->csv.encoding = CSV_ENC_CP1252;
    } else if (!strcmp(enc, "iso-8859-1")) {
        cfg->csv.encoding = CSV_ENC_LATIN1;
    } else if (!strcmp(enc, "utf-16le")) {
        cfg->csv.encoding = CSV_ENC_UTF16LE;
    } else if (!strcmp(enc, "utf-16be")) {
        cfg->csv.encoding = CSV_ENC_UTF16BE;
    } else {
        return fail(err, errsz, "csv.encoding",
                    "must be utf-8, windows-1252, iso-8859-1, utf-16le or utf-16be");
    }
    cfg->csv.skip_lines = (unsigned long)skip;
    cfg->csv.header = header;
    if (datetime_order_parse(order, &cfg->date_order) != ACDL_OK) {
        return fail(err, errsz, "csv.date_order", "must be dmy, mdy or ymd");
    }
    if (cfg->date_format[0] &&
        (datetime_format_compile(&f, cfg->date_format, why, sizeof(why)) != ACDL_OK || !f.has_date || f.has_time)) {
        return fail(err, errsz, "csv.date_format",
                    why[0] ? why : "must hold a date only (e.g. dd.mm.yyyy; " DATETIME_TOKENS ")");
    }
    if (cfg->time_format[0] &&
        (datetime_format_compile(&f, cfg->time_format, why, sizeof(why)) != ACDL_OK || !f.has_time || f.has_date)) {
        return fail(err, errsz, "csv.time_format",
                    why[0] ? why : "must hold a time only (e.g. hh:mm; " DATETIME_TOKENS ")");
    }
    if (cfg->timestamp_format[0] &&
        (datetime_format_compile(&f, cfg->timestamp_format, why, sizeof(why)) != ACDL_OK || !f.has_time || !f.has_date)) {
        return fail(err, errsz, "csv.timestamp_format",
                    why[0] ? why
                           : "must hold a date and a time (e.g. dd.mm.yyyy hh:mm; " DATETIME_TOKENS
                             ")");
    }
    if (!strcmp(after, "keep")) {
        cfg->after_import = AFTER_KEEP;
    } else if (!strcmp(after, "move")) {
        cfg->after_import = AFTER_MOVE;
    } else if (!strcmp(after, "delete")) {
        cfg->after_import = AFTER_DELETE;
    } else {
        return fail(err, errsz, "csv.after_import", "must be keep, move or delete");
    }
    if (cfg->after_import == AFTER_MOVE && !cfg->archive_folder[0]) {
        return fail(err, errsz, "csv.archive_folder", "is required as an absolute path when after_import is move");
    }
    if (cfg->archive_folder[0] &&
        (rc = check_folder("csv.archive_folder", cfg->archive_folder, err, errsz)) != ACDL_OK) {
        return rc;
    }
    return ACDL_OK;
}

static int parse_odbc(const json_t *o, struct source_cfg *cfg, char *err, size_t errsz)
{
    static const char *const keys[] = {"dsn",    "connection_string", "user",        "sql",
                                       "preset", "timeout_s",         "connections", NULL};
    struct odbc_sql rewritten;
    int rc;
    if (!json_is_object(o)) {
        return fail(err, errsz, "odbc", "must be an object with the connection and the SQL");
    }
    cfg->timeout_s = 300;
    cfg->connections = SOURCE_ODBC_CONNECTIONS;
    if ((rc = only_keys(o, "odbc", keys, err, errsz)) != 0 ||
        (rc = get_str(o, "dsn", "odbc.dsn", cfg->dsn, sizeof(cfg->dsn), 0, err, errsz)) ||
        (rc = get_str(o, "connection_string", "odbc.connection_string", cfg->connection_string,
                      sizeof(cfg->connection_string), 0, err, errsz)) ||
        (rc = get_str(o, "user", "odbc.user", cfg->user, sizeof(cfg->user), 0, err, errsz)) ||
        (rc = get_str(o, "sql", "odbc.sql", cfg->sql, sizeof(cfg->sql), 1, err, errsz)) ||
        (rc = get_str(o, "preset", "odbc.preset", cfg->preset, sizeof(cfg->preset), 0, err,
                      errsz)) ||
        (rc = get_int(o, "timeout_s", "odbc.timeout_s", 1, 86400, &cfg->timeout_s, err, errsz)) ||
        (rc = get_int(o, "connections", "odbc.connections", 1, SOURCE_ODBC_MAX_CONNECTIONS,
                      &cfg->connections, err, errsz))) {
        return rc;
    }
    if (!cfg->dsn[0] == !cfg->connection_string[0]) {
        return fail(err, errsz, "odbc.dsn", "give either a DSN name or a connection string");
    }
    if (!cfg->sql[0] == !cfg->preset[0]) {
        return fail(err, errsz, "odbc.sql", "give either SQL or a preset");
    }
    if (cfg->preset[0]) {
        const struct odbc_preset *p = odbc_preset_find(cfg->preset);
        if (!p) {
            return fail(err, errsz, "odbc.preset", "is not a known preset (see GET /api/v1/source-presets)");
        }
        if ((p->layout == ODBC_LAYOUT_AGENT_STATES) != (cfg->product == PRODUCT_AGENT_STATES)) {
            return fail(err, errsz, "odbc.preset",
                        cfg->product == PRODUCT_AGENT_STATES ? "reads contact statistics, not agent states"
                                                             : "reads agent states, not contact statistics");
        }
        if (p->layout != ODBC_LAYOUT_AGENT_STATES &&
            (p->layout == ODBC_LAYOUT_CONTACT) != (cfg->layout == LAYOUT_CONTACT)) {
            return fail(err, errsz, "odbc.preset", "reads another layout than the source's");
        }
        return ACDL_OK;
    }
    char why[300] = "";
    if (odbc_sql_rewrite(cfg->sql, &rewritten, why, sizeof(why)) != ACDL_OK) {
        return fail(err, errsz, "odbc.sql", why);
    }
    for (size_t i = 0; i < rewritten.nparams; i++) {
        cfg->sql_params |= 1u << rewritten.params[i];
    }
    odbc_sql_free(&rewritten);
    return ACDL_OK;
}

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* 1 when the n characters at k spell word in any ASCII case. */
static int key_is_ci(const char *k, size_t n, const char *word)
{
    if (strlen(word) != n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char a = k[i] >= 'A' && k[i] <= 'Z' ? (char)(k[i] - 'A' + 'a') : k[i];
        char b = word[i] >= 'A' && word[i] <= 'Z' ? (char)(word[i] - 'A' + 'a') : word[i];
        if (a != b) {
            return 0;
        }
    }
    return 1;
}

/* 1 when the n characters at k spell word (lower case) in any case. */
static int key_is(const char *k, size_t n, const char *word)
{
    if (strlen(word) != n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = k[i] >= 'A' && k[i] <= 'Z' ? (char)(k[i] - 'A' + 'a') : k[i];
        if (c != word[i]) {
            return 0;
        }
    }
    return 1;
}

/* 1 when psqlODBC's pqopt (libpq's "keyword = value" options, values bare or in single
 * quotes with backslash escapes) gives libpq a password: "password" or "sslpassword" (a client
 * key's passphrase), or a URI, which may carry one after the user. */
static int pqopt_has_password(const char *cs)
{
    char v[1024] = "";
    if (!odbc_connstr_get(cs, "pqopt", v, sizeof(v))) {
        return 0;
    }
    if (strstr(v, "://")) {
        return 1;
    }
    for (const char *p = v; *p;) {
        while (isspace((unsigned char)*p)) {
            p++;
        }
        const char *k = p;
        while (*p && *p != '=' && !isspace((unsigned char)*p)) {
            p++;
        }
        size_t kl = (size_t)(p - k);
        if (key_is(k, kl, "password") || key_is(k, kl, "sslpassword")) {
            return 1;
        }
        while (isspace((unsigned char)*p)) {
            p++;
        }
        if (*p == '=') {
            p++;
        }
        while (isspace((unsigned char)*p)) {
            p++;
        }
        if (*p == '\'') {
            for (p++; *p && *p != '\''; p++) {
                if (*p == '\\' && p[1]) {
                    p++;
                }
            }
            p += *p != '\0';
        } else {
            while (*p && !isspace((unsigned char)*p)) {
                p++;
            }
        }
    }
    return 0;
}

int source_cfg_connstr_has_password(const char *s)
{
    const char *p = s;
    while (*p) {
        while (is_blank(*p) || *p == ';') {
            p++;
        }
        const char *k = p;
        while (*p && *p != '=' && *p != ';') {
            p++;
        }
        const char *ke = p;
        while (ke > k && is_blank(ke[-1])) {
            ke--;
        }
        if (*p != '=') {
            continue;
        }
        size_t kl = (size_t)(ke - k);
        if (key_is(k, kl, "pwd") || key_is(k, kl, "password")) {
            return 1;
        }
        if (key_is(k, kl, "tlskeypwd")) { /* MariaDB's: the client key's passphrase */
            return 3;
        }
        p++;
        while (is_blank(*p)) {
            p++;
        }
        if (*p == '{') { /* a braced value ends at the first single '}' ("}}" is a '}') */
            for (p++; *p; p++) {
                if (*p == '}' && p[1] == '}') {
                    p++;
                } else if (*p == '}') {
                    p++;
                    break;
                }
            }
        }
        while (*p && *p != ';') {
            p++;
        }
    }
    return pqopt_has_password(s) ? 2 : 0;
}

/* ASCII case-insensitive equality of s (n bytes, blanks around it ignored) and word. */
static int same_value(const char *s, size_t n, const char *word)
{
    while (n > 0 && is_blank(*s)) {
        s++;
        n--;
    }
    while (n > 0 && is_blank(s[n - 1])) {
        n--;
    }
    return key_is_ci(s, n, word);
}

int source_cfg_answered(const struct source_cfg *cfg, const char *s, size_t n)
{
    if (cfg->nanswered_values == 0 && cfg->nunanswered_values == 0) {
        static const char *const no[] = {"", "0", "n", "f", "no", "false"};
        for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
            if (n == strlen(no[i]) && !strncmp(s, no[i], n)) {
                return 0;
            }
        }
        /* the upper-case one-letter forms, as the default always read them */
        return !(n == 1 && (*s == 'N' || *s == 'F'));
    }
    for (int i = 0; i < cfg->nanswered_values; i++) {
        if (same_value(s, n, cfg->answered_values[i])) {
            return 1;
        }
    }
    for (int i = 0; i < cfg->nunanswered_values; i++) {
        if (same_value(s, n, cfg->unanswered_values[i])) {
            return 0;
        }
    }
    return -1;
}

int source_cfg_answered_plain(const char *s, size_t n)
{
    static const char *const words[] = {"y", "yes", "t", "true", "n", "no", "f", "false"};
    int64_t iv;
    double dv;
    while (n > 0 && is_blank(*s)) {
        s++;
        n--;
    }
    while (n > 0 && is_blank(s[n - 1])) {
        n--;
    }
    if (n == 0 || expr_text_number(s, n, &iv, &dv)) {
        return 1;
    }
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (key_is_ci(s, n, words[i])) {
            return 1;
        }
    }
    return 0;
}

/* One list of answered-column values into dst (*n of them). */
static int parse_value_list(const json_t *settings, const char *key, char (*dst)[65], int *n,
                            char *err, size_t errsz)
{
    char field[96];
    size_t i;
    json_t *v, *list = json_object_get(settings, key);
    snprintf(field, sizeof(field), "settings.%s", key);
    if (!list || json_is_null(list)) {
        return ACDL_OK;
    }
    if (!json_is_array(list) || json_array_size(list) == 0 ||
        json_array_size(list) > SOURCE_MAX_ANSWER_VALUES) {
        return fail(err, errsz, field, "must be a list of 1 to 32 values (text)");
    }
    json_array_foreach(list, i, v)
    {
        snprintf(field, sizeof(field), "settings.%s[%zu]", key, i);
        if (!json_is_string(v) || json_string_length(v) > 64 ||
            json_string_length(v) != strlen(json_string_value(v)) ||
            has_ctl(json_string_value(v))) {
            return fail(err, errsz, field, "must be a value of at most 64 characters (text)");
        }
        snprintf(dst[*n], sizeof(dst[0]), "%s", json_string_value(v));
        (*n)++;
    }
    return ACDL_OK;
}

/* answered_values / unanswered_values: contact layout only, both or neither, no value in both. */
static int parse_answer_values(const json_t *settings, struct source_cfg *cfg, char *err,
                               size_t errsz)
{
    int rc;
    if ((rc = parse_value_list(settings, "answered_values", cfg->answered_values,
                               &cfg->nanswered_values, err, errsz)) ||
        (rc = parse_value_list(settings, "unanswered_values", cfg->unanswered_values,
                               &cfg->nunanswered_values, err, errsz))) {
        return rc;
    }
    if (!cfg->nanswered_values && !cfg->nunanswered_values) {
        return ACDL_OK;
    }
    const char *field =
        cfg->nanswered_values ? "settings.answered_values" : "settings.unanswered_values";
    if (cfg->layout != LAYOUT_CONTACT) {
        return fail(err, errsz, field, "belongs to the contact layout (its answered column)");
    }
    if (!cfg->nanswered_values) {
        return fail(err, errsz, "settings.answered_values",
                    "is required with unanswered_values: a value in neither list is a row error");
    }
    if (!cfg->nunanswered_values) {
        return fail(err, errsz, "settings.unanswered_values",
                    "is required with answered_values: a value in neither list is a row error");
    }
    for (int i = 0; i < cfg->nunanswered_values; i++) {
        const char *u = cfg->unanswered_values[i];
        if (source_cfg_answered(cfg, u, strlen(u)) == 1) {
            char f[64], why[160];
            snprintf(f, sizeof(f), "settings.unanswered_values[%d]", i);
            snprintf(why, sizeof(why), "'%s' is also in answered_values", u);
            return fail(err, errsz, f, why);
        }
    }
    return ACDL_OK;
}

static int parse_common(const json_t *settings, struct source_cfg *cfg, char *err, size_t errsz);
static int parse_states(const json_t *settings, struct source_cfg *cfg, char *err, size_t errsz);
static int parse_incremental(const json_t *settings, struct source_cfg *cfg, char *err,
                             size_t errsz);
static int parse_follow(const json_t *settings, struct source_cfg *cfg, char *err, size_t errsz);
static int parse_live_status(const json_t *settings, struct source_cfg *cfg, char *err,
                             size_t errsz);

int source_cfg_parse(const json_t *settings, enum source_kind kind, enum source_layout layout,
                     const char *time_zone, int interval_minutes, struct source_cfg *cfg,
                     char *err, size_t errsz)
{
    return source_cfg_parse_product(settings, PRODUCT_CONTACTS, kind, layout, time_zone,
                                    interval_minutes, cfg, err, errsz);
}

int source_cfg_parse_product(const json_t *settings, enum source_product product,
                             enum source_kind kind, enum source_layout layout,
                             const char *time_zone, int interval_minutes, struct source_cfg *cfg,
                             char *err, size_t errsz)
{
    static const char *const keys[] = {"csv",     "odbc",   "columns",         "metrics",
                                       "derived", "filter", "answered_values", "unanswered_values",
                                       NULL};
    static const char *const state_keys[] = {"csv",         "odbc",   "columns",     "agent_states",
                                             "derived",     "filter", "incremental", "follow",
                                             "live_status", NULL};
    static const char *const colkeys[] = {"queue", "queue_name", "date", "time", "timestamp",
                                          "answered", "duration", NULL};
    int rc;
    memset(cfg, 0, sizeof(*cfg));
    cfg->product = product;
    cfg->kind = kind;
    cfg->layout = layout;
    cfg->interval_minutes = interval_minutes;
    snprintf(cfg->time_zone, sizeof(cfg->time_zone), "%s", time_zone);
    if (!json_is_object(settings)) {
        return fail(err, errsz, "settings", "must be an object");
    }
    if ((rc = only_keys(settings, "settings",
                        product == PRODUCT_AGENT_STATES ? state_keys : keys, err, errsz)) != 0) {
        return rc;
    }
    json_t *csv = json_object_get(settings, "csv");
    json_t *odbc = json_object_get(settings, "odbc");
    if (kind == SOURCE_CSV) {
        if (odbc) {
            return fail(err, errsz, "settings.odbc", "belongs to ODBC sources; this one is csv");
        }
        if ((rc = parse_csv(csv, cfg, err, errsz)) != 0) {
            return rc;
        }
    } else {
        if (csv) {
            return fail(err, errsz, "settings.csv", "belongs to CSV sources; this one is odbc");
        }
        if ((rc = parse_odbc(odbc, cfg, err, errsz)) != 0) {
            return rc;
        }
    }

    if (product != PRODUCT_AGENT_STATES &&
        (cfg->sql_params & ((1u << ODBC_PARAM_SINCE) | (1u << ODBC_PARAM_UNTIL)))) {
        return fail(err, errsz, "odbc.sql",
                    ":since and :until belong to incremental agent-state sources; a source read "
                    "by days uses :period_start and :period_end");
    }
    if (product == PRODUCT_AGENT_STATES) {
        if ((rc = parse_states(settings, cfg, err, errsz)) != ACDL_OK ||
            (rc = parse_incremental(settings, cfg, err, errsz)) != ACDL_OK ||
            (rc = parse_follow(settings, cfg, err, errsz)) != ACDL_OK ||
            (rc = parse_live_status(settings, cfg, err, errsz)) != ACDL_OK) {
            return rc;
        }
        return parse_common(settings, cfg, err, errsz);
    }
    json_t *cols = json_object_get(settings, "columns");
    if (cols && !json_is_null(cols)) {
        if (kind == SOURCE_ODBC) {
            return fail(err, errsz, "settings.columns",
                        "ODBC results follow the column contract; columns are for CSV sources");
        }
        if (!json_is_object(cols)) {
            return fail(err, errsz, "settings.columns", "must be an object of column roles");
        }
        if ((rc = only_keys(cols, "settings.columns", colkeys, err, errsz)) ||
            (rc = get_column(cols, "queue", "settings.columns.queue", &cfg->queue, err, errsz)) ||
            (rc = get_column(cols, "queue_name", "settings.columns.queue_name", &cfg->queue_name, err, errsz)) ||
            (rc = get_column(cols, "date", "settings.columns.date", &cfg->date, err, errsz)) ||
            (rc = get_column(cols, "time", "settings.columns.time", &cfg->time, err, errsz)) ||
            (rc = get_column(cols, "timestamp", "settings.columns.timestamp", &cfg->timestamp, err, errsz)) ||
            (rc = get_column(cols, "answered", "settings.columns.answered", &cfg->answered, err, errsz)) ||
            (rc = get_column(cols, "duration", "settings.columns.duration", &cfg->duration, err, errsz))) {
            return rc;
        }
    }
    if (kind == SOURCE_CSV) {
        if (!cfg->queue.spec[0]) {
            return fail(err, errsz, "settings.columns.queue", "is required: the column with the queue (split, skill, call type)");
        }
        if (!cfg->timestamp.spec[0] && cfg->date.spec[0] && !cfg->time.spec[0]) {
            return fail(err, errsz, "settings.columns.time",
                        "is required with a date column (or give one timestamp column instead)");
        }
        if (!cfg->timestamp.spec[0] && !cfg->date.spec[0] && cfg->time.spec[0]) {
            return fail(err, errsz, "settings.columns.date",
                        "is required with a time column (or give one timestamp column instead)");
        }
        if (!cfg->timestamp.spec[0] && (!cfg->date.spec[0] || !cfg->time.spec[0])) {
            return fail(err, errsz, "settings.columns.timestamp", "give a timestamp column, or both a date and a time column");
        }
        if (cfg->timestamp.spec[0] && (cfg->date.spec[0] || cfg->time.spec[0])) {
            return fail(err, errsz, "settings.columns.timestamp", "give a timestamp column or date and time columns, not both");
        }
        if (layout == LAYOUT_CONTACT && !cfg->answered.spec[0]) {
            return fail(err, errsz, "settings.columns.answered",
                        "is required by the contact layout: the column that tells whether a "
                        "contact was answered");
        }
        if (layout == LAYOUT_CONTACT && !cfg->duration.spec[0]) {
            return fail(err, errsz, "settings.columns.duration",
                        "is required by the contact layout: the column with the handle time");
        }
        if (layout == LAYOUT_INTERVAL && cfg->answered.spec[0]) {
            return fail(err, errsz, "settings.columns.answered", "belongs to the contact layout");
        }
        if (layout == LAYOUT_INTERVAL && cfg->duration.spec[0]) {
            return fail(err, errsz, "settings.columns.duration", "belongs to the contact layout");
        }
    }

    json_t *metrics = json_object_get(settings, "metrics");
    if (metrics && !json_is_null(metrics)) {
        const char *k;
        json_t *v;
        if (kind == SOURCE_ODBC || layout == LAYOUT_CONTACT) {
            return fail(err, errsz, "settings.metrics",
                        kind == SOURCE_ODBC ? "ODBC metrics are the result columns after the interval start"
                                            : "the contact layout has fixed metrics (offered, handled, handle_time)");
        }
        if (!json_is_object(metrics)) {
            return fail(err, errsz, "settings.metrics", "must map metric names to columns");
        }
        json_object_foreach(metrics, k, v)
        {
            char field[128];
            snprintf(field, sizeof(field), "settings.metrics.%.64s", k);
            if (cfg->nmetrics == SOURCE_MAX_METRICS) {
                return fail(err, errsz, "settings.metrics", "has more than 64 metrics");
            }
            if (!check_name(k)) {
                return fail(err, errsz, field, "metric names are 1-64 letters, digits, space, _ - .");
            }
            struct source_metric *m = &cfg->metrics[cfg->nmetrics];
            snprintf(m->name, sizeof(m->name), "%s", k);
            json_t *wrap = json_pack("{s:O}", "c", v);
            rc = get_column(wrap, "c", field, &m->col, err, errsz);
            json_decref(wrap);
            if (rc != ACDL_OK) {
                return rc;
            }
            if (!m->col.spec[0]) {
                return fail(err, errsz, field, "needs a column");
            }
            cfg->nmetrics++;
        }
    }
    if (kind == SOURCE_CSV && layout == LAYOUT_INTERVAL && cfg->nmetrics == 0) {
        return fail(err, errsz, "settings.metrics", "name at least one metric column, e.g. {\"offered\": \"Calls\"}");
    }
    if ((rc = parse_answer_values(settings, cfg, err, errsz)) != ACDL_OK) {
        return rc;
    }

    return parse_common(settings, cfg, err, errsz);
}

/* Derived fields and the row filter (both products). */
static int parse_common(const json_t *settings, struct source_cfg *cfg, char *err, size_t errsz)
{
    int rc;
    json_t *derived = json_object_get(settings, "derived");
    if (derived && !json_is_null(derived)) {
        size_t i;
        json_t *d;
        if (!json_is_array(derived) || json_array_size(derived) > SOURCE_MAX_DERIVED) {
            return fail(err, errsz, "settings.derived", "must be a list of at most 32 {name, expression}");
        }
        json_array_foreach(derived, i, d)
        {
            const char *name = NULL, *text = NULL;
            char field[64];
            snprintf(field, sizeof(field), "settings.derived[%zu]", i);
            if (json_unpack(d, "{s:s, s:s !}", "name", &name, "expression", &text) != 0) {
                return fail(err, errsz, field, "must be {\"name\": ..., \"expression\": ...}");
            }
            if (!check_name(name)) {
                return fail(err, errsz, field, "name: 1-64 letters, digits, space, _ - .");
            }
            for (int j = 0; j < cfg->nderived; j++) {
                if (!strcmp(cfg->derived[j].name, name)) {
                    return fail(err, errsz, field, "name is used twice");
                }
            }
            if (strlen(text) >= sizeof(cfg->derived[0].expression)) {
                return fail(err, errsz, field, "expression is longer than 1023 characters");
            }
            if ((rc = check_expression(field, text, err, errsz)) != ACDL_OK) {
                return rc;
            }
            snprintf(cfg->derived[cfg->nderived].name, sizeof(cfg->derived[0].name), "%s", name);
            snprintf(cfg->derived[cfg->nderived].expression, sizeof(cfg->derived[0].expression), "%s", text);
            cfg->nderived++;
        }
    }
    if ((rc = get_str(settings, "filter", "settings.filter", cfg->filter, sizeof(cfg->filter), 0, err, errsz)) != 0) {
        return rc;
    }
    if (cfg->filter[0] && (rc = check_expression("settings.filter", cfg->filter, err, errsz)) != 0) {
        return rc;
    }
    return ACDL_OK;
}

const char *source_product_name(enum source_product p)
{
    return p == PRODUCT_AGENT_STATES ? "agent_states" : "contacts";
}

int source_product_parse(const char *s, enum source_product *out)
{
    if (!strcmp(s, "contacts")) {
        *out = PRODUCT_CONTACTS;
    } else if (!strcmp(s, "agent_states")) {
        *out = PRODUCT_AGENT_STATES;
    } else {
        return ACDL_EINVAL;
    }
    return ACDL_OK;
}

static const char *const span_names[] = {"start_end", "start_duration", "start_only"};

const char *source_span_name(enum agent_span_form f)
{
    return span_names[f];
}

static int span_parse(const char *s, enum agent_span_form *out)
{
    for (int i = 0; i < 3; i++) {
        if (!strcmp(s, span_names[i])) {
            *out = (enum agent_span_form)i;
            return ACDL_OK;
        }
    }
    return ACDL_EINVAL;
}

int source_cfg_is_logout(const struct source_cfg *cfg, const char *code, size_t len)
{
    for (int i = 0; i < cfg->states.nlogout; i++) {
        if (strlen(cfg->states.logout[i]) == len && !memcmp(cfg->states.logout[i], code, len)) {
            return 1;
        }
    }
    return 0;
}

/* Adds a logout code (field names where it came from). */
static int add_logout(struct source_cfg *cfg, const char *code, size_t len, const char *field,
                      char *err, size_t errsz)
{
    if (len == 0 || len >= sizeof(cfg->states.logout[0])) {
        return fail(err, errsz, field, "activity codes are 1-64 characters");
    }
    if (cfg->states.nlogout == SOURCE_MAX_LOGOUT) {
        return fail(err, errsz, field, "has more than 32 codes");
    }
    if (!source_cfg_is_logout(cfg, code, len)) {
        memcpy(cfg->states.logout[cfg->states.nlogout], code, len);
        cfg->states.logout[cfg->states.nlogout][len] = '\0';
        cfg->states.nlogout++;
    }
    return ACDL_OK;
}

const char *source_cursor_type_name(enum source_cursor_type t)
{
    return t == CURSOR_ID ? "id" : "timestamp";
}

/* settings.incremental of an ODBC agent-state source, and the SQL's parameters that go with
 * it: :since (required) and :until, never the period's. */
static int parse_incremental(const json_t *settings, struct source_cfg *cfg, char *err,
                             size_t errsz)
{
    static const char *const keys[] = {
        "cursor_column",     "cursor_type",     "overlap_s",           "poll_s",
        "reconcile_minutes", "reconcile_hours", "max_states_per_poll", NULL};
    const unsigned cursor = (1u << ODBC_PARAM_SINCE) | (1u << ODBC_PARAM_UNTIL);
    const unsigned period = (1u << ODBC_PARAM_PERIOD_START) | (1u << ODBC_PARAM_PERIOD_END);
    struct source_incremental *in = &cfg->incremental;
    json_t *o = json_object_get(settings, "incremental");
    char type[16] = "timestamp";
    int rc;
    in->overlap_s = SOURCE_OVERLAP_S;
    in->poll_s = SOURCE_POLL_S;
    in->reconcile_minutes = SOURCE_RECONCILE_MINUTES;
    in->reconcile_hours = SOURCE_RECONCILE_HOURS;
    in->max_states = SOURCE_MAX_STATES;
    if (!o || json_is_null(o)) {
        if (cfg->kind == SOURCE_ODBC && (cfg->sql_params & cursor)) {
            return fail(err, errsz, "odbc.sql",
                        ":since and :until belong to incremental sources (settings.incremental); "
                        "a source read by days uses :period_start and :period_end");
        }
        return ACDL_OK;
    }
    if (cfg->kind != SOURCE_ODBC) {
        return fail(err, errsz, "settings.incremental", "belongs to ODBC sources");
    }
    if (!json_is_object(o)) {
        return fail(err, errsz, "settings.incremental",
                    "must be an object {cursor_column, cursor_type, overlap_s, poll_s, "
                    "reconcile_minutes, reconcile_hours, max_states_per_poll}");
    }
    if ((rc = only_keys(o, "settings.incremental", keys, err, errsz)) ||
        (rc = get_str(o, "cursor_column", "settings.incremental.cursor_column", in->cursor_column,
                      sizeof(in->cursor_column), 0, err, errsz)) ||
        (rc = get_str(o, "cursor_type", "settings.incremental.cursor_type", type, sizeof(type), 0,
                      err, errsz)) ||
        (rc = get_int(o, "overlap_s", "settings.incremental.overlap_s", 0, 86400, &in->overlap_s,
                      err, errsz)) ||
        (rc = get_int(o, "poll_s", "settings.incremental.poll_s", 1, 3600, &in->poll_s, err,
                      errsz)) ||
        (rc = get_int(o, "reconcile_minutes", "settings.incremental.reconcile_minutes", 0, 10080,
                      &in->reconcile_minutes, err, errsz)) ||
        (rc = get_int(o, "reconcile_hours", "settings.incremental.reconcile_hours", 1, 720,
                      &in->reconcile_hours, err, errsz)) ||
        (rc = get_int(o, "max_states_per_poll", "settings.incremental.max_states_per_poll", 1,
                      1000000, &in->max_states, err, errsz))) {
        return rc;
    }
    if (!in->cursor_column[0]) {
        return fail(err, errsz, "settings.incremental.cursor_column",
                    "is required: the result column whose value grows with every change (a "
                    "timestamp or an increasing id)");
    }
    if (!strcmp(type, "id")) {
        in->cursor_type = CURSOR_ID;
    } else if (!strcmp(type, "timestamp")) {
        in->cursor_type = CURSOR_TIMESTAMP;
    } else {
        return fail(err, errsz, "settings.incremental.cursor_type", "must be timestamp or id");
    }
    if (cfg->preset[0]) {
        return fail(err, errsz, "settings.incremental",
                    "a preset's query reads whole days; give your own odbc.sql with :since");
    }
    if (!(cfg->sql_params & (1u << ODBC_PARAM_SINCE))) {
        return fail(err, errsz, "odbc.sql",
                    "an incremental query must use :since (e.g. WHERE changed_at >= :since): "
                    "it is bound to the cursor's lower bound");
    }
    if (cfg->sql_params & period) {
        return fail(err, errsz, "odbc.sql",
                    "an incremental query takes :since and :until, not :period_start or "
                    ":period_end");
    }
    in->enabled = 1;
    return ACDL_OK;
}

/* settings.follow of a CSV agent-state source: the one file of its folder that grows. */
static int parse_follow(const json_t *settings, struct source_cfg *cfg, char *err, size_t errsz)
{
    static const char *const keys[] = {"file", "poll_s", "reconcile_minutes", "reconcile_hours",
                                       NULL};
    struct source_follow_file *fo = &cfg->follow;
    json_t *o = json_object_get(settings, "follow");
    int rc;
    fo->poll_s = 1;
    fo->reconcile_minutes = SOURCE_RECONCILE_MINUTES;
    fo->reconcile_hours = SOURCE_RECONCILE_HOURS;
    if (!o || json_is_null(o)) {
        return ACDL_OK;
    }
    if (cfg->kind != SOURCE_CSV) {
        return fail(err, errsz, "settings.follow", "belongs to CSV sources; this one is odbc");
    }
    if (!json_is_object(o)) {
        return fail(err, errsz, "settings.follow",
                    "must be an object {file, poll_s, reconcile_minutes, reconcile_hours}");
    }
    if ((rc = only_keys(o, "settings.follow", keys, err, errsz)) ||
        (rc = get_str(o, "file", "settings.follow.file", fo->file, sizeof(fo->file), 0, err,
                      errsz)) ||
        (rc = get_int(o, "poll_s", "settings.follow.poll_s", 1, 3600, &fo->poll_s, err, errsz)) ||
        (rc = get_int(o, "reconcile_minutes", "settings.follow.reconcile_minutes", 0, 10080,
                      &fo->reconcile_minutes, err, errsz)) ||
        (rc = get_int(o, "reconcile_hours", "settings.follow.reconcile_hours", 1, 720,
                      &fo->reconcile_hours, err, errsz))) {
        return rc;
    }
    if (!fo->file[0] || strpbrk(fo->file, "/\\:*?[") || !strcmp(fo->file, ".") ||
        !strcmp(fo->file, "..")) {
        return fail(err, errsz, "settings.follow.file",
                    "is the name of one file in csv.folder (e.g. queue_log), without folders, "
                    "':' or wildcards");
    }
    if (cfg->csv.encoding == CSV_ENC_UTF16LE || cfg->csv.encoding == CSV_ENC_UTF16BE) {
        return fail(err, errsz, "settings.follow",
                    "a followed file is read line by line: utf-8, windows-1252 or iso-8859-1");
    }
    if (cfg->after_import != AFTER_KEEP) {
        return fail(err, errsz, "settings.follow",
                    "a followed file stays where it is: csv.after_import must be keep");
    }
    fo->enabled = 1;
    return ACDL_OK;
}

/* The history query of a live-status source (live_status.h): :since (and :until) bound to the
 * reconciled window, never the period's parameters; its span form; the reconciliation's
 * intervals only with it. */
static int parse_live_history(const json_t *o, struct source_live_status *ls, const char *hspan,
                              char *err, size_t errsz)
{
    const unsigned period = (1u << ODBC_PARAM_PERIOD_START) | (1u << ODBC_PARAM_PERIOD_END);
    struct odbc_sql rw;
    char why[300] = "";
    unsigned params = 0;
    const struct odbc_preset *hp = NULL;
    if (ls->history_sql[0] && ls->history_preset[0]) {
        return fail(err, errsz, "settings.live_status.history_preset",
                    "give either history_sql or history_preset");
    }
    if (ls->history_preset[0]) {
        hp = odbc_preset_find(ls->history_preset);
        if (!hp || hp->layout != ODBC_LAYOUT_AGENT_STATES || odbc_preset_live(hp->id)) {
            return fail(err, errsz, "settings.live_status.history_preset",
                        "is not an agent-state preset read by days (see GET "
                        "/api/v1/source-presets)");
        }
        if (json_object_get(o, "history_span") &&
            !json_is_null(json_object_get(o, "history_span")) && strcmp(hspan, hp->span) != 0) {
            return fail(err, errsz, "settings.live_status.history_span",
                        "differs from the preset's span form");
        }
        return span_parse(hp->span, &ls->history_span);
    }
    if (!ls->history_sql[0]) {
        static const char *const only[] = {"history_span", "reconcile_minutes", "reconcile_hours"};
        for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++) {
            json_t *v = json_object_get(o, only[i]);
            if (v && !json_is_null(v)) {
                char field[64];
                snprintf(field, sizeof(field), "settings.live_status.%s", only[i]);
                return fail(err, errsz, field,
                            "belongs to a reconciliation: give settings.live_status.history_sql or "
                            "history_preset");
            }
        }
        return ACDL_OK;
    }
    if (span_parse(hspan, &ls->history_span) != ACDL_OK) {
        return fail(err, errsz, "settings.live_status.history_span",
                    "must be start_end, start_duration or start_only");
    }
    if (odbc_sql_rewrite(ls->history_sql, &rw, why, sizeof(why)) != ACDL_OK) {
        return fail(err, errsz, "settings.live_status.history_sql", why);
    }
    for (size_t i = 0; i < rw.nparams; i++) {
        params |= 1u << rw.params[i];
    }
    odbc_sql_free(&rw);
    if (!(params & (1u << ODBC_PARAM_SINCE)) || (params & period)) {
        return fail(err, errsz, "settings.live_status.history_sql",
                    "a history query must use :since and may use :until (e.g. WHERE start_time "
                    ">= :since AND start_time < :until), not :period_start or :period_end");
    }
    return ACDL_OK;
}

/* settings.live_status of an ODBC agent-state source (source_cfg.h): the result columns by
 * name (a live-status preset's own when it has them), a query without parameters, start-only
 * states and a logout code for agents whose row leaves the table. */
static int parse_live_status(const json_t *settings, struct source_cfg *cfg, char *err,
                             size_t errsz)
{
    static const char *const keys[] = {"agent_column",
                                       "state_column",
                                       "reason_column",
                                       "since_column",
                                       "poll_s",
                                       "history_sql",
                                       "history_preset",
                                       "history_span",
                                       "reconcile_minutes",
                                       "reconcile_hours",
                                       NULL};
    struct source_live_status *ls = &cfg->live_status;
    const struct odbc_preset_live *pl = cfg->preset[0] ? odbc_preset_live(cfg->preset) : NULL;
    json_t *o = json_object_get(settings, "live_status");
    char hspan[32] = "start_only";
    int rc;
    ls->poll_s = SOURCE_POLL_S;
    ls->history_span = SPAN_START_ONLY;
    ls->reconcile_minutes = SOURCE_RECONCILE_MINUTES;
    ls->reconcile_hours = SOURCE_RECONCILE_HOURS;
    if (!o || json_is_null(o)) {
        if (pl) {
            return fail(err, errsz, "odbc.preset",
                        "reads a live-status table: give settings.live_status (e.g. {\"poll_s\": "
                        "1})");
        }
        return ACDL_OK;
    }
    if (cfg->kind != SOURCE_ODBC) {
        return fail(err, errsz, "settings.live_status", "belongs to ODBC sources");
    }
    if (!json_is_object(o)) {
        return fail(err, errsz, "settings.live_status",
                    "must be an object {agent_column, state_column, reason_column, since_column, "
                    "poll_s, history_sql, history_span, reconcile_minutes, reconcile_hours}");
    }
    if (cfg->incremental.enabled) {
        return fail(err, errsz, "settings.live_status",
                    "a source follows either a cursor (incremental) or a live-status table, not "
                    "both");
    }
    if (cfg->preset[0] && !pl) {
        return fail(err, errsz, "settings.live_status",
                    "the preset reads whole days; choose a live-status preset or give your own "
                    "odbc.sql");
    }
    if (pl) {
        snprintf(ls->agent_column, sizeof(ls->agent_column), "%s", pl->agent);
        snprintf(ls->state_column, sizeof(ls->state_column), "%s", pl->state);
        snprintf(ls->reason_column, sizeof(ls->reason_column), "%s", pl->reason ? pl->reason : "");
        snprintf(ls->since_column, sizeof(ls->since_column), "%s", pl->since ? pl->since : "");
    }
    struct {
        const char *key, *field;
        char *dst;
    } cols[] = {
        {"agent_column", "settings.live_status.agent_column", ls->agent_column},
        {"state_column", "settings.live_status.state_column", ls->state_column},
        {"reason_column", "settings.live_status.reason_column", ls->reason_column},
        {"since_column", "settings.live_status.since_column", ls->since_column},
    };
    if ((rc = only_keys(o, "settings.live_status", keys, err, errsz)) ||
        (rc = get_int(o, "poll_s", "settings.live_status.poll_s", 1, 3600, &ls->poll_s, err,
                      errsz)) ||
        (rc = get_str(o, "history_sql", "settings.live_status.history_sql", ls->history_sql,
                      sizeof(ls->history_sql), 1, err, errsz)) ||
        (rc = get_str(o, "history_preset", "settings.live_status.history_preset",
                      ls->history_preset, sizeof(ls->history_preset), 0, err, errsz)) ||
        (rc = get_str(o, "history_span", "settings.live_status.history_span", hspan, sizeof(hspan),
                      0, err, errsz)) ||
        (rc = get_int(o, "reconcile_minutes", "settings.live_status.reconcile_minutes", 0, 10080,
                      &ls->reconcile_minutes, err, errsz)) ||
        (rc = get_int(o, "reconcile_hours", "settings.live_status.reconcile_hours", 1, 720,
                      &ls->reconcile_hours, err, errsz)) ||
        (rc = parse_live_history(o, ls, hspan, err, errsz))) {
        return rc;
    }
    for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++) {
        char v[129] = "";
        json_t *given = json_object_get(o, cols[i].key);
        if ((rc = get_str(o, cols[i].key, cols[i].field, v, sizeof(v), 0, err, errsz))) {
            return rc;
        }
        if (pl && given && !json_is_null(given) && strcmp(v, cols[i].dst) != 0) {
            return fail(err, errsz, cols[i].field, "differs from the preset's column");
        }
        if (!pl && given && !json_is_null(given)) {
            memcpy(cols[i].dst, v, sizeof(v));
        }
    }
    if (!ls->agent_column[0]) {
        return fail(err, errsz, "settings.live_status.agent_column",
                    "is required: the result column with the agent id");
    }
    if (!ls->state_column[0]) {
        return fail(err, errsz, "settings.live_status.state_column",
                    "is required: the result column with the agent's current state");
    }
    if (cfg->sql_params) {
        return fail(err, errsz, "odbc.sql",
                    "a live-status query reads the table as it is now: it takes no parameters "
                    "(:period_start, :since, ...)");
    }
    if (cfg->states.span != SPAN_START_ONLY) {
        return fail(err, errsz, "settings.agent_states.span",
                    "a live-status table gives each state's start only: use start_only");
    }
    if (cfg->states.nlogout == 0) {
        add_logout(cfg, SOURCE_LIVE_GONE, strlen(SOURCE_LIVE_GONE), "settings.live_status", err,
                   errsz);
    }
    ls->enabled = 1;
    return ACDL_OK;
}

/* The "agent_states" options and the column roles of an agent-state source. */
static int parse_states(const json_t *settings, struct source_cfg *cfg, char *err, size_t errsz)
{
    static const char *const keys[] = {"span", "logout_activities", "min_duration_s",
                                       "split_at_midnight", NULL};
    static const char *const colkeys[] = {"agent", "activity", "activity_name", "date", "start",
                                          "end", "duration", NULL};
    char span[32] = "";
    int rc;
    const struct odbc_preset *p = cfg->preset[0] ? odbc_preset_find(cfg->preset) : NULL;
    json_t *o = json_object_get(settings, "agent_states");
    cfg->states.split_at_midnight = 1;
    if (o && !json_is_null(o)) {
        if (!json_is_object(o)) {
            return fail(err, errsz, "settings.agent_states",
                        "must be an object {span, logout_activities, min_duration_s, "
                        "split_at_midnight}");
        }
        if ((rc = only_keys(o, "settings.agent_states", keys, err, errsz)) ||
            (rc = get_str(o, "span", "settings.agent_states.span", span, sizeof(span), 0, err, errsz)) ||
            (rc = get_int(o, "min_duration_s", "settings.agent_states.min_duration_s", 0, 86400, &cfg->states.min_duration_s, err, errsz)) ||
            (rc = get_bool(o, "split_at_midnight", "settings.agent_states.split_at_midnight", &cfg->states.split_at_midnight, err, errsz))) {
            return rc;
        }
    }
    json_t *live = json_object_get(settings, "live_status");
    if (!span[0] && live && !json_is_null(live)) {
        snprintf(span, sizeof(span), "start_only"); /* a live-status table gives starts */
    }
    if (!span[0]) {
        if (!p) {
            return fail(err, errsz, "settings.agent_states.span",
                        "is required: start_end, start_duration or start_only");
        }
        snprintf(span, sizeof(span), "%s", p->span);
    }
    if (span_parse(span, &cfg->states.span) != ACDL_OK) {
        return fail(err, errsz, "settings.agent_states.span",
                    "must be start_end, start_duration or start_only");
    }
    if (p && strcmp(p->span, span) != 0) {
        return fail(err, errsz, "settings.agent_states.span", "differs from the preset's span form");
    }
    json_t *lo = o ? json_object_get(o, "logout_activities") : NULL;
    if (lo && !json_is_null(lo)) {
        size_t i;
        json_t *v;
        if (!json_is_array(lo)) {
            return fail(err, errsz, "settings.agent_states.logout_activities",
                        "must be a list of activity codes");
        }
        json_array_foreach(lo, i, v)
        {
            char field[80];
            snprintf(field, sizeof(field), "settings.agent_states.logout_activities[%zu]", i);
            if (!json_is_string(v) || has_ctl(json_string_value(v))) {
                return fail(err, errsz, field, "must be an activity code (text)");
            }
            if ((rc = add_logout(cfg, json_string_value(v), json_string_length(v), field, err,
                                 errsz)) != ACDL_OK) {
                return rc;
            }
        }
    } else if (p && p->logout) {
        for (const char *a = p->logout; *a;) {
            const char *b = strchr(a, ';');
            size_t n = b ? (size_t)(b - a) : strlen(a);
            add_logout(cfg, a, n, "odbc.preset", err, errsz);
            a += n + (b != NULL);
        }
    }
    if (cfg->states.nlogout > 0 && cfg->states.span != SPAN_START_ONLY) {
        return fail(err, errsz, "settings.agent_states.logout_activities",
                    "belong to the start_only span form (the others give each state's end)");
    }

    json_t *cols = json_object_get(settings, "columns");
    if (json_object_get(settings, "metrics")) {
        return fail(err, errsz, "settings.metrics", "agent-state sources have no metrics");
    }
    if (cfg->kind == SOURCE_ODBC) {
        if (cols && !json_is_null(cols)) {
            return fail(err, errsz, "settings.columns",
                        "ODBC results follow the column contract: agent id, activity id, start, "
                        "then end or duration");
        }
        return ACDL_OK;
    }
    if (cfg->preset[0]) { /* Asterisk's queue_log file: its columns by number */
        if (cols && !json_is_null(cols)) {
            return fail(err, errsz, "settings.columns",
                        "the preset knows the file's columns (time|callid|queue|agent|event|data)");
        }
        snprintf(cfg->start.spec, sizeof(cfg->start.spec), "1");
        snprintf(cfg->agent.spec, sizeof(cfg->agent.spec), "4");
        snprintf(cfg->activity.spec, sizeof(cfg->activity.spec), "5");
        return ACDL_OK;
    }
    if (!json_is_object(cols)) {
        return fail(err, errsz, "settings.columns",
                    "is required: an object of column roles (agent, activity, start, ...)");
    }
    if ((rc = only_keys(cols, "settings.columns", colkeys, err, errsz)) ||
        (rc = get_column(cols, "agent", "settings.columns.agent", &cfg->agent, err, errsz)) ||
        (rc = get_column(cols, "activity", "settings.columns.activity", &cfg->activity, err, errsz)) ||
        (rc = get_column(cols, "activity_name", "settings.columns.activity_name", &cfg->activity_name, err, errsz)) ||
        (rc = get_column(cols, "date", "settings.columns.date", &cfg->date, err, errsz)) ||
        (rc = get_column(cols, "start", "settings.columns.start", &cfg->start, err, errsz)) ||
        (rc = get_column(cols, "end", "settings.columns.end", &cfg->end, err, errsz)) ||
        (rc = get_column(cols, "duration", "settings.columns.duration", &cfg->duration, err, errsz))) {
        return rc;
    }
    if (!cfg->agent.spec[0]) {
        return fail(err, errsz, "settings.columns.agent", "is required: the column with the agent id");
    }
    if (!cfg->activity.spec[0]) {
        return fail(err, errsz, "settings.columns.activity",
                    "is required: the column with the activity (state or reason) code");
    }
    if (!cfg->start.spec[0]) {
        return fail(err, errsz, "settings.columns.start",
                    "is required: the start timestamp (or the start time, with a date column)");
    }
    if (cfg->states.span == SPAN_START_END && !cfg->end.spec[0]) {
        return fail(err, errsz, "settings.columns.end", "is required by the start_end span form");
    }
    if (cfg->states.span == SPAN_START_DURATION && !cfg->duration.spec[0]) {
        return fail(err, errsz, "settings.columns.duration",
                    "is required by the start_duration span form");
    }
    if (cfg->states.span != SPAN_START_END && cfg->end.spec[0]) {
        return fail(err, errsz, "settings.columns.end", "belongs to the start_end span form");
    }
    if (cfg->states.span != SPAN_START_DURATION && cfg->duration.spec[0]) {
        return fail(err, errsz, "settings.columns.duration",
                    "belongs to the start_duration span form");
    }
    return ACDL_OK;
}

static json_t *column_json(const struct source_column *c)
{
    long long n = 0;
    if (!c->spec[0]) {
        return json_null();
    }
    for (const char *p = c->spec; *p; p++) {
        if (*p < '0' || *p > '9' || n > 100000) {
            return json_string(c->spec);
        }
        n = n * 10 + (*p - '0');
    }
    /* a number only as get_column() takes one back: 1..100000, no leading zero ("0" and
     * "007" are header names) */
    if (n < 1 || n > 100000 || c->spec[0] == '0') {
        return json_string(c->spec);
    }
    return json_integer(n);
}

static json_t *str_or_null(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

/* A list of answered-column values, or null for none (the default rule). */
static json_t *value_list_json(const struct source_cfg *cfg, int answered)
{
    int n = answered ? cfg->nanswered_values : cfg->nunanswered_values;
    if (n == 0) {
        return json_null();
    }
    json_t *a = json_array();
    for (int i = 0; i < n; i++) {
        json_array_append_new(
            a, json_string(answered ? cfg->answered_values[i] : cfg->unanswered_values[i]));
    }
    return a;
}

json_t *source_cfg_settings_json(const struct source_cfg *cfg)
{
    json_t *out = json_object();
    if (cfg->kind == SOURCE_CSV) {
        static const char *const enc[] = {"utf-8", "windows-1252", "iso-8859-1", "utf-16le",
                                          "utf-16be"};
        static const char *const order[] = {"dmy", "mdy", "ymd"};
        static const char *const after[] = {"keep", "move", "delete"};
        char sep[2] = {cfg->csv.separator, 0};
        char quote[2] = {cfg->csv.quote == CSV_QUOTE_NONE ? 0 : (char)cfg->csv.quote, 0};
        json_object_set_new(
            out, "csv",
            json_pack("{s:s, s:s, s:s, s:s, s:s, s:i, s:b, s:s, s:o, s:o, s:o, s:s, s:o, s:b, s:i}",
                      "folder", cfg->folder, "pattern", cfg->pattern, "separator", sep, "quote",
                      quote, "encoding", enc[cfg->csv.encoding], "skip_lines",
                      (int)cfg->csv.skip_lines, "header", cfg->csv.header, "date_order",
                      order[cfg->date_order], "date_format", str_or_null(cfg->date_format),
                      "time_format", str_or_null(cfg->time_format), "timestamp_format",
                      str_or_null(cfg->timestamp_format), "after_import",
                      after[cfg->after_import], "archive_folder",
                      str_or_null(cfg->archive_folder), "strict", cfg->strict,
                      "partial_line_wait_s", cfg->partial_line_wait_s));
        if (cfg->preset[0]) { /* its columns are the preset's: not given back as settings */
            json_object_set_new(json_object_get(out, "csv"), "preset", json_string(cfg->preset));
        } else if (cfg->product == PRODUCT_AGENT_STATES) {
            json_object_set_new(
                out, "columns",
                json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "agent", column_json(&cfg->agent),
                          "activity", column_json(&cfg->activity), "activity_name",
                          column_json(&cfg->activity_name), "date", column_json(&cfg->date),
                          "start", column_json(&cfg->start), "end", column_json(&cfg->end),
                          "duration", column_json(&cfg->duration)));
        } else {
        json_object_set_new(
            out, "columns",
            json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "queue", column_json(&cfg->queue),
                      "queue_name", column_json(&cfg->queue_name), "date",
                      column_json(&cfg->date), "time", column_json(&cfg->time), "timestamp",
                      column_json(&cfg->timestamp), "answered", column_json(&cfg->answered),
                      "duration", column_json(&cfg->duration)));
        if (cfg->layout == LAYOUT_INTERVAL) {
            /* the contact layout has fixed metrics and takes none */
            json_t *m = json_object();
            for (int i = 0; i < cfg->nmetrics; i++) {
                json_object_set_new(m, cfg->metrics[i].name, column_json(&cfg->metrics[i].col));
            }
            json_object_set_new(out, "metrics", m);
        }
        }
    } else {
        json_object_set_new(out, "odbc",
                            json_pack("{s:o, s:o, s:o, s:o, s:o, s:i, s:i}", "dsn",
                                      str_or_null(cfg->dsn), "connection_string",
                                      str_or_null(cfg->connection_string), "user",
                                      str_or_null(cfg->user), "sql", str_or_null(cfg->sql),
                                      "preset", str_or_null(cfg->preset), "timeout_s",
                                      cfg->timeout_s, "connections", cfg->connections));
    }
    if (cfg->product == PRODUCT_AGENT_STATES) {
        json_t *lo = json_array();
        for (int i = 0; i < cfg->states.nlogout; i++) {
            json_array_append_new(lo, json_string(cfg->states.logout[i]));
        }
        json_object_set_new(out, "agent_states",
                            json_pack("{s:s, s:o, s:i, s:b}", "span",
                                      source_span_name(cfg->states.span), "logout_activities", lo,
                                      "min_duration_s", cfg->states.min_duration_s,
                                      "split_at_midnight", cfg->states.split_at_midnight));
        const struct source_live_status *ls = &cfg->live_status;
        if (ls->enabled) {
            json_t *lj = json_pack("{s:s, s:s, s:o, s:o, s:i}", "agent_column", ls->agent_column,
                                   "state_column", ls->state_column, "reason_column",
                                   str_or_null(ls->reason_column), "since_column",
                                   str_or_null(ls->since_column), "poll_s", ls->poll_s);
            if (ls->history_preset[0]) {
                json_object_set_new(lj, "history_preset", json_string(ls->history_preset));
            } else if (ls->history_sql[0]) {
                json_object_set_new(lj, "history_sql", json_string(ls->history_sql));
            }
            if (ls->history_sql[0] || ls->history_preset[0]) {
                json_object_set_new(lj, "history_span",
                                    json_string(source_span_name(ls->history_span)));
                json_object_set_new(lj, "reconcile_minutes", json_integer(ls->reconcile_minutes));
                json_object_set_new(lj, "reconcile_hours", json_integer(ls->reconcile_hours));
            }
            json_object_set_new(out, "live_status", lj);
        }
        const struct source_incremental *in = &cfg->incremental;
        if (in->enabled) {
            json_object_set_new(
                out, "incremental",
                json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:i}", "cursor_column", in->cursor_column,
                          "cursor_type", source_cursor_type_name(in->cursor_type), "overlap_s",
                          in->overlap_s, "poll_s", in->poll_s, "reconcile_minutes",
                          in->reconcile_minutes, "reconcile_hours", in->reconcile_hours,
                          "max_states_per_poll", in->max_states));
        }
        const struct source_follow_file *fo = &cfg->follow;
        if (fo->enabled) {
            json_object_set_new(out, "follow",
                                json_pack("{s:s, s:i, s:i, s:i}", "file", fo->file, "poll_s",
                                          fo->poll_s, "reconcile_minutes", fo->reconcile_minutes,
                                          "reconcile_hours", fo->reconcile_hours));
        }
    }
    json_t *d = json_array();
    for (int i = 0; i < cfg->nderived; i++) {
        json_array_append_new(d, json_pack("{s:s, s:s}", "name", cfg->derived[i].name,
                                           "expression", cfg->derived[i].expression));
    }
    json_object_set_new(out, "derived", d);
    json_object_set_new(out, "filter", str_or_null(cfg->filter));
    if (cfg->product == PRODUCT_CONTACTS && cfg->layout == LAYOUT_CONTACT) {
        json_object_set_new(out, "answered_values", value_list_json(cfg, 1));
        json_object_set_new(out, "unanswered_values", value_list_json(cfg, 0));
    }
    return out;
}
