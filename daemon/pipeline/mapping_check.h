/* mapping_check.h: inputs of a mapping that name an external queue or metric their source never
 * delivered (a typo such as "3O1" or "handel_time"), told as warnings when a mapping is saved
 * and listed. What a source delivers is known from its staged data (ext_queues and the metrics
 * each external queue delivered), its last discovery (pipeline/discover.h, kept in memory) and,
 * for metrics, its settings (the CSV interval layout's metric names and derived fields, the
 * contact layout's offered, handled, abandoned and handle_time). Nothing known: nothing to
 * warn about. */
#ifndef ACDL_PIPELINE_MAPPING_CHECK_H
#define ACDL_PIPELINE_MAPPING_CHECK_H
#include <jansson.h>

#include "store/mappings.h"
#include "store/store.h"

/* The warnings for m's inputs (new reference, an array, empty when every input is known):
 * [{"field": "inputs[0].ext_queue", "code": "unknown_ext_queue" | "unknown_metric",
 * "message": "...", "suggestion": "301" | null}]. Store errors leave an input unchecked. */
json_t *mapping_check_inputs(struct store_conn *c, const struct store_mapping *m);

#endif
