/* printf.h: the format attribute for acdlink's own printf-like functions (ACDL_PRINTF).
 * mingw-w64's GCC checks a plain "printf" format against the old msvcrt, which lacks %zu and
 * %lld; the Windows build uses mingw's C99 stdio (__USE_MINGW_ANSI_STDIO), checked as
 * gnu_printf. */
#ifndef ACDL_PLATFORM_PRINTF_H
#define ACDL_PLATFORM_PRINTF_H

#if defined(__MINGW32__)
#define ACDL_PRINTF(a, b) __attribute__((format(gnu_printf, a, b)))
#elif defined(__GNUC__)
#define ACDL_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ACDL_PRINTF(a, b)
#endif

#endif
