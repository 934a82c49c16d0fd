/* test_fspath.c: unit tests of the path rules (core/fspath.c) and the allowed-roots decision
 * (config/roots.c), for both flavours: the Windows rules run here on any system. */
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "config/config.h"
#include "config/roots.h"
#include "core/err.h"
#include "core/fspath.h"
#include "platform/platform.h"

static char tmp[512];

/* normalize(fl, in) == want (want NULL: refused) */
static void norm_is(enum fspath_flavour fl, const char *in, const char *want)
{
    char out[256];
    const char *why = NULL;
    int rc = fspath_normalize(fl, in, out, sizeof(out), &why);
    if (want) {
        if (CHECK_EQ_INT(rc, ACDL_OK)) {
            CHECK_EQ_STR(out, want);
        } else {
            fprintf(stdout, "  input: %s (%s)\n", in, why ? why : "");
        }
    } else {
        CHECK_EQ_INT(rc, ACDL_EINVAL);
        CHECK(why != NULL);
    }
}

static void test_normalize_posix(void)
{
    norm_is(FSPATH_POSIX, "/", "/");
    norm_is(FSPATH_POSIX, "/srv/acd", "/srv/acd");
    norm_is(FSPATH_POSIX, "//srv///acd/", "/srv/acd");
    norm_is(FSPATH_POSIX, "/srv/./acd/.", "/srv/acd");
    norm_is(FSPATH_POSIX, "/srv/ACD", "/srv/ACD");
    norm_is(FSPATH_POSIX, "/srv/a\\b", "/srv/a\\b"); /* a backslash is a name character here */
    norm_is(FSPATH_POSIX, "srv/acd", NULL);
    norm_is(FSPATH_POSIX, "", NULL);
    norm_is(FSPATH_POSIX, "/srv/../etc", NULL);
    norm_is(FSPATH_POSIX, "/srv/acd/..", NULL);
    norm_is(FSPATH_POSIX, "C:\\acd", NULL);
    norm_is(FSPATH_POSIX, "\\\\server\\share\\acd", NULL);
    norm_is(FSPATH_POSIX, "/srv/a\nb", NULL);
}

static void test_normalize_windows(void)
{
    /* drive letters, mixed separators, case of the drive */
    norm_is(FSPATH_WINDOWS, "C:\\", "C:\\");
    norm_is(FSPATH_WINDOWS, "c:/ProgramData/acdlink/import", "C:\\ProgramData\\acdlink\\import");
    norm_is(FSPATH_WINDOWS, "D:\\acd\\\\export\\", "D:\\acd\\export");
    norm_is(FSPATH_WINDOWS, "D:/acd\\.\\export/", "D:\\acd\\export");
    /* UNC shares */
    norm_is(FSPATH_WINDOWS, "\\\\server\\share\\dir", "\\\\server\\share\\dir");
    norm_is(FSPATH_WINDOWS, "//server/share/dir/", "\\\\server\\share\\dir");
    norm_is(FSPATH_WINDOWS, "\\\\server\\share", "\\\\server\\share");
    norm_is(FSPATH_WINDOWS, "\\\\server", NULL);
    norm_is(FSPATH_WINDOWS, "\\\\server\\", NULL);
    /* device paths, relative and drive-relative forms */
    norm_is(FSPATH_WINDOWS, "\\\\?\\C:\\acd", NULL);
    norm_is(FSPATH_WINDOWS, "\\\\.\\PhysicalDrive0", NULL);
    norm_is(FSPATH_WINDOWS, "C:acd", NULL);
    norm_is(FSPATH_WINDOWS, "\\acd", NULL);
    norm_is(FSPATH_WINDOWS, "acd\\export", NULL);
    norm_is(FSPATH_WINDOWS, "/srv/acd", NULL);
    /* "..", streams, names Windows would change */
    norm_is(FSPATH_WINDOWS, "C:\\acd\\..\\Windows", NULL);
    norm_is(FSPATH_WINDOWS, "\\\\server\\share\\..\\other", NULL);
    norm_is(FSPATH_WINDOWS, "C:\\acd\\file.csv:stream", NULL);
    norm_is(FSPATH_WINDOWS, "C:\\acd.\\x", NULL);
    norm_is(FSPATH_WINDOWS, "C:\\acd \\x", NULL);
    norm_is(FSPATH_WINDOWS, "C:\\acd\\*", NULL);
}

