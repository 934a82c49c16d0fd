/* config.c: the bootstrap settings table and its parsers (file, environment, flags). */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/log.h"

enum cfg_type { CFG_STR, CFG_PATH, CFG_BOOL, CFG_INT, CFG_LEVEL, CFG_LISTEN };

struct config_key {
    const char *name;
    enum cfg_type type;
    const char *def;
    int min, max;
    size_t offset;
    size_t size; /* for strings: buffer size */
    const char *doc;
};

#define S(field) offsetof(struct acdl_config, field), sizeof(((struct acdl_config *)0)->field)

static const struct config_key config_keys[] = {
    {"config", CFG_PATH, "", 0, 0, S(config_file),
     "Config file with key = value lines (read before environment and flags)"},
    {"data_dir", CFG_PATH, "acdlink-data", 0, 0, S(data_dir),
     "Folder for the database, the secrets key, the TLS certificate"},
    {"listen", CFG_LISTEN, "127.0.0.1:8443", 0, 0, S(listen),
     "Address and port of the console and API: ADDR:PORT, [::1]:PORT for IPv6"},
    {"plain_http", CFG_BOOL, "false", 0, 0, S(plain_http),
     "Serve plain HTTP instead of HTTPS (only behind a TLS-terminating proxy)"},
    {"public_url", CFG_STR, "", 0, 0, S(public_url),
     "The address browsers use when a TLS-terminating proxy is in front (with plain_http): "
     "https://HOST[:PORT]/; Origin checks and the cookie's Secure flag follow it"},
    {"tls_cert", CFG_PATH, "", 0, 0, S(tls_cert),
     "PEM certificate chain of the operator; empty: a self-signed one in DATA/tls"},
    {"tls_key", CFG_PATH, "", 0, 0, S(tls_key), "PEM private key that belongs to tls_cert"},
    {"secret_key_file", CFG_PATH, "", 0, 0, S(secret_key_file),
     "Key file that encrypts stored passwords (made at first start); empty: DATA/secret.key"},
    {"log_level", CFG_LEVEL, "info", 0, 0, S(log_level), "error, warn, info, debug or trace"},
    {"log_file", CFG_PATH, "", 0, 0, S(log_file),
     "Also log to this file (rotated); empty: standard error only"},
    {"log_file_max_kb", CFG_INT, "10240", 16, 1048576, S(log_file_max_kb),
     "Size in KiB at which the log file is rotated"},
    {"log_file_keep", CFG_INT, "5", 1, 50, S(log_file_keep), "Rotated log files kept"},
    {"http_threads", CFG_INT, "256", 2, 1024, S(http_threads),
     "HTTP worker threads, one connection each: more than the idle or slow connections a "
     "client may hold at once"},
    {"session_idle_timeout", CFG_INT, "1800", 60, 86400, S(session_idle_timeout),
     "Seconds of inactivity after which a console session ends"},
    {"session_absolute_timeout", CFG_INT, "43200", 300, 604800, S(session_absolute_timeout),
     "Seconds after login at which a console session ends in any case"},
    {"max_sessions_per_user", CFG_INT, "10", 1, 1000, S(max_sessions_per_user),
     "Console sessions one user may hold; the oldest ends first"},
    {"login_max_failures", CFG_INT, "5", 1, 100, S(login_max_failures),
     "Failed logins (per account and per client) before logins are locked"},
    {"login_lockout_base", CFG_INT, "15", 1, 3600, S(login_lockout_base),
     "Seconds of the first login lock; each further failure doubles it"},
    {"login_lockout_max", CFG_INT, "900", 1, 86400, S(login_lockout_max),
     "Longest login lock in seconds"},
    {"disk_min_free_mb", CFG_INT, "1024", 0, 104857600, S(disk_min_free_mb),
     "Health is degraded when the data folder's disk has less free space than this (MiB)"},
    {"backlog_warn_after", CFG_INT, "3600", 60, 2592000, S(backlog_warn_after),
     "Seconds a delivery may wait before health, the console banner and metrics warn"},
    {"upload_backoff_base", CFG_INT, "2", 1, 3600, S(upload_backoff_base),
     "Seconds: a failed delivery waits a random time up to base * 2^(attempt-1)"},
    {"upload_backoff_cap", CFG_INT, "900", 1, 86400, S(upload_backoff_cap),
     "Longest wait in seconds between two attempts to deliver a batch"},
    {"agent_states_in_memory", CFG_INT, "4000000", 0, 100000000, S(agent_states_in_memory),
     "States an agent-state run holds in memory (about 28 bytes each) before it goes on in a "
     "temporary table on disk; 0: always on disk"},
    {"import_roots", CFG_STR, "", 0, 0, S(import_roots),
     "Folders (absolute, separated by ';') inside which CSV sources may read, move and "
     "delete files; never the data folder. Empty: DATA/import"},
    {"export_roots", CFG_STR, "", 0, 0, S(export_roots),
     "Folders (absolute, separated by ';') inside which csv-export targets may write. "
     "Empty: DATA/export"},
};
#define NKEYS (sizeof(config_keys) / sizeof(config_keys[0]))

