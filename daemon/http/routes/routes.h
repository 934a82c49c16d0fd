/* routes.h: the handlers named in the route table. */
#ifndef ACDL_HTTP_ROUTES_H
#define ACDL_HTTP_ROUTES_H
#include "http/http.h"
#include "store/store.h"

int route_alert_channels_list(struct req *r);
int route_alert_channels_create(struct req *r);
int route_alert_channels_get(struct req *r);
int route_alert_channels_update(struct req *r);
int route_alert_channels_delete(struct req *r);
int route_alert_channels_test(struct req *r);
int route_alert_rules_list(struct req *r);
int route_alert_rules_create(struct req *r);
int route_alert_rules_get(struct req *r);
int route_alert_rules_update(struct req *r);
int route_alert_rules_delete(struct req *r);
int route_alert_notices_list(struct req *r);
int route_health_get(struct req *r);
int route_endpoints_list(struct req *r);
int route_roots_get(struct req *r);
int route_overview_get(struct req *r);
int route_auth_login(struct req *r);
int route_auth_logout(struct req *r);
int route_auth_session(struct req *r);
int route_auth_password(struct req *r);
int route_users_list(struct req *r);
int route_users_create(struct req *r);
int route_users_get(struct req *r);
int route_users_update(struct req *r);
int route_users_delete(struct req *r);
int route_tokens_list(struct req *r);
int route_tokens_create(struct req *r);
int route_tokens_revoke(struct req *r);
int route_audit_list(struct req *r);
int route_queues_list(struct req *r);
int route_queues_create(struct req *r);
int route_queues_get(struct req *r);
int route_queues_update(struct req *r);
int route_queues_delete(struct req *r);
int route_value_types_list(struct req *r);
int route_value_types_create(struct req *r);
int route_value_types_update(struct req *r);
int route_value_types_delete(struct req *r);
int route_sources_list(struct req *r);
int route_sources_create(struct req *r);
int route_sources_get(struct req *r);
int route_sources_update(struct req *r);
int route_sources_delete(struct req *r);
int route_source_presets_list(struct req *r);
int route_sources_preview(struct req *r);
int route_sources_discover(struct req *r);
int route_jobs_get(struct req *r);
int route_runs_create(struct req *r);
int route_runs_list(struct req *r);
int route_runs_get(struct req *r);
int route_runs_log(struct req *r);
int route_runs_cancel(struct req *r);
int route_mappings_list(struct req *r);
int route_mappings_create(struct req *r);
int route_mappings_get(struct req *r);
int route_mappings_update(struct req *r);
int route_mappings_delete(struct req *r);
int route_results_list(struct req *r);
int route_results_csv(struct req *r);
struct store_queue;
struct tz;
/* GET /api/v1/results across queues with limit and cursor (results_page.c): used when the
 * request names no queue or several, or asks for a page; route_results_paged() says so. */
int route_results_paged(struct req *r);
int route_results_page(struct req *r);
/* The WFM queue named by id or identifier into *q; ACDL_ENOTFOUND when there is none. */
int route_results_queue_find(struct store_conn *c, const char *text, struct store_queue *q);
/* "YYYY-MM-DDTHH:MM+hh:mm": interval start t in the zone tz. */
void route_results_local(struct tz *tz, int64_t t, char *out, size_t outsz);
int route_unmapped_list(struct req *r);
int route_ext_queues_list(struct req *r);
int route_recomputes_list(struct req *r);
int route_schedules_list(struct req *r);
int route_schedules_create(struct req *r);
int route_schedules_get(struct req *r);
int route_schedules_update(struct req *r);
int route_schedules_delete(struct req *r);
int route_schedules_run(struct req *r);
int route_backup_get(struct req *r);
int route_targets_list(struct req *r);
int route_targets_create(struct req *r);
int route_targets_get(struct req *r);
int route_targets_update(struct req *r);
int route_targets_delete(struct req *r);
int route_targets_test(struct req *r);
int route_targets_resend(struct req *r);
int route_resends_list(struct req *r);
int route_resends_get(struct req *r);
int route_deliveries_list(struct req *r);
int route_deliveries_get(struct req *r);
int route_deliveries_retry(struct req *r);
int route_backlog_get(struct req *r);
int route_metrics_get(struct req *r);
int route_activities_list(struct req *r);
int route_activities_create(struct req *r);
int route_activities_get(struct req *r);
int route_activities_update(struct req *r);
int route_activities_delete(struct req *r);
int route_activity_codes_list(struct req *r);
int route_activity_codes_map(struct req *r);
int route_agents_list(struct req *r);
int route_agents_create(struct req *r);
int route_agents_get(struct req *r);
int route_agents_update(struct req *r);
int route_agents_delete(struct req *r);
int route_unknown_agents_list(struct req *r);
int route_agent_ids_map(struct req *r);
int route_agent_states_list(struct req *r);
int route_agents_live(struct req *r);
int route_xlink_import(struct req *r);

/* Shared validation of users and tokens (routes/users.c). Return NULL when fine, else the
 * reason. */
const char *route_check_name(const char *name);
const char *route_check_role(const char *role);
const char *route_check_password(const char *pw);
/* Makes an API token (routes/tokens.c) on the held connection c: a new secret (written to
 * secret, shown once, never stored) whose SHA-256 is stored with name, role, creator and owner;
 * expires_at 0: never. *out gets the stored token. Returns 0 or an ACDL_E* code. */
#define TOKEN_MAX_DAYS 3650
struct store_token;
int route_token_mint(struct store_conn *c, const char *name, const char *role, const char *creator,
                     int64_t owner_id, int64_t expires_at, char *secret, size_t secretsz,
                     struct store_token *out);
/* Non-empty, at most max bytes, no control characters (routes/queues.c). */
const char *route_check_text(const char *s, size_t max);

/* A WFM queue's fields checked (its time zone made canonical): NULL when fine, else the hint,
 * with msg "field: reason" (routes/queues.c). */
struct store_queue;
const char *route_queue_problem(struct store_queue *q, char *msg, size_t msgsz);
/* The API's JSON of a queue (routes/queues.c) and of a mapping (routes/mappings.c). New. */
json_t *route_queue_json(const struct store_queue *q);
struct store_mapping;
json_t *route_mapping_json(const struct store_mapping *m);

/* Several mappings at once (routes/mappings_bulk.c): WFM queues and their mappings from
 * external queues of one source, and a queue's mappings copied to other queues. */
int route_mappings_bulk(struct req *r);
int route_queues_copy_mappings(struct req *r);

int route_config_get(struct req *r);
int route_config_apply(struct req *r);

/* Agent-state helpers (routes/activities.c): ?source= (0 when absent; answers 400 when bad),
 * and a check that a source id names an agent-state source (answers 422 when not). */
int route_agent_source_param(struct req *r, int64_t *source_id);
int route_agent_source_check(struct req *r, struct store_conn *c, int64_t source_id);

/* A run as GET /api/v1/runs/{id} answers it (runs.c). New reference. */
struct store_run;
json_t *route_run_json(const struct store_run *run);

#endif
