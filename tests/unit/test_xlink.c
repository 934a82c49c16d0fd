/* test_xlink.c: unit tests of the Xlink migration: the ini parser's quirks (xlink/ini.c), the
 * $N.BAS sum check and the conversion of every isps_ul.ini, isps.cfg and acd_map.ini key
 * (xlink/sources.c, xlink/mappings.c), on ini texts written here. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/err.h"
#include "xlink/conv.h"
#include "xlink/ini.h"
#include "xlink/xlink.h"

static struct ini_file *parse(const char *text, size_t len)
{
    struct ini_file *f = NULL;
    char err[300];
    if (!CHECK_EQ_INT(ini_parse("t.ini", text, len, &f, err, sizeof(err)), ACDL_OK)) {
        fprintf(stdout, "  %s\n", err);
    }
    return f;
}

static const char *val(struct ini_file *f, const char *sec, const char *key)
{
    int s = ini_section_find(f, sec);
    const struct ini_entry *e = s >= 0 ? ini_peek(f, s, key) : NULL;
    return e ? e->value : NULL;
}

static void test_ini_quirks(void)
{
    static const char text[] = "\xef\xbb\xbf; a comment\r\n"
                               "top=level\r\n"
                               "[General]\r\n"
                               "  LogDir = \"C:\\Program Files\\Xlink\"  \r\n"
                               "Groups=A;B; C ;D\r\n"
                               "# another comment\r\n"
                               "  ; indented comment\r\n"
                               "Empty=\r\n"
                               "[ Second Section ]   ; trailing comment\r\n"
                               "Key=1\r\n"
                               "key=2\r\n"
                               "[GENERAL]\r\n"
                               "WriteAlways=1\r\n"
                               "Half=\"open\r\n"
                               "=novalue\r\n"
                               "garbage line\r\n"
                               "[broken\r\n"
                               "last=no newline";
    struct ini_file *f = parse(text, sizeof(text) - 1);
    if (!f) {
        return;
    }
    CHECK_EQ_INT(f->cp1252, 0);
    CHECK_EQ_INT(f->crlf, 1);
    CHECK_EQ_STR(val(f, "", "top"), "level");
    CHECK_EQ_STR(val(f, "general", "logdir"), "C:\\Program Files\\Xlink");
    CHECK_EQ_STR(val(f, "General", "Groups"), "A;B; C ;D"); /* ';' is data */
    CHECK_EQ_STR(val(f, "General", "Empty"), "");
    CHECK_EQ_STR(val(f, "second section", "KEY"), "1"); /* the first of a repeated key */
    /* [GENERAL] repeats [General]: Windows reads only the first section of a name */
    CHECK(val(f, "general", "WriteAlways") == NULL);
    CHECK_EQ_INT(f->sections[3].first, 1);
    CHECK_EQ_INT(f->sections[2].first, 2);
    /* a header without ']' is still a section, as for Windows */
    CHECK_EQ_STR(val(f, "broken", "last"), "no newline");
    /* an unclosed quote is kept as written (what Windows returns) and marked */
    const struct ini_entry *half = NULL;
    for (size_t i = 0; i < f->nentries; i++) {
        half = !strcmp(f->entries[i].key, "Half") ? &f->entries[i] : half;
    }
    CHECK(half && !strcmp(half->value, "\"open") && half->open_quote && half->section == 3);
    int s = ini_section_find(f, "Second Section");
    CHECK(s > 0);
    struct ini_entry *a = ini_take(f, s, "key"), *b = ini_take(f, s, "key");
    CHECK(a && b && a->line == 10 && b->line == 11);
    CHECK(ini_take(f, s, "key") == NULL);
    /* problems name line and column */
    int seen = 0;
    for (int i = 0; i < f->nproblems; i++) {
        seen |= (f->problems[i].line == 14 && strstr(f->problems[i].text, "quote")) ? 1 : 0;
        seen |= (f->problems[i].line == 15 && f->problems[i].column == 1) ? 2 : 0;
        seen |= (f->problems[i].line == 16 && strstr(f->problems[i].text, "neither")) ? 4 : 0;
        seen |= (f->problems[i].line == 17 && strstr(f->problems[i].text, "']'")) ? 8 : 0;
    }
    CHECK_EQ_INT(seen, 15);
    ini_free(f);
}

static void test_ini_encodings(void)
{
    /* Windows-1252: a Euro sign, umlauts, a curly quote; bare CR line ends */
    static const char cp[] = "[Caf\xe9]\rName=\x80 \xdc"
                             "berlauf \x93q\x94\rX=\x81\r";
    struct ini_file *f = parse(cp, sizeof(cp) - 1);
    if (f) {
        CHECK_EQ_INT(f->cp1252, 1);
        CHECK_EQ_STR(val(f, "Caf\xc3\xa9", "Name"), "\xe2\x82\xac \xc3\x9c"
                                                    "berlauf \xe2\x80\x9cq\xe2\x80\x9d");
        CHECK_EQ_STR(val(f, "Caf\xc3\xa9", "X"), "\xef\xbf\xbd"); /* undefined in 1252 */
        ini_free(f);
    }
    /* valid UTF-8 stays as it is */
    static const char u8[] = "[S]\nName=\xc3\x9c"
                             "berlauf\n";
    f = parse(u8, sizeof(u8) - 1);
    if (f) {
        CHECK_EQ_INT(f->cp1252, 0);
        CHECK_EQ_INT(f->crlf, 0);
        CHECK_EQ_STR(val(f, "S", "Name"), "\xc3\x9c"
                                          "berlauf");
        ini_free(f);
    }
    CHECK_EQ_INT(ini_is_utf8("\xc0\x80", 2), 0);         /* overlong */
    CHECK_EQ_INT(ini_is_utf8("\xed\xa0\x80", 3), 0);     /* surrogate */
    CHECK_EQ_INT(ini_is_utf8("\xe2\x82", 2), 0);         /* cut short */
    CHECK_EQ_INT(ini_is_utf8("\xf0\x9f\x98\x80", 4), 1); /* emoji */
    /* limits */
    char err[300];
    struct ini_file *g = NULL;
    char *big = malloc(INI_MAX_LINE + 10);
    if (big) {
        memset(big, 'a', INI_MAX_LINE + 9);
        big[INI_MAX_LINE + 9] = '\0';
        CHECK_EQ_INT(ini_parse("big.ini", big, INI_MAX_LINE + 9, &g, err, sizeof(err)),
                     ACDL_ETOOBIG);
        CHECK_CONTAINS(err, "big.ini:1:");
        free(big);
    }
}

