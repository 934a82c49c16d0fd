/* err.c: text and HTTP status for ACDL_E* codes. */
#include "core/err.h"

const char *acdl_strerror(int rc)
{
    switch (rc) {
    case ACDL_OK: return "success";
    case ACDL_ENOMEM: return "out of memory";
    case ACDL_EINVAL: return "invalid input";
    case ACDL_ENOTFOUND: return "not found";
    case ACDL_EEXIST: return "already exists";
    case ACDL_EIO: return "input/output error";
    case ACDL_EDB: return "database error";
    case ACDL_EAGAIN: return "temporarily unavailable, retry later";
    case ACDL_EPERM: return "not permitted";
    case ACDL_EAUTH: return "authentication failed";
    case ACDL_ETOOBIG: return "too large";
    case ACDL_ECONFLICT: return "conflicts with the current state";
    case ACDL_ECRYPTO: return "cryptographic operation failed";
    case ACDL_ENEWER: return "written by a newer version of acdlink";
    case ACDL_ESTOP: return "shutting down";
    case ACDL_ENOSPC: return "no space left on the data disk";
    default: return "unknown error";
    }
}

const char *acdl_strerror_code(int rc)
{
    switch (rc) {
    case ACDL_OK: return "err.ok";
    case ACDL_ENOMEM: return "err.enomem";
    case ACDL_EINVAL: return "err.einval";
    case ACDL_ENOTFOUND: return "err.enotfound";
    case ACDL_EEXIST: return "err.eexist";
    case ACDL_EIO: return "err.eio";
    case ACDL_EDB: return "err.edb";
    case ACDL_EAGAIN: return "err.eagain";
    case ACDL_EPERM: return "err.eperm";
    case ACDL_EAUTH: return "err.eauth";
    case ACDL_ETOOBIG: return "err.etoobig";
    case ACDL_ECONFLICT: return "err.econflict";
    case ACDL_ECRYPTO: return "err.ecrypto";
    case ACDL_ENEWER: return "err.enewer";
    case ACDL_ESTOP: return "err.estop";
    case ACDL_ENOSPC: return "err.enospc";
    default: return "err.unknown";
    }
}

int acdl_err_http_status(int rc)
{
    switch (rc) {
    case ACDL_OK: return 200;
    case ACDL_EINVAL: return 422;
    case ACDL_ENOTFOUND: return 404;
    case ACDL_EEXIST: return 409;
    case ACDL_ECONFLICT: return 409;
    case ACDL_EPERM: return 403;
    case ACDL_EAUTH: return 401;
    case ACDL_ETOOBIG: return 413;
    case ACDL_EAGAIN: return 503;
    case ACDL_ESTOP: return 503;
    case ACDL_ENOSPC: return 503;
    default: return 500;
    }
}

int acdl_err_retry_after(int rc)
{
    switch (rc) {
    case ACDL_EAGAIN: return 2; /* a long write transaction ends within seconds */
    case ACDL_ENOSPC: return 60;
    case ACDL_ESTOP: return 10;
    default: return 0;
    }
}
