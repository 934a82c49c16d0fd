/* config.h: bootstrap settings (what the daemon needs before it can open its database).
 *
 * One typed table (config_keys[] in config.c) drives the config-file parser, the
 * ACDLINK_* environment variables, the --flags, validation and `acdlink config keys`.
 * Precedence: built-in default < config file < environment < command-line flag.
 * Everything users manage at run time lives in SQLite, not here. */
#ifndef ACDL_CONFIG_H
#define ACDL_CONFIG_H
#include <stddef.h>

struct acdl_config {
    char config_file[1024];
    char data_dir[1024];
    char listen[300];
    int plain_http;
    char public_url[300];
    char tls_cert[1024];
    char tls_key[1024];
    char secret_key_file[1024];
    int log_level;
    char log_file[1024];
    int log_file_max_kb;
    int log_file_keep;
    int http_threads;
    int session_idle_timeout;
    int session_absolute_timeout;
    int max_sessions_per_user;
    int login_max_failures;
    int login_lockout_base;
    int login_lockout_max;
    int disk_min_free_mb;
    int backlog_warn_after;
    int upload_backoff_base;
    int upload_backoff_cap;
    int agent_states_in_memory;
    char import_roots[4096]; /* folders separated by ';' (config/roots.h) */
    char export_roots[4096];
    /* derived by config_load from listen */
    char listen_host[256];
    int listen_port;
    /* derived from public_url: "https://host[:port]" as browsers send it in Origin (empty when
     * unset), and whether it is https */
    char public_origin[300];
    int public_https;
};

/* Fills cfg with the built-in defaults. */
void config_defaults(struct acdl_config *cfg);

/* Applies a config file, then ACDLINK_* environment variables (envp: NULL-terminated
 * "NAME=value" strings, or NULL for none), then the flags in argv[0..argc) (which must all be
 * config flags), then validates. The file is cfg->config_file if argv/env name none.
 * On error returns ACDL_EINVAL and writes a message naming the file:line, variable or flag and
 * what to do into err. */
int config_load(struct acdl_config *cfg, int argc, char **argv, char **envp, char *err,
                size_t errsz);

/* Applies one "key = value" setting (key as in the table). Returns 0 or ACDL_EINVAL + err. */
int config_set(struct acdl_config *cfg, const char *key, const char *value, char *err,
               size_t errsz);

/* Parses the text of a config file (name is used in messages). */
int config_parse_text(struct acdl_config *cfg, const char *name, const char *text, char *err,
                      size_t errsz);

/* Checks ranges and combinations, derives listen_host/listen_port. */
int config_validate(struct acdl_config *cfg, char *err, size_t errsz);

/* Parses a public URL "http[s]://HOST[:PORT][/]" into the origin browsers send for it
 * ("https://host" without a default port, scheme and host in lower case) and whether it is
 * https. Returns 0, or ACDL_EINVAL with what is wrong in err. */
int config_parse_public_url(const char *url, char *origin, size_t originsz, int *https, char *err,
                            size_t errsz);

/* 1 when host (as in listen_host) is a loopback address: 127.x.x.x, [::1] or localhost. */
int config_host_is_loopback(const char *host);

/* Splits "ADDR:PORT" or "[V6]:PORT". Returns 0 or ACDL_EINVAL. */
int config_parse_listen(const char *s, char *host, size_t hostsz, int *port);

/* Writes the documentation of every key (name, flag, variable, default, meaning) to out. */
void config_print_keys(void *out_file);

/* 1 when arg (like "--listen" or "--listen=x") is a config flag. */
int config_is_flag(const char *arg);

#endif
