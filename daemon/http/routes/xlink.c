/* xlink.c (routes): POST /api/v1/xlink-imports: the Xlink migration from uploaded files.
 * The body carries the files' bytes in base64 (so Windows-1252 files arrive unchanged); the
 * conversion and its report are xlink/xlink.c's, applied as the caller through the route
 * handlers. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "http/routes/routes.h"
#include "xlink/ini.h"
#include "xlink/xlink.h"

/* Decodes standard base64 text into a new buffer. Returns 0 or ACDL_EINVAL. */
static int b64_decode(const char *in, size_t len, char **out, size_t *outlen)
{
    char *buf;
    if (len % 4 != 0) {
        return ACDL_EINVAL;
    }
    buf = malloc(len / 4 * 3 + 1);
    if (!buf) {
        return ACDL_ENOMEM;
    }
    int n = len ? EVP_DecodeBlock((unsigned char *)buf, (const unsigned char *)in, (int)len) : 0;
    if (n < 0) {
        free(buf);
        return ACDL_EINVAL;
    }
    /* EVP_DecodeBlock counts the padding as zero bytes */
    for (size_t i = len; i > 0 && in[i - 1] == '='; i--) {
        n--;
    }
    *out = buf;
    *outlen = (size_t)n;
    return ACDL_OK;
}

int route_xlink_import(struct req *r)
{
    json_t *files = NULL, *f, *report = NULL;
    json_error_t jerr;
    const char *zone = NULL;
    int dry = 0, st;
    size_t i, n = 0;
    struct xlink_file xf[XLINK_MAX_FILES];
    char *bufs[XLINK_MAX_FILES];
    char err[1400] = "";
    if (json_unpack_ex(r->body, &jerr, JSON_STRICT, "{s:o, s?b, s?s}", "files", &files,
                       "dry_run", &dry, "time_zone", &zone) != 0) {
        return reply_error(r, 422, "invalid_field",
                           "send {\"files\": [{\"name\", \"content_base64\"}], \"dry_run\", "
                           "\"time_zone\"}",
                           "%s", jerr.text);
    }
    if (!json_is_array(files) || json_array_size(files) == 0 ||
        json_array_size(files) > XLINK_MAX_FILES) {
        return reply_error(r, 422, "invalid_field", "upload isps_ul.ini and the other files",
                           "files: must be a list of 1 to %d files", XLINK_MAX_FILES);
    }
    json_array_foreach(files, i, f)
    {
        const char *name, *data;
        size_t dlen = 0;
        if (json_unpack(f, "{s:s, s:s !}", "name", &name, "content_base64", &data) != 0 ||
            route_check_text(name, 100) != NULL || strchr(name, '/') || strchr(name, '\\')) {
            st = reply_error(r, 422, "invalid_field", "each file is {name, content_base64}",
                             "files[%zu]: needs a plain file name and content_base64", i);
            goto out;
        }
        int rc = b64_decode(data, strlen(data), &bufs[n], &dlen);
        if (rc != ACDL_OK) {
            st = rc == ACDL_ENOMEM ? reply_rc(r, rc, "upload")
                                   : reply_error(r, 422, "invalid_field", "encode the bytes in base64",
                                                 "files[%zu].content_base64: not base64", i);
            goto out;
        }
        xf[n].name = name;
        xf[n].data = bufs[n];
        xf[n].len = dlen;
        n++;
    }
    struct xlink_opts o = {zone, dry};
    int rc = xlink_import(r->app, &r->auth, xf, n, &o, &report, err, sizeof(err));
    if (rc == ACDL_EINVAL) {
        st = reply_error(r, 422, "invalid_field",
                         strncmp(err, "time_zone", 9) ? "upload the files of the Xlink folder"
                                                      : "give an IANA time zone",
                         "%s", err);
    } else if (rc == ACDL_ECONFLICT) {
        json_t *e = json_object_get(report, "error");
        st = reply_error(r, 409, "conflict", "the items before it were made; fix it and import again",
                         "the API refused %s: %s",
                         json_string_value(json_object_get(e, "path")),
                         json_string_value(json_object_get(e, "message")));
    } else if (rc != ACDL_OK) {
        st = reply_rc(r, rc, "Xlink import");
    } else {
        if (!dry) {
            http_audit(r, "xlink.import", "xlink", "ok",
                       json_deep_copy(json_object_get(report, "summary")));
        }
        st = reply_json(r, 200, report);
        report = NULL;
    }
out:
    json_decref(report);
    for (size_t k = 0; k < n; k++) {
        free(bufs[k]);
    }
    return st;
}
