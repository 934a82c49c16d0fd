/* main.c: the acdlink command line: serve, user, token, run, config, version.
 *
 * Start-up order of `serve`: settings (file, environment, flags) -> logging -> data folder ->
 * database (migrations) -> first admin if there is no user -> TLS certificate -> HTTP server.
 * Bad settings stop the start with exit code 2 and a message that names the setting.
 * SIGTERM/SIGINT set a flag; the main thread then stops the HTTP server (which waits for
 * running requests) and closes the database, well within 5 seconds. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cli.h"
#include "bootstrap.h"
#include "cmd_config.h"
#include "cmd_help.h"
#include "cmd_token.h"
#include "cmd_backup.h"
#include "cmd_run.h"
#include "store/runs.h"
#include "config/roots.h"
#include "cmd_xlink.h"
#include "config/config.h"
#include "http/setup.h"
#include "core/embedded.h"
#include "core/err.h"
#include "core/log.h"
#include "core/tz.h"
#include "crypto/crypto.h"
#include "crypto/secret.h"
#include "ops/backup.h"
#include "http/routes/routes.h"
#include "http/server.h"
#include "http/answers.h"
#include "http/throttle.h"
#include "sched/runner.h"
#include "sched/jobs.h"
#include "sched/poller.h"
#include "sched/scheduler.h"
#include "upload/uploader.h"
#include "alerts/alerts.h"
#include "platform/platform.h"
#include "store/store.h"
#include "store/audit.h"
#include "store/users.h"

#define EXIT_USAGE 2

#define MEMORY_TRIM_EVERY_MS 60000

static volatile sig_atomic_t stop_requested;

static void on_stop(void)
{
    stop_requested = 1;
}

static void usage(FILE *out)
{
    fprintf(out,
            "acdlink %s: moves contact-centre data from ACD systems into a WFM system.\n\n"
            "Usage:\n"
            "  acdlink serve [--console] [--config FILE] [--data-dir DIR] [--listen ADDR:PORT]\n"
            "                [SETTINGS]\n"
            "      run the daemon in the foreground: console and REST API on HTTPS (self-signed\n"
            "      certificate in DIR/tls unless --tls-cert/--tls-key), or HTTP with --plain-http\n"
            "      (refuses to start when DIR's database was lost: --start-fresh begins a new\n"
            "      installation; or when its key file does not open the stored secrets:\n"
            "      --forget-secrets clears them, to be entered again)\n"
            "  acdlink serve --service [SETTINGS]\n"
            "      the same under the Windows service manager (data in %%ProgramData%%\\acdlink)\n"
            "  acdlink service install [SETTINGS] | acdlink service remove\n"
            "      register and start / stop and remove the Windows service (administrator)\n"
            "  acdlink user add NAME --role admin|operator|viewer --password-stdin [SETTINGS]\n"
            "  acdlink user passwd NAME --password-stdin [SETTINGS]\n"
            "      create a user / set a password (first admin, recovery); the password is the\n"
            "      first line of standard input\n"
            "  acdlink token create NAME --role ROLE [--owner USER] [--expires DAYS] [SETTINGS]\n"
            "      make an API token for automation; its secret is printed once\n"
            "  acdlink run --source NAME --from YYYY-MM-DD --to YYYY-MM-DD [--zero-fill]\n"
            "              [--reread] [SETTINGS]\n"
            "      import a source for a period of its local days in this process\n"
            "  acdlink backup FILE [SETTINGS]\n"
            "      write a consistent backup (database, key file, certificate) to FILE, also\n"
            "      while the daemon runs; - writes to standard output\n"
            "  acdlink restore FILE --data-dir DIR [--force] [SETTINGS]\n"
            "      restore a backup into an empty data folder (--force: replace what is there);\n"
            "      the daemon must not run on DIR; older backups are migrated\n"
            "  acdlink import-xlink DIR [--dry-run] [--time-zone ZONE] [--json] [SETTINGS]\n"
            "      convert an Xlink installation's isps_ul.ini, isps.cfg, acd_map.ini and $N.BAS\n"
            "      files in DIR into sources, WFM queues and mappings, with a report of every key\n"
            "  acdlink config export [--output FILE] [SETTINGS]\n"
            "  acdlink config apply FILE|- [--dry-run] [--prune [--cascade]] [SETTINGS]\n"
            "      the whole setup (value types, queues, activities, sources, targets, agents,\n"
            "      activity codes, mappings, schedules) as JSON,\n"
            "      the same shapes as the API with names instead of ids; apply creates and\n"
            "      updates what differs (--prune also deletes what the file does not name;\n"
            "      --cascade with it what depends on a pruned source or queue)\n"
            "  acdlink config keys      list every setting with its flag and variable\n"
            "  acdlink version\n"
            "  acdlink SUBCOMMAND --help   that subcommand's usage\n\n"
            "SETTINGS are --key value flags, ACDLINK_KEY variables or key = value lines in the\n"
            "config file; see 'acdlink config keys'.\n",
            ACDLINK_VERSION);
}

/* service: started by the Windows service manager, whose working folder is the system's:
 * the data folder defaults to %ProgramData%\acdlink, read DATA\acdlink.conf when it exists,
 * and log to DATA\acdlink.log (a service has no console). */
