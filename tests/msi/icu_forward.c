/* icu_forward.c: an icu.dll for the wine test only, built with winegcc. Windows 10 and later
 * ship ICU as the system's icu.dll, and acdlink.exe imports the ICU C calls from it; wine 8
 * has no icu.dll. This library gives wine one: each export hands the call to the host's ICU
 * (the same release whose headers the Windows build compiles against), the way wine's own
 * odbc32.dll hands ODBC calls to the host's unixODBC. It converts nothing: the ICU C API
 * passes only fixed-size integers, doubles, UTF-16 strings and opaque pointers, identical on
 * both sides. icu.spec lists the exports; run.sh checks that they match packaging/msi/icu.def. */
#include <windef.h>

#include <unicode/ucal.h>
#include <unicode/uchar.h>
#include <unicode/ustring.h>

void CDECL fwd_u_charsToUChars(const char *cs, UChar *us, int32_t length)
{
    u_charsToUChars(cs, us, length);
}

UChar32 CDECL fwd_u_foldCase(UChar32 c, uint32_t options)
{
    return u_foldCase(c, options);
}

int32_t CDECL fwd_u_strcmp(const UChar *s1, const UChar *s2)
{
    return u_strcmp(s1, s2);
}

void CDECL fwd_ucal_close(UCalendar *cal)
{
    ucal_close(cal);
}

int32_t CDECL fwd_ucal_get(const UCalendar *cal, UCalendarDateFields field, UErrorCode *status)
{
    return ucal_get(cal, field, status);
}

int32_t CDECL fwd_ucal_getCanonicalTimeZoneID(const UChar *id, int32_t len, UChar *result,
                                              int32_t capacity, UBool *is_system,
                                              UErrorCode *status)
{
    return ucal_getCanonicalTimeZoneID(id, len, result, capacity, is_system, status);
}

const char *CDECL fwd_ucal_getTZDataVersion(UErrorCode *status)
{
    return ucal_getTZDataVersion(status);
}

UBool CDECL fwd_ucal_getTimeZoneTransitionDate(const UCalendar *cal, UTimeZoneTransitionType type,
                                               UDate *transition, UErrorCode *status)
{
    return ucal_getTimeZoneTransitionDate(cal, type, transition, status);
}

UCalendar *CDECL fwd_ucal_open(const UChar *zone, int32_t len, const char *locale,
                               UCalendarType type, UErrorCode *status)
{
    return ucal_open(zone, len, locale, type, status);
}

void CDECL fwd_ucal_setMillis(UCalendar *cal, UDate t, UErrorCode *status)
{
    ucal_setMillis(cal, t, status);
}
