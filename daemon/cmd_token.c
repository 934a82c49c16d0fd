/* cmd_token.c: `acdlink token create`: an API token made on the machine itself, for setting
 * up automation before anyone has signed in to the console. */
#include "cmd_token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "core/err.h"
#include "http/routes/routes.h"
#include "platform/platform.h"
#include "store/audit.h"
#include "store/tokens.h"
#include "store/users.h"

/* The owner named, or the oldest enabled admin. */
static int find_owner(struct store_conn *c, const char *owner, struct store_user *out)
{
    struct store_user *arr = NULL;
    int n = 0, rc;
    if (owner) {
        rc = store_user_get_by_name(c, owner, out);
        if (rc == ACDL_OK && out->disabled) {
            fprintf(stderr, "acdlink: token create: the user '%s' is disabled\n", owner);
            return ACDL_EINVAL;
        }
        if (rc == ACDL_ENOTFOUND) {
            fprintf(stderr, "acdlink: token create: --owner: no user named '%s'\n", owner);
        }
        return rc;
    }
    rc = store_user_list(c, 0, 500, &arr, &n);
    if (rc == ACDL_OK) {
        rc = ACDL_ENOTFOUND;
        for (int i = 0; i < n; i++) {
            if (!arr[i].disabled && !strcmp(arr[i].role, "admin")) {
                *out = arr[i];
                rc = ACDL_OK;
                break;
            }
        }
        if (rc == ACDL_ENOTFOUND) {
            fprintf(stderr, "acdlink: token create: there is no enabled admin to own the token; "
                            "name one with --owner\n");
        }
    }
    free(arr);
    return rc;
}

int cmd_token_create(const struct acdl_config *cfg, const struct cmd_token_args *a)
{
    struct app app;
    struct store_user owner;
    struct store_token t;
    char err[1400] = "", secret[96], detail[256];
    int rc = cli_app_open(cfg, &app, err, sizeof(err));
    if (rc != ACDL_OK) {
        fprintf(stderr, "acdlink: %s\n", err);
        return 1;
    }
    int64_t now = plat_now();
    struct store_conn *c = store_acquire(app.store);
    rc = find_owner(c, a->owner, &owner);
    if (rc == ACDL_OK) {
        rc = route_token_mint(c, a->name, a->role, "acdlink token", owner.id,
                              a->expires_days > 0 ? now + (int64_t)a->expires_days * 86400 : 0,
                              secret, sizeof(secret), &t);
        if (rc != ACDL_OK) {
            fprintf(stderr, "acdlink: token create: %s\n", acdl_strerror(rc));
        }
    }
    if (rc == ACDL_OK) {
        snprintf(detail, sizeof(detail),
                 "{\"id\":%lld,\"role\":\"%s\",\"prefix\":\"%s\",\"owner\":\"%s\","
                 "\"expires_in_days\":%d}",
                 (long long)t.id, t.role, t.prefix, owner.name, a->expires_days);
        store_audit_add(c, now, "acdlink token", "system", "local", "token.create", t.name, "ok",
                        detail);
    }
    store_release(app.store, c);
    cli_app_close(&app);
    if (rc != ACDL_OK) {
        return 1;
    }
    /* the secret alone on standard output, for scripts; the rest on standard error */
    printf("%s\n", secret);
    fflush(stdout);
    memset(secret, 0, sizeof(secret));
    if (a->expires_days > 0) {
        fprintf(stderr, "acdlink: made the token '%s' (%s, owned by %s, expires in %d days)",
                t.name, t.role, owner.name, a->expires_days);
    } else {
        fprintf(stderr, "acdlink: made the token '%s' (%s, owned by %s, never expires)", t.name,
                t.role, owner.name);
    }
    fprintf(stderr, "; its secret is shown only this once\n");
    return 0;
}
