/* rows_int.h: what rows.c shares with rows_follow.c, the reader of followed files. Not for
 * sinks: they use rows.h. */
#ifndef ACDL_PIPELINE_ROWS_INT_H
#define ACDL_PIPELINE_ROWS_INT_H
#include <stdio.h>

#include "adapters/csv/csv.h"
#include "pipeline/rows.h"
#include "platform/platform.h"

/* Opens folder after checking it (and what was opened) against the import roots; *out is
 * new (plat_dir_close). Returns 0, or an ACDL_E* code after a note naming field. */
int rows_open_folder(struct rows *r, const char *field, const char *folder, struct plat_dir **out);

/* Opens name in dir for reading: only a regular file whose resolved path (into real) lies
 * inside the import roots. New FILE, or NULL after a note (counted as skipped). */
FILE *rows_open_in_folder(struct rows *r, struct plat_dir *dir, const char *name,
                          enum plat_entry_kind kind, char *real, size_t realsz);

/* The columns of rd's input (its header, or numbers) into r, roles resolved, the sink told.
 * Returns 0, 1 when the input cannot be read as configured (a note says why), or the sink's
 * code. */
int rows_csv_columns(struct rows *r, struct csv_reader *rd, const char *name,
                     const struct csv_options *o);

/* One record of the input as the current row (r->where and r->line set by the caller), through
 * the derived fields, the filter and the sink. Returns 0 or the sink's code. */
int rows_csv_record(struct rows *r, const struct csv_record *rec);

/* A CSV reader's error e of file as a note: code "run.file_error" or "run.row_rejected_at". */
void rows_csv_error(struct rows *r, const char *level, const char *code, const char *file,
                    const struct csv_error *e);

/* Reads the lines of r->cfg->follow.file appended since r->follow's position (file_follow.h).
 * Returns 0, or an ACDL_E* code after a note. */
int rows_follow_read(struct rows *r);

#endif