static void test_bas(void)
{
    char why[200];
    const char *def = "' made by Xlink\r\nDim Result As Long\r\nSub Main()\r\n"
                      "  Result = (Para1 + Para2 + Para3) * 100 ' the sum\r\nEnd Sub\r\n";
    CHECK_EQ_INT(conv_bas_is_sum(def, strlen(def), 3, why, sizeof(why)), 1);
    CHECK_EQ_INT(conv_bas_is_sum(def, strlen(def), 2, why, sizeof(why)), 0);
    const char *one = "Sub Main\nResult = Para1 * 100\nEnd Sub\n";
    CHECK_EQ_INT(conv_bas_is_sum(one, strlen(one), 1, why, sizeof(why)), 1);
    const char *bare = "REM plain\nSub Main\nresult=para2+PARA1\nEnd Sub";
    CHECK_EQ_INT(conv_bas_is_sum(bare, strlen(bare), 2, why, sizeof(why)), 2);
    const char *twice = "Sub Main\nResult = (Para1 + Para1) * 100\nEnd Sub";
    CHECK_EQ_INT(conv_bas_is_sum(twice, strlen(twice), 2, why, sizeof(why)), 0);
    const char *ratio =
        "Sub Main\nIf Para1 > 0 Then\nResult = Para2 / Para1 * 100\nEnd If\nEnd Sub";
    CHECK_EQ_INT(conv_bas_is_sum(ratio, strlen(ratio), 2, why, sizeof(why)), 0);
    CHECK_CONTAINS(why, "more than set Result");
    const char *prec = "Sub Main\nResult = Para1 + Para2 * 100\nEnd Sub";
    CHECK_EQ_INT(conv_bas_is_sum(prec, strlen(prec), 2, why, sizeof(why)), 0);
    const char *box = "Sub Main\nMsgBox \"x\"\nResult = Para1\nEnd Sub";
    CHECK_EQ_INT(conv_bas_is_sum(box, strlen(box), 1, why, sizeof(why)), 0);
}

/* --- conversion --- */

static json_t *report, *doc;

static void convert(const struct xlink_file *files, size_t n, const char *zone)
{
    const char *dump = getenv("TEST_XLINK_DUMP");
    char err[600];
    struct xlink_opts o = {zone, 1};
    json_decref(report);
    json_decref(doc);
    report = doc = NULL;
    if (!CHECK_EQ_INT(xlink_convert(files, n, &o, &doc, &report, err, sizeof(err)), ACDL_OK)) {
        fprintf(stdout, "  %s\n", err);
    }
    if (dump && report && strstr(files[0].data, dump)) {
        json_dumpf(report, stdout, JSON_INDENT(1));
    }
}

/* The first report line for section + key (key NULL: the section's own line) whose detail
 * contains part (NULL: any), or NULL. Section "" or NULL: lines without a section. */
static json_t *item_with(const char *section, const char *key, const char *status, const char *part)
{
    size_t i;
    json_t *it;
    if (section && !*section) {
        section = NULL;
    }
    json_array_foreach(json_object_get(report, "items"), i, it)
    {
        const char *s = json_string_value(json_object_get(it, "section"));
        const char *k = json_string_value(json_object_get(it, "key"));
        const char *st = json_string_value(json_object_get(it, "status"));
        const char *d = json_string_value(json_object_get(it, "detail"));
        if (((!section && !s) || (section && s && !strcmp(s, section))) &&
            ((!key && !k) || (key && k && !strcmp(k, key))) && (!status || !strcmp(st, status)) &&
            (!part || strstr(d, part))) {
            return it;
        }
    }
    return NULL;
}

static json_t *item(const char *section, const char *key, const char *status)
{
    return item_with(section, key, status, NULL);
}

static void expect(const char *section, const char *key, const char *status, const char *part)
{
    if (!CHECK(item_with(section, key, status, part) != NULL)) {
        json_t *it = item(section, key, NULL);
        fprintf(stdout, "  no '%s' line with '%s' for [%s] %s; first line: %s\n", status, part,
                section ? section : "", key ? key : "",
                it ? json_string_value(json_object_get(it, "detail")) : "(none)");
    }
}

static json_t *doc_item(const char *kind, const char *member, const char *value)
{
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(doc, kind), i, it)
    {
        const char *v = json_string_value(json_object_get(it, member));
        if (v && !strcmp(v, value)) {
            return it;
        }
    }
    return NULL;
}

static const char UL[] =
    "[General]\r\nWriteAlways=0\r\nProtocol=1\r\nLogMaxFileSize=2048\r\n"
    "[Csv]\r\nSource=/srv/acd\r\nDestination=/srv/acd/done\r\nSeparatorCharacter=3\r\n"
    "DeleteImportFiles=1\r\nHeaderLines=2\r\nGroupColumn=1\r\nDateColumn=2\r\nTimeColumn=3\r\n"
    "Groups=Q1;Q2\r\nColumnNames=Queue;Date;Time;Offered;Handled;AHT\r\nInterval=30\r\n"
    "DateOrder=mdy\r\nAHTColumn=6\r\nTimeZone=-08:00\r\nActivityColumn=2\r\n"
    "[Ts]\r\nSource=/srv/ts\r\nSeparatorCharacter=4\r\nDeleteImportFiles=2\r\nGroupColumn=2\r\n"
    "TimeStampColumn=1\r\nDateColumn=5\r\nColumnNames=When;Queue;Calls\r\nTimeZone=0\r\n"
    "[Keep]\r\nSource=/srv/keep\r\nSeparatorCharacter=9\r\nDeleteImportFiles=0\r\n"
    "GroupColumn=1\r\nDateColumn=2\r\nTimeColumn=3\r\nColumnNames=Q;D;T;N\r\nInterval=60\r\n"
    "TimeZone=3,5\r\n"
    "[Uni]\r\nSource=DSN1\r\nUser=u\r\nPwd=$$$:c2VjcmV0\r\nQueueNameColumn=QueueName\r\n"
    "ValueTypes=Offered;1\r\nValueTypeFunctions=SUM;COUNT\r\nTimeStampColumn=Start\r\n"
    "CallDataTable=Calls\r\nInterval=15\r\nTimeZone=1\r\nLogOffActivities=0;19\r\n"
    "[Unix]\r\nSource=DSN2\r\nQueueNameColumn=a;b\r\nValueTypes=x\r\nTimeStampColumn=t\r\n"
    "TimeStampType=1\r\nCallDataTable=T\r\nQueueMappingSQL=SELECT 1\r\n";

static const char MAP[] = "; mappings\n"
                          "WFM:0:Q1:Calls Offered=Csv:Q1:Offered\n"
                          "WFM:0:Q1:Calls Handled=Csv:Q1:Handled\n"
                          "WFM:0:Q1:Calls Average Handling Time=Csv:Q1:AHT\n"
                          "WFM:0:Q2:Calls Average Handling Time=Csv:Q2:AHT\n"
                          "WFM:0:U:Calls Offered=Uni:Sales:Offered\n"
                          "WFM:0:U:Calls Offered=Uni:Support:Offered\n"
                          "WFM:0:U:Calls Offered=$1.BAS\n"
                          "WFM:0:U:Calls Abandoned=Uni:Sales:1\n"
                          "WFM:0:U:Calls Abandoned=$9.BAS\n"
                          "WFM:0:M:Calls Offered=Csv:Q1:Offered\n"
                          "WFM:0:M:Calls Offered=Uni:Sales:Offered\n"
                          "WFM:0:X:Calls Offered=Csv:Q1:Nope\n"
                          "WFM:0:X:Calls Handled=Csv:Q1:sub:Handled\n"
                          "Other:0:Q1:Calls Offered=Csv:Q1:Offered\n"
                          "broken line\n";

