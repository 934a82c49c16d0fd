/* bootstrap.h: the first admin of a new installation. */
#ifndef ACDL_BOOTSTRAP_H
#define ACDL_BOOTSTRAP_H

struct store;

#define BOOTSTRAP_ADMIN "admin"
#define BOOTSTRAP_PASSWORD_FILE "initial-admin-password"

/* With no user at all, creates "admin" with a random password written to
 * DATA/initial-admin-password (readable by the owner only). Returns 0 or an ACDL_E* code. */
int bootstrap_first_admin(const char *data_dir, struct store *st);

/* Called whenever user's password changes: the initial password file of "admin" is then stale
 * and is removed, so it cannot leak a password that is still valid later on. */
void bootstrap_password_changed(const char *data_dir, const char *user);

#endif
