/* words.h: alert notices worded in a channel's language (en, de, fr) from their message codes and
 * parameters, with the texts of the console's dictionaries (alerts/texts_gen.c, generated from
 * web/src/i18n/ by scripts/gen-alert-texts.mjs): "{name}" placeholders, plural forms, a
 * parameter that is itself a message (NAME_code, NAME_params), words for event kinds, health
 * checks and run states, numbers and dates as each language writes them, and French typography
 * (a no-break space before : and a narrow one before ; ! ?). Thread-safe (no state). */
#ifndef ACDL_ALERTS_WORDS_H
#define ACDL_ALERTS_WORDS_H
#include <jansson.h>
#include <stddef.h>

/* One text in every language; key is "msg.CODE", "alerts.event.KIND", ... (plural forms as
 * "KEY#one", "KEY#many", "KEY#other"). */
struct alert_text {
    const char *key, *en, *de, *fr;
};

extern const struct alert_text alert_texts[]; /* sorted by key (strcmp) */
extern const size_t alert_texts_n;

/* 1 when lang is a language notices can be worded in ("en", "de", "fr"). */
int alert_language_valid(const char *lang);

/* Writes the text of key (e.g. "msg.alert.run_failed", "notice.event") in lang into out
 * (outsz, always terminated) with params (borrowed JSON object, NULL: none) filled in. Returns
 * 1; 0 when key has no text, with fallback (may be NULL: "") written instead. */
int alert_words(const char *lang, const char *key, json_t *params, const char *fallback, char *out,
                size_t outsz);

/* alert_words() of "msg." code with params given as JSON object text ("" or NULL: none). */
int alert_words_code(const char *lang, const char *code, const char *params, const char *fallback,
                     char *out, size_t outsz);

#endif