static const char CFG[] = "[IES System WFM]\nName=\"WFM\"\nUrl=\"iwfm://wfm:45054\"\n"
                          "[ies system wfm]\nName=Other\n";
static const char BAS1[] = "Sub Main()\nResult = (Para2 + Para1) * 100\nEnd Sub\n";

static void test_convert_keys(void)
{
    const struct xlink_file files[] = {{"ISPS_UL.INI", UL, sizeof(UL) - 1},
                                       {"acd_map.ini", MAP, sizeof(MAP) - 1},
                                       {"isps.cfg", CFG, sizeof(CFG) - 1},
                                       {"$1.bas", BAS1, sizeof(BAS1) - 1},
                                       {"notes.txt", "x", 1}};
    convert(files, 5, "Europe/Vienna");
    if (!doc) {
        return;
    }
    /* [General] */
    expect("General", "WriteAlways", "converted", "left alone");
    expect("General", "Protocol", "skipped", "log");
    expect("General", "LogMaxFileSize", "not_convertible", "log_file_max_kb = 2048");
    /* a CSV section, key by key */
    json_t *csv = doc_item("sources", "name", "Csv");
    json_t *set = json_object_get(csv, "settings");
    json_t *c = json_object_get(set, "csv"), *cols = json_object_get(set, "columns");
    CHECK_EQ_STR(json_string_value(json_object_get(c, "folder")), "/srv/acd");
    CHECK_EQ_STR(json_string_value(json_object_get(c, "separator")), ";");
    CHECK_EQ_STR(json_string_value(json_object_get(c, "after_import")), "move");
    CHECK_EQ_STR(json_string_value(json_object_get(c, "archive_folder")), "/srv/acd/done");
    CHECK_EQ_INT(json_integer_value(json_object_get(c, "skip_lines")), 2);
    CHECK(json_is_false(json_object_get(c, "header")));
    CHECK_EQ_STR(json_string_value(json_object_get(c, "date_order")), "mdy");
    CHECK_EQ_STR(json_string_value(json_object_get(c, "pattern")), "*");
    CHECK_EQ_INT(json_integer_value(json_object_get(cols, "queue")), 1);
    CHECK_EQ_INT(json_integer_value(json_object_get(cols, "date")), 2);
    CHECK_EQ_INT(json_integer_value(json_object_get(cols, "time")), 3);
    json_t *metrics = json_object_get(set, "metrics");
    CHECK_EQ_INT(json_object_size(metrics), 3);
    CHECK_EQ_INT(json_integer_value(json_object_get(metrics, "AHT")), 6);
    CHECK_EQ_INT(json_integer_value(json_object_get(csv, "interval_minutes")), 30);
    CHECK_EQ_STR(json_string_value(json_object_get(csv, "time_zone")), "Etc/GMT+8");
    CHECK(json_is_true(json_object_get(csv, "enabled")));
    expect("Csv", "TimeZone", "converted", "no daylight saving time");
    expect("Csv", "Groups", "skipped", "every queue");
    expect("Csv", "AHTColumn", "converted", "weights by handled");
    expect("Csv", "ActivityColumn", "skipped", "agent-state"); /* no ActivitySource */
    /* TimeStampColumn wins over DateColumn; tab; delete; no offset -> the given zone */
    json_t *ts = doc_item("sources", "name", "Ts");
    set = json_object_get(ts, "settings");
    CHECK_EQ_INT(json_integer_value(json_object_get(json_object_get(set, "columns"), "timestamp")),
                 1);
    CHECK(json_is_null(json_object_get(json_object_get(set, "columns"), "date")));
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(set, "csv"), "separator")),
                 "\t");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(set, "csv"), "after_import")),
                 "delete");
    CHECK_EQ_STR(json_string_value(json_object_get(ts, "time_zone")), "Europe/Vienna");
    expect("Ts", "DateColumn", "skipped", "TimeStampColumn overrides");
    expect("Ts", "Interval", "skipped", "15-minute");
    /* an unknown separator code, a fractional offset: created, but disabled */
    json_t *keep = doc_item("sources", "name", "Keep");
    CHECK(json_is_false(json_object_get(keep, "enabled")));
    expect("Keep", "SeparatorCharacter", "not_convertible", "2 (comma)");
    expect("Keep", "TimeZone", "not_convertible", "fractional");
    CHECK_EQ_STR(json_string_value(json_object_get(
                     json_object_get(json_object_get(keep, "settings"), "csv"), "after_import")),
                 "keep");
    /* Universal: the query, COUNT as 1 per row, never the password */
    size_t i;
    json_t *m;
    json_t *uni = doc_item("sources", "name", "Uni");
    json_t *odbc = json_object_get(json_object_get(uni, "settings"), "odbc");
    CHECK_EQ_STR(json_string_value(json_object_get(odbc, "dsn")), "DSN1");
    CHECK_EQ_STR(json_string_value(json_object_get(odbc, "user")), "u");
    CHECK_EQ_STR(json_string_value(json_object_get(odbc, "sql")),
                 "SELECT QueueName AS queue, QueueName AS queue_name, Start AS interval_start, "
                 "Offered AS Offered, CASE WHEN (1) IS NULL THEN 0 ELSE 1 END AS value_2 FROM "
                 "Calls WHERE Start >= :period_start AND Start < :period_end");
    CHECK_EQ_STR(json_string_value(json_object_get(uni, "time_zone")), "Etc/GMT-1");
    expect("Uni", "Pwd", "not_convertible", "never taken over");
    json_t *pwline = item("Uni", "Pwd", NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(pwline, "value")), "(not shown)");
    char *text = json_dumps(report, 0);
    CHECK(text && strstr(text, "c2VjcmV0") == NULL);
    free(text);
    int pwa = 0;
    json_array_foreach(json_object_get(report, "actions"), i, m)
    {
        pwa += strstr(json_string_value(m), "password of source 'Uni'") != NULL;
    }
    CHECK_EQ_INT(pwa, 1);
    expect("Uni", "LogOffActivities", "skipped", "agent-state"); /* no AgentActivityTable */
    /* Unix timestamps, several queue columns, QueueMappingSQL: disabled */
    json_t *unix_src = doc_item("sources", "name", "Unix");
    CHECK(json_is_false(json_object_get(unix_src, "enabled")));
    expect("Unix", "TimeStampType", "not_convertible", "Unix time");
    expect("Unix", "QueueNameColumn", "not_convertible", "several columns");
    expect("Unix", "QueueMappingSQL", "not_convertible", "join");
    /* isps.cfg */
    expect("IES System WFM", "Name", "converted", "'WFM'");
    expect("IES System WFM", "Url", "not_convertible", "target");
    expect("ies system wfm", "Name", "skipped", "never read"); /* a repeated section */
    /* acd_map.ini */
    json_t *maps = json_object_get(doc, "mappings");
    int q1 = 0, q2aht = 0, u = 0, mixed = 0;
    json_array_foreach(maps, i, m)
    {
        const char *q = json_string_value(json_object_get(m, "queue"));
        const char *vt = json_string_value(json_object_get(m, "value_type"));
        size_t nin = json_array_size(json_object_get(m, "inputs"));
        q1 += !strcmp(q, "Q1");
        q2aht += !strcmp(q, "Q2");
        mixed += !strcmp(q, "M");
        if (!strcmp(q, "U") && !strcmp(vt, "offered")) {
            u = (int)nin;
            CHECK(json_is_null(json_object_get(m, "formula")));
        }
    }
    CHECK_EQ_INT(q1, 3);    /* offered, handled, aht (weighted, its weight mapped) */
    CHECK_EQ_INT(q2aht, 0); /* aht without handled for Q2: not made */
    CHECK_EQ_INT(u, 2);
    CHECK_EQ_INT(mixed, 0); /* 30- and 15-minute sources in one mapping */
    json_t *q1q = doc_item("queues", "identifier", "Q1");
    CHECK_EQ_INT(json_integer_value(json_object_get(q1q, "interval_minutes")), 30);
    expect("", "WFM:0:U:Calls Abandoned", "not_convertible", "$9.BAS was not among the files");
    expect("", "WFM:0:X:Calls Offered", "not_convertible", "no metric 'Nope'");
    expect("", "WFM:0:X:Calls Handled", "not_convertible", "levels");
    expect("", "WFM:0:M:Calls Offered", "not_convertible", "different intervals");
    expect("", "Other:0:Q1:Calls Offered", "skipped", "WFM system 'Other'");
    expect("", "WFM:0:Q2:Calls Average Handling Time", "not_convertible", "weighted by handled");
    CHECK(item(NULL, NULL, "skipped") != NULL); /* the broken line */
    json_t *notes = NULL;
    json_array_foreach(json_object_get(report, "items"), i, m)
    {
        if (!strcmp(json_string_value(json_object_get(m, "file")), "notes.txt")) {
            notes = m;
        }
    }
    CHECK(notes && !strcmp(json_string_value(json_object_get(notes, "status")), "skipped"));
    /* the counts add up */
    json_t *sum = json_object_get(report, "summary");
    CHECK_EQ_INT(json_integer_value(json_object_get(sum, "converted")) +
                     json_integer_value(json_object_get(sum, "skipped")) +
                     json_integer_value(json_object_get(sum, "not_convertible")),
                 json_array_size(json_object_get(report, "items")));
}

