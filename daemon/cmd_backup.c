/* cmd_backup.c: the backup and restore commands (the work is in ops/backup.c, ops/restore.c). */
#include "cmd_backup.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "ops/backup.h"
#include "platform/platform.h"

#define EXIT_REFUSED 3

static int stdout_write(void *ctx, const void *buf, size_t len)
{
    return fwrite(buf, 1, len, (FILE *)ctx) == len ? ACDL_OK : ACDL_EIO;
}

int cmd_backup(const struct acdl_config *cfg, const char *path)
{
    char err[1400] = "";
    int rc;
    if (!strcmp(path, "-")) {
        struct backup *b = NULL;
        plat_stdio_binary(stdout);
        rc = backup_prepare(cfg, &b, err, sizeof(err));
        if (rc == ACDL_OK) {
            rc = backup_stream(b, stdout_write, stdout, err, sizeof(err));
        }
        if (rc == ACDL_OK && fflush(stdout) != 0) {
            snprintf(err, sizeof(err), "writing to standard output failed");
            rc = ACDL_EIO;
        }
        backup_free(b);
    } else {
        rc = backup_to_file(cfg, path, err, sizeof(err));
    }
    if (rc != ACDL_OK) {
        fprintf(stderr, "acdlink: backup failed: %s\n", err[0] ? err : acdl_strerror(rc));
        return 1;
    }
    if (strcmp(path, "-") != 0) {
        printf("wrote the backup of %s to %s\n", cfg->data_dir, path);
    }
    return 0;
}

static int file_read(void *ctx, void *buf, size_t len, size_t *got)
{
    FILE *f = ctx;
    *got = fread(buf, 1, len, f);
    return *got == 0 && ferror(f) ? ACDL_EIO : ACDL_OK;
}

int cmd_restore(const struct acdl_config *cfg, const char *path, int force)
{
    char err[1400] = "";
    struct backup_restore_opts o;
    struct backup_restore_result res;
    FILE *f = !strcmp(path, "-") ? stdin : fopen(path, "rb");
    if (f == stdin) {
        plat_stdio_binary(stdin);
    }
    if (!f) {
        fprintf(stderr, "acdlink: restore: %s cannot be opened\n", path);
        return 1;
    }
    memset(&o, 0, sizeof(o));
    o.data_dir = cfg->data_dir;
    o.key_path = cfg->secret_key_file;
    o.force = force;
    int rc = backup_restore(file_read, f, &o, &res, err, sizeof(err));
    if (f != stdin) {
        fclose(f);
    }
    if (rc != ACDL_OK) {
        fprintf(stderr, "acdlink: restore of %s failed, nothing was changed: %s\n", path,
                err[0] ? err : acdl_strerror(rc));
        return rc == ACDL_EEXIST || rc == ACDL_EAGAIN ? EXIT_REFUSED : 1;
    }
    printf("restored the backup of %s made %s by acdlink %s into %s\n",
           res.manifest.host[0] ? res.manifest.host : "(unknown host)", res.manifest.created_at,
           res.manifest.product_version, cfg->data_dir);
    if (res.schema_from != res.schema_to) {
        printf("migrated its database from schema version %d to %d\n", res.schema_from,
               res.schema_to);
    }
    if (res.tls) {
        printf("restored its TLS certificate into %s/tls\n", cfg->data_dir);
    } else {
        printf("it held no TLS certificate; a self-signed one is made at the first start\n");
    }
    if (cfg->tls_cert[0]) {
        printf("note: tls_cert is set, so the daemon serves %s, not the restored one\n",
               cfg->tls_cert);
    }
    return 0;
}