static const struct config_key *key_find(const char *name, size_t len)
{
    for (size_t i = 0; i < NKEYS; i++) {
        if (strlen(config_keys[i].name) == len && strncmp(config_keys[i].name, name, len) == 0) {
            return &config_keys[i];
        }
    }
    return NULL;
}

static int parse_bool(const char *v, int *out)
{
    if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1")) {
        *out = 1;
        return 0;
    }
    if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0")) {
        *out = 0;
        return 0;
    }
    return -1;
}

int config_host_is_loopback(const char *host)
{
    return strncmp(host, "127.", 4) == 0 || strcmp(host, "[::1]") == 0 ||
           strcmp(host, "localhost") == 0;
}

int config_parse_public_url(const char *url, char *origin, size_t originsz, int *https, char *err,
                            size_t errsz)
{
    char host[256];
    size_t hl = 0;
    long port = 0;
    const char *p;
    if (!strncmp(url, "https://", 8) || !strncmp(url, "HTTPS://", 8)) {
        *https = 1;
        p = url + 8;
    } else if (!strncmp(url, "http://", 7) || !strncmp(url, "HTTP://", 7)) {
        *https = 0;
        p = url + 7;
    } else {
        snprintf(err, errsz,
                 "must start with https:// (or http://), e.g. https://acd.example.com/");
        return ACDL_EINVAL;
    }
    if (*p == '[') { /* [v6] */
        const char *end = strchr(p, ']');
        if (!end || end == p + 1) {
            snprintf(err, errsz, "an IPv6 host needs its closing ']'");
            return ACDL_EINVAL;
        }
        for (const char *q = p + 1; q < end; q++) {
            if (!isxdigit((unsigned char)*q) && *q != ':' && *q != '.') {
                snprintf(err, errsz, "'%.*s' is not an IPv6 address", (int)(end - p + 1), p);
                return ACDL_EINVAL;
            }
        }
        hl = (size_t)(end - p + 1);
    } else {
        while (isalnum((unsigned char)p[hl]) || p[hl] == '.' || p[hl] == '-') {
            hl++;
        }
    }
    if (hl == 0 || hl >= sizeof(host)) {
        snprintf(err, errsz, "needs a host name, e.g. https://acd.example.com/");
        return ACDL_EINVAL;
    }
    for (size_t i = 0; i < hl; i++) {
        host[i] = (char)tolower((unsigned char)p[i]);
    }
    host[hl] = '\0';
    p += hl;
    if (*p == ':') {
        char *end = NULL;
        errno = 0;
        port = isdigit((unsigned char)p[1]) ? strtol(p + 1, &end, 10) : 0;
        if (errno || port < 1 || port > 65535) {
            snprintf(err, errsz, "the port must be a number from 1 to 65535");
            return ACDL_EINVAL;
        }
        p = end;
    }
    if (*p == '/') {
        p++;
    }
    if (*p) {
        snprintf(err, errsz,
                 "must be the site's root, without path, query or user ('%.40s' is left over): "
                 "the console and the API are served from /",
                 p);
        return ACDL_EINVAL;
    }
    if (port == (*https ? 443 : 80)) {
        port = 0; /* browsers leave the default port out of Origin */
    }
    int n = port ? snprintf(origin, originsz, "%s://%s:%ld", *https ? "https" : "http", host, port)
                 : snprintf(origin, originsz, "%s://%s", *https ? "https" : "http", host);
    if (n < 0 || (size_t)n >= originsz) {
        snprintf(err, errsz, "is too long");
        return ACDL_EINVAL;
    }
    return ACDL_OK;
}