static void test_inside(void)
{
    CHECK(fspath_inside(FSPATH_POSIX, "/srv/acd", "/srv/acd"));
    CHECK(fspath_inside(FSPATH_POSIX, "/srv/acd/x", "/srv/acd"));
    CHECK(!fspath_inside(FSPATH_POSIX, "/srv/acdx", "/srv/acd"));
    CHECK(!fspath_inside(FSPATH_POSIX, "/srv", "/srv/acd"));
    CHECK(!fspath_inside(FSPATH_POSIX, "/srv/ACD/x", "/srv/acd"));
    CHECK(fspath_inside(FSPATH_POSIX, "/etc", "/"));
    /* Windows: case-blind, drive roots, shares */
    CHECK(fspath_inside(FSPATH_WINDOWS, "C:\\ACD\\Export", "c:\\acd"));
    CHECK(fspath_inside(FSPATH_WINDOWS, "C:\\acd", "C:\\"));
    CHECK(!fspath_inside(FSPATH_WINDOWS, "D:\\acd", "C:\\"));
    CHECK(!fspath_inside(FSPATH_WINDOWS, "C:\\acdx", "C:\\acd"));
    CHECK(fspath_inside(FSPATH_WINDOWS, "\\\\SERVER\\Share\\dir", "\\\\server\\share"));
    CHECK(!fspath_inside(FSPATH_WINDOWS, "\\\\server\\shares\\dir", "\\\\server\\share"));
    CHECK(!fspath_inside(FSPATH_WINDOWS, "\\\\other\\share\\dir", "\\\\server\\share"));
}

static void test_parent_and_final(void)
{
    char out[256];
    fspath_parent(FSPATH_POSIX, "/srv/acd/x.csv", out, sizeof(out));
    CHECK_EQ_STR(out, "/srv/acd");
    fspath_parent(FSPATH_POSIX, "/x.csv", out, sizeof(out));
    CHECK_EQ_STR(out, "/");
    fspath_parent(FSPATH_POSIX, "/", out, sizeof(out));
    CHECK_EQ_STR(out, "/");
    fspath_parent(FSPATH_WINDOWS, "C:\\acd\\x.csv", out, sizeof(out));
    CHECK_EQ_STR(out, "C:\\acd");
    fspath_parent(FSPATH_WINDOWS, "C:\\x.csv", out, sizeof(out));
    CHECK_EQ_STR(out, "C:\\");
    fspath_parent(FSPATH_WINDOWS, "\\\\srv\\share\\x.csv", out, sizeof(out));
    CHECK_EQ_STR(out, "\\\\srv\\share");
    fspath_parent(FSPATH_WINDOWS, "\\\\srv\\share", out, sizeof(out));
    CHECK_EQ_STR(out, "\\\\srv\\share");
    fspath_from_final("\\\\?\\C:\\ProgramData\\acdlink", out, sizeof(out));
    CHECK_EQ_STR(out, "C:\\ProgramData\\acdlink");
    fspath_from_final("\\\\?\\UNC\\srv\\share\\acd", out, sizeof(out));
    CHECK_EQ_STR(out, "\\\\srv\\share\\acd");
    fspath_from_final("C:\\x", out, sizeof(out));
    CHECK_EQ_STR(out, "C:\\x");
}

static void test_pattern(void)
{
    CHECK(fspath_pattern_ok("*.csv"));
    CHECK(fspath_pattern_ok("hsplit_[0-9]*.csv"));
    CHECK(!fspath_pattern_ok("../*.csv"));
    CHECK(!fspath_pattern_ok(".."));
    CHECK(!fspath_pattern_ok("."));
    CHECK(!fspath_pattern_ok(""));
    CHECK(!fspath_pattern_ok("/etc/passwd"));
    CHECK(!fspath_pattern_ok("..\\secret.key"));
    CHECK(!fspath_pattern_ok("C:secret.key"));
    CHECK(!fspath_pattern_ok("a.csv:stream"));
}

/* decide(fl, folder) with the given roots and data folder */
static int decide(enum fspath_flavour fl, const char *folder, const char *r1, const char *r2,
                  const char *data, const char *own)
{
    const char *roots[2] = {r1, r2};
    const char *owns[1] = {own};
    const char *why = NULL;
    int rc = roots_decide(fl, folder, roots, r2 ? 2 : 1, data, owns, own ? 1 : 0, &why);
    CHECK(rc == ACDL_OK ? why == NULL : why != NULL);
    return rc;
}

