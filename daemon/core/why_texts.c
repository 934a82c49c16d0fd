/* why_texts.c: the message codes of the API's validation texts (see why.h, why_match).
 *
 * Validators word a refused field as "FIELD: WHY" in English; this table gives each WHY (and
 * each whole message without a field) its message code, with "{name}" standing for a part
 * that varies (a value, a limit): the part becomes the parameter name. The console has a text
 * for each code in every language; a test checks that (web/test/messages.test.mjs). */
#include "core/why.h"

#include <stdio.h>
#include <string.h>

struct why_text {
    const char *tmpl;
    const char *code;
};

static const struct why_text texts[] = {
    {"must not be empty", "val.not_empty"},
    {"is too long", "val.too_long"},
    {"must not contain control characters", "val.control_chars"},
    {"is too long or contains a NUL character", "val.nul"},
    {"must be a string", "val.string"},
    {"must be true or false", "val.bool"},
    {"must be a boolean", "val.boolean"},
    {"must be an object", "val.object"},
    {"is not a known setting", "val.unknown_setting"},
    {"a column number must be from 1 to 100000", "val.column_number"},
    {"must be a column name (text) or a column number", "val.column_ref"},
    {"must be an absolute path: a Windows share (UNC path) is not a folder here; mount it and give "
     "the mounted folder",
     "val.unc"},
    {"must be an object with the folder and file settings", "val.csv_object"},
    {"is required: the folder the ACD writes its files to", "val.folder_required"},
    {"is a file-name pattern like *.csv, without folders, ':' or '..'", "val.pattern"},
    {"must be one character such as , ; | or a tab", "val.separator"},
    {"must be one character other than the separator, or \"\" for none", "val.quote"},
    {"must be utf-8, windows-1252, iso-8859-1, utf-16le or utf-16be", "val.encoding"},
    {"must be dmy, mdy or ymd", "val.date_order"},
    {"must be keep, move or delete", "val.after_import"},
    {"must be whole or changes", "val.agent_days"},
    {"is required as an absolute path when after_import is move", "val.archive_required"},
    {"must be an object with the connection and the SQL", "val.odbc_object"},
    {"give either a DSN name or a connection string", "val.dsn_or_cs"},
    {"give either SQL or a preset", "val.sql_or_preset"},
    {"is not a known preset (see GET /api/v1/source-presets)", "val.preset_unknown"},
    {"reads another layout than the source's", "val.preset_layout"},
    {"FILEDSN= and SAVEFILE= name files; use a DSN of the machine or the connection's own keys",
     "val.filedsn"},
    {"belongs to CSV sources; this one is odbc", "val.belongs_csv"},
    {"belongs to ODBC sources; this one is csv", "val.belongs_odbc"},
    {"belongs to ODBC sources", "val.belongs_odbc_only"},
    {"belongs to the contact layout", "val.belongs_contact"},
    {"belongs to the contact layout (its answered column)", "val.belongs_contact_answered"},
    {"must be an object of column roles", "val.columns_object"},
    {"is required: the column with the queue (split, skill, call type)", "val.queue_required"},
    {"give a timestamp column, or both a date and a time column", "val.ts_or_date_time"},
    {"give a timestamp column or date and time columns, not both", "val.ts_not_both"},
    {"is required with a date column (or give one timestamp column instead)", "val.time_with_date"},
    {"is required with a time column (or give one timestamp column instead)", "val.date_with_time"},
    {"is required by the contact layout: the column that tells whether a contact was answered",
     "val.answered_required"},
    {"is required by the contact layout: the column with the handle time", "val.duration_required"},
    {"is required with answered_values: a value in neither list is a row error",
     "val.answered_with_unanswered"},
    {"is required with unanswered_values: a value in neither list is a row error",
     "val.unanswered_with_answered"},
    {"must be a list of 1 to 32 values (text)", "val.values_list"},
    {"must be a value of at most 64 characters (text)", "val.value_64"},
    {"must map metric names to columns", "val.metrics_map"},
    {"metric names are 1-64 letters, digits, space, _ - .", "val.metric_name"},
    {"has more than 64 metrics", "val.metrics_many"},
    {"name at least one metric column, e.g. {\"offered\": \"Calls\"}", "val.metric_needed"},
    {"needs a column", "val.needs_column"},
    {"must be a list of at most 32 {name, expression}", "val.derived_list"},
    {"must be {\"name\": ..., \"expression\": ...}", "val.derived_item"},
    {"name: 1-64 letters, digits, space, _ - .", "val.derived_name"},
    {"name is used twice", "val.name_twice"},
    {"expression is longer than 1023 characters", "val.expr_long"},
    {"ODBC results follow the column contract; columns are for CSV sources", "val.odbc_contract"},
    {"agent-state sources have no metrics", "val.no_metrics_agents"},
    {"is required: the column with the agent id", "val.agent_required"},
    {"is required: the column with the activity (state or reason) code", "val.activity_required"},
    {"is required: the start timestamp (or the start time, with a date column)",
     "val.start_required"},
    {"is required: start_end, start_duration or start_only", "val.span_required"},
    {"must be start_end, start_duration or start_only", "val.span"},
    {"must be timestamp or id", "val.cursor_type"},
    {"must be an object {file, poll_s, reconcile_minutes, reconcile_hours}", "val.follow_object"},
    {"is the name of one file in csv.folder (e.g. queue_log), without folders, ':' or wildcards",
     "val.follow_file"},
    {"a followed file is read line by line: utf-8, windows-1252 or iso-8859-1",
     "val.follow_encoding"},
    {"a followed file stays where it is: csv.after_import must be keep", "val.follow_keep"},
    {"the one file preset is asterisk_queue_log_states, for agent states", "val.csv_preset"},
    {"the preset knows the file's columns (time|callid|queue|agent|event|data)",
     "val.csv_preset_columns"},
    {"must be a list of activity codes", "val.activity_codes"},
    {"must be an activity code (text)", "val.activity_code"},
    {"activity codes are 1-64 characters", "val.activity_code_len"},
    {"has more than 32 codes", "val.codes_many"},
    {"must be 15, 30 or 60", "val.interval_15_30_60"},
    {"'{value}' is not a known time zone", "val.unknown_zone"},
    {"'{value}' is not csv or odbc", "val.not_csv_odbc"},
    {"'{value}' is not interval or contact", "val.not_layout"},
    {"'{value}' is not contacts or agent_states", "val.not_product"},
    {"agent-state sources have no contact layout", "val.agents_no_layout"},
    {"CSV sources have none", "val.csv_no_password"},
    {"must be text of at most 1024 bytes, or null", "val.password_text"},
    {"holds a password (PWD= or Password=), which would be readable by every viewer",
     "val.connstr_password"},
    {"holds a password (password=, sslpassword= or a URI), which would be readable by every "
     "viewer",
     "val.pqopt_password"},
    {"holds a key's passphrase, which would be readable by every viewer",
     "val.connstr_key_passphrase"},
    {"'{value}' is not a date", "val.not_date"},
    {"must be from 1 to 200", "val.rows_1_200"},
    {"must be from 5 to 1440", "val.every_minutes"},
    {"must be from 0 to every_minutes - 1", "val.offset_minutes"},
    {"'{value}' is not a time of day", "val.not_time_of_day"},
    {"must be from 1 to 400", "val.days_back"},
    {"'{value}' is not every or daily", "val.not_every_daily"},
    {"the schedule never fires", "val.never_fires"},
    {"no source {id}", "val.no_source"},
    {"no queue {id}", "val.no_queue"},
    {"no value type '{value}'", "val.no_value_type"},
    {"the schedule's period cannot be computed in '{zone}'", "val.zone_period"},
    {"'{value}' is not a unit", "val.not_unit"},
    {"'{value}' is not sum or weighted", "val.not_combine"},
    {"'{value}' is not a summed value type", "val.not_summed"},
    {"a weighted value type needs another value type as weight", "val.weight_needed"},
    {"must be a string or null", "val.weight_string"},
    {"only a weighted value type has a weight", "val.weight_only_weighted"},
    {"'{value}' is not a connector", "val.not_connector"},
    {"must be text of 1..4096 bytes without line breaks, or null", "val.secret_4096"},
    {"must be text of 1..1024 bytes without line breaks, or null", "val.secret_1024"},
    {"must be 1..{max}", "val.range"},
    {"is longer than {max} characters", "val.longer_than"},
    {"must be the 64 hex digits of the SHA-256 of the server certificate (DER)", "val.pin"},
    {"give the CA certificate either as text (ca_pem) or as a file (ca_file), not both",
     "val.ca_both"},
    {"must be the positive number shown on the integration's page", "val.icid"},
    {"must be 1..128 characters", "val.external_system"},
    {"give the folder the WFM's file collector watches", "val.csv_folder_needed"},
    {"one character such as ; , | or a tab", "val.export_separator"},
    {"'{separator}' is in what {format} writes ({example}): choose another separator or format",
     "val.export_separator_in_format"},
    {"'{separator}' is in the values written ({example}): choose another separator",
     "val.export_separator_in_values"},
    {"1..64 characters without / \\ : * ? \" < > | and not starting with '.'", "val.file_prefix"},
    {"must start with https:// (certificates are always verified)", "val.url_https"},
    {"must be https://host[:port]/path without user, spaces or fragment", "val.url_form"},
    {"has no host", "val.url_no_host"},
    {"has a bad host", "val.url_bad_host"},
    {"has a bad port", "val.url_bad_port"},
    {"must be admin, operator or viewer", "val.role"},
    {"current_password is wrong", "val.wrong_password"},
    {"a run covers at most {max} days", "val.run_days"},
    {"{to} is before from {from}", "val.before_from"},
    {"must be a list of 1 to {max} inputs", "val.inputs_list"},
    {"must be {source_id, ext_queue, metric}", "val.input_item"},
    {"the source delivers {source}-minute intervals, the queue plans {queue}-minute ones",
     "val.interval_mismatch"},
    {"must be text of at most 4096 characters, or null", "val.formula_text"},
    {"'{value}' is not an event kind ({events})", "val.event_kind"},
    {"'{value}' is not a channel kind", "val.channel_kind"},
    {"no alert channel {id}", "val.no_channel"},
    {"must be 0..{max}", "val.min_interval"},
    {"must be json (acdlink's notice), slack or teams", "val.webhook_format"},
    {"must be auto, plain or login", "val.smtp_auth"},
    {"must be a list of 1..{max} addresses", "val.email_to"},
    {"must be at most 200 characters on one line", "val.smtp_user"},
    {"must be starttls (usually port 587) or tls (usually port 465); certificates are always "
     "verified",
     "val.smtp_security"},
    {"must be a non-empty list", "val.products_list"},
    {"must be contacts or agent_states", "val.products_item"},
    {"must be 1 to 64 characters long", "val.length_1_64"},
    {"may contain only letters A-Z, digits and . _ @ -", "val.user_name_chars"},
    {"must be at least 12 characters long", "val.password_short"},
    {"must be at most 1024 bytes long", "val.password_long"},
    {"may contain only a-z, 0-9 and _", "val.key_chars"},
    {"source '{source}' is mapped into this queue and delivers {have}-minute intervals, not "
     "{want}-minute ones",
     "val.queue_interval_conflict"},
    {"{to} is before from ({from})", "val.to_before_from"},
    {"the period has {days} days; at most {max} are sent at once", "val.resend_days"},
    {"must be a list of 1 to {max} queues", "val.list_queues"},
    {"must be a list of 1 to {max} value types", "val.list_value_types"},
    {"at most {max} mappings (queues x value types) at a time", "val.bulk_max"},
    {"must be a list of at most {max} ids", "val.list_ids"},
    {"line {line}: no WFM agent '{agent}' (nothing was changed)", "val.agents_line_unknown"},
    {"must be a list of 1 to {max} files", "val.list_files"},
    {"needs a plain file name and content_base64", "val.xlink_file"},
    {"not base64", "val.not_base64"},
    {"source {source} imports contact statistics", "val.source_contacts"},
    {"must be text or null", "val.text_or_null"},
    {"no activity '{activity}'", "val.no_activity"},
    {"longer than {max} bytes", "val.longer_bytes"},
    {"an empty object changes nothing", "val.empty_object"},
    {"holds no PEM certificate (-----BEGIN CERTIFICATE-----)", "val.ca_no_pem"},
    {"'{file}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)", "val.ca_file_no_pem"},
    {"'{file}' holds no PEM certificate (-----BEGIN CERTIFICATE-----); or paste the certificate as "
     "ca_pem",
     "val.ca_file_no_pem_pem"},
    {"has a damaged PEM block after certificate {number}", "val.ca_damaged"},
    {"'{file}' has a damaged PEM block after certificate {number}", "val.ca_file_damaged"},
    {"'{file}' has a damaged PEM block after certificate {number}; or paste the certificate as "
     "ca_pem",
     "val.ca_file_damaged_pem"},
    {"block {number} is a {name}, not a CERTIFICATE: give only the CA's certificate",
     "val.ca_not_cert"},
    {"'{file}' block {number} is a {name}, not a CERTIFICATE: give only the CA's certificate",
     "val.ca_file_not_cert"},
    {"'{file}' block {number} is a {name}, not a CERTIFICATE: give only the CA's certificate; or "
     "paste the certificate as ca_pem",
     "val.ca_file_not_cert_pem"},
    {"certificate {number} cannot be read as an X.509 certificate", "val.ca_unreadable"},
    {"'{file}' certificate {number} cannot be read as an X.509 certificate",
     "val.ca_file_unreadable"},
    {"'{file}' certificate {number} cannot be read as an X.509 certificate; or paste the "
     "certificate as ca_pem",
     "val.ca_file_unreadable_pem"},
    {"certificate {number} cannot be used", "val.ca_unusable"},
    {"'{file}' certificate {number} cannot be used", "val.ca_file_unusable"},
    {"'{file}' certificate {number} cannot be used; or paste the certificate as ca_pem",
     "val.ca_file_unusable_pem"},
    {"must be an address like name@example.com", "val.email_address"},
    {"must be a bare address (name@example.com) without spaces, names or brackets",
     "val.email_bare"},
    {"must be the SMTP server's host name or address", "val.smtp_host"},
    {"must be a host name or address (letters, digits, '.', '-', ':')", "val.host_chars"},
    {"queue '{queue}' plans {queue_minutes}-minute intervals, the mappings read "
     "{source_minutes}-minute ones",
     "val.bulk_interval"},
    {"'{metric}' looks like a total, but '{key}' is an average weighted by '{weight}'",
     "val.looks_total_bulk"},
    {"'{metric}' looks like a total, but '{key}' is an average weighted by '{weight}': its value "
     "would be the weighted mean of totals, not an average",
     "val.looks_total"},
    {"'{metric}' looks like an average, but '{key}' is a sum: its value would be a sum of averages",
     "val.looks_average"},
    {"'{name}' is listed twice", "val.listed_twice"},
    {"line {line} has no separator (a tab, ; or ,)", "val.pairs_no_separator"},
    {"more than {max} pairs", "val.pairs_max"},
    {"line {line}: ids are 1-128 characters, identifiers at most 128", "val.pairs_length"},
    {"line {line}: control characters or a second separator", "val.pairs_chars"},
    {"a list of 1..{max} {\"header\", \"value\"} objects", "val.export_columns"},
    {"needs header (at most 64 characters, no quotes, line breaks or separator) and value "
     "(start_date, start_time, end_date, end_time, agent or activity)",
     "val.export_agent_column"},
    {"needs header (at most 64 characters, no quotes, line breaks or separator) and value (queue, "
     "queue_name, channel, date, time or a value type key such as offered)",
     "val.export_column"},
    {"'{value}' is not a known time zone (e.g. UTC or Europe/Berlin)", "val.unknown_zone_example"},
    {"must be 1 to {max}", "val.one_to_max"},
    {"only daily schedules have it", "val.only_daily"},
    {"only every schedules have it", "val.only_every"},
    {"API tokens cannot change passwords", "val.token_no_password"},
    {"a queue with identifier '{identifier}' exists already", "val.queue_exists"},
    {"a run of '{source}' for {from} .. {to} is queued already", "val.run_queued_already"},
    {"a source named '{name}' exists already", "val.source_exists"},
    {"a target named '{name}' exists already", "val.target_exists"},
    {"a user named '{name}' exists already", "val.user_exists"},
    {"a value type with key '{key}' exists already", "val.value_type_exists"},
    {"an activity '{name}' exists already", "val.activity_exists"},
    {"an agent '{name}' exists already", "val.agent_exists"},
    {"an alert channel named '{name}' exists already", "val.channel_exists"},
    {"another backup is being made", "val.backup_busy"},
    {"authentication required", "val.auth_required"},
    {"batch {id} is {batch_state}", "val.batch_state"},
    {"must be a positive integer", "val.positive_integer"},
    {"'{external_id}' of source {source} belongs to another agent", "val.ext_id_taken"},
    {"no endpoint {method} {path}", "val.no_endpoint_method"},
    {"no endpoint {path}", "val.no_endpoint"},
    {"no job {id}", "val.no_job"},
    {"no object with id '{id}'", "val.no_object_id"},
    {"no such endpoint", "val.no_such_endpoint"},
    {"parameter '{name}' is not a time", "val.param_not_time"},
    {"parameter '{name}' is too long", "val.param_too_long"},
    {"parameter '{name}' (number {number}) is too long", "val.param_nth_too_long"},
    {"parameter '{name}' must be true or false", "val.param_bool"},
    {"parameter '{name}' is required", "val.param_required"},
    {"parameter '{name}' belongs to another query", "val.param_other_query"},
    {"parameter '{name}' is invalid", "val.param_invalid"},
    {"parameter '{name}' must be a source id", "val.param_source_id"},
    {"more than {max} queues", "val.more_queues"},
    {"parameters 'from' and 'to' are required dates", "val.from_to_required"},
    {"must be from 'from' to {days} days later", "val.to_range"},
    {"queue '{queue}' not found", "val.queue_not_found"},
    {"queue '{queue}' has a mapping for '{value_type}' already", "val.mapping_exists"},
    {"'{value}' is not a queue id", "val.not_queue_id"},
    {"'{value}' is not a batch state", "val.not_batch_state"},
    {"request body exceeds the limit of {max} bytes", "val.body_limit"},
    {"request body of {size} bytes exceeds the limit of {max} bytes", "val.body_size"},
    {"request body is not valid JSON: {detail} (line {line}, column {column})", "val.body_json"},
    {"request body must be a JSON object", "val.body_object"},
    {"request body must be application/json", "val.body_media_type"},
    {"this endpoint takes no request body", "val.no_body"},
    {"run {id} is {state}", "val.run_state"},
    {"stored passwords are set by admins only", "val.password_admins"},
    {"stored secrets are set by admins only", "val.secret_admins"},
    {"a target's address and trust settings are set by admins only", "val.target_address_admins"},
    {"the connection (dsn, connection_string) of a source that holds a password is changed by "
     "admins only",
     "val.source_connection_admins"},
    {"the answer would hold more than {max} results", "val.too_many_results"},
    {"the channel has a rule for {event} already", "val.rule_exists"},
    {"the last enabled admin cannot be deleted", "val.last_admin_delete"},
    {"this would leave no enabled admin", "val.no_admin_left"},
    {"the source '{name}' is disabled", "val.source_disabled"},
    {"this needs the {need_role} role; you have {your_role}", "val.role_needed"},
    {"too many failed logins; try again in {seconds} seconds", "val.login_throttled"},
    {"too many wrong passwords; try again in {seconds} seconds", "val.password_throttled"},
    {"too many failed logins; try again in {seconds} second", "val.login_throttled"},
    {"too many wrong passwords; try again in {seconds} second", "val.password_throttled"},
    {"wrong user name or password", "val.wrong_login"},
    {"your session has ended or the token is not valid", "val.session_ended"},
    {"'{name}' is built in: its unit and combination are fixed", "val.builtin_fixed"},
    {"'{name}' is built in and stays", "val.builtin_stays"},
    {"'{name}' is built in", "val.builtin"},
    {"'{name}' is in use by a mapping or as the weight of another value type",
     "val.value_type_in_use"},
    {"has an unclosed [IPv6] host", "val.url_ipv6_unclosed"},
    {"has a host with characters other than letters, digits, '.' and '-'", "val.url_host_chars"},
    {"has a path that is too long", "val.url_path_long"},
    {"must be an absolute path", "val.path_absolute"},
    {"must be a folder, not a device path (\\\\?\\ or \\\\.\\)", "val.path_device"},
    {"a network path needs a server and a share: \\\\server\\share\\folder", "val.path_share"},
    {"must not contain '..': give the folder itself", "val.path_dotdot"},
    {"'{value}' must not contain '..': name the file itself", "val.file_dotdot"},
    {"'{value}' is a file: URI: give the file's path", "val.file_uri"},
    {"must not contain : * ? \" < > | after the drive", "val.path_chars"},
    {"has a name ending in '.' or a space, which Windows drops", "val.path_trailing"},
    {"request refused: cross-site request", "val.csrf_cross_site"},
    {"request refused: the Origin header names another site", "val.csrf_origin"},
    {"request refused: opaque Origin", "val.csrf_opaque"},
    {"request refused: the X-CSRF-Token header is missing", "val.csrf_missing"},
    {"request refused: the X-CSRF-Token header does not match the session", "val.csrf_mismatch"},
    /* jansson's own words for a body or settings object that json_unpack_ex refused */
    {"{why} (a webhook takes {keys})", "val.json_webhook"},
    {"{why} (e-mail takes {keys})", "val.json_email"},
    {"{why} ({connector} takes {keys})", "val.json_connector"},
    {"Object item not found: {key}", "val.json_missing"},
    {"{n} object item(s) left unpacked: {keys}", "val.json_unknown"},
    {"{n} array item(s) left unpacked", "val.json_array_left"},
    {"Expected {expected}, got {got}", "val.json_type"},
    {"{why}; or paste the certificate as ca_pem", "val.ca_file_or_pem"},
    {"must be en, de or fr", "val.language"},
    /* the Xlink migration's refusals of its files (xlink/xlink.c, xlink/ini.c) */
    {"more than {max} files", "val.xlink_files_max"},
    {"'{value}' is not a time zone known here: give the Xlink server's IANA zone, e.g. "
     "Europe/Berlin (or leave it out for UTC)",
     "val.xlink_zone"},
    {"isps_ul.ini is missing: it holds the external systems to convert (take it from the Xlink "
     "folder, with isps.cfg, acd_map.ini and the $N.BAS scripts)",
     "val.xlink_isps_missing"},
    {"{file}: the file is empty ({size} bytes): take isps_ul.ini from the Xlink folder again",
     "val.xlink_empty"},
    {"{file}: a UTF-16 file (byte-order mark {bom}) with an odd number of bytes: it is cut short "
     "or damaged; copy it from the Xlink folder again",
     "val.xlink_utf16_odd"},
    {"{file}: not a text file ({n} control bytes in {size}): it looks like UTF-16 without a "
     "byte-order mark; save it again with one (Notepad: encoding \"Unicode\") or as UTF-8",
     "val.xlink_utf16_no_bom"},
    {"{file}: not a text file ({n} control bytes in {size}): take the ini file from the Xlink "
     "folder, not another file",
     "val.xlink_not_text"},
    {"{file}: is larger than {max} bytes; this is not an Xlink file", "val.xlink_too_large"},
    {"{file}:{line}: the line is longer than {max} bytes", "val.xlink_line_long"},
    {"{file}:{line}: more than {max} entries", "val.xlink_entries"},
    {"the converted setup was refused: {detail}", "val.xlink_refused"},
    /* why a mapping could not be computed (pipeline/mapping.c, pipeline/recompute.c): kept as
     * a recomputation's last error, so it is matched when shown, on any thread */
    {"cannot start a transaction: {detail}", "val.map_begin"},
    {"the mapping no longer exists", "val.map_gone"},
    {"the queue's time zone {zone} cannot be used", "val.map_zone"},
    {"bad period {from} .. {to}", "val.map_period"},
    {"writing results failed: {detail}", "val.map_write"},
    {"storing the results failed: {why}", "val.map_store"},
    {"cannot list the mappings: {detail}", "val.map_list"},
    {"the days stay due: {detail}", "val.map_due"},
    {"input p{n} (queue '{queue}'): a weighted average over several queues needs the '{key}' "
     "mapping of this WFM queue to include that queue",
     "val.map_weight_queue"},
    {"the results are written, but clearing the record failed", "val.map_record"},
    {"cannot read the pending recompute", "val.map_pending_read"},
    /* a formula's compile error (pipeline/expr.c notes it only on the thread that compiled) */
    {"the expression uses something that is not allowed: only the named values, operators, "
     "CASE, CAST and these functions: {functions}",
     "expr.not_allowed"},
    {"unknown name '{name}' (it is neither a field nor a function)", "expr.unknown_name"},
    {"unknown function '{name}' (the functions are: {functions})", "expr.unknown_function"},
    {"the expression must be 1 to {max} characters long", "expr.length"},
    {"too many names (at most {max})", "expr.too_many_names"},
    {"the expression must be one expression (no ';')", "expr.one_expression"},
    {"the expression must be one value", "expr.one_value"},
    {"'now', 'localtime' and 'utc' are not allowed in expressions: they depend on the clock or "
     "the machine's time zone (give the date functions a column or a fixed time)",
     "expr.clock"},
    {"mapping {id}: {why}", "val.map_failed"},
    {"mapping {id}: {detail}", "val.map_failed_detail"},
    {"reads contact statistics, not agent states", "val.preset_reads_contacts"},
    {"reads agent states, not contact statistics", "val.preset_reads_states"},
    {":since and :until belong to incremental agent-state sources; a source read by days uses "
     ":period_start and :period_end",
     "val.since_agent_states"},
    {"ODBC metrics are the result columns after the interval start", "val.odbc_metrics"},
    {"the contact layout has fixed metrics (offered, handled, handle_time)", "val.contact_metrics"},
    {":since and :until belong to incremental sources (settings.incremental); a source read by "
     "days uses :period_start and :period_end",
     "val.since_incremental"},
    {"must be an object {cursor_column, cursor_type, overlap_s, poll_s, reconcile_minutes, "
     "reconcile_hours, max_states_per_poll}",
     "val.incremental_object"},
    {"is required: the result column whose value grows with every change (a timestamp or an "
     "increasing id)",
     "val.cursor_required"},
    {"a preset's query reads whole days; give your own odbc.sql with :since",
     "val.incremental_preset"},
    {"an incremental query must use :since (e.g. WHERE changed_at >= :since): it is bound to the "
     "cursor's lower bound",
     "val.incremental_since"},
    {"an incremental query takes :since and :until, not :period_start or :period_end",
     "val.incremental_period"},
    {"must be an object {span, logout_activities, min_duration_s, split_at_midnight}",
     "val.agent_states_object"},
    {"differs from the preset's span form", "val.span_preset"},
    {"belong to the start_only span form (the others give each state's end)",
     "val.logout_start_only"},
    {"ODBC results follow the column contract: agent id, activity id, start, then end or duration",
     "val.odbc_state_columns"},
    {"is required: an object of column roles (agent, activity, start, ...)",
     "val.state_columns_required"},
    {"is required by the start_end span form", "val.end_required"},
    {"is required by the start_duration span form", "val.duration_required"},
    {"belongs to the start_end span form", "val.end_belongs"},
    {"belongs to the start_duration span form", "val.duration_belongs"},
    {"'{value}' is also in answered_values", "val.also_answered"},
    {"must be a whole number from {min} to {max}", "val.whole_number_range"},
    {"{key}= loads a library into the daemon; leave it out", "val.odbc_loads_library"},
    {"{key}= sends a statement of its own when connecting; leave it out (the source's SQL is the "
     "one statement sent)",
     "val.odbc_connect_statement"},
    {"the ODBC driver manager cannot list its drivers to check '{driver}'; check the ODBC "
     "installation",
     "val.odbc_drivers_unlisted"},
    {"'{value}' is not a whole number (the cursor is an id)", "val.cursor_not_whole"},
    {"reads a live-status table: give settings.live_status (e.g. {\"poll_s\": 1})",
     "val.live_status_needed"},
    {"must be an object {agent_column, state_column, reason_column, since_column, poll_s, "
     "history_sql, history_span, reconcile_minutes, reconcile_hours}",
     "val.live_status_object"},
    {"belongs to a reconciliation: give settings.live_status.history_sql or history_preset",
     "val.live_history_needed"},
    {"give either history_sql or history_preset", "val.live_history_either"},
    {"is not an agent-state preset read by days (see GET /api/v1/source-presets)",
     "val.live_history_preset"},
    {"a history query must use :since and may use :until (e.g. WHERE start_time >= :since AND "
     "start_time < :until), not :period_start or :period_end",
     "val.live_history_params"},
    {"a source follows either a cursor (incremental) or a live-status table, not both",
     "val.live_status_or_cursor"},
    {"the preset reads whole days; choose a live-status preset or give your own odbc.sql",
     "val.live_status_preset"},
    {"differs from the preset's column", "val.preset_column"},
    {"is required: the result column with the agent id", "val.live_agent_column"},
    {"is required: the result column with the agent's current state", "val.live_state_column"},
    {"a live-status query reads the table as it is now: it takes no parameters (:period_start, "
     ":since, ...)",
     "val.live_status_params"},
    {"a live-status table gives each state's start only: use start_only", "val.live_status_span"},
    {"out of memory", "val.out_of_memory"},
    /* texts of any resource (reply_rc()): last, so that the texts above match first */
    {"{method} is not allowed on {path}", "val.method_not_allowed"},
    {"{what} not found", "val.not_found"},
    {"{what} exists already", "val.exists_already"},
    {"{what} conflicts with the current state", "val.conflicts_state"},
};