int config_parse_listen(const char *s, char *host, size_t hostsz, int *port)
{
    const char *colon;
    size_t hl;
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        if (!end || end[1] != ':' || end == s + 1) {
            return ACDL_EINVAL;
        }
        for (const char *p = s + 1; p < end; p++) {
            if (!isxdigit((unsigned char)*p) && *p != ':' && *p != '.') {
                return ACDL_EINVAL;
            }
        }
        hl = (size_t)(end - s + 1);
        colon = end + 1;
    } else {
        colon = strrchr(s, ':');
        if (!colon || strchr(s, ':') != colon) {
            return ACDL_EINVAL;
        }
        hl = (size_t)(colon - s);
    }
    if (hl == 0 || hl >= hostsz) {
        return ACDL_EINVAL;
    }
    for (size_t i = 0; i < hl; i++) {
        char c = s[i];
        if (!(isalnum((unsigned char)c) || c == '.' || c == ':' || c == '[' || c == ']' ||
              c == '-')) {
            return ACDL_EINVAL;
        }
    }
    for (const char *d = colon + 1; *d; d++) {
        if (*d < '0' || *d > '9') {
            return ACDL_EINVAL;
        }
    }
    char *end = NULL;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (errno || !end || *end || colon[1] == '\0' || p < 1 || p > 65535) {
        return ACDL_EINVAL;
    }
    memcpy(host, s, hl);
    host[hl] = '\0';
    *port = (int)p;
    return ACDL_OK;
}

static int set_key(struct acdl_config *cfg, const struct config_key *k, const char *v,
                   const char *where, char *err, size_t errsz)
{
    char *field = (char *)cfg + k->offset;
    switch (k->type) {
    case CFG_STR:
    case CFG_PATH:
    case CFG_LISTEN:
        if (strlen(v) >= k->size) {
            snprintf(err, errsz, "%s: value of '%s' is too long (at most %zu characters)", where,
                     k->name, k->size - 1);
            return ACDL_EINVAL;
        }
        for (const char *p = v; *p; p++) {
            if ((unsigned char)*p < 0x20) {
                snprintf(err, errsz, "%s: value of '%s' contains a control character", where,
                         k->name);
                return ACDL_EINVAL;
            }
        }
        if (k->type == CFG_LISTEN) {
            char host[256];
            int port;
            if (config_parse_listen(v, host, sizeof(host), &port) != 0) {
                snprintf(err, errsz,
                         "%s: '%s' is not ADDR:PORT for '%s' (examples: 127.0.0.1:8443, "
                         "0.0.0.0:443, [::1]:8443)",
                         where, v, k->name);
                return ACDL_EINVAL;
            }
        }
        memcpy(field, v, strlen(v) + 1);
        return ACDL_OK;
    case CFG_BOOL:
        if (parse_bool(v, (int *)(void *)field) != 0) {
            snprintf(err, errsz, "%s: '%s' is not a boolean for '%s' (use true or false)", where,
                     v, k->name);
            return ACDL_EINVAL;
        }
        return ACDL_OK;
    case CFG_LEVEL: {
        int l = log_level_parse(v);
        if (l < 0) {
            snprintf(err, errsz,
                     "%s: '%s' is not a log level for '%s' (use error, warn, info, debug or "
                     "trace)",
                     where, v, k->name);
            return ACDL_EINVAL;
        }
        *(int *)(void *)field = l;
        return ACDL_OK;
    }
    case CFG_INT: {
        char *end = NULL;
        errno = 0;
        long n = strtol(v, &end, 10);
        if (errno || !end || *end || !*v || n < k->min || n > k->max) {
            snprintf(err, errsz, "%s: '%s' is not a whole number from %d to %d for '%s'", where,
                     v, k->min, k->max, k->name);
            return ACDL_EINVAL;
        }
        *(int *)(void *)field = (int)n;
        return ACDL_OK;
    }
    }
    return ACDL_EINVAL;
}

