/* bootstrap.h: the first admin of a new installation. */
#ifndef ACDL_BOOTSTRAP_H
#define ACDL_BOOTSTRAP_H

#include <stddef.h>

struct store;
struct secret_key;

#define BOOTSTRAP_ADMIN "admin"
#define BOOTSTRAP_PASSWORD_FILE "initial-admin-password"

/* With no user at all, creates "admin" with a random password written to
 * DATA/initial-admin-password (readable by the owner only). Returns 0 or an ACDL_E* code. */
int bootstrap_first_admin(const char *data_dir, struct store *st);

/* Called whenever user's password changes: the initial password file of "admin" is then stale
 * and is removed, so it cannot leak a password that is still valid later on. */
void bootstrap_password_changed(const char *data_dir, const char *user);

/* Before the database is opened (which would make a new, empty one): when DATA/acdlink.db is
 * missing or empty while DATA holds files of an earlier installation (secret.key, tls/,
 * initial-admin-password), its database was lost: refuses (ACDL_ENOTFOUND, err says how to
 * restore), unless start_fresh, which removes what is left of the old database. Returns 0,
 * ACDL_ENOTFOUND or ACDL_EIO with err. */
int bootstrap_check_database(const char *data_dir, int start_fresh, char *err, size_t errsz);

/* Loads (or at first start makes) the key file at key_path into *out (new: secret_key_free),
 * and checks it against the secrets sealed in the database: refuses to make a new key while
 * sealed secrets exist (ACDL_ENOTFOUND), and a key that does not open all of them
 * (ACDL_EAUTH), err saying what to do. forget: instead clears the secrets the key cannot open
 * (audited), making a new key when the file is missing. */
int bootstrap_secret_key(struct store *st, const char *key_path, int forget,
                         struct secret_key **out, char *err, size_t errsz);

#endif