static int load_settings(struct acdl_config *cfg, int argc, char **argv, int service)
{
    char err[1400] = "";
    config_defaults(cfg);
    if (service && plat_service_data_dir(cfg->data_dir, sizeof(cfg->data_dir)) == ACDL_OK) {
        char conf[sizeof(cfg->config_file)];
        snprintf(conf, sizeof(conf), "%s%cacdlink.conf", cfg->data_dir, PLAT_PATH_SEP);
        if (plat_path_exists(conf)) {
            snprintf(cfg->config_file, sizeof(cfg->config_file), "%s", conf);
        }
    }
    if (config_load(cfg, argc, argv, plat_environ(), err, sizeof(err)) != ACDL_OK ||
        roots_init(cfg, err, sizeof(err)) != ACDL_OK) {
        fprintf(stderr, "acdlink: %s\n", err);
        return EXIT_USAGE;
    }
    if (service && !cfg->log_file[0]) {
        snprintf(cfg->log_file, sizeof(cfg->log_file), "%s%cacdlink.log", cfg->data_dir,
                 PLAT_PATH_SEP);
    }
    if (service && plat_mkdir_p(cfg->data_dir, 1) != ACDL_OK) {
        fprintf(stderr, "acdlink: cannot create the data folder %s\n", cfg->data_dir);
        return 1;
    }
    log_set_level(cfg->log_level);
    if (cfg->log_file[0] && log_set_file(cfg->log_file, (long long)cfg->log_file_max_kb * 1024,
                                         cfg->log_file_keep) != ACDL_OK) {
        fprintf(stderr, "acdlink: log_file: cannot open '%s' for writing\n", cfg->log_file);
        return EXIT_USAGE;
    }
    return 0;
}

static int open_store(const struct acdl_config *cfg, int pool, int start_fresh, struct store **st)
{
    char path[1100], err[1400] = "";
    if (plat_mkdir_p(cfg->data_dir, 1) != ACDL_OK) {
        log_error("store", "cannot create the data folder %s", cfg->data_dir);
        return 1;
    }
    if (bootstrap_check_database(cfg->data_dir, start_fresh, err, sizeof(err)) != ACDL_OK) {
        log_error("store", "%s", err);
        return 1;
    }
    snprintf(path, sizeof(path), "%s/acdlink.db", cfg->data_dir);
    int rc = store_open(path, pool, st, err, sizeof(err));
    if (rc != ACDL_OK) {
        log_error("store", "%s", err);
        return 1;
    }
    return 0;
}

/* What serve was asked to do beyond its settings. */
struct serve_flags {
    int service;
    int start_fresh;    /* --start-fresh: a lost database is replaced by a new installation */
    int forget_secrets; /* --forget-secrets: secrets the key file cannot open are cleared */
};

