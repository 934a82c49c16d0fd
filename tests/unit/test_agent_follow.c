/* test_agent_follow.c: the overlap an incremental poll reads (near polls between deep ones,
 * and the sources that read the whole overlap every poll) and the merge of what a near poll
 * read into what the polls before it read, and the memory those tables keep between polls. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/err.h"
#include "pipeline/agent_follow.h"

static struct source_cfg cfg_of(int overlap_s, int poll_s)
{
    struct source_cfg c;
    memset(&c, 0, sizeof(c));
    c.incremental.enabled = 1;
    c.incremental.overlap_s = overlap_s;
    c.incremental.poll_s = poll_s;
    return c;
}

static void test_overlap(void)
{
    struct agent_follow_keep k;
    struct source_cfg c = cfg_of(120, 1);
    int deep = 0;
    memset(&k, 0, sizeof(k));
    /* the first poll (and one after a restart) reads the whole overlap and a deep period more */
    CHECK_EQ_INT(agent_follow_overlap(&c, &k, 5000, &deep), 120 + FOLLOW_DEEP_EVERY_S);
    CHECK_EQ_INT(deep, 1);
    k.deep_ms = 5000;
    CHECK_EQ_INT(agent_follow_overlap(&c, &k, 6000, &deep), FOLLOW_NEAR_S + 1);
    CHECK_EQ_INT(deep, 0);
    CHECK_EQ_INT(agent_follow_overlap(&c, &k, 5000 + FOLLOW_DEEP_EVERY_S * 1000 - 1, &deep),
                 FOLLOW_NEAR_S + 1);
    CHECK_EQ_INT(deep, 0);
    CHECK_EQ_INT(agent_follow_overlap(&c, &k, 5000 + FOLLOW_DEEP_EVERY_S * 1000, &deep),
                 120 + FOLLOW_DEEP_EVERY_S);
    CHECK_EQ_INT(deep, 1);
    /* an overlap within the near part, polls as far apart as the deep reads, no keep: the
     * overlap as set, every poll */
    c = cfg_of(FOLLOW_NEAR_S + 2, 2);
    CHECK_EQ_INT(agent_follow_overlap(&c, &k, 6000, &deep), FOLLOW_NEAR_S + 2);
    CHECK_EQ_INT(deep, 1);
    c = cfg_of(600, FOLLOW_DEEP_EVERY_S);
    CHECK_EQ_INT(agent_follow_overlap(&c, &k, 6000, &deep), 600);
    CHECK_EQ_INT(deep, 1);
    c = cfg_of(0, 1);
    CHECK_EQ_INT(agent_follow_overlap(&c, &k, 6000, &deep), 0);
    c = cfg_of(120, 1);
    CHECK_EQ_INT(agent_follow_overlap(&c, NULL, 6000, &deep), 120);
    CHECK_EQ_INT(deep, 1);
    agent_follow_keep_reset(&k); /* a settings change: the next poll reads deep again */
    CHECK_EQ_INT(agent_follow_overlap(&c, &k, 6000, &deep), 120 + FOLLOW_DEEP_EVERY_S);
    agent_follow_keep_free(&k);
}

static void test_merge(void)
{
    struct follow_seen a = {0}, b = {0};
    int same = 0;
    for (uint64_t i = 1; i <= 10000; i++) {
        CHECK(agent_follow_seen_put(&a, i * 7919, i) == ACDL_OK);
    }
    /* a near poll read keys 9001..11000: 9001..10000 again (half of them changed), the rest new */
    for (uint64_t i = 9001; i <= 11000; i++) {
        CHECK(agent_follow_seen_put(&b, i * 7919, i % 2 ? i : i + 1) == ACDL_OK);
    }
    CHECK(agent_follow_seen_merge(&a, &b) == ACDL_OK);
    CHECK_EQ_INT(a.n, 11000);
    CHECK(agent_follow_seen_find(&a, 1 * 7919, 1, &same) && same);
    CHECK(agent_follow_seen_find(&a, 9001 * 7919, 9001, &same) && same);
    CHECK(agent_follow_seen_find(&a, 9002 * 7919, 9002, &same) && !same);
    CHECK(agent_follow_seen_find(&a, 9002 * 7919, 9003, &same) && same);
    CHECK(agent_follow_seen_find(&a, 11000 * 7919, 11001, &same) && same);
    CHECK(!agent_follow_seen_find(&a, 11001 * 7919, 11001, &same));
    agent_follow_seen_free(&a);
    agent_follow_seen_free(&b);
}

