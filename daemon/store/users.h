/* users.h: users and their console sessions. All functions borrow a held connection. */
#ifndef ACDL_STORE_USERS_H
#define ACDL_STORE_USERS_H
#include <stdint.h>

#include "store/store.h"

#define USER_NAME_MAX 64
#define USER_HASH_MAX 200

struct store_user {
    int64_t id;
    char name[USER_NAME_MAX + 1];
    char role[16];
    char password_hash[USER_HASH_MAX];
    int disabled;
    int64_t created_at, updated_at;
    int64_t last_login_at; /* 0: never */
};

/* Adds a user. ACDL_EEXIST when the name (case-insensitive) is taken. */
int store_user_add(struct store_conn *c, const char *name, const char *role, const char *hash,
                   int disabled, int64_t now, int64_t *id_out);
int store_user_get(struct store_conn *c, int64_t id, struct store_user *out);
int store_user_get_by_name(struct store_conn *c, const char *name, struct store_user *out);

/* Up to limit users with id > after_id, by id. *out is new (free()). */
int store_user_list(struct store_conn *c, int64_t after_id, int limit, struct store_user **out,
                    int *n);
int store_user_count(struct store_conn *c, int64_t *n);

/* Changes role (NULL: keep), hash (NULL: keep), disabled (-1: keep). Refuses with
 * ACDL_ECONFLICT when the change would remove the last enabled admin. A changed hash, a disabled
 * account or a lowered role end the user's sessions. ACDL_ENOTFOUND for an unknown id. */
int store_user_update(struct store_conn *c, int64_t id, const char *role, const char *hash,
                      int disabled, int64_t now);

/* Deletes a user (and its sessions); ACDL_ECONFLICT when that removes the last enabled admin. */
int store_user_delete(struct store_conn *c, int64_t id);
int store_user_set_login(struct store_conn *c, int64_t id, int64_t now);

struct store_session {
    int64_t id, user_id;
    char user_name[USER_NAME_MAX + 1];
    char role[16];
    char csrf[64];
    int64_t created_at, last_seen, expires_at;
};

/* Creates a session; ends the user's oldest ones beyond max_per_user. When its row cannot
 * be written within a few seconds (disk full, read-only, busy), the session is kept in memory
 * (ends at restart; see sessions.c) and 0 is returned all the same. Otherwise ACDL_ECONFLICT
 * (unknown user), ACDL_EEXIST. */
int store_session_add(struct store_conn *c, const unsigned char hash[32], int64_t user_id,
                      const char *csrf, const char *client, int64_t now, int64_t expires_at,
                      int max_per_user, int idle);

/* Live sessions kept in memory because the database could not be written. Thread-safe. */
int store_session_memory_count(int64_t now);

/* Finds a live session (not past expires_at, seen within idle seconds, user enabled).
 * ACDL_ENOTFOUND otherwise. Inside a read transaction whose snapshot is taken, a session found
 * before on c is found again without a read while c has seen no commit since
 * (store_memo_get); the clock's conditions are checked every time. */
int store_session_find(struct store_conn *c, const unsigned char hash[32], int64_t now, int idle,
                       struct store_session *out);
/* Sets last_seen (memory sessions: in memory). */
int store_session_touch(struct store_conn *c, int64_t id, int64_t now);
int store_session_delete(struct store_conn *c, int64_t id);
/* Deletes expired and idle sessions. */
int store_session_purge(struct store_conn *c, int64_t now, int idle);

/* 1 if role a is at least role b (admin > operator > viewer); unknown roles are below all. */
int store_role_rank(const char *role);

#endif
