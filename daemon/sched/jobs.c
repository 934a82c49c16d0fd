/* jobs.c: the in-memory job table (see jobs.h). */
#include "sched/jobs.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "core/why.h"
#include "platform/platform.h"

struct job {
    int64_t id;
    char kind[32];
    char owner[96];
    int state; /* 0 free, 1 running, 2 done, 3 failed */
    json_t *result;
    char error[512];
    char error_code[48];    /* the message code of error ("": none) */
    char error_params[768]; /* its parameters as JSON text */
    int64_t created_at, finished_at;
    /* while running */
    struct app *app;
    job_fn fn;
    void *arg;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle = PTHREAD_COND_INITIALIZER;
static struct job table[JOBS_MAX];
static int64_t next_id = 1;
static int running;

static void *job_main(void *p)
{
    struct job *slot = p;
    json_t *result = NULL;
    char err[512] = "";
    pthread_mutex_lock(&mu);
    struct app *app = slot->app;
    job_fn fn = slot->fn;
    void *arg = slot->arg;
    int64_t id = slot->id;
    pthread_mutex_unlock(&mu);

    int rc = fn(app, arg, &result, err, sizeof(err));
    free(arg);
    /* the code of the error, noted on this thread where it was written (core/why.h) */
    char code[48] = "";
    char *params = NULL;
    json_t *jp = NULL;
    const char *etext = rc == ACDL_OK ? "" : (err[0] ? err : acdl_strerror(rc));
    if (rc != ACDL_OK &&
        (why_lookup(etext, code, sizeof(code), &jp) || why_match(etext, code, sizeof(code), &jp))) {
        params = json_dumps(jp, JSON_COMPACT);
    }
    json_decref(jp);

    pthread_mutex_lock(&mu);
    if (slot->id == id) {
        slot->state = rc == ACDL_OK ? 2 : 3;
        slot->result = result;
        snprintf(slot->error, sizeof(slot->error), "%s", etext);
        int fits = params && strlen(params) < sizeof(slot->error_params);
        snprintf(slot->error_code, sizeof(slot->error_code), "%s", fits ? code : "");
        snprintf(slot->error_params, sizeof(slot->error_params), "%s", fits ? params : "");
        slot->finished_at = plat_now();
        slot->arg = NULL;
    } else {
        json_decref(result);
    }
    running--;
    pthread_cond_broadcast(&idle);
    pthread_mutex_unlock(&mu);
    free(params);
    return NULL;
}

int jobs_submit(struct app *app, const char *kind, const char *owner, job_fn fn, void *arg,
                int64_t *id)
{
    pthread_t t;
    pthread_attr_t attr;
    struct job *slot = NULL;
    pthread_mutex_lock(&mu);
    if (running >= JOBS_RUNNING) {
        pthread_mutex_unlock(&mu);
        free(arg);
        return ACDL_EAGAIN;
    }
    for (int i = 0; i < JOBS_MAX; i++) {
        if (table[i].state == 0) {
            slot = &table[i];
            break;
        }
        if (table[i].state >= 2 && (!slot || table[i].finished_at < slot->finished_at)) {
            slot = &table[i]; /* the oldest finished job makes room */
        }
    }
    if (!slot) {
        pthread_mutex_unlock(&mu);
        free(arg);
        return ACDL_EAGAIN;
    }
    json_decref(slot->result);
    memset(slot, 0, sizeof(*slot));
    slot->id = next_id++;
    snprintf(slot->kind, sizeof(slot->kind), "%s", kind);
    snprintf(slot->owner, sizeof(slot->owner), "%s", owner);
    slot->state = 1;
    slot->created_at = plat_now();
    slot->app = app;
    slot->fn = fn;
    slot->arg = arg;
    running++;
    *id = slot->id;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    int ok = pthread_create(&t, &attr, job_main, slot) == 0;
    pthread_attr_destroy(&attr);
    if (!ok) {
        running--;
        slot->state = 0;
        pthread_mutex_unlock(&mu);
        free(arg);
        return ACDL_EAGAIN;
    }
    pthread_mutex_unlock(&mu);
    return ACDL_OK;
}

json_t *jobs_get(int64_t id)
{
    static const char *const states[] = {"free", "running", "done", "failed"};
    json_t *out = NULL;
    char created[32], finished[32], j_code[48] = "", j_params[768] = "";
    pthread_mutex_lock(&mu);
    for (int i = 0; i < JOBS_MAX; i++) {
        struct job *j = &table[i];
        if (j->state != 0 && j->id == id) {
            plat_time_iso(j->created_at, created, sizeof(created));
            plat_time_iso(j->finished_at, finished, sizeof(finished));
            out = json_pack("{s:I, s:s, s:s, s:s, s:O, s:o, s:s, s:o}", "id", (json_int_t)j->id,
                            "kind", j->kind, "state", states[j->state], "created_by", j->owner,
                            "result", j->result ? j->result : json_null(), "error",
                            j->state == 3 ? json_string(j->error) : json_null(), "created_at",
                            created, "finished_at",
                            j->finished_at ? json_string(finished) : json_null());
            if (j->state == 3) {
                snprintf(j_code, sizeof(j_code), "%s", j->error_code);
                snprintf(j_params, sizeof(j_params), "%s", j->error_params);
            }
            break;
        }
    }
    pthread_mutex_unlock(&mu);
    if (out && j_code[0]) {
        json_t *p = json_loads(j_params, 0, NULL);
        if (p) {
            json_object_set_new(out, "error_code", json_string(j_code));
            json_object_set_new(out, "error_params", p);
        }
    }
    return out;
}

void jobs_shutdown(void)
{
    struct timespec deadline;
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += 3; /* a stop must not wait for a slow ODBC server */
    pthread_mutex_lock(&mu);
    while (running > 0) {
        if (pthread_cond_timedwait(&idle, &mu, &deadline) != 0) {
            log_warn("jobs", "%d jobs still running at shutdown; they are abandoned", running);
            pthread_mutex_unlock(&mu);
            return;
        }
    }
    for (int i = 0; i < JOBS_MAX; i++) {
        json_decref(table[i].result);
        memset(&table[i], 0, sizeof(table[i]));
    }
    pthread_mutex_unlock(&mu);
}