static void test_bound(void)
{
    struct source_cfg c = cfg_of(120, 1);
    int64_t limit = 0;
    size_t kept = 0;
    /* fits: nothing cut */
    int64_t a[] = {5, 3, 4};
    CHECK_EQ_INT(agent_follow_bound(a, 3, 3, &limit, &kept), 0);
    /* equal cursor values across the bound: the cursor stops before their group, never
     * inside it (7 7 7 would cross 4) */
    int64_t b[] = {7, 5, 7, 6, 7, 9};
    CHECK_EQ_INT(agent_follow_bound(b, 6, 4, &limit, &kept), 1);
    CHECK(limit == 6);
    CHECK_EQ_INT((int)kept, 2);
    /* the bound right at the end of a group: the whole group */
    int64_t d[] = {7, 5, 7, 6, 7, 9};
    CHECK_EQ_INT(agent_follow_bound(d, 6, 5, &limit, &kept), 1);
    CHECK(limit == 7);
    CHECK_EQ_INT((int)kept, 5);
    /* a bound smaller than the first group: that group whole, nothing more */
    int64_t e[] = {3, 2, 2, 2, 2};
    CHECK_EQ_INT(agent_follow_bound(e, 5, 2, &limit, &kept), 1);
    CHECK(limit == 2);
    CHECK_EQ_INT((int)kept, 4);
    /* ... and when every value is the same, everything (there is nothing to stop before) */
    int64_t f[] = {4, 4, 4, 4};
    CHECK_EQ_INT(agent_follow_bound(f, 4, 1, &limit, &kept), 0);
    /* negative values (ids may be) and the extremes order as numbers */
    int64_t g[] = {INT64_MAX, -1, INT64_MIN, 0};
    CHECK_EQ_INT(agent_follow_bound(g, 4, 2, &limit, &kept), 1);
    CHECK(limit == -1);
    CHECK_EQ_INT((int)kept, 2);
    /* the maximum: the setting, or a quarter of what was read beyond the cursor when more */
    c.incremental.max_states = 100;
    CHECK_EQ_INT((int)agent_follow_bound_max(&c, 50), 100);
    CHECK_EQ_INT((int)agent_follow_bound_max(&c, 400), 100);
    CHECK_EQ_INT((int)agent_follow_bound_max(&c, 1000), 250);
    c.incremental.max_states = 0; /* unset: the default */
    CHECK_EQ_INT((int)agent_follow_bound_max(&c, 10), SOURCE_MAX_STATES);
}

/* A state read beyond the bound is noted as not staged: the next poll never skips it, whatever
 * content it had. */
static void test_gone(void)
{
    struct follow_seen t = {0};
    int same = 1;
    CHECK(agent_follow_seen_put(&t, 42, 77) == ACDL_OK);
    CHECK(agent_follow_seen_put(&t, 42, FOLLOW_SEEN_GONE) == ACDL_OK);
    CHECK(agent_follow_seen_find(&t, 42, 77, &same) && !same);
    agent_follow_seen_free(&t);
}

/* A poll's parts: at most max changed states each, in cursor order, cut only between two
 * cursor values; a group larger than max is a part of its own. */
