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
    snprintf(etag, sizeof(etag), "\"%s\"", f->etag);
    const char *inm = mg_get_header(conn, "If-None-Match");
    int fresh = inm && strcmp(inm, etag) == 0;
    int immutable = strncmp(path, "/assets/", 8) == 0;
    reply_start(conn, fresh ? 304 : 200, content_type(path), fresh ? 0 : f->len, 0);
    mg_response_header_add(conn, "ETag", etag, -1);
    mg_response_header_add(conn, "Cache-Control",
                           immutable ? "public, max-age=31536000, immutable" : "no-cache", -1);
    mg_response_header_send(conn);
    if (!fresh && !head) {
        mg_write(conn, f->data, f->len);
    }
    return fresh ? 304 : 200;
}
