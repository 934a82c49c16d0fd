/* test_agent_acc.c: a run's agent states in memory: the order they are staged in (agent ids
 * as SQLite's BINARY collation orders them, then start, then arrival), string numbers, the
 * row limit and the day packing, checked against a plain sort of random states. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/err.h"
#include "pipeline/agent_acc.h"

static const char *const ids[] = {"0042", "42", "Ab1", "ab1", "b", "ab", "", "\xc3\xa9", "A"};
#define NIDS (sizeof(ids) / sizeof(ids[0]))

struct ref {
    const char *agent;
    int64_t start;
    size_t seq;
};

static int cmp_ref(const void *x, const void *y)
{
    const struct ref *a = x, *b = y;
    size_t la = strlen(a->agent), lb = strlen(b->agent);
    int c = memcmp(a->agent, b->agent, la < lb ? la : lb);
    if (c || la != lb) {
        return c ? c : la < lb ? -1 : 1;
    }
    if (a->start != b->start) {
        return a->start < b->start ? -1 : 1;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void test_order(void)
{
    enum { N = 5000 };
    struct agent_acc *a = agent_acc_create(N);
    struct ref *ref = calloc(N, sizeof(*ref));
    struct tz_date day = {2026, 11, 24};
    unsigned seed = 7;
    CHECK(a != NULL && ref != NULL);
    for (size_t i = 0; a && ref && i < N; i++) {
        seed = seed * 1103515245u + 12345u;
        const char *ag = ids[(seed >> 16) % NIDS];
        /* mostly increasing, with repeats and states out of order */
        int64_t start = (int64_t)(i / 3) * 10 - (int64_t)((seed >> 8) % 4) * 10;
        ref[i].agent = ag;
        ref[i].start = start;
        ref[i].seq = i;
        CHECK_EQ_INT(agent_acc_add(a, ag, strlen(ag), "TALK", 4, NULL, 0, "f.csv", start,
                                   AGENT_ACC_OPEN, day, i + 2),
                     ACDL_OK);
    }
    CHECK_EQ_INT(agent_acc_add(a, "x", 1, "T", 1, NULL, 0, "f.csv", 0, 0, day, 1), ACDL_ETOOBIG);
    CHECK_EQ_INT(agent_acc_count(a), N);
    CHECK_EQ_INT(agent_acc_distinct(a, 0), NIDS);
    CHECK_EQ_INT(agent_acc_distinct(a, 1), 1);
    qsort(ref, N, sizeof(*ref), cmp_ref);
    CHECK_EQ_INT(agent_acc_sort(a), ACDL_OK);
    int bad = 0;
    for (size_t i = 0; i < N && !bad; i++) {
        size_t seq, len;
        const struct agent_acc_row w = agent_acc_row_at(a, i, &seq);
        const char *ag = agent_acc_str(a, 0, w.agent, &len);
        if (seq != ref[i].seq || w.start != ref[i].start || len != strlen(ref[i].agent) ||
            memcmp(ag, ref[i].agent, len) != 0 || w.line != seq + 2 || w.end != AGENT_ACC_OPEN) {
            bad = 1;
            CHECK_EQ_INT(seq, ref[i].seq);
        }
    }
    CHECK(!bad);
    /* sorted before the staging transaction and again in it: the same order, no new one */
    size_t seq0, seq1;
    agent_acc_row_at(a, 0, &seq0);
    agent_acc_row_at(a, N - 1, &seq1);
    CHECK_EQ_INT(agent_acc_sort(a), ACDL_OK);
    size_t again0, again1;
    agent_acc_row_at(a, 0, &again0);
    agent_acc_row_at(a, N - 1, &again1);
    CHECK(again0 == seq0 && again1 == seq1);
    free(ref);
    agent_acc_destroy(a);
}

/* A row added after a sort is in the next sort's order. */
static void test_sort_again(void)
{
    struct agent_acc *a = agent_acc_create(10);
    struct tz_date d = {2026, 11, 24};
    size_t seq, len;
    CHECK_EQ_INT(agent_acc_add(a, "b", 1, "T", 1, NULL, 0, "f.csv", 10, 20, d, 1), ACDL_OK);
    CHECK_EQ_INT(agent_acc_sort(a), ACDL_OK);
    CHECK_EQ_INT(agent_acc_add(a, "a", 1, "T", 1, NULL, 0, "f.csv", 30, 40, d, 2), ACDL_OK);
    CHECK_EQ_INT(agent_acc_sort(a), ACDL_OK);
    const struct agent_acc_row w = agent_acc_row_at(a, 0, &seq);
    CHECK_EQ_STR(agent_acc_str(a, 0, w.agent, &len), "a");
    CHECK_EQ_INT(seq, 1);
    agent_acc_destroy(a);
}

