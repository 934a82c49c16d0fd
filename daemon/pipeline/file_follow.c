/* file_follow.c: the stored position and poll record of followed files (see file_follow.h). */
#include "pipeline/file_follow.h"

#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "platform/platform.h"

int file_follow_get(struct store_conn *c, int64_t source_id, const char *file,
                    struct file_follow_read *rd)
{
    sqlite3_stmt *s = store_prepare(c, "SELECT file_id, offset, line, head_len, head_hash FROM "
                                       "source_file_follow WHERE source_id = ? AND file = ? AND "
                                       "file_id IS NOT NULL");
    memset(&rd->at, 0, sizeof(rd->at));
    rd->have = 0;
    if (!s) {
        return ACDL_EDB;
    }
    sqlite3_bind_int64(s, 1, source_id);
    sqlite3_bind_text(s, 2, file, -1, SQLITE_STATIC);
    int st = sqlite3_step(s);
    if (st == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(s, 0);
        const char *h = (const char *)sqlite3_column_text(s, 4);
        snprintf(rd->at.file_id, sizeof(rd->at.file_id), "%s", id ? id : "");
        rd->at.offset = sqlite3_column_int64(s, 1);
        rd->at.line = sqlite3_column_int64(s, 2);
        rd->at.head_len = sqlite3_column_int(s, 3);
        snprintf(rd->at.head_hash, sizeof(rd->at.head_hash), "%s", h ? h : "");
        rd->have = 1;
    }
    store_done(s);
    return st == SQLITE_ROW || st == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
}

