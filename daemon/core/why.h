/* why.h: message codes for the reasons parsers write into "why" buffers.
 *
 * A parser that explains a failure in English text (a date parser's "month 13 out of range")
 * also notes here, per thread, the message code and parameters of that very text. Whoever
 * shows the reason later (a run-log line, a preview row) asks for the code of the text it
 * holds: the console then words the reason in the reader's language, and the English text
 * stays beside it. Asking for a text that was not noted (or noted on another thread, or too
 * long ago) finds nothing, so a reason is never worded from the wrong code.
 *
 * Thread safety: the notes are per thread; every function may be called from any thread. */
#ifndef ACDL_CORE_WHY_H
#define ACDL_CORE_WHY_H
#include <jansson.h>

/* Notes that text (the reason as written) has the message code code (a static string such as
 * "dt.month_range") and the parameters params (stolen, NULL: none). The last few notes of the
 * thread are kept. */
void why_note(const char *text, const char *code, json_t *params);

/* Sets obj[name] to text and, when text was noted on this thread, obj[name + "_code"] and
 * obj[name + "_params"] beside it (the console words the parameter from them); a known text of
 * why_match() has its code too. obj is
 * borrowed; a NULL obj is ignored. Returns obj. */
json_t *why_attach(json_t *obj, const char *name, const char *text);

/* Writes the code and parameters noted for text into code (codesz) and params (new JSON
 * object, caller decrefs) and returns 1; returns 0 (and sets nothing) when text was not
 * noted. */
int why_lookup(const char *text, char *code, size_t codesz, json_t **params);

/* The message code of a validation text of the API (core/why_texts.c): when text is one of
 * the known texts, writes its code into code (codesz) and the parts that vary into *params
 * (new JSON object, caller decrefs) and returns 1; else returns 0. */
int why_match(const char *text, char *code, size_t codesz, json_t **params);

/* 1 when text has the form of tmpl (a text with "{name}" placeholders, matched as
 * why_match() matches its texts); *params (new JSON object, caller decrefs) then holds the
 * parts that vary. */
int why_match_template(const char *tmpl, const char *text, json_t **params);

/* The message code of the hint of an error answer (core/hint_texts.c): when text is one of the
 * known hints, writes its code into code (codesz) and returns 1; else returns 0. */
int why_hint(const char *text, char *code, size_t codesz);

#endif