static int serve_daemon(int argc, char **argv, const struct serve_flags *fl)
{
    struct acdl_config cfg;
    struct app app;
    struct store *st = NULL;
    struct http_server *srv = NULL;
    struct scheduler *sched = NULL;
    struct poller *poller = NULL;
    struct plat_lock *lock = NULL;
    char err[1400] = "", lock_path[1100];
    int rc = load_settings(&cfg, argc, argv, fl->service);
    if (rc != 0) {
        return rc;
    }
    memset(&app, 0, sizeof(app));
    app.cfg = &cfg;
    app.started_at = plat_now();
    app.web = web_files;
    app.web_count = web_count;
    log_info("main", "acdlink %s starting; data in %s", ACDLINK_VERSION, cfg.data_dir);
    {
        char tzline[400];
        tz_data_describe(tzline, sizeof(tzline));
        if (tz_data_outdated()) {
            log_warn("main", "time zones: %s; install the tzdata package for current data", tzline);
        } else {
            log_info("main", "time zones: %s", tzline);
        }
    }
    /* held while serving: a restore refuses to replace the data under a running daemon */
    snprintf(lock_path, sizeof(lock_path), "%s/%s", cfg.data_dir, BACKUP_LOCK_NAME);
    if (plat_mkdir_p(cfg.data_dir, 1) != ACDL_OK ||
        (rc = plat_lock_acquire(lock_path, &lock)) != ACDL_OK) {
        log_error("main", "%s: %s", cfg.data_dir,
                  rc == ACDL_EAGAIN ? "another acdlink daemon (or a restore) is using this data "
                                      "folder"
                                    : "cannot create or lock the data folder");
        return 1;
    }
    unsigned mode = 0;
    if (!plat_dir_is_private(cfg.data_dir, &mode)) {
        log_warn("main",
                 "the data folder %s can be entered by other users (mode %04o): it holds the "
                 "database and the secrets key; make it private with chmod 700",
                 cfg.data_dir, mode);
    }
    /* a restore killed part-way is finished before anything reads the folder */
    rc = backup_restore_recover(cfg.data_dir, err, sizeof(err));
    if (rc < 0) {
        log_error("main", "%s", err);
        plat_lock_release(lock);
        return 1;
    }
    if (rc == 1) {
        log_warn("main", "%s: finished a restore that had been stopped part-way", cfg.data_dir);
    }
#ifdef ACDLINK_TEST_CLOCK
    if (getenv("ACDL_TEST_CLOCK_FILE")) {
        log_warn("main", "TEST CLOCK: the wall clock is moved by the offset in %s (a test "
                         "build; never use it for real data)",
                 getenv("ACDL_TEST_CLOCK_FILE"));
    }
#endif
    cli_odbc_guard(&cfg);
    if (open_store(&cfg, cfg.http_threads + 3, fl->start_fresh, &st) != 0) {
        plat_lock_release(lock);
        return 1;
    }
    roots_create();
    app.store = st;
    rc = 1;
    if (bootstrap_first_admin(cfg.data_dir, st) != ACDL_OK) {
        goto out;
    }
    char keypath[1100];
    if (cfg.secret_key_file[0]) {
        snprintf(keypath, sizeof(keypath), "%s", cfg.secret_key_file);
    } else {
        snprintf(keypath, sizeof(keypath), "%s/secret.key", cfg.data_dir);
    }
    if (bootstrap_secret_key(st, keypath, fl->forget_secrets, &app.secrets, err, sizeof(err)) !=
        ACDL_OK) {
        log_error("crypto", "%s", err);
        goto out;
    }
    app.login_throttle =
        throttle_new(cfg.login_max_failures, cfg.login_lockout_base, cfg.login_lockout_max);
    app.answers = answers_new(ANSWERS_BUDGET);
    if (!app.login_throttle || !app.answers || plat_signals_install(on_stop) != ACDL_OK) {
        goto out;
    }
    if (runner_start(&app, 2, &app.runner) != ACDL_OK) {
        log_error("sched", "cannot start the import workers");
        goto out;
    }
    if (uploader_start(&app, &app.uploader) != ACDL_OK) {
        log_error("upload", "cannot start the uploader");
        goto out;
    }
    if (alerter_start(&app, &app.alerter) != ACDL_OK) {
        log_error("alerts", "cannot start the alerter");
        goto out;
    }
    if (scheduler_start(&app, &sched) != ACDL_OK) {
        log_error("sched", "cannot start the scheduler");
        goto out;
    }
    if (poller_start(&app, &poller) != ACDL_OK) {
        log_error("sched", "cannot start the poller");
        goto out;
    }
    if (http_server_start(&app, &srv, err, sizeof(err)) != ACDL_OK) {
        log_error("http", "%s", err);
        goto out;
    }
    log_info("http", "listening on %s://%s:%d/ (%d threads)", app.tls ? "https" : "http",
             cfg.listen_host, cfg.listen_port, cfg.http_threads);
    plat_notify("READY=1\nSTATUS=serving the console and API");
    if (cfg.public_url[0]) {
        log_info("http", "browsers reach the console at %s: Origin checks expect %s%s",
                 cfg.public_url, cfg.public_origin,
                 app.secure_cookies ? "; session cookies are Secure" : "");
    }
    if (!app.tls && !cfg.public_https) {
        log_warn("http", "plain HTTP: passwords and sessions cross the network unencrypted; "
                         "use this only behind a TLS-terminating proxy (set public_url)");
    }
    int64_t last_purge = plat_monotonic_ms(), last_trim = last_purge;
    while (!stop_requested) {
        plat_sleep_ms(100);
        /* the page caches of the connections idle for a minute, and the free pages inside the
         * allocator's arenas (what a burst's polls and batches used), go back to the system
         * once a minute: a few milliseconds each time */
        if (plat_monotonic_ms() - last_trim >= MEMORY_TRIM_EVERY_MS) {
            store_release_idle(st, MEMORY_TRIM_EVERY_MS);
            plat_memory_trim();
            last_trim = plat_monotonic_ms();
        }
        if (plat_monotonic_ms() - last_purge > 600000) {
            struct store_conn *c = store_acquire(st);
            store_session_purge(c, plat_now(), cfg.session_idle_timeout);
            store_release(st, c);
            last_purge = plat_monotonic_ms();
        }
    }
    log_info("main", "stopping");
    plat_notify("STOPPING=1");
    rc = 0;
out:
    http_server_stop(srv);
    jobs_shutdown();
    poller_stop(poller);
    scheduler_stop(sched);
    runner_stop(app.runner);
    uploader_stop(app.uploader);
    alerter_stop(app.alerter);
    throttle_free(app.login_throttle);
    answers_free(app.answers);
    secret_key_free(app.secrets);
    store_close(st);
    plat_lock_release(lock);
    log_info("main", "stopped");
    log_shutdown();
    return rc;
}