static void test_convert_value_types_and_defaults(void)
{
    static const char ul[] = "[S]\nSource=/x\nGroupColumn=1\nDateColumn=2\nTimeColumn=3\n"
                             "ColumnNames=Q;D;T;Calls;Talk+Hold\nTimeZone=14\n";
    static const char map[] = "WFM:0:A:42=S:q:Calls\nWFM:0:A:ASA=S:q:Talk+Hold\n"
                              "WFM:0:B:Offered=S:q:Calls\nWFM:0:B:Offered=S:r:Calls\n";
    const struct xlink_file files[] = {{"isps_ul.ini", ul, sizeof(ul) - 1},
                                       {"acd_map.ini", map, sizeof(map) - 1}};
    convert(files, 2, NULL);
    if (!doc) {
        return;
    }
    json_t *s = doc_item("sources", "name", "S");
    CHECK_EQ_STR(json_string_value(json_object_get(s, "time_zone")), "Etc/GMT-14");
    CHECK_EQ_STR(json_string_value(json_object_get(
                     json_object_get(json_object_get(s, "settings"), "csv"), "separator")),
                 ",");
    /* a metric name acdlink would refuse is renamed, and mappings follow */
    CHECK(json_object_get(json_object_get(json_object_get(s, "settings"), "metrics"),
                          "Talk_Hold") != NULL);
    json_t *vt = doc_item("value_types", "key", "xlink_42");
    CHECK(vt != NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(vt, "combine")), "sum");
    /* two inputs without a script: summed */
    expect("", "WFM:0:B:Offered", "converted", "summed");
    /* no isps.cfg: every system's lines */
    expect(NULL, NULL, "skipped", "every WFM system");
    /* nothing to convert without isps_ul.ini */
    char err[300];
    json_t *d2 = NULL, *r2 = NULL;
    struct xlink_opts o = {NULL, 1};
    CHECK_EQ_INT(xlink_convert(files + 1, 1, &o, &d2, &r2, err, sizeof(err)), ACDL_EINVAL);
    CHECK_CONTAINS(err, "isps_ul.ini is missing");
    CHECK(d2 == NULL && r2 == NULL);
}

