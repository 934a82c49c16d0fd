/* posix_net.c: TCP client sockets on POSIX (see platform.h). */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "core/err.h"
#include "core/why.h"
#include "platform/platform.h"

static void set_timeouts(int fd, int ms)
{
    struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* The message code of a failed name lookup or connect (core/why.h): the causes people meet. */
static const char *net_cause_code(int gai, int e)
{
    if (gai) {
        return gai == EAI_NONAME  ? "net.no_such_host"
               : gai == EAI_AGAIN ? "net.dns_temporary"
                                  : "net.dns_failed";
    }
    switch (e) {
    case ECONNREFUSED: return "net.refused";
    case ETIMEDOUT: return "net.timed_out";
    case EHOSTUNREACH:
    case ENETUNREACH: return "net.unreachable";
    case ECONNRESET: return "net.reset";
    case EACCES:
    case EPERM: return "net.not_permitted";
    default: return "net.other";
    }
}

int plat_tcp_connect(const char *host, int port, int connect_ms, int io_ms, plat_sock *out,
                     char *err, size_t errsz)
{
    struct addrinfo hints, *res = NULL;
    char ports[8];
    int last = 0;
    int64_t deadline = plat_monotonic_ms() + connect_ms;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(ports, sizeof(ports), "%d", port);
    int g = getaddrinfo(host, ports, &hints, &res);
    if (g != 0) {
        snprintf(err, errsz, "%s", gai_strerror(g));
        why_note(err, net_cause_code(g, 0), json_pack("{s:s}", "detail", err));
        return ACDL_ENOTFOUND;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            last = errno;
            continue;
        }
        int fl = fcntl(fd, F_GETFL, 0);
        fcntl(fd, F_SETFL, fl | O_NONBLOCK);
        int r = connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (r != 0 && errno == EINPROGRESS) {
            int64_t left = deadline - plat_monotonic_ms();
            struct pollfd pfd = {fd, POLLOUT, 0};
            int pr = poll(&pfd, 1, left < 0 ? 0 : (int)left);
            int soerr = 0;
            socklen_t sl = sizeof(soerr);
            if (pr == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) == 0 && soerr == 0) {
                r = 0;
            } else {
                errno = pr == 0 ? ETIMEDOUT : (soerr ? soerr : EIO);
            }
        }
        if (r == 0) {
            fcntl(fd, F_SETFL, fl);
            set_timeouts(fd, io_ms > 0 ? io_ms : 1);
            *out = fd;
            freeaddrinfo(res);
            return ACDL_OK;
        }
        last = errno;
        close(fd);
    }
    freeaddrinfo(res);
    snprintf(err, errsz, "%s", strerror(last));
    why_note(err, net_cause_code(0, last), json_pack("{s:s}", "detail", err));
    return ACDL_EIO;
}

long plat_sock_send(plat_sock s, const void *p, size_t n)
{
    return (long)send((int)s, p, n, MSG_NOSIGNAL);
}

long plat_sock_recv(plat_sock s, void *p, size_t n)
{
    ssize_t r = recv((int)s, p, n, 0);
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return -2;
    }
    return (long)r;
}

void plat_sock_error_clear(void)
{
    errno = 0;
}

int plat_sock_timed_out(void)
{
    return errno == EAGAIN || errno == EWOULDBLOCK;
}

void plat_sock_set_timeout(plat_sock s, int ms)
{
    set_timeouts((int)s, ms > 0 ? ms : 1);
}

int plat_sock_quiet(plat_sock s)
{
    struct pollfd pfd = {(int)s, POLLIN, 0};
    return poll(&pfd, 1, 0) == 0;
}

void plat_sock_close(plat_sock s)
{
    if (s != PLAT_SOCK_NONE) {
        close((int)s);
    }
}