struct serve_args {
    int argc;
    char **argv;
    struct serve_flags fl;
};

static int serve_as_service(void *ctx)
{
    struct serve_args *a = ctx;
    a->fl.service = 1;
    return serve_daemon(a->argc, a->argv, &a->fl);
}

/* serve [--console | --service] [SETTINGS]: in the foreground (the default, and what
 * --console says explicitly), or under the Windows service manager. */
static int cmd_serve(int argc, char **argv)
{
    struct serve_args a = {0, calloc((size_t)argc + 1, sizeof(char *)), {0, 0, 0}};
    int service = 0, rc = 1;
    if (!a.argv) {
        return 1;
    }
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--service")) {
            service = 1;
        } else if (!strcmp(argv[i], "--start-fresh")) {
            a.fl.start_fresh = 1;
        } else if (!strcmp(argv[i], "--forget-secrets")) {
            a.fl.forget_secrets = 1;
        } else if (strcmp(argv[i], "--console") != 0) {
            a.argv[a.argc++] = argv[i];
        }
    }
    if (!service) {
        rc = serve_daemon(a.argc, a.argv, &a.fl);
    } else {
        int src = plat_service_run("acdlink", serve_as_service, &a, on_stop, &rc);
        if (src == ACDL_ENOTFOUND) {
            fprintf(stderr, "acdlink: --service is for the Windows service manager, which did "
                            "not start this process; use 'acdlink serve --console'\n");
            rc = EXIT_USAGE;
        } else if (src == ACDL_EINVAL) {
            fprintf(stderr, "acdlink: --service: there is no Windows service manager here; "
                            "systemd runs 'acdlink serve' in the foreground\n");
            rc = EXIT_USAGE;
        } else if (src != ACDL_OK) {
            fprintf(stderr, "acdlink: connecting to the service manager failed\n");
            rc = 1;
        }
    }
    free(a.argv);
    return rc;
}