/* Each code's greatest name, as max(name) over its rows would give it: bytes compared as
 * SQLite's BINARY collation does (a prefix before the longer name, UTF-8 above ASCII), rows
 * without a name not counted, a code without any named row without one. */
static void test_code_names(void)
{
    struct agent_acc *a = agent_acc_create(20);
    struct tz_date d = {2026, 11, 24}, d2 = {2026, 11, 25};
    uint32_t name_of[4];
    size_t len;
    static const struct {
        const char *code, *name, *file;
        int day2;
    } rows[] = {
        {"AUX", "Break", "a.csv", 0},     {"AUX", NULL, "a.csv", 0},
        {"AUX", "Breakfast", "b.csv", 1}, {"AUX", "Brea", "a.csv", 1},
        {"TALK", NULL, "a.csv", 0},       {"ACW", "Wrap", "a.csv", 0},
        {"ACW", "\xc3\xa9", "a.csv", 0},  {"ACW", "Zz", "b.csv", 0},
        {"IDLE", "", "a.csv", 0},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const char *nm = rows[i].name;
        CHECK_EQ_INT(agent_acc_add(a, "7", 1, rows[i].code, strlen(rows[i].code), nm,
                                   nm ? strlen(nm) : 0, rows[i].file, (int64_t)i * 10,
                                   AGENT_ACC_OPEN, rows[i].day2 ? d2 : d, i + 1),
                     ACDL_OK);
    }
    CHECK_EQ_INT(agent_acc_distinct(a, 1), 4);
    agent_acc_code_names(a, name_of);
    CHECK_EQ_STR(agent_acc_str(a, 1, 0, &len), "AUX");
    CHECK_EQ_STR(agent_acc_str(a, 2, name_of[0], &len), "Breakfast");
    CHECK(name_of[1] == AGENT_ACC_NONE); /* TALK */
    CHECK_EQ_STR(agent_acc_str(a, 2, name_of[2], &len), "\xc3\xa9");
    CHECK_EQ_STR(agent_acc_str(a, 2, name_of[3], &len), "");
    agent_acc_destroy(a);
}

static void test_strings_days(void)
{
    struct agent_acc *a = agent_acc_create(10);
    struct tz_date d = {1999, 12, 31}, e = agent_acc_day_unpack(agent_acc_day_pack(d));
    size_t len;
    CHECK(e.y == 1999 && e.m == 12 && e.d == 31);
    CHECK_EQ_INT(agent_acc_add(a, "7", 1, "AUX", 3, "Break", 5, "a.csv", 5, 9, d, 3), ACDL_OK);
    CHECK_EQ_INT(agent_acc_add(a, "7", 1, "AUX", 3, NULL, 0, "b.csv", 9, 10, d, 4), ACDL_OK);
    CHECK_EQ_INT(agent_acc_add(a, "7", 1, "AUX", 3, NULL, 0, "b.csv", 10, 11, d, (uint64_t)1 << 33),
                 ACDL_ETOOBIG);
    /* an end more than 2^31 s after the start does not fit the packed row */
    CHECK_EQ_INT(
        agent_acc_add(a, "7", 1, "AUX", 3, NULL, 0, "b.csv", 10, (int64_t)10 + INT32_MAX + 1, d, 5),
        ACDL_ETOOBIG);
    struct tz_date d2 = {2000, 1, 1};
    CHECK_EQ_INT(agent_acc_add(a, "8", 1, "AUX", 3, NULL, 0, "b.csv", -20, -25, d2, 6), ACDL_OK);
    const struct agent_acc_row r0 = agent_acc_row_at(a, 0, NULL);
    const struct agent_acc_row r1 = agent_acc_row_at(a, 1, NULL);
    const struct agent_acc_row r2 = agent_acc_row_at(a, 2, NULL);
    CHECK_EQ_STR(agent_acc_str(a, 2, r0.name, &len), "Break");
    CHECK(r1.name == AGENT_ACC_NONE);
    CHECK_EQ_STR(agent_acc_str(a, 3, r1.file, &len), "b.csv");
    CHECK(r0.code == r1.code && r0.agent == r1.agent && r0.file != r1.file);
    CHECK(r0.start == 5 && r0.end == 9 && r0.line == 3 && r1.start == 9 && r1.end == 10);
    CHECK(r0.day == agent_acc_day_pack(d) && r2.day == agent_acc_day_pack(d2));
    CHECK(r2.start == -20 && r2.end == -25 && r2.line == 6 && r2.file == r1.file);
    CHECK_EQ_INT(agent_acc_count(a), 3);
    CHECK_EQ_STR(agent_acc_str(a, 1, 99, &len), "");
    agent_acc_destroy(a);
    agent_acc_destroy(NULL);
}

int main(void)
{
    RUN(test_order);
    RUN(test_strings_days);
    RUN(test_sort_again);
    RUN(test_code_names);
    return check_summary();
}
