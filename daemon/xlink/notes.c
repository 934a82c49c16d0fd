/* notes.c: the message codes of the conversion report's notes (the "detail" of its lines).
 *
 * Every report line explains itself in English; this table gives each note its message code,
 * and the parts that vary become its parameters, sent beside the text as "detail_codes" (one
 * entry per note of the line, in the order they were joined). The console words the notes in
 * the reader's language from them (web/src/i18n: "xlink.note.*"); a note without an entry
 * here keeps its English text. The last three entries are settings as they are (names and
 * values, the same in every language). */
#include "core/why.h"
#include "xlink/conv.h"

#include <string.h>

static const struct {
    const char *tmpl;
    const char *code;
} notes[] = {
    {"{what}: not a folder of this machine (a path of the Xlink server), so the source is created "
     "disabled: copy or mount the files here, inside acdlink's allowed import roots, set {setting} "
     "to that folder and enable the source",
     "xlink.note.folder_not_here"},
    {"the source '{source}' is not made (see its section in isps_ul.ini and the to-do list): "
     "create it, then map WFM queue '{queue}' in the console",
     "xlink.note.source_not_made"},
    {"an input of the mapping of line {line}: made with it", "xlink.note.input_made"},
    {"an input of the mapping of line {line}: not made, see there", "xlink.note.input_not_made"},
    {"acdlink logs to the journal or log_file and keeps each run's log with the run",
     "xlink.note.log_journal"},
    {"acdlink keeps the log of every run with the run (Runs page); no switch needed",
     "xlink.note.run_log_kept"},
    {"acdlink learns the activity codes from the data and lists those without a WFM activity "
     "(Activity codes); map them there",
     "xlink.note.activities_learned"},
    {"every file in the folder is read (pattern *), as Xlink did; files already imported are "
     "recognised by their SHA-256; the files are read as Windows-1252",
     "xlink.note.every_file_read"},
    {"not needed: acdlink has no fixed buffers or column type codes", "xlink.note.no_buffers"},
    {"acd_map.ini lines of the WFM system '{system}' are converted",
     "xlink.note.wfm_system_converted"},
    {"not given: acd_map.ini lines of every WFM system are converted",
     "xlink.note.every_wfm_system"},
    {"Xlink's own protocol (port {port}) is not used: acdlink delivers to the WFM through a target "
     "(e.g. the vendor's REST API); set one up",
     "xlink.note.xlink_protocol"},
    {"outside any [section]", "xlink.note.outside_section"},
    {"not used by acdlink", "xlink.note.not_used"},
    {"a bootstrap setting in acdlink: put log_file_max_kb = {kb} into acdlink.conf (logs rotate by "
     "default)",
     "xlink.note.log_file_max"},
    {"acdlink checks every mapping when it is saved; nothing to correct later",
     "xlink.note.mappings_checked"},
    {"acdlink has no global 'write zero values': intervals without data are left alone unless a "
     "run (or schedule) asks for zero_fill",
     "xlink.note.write_zero"},
    {"the WFM login of Xlink is not taken over (its password is never decoded): deliver through an "
     "acdlink target",
     "xlink.note.wfm_login"},
    {"acdlink imports every queue of the file and lists those without a mapping (Unmapped queues); "
     "names stay case-sensitive",
     "xlink.note.queues_listed_case"},
    {"acdlink learns the queues from the data and lists those without a mapping",
     "xlink.note.queues_listed"},
    {"{n} columns named; the columns other than queue, date and time are metrics",
     "xlink.note.columns_named"},
    {"column {column} '{name}' is the metric '{metric}'", "xlink.note.column_is_metric"},
    {"'{expr}' is the metric '{metric}'", "xlink.note.expr_is_metric"},
    {"column {column} holds an average handle time", "xlink.note.column_aht"},
    {"metric '{metric}' holds an average: map it to the value type aht, which acdlink weights by "
     "handled",
     "xlink.note.metric_average"},
    {"time_zone {zone} (UTC{offset} all year): a fixed offset has no daylight saving time; if the "
     "ACD writes local time with DST, set the region's zone instead (e.g. Europe/Berlin)",
     "xlink.note.fixed_offset"},
    {"the key is repeated; Xlink reads the first one (line {line})", "xlink.note.key_repeated"},
    {"no source made: {why}", "xlink.note.no_source"},
    {"no agent-state source made: {why}", "xlink.note.no_state_source"},
    {"{setting}: '{path}' is a Windows path; give a folder of this machine",
     "xlink.note.windows_path"},
    {"repeats the section [{section}] of line {line}: Windows reads only the first section of a "
     "name, so Xlink never read this one and neither does the migration; move keys that are needed "
     "into the section of line {first}",
     "xlink.note.section_repeated"},
    {"in the repeated section of line {line}: never read (the section of line {first} is)",
     "xlink.note.in_repeated"},
    {"odbc.dsn: create this DSN for unixODBC (odbc.ini) or the Windows driver manager on this "
     "machine",
     "xlink.note.dsn_create"},
    {"passwords are never taken over (Xlink's encodings are not encryption): the to-do list names "
     "the sources to set it for",
     "xlink.note.passwords_todo"},
    {"passwords are never taken over: set it on the source (see the to-do list)",
     "xlink.note.password_set"},
    {"the queue column of the query", "xlink.note.query_queue"},
    {"the interval start column of the query; rows are summed into intervals",
     "xlink.note.query_interval"},
    {"a date/time column", "xlink.note.datetime_column"},
    {"FROM of the query", "xlink.note.query_from"},
    {"FROM of the agent-state query", "xlink.note.state_query_from"},
    {"the agent id column", "xlink.note.agent_column"},
    {"the activity code column", "xlink.note.activity_column"},
    {"the state's start column", "xlink.note.start_column"},
    {"the state's duration column (seconds)", "xlink.note.duration_column"},
    {"only used with start-only states (ActivityTimeSpanType 2)", "xlink.note.start_only"},
    {"ODBC source '{name}'", "xlink.note.odbc_source"},
    {"ODBC source '{name}', created disabled: see the section's to-do",
     "xlink.note.odbc_source_disabled"},
    {"ODBC agent-state source '{name}'", "xlink.note.odbc_state_source"},
    {"ODBC agent-state source '{name}', created disabled: see the section's to-do",
     "xlink.note.odbc_state_source_disabled"},
    {"CSV source '{name}'", "xlink.note.csv_source"},
    {"CSV source '{name}', created disabled: see the section's to-do",
     "xlink.note.csv_source_disabled"},
    {"CSV agent-state source '{name}'", "xlink.note.csv_state_source"},
    {"CSV agent-state source '{name}', created disabled: see the section's to-do",
     "xlink.note.csv_state_source_disabled"},
    {"odbc.dsn of the section's sources", "xlink.note.sections_dsn"},
    {"a setting of Xlink's {vendor} interface: acdlink's preset does without it",
     "xlink.note.vendor_setting"},
    {"not set: 15-minute intervals assumed", "xlink.note.interval_assumed"},
    {"acdlink plans 15, 30 or 60-minute intervals; the source is created disabled with 15: "
     "aggregate the data to one of them",
     "xlink.note.interval_odd"},
    {"a fractional offset has no Etc zone; the source uses {zone} and is created disabled: set its "
     "IANA zone (e.g. Asia/Kolkata for +5:30)",
     "xlink.note.fractional_offset"},
    {"no offset: the data is in the Xlink server's local time; the source uses UTC (pass the "
     "server's zone, e.g. Europe/Berlin, as the migration's time zone)",
     "xlink.note.no_offset_utc"},
    {"no offset: the data is in the Xlink server's local time; the source uses {zone}",
     "xlink.note.no_offset"},
    {"the same as acdlink: intervals without data are left alone", "xlink.note.zero_same"},
    {"empty: no agent-state import from this section (AgentActivityTable, AgentColumn, "
     "ActivityColumn and ActivityStartTimeStampColumn are all empty)",
     "xlink.note.states_all_empty"},
    {"empty: no agent-state import from this section", "xlink.note.states_empty"},
    {"not a folder here: see the section's to-do", "xlink.note.not_folder_todo"},
    {"no call-data query without {what} (empty or missing)", "xlink.note.no_query_missing"},
    {"no call-data query without {what} (this one is empty)", "xlink.note.no_query_this_empty"},
    {"no call-data query without {what}", "xlink.note.no_query"},
    {"column {column}: the text after ']' is ignored: Windows (and so Xlink) reads this as the "
     "section [{section}]",
     "xlink.note.after_bracket"},
    {"column {column}: neither a section, a key=value line nor a comment; the line is ignored",
     "xlink.note.line_ignored"},
    {"mapping of WFM queue '{queue}', value type '{value_type}'", "xlink.note.mapping"},
    {"mapping of WFM queue '{queue}', value type '{value_type}' (a custom value type: rename or "
     "replace it as needed)",
     "xlink.note.mapping_custom"},
    {"mapping of WFM queue '{queue}', value type '{value_type}' (weighted by {weight})",
     "xlink.note.mapping_weighted"},
    {"the source '{source}' has no metric '{metric}' (ColumnNames / ValueTypes)",
     "xlink.note.no_metric"},
    {"{n} levels below the system name: sub-groups and vendor trees are not converted",
     "xlink.note.levels_below"},
    {"belongs to the WFM system '{system}', not '{wanted}' of isps.cfg",
     "xlink.note.other_wfm_system"},
    {"{expr} cannot be summed per interval, so the query leaves it out and the source is created "
     "disabled: compute it in the source's SQL or as a mapping formula, then enable the source",
     "xlink.note.not_summable"},
    {"agent_states.logout_activities ({n} codes)", "xlink.note.logout_codes"},
    {"known values are 0, 1 and 2: start_end is used and the agent-state source is disabled",
     "xlink.note.span_unknown"},
    {"not set: start_end is used and the agent-state source is disabled",
     "xlink.note.span_not_set"},
    {"not seconds from 0 to 86400", "xlink.note.not_seconds"},
    {"not a line count", "xlink.note.not_line_count"},
    {"not a line count from 0 to 1000", "xlink.note.not_line_count_range"},
    {"use dmy, mdy or ymd", "xlink.note.date_order_use"},
    {"not a column number (columns are counted from 1)", "xlink.note.not_column_number"},
    {"0: no such column", "xlink.note.no_such_column"},
    {"no input to map", "xlink.note.no_input"},
    {"{n} inputs without a script: summed, as Xlink's default script does",
     "xlink.note.inputs_summed"},
    {"the script {file} was not among the files; add it, or write the mapping's formula (p1 .. "
     "p{n}, weekday, minute_of_day)",
     "xlink.note.script_missing"},
    {"{file} does not only sum its parameters ({why}): write it as the mapping's formula over p1 "
     ".. p{n}, weekday, minute_of_day",
     "xlink.note.script_not_sum"},
    {"{file} sums its parameters: the default mapping (sum; the x100 of Xlink's Result is not "
     "needed)",
     "xlink.note.script_sum"},
    {"{file} sums its parameters without Xlink's x100 scaling: the default mapping sends the plain "
     "sum",
     "xlink.note.script_sum_plain"},
    {"queue '{queue}' is mapped for '{value_type}' already (another value-type id?)",
     "xlink.note.mapped_already"},
    {"the key is not <WFM system>:<parent queue>:<queue>:<value type>", "xlink.note.key_form"},
    {"a second script", "xlink.note.second_script"},
    {"the inputs come from sources with different intervals", "xlink.note.different_intervals"},
    {"move needs its destination folder; files are kept after import",
     "xlink.note.after_import_move_needs"},
    {"known values are 0, 1 and 2; files are kept after import", "xlink.note.after_import_unknown"},
    {"only used when {key} is 1 (move)", "xlink.note.only_move"},
    {"not an hour offset; the source uses {zone} and is created disabled: set its zone",
     "xlink.note.not_hour_offset"},
    {"offsets west of UTC-12 do not exist; the source uses {zone} and is disabled",
     "xlink.note.west_of_12"},
    {"too many sections", "xlink.note.too_many_sections"},
    {"the folder of the call-data files is not set", "xlink.note.folder_not_set"},
    {"TimeStampColumn overrides it", "xlink.note.timestamp_overrides"},
    {"not set: the metrics cannot be named", "xlink.note.names_not_set"},
    {"acdlink detects the time format; set csv.time_format if it does not",
     "xlink.note.time_detected"},
    {"acdlink detects the date and time; set csv.timestamp_format if it does not",
     "xlink.note.datetime_detected"},
    {"the same date column as the start", "xlink.note.same_date_column"},
    {"the state's end column", "xlink.note.end_column"},
    {"applied per row: SUM as the value, COUNT as 1 per row", "xlink.note.per_row"},
    {"no value type is usable: the source is created disabled", "xlink.note.no_value_type"},
    {"the query built from the section would not run ({why}): the source is created disabled; "
     "correct its SQL",
     "xlink.note.query_fails"},
    {"the agent-state query built from the section would not run ({why}): the source is created "
     "disabled; correct its SQL",
     "xlink.note.state_query_fails"},
    {"no DSN: the section name is used and the source is created disabled; set odbc.dsn",
     "xlink.note.no_dsn"},
    {"no DSN for the agent-state source: it is created disabled; set odbc.dsn",
     "xlink.note.no_state_dsn"},
    {"no agent-state query without {what}", "xlink.note.no_state_query"},
    {"column {column}: a section header without ']': Windows (and so Xlink) reads the name to the "
     "end of the line",
     "xlink.note.no_header_close"},
    {"column {column}: a value without a key", "xlink.note.no_key"},
    {"column {column}: the line holds a NUL byte (a damaged or not a text file?) and is not read",
     "xlink.note.nul_byte"},
    {"the file is empty: nothing in it to convert", "xlink.note.file_empty"},
    {"not given: no mappings are made", "xlink.note.no_mappings"},
    {"not an Xlink configuration file", "xlink.note.not_xlink_file"},
    {"column {column}: the value opens a quote that it does not close: Windows (and so Xlink) "
     "reads it as written, the quote included",
     "xlink.note.open_quote"},
    {"the quote is not closed, so the {what} would not run; the source is created disabled: "
     "correct the name in the source's SQL",
     "xlink.note.quote_not_closed"},
    {"the preset's name: the preset {preset} reads it", "xlink.note.preset_name"},
    {"empty: the preset's name: the preset {preset} reads it", "xlink.note.preset_name_empty"},
    {"column {column}: a value without a key; the line is ignored", "xlink.note.no_key_ignored"},
    {"column {column}: the line holds a NUL byte (a damaged or not a text file?) and is not read; "
     "the line is ignored",
     "xlink.note.nul_byte_ignored"},
    {"an agent-state (TimeLink) key that acdlink's agent-state sources do not need",
     "xlink.note.agent_key_unneeded"},
    {"an agent-state (TimeLink) key, but no agent-state source is made from this section (no "
     "ActivitySource or AgentActivityTable, or see their lines): not used",
     "xlink.note.agent_key_unused"},
    {"the call-data folder, but the section has no call-data keys (GroupColumn, ColumnNames, ...): "
     "no contact-statistics source",
     "xlink.note.calls_folder_no_keys"},
    {"0: no sub-groups", "xlink.note.no_subgroups"},
    {"a second naming level is not supported; derive a combined queue in the source's derived "
     "fields",
     "xlink.note.second_level"},
    {"queue names by id: join the name table in the source's SQL (queue id, queue name as the "
     "first two columns); the source is disabled",
     "xlink.note.queue_names_by_id"},
    {"the timestamp is not a date/time column (1 = Unix time): convert it in the SQL; the source "
     "is disabled",
     "xlink.note.timestamp_not_datetime"},
    {"a queue key of several columns: the first is used and the source disabled; concatenate them "
     "in the SQL",
     "xlink.note.queue_key_columns"},
    {"two columns joined into one time are not supported: give one timestamp column, or a date and "
     "a time column",
     "xlink.note.time_columns_joined"},
    {"not a date/time column: convert it in the SQL; the agent-state source is disabled",
     "xlink.note.state_not_datetime"},
    {"no DSN: the contact source is created disabled; set odbc.dsn",
     "xlink.note.vendor_no_dsn_contact"},
    {"no DSN: the agent-state source is created disabled; set odbc.dsn",
     "xlink.note.vendor_no_dsn_states"},
    {"empty: no DSN", "xlink.note.empty_no_dsn"},
    {"a table the presets of the {vendor} interface do not read", "xlink.note.vendor_table_unread"},
    {"passwords are never taken over: set it on the source you create",
     "xlink.note.password_create"},
    {"{setting} of the source you create (see the section's to-do)",
     "xlink.note.setting_of_created"},
    {"a table of the {vendor} interface: the view of the section's to-do reads it",
     "xlink.note.vendor_table_view"},
    {"a setting of the {vendor} interface: not needed with the to-do's source",
     "xlink.note.vendor_setting_unneeded"},
    {"the {vendor} interface: not converted; the to-do says what to create",
     "xlink.note.vendor_not_converted"},
    {"contact source '{name}'", "xlink.note.summary_contact"},
    {"contact source '{name}' not made: see the to-do", "xlink.note.summary_contact_not_made"},
    {"contact source '{name}' disabled: see the to-do", "xlink.note.summary_contact_disabled"},
    {"agent-state source '{name}'", "xlink.note.summary_state"},
    {"agent-state source '{name}' not made: see the to-do", "xlink.note.summary_state_not_made"},
    {"agent-state source '{name}' disabled: see the to-do", "xlink.note.summary_state_disabled"},
    {"nothing to convert: see each key", "xlink.note.summary_nothing"},
    {"lines before the first [section]", "xlink.note.summary_before_section"},
    {"WFM queues and mappings: see each line", "xlink.note.summary_mappings"},
    {"the WFM system: see each key", "xlink.note.summary_wfm_system"},
    {"a repeated section: never read by Xlink", "xlink.note.summary_repeated"},
    {"general settings of Xlink: see each key", "xlink.note.summary_general"},
    {"its content is not documented; nothing in it is converted", "xlink.note.undocumented"},
    {"read as {number}, as Xlink did: the text '{text}' after the number is ignored",
     "xlink.note.read_as"},
    {"the folder {folder} is a Windows share (UNC path), which is not a folder on this machine: "
     "mount {share} here, e.g. '{command}' (or an /etc/fstab line or systemd mount unit, so it "
     "stays after a restart) at a place acdlink may read (inside its allowed import roots), then "
     "create the source with csv.folder {path}",
     "xlink.note.unc_mount"},
    {"the time zone '{zone}' is not known here: set the source's zone", "xlink.note.zone_unknown"},
    {"the section name is empty or longer than 64 characters: create the source by hand",
     "xlink.note.section_name_bad"},
    {"more sections than one migration converts: import the rest in a second run",
     "xlink.note.more_sections"},
    {"no call-data source: {what} is missing or empty; add it to the section and import again, or "
     "create an ODBC source with your own SQL",
     "xlink.todo.no_call_data"},
    {"no call-data source: {what} are missing or empty; add them to the section and import again, "
     "or create an ODBC source with your own SQL",
     "xlink.todo.no_call_data_many"},
    {"[{section}]: agent states are not imported by this section; for them, create an ODBC "
     "agent-state source on DSN '{dsn}' with the preset {preset}",
     "xlink.todo.vendor_states"},
    {"set the event types that mean a log out (agent_states.logout_activities) so that a day ends "
     "there",
     "xlink.note.logout_events_set"},
    {"the {vendor} interface (a vendor \"standard\" interface of Xlink): contact statistics: its "
     "reporting schema is not public: export the interval statistics per queue as CSV files (a "
     "CSV source), or create a view with the interval columns (queue_id, queue_name, "
     "interval_start, then one column per metric) and an ODBC source on DSN '{dsn}' reading it; "
     "start from the SQL of the preset cisco_ucce_call_type_interval; agent states: export agent "
     "states as CSV (agent, activity, start, end) for a CSV agent-state source, or create a view "
     "as (agent_id, activity_id, start_time, end_time) read by an ODBC agent-state source on DSN "
     "'{dsn}'",
     "xlink.todo.vendor_not_public"},
    {"(your DSN)", "xlink.note.your_dsn"},
    {"(the section's DSN)", "xlink.note.the_sections_dsn"},
    {"{key} (line {line}): {why}", "xlink.todo.key_line"},
    {"{setting}: {why}", "xlink.note.setting_why"},
    {"{setting} = column {column}", "xlink.note.setting_column"},
    {"{setting} {value}", "xlink.note.setting_value"},
    {"{setting}", "xlink.note.setting"},
};

