/* presets.c: ready-made source SQL for common ACD schemas, following the result contracts.
 *
 * Each preset returns, in this order, what odbc.h calls the interval layout (queue id, queue
 * name or NULL, interval start, one column per metric) or the contact layout (queue id,
 * timestamp, answered 0/1, duration in seconds). Column names of metrics are the vendor's, so
 * they are the metric names the mapping shows.
 *
 * Portability: the text avoids dialect features where it can. Where a timestamp must be
 * computed, it uses ODBC escape sequences ({fn TIMESTAMPADD}, {fn MOD}), which the driver
 * translates into its own SQL (psqlODBC, Informix and SQL Server drivers implement them).
 * Every preset is run by tests/unit/test_odbc.c against a fixture table with the vendor's
 * column names in a real PostgreSQL (tests/fixtures/odbc/). Unquoted mixed-case names work on
 * SQL Server as written and fold to lower case on PostgreSQL, like the fixtures' names. */
#include <string.h>

#include "adapters/odbc/odbc.h"

static const struct odbc_preset presets[] = {
    {
        "avaya_cms_hsplit",
        "Avaya CMS: split/skill intervals (hsplit)",
        ODBC_LAYOUT_INTERVAL,
        "SELECT split AS queue_id,\n"
        "       CAST(NULL AS CHAR(1)) AS queue_name,\n"
        "       {fn TIMESTAMPADD(SQL_TSI_MINUTE,\n"
        "            (starttime - {fn MOD(starttime, 100)}) * 60 / 100\n"
        "            + {fn MOD(starttime, 100)}, row_date)} AS interval_start,\n"
        "       callsoffered, acdcalls, abncalls, acdtime, acwtime, holdtime, anstime,\n"
        "       abntime, outflowcalls, acceptable, i_stafftime\n"
        "  FROM hsplit\n"
        " WHERE row_date >= :period_start AND row_date < :period_end\n"
        " ORDER BY row_date, starttime, split",
        "Reads the CMS historical interval table hsplit (one row per split/skill and interval; "
        "the interval length is the ACD's intrvl: 15, 30 or 60 minutes). The interval start is "
        "row_date plus starttime (HHMM, local time of the ACD). Filters on row_date, so the "
        "period must be whole local days. Split names are not in hsplit: the queue name is "
        "NULL. With several ACDs on one CMS, add a condition on acd.",
    },
    {
        "cisco_ucce_call_type_interval",
        "Cisco UCCE/ICM: call type intervals (Call_Type_Interval)",
        ODBC_LAYOUT_INTERVAL,
        "SELECT cti.CallTypeID AS queue_id,\n"
        "       ct.EnterpriseName AS queue_name,\n"
        "       cti.DateTime AS interval_start,\n"
        "       cti.CallsOffered, cti.CallsHandled, cti.CallsAnswered, cti.TotalCallsAband,\n"
        "       cti.HandleTime, cti.AnswerWaitTime, cti.ServiceLevelCalls\n"
        "  FROM Call_Type_Interval cti\n"
        "  LEFT JOIN Call_Type ct ON ct.CallTypeID = cti.CallTypeID\n"
        " WHERE cti.DateTime >= :period_start AND cti.DateTime < :period_end\n"
        " ORDER BY cti.DateTime, cti.CallTypeID",
        "Reads the HDS/AW table Call_Type_Interval (15- or 30-minute intervals) with the call "
        "type's EnterpriseName from Call_Type. DateTime is the interval start in the central "
        "controller's time zone: give the source that zone. HandleTime counts talk, hold and "
        "wrap-up and is booked when wrap-up ends.",
    },
    {
        "asterisk_queue_log",
        "Asterisk: queue_log table (realtime/ODBC logging), one row per contact",
        ODBC_LAYOUT_CONTACT,
        "SELECT RTRIM(c.queuename) AS queue_id,\n"
        "       c.time AS contact_time,\n"
        "       1 AS answered,\n"
        "       RTRIM(e.data2) AS duration\n"
        "  FROM queue_log c\n"
        "  LEFT JOIN queue_log e ON e.callid = c.callid AND e.queuename = c.queuename\n"
        "       AND e.event IN ('COMPLETEAGENT', 'COMPLETECALLER')\n"
        " WHERE c.event = 'CONNECT'\n"
        "   AND c.time >= :period_start AND c.time < :period_end\n"
        "UNION ALL\n"
        "SELECT RTRIM(a.queuename), a.time, 0, RTRIM(a.data3)\n"
        "  FROM queue_log a\n"
        " WHERE a.event = 'ABANDON'\n"
        "   AND a.time >= :period_start AND a.time < :period_end\n"
        " ORDER BY 2, 1",
        "Reads Asterisk's queue_log table (time, callid, queuename, agent, event, data1..data5; "
        "time a timestamp/datetime column). An answered contact is a CONNECT event, stamped at "
        "the time it was answered, with the talk time (data2 of its COMPLETEAGENT or "
        "COMPLETECALLER event) as duration, NULL while the call is still going. An abandoned "
        "contact is an ABANDON event, with the waiting time (data3) as duration.",
    },
    {
        "mitel_micc_queue_performance",
        "Mitel MiContact Center: queue performance by period (CCMData)",
        ODBC_LAYOUT_INTERVAL,
        "SELECT QueueID AS queue_id,\n"
        "       QueueName AS queue_name,\n"
        "       {fn TIMESTAMPADD(SQL_TSI_MINUTE, TimeIntervalID * 15, MidnightStartDate)}\n"
        "           AS interval_start,\n"
        "       QueueOffered, QueueAnswered, QueueAbandoned, QueueShortAbandoned,\n"
        "       QueueInterflowed, QueueTimeToAnswerTotal, QueueTimeToAbandonTotal,\n"
        "       QueueTotalTalkTime, QueueServiceCount\n"
        "  FROM QueuePerformanceByPeriodStats\n"
        " WHERE MidnightStartDate >= :period_start AND MidnightStartDate < :period_end\n"
        " ORDER BY MidnightStartDate, TimeIntervalID, QueueName",
        "Reads the CCMData view QueuePerformanceByPeriodStats (15-minute slots TimeIntervalID "
        "0-95 after MidnightStartDate). Version 7/8 databases name the talk time "
        "QueueTalkTimeTotal instead of QueueTotalTalkTime: edit the SQL there.",
    },
};

const struct odbc_preset *odbc_presets(size_t *count)
{
    if (count) {
        *count = sizeof(presets) / sizeof(presets[0]);
    }
    return presets;
}

const struct odbc_preset *odbc_preset_find(const char *id)
{
    size_t i;
    if (!id) {
        return NULL;
    }
    for (i = 0; i < sizeof(presets) / sizeof(presets[0]); i++) {
        if (strcmp(presets[i].id, id) == 0) {
            return &presets[i];
        }
    }
    return NULL;
}
