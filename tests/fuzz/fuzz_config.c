/* fuzz_config.c: config_parse_text on arbitrary text, then config_validate. */
#include "config/config.h"
#include "core/err.h"
#include "fuzz_util.h"

static int terminated(const char *field, size_t size)
{
    return memchr(field, '\0', size) != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct acdl_config cfg;
    char err[512];
    if (size > 1024 * 1024) {
        return 0;
    }
    char *text = fuzz_cstr(data, size);
    if (!text) {
        return 0;
    }
    config_defaults(&cfg);
    err[0] = '\0';
    int rc = config_parse_text(&cfg, "fuzz.conf", text, err, sizeof(err));
    FUZZ_ASSERT(rc == ACDL_OK || rc == ACDL_EINVAL);
    FUZZ_ASSERT(terminated(err, sizeof(err)));
    if (rc != ACDL_OK) {
        /* every error names the place */
        FUZZ_ASSERT(strncmp(err, "fuzz.conf:", 10) == 0);
    }
    /* whatever happened, every field is still a valid value */
    FUZZ_ASSERT(terminated(cfg.data_dir, sizeof(cfg.data_dir)));
    FUZZ_ASSERT(terminated(cfg.listen, sizeof(cfg.listen)));
    FUZZ_ASSERT(terminated(cfg.tls_cert, sizeof(cfg.tls_cert)));
    FUZZ_ASSERT(terminated(cfg.tls_key, sizeof(cfg.tls_key)));
    FUZZ_ASSERT(terminated(cfg.log_file, sizeof(cfg.log_file)));
    FUZZ_ASSERT(cfg.plain_http == 0 || cfg.plain_http == 1);
    FUZZ_ASSERT(cfg.log_level >= 0 && cfg.log_level <= 4);
    FUZZ_ASSERT(cfg.http_threads >= 2 && cfg.http_threads <= 1024); /* config.c's range */
    FUZZ_ASSERT(cfg.log_file_keep >= 1 && cfg.log_file_keep <= 50);
    FUZZ_ASSERT(cfg.login_lockout_max >= 1 && cfg.login_lockout_max <= 86400);
    for (const char *p = cfg.data_dir; *p; p++) {
        FUZZ_ASSERT((unsigned char)*p >= 0x20);
    }
    char host[256];
    int port = 0;
    FUZZ_ASSERT(config_parse_listen(cfg.listen, host, sizeof(host), &port) == ACDL_OK);
    if (config_validate(&cfg, err, sizeof(err)) == ACDL_OK) {
        FUZZ_ASSERT(cfg.listen_port >= 1 && cfg.listen_port <= 65535);
        FUZZ_ASSERT(cfg.listen_host[0] != '\0');
    }
    FUZZ_ASSERT(terminated(err, sizeof(err)));
    free(text);
    return 0;
}
