/* win32_net.c: TCP client sockets on Windows (Winsock 2; see platform.h). */
#include <winsock2.h>
#include <ws2tcpip.h>
#include <windows.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "core/why.h"
#include "platform/platform.h"

static INIT_ONCE wsa_once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK wsa_start(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
    WSADATA wd;
    (void)once, (void)param, (void)ctx;
    return WSAStartup(MAKEWORD(2, 2), &wd) == 0;
}

/* The system's text for a Winsock error code. */
static void wsa_text(int code, char *err, size_t errsz)
{
    char msg[256] = "";
    FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL,
                   (DWORD)code, 0, msg, sizeof(msg), NULL);
    for (size_t n = strlen(msg); n > 0 && (msg[n - 1] == '\r' || msg[n - 1] == '\n');) {
        msg[--n] = '\0';
    }
    snprintf(err, errsz, "%s (error %d)", msg[0] ? msg : "socket error", code);
}

/* The message code of a failed name lookup or connect (core/why.h): the causes people meet. */
static const char *net_cause_code(int gai, int e)
{
    if (gai) {
        return gai == WSAHOST_NOT_FOUND || gai == WSANO_DATA ? "net.no_such_host"
               : gai == WSATRY_AGAIN                         ? "net.dns_temporary"
                                                             : "net.dns_failed";
    }
    switch (e) {
    case WSAECONNREFUSED: return "net.refused";
    case WSAETIMEDOUT: return "net.timed_out";
    case WSAEHOSTUNREACH:
    case WSAENETUNREACH: return "net.unreachable";
    case WSAECONNRESET: return "net.reset";
    case WSAEACCES: return "net.not_permitted";
    default: return "net.other";
    }
}

int plat_tcp_connect(const char *host, int port, int connect_ms, int io_ms, plat_sock *out,
                     char *err, size_t errsz)
{
    struct addrinfo hints, *res = NULL;
    char ports[8];
    int last = WSAECONNREFUSED;
    int64_t deadline = plat_monotonic_ms() + connect_ms;
    if (!InitOnceExecuteOnce(&wsa_once, wsa_start, NULL, NULL)) {
        snprintf(err, errsz, "Winsock did not start");
        return ACDL_EIO;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(ports, sizeof(ports), "%d", port);
    int g = getaddrinfo(host, ports, &hints, &res);
    if (g != 0) {
        wsa_text(g, err, errsz);
        why_note(err, net_cause_code(g, 0), json_pack("{s:s}", "detail", err));
        return ACDL_ENOTFOUND;
    }
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
        SOCKET s = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        u_long on = 1, off = 0;
        if (s == INVALID_SOCKET) {
            last = WSAGetLastError();
            continue;
        }
        ioctlsocket(s, FIONBIO, &on);
        int r = connect(s, ai->ai_addr, (int)ai->ai_addrlen);
        if (r != 0 && WSAGetLastError() == WSAEWOULDBLOCK) {
            int64_t left = deadline - plat_monotonic_ms();
            WSAPOLLFD pfd = {s, POLLWRNORM, 0};
            int pr = WSAPoll(&pfd, 1, left < 0 ? 0 : (int)left);
            int soerr = 0, sl = sizeof(soerr);
            if (pr == 1 && getsockopt(s, SOL_SOCKET, SO_ERROR, (char *)&soerr, &sl) == 0 &&
                soerr == 0) {
                r = 0;
            } else {
                WSASetLastError(pr == 0 ? WSAETIMEDOUT : (soerr ? soerr : WSAECONNREFUSED));
            }
        }
        if (r == 0) {
            DWORD ms = (DWORD)(io_ms > 0 ? io_ms : 1);
            ioctlsocket(s, FIONBIO, &off);
            setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof(ms));
            setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, (const char *)&ms, sizeof(ms));
            *out = (plat_sock)s;
            freeaddrinfo(res);
            return ACDL_OK;
        }
        last = WSAGetLastError();
        closesocket(s);
    }
    freeaddrinfo(res);
    wsa_text(last, err, errsz);
    why_note(err, net_cause_code(0, last), json_pack("{s:s}", "detail", err));
    return ACDL_EIO;
}

long plat_sock_send(plat_sock s, const void *p, size_t n)
{
    int len = n > INT_MAX ? INT_MAX : (int)n;
    int r = send((SOCKET)s, p, len, 0);
    return r == SOCKET_ERROR ? -1 : r;
}

long plat_sock_recv(plat_sock s, void *p, size_t n)
{
    int len = n > INT_MAX ? INT_MAX : (int)n;
    int r = recv((SOCKET)s, p, len, 0);
    if (r == SOCKET_ERROR) {
        return WSAGetLastError() == WSAETIMEDOUT ? -2 : -1;
    }
    return r;
}

void plat_sock_error_clear(void)
{
    WSASetLastError(0);
}

int plat_sock_timed_out(void)
{
    return WSAGetLastError() == WSAETIMEDOUT;
}

void plat_sock_set_timeout(plat_sock s, int ms)
{
    DWORD v = (DWORD)(ms > 0 ? ms : 1);
    setsockopt((SOCKET)s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&v, sizeof(v));
    setsockopt((SOCKET)s, SOL_SOCKET, SO_SNDTIMEO, (const char *)&v, sizeof(v));
}

int plat_sock_quiet(plat_sock s)
{
    WSAPOLLFD pfd = {(SOCKET)s, POLLRDNORM, 0};
    return WSAPoll(&pfd, 1, 0) == 0;
}

void plat_sock_close(plat_sock s)
{
    if (s != PLAT_SOCK_NONE) {
        closesocket((SOCKET)s);
    }
}