static void test_convert_agents(void)
{
    static const char ul[] =
        "[Calls]\nSource=/srv/calls\nGroupColumn=1\nDateColumn=2\nTimeColumn=3\n"
        "ColumnNames=Q;D;T;N\nTimeZone=2\nTimeZone_TimeLink=0\n"
        "ActivitySource=/srv/agents\nActivityDestination=/srv/agents/done\n"
        "DeleteActivityImportFiles=1\nActivitySeparatorCharacter=2\nActivityHeaderLines=1\n"
        "ActivityTimeSpanType=2\nAgentColumn=1\nActivityColumn=2\nActivityStartDateColumn=3\n"
        "ActivityStartTimeColumn=4\nActivityDateOrder=ymd\nLogOffActivities=0; 19 ;\n"
        "MinimumActivityDuration=3\nActivityIdentifiers=0;1;19\n"
        "ActivityDescriptions=Logoff;Ready;Break\nActivityStartTimeStampFormat=yyyy-mm-dd\n"
        "[Oracle]\nSource=DSN\nUser=u\nPassword=x\nQueueNameColumn=q\nValueTypes=v\n"
        "TimeStampColumn=t\nCallDataTable=T\nTimeZone=-3\nAgentActivityTable=AgentLog\n"
        "AgentColumn=Agent\nActivityColumn=State\nActivityTimeSpanType=1\n"
        "ActivityStartTimeStampColumn=Began\nActivityEndTimeStampColumn=Ended\n"
        "ActivityStartTimeStampType=1\n"
        "[Half]\nSource=DSN2\nQueueNameColumn=q\nValueTypes=v\nTimeStampColumn=t\n"
        "CallDataTable=T\nAgentActivityTable=A\nActivityTimeSpanType=0\nAgentColumn=a\n"
        "[Bad]\nSource=/b\nGroupColumn=1\nDateColumn=2\nTimeColumn=3\nColumnNames=Q;D;T;N\n"
        "ActivitySource=/b/agents\nActivityTimeSpanType=1\nAgentColumn=1\nActivityColumn=2\n"
        "ActivityStartTimeStampColumn=3;4\nActivityEndTimeStampColumn=5\n";
    const struct xlink_file files[] = {{"isps_ul.ini", ul, sizeof(ul) - 1}};
    convert(files, 1, "Europe/Paris");
    if (!doc) {
        return;
    }
    /* CSV: start-only with a date and a time column, logout codes, minimum duration */
    json_t *a = doc_item("sources", "name", "Calls agents");
    json_t *set = json_object_get(a, "settings");
    CHECK_EQ_STR(json_string_value(json_object_get(a, "product")), "agent_states");
    CHECK_EQ_STR(json_string_value(json_object_get(a, "time_zone")), "Europe/Paris");
    json_t *st = json_object_get(set, "agent_states");
    CHECK_EQ_STR(json_string_value(json_object_get(st, "span")), "start_only");
    CHECK_EQ_INT(json_array_size(json_object_get(st, "logout_activities")), 2);
    CHECK_EQ_STR(json_string_value(json_array_get(json_object_get(st, "logout_activities"), 1)),
                 "19");
    CHECK_EQ_INT(json_integer_value(json_object_get(st, "min_duration_s")), 3);
    json_t *cols = json_object_get(set, "columns"), *csv = json_object_get(set, "csv");
    CHECK_EQ_INT(json_integer_value(json_object_get(cols, "agent")), 1);
    CHECK_EQ_INT(json_integer_value(json_object_get(cols, "activity")), 2);
    CHECK_EQ_INT(json_integer_value(json_object_get(cols, "date")), 3);
    CHECK_EQ_INT(json_integer_value(json_object_get(cols, "start")), 4);
    CHECK_EQ_STR(json_string_value(json_object_get(csv, "folder")), "/srv/agents");
    CHECK_EQ_STR(json_string_value(json_object_get(csv, "separator")), ",");
    CHECK_EQ_STR(json_string_value(json_object_get(csv, "after_import")), "move");
    CHECK_EQ_STR(json_string_value(json_object_get(csv, "archive_folder")), "/srv/agents/done");
    CHECK_EQ_STR(json_string_value(json_object_get(csv, "date_order")), "ymd");
    CHECK_EQ_INT(json_integer_value(json_object_get(csv, "skip_lines")), 1);
    CHECK(json_is_true(json_object_get(a, "enabled")));
    expect("Calls", "ActivityDescriptions", "skipped", "learns the activity codes");
    expect("Calls", "ActivityStartTimeStampFormat", "skipped", "detects");
    expect("Calls", "TimeZone_TimeLink", "converted", "Europe/Paris");
    /* the contact source keeps its own zone */
    CHECK_EQ_STR(
        json_string_value(json_object_get(doc_item("sources", "name", "Calls"), "time_zone")),
        "Etc/GMT-2");
    /* Universal: the agent-state query; Unix times give a disabled source; the password */
    json_t *ora = doc_item("sources", "name", "Oracle agents");
    json_t *odbc = json_object_get(json_object_get(ora, "settings"), "odbc");
    CHECK_EQ_STR(json_string_value(json_object_get(odbc, "sql")),
                 "SELECT Agent AS agent_id, State AS activity_id, Began AS start_time, Ended AS "
                 "end_time FROM AgentLog WHERE Began >= :period_start AND Began < :period_end");
    CHECK_EQ_STR(json_string_value(json_object_get(odbc, "dsn")), "DSN");
    CHECK_EQ_STR(json_string_value(json_object_get(ora, "time_zone")), "Etc/GMT+3");
    CHECK(json_is_false(json_object_get(ora, "enabled")));
    expect("Oracle", "ActivityStartTimeStampType", "not_convertible", "date/time");
    int pw = 0;
    size_t i;
    json_t *x;
    json_array_foreach(json_object_get(report, "actions"), i, x)
    {
        pw += strstr(json_string_value(x), "password of source 'Oracle agents'") != NULL;
    }
    CHECK_EQ_INT(pw, 1);
    /* missing columns: no agent-state source, every key reported */
    CHECK(doc_item("sources", "name", "Half agents") == NULL);
    expect("Half", "AgentActivityTable", "not_convertible", "without ActivityColumn");
    expect("Half", "AgentColumn", "not_convertible", "without ActivityColumn");
    /* two columns for one time: disabled, reported */
    json_t *bad = doc_item("sources", "name", "Bad agents");
    CHECK(bad == NULL || json_is_false(json_object_get(bad, "enabled")));
    expect("Bad", "ActivityStartTimeStampColumn", "not_convertible", "two columns");
}

/* --- the outcomes that must agree with the report --- */

/* Every key line of text (file name) has exactly one report line. */
static void check_one_line_per_key(const char *file, const char *text)
{
    int line = 1;
    const char *p = text;
    while (*p) {
        const char *nl = strpbrk(p, "\r\n");
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        const char *eq = memchr(p, '=', n);
        int hits = 0;
        size_t i;
        json_t *it;
        json_array_foreach(json_object_get(report, "items"), i, it)
        {
            hits += !strcmp(json_string_value(json_object_get(it, "file")), file) &&
                    json_integer_value(json_object_get(it, "line")) == line;
        }
        if (eq && *p != ';' && !CHECK(hits == 1)) {
            fprintf(stdout, "  %s:%d '%.*s' has %d report lines\n", file, line, (int)n, p, hits);
        }
        if (!nl) {
            break;
        }
        p = nl + (nl[0] == '\r' && nl[1] == '\n' ? 2 : 1);
        line++;
    }
}

/* The block of section (file isps_ul.ini), or NULL. */
static json_t *block(const char *section, int nth)
{
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(report, "sections"), i, b)
    {
        const char *s = json_string_value(json_object_get(b, "section"));
        if (s && !strcmp(s, section) && nth-- == 0) {
            return b;
        }
    }
    return NULL;
}

static int has_action(const char *part)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(report, "actions"), i, a)
    {
        if (strstr(json_string_value(a), part)) {
            return 1;
        }
    }
    return 0;
}

static void test_sections_as_windows_reads_them(void)
{
    static const char ul[] = "[Dup]\r\nSource=/srv/a\r\nGroupColumn=1\r\nDateColumn=2\r\n"
                             "TimeColumn=3\r\nColumnNames=Q;D;T;N\r\nIntervalDuration=15\r\n"
                             "[Name] Backup\r\nSource=/srv/b\r\nGroupColumn=1\r\nDateColumn=2\r\n"
                             "TimeColumn=3\r\nColumnNames=Q;D;T;N\r\n"
                             "[dup]\r\nIntervalDuration=30\r\nPassword=secret9\r\n";
    const struct xlink_file files[] = {{"isps_ul.ini", ul, sizeof(ul) - 1}};
    convert(files, 1, NULL);
    if (!doc) {
        return;
    }
    /* the first [Dup] is read, the second never: its 30 does not override the 15 */
    json_t *dup = doc_item("sources", "name", "Dup");
    CHECK_EQ_INT(json_integer_value(json_object_get(dup, "interval_minutes")), 15);
    json_t *again = item("dup", "IntervalDuration", "skipped");
    CHECK(again && json_integer_value(json_object_get(again, "line")) == 15 &&
          strstr(json_string_value(json_object_get(again, "detail")), "never read"));
    CHECK(block("dup", 0) &&
          !strcmp(json_string_value(json_object_get(block("dup", 0), "outcome")), "skipped"));
    /* "[Name] Backup" is the section [Name]: its source is made, the header says why */
    CHECK(doc_item("sources", "name", "Name") != NULL);
    expect(NULL, NULL, "skipped", "reads this as the section [Name]");
    size_t i;
    json_t *it;
    json_array_foreach(json_object_get(report, "items"), i, it)
    {
        const char *d = json_string_value(json_object_get(it, "detail"));
        CHECK(!strstr(d, "the line is ignored"));
    }
    char *text = json_dumps(report, 0);
    CHECK(text && !strstr(text, "secret9"));
    free(text);
    check_one_line_per_key("isps_ul.ini", ul);
}

