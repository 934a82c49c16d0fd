/* app.h: what the running daemon shares between its threads. */
#ifndef ACDL_APP_H
#define ACDL_APP_H
#include <stdint.h>

#include "config/config.h"
#include "core/embedded.h"

struct store;
struct throttle;
struct secret_key;
struct runner;
struct uploader;
struct alerter;
struct answers;

struct app {
    const struct acdl_config *cfg; /* borrowed, read-only after start */
    struct store *store;
    struct throttle *login_throttle;
    struct secret_key *secrets; /* seals stored passwords and API keys */
    struct runner *runner;      /* the import workers */
    struct uploader *uploader;  /* delivers batches to the targets */
    struct alerter *alerter;    /* sends alert notices */
    struct answers *answers;    /* the read routes' answer cache (NULL: none) */
    int64_t started_at; /* plat_now() at start */
    const struct embedded_file *web; /* console assets (may be NULL in tests) */
    size_t web_count;
    int tls; /* 1 when serving HTTPS */
    /* 1 when browsers reach the console over HTTPS (served so, or public_url is https):
     * the session cookie is then Secure with the __Host- prefix */
    int secure_cookies;
};

#endif
