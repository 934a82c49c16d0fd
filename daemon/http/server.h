/* server.h: starting and stopping the embedded civetweb server. */
#ifndef ACDL_HTTP_SERVER_H
#define ACDL_HTTP_SERVER_H
#include <stddef.h>

#include "app.h"

struct http_server;

/* Starts listening on app->cfg->listen with HTTPS (certificate from tls_cert/tls_key or the
 * self-signed one in DATA/tls) unless plain_http. *out is new: stop with http_server_stop().
 * Returns 0 or an ACDL_E* code with a message in err. */
int http_server_start(struct app *app, struct http_server **out, char *err, size_t errsz);

/* Stops accepting, waits for running requests and frees the server. Accepts NULL. */
void http_server_stop(struct http_server *srv);

#endif