int file_follow_record(struct store_conn *c, int64_t source_id, const char *file,
                       const struct file_follow_read *rd, const struct agent_follow_poll *p,
                       const char *error, int64_t now)
{
    /* ?12 = 1: the position is rd's (a successful poll); else the stored one stays */
    sqlite3_stmt *s = store_prepare(
        c, "INSERT INTO source_file_follow (source_id, file, file_id, head_len, head_hash, "
           "offset, line, size, polls, last_poll_at, last_rows, last_change_at, rows_read, "
           "rows_changed, last_rejected, rows_rejected, last_note, rotations, truncations, "
           "last_rotation_at, last_truncation_at, last_error, last_error_at, failing_since) "
           "VALUES (?1, ?2, CASE WHEN ?12 THEN ?3 END, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10, CASE WHEN "
           "?11 > 0 THEN ?9 END, ?10, ?11, ?13, ?13, ?14, ?15, ?16, CASE WHEN ?15 THEN ?9 END, "
           "CASE WHEN ?16 THEN ?9 END, ?17, CASE WHEN ?17 IS NOT NULL THEN ?9 END, CASE WHEN ?17 "
           "IS NOT NULL THEN ?9 END) ON CONFLICT (source_id) DO UPDATE SET file_id = CASE WHEN "
           "?12 THEN ?3 WHEN file != ?2 THEN NULL ELSE file_id END, head_len = CASE WHEN ?12 THEN "
           "?4 ELSE head_len END, head_hash = CASE WHEN ?12 THEN ?5 ELSE head_hash END, offset = "
           "CASE WHEN ?12 THEN ?6 ELSE offset END, line = CASE WHEN ?12 THEN ?7 ELSE line END, "
           "size = coalesce(?8, size), file = ?2, polls = polls + 1, last_poll_at = ?9, "
           "last_rows = ?10, last_change_at = CASE WHEN ?11 > 0 THEN ?9 ELSE last_change_at END, "
           "rows_read = rows_read + ?10, rows_changed = rows_changed + ?11, last_rejected = ?13, "
           "rows_rejected = rows_rejected + ?13, last_note = coalesce(?14, last_note), rotations "
           "= rotations + ?15, truncations = truncations + ?16, last_rotation_at = CASE WHEN ?15 "
           "THEN ?9 ELSE last_rotation_at END, last_truncation_at = CASE WHEN ?16 THEN ?9 ELSE "
           "last_truncation_at END, last_error = ?17, last_error_at = CASE WHEN ?17 IS NOT NULL "
           "THEN ?9 ELSE last_error_at END, failing_since = CASE WHEN ?17 IS NULL THEN NULL ELSE "
           "coalesce(failing_since, ?9) END");
    if (!s) {
        return ACDL_EDB;
    }
    int ok = error == NULL && rd->at.file_id[0];
    const char *note = p->note[0] ? p->note : rd->note[0] ? rd->note : NULL;
    sqlite3_bind_int64(s, 1, source_id);
    sqlite3_bind_text(s, 2, file, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, rd->at.file_id, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 4, rd->at.head_len);
    sqlite3_bind_text(s, 5, rd->at.head_hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, rd->at.offset);
    sqlite3_bind_int64(s, 7, rd->at.line);
    if (ok) {
        sqlite3_bind_int64(s, 8, rd->size);
    }
    sqlite3_bind_int64(s, 9, now);
    sqlite3_bind_int64(s, 10, p->rows_read);
    sqlite3_bind_int64(s, 11, p->rows_changed);
    sqlite3_bind_int(s, 12, ok);
    sqlite3_bind_int64(s, 13, p->rows_rejected);
    if (note) {
        sqlite3_bind_text(s, 14, note, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int(s, 15, ok && rd->rotated);
    sqlite3_bind_int(s, 16, ok && rd->truncated);
    if (error) {
        sqlite3_bind_text(s, 17, error, -1, SQLITE_STATIC);
    }
    int rc = sqlite3_step(s) == SQLITE_DONE ? ACDL_OK : ACDL_EDB;
    store_done(s);
    return rc;
}

/* An instant as ISO-8601 UTC, or null for NULL. */
static json_t *time_col(sqlite3_stmt *s, int i)
{
    char iso[32];
    if (sqlite3_column_type(s, i) == SQLITE_NULL) {
        return json_null();
    }
    plat_time_iso(sqlite3_column_int64(s, i), iso, sizeof(iso));
    return json_string(iso);
}

static json_t *text_col(sqlite3_stmt *s, int i)
{
    const char *t = (const char *)sqlite3_column_text(s, i);
    return t ? json_string(t) : json_null();
}

json_t *file_follow_status_json(struct store_conn *c, int64_t source_id)
{
    static const char *const names[] = {"file",
                                        "file_id",
                                        "offset",
                                        "line",
                                        "size",
                                        "polls",
                                        "last_poll_at",
                                        "last_rows",
                                        "last_change_at",
                                        "rows_read",
                                        "rows_changed",
                                        "last_rejected",
                                        "rows_rejected",
                                        "last_note",
                                        "rotations",
                                        "truncations",
                                        "last_rotation_at",
                                        "last_truncation_at",
                                        "error",
                                        "error_at",
                                        "failing_since",
                                        "next_reconcile_at",
                                        "last_reconcile_run"};
    /* 't': text, 'i': number, 'a': instant */
    static const char kinds[] = "ttiiiiaiaiiiitiiaataaai";
    json_t *o = NULL;
    sqlite3_stmt *s = store_prepare(
        c, "SELECT file, file_id, offset, line, size, polls, last_poll_at, last_rows, "
           "last_change_at, rows_read, rows_changed, last_rejected, rows_rejected, last_note, "
           "rotations, truncations, last_rotation_at, last_truncation_at, last_error, "
           "last_error_at, failing_since, next_reconcile_at, last_reconcile_run FROM "
           "source_file_follow WHERE source_id = ?");
    if (!s) {
        return json_null();
    }
    sqlite3_bind_int64(s, 1, source_id);
    if (sqlite3_step(s) == SQLITE_ROW && (o = json_object()) != NULL) {
        for (int i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++) {
            json_t *v = kinds[i] == 't'   ? text_col(s, i)
                        : kinds[i] == 'a' ? time_col(s, i)
                        : sqlite3_column_type(s, i) == SQLITE_NULL
                            ? json_null()
                            : json_integer(sqlite3_column_int64(s, i));
            json_object_set_new(o, names[i], v);
        }
    }
    store_done(s);
    return o ? o : json_null();
}