void config_defaults(struct acdl_config *cfg)
{
    char err[256] = "";
    memset(cfg, 0, sizeof(*cfg));
    for (size_t i = 0; i < NKEYS; i++) {
        set_key(cfg, &config_keys[i], config_keys[i].def, "default", err, sizeof(err));
    }
}

int config_set(struct acdl_config *cfg, const char *key, const char *value, char *err,
               size_t errsz)
{
    const struct config_key *k = key_find(key, strlen(key));
    if (!k || k->offset == offsetof(struct acdl_config, config_file)) {
        snprintf(err, errsz, "unknown key '%s' (see 'acdlink config keys')", key);
        return ACDL_EINVAL;
    }
    return set_key(cfg, k, value, key, err, errsz);
}

static void trim(char **s, char **e)
{
    while (*s < *e && isspace((unsigned char)**s)) {
        (*s)++;
    }
    while (*e > *s && isspace((unsigned char)(*e)[-1])) {
        (*e)--;
    }
}

int config_parse_text(struct acdl_config *cfg, const char *name, const char *text, char *err,
                      size_t errsz)
{
    int lineno = 0;
    const char *p = text;
    if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBB && (unsigned char)p[2] == 0xBF) {
        p += 3;
    }
    while (*p) {
        char line[2048];
        char where[1200];
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        snprintf(where, sizeof(where), "%s:%d", name, lineno);
        if (len >= sizeof(line)) {
            snprintf(err, errsz, "%s: line longer than %zu characters", where, sizeof(line) - 1);
            return ACDL_EINVAL;
        }
        memcpy(line, p, len);
        line[len] = '\0';
        p = nl ? nl + 1 : p + len;
        char *s = line, *e = line + len;
        trim(&s, &e);
        *e = '\0';
        if (s == e || *s == '#' || *s == ';') {
            continue;
        }
        char *eq = strchr(s, '=');
        if (!eq) {
            snprintf(err, errsz, "%s: expected 'key = value', found '%.60s'", where, s);
            return ACDL_EINVAL;
        }
        char *ks = s, *ke = eq, *vs = eq + 1, *ve = e;
        trim(&ks, &ke);
        trim(&vs, &ve);
        *ve = '\0';
        if (ve - vs >= 2 && ((*vs == '"' && ve[-1] == '"') || (*vs == '\'' && ve[-1] == '\''))) {
            vs++;
            *--ve = '\0';
        }
        const struct config_key *k = key_find(ks, (size_t)(ke - ks));
        if (!k || k->offset == offsetof(struct acdl_config, config_file)) {
            snprintf(err, errsz, "%s: unknown key '%.*s' (see 'acdlink config keys')", where,
                     (int)(ke - ks > 64 ? 64 : ke - ks), ks);
            return ACDL_EINVAL;
        }
        if (set_key(cfg, k, vs, where, err, errsz) != 0) {
            return ACDL_EINVAL;
        }
    }
    return ACDL_OK;
}

static int load_file(struct acdl_config *cfg, const char *path, char *err, size_t errsz)
{
    int rc = ACDL_EINVAL;
    char *buf = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errsz, "%s: cannot open the config file: %s", path, strerror(errno));
        return ACDL_EINVAL;
    }
    buf = malloc(1024 * 1024 + 1);
    if (!buf) {
        rc = ACDL_ENOMEM;
        goto out;
    }
    size_t n = fread(buf, 1, 1024 * 1024 + 1, f);
    if (n > 1024 * 1024) {
        snprintf(err, errsz, "%s: config file larger than 1 MiB", path);
        goto out;
    }
    if (memchr(buf, '\0', n)) {
        snprintf(err, errsz, "%s: config file contains a NUL byte", path);
        goto out;
    }
    buf[n] = '\0';
    rc = config_parse_text(cfg, path, buf, err, errsz);
