/* win32_service.c: the Windows service: running under the service control manager (SCM),
 * and registering or removing the service (`acdlink service install|remove`).
 *
 * Design note. StartServiceCtrlDispatcher blocks the main thread and runs svc_main on a thread
 * of its own; svc_main runs the daemon exactly as the console does (serve), so the service has
 * no start-up or shutdown path of its own. The SCM's STOP and SHUTDOWN controls call the same
 * on_stop as Ctrl-C, and the daemon's readiness notes (plat_notify, systemd's protocol on
 * Linux) become SERVICE_RUNNING and SERVICE_STOP_PENDING here. The service stays in
 * START_PENDING until the HTTP server listens, so `sc start` and the MSI's StartServices wait
 * for a daemon that really answers. */
#include <windows.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "platform/platform.h"

#define SVC_START_WAIT_MS 60000
#define SVC_STOP_WAIT_MS 20000

static CRITICAL_SECTION svc_lock;
static SERVICE_STATUS_HANDLE svc_handle;
static SERVICE_STATUS svc_status;
static const char *svc_name;
static int (*svc_serve)(void *ctx);
static void *svc_ctx;
static void (*svc_on_stop)(void);
static int svc_rc;

static void svc_report(DWORD state, int exit_code, DWORD wait_hint)
{
    if (!svc_handle) {
        return;
    }
    EnterCriticalSection(&svc_lock);
    svc_status.dwServiceType = SERVICE_WIN32_OWN_PROCESS;
    svc_status.dwCurrentState = state;
    svc_status.dwControlsAccepted =
        state == SERVICE_RUNNING ? SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SHUTDOWN : 0;
    svc_status.dwWin32ExitCode = exit_code ? ERROR_SERVICE_SPECIFIC_ERROR : NO_ERROR;
    svc_status.dwServiceSpecificExitCode = (DWORD)exit_code;
    svc_status.dwWaitHint = wait_hint;
    if (state == SERVICE_RUNNING || state == SERVICE_STOPPED) {
        svc_status.dwCheckPoint = 0;
    } else {
        svc_status.dwCheckPoint++;
    }
    SetServiceStatus(svc_handle, &svc_status);
    LeaveCriticalSection(&svc_lock);
}

static DWORD WINAPI svc_control(DWORD control, DWORD type, LPVOID data, LPVOID ctx)
{
    (void)type, (void)data, (void)ctx;
    switch (control) {
    case SERVICE_CONTROL_STOP:
    case SERVICE_CONTROL_SHUTDOWN:
        svc_report(SERVICE_STOP_PENDING, 0, SVC_STOP_WAIT_MS);
        if (svc_on_stop) {
            svc_on_stop();
        }
        return NO_ERROR;
    case SERVICE_CONTROL_INTERROGATE:
        return NO_ERROR;
    default:
        return ERROR_CALL_NOT_IMPLEMENTED;
    }
}

static void WINAPI svc_main(DWORD argc, LPSTR *argv)
{
    (void)argc, (void)argv; /* the arguments that count are the registered command line's */
    svc_handle = RegisterServiceCtrlHandlerExA(svc_name, svc_control, NULL);
    if (!svc_handle) {
        svc_rc = 1;
        return;
    }
    svc_report(SERVICE_START_PENDING, 0, SVC_START_WAIT_MS);
    svc_rc = svc_serve(svc_ctx);
    svc_report(SERVICE_STOPPED, svc_rc, 0);
}

int plat_service_run(const char *name, int (*serve)(void *ctx), void *ctx, void (*on_stop)(void),
                     int *serve_rc)
{
    SERVICE_TABLE_ENTRYA table[] = {{(LPSTR)name, svc_main}, {NULL, NULL}};
    InitializeCriticalSection(&svc_lock);
    svc_name = name;
    svc_serve = serve;
    svc_ctx = ctx;
    svc_on_stop = on_stop;
    svc_rc = 1;
    if (!StartServiceCtrlDispatcherA(table)) {
        return GetLastError() == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT ? ACDL_ENOTFOUND
                                                                         : ACDL_EIO;
    }
    *serve_rc = svc_rc;
    return ACDL_OK;
}

void plat_notify(const char *state)
{
    if (strstr(state, "READY=1")) {
        svc_report(SERVICE_RUNNING, 0, 0);
    } else if (strstr(state, "STOPPING=1")) {
        svc_report(SERVICE_STOP_PENDING, 0, SVC_STOP_WAIT_MS);
    }
}

