/* backup.c (routes): GET /api/v1/backup: a backup archive of the running daemon, streamed.
 * The snapshot is taken first (its size is then known, so the answer has a Content-Length),
 * then streamed from the temporary file; one backup at a time. */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "http/routes/routes.h"
#include "ops/backup.h"
#include "platform/platform.h"

static atomic_int busy;

static int conn_write(void *ctx, const void *buf, size_t len)
{
    struct mg_connection *conn = ctx;
    return mg_write(conn, buf, len) == (int)len ? ACDL_OK : ACDL_EIO;
}

int route_backup_get(struct req *r)
{
    char err[1400] = "", name[96], disp[160], stamp[32];
    struct backup *b = NULL;
    int expected = 0;
    /* HEAD answers the same headers (the snapshot gives the length) but sends nothing, so it
     * leaves no audit entry: only a backup actually sent is one */
    int head = strcmp(r->ri->request_method, "HEAD") == 0;
    if (!atomic_compare_exchange_strong(&busy, &expected, 1)) {
        reply_header(r, "Retry-After", "10");
        return reply_error(r, 409, "conflict", "wait until the other backup has been downloaded",
                           "another backup is being made");
    }
    int rc = backup_prepare(r->app->cfg, &b, err, sizeof(err));
    if (rc != ACDL_OK) {
        atomic_store(&busy, 0);
        log_error("backup", "%s", err);
        if (!head) {
            http_audit(r, "backup.create", "api", "error", json_pack("{s:s}", "error", err));
        }
        return reply_error(r, 500, "internal", "look at the daemon's log",
                           "the backup could not be made: %s", err);
    }
    plat_time_iso(plat_now(), stamp, sizeof(stamp));
    /* 2026-12-03T16:45:00Z -> 20261203-164500 */
    snprintf(name, sizeof(name), "acdlink-backup-%.4s%.2s%.2s-%.2s%.2s%.2s.tar", stamp,
             stamp + 5, stamp + 8, stamp + 11, stamp + 14, stamp + 17);
    snprintf(disp, sizeof(disp), "attachment; filename=\"%s\"", name);
    uint64_t size = backup_size(b);
    reply_start(r->conn, 200, "application/x-tar", (size_t)size, 1);
    mg_response_header_add(r->conn, "Content-Disposition", disp, -1);
    mg_response_header_send(r->conn);
    if (!head) {
        rc = backup_stream(b, conn_write, r->conn, err, sizeof(err));
        json_t *detail = backup_summary(b);
        json_object_set_new(detail, "file", json_string(name));
        if (rc != ACDL_OK) {
            json_object_set_new(detail, "error", json_string(err));
            log_warn("backup", "the download of %s broke off: %s", name, err);
        }
        http_audit(r, "backup.create", "api", rc == ACDL_OK ? "ok" : "error", detail);
    }
    backup_free(b);
    atomic_store(&busy, 0);
    return 200;
}