out:
    free(buf);
    fclose(f);
    return rc;
}

/* "--log-level" -> key "log_level". Returns the key or NULL. */
static const struct config_key *flag_key(const char *arg, const char **value)
{
    char name[64];
    size_t n = 0;
    if (strncmp(arg, "--", 2) != 0) {
        return NULL;
    }
    arg += 2;
    *value = NULL;
    while (*arg && *arg != '=' && n + 1 < sizeof(name)) {
        name[n++] = *arg == '-' ? '_' : *arg;
        arg++;
    }
    name[n] = '\0';
    if (*arg == '=') {
        *value = arg + 1;
    }
    return key_find(name, n);
}

int config_is_flag(const char *arg)
{
    const char *v;
    return flag_key(arg, &v) != NULL;
}

int config_validate(struct acdl_config *cfg, char *err, size_t errsz)
{
    if ((cfg->tls_cert[0] == '\0') != (cfg->tls_key[0] == '\0')) {
        snprintf(err, errsz, "tls_cert and tls_key go together: set both or neither");
        return ACDL_EINVAL;
    }
    if (cfg->data_dir[0] == '\0') {
        snprintf(err, errsz, "data_dir must not be empty");
        return ACDL_EINVAL;
    }
    if (cfg->login_lockout_max < cfg->login_lockout_base) {
        snprintf(err, errsz, "login_lockout_max (%d) is below login_lockout_base (%d)",
                 cfg->login_lockout_max, cfg->login_lockout_base);
        return ACDL_EINVAL;
    }
    if (cfg->session_absolute_timeout < cfg->session_idle_timeout) {
        snprintf(err, errsz, "session_absolute_timeout is below session_idle_timeout");
        return ACDL_EINVAL;
    }
    if (config_parse_listen(cfg->listen, cfg->listen_host, sizeof(cfg->listen_host),
                            &cfg->listen_port) != 0) {
        snprintf(err, errsz, "listen: '%s' is not ADDR:PORT", cfg->listen);
        return ACDL_EINVAL;
    }
    cfg->public_origin[0] = '\0';
    cfg->public_https = 0;
    if (cfg->public_url[0]) {
        char why[200] = "";
        if (config_parse_public_url(cfg->public_url, cfg->public_origin, sizeof(cfg->public_origin),
                                    &cfg->public_https, why, sizeof(why)) != ACDL_OK) {
            snprintf(err, errsz, "public_url: '%.100s' %s", cfg->public_url, why);
            return ACDL_EINVAL;
        }
    }
    /* Plain HTTP carries passwords and session cookies in clear: only over loopback to a proxy
     * on the same machine, which the browser reaches over https. */
    int loopback = config_host_is_loopback(cfg->listen_host);
    if (cfg->plain_http && !loopback && !cfg->public_url[0]) {
        snprintf(err, errsz,
                 "plain_http on %s, which is not a loopback address: passwords and session "
                 "cookies would cross the network in clear. Listen on 127.0.0.1 behind a "
                 "TLS-terminating proxy and set public_url to the https:// address browsers use, "
                 "or drop plain_http",
                 cfg->listen);
        return ACDL_EINVAL;
    }
    if (cfg->public_url[0] && !cfg->public_https && !loopback) {
        snprintf(err, errsz,
                 "public_url '%.100s' is http:// while listening on %s, which is not a loopback "
                 "address: browsers would send passwords in clear. Use the https:// address of "
                 "the TLS-terminating proxy",
                 cfg->public_url, cfg->listen);
        return ACDL_EINVAL;
    }
    return ACDL_OK;
}