/* ACDL_* for a failed SCM call, with the system's message in err. */
static int scm_error(const char *what, char *err, size_t errsz)
{
    DWORD e = GetLastError();
    char msg[512] = "";
    FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e, 0, msg,
                   sizeof(msg), NULL);
    for (size_t n = strlen(msg); n > 0 && (msg[n - 1] == '\r' || msg[n - 1] == '\n');) {
        msg[--n] = '\0';
    }
    snprintf(err, errsz, "%s: %s (error %lu)%s", what, msg[0] ? msg : "failed", (unsigned long)e,
             e == ERROR_ACCESS_DENIED ? "; run it from an administrator's command prompt" : "");
    switch (e) {
    case ERROR_ACCESS_DENIED:
        return ACDL_EPERM;
    case ERROR_SERVICE_EXISTS:
        return ACDL_EEXIST;
    case ERROR_SERVICE_DOES_NOT_EXIST:
        return ACDL_ENOTFOUND;
    default:
        return ACDL_EIO;
    }
}

static void close_handles(SC_HANDLE scm, SC_HANDLE svc)
{
    if (svc) {
        CloseServiceHandle(svc);
    }
    if (scm) {
        CloseServiceHandle(scm);
    }
}

int plat_service_install(const char *name, const char *display, const char *description,
                         const char *args, char *err, size_t errsz)
{
    char exe[MAX_PATH], cmd[4096];
    SC_HANDLE scm = NULL, svc = NULL;
    SERVICE_DESCRIPTIONA desc = {(LPSTR)description};
    /* restart 5 s after a crash, twice; then leave it stopped; forget failures after a day */
    SC_ACTION actions[] = {{SC_ACTION_RESTART, 5000}, {SC_ACTION_RESTART, 5000},
                           {SC_ACTION_NONE, 0}};
    SERVICE_FAILURE_ACTIONSA fail = {86400, NULL, NULL, 3, actions};
    int rc = ACDL_EIO;
    DWORD n = GetModuleFileNameA(NULL, exe, sizeof(exe));
    if (n == 0 || n >= sizeof(exe) ||
        snprintf(cmd, sizeof(cmd), "\"%s\" %s", exe, args) >= (int)sizeof(cmd)) {
        snprintf(err, errsz, "the path of acdlink.exe is too long");
        return ACDL_EINVAL;
    }
    scm = OpenSCManagerA(NULL, NULL, SC_MANAGER_CREATE_SERVICE);
    if (!scm) {
        rc = scm_error("opening the service control manager", err, errsz);
        goto out;
    }
    svc = CreateServiceA(scm, name, display, SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS,
                         SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, cmd, NULL, NULL, NULL,
                         "NT AUTHORITY\\LocalService", "");
    if (!svc) {
        rc = scm_error("registering the service", err, errsz);
        goto out;
    }
    ChangeServiceConfig2A(svc, SERVICE_CONFIG_DESCRIPTION, &desc);
    ChangeServiceConfig2A(svc, SERVICE_CONFIG_FAILURE_ACTIONS, &fail);
    if (!StartServiceA(svc, 0, NULL)) {
        rc = scm_error("the service is registered, but starting it failed", err, errsz);
        goto out;
    }
    rc = ACDL_OK;
out:
    close_handles(scm, svc);
    return rc;
}

int plat_service_remove(const char *name, char *err, size_t errsz)
{
    SC_HANDLE scm = NULL, svc = NULL;
    SERVICE_STATUS st;
    int rc = ACDL_EIO;
    scm = OpenSCManagerA(NULL, NULL, SC_MANAGER_CONNECT);
    if (!scm) {
        rc = scm_error("opening the service control manager", err, errsz);
        goto out;
    }
    svc = OpenServiceA(scm, name, SERVICE_STOP | SERVICE_QUERY_STATUS | DELETE);
    if (!svc) {
        rc = scm_error("opening the service", err, errsz);
        goto out;
    }
    if (ControlService(svc, SERVICE_CONTROL_STOP, &st)) {
        for (int waited = 0; waited < 30000 && st.dwCurrentState != SERVICE_STOPPED;
             waited += 250) {
            Sleep(250);
            if (!QueryServiceStatus(svc, &st)) {
                break;
            }
        }
    }
    if (!DeleteService(svc)) {
        rc = scm_error("removing the service", err, errsz);
        goto out;
    }
    rc = ACDL_OK;
out:
    close_handles(scm, svc);
    return rc;
}

int plat_service_data_dir(char *out, size_t outsz)
{
    /* The machine's ProgramData folder as the profile list records it (what the installer
     * calls CommonAppDataFolder), not the ProgramData variable, which a service account's
     * environment may point elsewhere (wine gives LocalService C:\users\Public); and not
     * through shell32, whose start-up in a service process stalls under wine. */
    static const char key[] = "SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\ProfileList";
    char base[MAX_PATH];
    DWORD n = sizeof(base);
    if (RegGetValueA(HKEY_LOCAL_MACHINE, key, "ProgramData", RRF_RT_REG_SZ, NULL, base, &n) !=
        ERROR_SUCCESS) {
        n = GetEnvironmentVariableA("ProgramData", base, sizeof(base));
        if (n == 0 || n >= sizeof(base)) {
            snprintf(base, sizeof(base), "C:\\ProgramData");
        }
    }
    return snprintf(out, outsz, "%s\\acdlink", base) < (int)outsz ? ACDL_OK : ACDL_EINVAL;
}