static void test_encodings_and_non_text(void)
{
    /* what Notepad saves as "Unicode": UTF-16LE with BOM; and big endian */
    static const char ascii[] = "[S]\r\nSource=/srv/\xc3\x9c\r\nGroupColumn=1\r\nDateColumn=2\r\n"
                                "TimeColumn=3\r\nColumnNames=Q;D;T;N\r\n";
    char le[400], be[400];
    size_t n = 0;
    le[0] = (char)0xff, le[1] = (char)0xfe, be[0] = (char)0xfe, be[1] = (char)0xff;
    n = 2;
    for (const char *p = ascii; *p; p++) {
        unsigned cp = (unsigned char)*p;
        if (cp == 0xc3) { /* U+00DC */
            cp = 0xdc;
            p++;
        }
        le[n] = (char)(cp & 0xff), le[n + 1] = (char)(cp >> 8);
        be[n] = (char)(cp >> 8), be[n + 1] = (char)(cp & 0xff);
        n += 2;
    }
    for (int k = 0; k < 2; k++) {
        const struct xlink_file files[] = {{"isps_ul.ini", k ? be : le, n}};
        convert(files, 1, NULL);
        if (!doc) {
            continue;
        }
        json_t *src = doc_item("sources", "name", "S");
        CHECK_EQ_STR(json_string_value(json_object_get(
                         json_object_get(json_object_get(src, "settings"), "csv"), "folder")),
                     "/srv/\xc3\x9c");
        CHECK_EQ_STR(json_string_value(json_object_get(
                         json_array_get(json_object_get(report, "files"), 0), "encoding")),
                     k ? "utf-16be" : "utf-16le");
    }
    /* empty, only blanks, binary, UTF-16 without BOM: errors naming the file */
    char err[600];
    json_t *d2 = NULL, *r2 = NULL;
    struct xlink_opts o = {NULL, 1};
    static const char bin[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x06\0\0\0";
    static const char nobom[] = "[\0S\0]\0\r\0\n\0A\0=\0\x31\0\r\0\n\0";
    const struct xlink_file bad[][1] = {{{"isps_ul.ini", "", 0}},
                                        {{"isps_ul.ini", " \r\n\r\n", 5}},
                                        {{"isps_ul.ini", bin, sizeof(bin) - 1}},
                                        {{"isps_ul.ini", nobom, sizeof(nobom) - 1}}};
    const char *why[] = {"empty", "empty", "not a text file", "UTF-16 without a byte-order mark"};
    for (int k = 0; k < 4; k++) {
        err[0] = '\0';
        CHECK_EQ_INT(xlink_convert(bad[k], 1, &o, &d2, &r2, err, sizeof(err)), ACDL_EINVAL);
        CHECK_CONTAINS(err, "isps_ul.ini");
        CHECK_CONTAINS(err, why[k]);
        CHECK(d2 == NULL && r2 == NULL);
    }
    /* a NUL byte in a Windows-1252 file: its line is reported, the lines after it are read */
    static const char nul[] = "[S]\r\nSource=/srv/s\r\nGroupColumn=1\r\nGroups=A\0B\r\n"
                              "DateColumn=2\r\nTimeColumn=3\r\nColumnNames=Q;D;T;\xc4rger\r\n"
                              "Interval=30\r\n";
    const struct xlink_file files[] = {{"isps_ul.ini", nul, sizeof(nul) - 1}};
    convert(files, 1, NULL);
    if (doc) {
        json_t *src = doc_item("sources", "name", "S");
        CHECK_EQ_INT(json_integer_value(json_object_get(src, "interval_minutes")), 30);
        CHECK(json_object_get(json_object_get(json_object_get(src, "settings"), "metrics"),
                              "__rger") != NULL ||
              json_object_get(json_object_get(json_object_get(src, "settings"), "metrics"),
                              "\xc3\x84rger") != NULL);
        json_t *it = NULL;
        size_t i;
        json_t *x;
        json_array_foreach(json_object_get(report, "items"), i, x)
        {
            it = json_integer_value(json_object_get(x, "line")) == 4 ? x : it;
        }
        CHECK(it && strstr(json_string_value(json_object_get(it, "detail")), "NUL byte"));
    }
}

static void test_agents_only_and_empty_keys(void)
{
    static const char ul[] =
        "[TimeLink]\nSource=ACDDSN\nUser=u\nPassword=x\nAgentActivityTable=AgentLog\n"
        "AgentColumn=Agent\nActivityColumn=State\nActivityStartTimeStampColumn=Began\n"
        "ActivityTimeSpanType=2\nActivitySQL=SELECT 1\nLogOffActivities=0;9\nTimeZone=1\n"
        "[Empty]\nSource=DSN2\nQueueNameColumn=q\nValueTypes=v\nTimeStampColumn=t\n"
        "CallDataTable=T\nAgentActivityTable=\nAgentColumn=\nActivityColumn=\n"
        "ActivitySource=\n"
        "[CsvAgents]\nActivitySource=/srv/agents\nActivityTimeSpanType=1\nAgentColumn=1\n"
        "ActivityColumn=2\nActivityStartTimeStampColumn=3\nActivityEndTimeStampColumn=4\n";
    const struct xlink_file files[] = {{"isps_ul.ini", ul, sizeof(ul) - 1}};
    convert(files, 1, NULL);
    if (!doc) {
        return;
    }
    /* agent-only Universal: one agent-state source, no vendor lines */
    json_t *a = doc_item("sources", "name", "TimeLink agents");
    CHECK(a && json_is_true(json_object_get(a, "enabled")));
    CHECK(doc_item("sources", "name", "TimeLink") == NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(block("TimeLink", 0), "outcome")), "created");
    char *text = json_dumps(report, 0);
    CHECK(text && !strstr(text, "vendor"));
    free(text);
    expect("TimeLink", "ActivitySQL", "skipped", "learns the activity codes");
    CHECK(has_action("password of source 'TimeLink agents'"));
    CHECK(!has_action("password of source 'TimeLink'"));
    /* empty agent keys: no agent-state source, no broken SQL; the contact source is made */
    CHECK(doc_item("sources", "name", "Empty agents") == NULL);
    CHECK(doc_item("sources", "name", "Empty") != NULL);
    expect("Empty", "AgentColumn", "skipped", "no agent-state import");
    expect("Empty", "ActivitySource", "skipped", "no agent-state source is made");
    CHECK(item("Empty", "ActivitySource", "converted") == NULL);
    /* agent-only CSV */
    json_t *ca = doc_item("sources", "name", "CsvAgents agents");
    CHECK(ca && doc_item("sources", "name", "CsvAgents") == NULL);
    check_one_line_per_key("isps_ul.ini", ul);
}

