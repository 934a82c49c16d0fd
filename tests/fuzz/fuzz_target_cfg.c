/* fuzz_target_cfg.c: libFuzzer target for target settings (the connectors' check functions in
 * daemon/upload/): arbitrary JSON for each connector is validated; accepted settings must be
 * accepted again unchanged, and a batch built with them (date and time formats, columns,
 * quoting, contact-event expansion) must be well-formed. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/roots.h"
#include "core/err.h"
#include "upload/connector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"injixo-api", "csv-export", "https-json"};
    static int roots_ready;
    char err[512];
    if (size < 1 || size > 65536) {
        return 0;
    }
    if (!roots_ready) {
        /* csv-export folders anywhere but in a data folder that does not exist */
        struct acdl_config cfg;
        config_defaults(&cfg);
        snprintf(cfg.data_dir, sizeof(cfg.data_dir), "/nonexistent/acdlink-fuzz");
        snprintf(cfg.export_roots, sizeof(cfg.export_roots), "/");
        roots_ready = roots_init(&cfg, err, sizeof(err)) == ACDL_OK;
    }
    const struct upload_connector *con = upload_connector_find(names[data[0] % 3]);
    json_t *j = json_loadb((const char *)data + 1, size - 1, JSON_REJECT_DUPLICATES, NULL);
    if (!j || !json_is_object(j)) {
        json_decref(j);
        return 0;
    }
    if (con->check(&j, err, sizeof(err)) == ACDL_OK) {
        json_t *again = json_deep_copy(j);
        if (con->check(&again, err, sizeof(err)) != ACDL_OK || !json_equal(j, again)) {
            abort(); /* normalised settings must pass again, unchanged */
        }
        json_decref(again);
        struct upload_row row;
        memset(&row, 0, sizeof(row));
        snprintf(row.queue_identifier, sizeof(row.queue_identifier), "Q;\"1");
        snprintf(row.queue_name, sizeof(row.queue_name), "Queue");
        snprintf(row.channel, sizeof(row.channel), "calls");
        snprintf(row.time_zone, sizeof(row.time_zone), "Europe/Berlin");
        row.interval_minutes = 15;
        row.interval_start = 1792888200;
        row.nvalues = 3;
        snprintf(row.values[0].key, sizeof(row.values[0].key), "offered");
        row.values[0].value = (double)(data[0] % 50);
        snprintf(row.values[1].key, sizeof(row.values[1].key), "handled");
        row.values[1].value = (double)(data[0] % 7);
        snprintf(row.values[2].key, sizeof(row.values[2].key), "aht");
        row.values[2].value = 123.456;
        struct upload_target t = {1, "fuzz", "", j, NULL};
        struct upload_payload p;
        memset(&p, 0, sizeof(p));
        if (con->build(&t, &row, 1, "00112233445566778899aabbccddeeff", &p) == ACDL_OK) {
            int wants_endpoint = strcmp(con->name, "https-json") != 0;
            if (!p.body || strlen(p.body) != p.len || (p.endpoint[0] != '\0') != wants_endpoint) {
                abort();
            }
        }
        upload_payload_clear(&p);
    }
    json_decref(j);
    return 0;
}