static void test_decide(void)
{
    const enum fspath_flavour P = FSPATH_POSIX, W = FSPATH_WINDOWS;
    /* inside a root, not in the data folder */
    CHECK_EQ_INT(decide(P, "/srv/acd/in", "/srv/acd", NULL, "/var/lib/acdlink", NULL), 0);
    CHECK_EQ_INT(decide(P, "/srv/acd", "/srv/acd", NULL, "/var/lib/acdlink", NULL), 0);
    CHECK_EQ_INT(decide(P, "/srv/other", "/srv/acd", "/srv/other", "/var/lib/acdlink", NULL), 0);
    CHECK_EQ_INT(decide(P, "/srv/acdx", "/srv/acd", NULL, "/var/lib/acdlink", NULL), ACDL_EPERM);
    CHECK_EQ_INT(decide(P, "/etc", "/srv/acd", NULL, "/var/lib/acdlink", NULL), ACDL_EPERM);
    /* a root above the data folder does not open it */
    CHECK_EQ_INT(decide(P, "/var/lib/acdlink", "/", NULL, "/var/lib/acdlink", NULL), ACDL_EPERM);
    CHECK_EQ_INT(decide(P, "/var/lib/acdlink/tls", "/var", NULL, "/var/lib/acdlink", NULL),
                 ACDL_EPERM);
    CHECK_EQ_INT(decide(P, "/var/lib/other", "/var", NULL, "/var/lib/acdlink", NULL), 0);
    /* a root inside it (the default DATA/import) opens itself only */
    CHECK_EQ_INT(decide(P, "/var/lib/acdlink/import/acd", "/var/lib/acdlink/import", NULL,
                        "/var/lib/acdlink", NULL),
                 0);
    CHECK_EQ_INT(
        decide(P, "/var/lib/acdlink", "/var/lib/acdlink/import", NULL, "/var/lib/acdlink", NULL),
        ACDL_EPERM);
    CHECK_EQ_INT(decide(P, "/var/lib/acdlink", "/var/lib/acdlink", NULL, "/var/lib/acdlink", NULL),
                 ACDL_EPERM);
    CHECK_EQ_INT(
        decide(P, "/var/lib/acdlink/tls", "/var/lib/acdlink/tls", NULL, "/var/lib/acdlink", NULL),
        ACDL_EPERM);
    /* the folder of a key file kept elsewhere */
    CHECK_EQ_INT(decide(P, "/etc/acdlink", "/etc", NULL, "/var/lib/acdlink", "/etc/acdlink"),
                 ACDL_EPERM);
    CHECK_EQ_INT(decide(P, "/etc/acdlink/sub", "/etc", NULL, "/var/lib/acdlink", "/etc/acdlink"),
                 0);
    /* Windows: case-blind, UNC roots and folders, the data folder under ProgramData */
    const char *pd = "C:\\ProgramData\\acdlink";
    CHECK_EQ_INT(decide(W, "c:\\programdata\\ACDLINK\\Import\\acd",
                        "C:\\ProgramData\\acdlink\\import", NULL, pd, NULL),
                 0);
    CHECK_EQ_INT(decide(W, "C:\\PROGRAMDATA\\acdlink", "C:\\", NULL, pd, NULL), ACDL_EPERM);
    CHECK_EQ_INT(
        decide(W, "C:\\ProgramData\\acdlink\\TLS", "C:\\ProgramData\\acdlink\\tls", NULL, pd, NULL),
        ACDL_EPERM);
    CHECK_EQ_INT(decide(W, "\\\\acd01\\Exports\\cms", "\\\\acd01\\exports", NULL, pd, NULL), 0);
    CHECK_EQ_INT(decide(W, "\\\\acd02\\exports\\cms", "\\\\acd01\\exports", NULL, pd, NULL),
                 ACDL_EPERM);
    CHECK_EQ_INT(decide(W, "D:\\acd", "C:\\", NULL, pd, NULL), ACDL_EPERM);
}