int config_load(struct acdl_config *cfg, int argc, char **argv, char **envp, char *err,
                size_t errsz)
{
    const char *file = NULL;
    const char *v;
    /* Which file: a --config flag wins over ACDLINK_CONFIG, which wins over the preset. */
    for (int i = 0; i < argc; i++) {
        const struct config_key *k = flag_key(argv[i], &v);
        if (k && !strcmp(k->name, "config")) {
            file = v ? v : (i + 1 < argc ? argv[i + 1] : NULL);
        }
    }
    for (char **e = envp; !file && e && *e; e++) {
        if (!strncmp(*e, "ACDLINK_CONFIG=", 15)) {
            file = *e + 15;
        }
    }
    if (!file && cfg->config_file[0]) {
        file = cfg->config_file;
    }
    if (file && *file) {
        if (file != cfg->config_file) {
            snprintf(cfg->config_file, sizeof(cfg->config_file), "%s", file);
        }
        if (load_file(cfg, cfg->config_file, err, errsz) != 0) {
            return ACDL_EINVAL;
        }
    }
    /* Environment: every ACDLINK_* variable must be a known key. */
    for (char **e = envp; e && *e; e++) {
        char key[64];
        const char *eq;
        size_t n;
        if (strncmp(*e, "ACDLINK_", 8) != 0 || !(eq = strchr(*e, '='))) {
            continue;
        }
        n = (size_t)(eq - (*e + 8));
        if (n >= sizeof(key)) {
            snprintf(err, errsz, "environment: unknown variable %.40s...", *e);
            return ACDL_EINVAL;
        }
        for (size_t i = 0; i < n; i++) {
            key[i] = (char)tolower((unsigned char)(*e)[8 + i]);
        }
        key[n] = '\0';
        if (!strcmp(key, "config") || !strcmp(key, "bin")) {
            continue;
        }
        const struct config_key *k = key_find(key, n);
        char where[96];
        snprintf(where, sizeof(where), "environment variable ACDLINK_%.*s", (int)n, *e + 8);
        if (!k) {
            snprintf(err, errsz, "%s: unknown setting (see 'acdlink config keys')", where);
            return ACDL_EINVAL;
        }
        if (set_key(cfg, k, eq + 1, where, err, errsz) != 0) {
            return ACDL_EINVAL;
        }
    }
    for (int i = 0; i < argc; i++) {
        const struct config_key *k = flag_key(argv[i], &v);
        char where[96];
        if (!k) {
            snprintf(err, errsz, "unknown option '%.60s' (see 'acdlink help')", argv[i]);
            return ACDL_EINVAL;
        }
        snprintf(where, sizeof(where), "option --%s", argv[i] + 2);
        if (strchr(where, '=')) {
            *strchr(where, '=') = '\0';
        }
        if (!v) {
            if (k->type == CFG_BOOL && (i + 1 >= argc || strncmp(argv[i + 1], "--", 2) == 0 ||
                                        parse_bool(argv[i + 1], &(int){0}) != 0)) {
                v = "true";
            } else if (i + 1 < argc) {
                v = argv[++i];
            } else {
                snprintf(err, errsz, "%s needs a value", where);
                return ACDL_EINVAL;
            }
        }
        if (!strcmp(k->name, "config")) {
            continue;
        }
        if (set_key(cfg, k, v, where, err, errsz) != 0) {
            return ACDL_EINVAL;
        }
    }
    return config_validate(cfg, err, errsz);
}

void config_print_keys(void *out_file)
{
    FILE *out = out_file;
    fprintf(out, "Bootstrap settings (file key = value, environment ACDLINK_KEY, flag --key):\n\n");
    for (size_t i = 0; i < NKEYS; i++) {
        const struct config_key *k = &config_keys[i];
        char flag[64], env[64];
        size_t j;
        for (j = 0; k->name[j] && j + 1 < sizeof(flag); j++) {
            flag[j] = k->name[j] == '_' ? '-' : k->name[j];
            env[j] = (char)toupper((unsigned char)k->name[j]);
        }
        flag[j] = env[j] = '\0';
        fprintf(out, "  %-26s --%-26s ACDLINK_%s\n", k->name, flag, env);
        fprintf(out, "      %s", k->doc);
        if (k->type == CFG_INT) {
            fprintf(out, " (%d to %d)", k->min, k->max);
        }
        fprintf(out, "; default: %s\n", *k->def ? k->def : "(empty)");
    }
}
