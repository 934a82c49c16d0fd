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
        NULL,
        NULL,
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
        NULL,
        NULL,
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
        NULL,
        NULL,
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
        NULL,
        NULL,
    },
    {
        "avaya_cms_agent_trace",
        "Avaya CMS: agent trace (ag_actv), one row per agent state",
        ODBC_LAYOUT_AGENT_STATES,
        "SELECT RTRIM(logid) AS agent_id,\n"
        "       CASE WHEN workmode = 'AUX'\n"
        "            THEN {fn CONCAT('AUX', CAST(auxreason AS VARCHAR(6)))}\n"
        "            ELSE RTRIM(workmode) END AS activity_id,\n"
        "       {fn TIMESTAMPADD(SQL_TSI_SECOND,\n"
        "            (act_time - {fn MOD(act_time, 10000)}) * 36 / 100\n"
        "            + ({fn MOD(act_time, 10000)} - {fn MOD(act_time, 100)}) * 60 / 100\n"
        "            + {fn MOD(act_time, 100)}, row_date)} AS start_time,\n"
        "       duration\n"
        "  FROM ag_actv\n"
        " WHERE row_date >= :period_start AND row_date < :period_end\n"
        " ORDER BY logid, row_date, act_time",
        "Reads the CMS agent trace table ag_actv (agent trace must be switched on for the "
        "agents): row_date plus act_time (HHMMSS, local time of the ACD) is the start, duration "
        "the seconds in the state. The activity is the work mode (AVAIL, ACD, ACW, DACD, "
        "DACW, RING, OTHER), for AUX with its reason code (AUX0 .. AUX99). The agent id is the "
        "login id as CMS writes it. Filters on row_date: the period must be whole local days.",
        "start_duration",
        NULL,
    },
    {
        "cisco_ucce_agent_event_detail",
        "Cisco UCCE/ICM: agent events (Agent_Event_Detail)",
        ODBC_LAYOUT_AGENT_STATES,
        "SELECT a.PeripheralNumber AS agent_id,\n"
        "       CASE aed.Event WHEN 1 THEN 'LOGIN' WHEN 2 THEN 'LOGOUT'\n"
        "            ELSE {fn CONCAT('NR', CAST(aed.ReasonCode AS VARCHAR(12)))} END\n"
        "           AS activity_id,\n"
        "       aed.DateTime AS start_time,\n"
        "       rc.ReasonText AS activity_name\n"
        "  FROM Agent_Event_Detail aed\n"
        "  JOIN Agent a ON a.SkillTargetID = aed.SkillTargetID\n"
        "  LEFT JOIN Reason_Code rc ON rc.ReasonCode = aed.ReasonCode AND aed.Event = 3\n"
        " WHERE aed.DateTime >= :period_start AND aed.DateTime < :period_end\n"
        " ORDER BY a.PeripheralNumber, aed.DateTime",
        "Reads the HDS table Agent_Event_Detail (Event 1 login, 2 logout, 3 not ready with a "
        "reason code) with the agent's PeripheralNumber (the ACD login id) from Agent and the "
        "reason text from Reason_Code. Each state lasts until the agent's next event; LOGOUT "
        "closes the day. DateTime is in the central controller's time zone: give the source "
        "that zone. With several media routing domains, add a condition on MRDomainID.",
        "start_only",
        "LOGOUT",
    },
    {
        "asterisk_queue_log_agents",
        "Asterisk: queue_log table (realtime/ODBC logging), agent membership and pauses",
        ODBC_LAYOUT_AGENT_STATES,
        "SELECT DISTINCT RTRIM(agent) AS agent_id,\n"
        "       CASE WHEN event = 'PAUSE' AND RTRIM(data1) <> ''\n"
        "            THEN {fn CONCAT('PAUSE:', RTRIM(data1))}\n"
        "            ELSE RTRIM(event) END AS activity_id,\n"
        "       time AS start_time\n"
        "  FROM queue_log\n"
        " WHERE event IN ('ADDMEMBER', 'REMOVEMEMBER', 'PAUSE', 'UNPAUSE')\n"
        "   AND time >= :period_start AND time < :period_end\n"
        " ORDER BY 1, 3",
        "Reads Asterisk's queue_log table: ADDMEMBER (log in), PAUSE with its reason (data1) as "
        "PAUSE:<reason>, UNPAUSE and REMOVEMEMBER (log out, which closes the day). Each state "
        "lasts until the agent's next event. The agent id is the member interface (e.g. "
        "PJSIP/201). Assumes an agent joins, pauses and leaves all of its queues together "
        "(the same event for several queues at one time counts once).",
        "start_only",
        "REMOVEMEMBER",
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
