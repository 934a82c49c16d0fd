/* why.c: the per-thread notes of reason codes (see why.h). */
#include "core/why.h"

#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHY_SLOTS 4

struct why_slot {
    char text[768];
    char code[48];
    char params[768]; /* JSON object text; kept as text so nothing is left on the heap */
};

static _Thread_local struct why_slot slots[WHY_SLOTS];
static _Thread_local unsigned next_slot;

void why_note(const char *text, const char *code, json_t *params)
{
    struct why_slot *s = &slots[next_slot % WHY_SLOTS];
    char *ptext = params ? json_dumps(params, JSON_COMPACT) : NULL;
    json_decref(params);
    if (!text || !code || strlen(text) >= sizeof(s->text) || strlen(code) >= sizeof(s->code) ||
        (ptext && strlen(ptext) >= sizeof(s->params))) {
        free(ptext);
        return;
    }
    snprintf(s->text, sizeof(s->text), "%s", text);
    snprintf(s->code, sizeof(s->code), "%s", code);
    snprintf(s->params, sizeof(s->params), "%s", ptext ? ptext : "{}");
    free(ptext);
    next_slot++;
}

int why_lookup(const char *text, char *code, size_t codesz, json_t **params)
{
    if (!text || !text[0]) {
        return 0;
    }
    for (unsigned k = 1; k <= WHY_SLOTS; k++) {
        const struct why_slot *s = &slots[(next_slot - k) % WHY_SLOTS];
        if (s->code[0] && !strcmp(s->text, text)) {
            json_t *p = json_loads(s->params, 0, NULL);
            if (!p) {
                return 0;
            }
            snprintf(code, codesz, "%s", s->code);
            *params = p;
            return 1;
        }
    }
    /* the texts of the return codes need no note */
    for (int rc = ACDL_OK; rc >= ACDL_ENOSPC; rc--) {
        if (!strcmp(text, acdl_strerror(rc))) {
            snprintf(code, codesz, "%s", acdl_strerror_code(rc));
            *params = json_object();
            return 1;
        }
    }
    return 0;
}

json_t *why_attach(json_t *obj, const char *name, const char *text)
{
    char code[48], key[64];
    json_t *params = NULL;
    if (!obj) {
        return obj;
    }
    json_object_set_new(obj, name, json_string(text ? text : ""));
    if (why_lookup(text, code, sizeof(code), &params) ||
        why_match(text, code, sizeof(code), &params)) {
        snprintf(key, sizeof(key), "%s_code", name);
        json_object_set_new(obj, key, json_string(code));
        snprintf(key, sizeof(key), "%s_params", name);
        json_object_set_new(obj, key, params);
    }
    return obj;
}