/* service install [SETTINGS] | service remove: registers (and starts) or removes the Windows
 * service; SETTINGS are added to the service's `serve --service` command line. */
static int cmd_service(int argc, char **argv)
{
    char err[1024] = "", args[3000];
    size_t n = 0;
    int rc;
    const char *verb = argc > 0 ? argv[0] : "";
    if (!strcmp(verb, "remove") && argc == 1) {
        rc = plat_service_remove("acdlink", err, sizeof(err));
        if (rc == ACDL_OK) {
            printf("removed the service acdlink (its data folder stays)\n");
        }
    } else if (!strcmp(verb, "install")) {
        struct acdl_config cfg;
        if ((rc = load_settings(&cfg, argc - 1, argv + 1, 0)) != 0) {
            return rc; /* the settings must be valid before they become a service */
        }
        n = (size_t)snprintf(args, sizeof(args), "serve --service");
        for (int i = 1; i < argc && n < sizeof(args); i++) {
            int quote = strchr(argv[i], ' ') != NULL;
            if (strchr(argv[i], '"')) {
                fprintf(stderr, "acdlink: service install: '%s' contains a double quote\n",
                        argv[i]);
                return EXIT_USAGE;
            }
            n += (size_t)snprintf(args + n, sizeof(args) - n, quote ? " \"%s\"" : " %s", argv[i]);
        }
        if (n >= sizeof(args)) {
            fprintf(stderr, "acdlink: service install: the settings are too long\n");
            return EXIT_USAGE;
        }
        rc = plat_service_install("acdlink", "acdlink",
                                  "Moves contact-centre data from ACD systems into a WFM system",
                                  args, err, sizeof(err));
        if (rc == ACDL_OK) {
            printf("installed and started the service acdlink: %s\n", args);
        }
    } else {
        fprintf(stderr, "acdlink: usage: acdlink service install [SETTINGS] | service remove\n");
        return EXIT_USAGE;
    }
    if (rc != ACDL_OK) {
        fprintf(stderr, "acdlink: service %s: %s\n", verb, err);
        return rc == ACDL_EINVAL ? EXIT_USAGE : 1;
    }
    return 0;
}

static int read_password(char *out, size_t outsz)
{
    if (!fgets(out, (int)outsz, stdin)) {
        fprintf(stderr, "acdlink: no password on standard input\n");
        return EXIT_USAGE;
    }
    size_t n = strlen(out);
    if (n == outsz - 1 && out[n - 1] != '\n') {
        fprintf(stderr, "acdlink: the password is longer than 1024 bytes\n");
        return EXIT_USAGE;
    }
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r')) {
        out[--n] = '\0';
    }
    const char *why = route_check_password(out);
    if (why) {
        fprintf(stderr, "acdlink: the password %s\n", why);
        return EXIT_USAGE;
    }
    return 0;
}