static void test_parse_list(void)
{
    char out[ROOTS_MAX][ROOTS_PATH_MAX], why[300];
    int n = 0;
    CHECK_EQ_INT(roots_parse_list(FSPATH_POSIX, " /srv/acd ; /srv/other/;", out, ROOTS_MAX, &n, why,
                                  sizeof(why)),
                 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(out[0], "/srv/acd");
    CHECK_EQ_STR(out[1], "/srv/other");
    CHECK_EQ_INT(roots_parse_list(FSPATH_WINDOWS, "c:/acd;\\\\srv\\share\\in", out, ROOTS_MAX, &n,
                                  why, sizeof(why)),
                 0);
    CHECK_EQ_INT(n, 2);
    CHECK_EQ_STR(out[0], "C:\\acd");
    CHECK_EQ_STR(out[1], "\\\\srv\\share\\in");
    CHECK_EQ_INT(
        roots_parse_list(FSPATH_POSIX, "/srv/acd;relative", out, ROOTS_MAX, &n, why, sizeof(why)),
        ACDL_EINVAL);
    CHECK(strstr(why, "'relative'") != NULL);
}

/* roots_init + roots_check_folder on this machine: links resolved, the data folder refused */
static void test_check_folder(void)
{
    struct acdl_config cfg;
    char err[600], why[1600], real[1024], data[700], root[700], link[700], inroot[700];
    config_defaults(&cfg);
    snprintf(data, sizeof(data), "%s/data", tmp);
    snprintf(root, sizeof(root), "%s/import", tmp);
    snprintf(inroot, sizeof(inroot), "%s/import/acd", tmp);
    snprintf(link, sizeof(link), "%s/import/to-data", tmp);
    CHECK_EQ_INT(plat_mkdir_p(data, 1), 0);
    CHECK_EQ_INT(plat_mkdir_p(inroot, 0), 0);
    CHECK_EQ_INT(symlink(data, link), 0);
    snprintf(cfg.data_dir, sizeof(cfg.data_dir), "%s", data);
    snprintf(cfg.import_roots, sizeof(cfg.import_roots), "%s", tmp);
    CHECK_EQ_INT(roots_init(&cfg, err, sizeof(err)), 0);
    CHECK_EQ_INT(roots_check_folder(ROOTS_IMPORT, inroot, real, sizeof(real), why, sizeof(why)), 0);
    CHECK_EQ_INT(roots_check_folder(ROOTS_IMPORT, data, real, sizeof(real), why, sizeof(why)),
                 ACDL_EPERM);
    CHECK(strstr(why, "data folder") != NULL);
    /* through a link inside the root into the data folder */
    CHECK_EQ_INT(roots_check_folder(ROOTS_IMPORT, link, real, sizeof(real), why, sizeof(why)),
                 ACDL_EPERM);
    /* a folder that does not exist yet, below one that does */
    snprintf(inroot, sizeof(inroot), "%s/import/new/deeper", tmp);
    CHECK_EQ_INT(roots_check_folder(ROOTS_IMPORT, inroot, real, sizeof(real), why, sizeof(why)), 0);
    snprintf(inroot, sizeof(inroot), "%s/import/to-data/new", tmp);
    CHECK_EQ_INT(roots_check_folder(ROOTS_IMPORT, inroot, real, sizeof(real), why, sizeof(why)),
                 ACDL_EPERM);
    /* the export roots default to DATA/export, which is allowed */
    snprintf(inroot, sizeof(inroot), "%s/export/wfm", data);
    CHECK_EQ_INT(roots_check_folder(ROOTS_EXPORT, inroot, real, sizeof(real), why, sizeof(why)), 0);
    CHECK_EQ_INT(roots_check_folder(ROOTS_EXPORT, root, real, sizeof(real), why, sizeof(why)),
                 ACDL_EPERM);
    CHECK(strstr(why, "export_roots") != NULL);
    /* roots that are the data folder or hold its files are refused at start */
    snprintf(cfg.import_roots, sizeof(cfg.import_roots), "%s/tls", data);
    CHECK_EQ_INT(roots_init(&cfg, err, sizeof(err)), ACDL_EINVAL);
    CHECK(strstr(err, "import_roots") != NULL);
    snprintf(cfg.import_roots, sizeof(cfg.import_roots), "%s", data);
    CHECK_EQ_INT(roots_init(&cfg, err, sizeof(err)), ACDL_EINVAL);
    snprintf(cfg.import_roots, sizeof(cfg.import_roots), "relative/folder");
    CHECK_EQ_INT(roots_init(&cfg, err, sizeof(err)), ACDL_EINVAL);
    unlink(link);
}

int main(void)
{
    if (check_tmpdir("fspath", tmp, sizeof(tmp)) != 0) {
        fprintf(stdout, "cannot make a temp folder\n");
        return 2;
    }
    RUN(test_normalize_posix);
    RUN(test_normalize_windows);
    RUN(test_inside);
    RUN(test_parent_and_final);
    RUN(test_pattern);
    RUN(test_decide);
    RUN(test_parse_list);
    RUN(test_check_folder);
    check_tmpdir_done(tmp);
    return check_summary();
}