/* 1 when t ("{...") opens a placeholder: a name of lower-case letters and '_' and a '}'. */
static int is_name(const char *t)
{
    size_t n = strspn(t + 1, "abcdefghijklmnopqrstuvwxyz_");
    return n > 0 && n <= 32 && t[1 + n] == '}';
}

/* 1 when s[0..n) holds ": ". */
static int memmem_colon(const char *s, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (s[i] == ':' && s[i + 1] == ' ') {
            return 1;
        }
    }
    return 0;
}

/* Matches text against tmpl; on a match sets *params (new) to the varying parts. */
static int match_one(const char *tmpl, const char *text, json_t **params)
{
    json_t *p = json_object();
    const char *t = tmpl, *s = text;
    while (p && *t) {
        if (*t != '{' || !is_name(t)) {
            if (*t != *s) {
                break;
            }
            t++;
            s++;
            continue;
        }
        const char *close = strchr(t, '}');
        if (!close || close - t > 32) {
            break;
        }
        char name[33];
        snprintf(name, sizeof(name), "%.*s", (int)(close - t - 1), t + 1);
        t = close + 1;
        size_t litlen = 0;
        while (t[litlen] && !(t[litlen] == '{' && is_name(t + litlen))) {
            litlen++;
        }
        const char *end;
        if (litlen == 0) {
            end = s + strlen(s);
        } else {
            char lit[400];
            snprintf(lit, sizeof(lit), "%.*s", (int)(litlen < sizeof(lit) ? litlen : 0), t);
            end = lit[0] ? strstr(s, lit) : NULL;
        }
        if (!end || end == s) {
            break;
        }
        /* a file is named without ": " (so "files: a.ini" is a field and a file) */
        if (!strcmp(name, "file") && memmem_colon(s, (size_t)(end - s))) {
            break;
        }
        /* counts, lines and limits are digits: "settings: 1" is no count */
        if ((!strcmp(name, "n") || !strcmp(name, "line") || !strcmp(name, "column") ||
             !strcmp(name, "number") || !strcmp(name, "size") || !strcmp(name, "id")) &&
            strspn(s, "0123456789") != (size_t)(end - s)) {
            break;
        }
        json_object_set_new(p, name, json_stringn(s, (size_t)(end - s)));
        s = end;
    }
    if (p && !*t && !*s) {
        *params = p;
        return 1;
    }
    json_decref(p);
    return 0;
}

int why_match_template(const char *tmpl, const char *text, json_t **params)
{
    return tmpl && text && match_one(tmpl, text, params);
}

int why_match(const char *text, char *code, size_t codesz, json_t **params)
{
    for (size_t i = 0; text && i < sizeof(texts) / sizeof(texts[0]); i++) {
        if (!match_one(texts[i].tmpl, text, params)) {
            continue;
        }
        /* a part named "why" must itself be a known text (so "settings: 1 object item(s)..."
         * is no "{why}; ..." of its own): its code and parameters go beside it */
        const char *why = json_string_value(json_object_get(*params, "why"));
        char wcode[48];
        json_t *wparams = NULL;
        if (why && !why_lookup(why, wcode, sizeof(wcode), &wparams) &&
            !why_match(why, wcode, sizeof(wcode), &wparams)) {
            json_decref(*params);
            *params = NULL;
            continue;
        }
        if (why) {
            json_object_set_new(*params, "why_code", json_string(wcode));
            json_object_set_new(*params, "why_params", wparams);
        }
        snprintf(code, codesz, "%s", texts[i].code);
        return 1;
    }
    return 0;
}