static void test_parts(void)
{
    int64_t *ends = NULL;
    size_t n = 0;
    /* 1 2 2 | 3 3 3 3 3 (a group of 5 > 3) | 4 5 6 | 7 */
    int64_t a[] = {7, 3, 1, 3, 6, 2, 3, 5, 3, 2, 4, 3};
    CHECK(agent_follow_parts(a, 12, 3, &ends, &n) == ACDL_OK);
    CHECK_EQ_INT((int)n, 4);
    CHECK(n == 4 && ends[0] == 2 && ends[1] == 3 && ends[2] == 6 && ends[3] == 7);
    free(ends);
    /* everything fits: one part ending at the greatest value */
    int64_t b[] = {9, -4, 0};
    CHECK(agent_follow_parts(b, 3, 1000, &ends, &n) == ACDL_OK);
    CHECK(n == 1 && ends[0] == 9);
    free(ends);
    /* one value only, more than a part: one part */
    int64_t c[] = {5, 5, 5, 5};
    CHECK(agent_follow_parts(c, 4, 2, &ends, &n) == ACDL_OK);
    CHECK(n == 1 && ends[0] == 5);
    free(ends);
    /* nothing changed: no part */
    CHECK(agent_follow_parts(NULL, 0, 2, &ends, &n) == ACDL_OK);
    CHECK_EQ_INT((int)n, 0);
    free(ends);
}

/* A table grown for a large poll gives its memory back once a poll needs far less of it;
 * one of the overlap's size keeps it from poll to poll. */
static void test_clear_shrinks(void)
{
    struct follow_seen t = {0};
    int same = 0;
    for (uint64_t i = 1; i <= 300000; i++) { /* a long day's first poll */
        CHECK(agent_follow_seen_put(&t, i * 7919, i) == ACDL_OK);
    }
    size_t big = t.cap;
    CHECK(big > FOLLOW_SEEN_KEEP);
    agent_follow_seen_clear(&t); /* the next poll needed as much: kept */
    CHECK(t.cap == big && t.n == 0 && t.slot);
    CHECK(!agent_follow_seen_find(&t, 7919, 1, &same));
    for (uint64_t i = 1; i <= 1000; i++) { /* the overlap of a poll a second */
        CHECK(agent_follow_seen_put(&t, i * 7919, i) == ACDL_OK);
    }
    agent_follow_seen_clear(&t); /* far less than it holds: given back */
    CHECK(t.cap == 0 && t.n == 0 && !t.slot);
    CHECK(!agent_follow_seen_find(&t, 7919, 1, &same));
    for (uint64_t i = 1; i <= 1000; i++) {
        CHECK(agent_follow_seen_put(&t, i * 7919, i) == ACDL_OK);
    }
    size_t small = t.cap;
    CHECK(small > 0 && small <= FOLLOW_SEEN_KEEP);
    agent_follow_seen_clear(&t); /* small tables are kept whatever they held */
    CHECK(t.cap == small && t.slot);
    CHECK(agent_follow_seen_put(&t, 5, 6) == ACDL_OK);
    CHECK(agent_follow_seen_find(&t, 5, 6, &same) && same);
    agent_follow_seen_free(&t);

    /* a reset (a settings change) gives both tables back */
    struct agent_follow_keep k;
    memset(&k, 0, sizeof(k));
    for (uint64_t i = 1; i <= 100; i++) {
        CHECK(agent_follow_seen_put(&k.seen, i, i) == ACDL_OK);
        CHECK(agent_follow_seen_put(&k.next, i, i) == ACDL_OK);
    }
    k.have_seen = 1;
    agent_follow_keep_reset(&k);
    CHECK(!k.seen.slot && !k.next.slot && k.seen.cap == 0 && !k.have_seen);
    agent_follow_keep_free(&k);
}

int main(void)
{
    RUN(test_overlap);
    RUN(test_merge);
    RUN(test_bound);
    RUN(test_gone);
    RUN(test_parts);
    RUN(test_clear_shrinks);
    return check_summary();
}
