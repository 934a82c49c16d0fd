/* table.c: the route table: every API endpoint, its handler, minimum role and body limit.
 * GET /api/v1/endpoints serves this table, and a test compares it with docs/openapi.yaml. */
#include "http/answers.h"
#include "http/routes/routes.h"

#define KB 1024

const struct route http_routes[] = {
    {"GET", "/api/v1/health", route_health_get, ROLE_PUBLIC, 0},
    {"GET", "/api/v1/endpoints", route_endpoints_list, ROLE_VIEWER, 0},
    {"GET", "/api/v1/roots", route_roots_get, ROLE_VIEWER, 0},
    {"GET", "/api/v1/overview", route_overview_get, ROLE_VIEWER, 0},

    {"POST", "/api/v1/auth/login", route_auth_login, ROLE_PUBLIC, 4 * KB},
    {"POST", "/api/v1/auth/logout", route_auth_logout, ROLE_VIEWER, 0},
    {"GET", "/api/v1/auth/session", route_auth_session, ROLE_VIEWER, 0},
    {"POST", "/api/v1/auth/password", route_auth_password, ROLE_VIEWER, 4 * KB},

    {"GET", "/api/v1/users", route_users_list, ROLE_ADMIN, 0},
    {"POST", "/api/v1/users", route_users_create, ROLE_ADMIN, 64 * KB},
    {"GET", "/api/v1/users/{id}", route_users_get, ROLE_ADMIN, 0},
    {"PATCH", "/api/v1/users/{id}", route_users_update, ROLE_ADMIN, 64 * KB},
    {"DELETE", "/api/v1/users/{id}", route_users_delete, ROLE_ADMIN, 0},

    {"GET", "/api/v1/tokens", route_tokens_list, ROLE_ADMIN, 0},
    {"POST", "/api/v1/tokens", route_tokens_create, ROLE_ADMIN, 64 * KB},
    {"DELETE", "/api/v1/tokens/{id}", route_tokens_revoke, ROLE_ADMIN, 0},

    {"GET", "/api/v1/audit", route_audit_list, ROLE_ADMIN, 0},

    {"GET", "/api/v1/queues", route_queues_list, ROLE_VIEWER, 0},
    {"POST", "/api/v1/queues", route_queues_create, ROLE_OPERATOR, 16 * KB},
    {"GET", "/api/v1/queues/{id}", route_queues_get, ROLE_VIEWER, 0},
    {"PATCH", "/api/v1/queues/{id}", route_queues_update, ROLE_OPERATOR, 16 * KB},
    {"DELETE", "/api/v1/queues/{id}", route_queues_delete, ROLE_OPERATOR, 0},
    {"POST", "/api/v1/queues/{id}/copy-mappings", route_queues_copy_mappings, ROLE_OPERATOR,
     256 * KB},

    {"GET", "/api/v1/value-types", route_value_types_list, ROLE_VIEWER, 0},
    {"POST", "/api/v1/value-types", route_value_types_create, ROLE_OPERATOR, 16 * KB},
    {"PATCH", "/api/v1/value-types/{id}", route_value_types_update, ROLE_OPERATOR, 16 * KB},
    {"DELETE", "/api/v1/value-types/{id}", route_value_types_delete, ROLE_OPERATOR, 0},

    {"GET", "/api/v1/sources", route_sources_list, ROLE_VIEWER, 0},
    {"POST", "/api/v1/sources", route_sources_create, ROLE_OPERATOR, 256 * KB},
    {"GET", "/api/v1/sources/{id}", route_sources_get, ROLE_VIEWER, 0},
    {"PATCH", "/api/v1/sources/{id}", route_sources_update, ROLE_OPERATOR, 256 * KB},
    {"DELETE", "/api/v1/sources/{id}", route_sources_delete, ROLE_OPERATOR, 0},
    {"GET", "/api/v1/source-presets", route_source_presets_list, ROLE_VIEWER, 0},
    {"POST", "/api/v1/sources/{id}/preview", route_sources_preview, ROLE_OPERATOR, 4 * KB},
    {"POST", "/api/v1/sources/{id}/discover", route_sources_discover, ROLE_OPERATOR, 4 * KB},
    {"GET", "/api/v1/jobs/{id}", route_jobs_get, ROLE_VIEWER, 0},

    {"GET", "/api/v1/runs", route_runs_list, ROLE_VIEWER, 0},
    {"POST", "/api/v1/runs", route_runs_create, ROLE_OPERATOR, 4 * KB},
    {"GET", "/api/v1/runs/{id}", route_runs_get, ROLE_VIEWER, 0},
    {"GET", "/api/v1/runs/{id}/log", route_runs_log, ROLE_VIEWER, 0},
    {"POST", "/api/v1/runs/{id}/cancel", route_runs_cancel, ROLE_OPERATOR, 0},

    {"GET", "/api/v1/mappings", route_mappings_list, ROLE_VIEWER, 0},
    {"POST", "/api/v1/mappings", route_mappings_create, ROLE_OPERATOR, 64 * KB},
    {"POST", "/api/v1/mappings/bulk", route_mappings_bulk, ROLE_OPERATOR, 1024 * KB},
    {"GET", "/api/v1/mappings/{id}", route_mappings_get, ROLE_VIEWER, 0},
    {"PATCH", "/api/v1/mappings/{id}", route_mappings_update, ROLE_OPERATOR, 64 * KB},
    {"DELETE", "/api/v1/mappings/{id}", route_mappings_delete, ROLE_OPERATOR, 0},
    {"GET", "/api/v1/unmapped-queues", route_unmapped_list, ROLE_VIEWER, 0},
    {"GET", "/api/v1/ext-queues", route_ext_queues_list, ROLE_VIEWER, 0},
    {"GET", "/api/v1/results", route_results_list, ROLE_VIEWER, 0},
    {"GET", "/api/v1/results/csv", route_results_csv, ROLE_VIEWER, 0},
    {"GET", "/api/v1/recomputes", route_recomputes_list, ROLE_VIEWER, 0},

    {"GET", "/api/v1/activities", route_activities_list, ROLE_VIEWER, 0},
    {"POST", "/api/v1/activities", route_activities_create, ROLE_OPERATOR, 16 * KB},
    {"GET", "/api/v1/activities/{id}", route_activities_get, ROLE_VIEWER, 0},
    {"PATCH", "/api/v1/activities/{id}", route_activities_update, ROLE_OPERATOR, 16 * KB},
    {"DELETE", "/api/v1/activities/{id}", route_activities_delete, ROLE_OPERATOR, 0},
    {"GET", "/api/v1/activity-codes", route_activity_codes_list, ROLE_VIEWER, 0},
    {"POST", "/api/v1/activity-codes", route_activity_codes_map, ROLE_OPERATOR, 4 * KB},
    {"GET", "/api/v1/agents", route_agents_list, ROLE_VIEWER, 0},
    {"POST", "/api/v1/agents", route_agents_create, ROLE_OPERATOR, 64 * KB},
    {"GET", "/api/v1/agents/live", route_agents_live, ROLE_VIEWER, 0},
    {"GET", "/api/v1/agents/{id}", route_agents_get, ROLE_VIEWER, 0},
    {"PATCH", "/api/v1/agents/{id}", route_agents_update, ROLE_OPERATOR, 64 * KB},
    {"DELETE", "/api/v1/agents/{id}", route_agents_delete, ROLE_OPERATOR, 0},
    {"GET", "/api/v1/unknown-agents", route_unknown_agents_list, ROLE_VIEWER, 0},
    {"POST", "/api/v1/agent-ids", route_agent_ids_map, ROLE_OPERATOR, 1024 * KB},
    {"GET", "/api/v1/agent-states", route_agent_states_list, ROLE_VIEWER, 0},

    {"GET", "/api/v1/schedules", route_schedules_list, ROLE_VIEWER, 0},
    {"POST", "/api/v1/schedules", route_schedules_create, ROLE_OPERATOR, 4 * KB},
    {"GET", "/api/v1/schedules/{id}", route_schedules_get, ROLE_VIEWER, 0},
    {"PATCH", "/api/v1/schedules/{id}", route_schedules_update, ROLE_OPERATOR, 4 * KB},
    {"DELETE", "/api/v1/schedules/{id}", route_schedules_delete, ROLE_OPERATOR, 0},
    {"POST", "/api/v1/schedules/{id}/run", route_schedules_run, ROLE_OPERATOR, 0},

    {"GET", "/api/v1/config", route_config_get, ROLE_VIEWER, 0},
    {"POST", "/api/v1/config/apply", route_config_apply, ROLE_OPERATOR, 8 * KB *KB},
    {"GET", "/api/v1/backup", route_backup_get, ROLE_ADMIN, 0},
    {"GET", "/api/v1/targets", route_targets_list, ROLE_VIEWER, 0},
    {"POST", "/api/v1/targets", route_targets_create, ROLE_OPERATOR, 64 * KB},
    {"GET", "/api/v1/targets/{id}", route_targets_get, ROLE_VIEWER, 0},
    {"PATCH", "/api/v1/targets/{id}", route_targets_update, ROLE_OPERATOR, 64 * KB},
    {"DELETE", "/api/v1/targets/{id}", route_targets_delete, ROLE_OPERATOR, 0},
    {"POST", "/api/v1/targets/{id}/test", route_targets_test, ROLE_OPERATOR, 0},
    {"POST", "/api/v1/targets/{id}/resend", route_targets_resend, ROLE_OPERATOR, 4 * KB},
    {"GET", "/api/v1/resends", route_resends_list, ROLE_VIEWER, 0},
    {"GET", "/api/v1/resends/{id}", route_resends_get, ROLE_VIEWER, 0},
    {"GET", "/api/v1/alerts/channels", route_alert_channels_list, ROLE_ADMIN, 0},
    {"POST", "/api/v1/alerts/channels", route_alert_channels_create, ROLE_ADMIN, 64 * KB},
    {"GET", "/api/v1/alerts/channels/{id}", route_alert_channels_get, ROLE_ADMIN, 0},
    {"PATCH", "/api/v1/alerts/channels/{id}", route_alert_channels_update, ROLE_ADMIN, 64 * KB},
    {"DELETE", "/api/v1/alerts/channels/{id}", route_alert_channels_delete, ROLE_ADMIN, 0},
    {"POST", "/api/v1/alerts/channels/{id}/test", route_alert_channels_test, ROLE_ADMIN, 0},
    {"GET", "/api/v1/alerts/rules", route_alert_rules_list, ROLE_ADMIN, 0},
    {"POST", "/api/v1/alerts/rules", route_alert_rules_create, ROLE_ADMIN, 4 * KB},
    {"GET", "/api/v1/alerts/rules/{id}", route_alert_rules_get, ROLE_ADMIN, 0},
    {"PATCH", "/api/v1/alerts/rules/{id}", route_alert_rules_update, ROLE_ADMIN, 4 * KB},
    {"DELETE", "/api/v1/alerts/rules/{id}", route_alert_rules_delete, ROLE_ADMIN, 0},
    {"GET", "/api/v1/alerts/notices", route_alert_notices_list, ROLE_ADMIN, 0},
    {"GET", "/api/v1/deliveries", route_deliveries_list, ROLE_VIEWER, 0},
    {"GET", "/api/v1/deliveries/{id}", route_deliveries_get, ROLE_VIEWER, 0},
    {"POST", "/api/v1/deliveries/{id}/retry", route_deliveries_retry, ROLE_OPERATOR, 0},
    {"GET", "/api/v1/backlog", route_backlog_get, ROLE_VIEWER, 0},
    {"GET", "/api/v1/metrics", route_metrics_get, ROLE_VIEWER, 0},
    {"POST", "/api/v1/xlink-imports", route_xlink_import, ROLE_OPERATOR, 8 * KB *KB},
};
const size_t http_route_count = sizeof(http_routes) / sizeof(http_routes[0]);

/* the answers of the queue routes read wfm_queues only (answers.h: ANSWERS_GROUP_QUEUES) */
const struct http_cached_route http_cached_routes[] = {
    {route_queues_list, ANSWERS_GROUP_QUEUES},
    {route_queues_get, ANSWERS_GROUP_QUEUES},
    {route_results_list, ANSWERS_GROUP_ALL},
};
const size_t http_cached_route_count = sizeof(http_cached_routes) / sizeof(http_cached_routes[0]);