static int cmd_user(int argc, char **argv)
{
    const char *verb = argc > 0 ? argv[0] : "";
    const char *name = argc > 1 ? argv[1] : NULL;
    const char *role = NULL, *why;
    int from_stdin = 0, rest = 0, rc;
    char **settings = calloc((size_t)argc + 1, sizeof(char *));
    char pw[1030], phc[CRYPTO_PHC_MAX];
    struct acdl_config cfg;
    struct store *st = NULL;

    if (!settings) {
        return 1;
    }
    rc = EXIT_USAGE;
    if ((strcmp(verb, "add") != 0 && strcmp(verb, "passwd") != 0) || !name ||
        strncmp(name, "--", 2) == 0) {
        fprintf(stderr, "acdlink: usage: acdlink user add NAME --role ROLE --password-stdin\n"
                        "                acdlink user passwd NAME --password-stdin\n");
        goto out;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--role") == 0 && i + 1 < argc) {
            role = argv[++i];
        } else if (strcmp(argv[i], "--password-stdin") == 0) {
            from_stdin = 1;
        } else {
            settings[rest++] = argv[i];
        }
    }
    if ((why = route_check_name(name)) != NULL) {
        fprintf(stderr, "acdlink: user name '%s' %s\n", name, why);
        goto out;
    }
    if (!strcmp(verb, "add") && (!role || (why = route_check_role(role)) != NULL)) {
        fprintf(stderr, "acdlink: --role is required and must be admin, operator or viewer\n");
        goto out;
    }
    if (!from_stdin) {
        fprintf(stderr, "acdlink: pass --password-stdin and the password on standard input "
                        "(passwords are never taken from the command line)\n");
        goto out;
    }
    if ((rc = load_settings(&cfg, rest, settings, 0)) != 0 ||
        (rc = read_password(pw, sizeof(pw)))) {
        goto out;
    }
    rc = 1;
    if (open_store(&cfg, 1, 0, &st) != 0) {
        goto out;
    }
    if (crypto_password_hash(pw, phc, sizeof(phc)) != ACDL_OK) {
        fprintf(stderr, "acdlink: hashing the password failed\n");
        goto out;
    }
    struct store_conn *c = store_acquire(st);
    struct store_user u;
    int src;
    if (!strcmp(verb, "add")) {
        src = store_user_add(c, name, role, phc, 0, plat_now(), NULL);
    } else {
        src = store_user_get_by_name(c, name, &u);
        if (src == ACDL_OK) {
            /* recovery: also re-enables the account */
            src = store_user_update(c, u.id, NULL, phc, 0, plat_now());
        }
        if (src == ACDL_OK) {
            bootstrap_password_changed(cfg.data_dir, name);
        }
    }
    if (src == ACDL_OK) {
        store_audit_add(c, plat_now(), "acdlink user", "system", "local",
                        !strcmp(verb, "add") ? "user.create" : "user.update", name, "ok",
                        !strcmp(verb, "add") ? NULL : "{\"password\":\"changed\"}");
    }
    store_release(st, c);
    if (src == ACDL_EEXIST) {
        fprintf(stderr, "acdlink: a user named '%s' exists already; use 'acdlink user passwd'\n",
                name);
    } else if (src == ACDL_ENOTFOUND) {
        fprintf(stderr, "acdlink: no user named '%s'\n", name);
    } else if (src != ACDL_OK) {
        fprintf(stderr, "acdlink: %s\n", acdl_strerror(src));
    } else {
        printf("%s user '%s'\n", !strcmp(verb, "add") ? "created" : "changed the password of",
               name);
        rc = 0;
    }
out:
    memset(pw, 0, sizeof(pw));
    store_close(st);
    free(settings);
    return rc;
}

static int cmd_run_args(int argc, char **argv)
{
    const char *source = NULL, *from = NULL, *to = NULL;
    char **settings = calloc((size_t)argc + 1, sizeof(char *));
    int rest = 0, rc, zero_fill = 0;
    struct acdl_config cfg;
    if (!settings) {
        return 1;
    }
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--source") && i + 1 < argc) {
            source = argv[++i];
        } else if (!strcmp(argv[i], "--from") && i + 1 < argc) {
            from = argv[++i];
        } else if (!strcmp(argv[i], "--to") && i + 1 < argc) {
            to = argv[++i];
        } else if (!strcmp(argv[i], "--zero-fill")) {
            zero_fill |= STORE_RUN_ZERO_FILL;
        } else if (!strcmp(argv[i], "--reread")) {
            zero_fill |= STORE_RUN_REREAD;
        } else {
            settings[rest++] = argv[i];
        }
    }
    if (!source || !from || !to) {
        fprintf(stderr, "acdlink: usage: acdlink run --source NAME --from YYYY-MM-DD --to "
                        "YYYY-MM-DD [--zero-fill] [--reread] [--data-dir DIR]\n");
        free(settings);
        return EXIT_USAGE;
    }
    rc = load_settings(&cfg, rest, settings, 0);
    if (rc == 0) {
        rc = cmd_run(&cfg, source, from, to, zero_fill);
    }
    free(settings);
    return rc;
}

