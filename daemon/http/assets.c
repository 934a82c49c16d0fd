/* assets.c: the console's files, served from the table embedded in the binary.
 * Only exact paths of that table are served; nothing ever touches the file system. */
#include <stdio.h>
#include <string.h>

#include "http/http.h"

static const char *content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},   {".svg", "image/svg+xml"},
        {".png", "image/png"},                 {".ico", "image/x-icon"},
        {".json", "application/json"},         {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(dot, types[i].ext) == 0) {
            return types[i].type;
        }
    }
    return "application/octet-stream";
}

static int strcasecmp_ascii(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = (char)(*a >= 'A' && *a <= 'Z' ? *a + 32 : *a);
        char y = (char)(*b >= 'A' && *b <= 'Z' ? *b + 32 : *b);
        if (x != y) {
            return 1;
        }
    }
    return *a != *b;
}

/* 1 when an Accept-Encoding header value accepts gzip: a "gzip" (or "*") entry whose q is not
 * zero. Entries are separated by commas, parameters by semicolons. */
int http_accepts_gzip(const char *value)
{
    const char *p = value;
    while (p && *p) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        char entry[64];
        if (len < sizeof(entry)) {
            memcpy(entry, p, len);
            entry[len] = '\0';
            char *name = entry, *params = strchr(entry, ';');
            if (params) {
                *params++ = '\0';
            }
            while (*name == ' ' || *name == '\t') {
                name++;
            }
            size_t n = strlen(name);
            while (n > 0 && (name[n - 1] == ' ' || name[n - 1] == '\t')) {
                name[--n] = '\0';
            }
            if (!strcasecmp_ascii(name, "gzip") || !strcmp(name, "*")) {
                /* q=0, q=0.0, q=0.000: refused */
                const char *q = params ? strstr(params, "q=") : NULL;
                int refused = 0;
                if (q) {
                    q += 2;
                    refused = q[0] == '0' && strspn(q + 1, ".0") == strlen(q + 1);
                }
                if (!refused) {
                    return 1;
                }
                if (name[0] == 'g' || name[0] == 'G') {
                    return 0; /* gzip named and refused: a "*" elsewhere does not bring it back */
                }
            }
        }
        p = end ? end + 1 : NULL;
    }
    return 0;
}

static int send_plain(struct mg_connection *conn, int status, const char *text)
{
    reply_start(conn, status, "text/plain; charset=utf-8", strlen(text), 0);
    mg_response_header_add(conn, "Cache-Control", "no-store", -1);
    mg_response_header_send(conn);
    mg_write(conn, text, strlen(text));
    return status;
}

int http_assets_serve(struct mg_connection *conn, struct app *app)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    const char *path = ri->local_uri ? ri->local_uri : "/";
    int head = strcmp(ri->request_method, "HEAD") == 0;
    char etag[40];

    if (strcmp(ri->request_method, "GET") != 0 && !head) {
        reply_start(conn, 405, "text/plain; charset=utf-8", 19, 0);
        mg_response_header_add(conn, "Allow", "GET, HEAD", -1);
        mg_response_header_send(conn);
        mg_write(conn, "method not allowed\n", 19);
        return 405;
    }
    if (strcmp(path, "/") == 0) {
        path = "/index.html";
    }
    const struct embedded_file *f = NULL;
    for (size_t i = 0; app->web && i < app->web_count; i++) {
        if (strcmp(app->web[i].name, path) == 0) {
            f = &app->web[i];
            break;
        }
    }
    if (!f) {
        return send_plain(conn, 404, "not found\n");
    }
    /* the gzip copy is another representation: its own ETag, and caches keep both apart */
    int gz = f->gz && http_accepts_gzip(mg_get_header(conn, "Accept-Encoding"));
    snprintf(etag, sizeof(etag), "\"%s%s\"", f->etag, gz ? "-gz" : "");
    const char *inm = mg_get_header(conn, "If-None-Match");
    int fresh = inm && strcmp(inm, etag) == 0;
    int immutable = strncmp(path, "/assets/", 8) == 0;
    size_t len = gz ? f->gz_len : f->len;
    reply_start(conn, fresh ? 304 : 200, content_type(path), fresh ? 0 : len, 0);
    mg_response_header_add(conn, "ETag", etag, -1);
    mg_response_header_add(conn, "Cache-Control",
                           immutable ? "public, max-age=31536000, immutable" : "no-cache", -1);
    if (f->gz) {
        mg_response_header_add(conn, "Vary", "Accept-Encoding", -1);
    }
    if (gz && !fresh) {
        mg_response_header_add(conn, "Content-Encoding", "gzip", -1);
    }
    mg_response_header_send(conn);
    if (!fresh && !head) {
        mg_write(conn, gz ? f->gz : f->data, len);
    }
    return fresh ? 304 : 200;
}
