/* test_odbc_sandbox.c: MariaDB's real driver (Debian's odbc-mariadb), told to send local files
 * (an option file with local-infile=1, read through USE_MYCNF=1), connects to a hostile server
 * in this process that answers every statement with a request for a file (LOAD DATA LOCAL
 * INFILE). On an ordinary thread the file's bytes arrive; on a thread of odbc_sandboxed(), where
 * the file's folder is hidden, the server gets only the empty packet of a refusal. */
#define _GNU_SOURCE /* memmem */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sql.h>
#include <sqlext.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "adapters/odbc/odbc.h"
#include "adapters/odbc/odbc_int.h"
#include "check.h"
#include "core/err.h"
#include "platform/platform.h"

#define KEY_TEXT "KEY-4f1c9a77e2b0-never-sent"

/* The hostile server: one listening socket, one client at a time. */
struct hostile {
    int lfd;
    int port;
    char file[256];
    pthread_t thread;
    pthread_mutex_t mu;
    int requests;      /* file requests sent */
    size_t file_bytes; /* bytes of non-empty packets in answer to them */
    int saw_key;       /* KEY_TEXT arrived */
};

static int read_full(int fd, unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r <= 0) {
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

/* Reads one packet: its payload into buf (cut to bufsz), its length and sequence number. */
static int read_packet(int fd, unsigned char *buf, size_t bufsz, size_t *len, unsigned *seq)
{
    unsigned char h[4];
    size_t n;
    if (read_full(fd, h, 4) != 0) {
        return -1;
    }
    n = (size_t)h[0] | (size_t)h[1] << 8 | (size_t)h[2] << 16;
    *seq = h[3];
    *len = n;
    if (n > bufsz) {
        return -1;
    }
    return read_full(fd, buf, n);
}

static void send_packet(int fd, unsigned seq, const void *p, size_t n)
{
    unsigned char h[4] = {(unsigned char)(n & 0xff), (unsigned char)(n >> 8 & 0xff),
                          (unsigned char)(n >> 16 & 0xff), (unsigned char)seq};
    if (write(fd, h, 4) != 4 || write(fd, p, n) != (ssize_t)n) {
        return;
    }
}

static void send_greeting(int fd)
{
    /* protocol 10; capabilities: long password, found rows, long flag, connect with db, local
     * files, protocol 41, transactions, secure connection, multi results, plugin auth */
    static const char version[] = "5.5.5-10.11.99-MariaDB-hostile";
    unsigned caps = 0x1 | 0x2 | 0x4 | 0x8 | 0x80 | 0x200 | 0x2000 | 0x8000 | 0x20000 | 0x80000;
    unsigned char g[128];
    size_t n = 0;
    g[n++] = 10;
    memcpy(g + n, version, sizeof(version));
    n += sizeof(version);
    g[n++] = 7; /* connection id 7 */
    g[n++] = 0;
    g[n++] = 0;
    g[n++] = 0;
    memcpy(g + n, "abcdefgh", 9); /* the salt's first 8 bytes and a NUL */
    n += 9;
    g[n++] = (unsigned char)(caps & 0xff);
    g[n++] = (unsigned char)(caps >> 8 & 0xff);
    g[n++] = 45; /* utf8mb4 */
    g[n++] = 2;  /* status: autocommit */
    g[n++] = 0;
    g[n++] = (unsigned char)(caps >> 16 & 0xff);
    g[n++] = (unsigned char)(caps >> 24 & 0xff);
    g[n++] = 21; /* the salt's length */
    memset(g + n, 0, 10);
    n += 10;
    memcpy(g + n, "ijklmnopqrst", 13); /* 12 bytes and the NUL */
    n += 13;
    memcpy(g + n, "mysql_native_password", 22);
    n += 22;
    send_packet(fd, 0, g, n);
}

static void serve_client(struct hostile *h, int fd)
{
    static const unsigned char ok[] = {0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00};
    unsigned char buf[65536], req[300];
    size_t len;
    unsigned seq;
    int in_file = 0;

    send_greeting(fd);
    if (read_packet(fd, buf, sizeof(buf), &len, &seq) != 0) {
        return;
    }
    send_packet(fd, seq + 1, ok, sizeof(ok)); /* any user, any password */
    while (read_packet(fd, buf, sizeof(buf), &len, &seq) == 0) {
        if (in_file) {
            pthread_mutex_lock(&h->mu);
            h->file_bytes += len;
            if (len >= strlen(KEY_TEXT) && memmem(buf, len, KEY_TEXT, strlen(KEY_TEXT))) {
                h->saw_key = 1;
            }
            pthread_mutex_unlock(&h->mu);
            if (len == 0) {
                in_file = 0;
                send_packet(fd, seq + 1, ok, sizeof(ok));
            }
            continue;
        }
        if (len == 0 || buf[0] == 0x01) { /* COM_QUIT */
            return;
        }
        if (buf[0] == 0x03 || buf[0] == 0x17) { /* COM_QUERY, COM_STMT_EXECUTE */
            size_t fl = strlen(h->file);
            req[0] = 0xfb;
            memcpy(req + 1, h->file, fl);
            pthread_mutex_lock(&h->mu);
            h->requests++;
            pthread_mutex_unlock(&h->mu);
            in_file = 1;
            send_packet(fd, seq + 1, req, fl + 1);
        } else if (buf[0] == 0x16) { /* COM_STMT_PREPARE: no columns, no parameters */
            unsigned char p[12] = {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
            send_packet(fd, seq + 1, p, sizeof(p));
        } else if (buf[0] != 0x19) { /* not COM_STMT_CLOSE (no answer) */
            send_packet(fd, seq + 1, ok, sizeof(ok));
        }
    }
}

static void *hostile_main(void *arg)
{
    struct hostile *h = arg;
    int fd;
    while ((fd = accept(h->lfd, NULL, NULL)) >= 0) {
        serve_client(h, fd);
        close(fd);
    }
    return NULL;
}

static int hostile_start(struct hostile *h, const char *file)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof(sa);
    memset(h, 0, sizeof(*h));
    snprintf(h->file, sizeof(h->file), "%s", file);
    pthread_mutex_init(&h->mu, NULL);
    h->lfd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (h->lfd < 0 || bind(h->lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
        listen(h->lfd, 4) != 0 || getsockname(h->lfd, (struct sockaddr *)&sa, &sl) != 0) {
        return -1;
    }
    h->port = ntohs(sa.sin_port);
    return pthread_create(&h->thread, NULL, hostile_main, h);
}

static void hostile_stop(struct hostile *h)
{
    shutdown(h->lfd, SHUT_RDWR);
    close(h->lfd);
    pthread_join(h->thread, NULL);
    pthread_mutex_destroy(&h->mu);
}

/* One connect through the driver, as the daemon's threads make it, but with option files. */
struct connect_call {
    char cs[512];
    int connected;
    char msg[512];
};

static void connect_run(void *arg)
{
    struct connect_call *cc = arg;
    SQLHENV env = NULL;
    SQLHDBC dbc = NULL;
    SQLCHAR st[6];
    SQLINTEGER native = 0;
    SQLSMALLINT ml = 0;
    SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &env);
    SQLSetEnvAttr(env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0);
    SQLAllocHandle(SQL_HANDLE_DBC, env, &dbc);
    SQLRETURN r =
        SQLDriverConnect(dbc, NULL, (SQLCHAR *)cc->cs, SQL_NTS, NULL, 0, NULL, SQL_DRIVER_NOPROMPT);
    cc->connected = SQL_SUCCEEDED(r);
    cc->msg[0] = '\0';
    if (cc->connected) {
        SQLDisconnect(dbc);
    } else {
        SQLGetDiagRec(SQL_HANDLE_DBC, dbc, 1, st, &native, (SQLCHAR *)cc->msg, sizeof(cc->msg),
                      &ml);
    }
    SQLFreeHandle(SQL_HANDLE_DBC, dbc);
    SQLFreeHandle(SQL_HANDLE_ENV, env);
}

static void test_hostile_server(void)
{
    char dir[128], data[160], home[160], path[200], names[512];
    const char *hidden[1];
    struct hostile h;
    struct connect_call cc;
    int rc;

    if (odbc_driver_registered("MariaDB Unicode", names, sizeof(names)) != 1) {
        printf("  (MariaDB's ODBC driver is not registered: install odbc-mariadb)\n");
        CHECK(0);
        return;
    }
    if (!CHECK(check_tmpdir("odbc-sandbox", dir, sizeof(dir)) == 0)) {
        return;
    }
    snprintf(data, sizeof(data), "%s/data", dir);
    snprintf(home, sizeof(home), "%s/home", dir);
    CHECK_EQ_INT(plat_mkdir_p(data, 1), ACDL_OK);
    CHECK_EQ_INT(plat_mkdir_p(home, 1), ACDL_OK);
    snprintf(path, sizeof(path), "%s/secret.key", data);
    CHECK_EQ_INT(plat_file_write_atomic(path, KEY_TEXT, strlen(KEY_TEXT), 1), ACDL_OK);
    char cnf[200];
    snprintf(cnf, sizeof(cnf), "%s/my.cnf", home);
    static const char opts[] = "[client]\nlocal-infile=1\n[odbc]\nlocal-infile=1\n";
    CHECK_EQ_INT(plat_file_write_atomic(cnf, opts, sizeof(opts) - 1, 1), ACDL_OK);
    /* read by the client library when it first starts, in this process */
    CHECK_EQ_INT(plat_setenv("MARIADB_HOME", home), ACDL_OK);
    if (!CHECK(hostile_start(&h, path) == 0)) {
        return;
    }
    memset(&cc, 0, sizeof(cc));
    snprintf(cc.cs, sizeof(cc.cs),
             "Driver={MariaDB Unicode};Server=127.0.0.1;Port=%d;UID=any;PWD=any;USE_MYCNF=1",
             h.port);

    /* an ordinary thread: the library sends the file (what the guard is for) */
    connect_run(&cc);
    pthread_mutex_lock(&h.mu);
    CHECK(h.requests > 0);
    CHECK(h.file_bytes > 0);
    CHECK_EQ_INT(h.saw_key, 1);
    h.requests = 0;
    h.file_bytes = 0;
    h.saw_key = 0;
    pthread_mutex_unlock(&h.mu);

    hidden[0] = data;
    rc = plat_sandbox_init(hidden, 1);
    if (rc == ACDL_EPERM) {
        printf("  (this kernel has no Landlock: the daemon refuses such connection strings)\n");
        hostile_stop(&h);
        return;
    }
    CHECK_EQ_INT(rc, ACDL_OK);
    /* a restricted thread: asked the same, it sends nothing of the file */
    CHECK_EQ_INT(odbc_sandboxed(connect_run, &cc), ACDL_OK);
    pthread_mutex_lock(&h.mu);
    CHECK(h.requests > 0);
    CHECK_EQ_INT(h.file_bytes, 0);
    CHECK_EQ_INT(h.saw_key, 0);
    pthread_mutex_unlock(&h.mu);
    CHECK_EQ_INT(cc.connected, 0);
    CHECK_CONTAINS(cc.msg, "Errcode: 13");
    /* and again on the thread kept for the next call */
    CHECK_EQ_INT(odbc_sandboxed(connect_run, &cc), ACDL_OK);
    pthread_mutex_lock(&h.mu);
    CHECK_EQ_INT(h.file_bytes, 0);
    pthread_mutex_unlock(&h.mu);
    hostile_stop(&h);
    check_tmpdir_done(dir);
}

int main(void)
{
    RUN(test_hostile_server);
    return check_summary();
}