/* token create NAME --role ROLE [--owner USER] [--expires DAYS] [SETTINGS] */
static int cmd_token_args(int argc, char **argv)
{
    struct cmd_token_args a = {argc > 1 ? argv[1] : NULL, NULL, NULL, 0};
    char **settings = calloc((size_t)argc + 1, sizeof(char *));
    const char *why;
    int rest = 0, rc = EXIT_USAGE;
    struct acdl_config cfg;
    if (!settings) {
        return 1;
    }
    if (argc < 2 || strcmp(argv[0], "create") != 0 || !strncmp(a.name, "--", 2)) {
        fprintf(stderr, "acdlink: usage: acdlink token create NAME --role ROLE [--owner USER] "
                        "[--expires DAYS] (see acdlink token --help)\n");
        goto out;
    }
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--role") && i + 1 < argc) {
            a.role = argv[++i];
        } else if (!strcmp(argv[i], "--owner") && i + 1 < argc) {
            a.owner = argv[++i];
        } else if (!strcmp(argv[i], "--expires") && i + 1 < argc) {
            char *end = NULL;
            long days = strtol(argv[++i], &end, 10);
            if (!end || *end || days < 1 || days > TOKEN_MAX_DAYS) {
                fprintf(stderr, "acdlink: --expires: '%s' is no number of days from 1 to %d\n",
                        argv[i], TOKEN_MAX_DAYS);
                goto out;
            }
            a.expires_days = (int)days;
        } else {
            settings[rest++] = argv[i];
        }
    }
    if ((why = route_check_name(a.name)) != NULL) {
        fprintf(stderr, "acdlink: token name '%s' %s\n", a.name, why);
        goto out;
    }
    if (!a.role || route_check_role(a.role) != NULL) {
        fprintf(stderr, "acdlink: --role is required and must be admin, operator or viewer\n");
        goto out;
    }
    rc = load_settings(&cfg, rest, settings, 0);
    if (rc == 0) {
        rc = cmd_token_create(&cfg, &a);
    }
out:
    free(settings);
    return rc;
}

/* acdlink config export|apply ... */
static int cmd_config_args(int argc, char **argv)
{
    const char *output = NULL, *file = NULL;
    int export = !strcmp(argv[0], "export"), flags = 0, rest = 0, rc;
    char **settings = calloc((size_t)argc + 1, sizeof(char *));
    struct acdl_config cfg;
    if (!settings) {
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (export && !strcmp(argv[i], "--output") && i + 1 < argc) {
            output = argv[++i];
        } else if (!export && !strcmp(argv[i], "--dry-run")) {
            flags |= SETUP_DRY_RUN;
        } else if (!export && !strcmp(argv[i], "--prune")) {
            flags |= SETUP_PRUNE;
        } else if (!export && !strcmp(argv[i], "--cascade")) {
            flags |= SETUP_CASCADE;
        } else if (!export && !file && (argv[i][0] != '-' || !strcmp(argv[i], "-"))) {
            file = argv[i];
        } else {
            settings[rest++] = argv[i];
        }
    }
    if (!export && !file) {
        fprintf(stderr,
                "acdlink: usage: acdlink config apply FILE|- [--dry-run] [--prune [--cascade]] "
                "[--data-dir DIR]\n");
        free(settings);
        return EXIT_USAGE;
    }
    rc = load_settings(&cfg, rest, settings, 0);
    if (rc == 0) {
        rc = export ? cmd_config_export(&cfg, output) : cmd_config_apply(&cfg, file, flags);
    }
    free(settings);
    return rc;
}