static void test_unc_and_quotes(void)
{
    static const char ul[] =
        "[Share]\nSource=\\\\acd01\\exports\\csv\nSeparatorCharacter=3 (semicolon)\n"
        "GroupColumn=1\nDateColumn=2\nTimeColumn=3\nColumnNames=Q;D;T;Offered\n"
        "Interval=30 ; half hours\n"
        "[Quote]\nSource=DSN\nQueueNameColumn=\"unterminated\nValueTypes=v;w\nTimeStampColumn=t\n"
        "CallDataTable=T\nValueTypeFunctions=SUM;AVG\n"
        "[Win]\nSource=D:\\ACD\\Export\nGroupColumn=1\nDateColumn=2\nTimeColumn=3\n"
        "ColumnNames=Q;D;T;N\n";
    static const char map[] = "WFM:0:Q1:Calls Offered=Share:Q1:Offered\n"
                              "WFM:0:Q1:Calls Offered=Share:Q2:Offered\n";
    const struct xlink_file files[] = {{"isps_ul.ini", ul, sizeof(ul) - 1},
                                       {"acd_map.ini", map, sizeof(map) - 1}};
    convert(files, 2, NULL);
    if (!doc) {
        return;
    }
    /* a UNC folder is no folder here: no source; how to mount it; the mappings' lines */
    CHECK(doc_item("sources", "name", "Share") == NULL);
    json_t *b = block("Share", 0);
    CHECK_EQ_STR(json_string_value(json_object_get(b, "outcome")), "not_converted");
    CHECK(has_action("mount -t cifs //acd01/exports /mnt/xlink/acd01-exports"));
    CHECK(has_action("csv.folder /mnt/xlink/acd01-exports/csv"));
    CHECK(item("Share", "Source", "converted") == NULL);
    expect("Share", "Source", "not_convertible", "not a folder here");
    expect("", "WFM:0:Q1:Calls Offered", "not_convertible", "'Share' is not made");
    check_one_line_per_key("acd_map.ini", map);
    /* integers read like Xlink: the leading digits, the rest noted */
    expect("Share", "SeparatorCharacter", "converted", "the text ' (semicolon)' after the number");
    expect("Share", "Interval", "converted", "read as 30");
    /* an unclosed quote is used as written, so the source is disabled, and the report says so */
    json_t *q = doc_item("sources", "name", "Quote");
    CHECK(q && json_is_false(json_object_get(q, "enabled")));
    expect("Quote", "QueueNameColumn", "not_convertible", "quote is not closed");
    /* AVG: one line, not convertible, and the source is disabled for it */
    json_t *fn = item("Quote", "ValueTypeFunctions", NULL);
    CHECK(fn && !strcmp(json_string_value(json_object_get(fn, "status")), "not_convertible") &&
          strstr(json_string_value(json_object_get(fn, "detail")), "AVG"));
    CHECK_EQ_STR(json_string_value(json_object_get(block("Quote", 0), "outcome")),
                 "created_disabled");
    CHECK(has_action("before enabling source 'Quote'"));
    /* a folder of the Xlink server (a drive letter here): made, but disabled, and why */
    json_t *win = doc_item("sources", "name", "Win");
    CHECK(win && json_is_false(json_object_get(win, "enabled")));
    expect("Win", "Source", "not_convertible", "not a folder of this machine");
    CHECK(has_action("before enabling source 'Win': Source (line"));
    check_one_line_per_key("isps_ul.ini", ul);
}

static void test_vendor_presets(void)
{
    static const char ul[] =
        "[UCCX Sales]\r\nSource=UCCX_HDS\r\nUser=uccxhruser\r\nPassword=secret\r\n"
        "ContactServiceQueueTable=ContactServiceQueue\r\nContactQueueDetailTable="
        "ContactQueueDetail\r\n"
        "ContactCallDetailTable=db_cra.ContactCallDetail\r\n"
        "AgentConnectionDetailTable=AgentConnectionDetail\r\nQueueFilter=csqName like 'S%'\r\n"
        "Interval=30\r\n"
        "[Interactive Intelligence]\r\nSource=CIC\r\nCallDataTableName=IWrkgrpQueueStats\r\n"
        "AgentActivityTableName=AgentActivityLog\r\nAgentMappingFile=C:\\Xlink\\agents.csv\r\n"
        "TimeZone=1 ; CET\r\n"
        "[Avaya CMS]\r\nSource=CMS\r\nHsplitTable=hsplit; drop table x\r\n"
        "IncludeWorkmodeForAgent=1\r\nMinimumActivityDuration=5\r\n"
        "[Nortel Symposium]\r\nSource=SYMP\r\nAgentLoginStat=eAgentLoginStat\r\n"
        "[Siemens HiPath]\r\nSource=HP\r\nCallDataTableName=CallRecord\r\n"
        "[ICM old]\r\nSource=AW\r\nCallDataTableName=t_Call_Type_Half_Hour\r\n"
        "[Vocalcom]\r\nAdminSource=x\r\n";
    const struct xlink_file files[] = {{"isps_ul.ini", ul, sizeof(ul) - 1}};
    convert(files, 1, NULL);
    if (!doc) {
        return;
    }
    /* UCCX: one row per queued contact (the contact layout), UTC, a table of another schema */
    json_t *uccx = doc_item("sources", "name", "UCCX Sales");
    json_t *uo = json_object_get(json_object_get(uccx, "settings"), "odbc");
    CHECK_EQ_STR(json_string_value(json_object_get(uccx, "layout")), "contact");
    CHECK_EQ_STR(json_string_value(json_object_get(uccx, "time_zone")), "UTC");
    CHECK_EQ_INT(json_integer_value(json_object_get(uccx, "interval_minutes")), 30);
    CHECK_CONTAINS(json_string_value(json_object_get(uo, "sql")),
                   "JOIN db_cra.ContactCallDetail ccd");
    CHECK_EQ_STR(json_string_value(json_object_get(uo, "user")), "uccxhruser");
    expect("UCCX Sales", "QueueFilter", "not_convertible", "add the condition to the source's SQL");
    expect("UCCX Sales", "ContactQueueDetailTable", "converted",
           "the preset cisco_uccx_csq_contacts");
    CHECK(has_action("password of source 'UCCX Sales'") || has_action("UCCX Sales"));
    CHECK(doc_item("sources", "name", "UCCX Sales agents") == NULL);
    CHECK(has_action("cisco_uccx_agent_state_detail"));
    /* CIC: both products with their presets; the zone's note is read past */
    json_t *cic = doc_item("sources", "name", "Interactive Intelligence");
    CHECK_EQ_STR(json_string_value(json_object_get(
                     json_object_get(json_object_get(cic, "settings"), "odbc"), "preset")),
                 "genesys_cic_workgroup_interval");
    CHECK_EQ_STR(json_string_value(json_object_get(cic, "time_zone")), "Etc/GMT-1");
    expect("Interactive Intelligence", "TimeZone", "converted", "after the offset is ignored");
    json_t *cica = doc_item("sources", "name", "Interactive Intelligence agents");
    json_t *cs = json_object_get(cica, "settings");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(cs, "odbc"), "preset")),
                 "genesys_cic_agent_activity");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(cs, "agent_states"), "span")),
                 "start_end");
    expect("Interactive Intelligence", "AgentMappingFile", "not_convertible", "Agents page");
    /* CMS: a table name that is not a plain name never reaches the SQL */
    json_t *cms = doc_item("sources", "name", "Avaya CMS");
    CHECK_EQ_STR(json_string_value(json_object_get(
                     json_object_get(json_object_get(cms, "settings"), "odbc"), "preset")),
                 "avaya_cms_hsplit");
    expect("Avaya CMS", "HsplitTable", "not_convertible", "not a plain table name");
    json_t *cmsa = doc_item("sources", "name", "Avaya CMS agents");
    CHECK_EQ_INT(
        json_integer_value(json_object_get(
            json_object_get(json_object_get(cmsa, "settings"), "agent_states"), "min_duration_s")),
        5);
    /* AACC agent events: no logout event type known, so the source waits for one */
    json_t *aa = doc_item("sources", "name", "Nortel Symposium agents");
    CHECK(aa && json_is_false(json_object_get(aa, "enabled")));
    CHECK(has_action("logout_activities"));
    /* a vendor without a public schema: not converted, with what to do */
    CHECK(doc_item("sources", "name", "Siemens HiPath") == NULL);
    CHECK_EQ_STR(json_string_value(json_object_get(block("Siemens HiPath", 0), "outcome")),
                 "not_converted");
    CHECK(has_action("reporting schema is not public"));
    /* every to-do has its message code, the vendor's too */
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(report, "actions"), i, a)
    {
        json_t *code = json_array_get(json_object_get(report, "action_codes"), i);
        if (!json_string_value(json_object_get(code, "code"))) {
            fprintf(stderr, "no code for the to-do %s\n", json_string_value(a));
            CHECK(0);
        }
    }
    CHECK_EQ_STR(
        json_string_value(json_object_get(
            json_array_get(json_object_get(block("Siemens HiPath", 0), "todo_codes"), 0), "code")),
        "xlink.todo.vendor_not_public");
    /* a DSN the section does not name: a placeholder with a code of its own */
    json_t *voc = json_array_get(json_object_get(block("Vocalcom", 0), "todo_codes"), 0);
    CHECK_EQ_STR(json_string_value(json_object_get(voc, "code")), "xlink.todo.vendor_not_public");
    CHECK_EQ_STR(json_string_value(json_object_get(json_object_get(voc, "params"), "dsn_code")),
                 "xlink.note.your_dsn");
    /* a half-hour table: the interval table is read, and the report says so */
    expect("ICM old", "CallDataTableName", "not_convertible", "a half-hour table");
    CHECK_EQ_STR(
        json_string_value(json_object_get(
            json_object_get(json_object_get(doc_item("sources", "name", "ICM old"), "settings"),
                            "odbc"),
            "preset")),
        "cisco_ucce_call_type_interval");
    check_one_line_per_key("isps_ul.ini", ul);
}

