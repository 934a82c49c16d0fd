/* err.h: the one return-code space of acdlink, its text and its HTTP status. */
#ifndef ACDL_CORE_ERR_H
#define ACDL_CORE_ERR_H

/* 0 is success; every failure is a negative ACDL_E* code. */
enum acdl_err {
    ACDL_OK = 0,
    ACDL_ENOMEM = -1,     /* out of memory */
    ACDL_EINVAL = -2,     /* invalid argument or input */
    ACDL_ENOTFOUND = -3,  /* no such object */
    ACDL_EEXIST = -4,     /* object exists already */
    ACDL_EIO = -5,        /* file or socket I/O failed */
    ACDL_EDB = -6,        /* the database failed */
    ACDL_EAGAIN = -7,     /* transient failure: retry later */
    ACDL_EPERM = -8,      /* not allowed */
    ACDL_EAUTH = -9,      /* authentication failed */
    ACDL_ETOOBIG = -10,   /* a size limit was exceeded */
    ACDL_ECONFLICT = -11, /* the change conflicts with the current state */
    ACDL_ECRYPTO = -12,   /* a cryptographic operation failed */
    ACDL_ENEWER = -13,    /* data written by a newer version */
    ACDL_ESTOP = -14,     /* shutting down */
    ACDL_ENOSPC = -15,    /* the data disk is full: retry once space is freed */
};

/* Returns a static, human-readable text for rc (never NULL). */
const char *acdl_strerror(int rc);

/* Returns the message code of that text ("err.einval"; static, never NULL): the console words
 * it in the reader's language. */
const char *acdl_strerror_code(int rc);

/* Returns the HTTP status that best describes rc (200 for ACDL_OK). The retry-later codes
 * (ACDL_EAGAIN, ACDL_ENOSPC, ACDL_ESTOP) give 503, answered with Retry-After. */
int acdl_err_http_status(int rc);

/* Seconds a client should wait before retrying after rc (the Retry-After of a 503); 0 when
 * retrying cannot help. */
int acdl_err_retry_after(int rc);

#endif