/* backup FILE [SETTINGS] / restore FILE [--force] [SETTINGS] */
static int cmd_backup_args(int restore, int argc, char **argv)
{
    const char *file = argc > 0 ? argv[0] : NULL;
    char **settings = calloc((size_t)argc + 1, sizeof(char *));
    int rest = 0, force = 0, rc;
    struct acdl_config cfg;
    if (!settings) {
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (restore && !strcmp(argv[i], "--force")) {
            force = 1;
        } else {
            settings[rest++] = argv[i];
        }
    }
    if (!file || (strncmp(file, "--", 2) == 0)) {
        fprintf(stderr, restore ? "acdlink: usage: acdlink restore FILE --data-dir DIR [--force]\n"
                                : "acdlink: usage: acdlink backup FILE [--data-dir DIR]\n");
        free(settings);
        return EXIT_USAGE;
    }
    rc = load_settings(&cfg, rest, settings, 0);
    if (rc == 0) {
        rc = restore ? cmd_restore(&cfg, file, force) : cmd_backup(&cfg, file);
    }
    free(settings);
    return rc;
}

/* import-xlink DIR [--dry-run] [--time-zone ZONE] [--json] [SETTINGS] */
static int cmd_xlink_args(int argc, char **argv)
{
    const char *dir = argc > 0 ? argv[0] : NULL, *zone = NULL;
    char **settings = calloc((size_t)argc + 1, sizeof(char *));
    int rest = 0, dry = 0, json = 0, rc;
    struct acdl_config cfg;
    if (!settings) {
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dry-run")) {
            dry = 1;
        } else if (!strcmp(argv[i], "--json")) {
            json = 1;
        } else if (!strcmp(argv[i], "--time-zone") && i + 1 < argc) {
            zone = argv[++i];
        } else {
            settings[rest++] = argv[i];
        }
    }
    if (!dir || !strncmp(dir, "--", 2)) {
        fprintf(stderr, "acdlink: usage: acdlink import-xlink DIR [--dry-run] [--time-zone ZONE] "
                        "[--json] [--data-dir DIR]\n");
        free(settings);
        return EXIT_USAGE;
    }
    rc = load_settings(&cfg, rest, settings, 0);
    if (rc == 0) {
        rc = cmd_import_xlink(&cfg, dir, dry, zone, json);
    }
    free(settings);
    return rc;
}

int main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : "";
    /* the data folder, database, key and certificate are the daemon's alone, whatever the
     * umask it was started with */
    plat_files_private();
    plat_memory_init();
    if (!strcmp(cmd, "help") && argc > 2) {
        if (cmd_help_print(argv[2], stdout) != 0) {
            fprintf(stderr, "acdlink: help: no subcommand '%s'\n", argv[2]);
            usage(stderr);
            return EXIT_USAGE;
        }
        return 0;
    }
    if (cmd[0] != '-' && cmd_help_asked(argc - 2, argv + 2) && cmd_help_print(cmd, stdout) == 0) {
        return 0;
    }
    if (!strcmp(cmd, "serve")) {
        return cmd_serve(argc - 2, argv + 2);
    }
    if (!strcmp(cmd, "service")) {
        return cmd_service(argc - 2, argv + 2);
    }
    if (!strcmp(cmd, "run")) {
        return cmd_run_args(argc - 2, argv + 2);
    }
    if (!strcmp(cmd, "import-xlink")) {
        return cmd_xlink_args(argc - 2, argv + 2);
    }
    if (!strcmp(cmd, "backup") || !strcmp(cmd, "restore")) {
        return cmd_backup_args(!strcmp(cmd, "restore"), argc - 2, argv + 2);
    }
    if (!strcmp(cmd, "user")) {
        return cmd_user(argc - 2, argv + 2);
    }
    if (!strcmp(cmd, "token")) {
        return cmd_token_args(argc - 2, argv + 2);
    }
    if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
        printf("acdlink %s (schema %d)\n", ACDLINK_VERSION, store_schema_version());
        return 0;
    }
    if (!strcmp(cmd, "config") && argc > 2 && !strcmp(argv[2], "keys")) {
        config_print_keys(stdout);
        return 0;
    }
    if (!strcmp(cmd, "config") && argc > 2 &&
        (!strcmp(argv[2], "export") || !strcmp(argv[2], "apply"))) {
        return cmd_config_args(argc - 2, argv + 2);
    }
    if (!strcmp(cmd, "config")) {
        fprintf(stderr, "acdlink: config: say export, apply or keys\n\n");
        cmd_help_print("config", stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return EXIT_USAGE;
}