static void test_missing_keys_and_vendors(void)
{
    static const char ul[] =
        "[NoQueue]\nSource=DSN\nPassword=x\nCallDataTable=Calls\nValueTypes=a;b\n"
        "TimeStampColumn=t\nTimeZone=2\n"
        "[Cisco ICM]\nSource=HDS\nUser=sa\nCallDataTableName=t_Call_Type_Interval\n"
        "AgentEventDetailTableName=t_Agent_Event_Detail\nPeripheralID=5000\n"
        "[Avaya Aura Contact Center]\nSource=AACC\nSkillsets=1;2\n";
    const struct xlink_file files[] = {{"isps_ul.ini", ul, sizeof(ul) - 1}};
    convert(files, 1, NULL);
    if (!doc) {
        return;
    }
    /* every key of a Universal section without QueueNameColumn has its line naming it */
    expect("NoQueue", "CallDataTable", "not_convertible", "without QueueNameColumn");
    expect("NoQueue", "ValueTypes", "not_convertible", "without QueueNameColumn");
    expect("NoQueue", "TimeStampColumn", "not_convertible", "without QueueNameColumn");
    CHECK(item("NoQueue", "TimeZone", "converted") != NULL);
    CHECK(!has_action("password of source 'NoQueue'"));
    CHECK(has_action("[NoQueue]"));
    CHECK_EQ_STR(json_string_value(json_object_get(block("NoQueue", 0), "outcome")),
                 "not_converted");
    /* vendor interfaces with a public schema: sources with the vendor's preset, the section's
     * table names put into the preset's SQL */
    json_t *icm = block("Cisco ICM", 0);
    CHECK_EQ_STR(json_string_value(json_object_get(icm, "outcome")), "created");
    json_t *icm_src = doc_item("sources", "name", "Cisco ICM");
    json_t *icm_odbc = json_object_get(json_object_get(icm_src, "settings"), "odbc");
    CHECK_CONTAINS(json_string_value(json_object_get(icm_odbc, "sql")),
                   "FROM t_Call_Type_Interval cti");
    CHECK_EQ_STR(json_string_value(json_object_get(icm_odbc, "dsn")), "HDS");
    CHECK_EQ_STR(json_string_value(json_object_get(icm_odbc, "user")), "sa");
    json_t *icm_agents = doc_item("sources", "name", "Cisco ICM agents");
    CHECK_CONTAINS(json_string_value(json_object_get(
                       json_object_get(json_object_get(icm_agents, "settings"), "odbc"), "sql")),
                   "FROM t_Agent_Event_Detail aed");
    expect("Cisco ICM", "PeripheralID", "skipped", "acdlink's preset does without it");
    json_t *aacc = doc_item("sources", "name", "Avaya Aura Contact Center");
    CHECK_EQ_STR(json_string_value(json_object_get(
                     json_object_get(json_object_get(aacc, "settings"), "odbc"), "preset")),
                 "avaya_aacc_application_interval");
    CHECK(has_action("avaya_aacc_agent_login"));
    check_one_line_per_key("isps_ul.ini", ul);
    /* a time zone that does not exist is refused before anything else */
    char err[600];
    json_t *d2 = NULL, *r2 = NULL;
    struct xlink_opts o = {"Mars/Olympus", 1};
    CHECK_EQ_INT(xlink_convert(files, 1, &o, &d2, &r2, err, sizeof(err)), ACDL_EINVAL);
    CHECK_CONTAINS(err, "time_zone: 'Mars/Olympus'");
}

int main(void)
{
    RUN(test_ini_quirks);
    RUN(test_ini_encodings);
    RUN(test_bas);
    RUN(test_convert_keys);
    RUN(test_convert_value_types_and_defaults);
    RUN(test_convert_agents);
    RUN(test_sections_as_windows_reads_them);
    RUN(test_encodings_and_non_text);
    RUN(test_agents_only_and_empty_keys);
    RUN(test_unc_and_quotes);
    RUN(test_missing_keys_and_vendors);
    RUN(test_vendor_presets);
    json_decref(report);
    json_decref(doc);
    return check_summary();
}