/* 1 when s is a setting's name: lower-case words joined by '.', with a '.' or a '_'. */
static int is_setting(const char *s)
{
    size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz_.");
    return n > 0 && !s[n] && s[0] != '.' && s[n - 1] != '.' && strpbrk(s, "._") != NULL;
}

/* The code and parameters of note text: a new {"code", "params"}, or an empty object when the
 * note has no code. */
static json_t *note_code(const char *text, int depth)
{
    char code[96];
    for (size_t i = 0; text && i < sizeof(notes) / sizeof(notes[0]); i++) {
        json_t *params = NULL;
        if (!why_match_template(notes[i].tmpl, text, &params)) {
            continue;
        }
        const char *setting = json_string_value(json_object_get(params, "setting"));
        const char *why = json_string_value(json_object_get(params, "why"));
        json_t *inner = why && depth < 4 ? note_code(why, depth + 1) : NULL;
        json_t *known = NULL;
        if (inner && !json_object_get(inner, "code") &&
            (why_lookup(why, code, sizeof(code), &known) ||
             why_match(why, code, sizeof(code), &known))) {
            /* a text of the daemon's own (a source's validation): its message code */
            json_decref(inner);
            inner = json_pack("{s:s, s:o}", "code", code, "params", known);
        }
        if ((setting && !is_setting(setting)) || (why && !json_object_get(inner, "code"))) {
            json_decref(inner);
            json_decref(params);
            continue;
        }
        const char *dsn = json_string_value(json_object_get(params, "dsn"));
        json_t *dsn_code = dsn && depth < 4 ? note_code(dsn, depth + 1) : NULL;
        if (json_object_get(dsn_code, "code")) {
            /* a placeholder for a DSN the section does not name: words of its own */
            json_object_set(params, "dsn_code", json_object_get(dsn_code, "code"));
        }
        json_decref(dsn_code);
        if (inner) {
            json_object_set(params, "why_code", json_object_get(inner, "code"));
            json_object_set(params, "why_params", json_object_get(inner, "params"));
            json_decref(inner);
        }
        return json_pack("{s:s, s:o}", "code", notes[i].code, "params", params);
    }
    return json_object();
}

json_t *conv_note_code(const char *text)
{
    return note_code(text, 0);
}

void conv_summary_code(json_t *b, const char *text)
{
    json_t *codes = json_object_get(b, "summary_codes");
    if (!codes) {
        codes = json_array();
        json_object_set_new(b, "summary_codes", codes);
    }
    json_array_append_new(codes, note_code(text, 0));
}

void conv_detail_code(json_t *it, const char *text, int note)
{
    json_t *codes = json_object_get(it, "detail_codes");
    if (!codes) {
        codes = json_array();
        json_object_set_new(it, "detail_codes", codes);
    }
    json_t *one = note_code(text, 0);
    if (note && one) {
        json_object_set_new(one, "note", json_true());
    }
    json_array_append_new(codes, one);
}
