/* csv-parse.c: throughput of the CSV reader beside a naive memchr line splitter, in one run.
 *
 *   csv-parse FILE [MB]   generates FILE (MB megabytes of interval rows, default 100) unless
 *                         it exists with that size already, then reads it with both, 3 times
 *                         each, interleaved, and prints the best MB/s of each and their ratio.
 *
 * The peer reads the same file in the same block size, finds lines with memchr('\n') and
 * fields with memchr(';'): no quotes, no encodings, no line and column bookkeeping, no
 * limits. It is the floor of what any CSV reader has to do, so the ratio says what the
 * reader's correctness costs. Both touch every field (sum of lengths) so neither can skip
 * work. Built and run by bench/csv-parse.sh. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "adapters/csv/csv.h"

#define BLOCK (64 * 1024)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Interval rows as ACD exports write them; one in 50 has a quoted queue name. Seeded. */
static int generate(const char *path, long long bytes)
{
    static const char *queues[] = {"SUPPORT_DE",        "SUPPORT_FR", "SALES",
                                   "BILLING_2ND_LEVEL", "HOTLINE",    "RETENTION"};
    FILE *f = fopen(path, "wb");
    uint32_t rng = 12345;
    long long n = 0, row = 0;
    if (!f) {
        return -1;
    }
    n += fprintf(f, "Queue;Date;Time;Offered;Handled;Abandoned;AHT;ASA;ServiceLevel\r\n");
    while (n < bytes) {
        char line[256];
        int len;
        rng = rng * 1103515245u + 12345u;
        uint32_t r = rng >> 8;
        int q = (int)(r % 6), day = 1 + (int)(row / (96 * 6)) % 28, slot = (int)(row / 6) % 96;
        int offered = (int)(r % 400), handled = offered - offered / 10;
        if (row % 50 == 0) {
            len =
                snprintf(line, sizeof(line),
                         "\"%s; Team \"\"%d\"\"\";%02d.03.2026;%02d:%02d;%d;%d;%d;%d;%d;%d.%d\r\n",
                         queues[q], (int)(r % 9), day, slot / 4, slot % 4 * 15, offered, handled,
                         offered - handled, 120 + (int)(r % 300), (int)(r % 60), 60 + (int)(r % 40),
                         (int)(r % 10));
        } else {
            len = snprintf(line, sizeof(line), "%s;%02d.03.2026;%02d:%02d;%d;%d;%d;%d;%d;%d.%d\r\n",
                           queues[q], day, slot / 4, slot % 4 * 15, offered, handled,
                           offered - handled, 120 + (int)(r % 300), (int)(r % 60),
                           60 + (int)(r % 40), (int)(r % 10));
        }
        fwrite(line, 1, (size_t)len, f);
        n += len;
        row++;
    }
    return fclose(f) == 0 ? 0 : -1;
}

struct result {
    double secs;
    long long records, fields, bytes;
};

static int run_naive(const char *path, struct result *res)
{
    FILE *f = fopen(path, "rb");
    char *buf = malloc(2 * BLOCK);
    size_t have = 0;
    double t0 = now();
    memset(res, 0, sizeof(*res));
    if (!f || !buf) {
        free(buf);
        if (f) {
            fclose(f);
        }
        return -1;
    }
    setvbuf(f, NULL, _IONBF, 0);
    for (;;) {
        size_t got = fread(buf + have, 1, 2 * BLOCK - have > BLOCK ? BLOCK : 2 * BLOCK - have, f);
        size_t end = have + got, pos = 0;
        if (got == 0 && have == 0) {
            break;
        }
        for (;;) {
            char *nl = memchr(buf + pos, '\n', end - pos);
            if (!nl) {
                if (got == 0) { /* last line without a line end */
                    nl = buf + end;
                } else {
                    break;
                }
            }
            const char *p = buf + pos, *e = nl;
            for (;;) {
                const char *sep = memchr(p, ';', (size_t)(e - p));
                const char *fe = sep ? sep : e;
                res->fields++;
                res->bytes += fe - p;
                if (!sep) {
                    break;
                }
                p = sep + 1;
            }
            res->records++;
            pos = (size_t)(nl - buf) + 1;
            if (pos >= end) {
                break;
            }
        }
        if (got == 0) {
            break;
        }
        have = pos < end ? end - pos : 0;
        memmove(buf, buf + pos, have);
    }
    res->secs = now() - t0;
    fclose(f);
    free(buf);
    return 0;
}

static int run_reader(const char *path, struct result *res)
{
    struct csv_options o;
    struct csv_reader *r = NULL;
    struct csv_record rec;
    struct csv_error err;
    int rc;
    double t0 = now();
    memset(res, 0, sizeof(*res));
    csv_options_init(&o);
    o.separator = ';';
    o.block_size = BLOCK;
    if (csv_open_file(&r, path, &o) != 0) {
        return -1;
    }
    while ((rc = csv_next(r, &rec, &err)) != CSV_END) {
        if (rc != CSV_RECORD) {
            fprintf(stderr, "%s\n", err.message);
            if (!csv_error_recoverable(rc)) {
                break;
            }
            continue;
        }
        res->records++;
        res->fields += (long long)rec.nfields;
        for (size_t i = 0; i < rec.nfields; i++) {
            res->bytes += (long long)rec.fields[i].len;
        }
    }
    res->secs = now() - t0;
    csv_close(r);
    return rc == CSV_END ? 0 : -1;
}

int main(int argc, char **argv)
{
    struct stat st;
    long long mb = argc > 2 ? strtoll(argv[2], NULL, 10) : 100;
    struct result best_naive = {1e9, 0, 0, 0}, best_reader = {1e9, 0, 0, 0}, res;
    if (argc < 2 || mb <= 0) {
        fprintf(stderr, "usage: csv-parse FILE [MB]\n");
        return 2;
    }
    if (stat(argv[1], &st) != 0 || st.st_size < mb * 1000000LL) {
        fprintf(stderr, "generating %s (%lld MB) ...\n", argv[1], mb);
        if (generate(argv[1], mb * 1000000LL) != 0 || stat(argv[1], &st) != 0) {
            fprintf(stderr, "cannot write %s\n", argv[1]);
            return 1;
        }
    }
    for (int i = 0; i < 4; i++) { /* the first round warms the page cache and is not counted */
        if (run_naive(argv[1], &res) != 0) {
            return 1;
        }
        if (i && res.secs < best_naive.secs) {
            best_naive = res;
        }
        if (run_reader(argv[1], &res) != 0) {
            return 1;
        }
        if (i && res.secs < best_reader.secs) {
            best_reader = res;
        }
    }
    double size_mb = (double)st.st_size / 1e6;
    printf("file: %.1f MB, %lld records\n", size_mb, best_reader.records);
    printf("%-28s %8.1f MB/s  (%lld records, %lld fields)\n", "naive memchr splitter",
           size_mb / best_naive.secs, best_naive.records, best_naive.fields);
    printf("%-28s %8.1f MB/s  (%lld records, %lld fields)\n", "acdlink csv reader",
           size_mb / best_reader.secs, best_reader.records, best_reader.fields);
    printf("reader / naive: %.2f\n", best_naive.secs / best_reader.secs);
    return 0;
}
