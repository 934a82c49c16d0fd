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

/* Agent_Real_Time's activity, the same for the preset read by days and the live-status one: the
 * reason code when the agent is not ready, else the state (the AgentState values of the UCCE
 * database schema handbook). */
#define UCCE_ART_ACTIVITY                                                                          \
    "       CASE art.AgentState WHEN 0 THEN 'LOGOUT' WHEN 1 THEN 'LOGIN'\n"                        \
    "            WHEN 2 THEN {fn CONCAT('NR', CAST(art.ReasonCode AS VARCHAR(12)))}\n"             \
    "            WHEN 3 THEN 'READY' WHEN 4 THEN 'TALKING' WHEN 5 THEN 'WORK_NOT_READY'\n"         \
    "            WHEN 6 THEN 'WORK_READY' WHEN 7 THEN 'BUSY_OTHER' WHEN 8 THEN 'RESERVED'\n"       \
    "            WHEN 9 THEN 'UNKNOWN' WHEN 10 THEN 'HOLD' WHEN 11 THEN 'ACTIVE'\n"                \
    "            WHEN 12 THEN 'PAUSED' WHEN 13 THEN 'INTERRUPTED' WHEN 14 THEN 'NOT_ACTIVE'\n"     \
    "            ELSE {fn CONCAT('STATE', CAST(art.AgentState AS VARCHAR(6)))} END\n"              \
    "           AS activity_id,\n"
#define UCCE_ART_STATES                                                                            \
    "LOGOUT (0, closes the day), LOGIN, READY, TALKING, WORK_NOT_READY, WORK_READY, "              \
    "BUSY_OTHER, RESERVED, UNKNOWN, HOLD, ACTIVE, PAUSED, INTERRUPTED, NOT_ACTIVE (1, 3-14)"

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
        "cisco_ucce_agent_real_time",
        "Cisco UCCE/ICM: agents' current states (Agent_Real_Time), each as a state since its "
        "last change",
        ODBC_LAYOUT_AGENT_STATES,
        "SELECT a.PeripheralNumber AS agent_id,\n" UCCE_ART_ACTIVITY
        "       art.DateTimeLastStateChange AS start_time,\n"
        "       rc.ReasonText AS activity_name\n"
        "  FROM Agent_Real_Time art\n"
        "  JOIN Agent a ON a.SkillTargetID = art.SkillTargetID\n"
        "  LEFT JOIN Reason_Code rc ON rc.ReasonCode = art.ReasonCode AND art.AgentState = 2\n"
        " WHERE art.DateTimeLastStateChange >= :period_start\n"
        "   AND art.DateTimeLastStateChange < :period_end\n"
        " ORDER BY a.PeripheralNumber, art.DateTimeLastStateChange",
        "Reads the live-status table Agent_Real_Time (one row per agent and media routing "
        "domain holding the agent's current state) with the agent's PeripheralNumber from "
        "Agent: each row is a state that began at DateTimeLastStateChange. The activity is the "
        "reason code when the agent is not ready (AgentState 2, as NR<ReasonCode> with the "
        "reason text from Reason_Code as its name), else the state: " UCCE_ART_STATES ". A run "
        "sees only the states the agents are in now (the rows whose last change lies in its "
        "period), so it replaces the day's earlier states: cisco_ucce_agent_real_time_live "
        "polls the table and makes each change a state of its own. Times are in the central "
        "controller's time zone: give the source that zone. With several media routing "
        "domains, add a condition on MRDomainID.",
        "start_only",
        "LOGOUT",
    },
    {
        "cisco_ucce_agent_state_trace",
        "Cisco UCCE/ICM: agent state changes (Agent_State_Trace)",
        ODBC_LAYOUT_AGENT_STATES,
        "SELECT a.PeripheralNumber AS agent_id,\n" UCCE_ART_ACTIVITY
        "       art.DateTime AS start_time,\n"
        "       rc.ReasonText AS activity_name\n"
        "  FROM Agent_State_Trace art\n"
        "  JOIN Agent a ON a.SkillTargetID = art.SkillTargetID\n"
        "  LEFT JOIN Reason_Code rc ON rc.ReasonCode = art.ReasonCode AND art.AgentState = 2\n"
        " WHERE art.DateTime >= :period_start AND art.DateTime < :period_end\n"
        " ORDER BY a.PeripheralNumber, art.DateTime",
        "Reads the HDS table Agent_State_Trace (one row per state change of an agent for whom "
        "agent state trace is switched on) with the agent's PeripheralNumber from Agent. The "
        "activity is the same as cisco_ucce_agent_real_time_live's: the reason code when the "
        "agent is not ready (AgentState 2, as NR<ReasonCode> with the reason text from "
        "Reason_Code as its name), else the state: " UCCE_ART_STATES ", so it is the history "
        "query of that live-status preset (settings.live_status.history_preset). Each state "
        "lasts until the agent's next change. DateTime is in the central controller's time "
        "zone: give the source that zone. With several media routing domains, add a condition "
        "on MRDomainID.",
        "start_only",
        "LOGOUT",
    },
    {
        "cisco_ucce_agent_real_time_live",
        "Cisco UCCE/ICM: agents' current states (Agent_Real_Time), polled as a live-status table",
        ODBC_LAYOUT_AGENT_STATES,
        "SELECT a.PeripheralNumber AS agent_id,\n" UCCE_ART_ACTIVITY
        "       art.DateTimeLastStateChange AS state_since,\n"
        "       rc.ReasonText AS activity_name\n"
        "  FROM Agent_Real_Time art\n"
        "  JOIN Agent a ON a.SkillTargetID = art.SkillTargetID\n"
        "  LEFT JOIN Reason_Code rc ON rc.ReasonCode = art.ReasonCode AND art.AgentState = 2\n"
        " ORDER BY a.PeripheralNumber, art.MRDomainID",
        "Polls the live-status table Agent_Real_Time (one row per agent and media routing "
        "domain it is logged in to) with the agent's PeripheralNumber from Agent: each change of "
        "an "
        "agent's row starts a state at DateTimeLastStateChange. The activity is the same as "
        "cisco_ucce_agent_real_time's: the reason code when the agent is not ready (AgentState "
        "2, as NR<ReasonCode> with the reason text from Reason_Code as its name), else the "
        "state: " UCCE_ART_STATES ". An agent whose row leaves the table is logged out at the "
        "poll that no longer sees it. An agent in several media routing domains counts with "
        "its first one (lowest MRDomainID); add a condition on MRDomainID to choose one. Times "
        "are in the central controller's time zone: give the source that zone.",
        "start_only",
        "LOGOUT",
    },
    {
        "twilio_taskrouter_workers_live",
        "Twilio TaskRouter: workers' current activities (a table of the Worker resources), "
        "polled as a live-status table",
        ODBC_LAYOUT_AGENT_STATES,
        "SELECT friendly_name AS agent_id,\n"
        "       activity_name AS activity_id,\n"
        "       date_status_changed AS state_since\n"
        "  FROM taskrouter_workers\n"
        " ORDER BY friendly_name",
        "Polls a table taskrouter_workers that mirrors TaskRouter's Worker resources, one row "
        "per worker of the workspace, with the resource's fields as columns: sid, "
        "friendly_name, activity_sid, activity_name, available and date_status_changed (a "
        "timestamp, UTC as the API gives it: give the source the zone UTC), kept current by "
        "whatever copies the workspace into the database (the Workers list or the "
        "worker.activity.update events). The agent id is the worker's friendly_name, the "
        "activity its Activity's friendly name (a new workspace has Offline, Available and "
        "Unavailable; Offline is the logout code), starting at date_status_changed. A worker "
        "deleted from the table is logged out at the poll that no longer sees it. "
        "twilio_taskrouter_events reads the workspace's events with the same agent ids and "
        "codes: it is this preset's history (settings.live_status.history_preset).",
        "start_only",
        "Offline",
    },
    {
        "twilio_taskrouter_events",
        "Twilio TaskRouter: workers' activity changes (a table of the workspace's Event "
        "resources)",
        ODBC_LAYOUT_AGENT_STATES,
        "SELECT worker_name AS agent_id,\n"
        "       worker_activity_name AS activity_id,\n"
        "       event_date AS start_time\n"
        "  FROM taskrouter_events\n"
        " WHERE event_type = 'worker.activity.update'\n"
        "   AND event_date >= :period_start AND event_date < :period_end\n"
        " ORDER BY worker_name, event_date, event_date_ms",
        "Reads a table taskrouter_events that mirrors TaskRouter's Event resources of a "
        "workspace (the Events list: TaskRouter keeps them 30 days), one row per event with the "
        "resource's fields as columns (sid, event_type, event_date, event_date_ms, "
        "resource_type, resource_sid, description) and the members of its event_data as "
        "columns of their own, named as there (worker_sid, worker_name, worker_activity_sid, "
        "worker_activity_name, worker_previous_activity_sid, worker_previous_activity_name). "
        "Each worker.activity.update event is a state: the agent id is the worker's friendly "
        "name (worker_name), the activity the new Activity's friendly name "
        "(worker_activity_name; Offline is the logout code), starting at event_date (a "
        "timestamp, UTC as the API gives it: give the source the zone UTC); events of one "
        "second are ordered by event_date_ms. The codes and agent ids are "
        "twilio_taskrouter_workers_live's, so it is the history query of that live-status "
        "preset (settings.live_status.history_preset). Each state lasts until the worker's "
        "next change.",
        "start_only",
        "Offline",
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
    {
        "asterisk_queue_log_states",
        "Asterisk: queue_log table (realtime/ODBC logging), agent states (logged out, available, "
        "paused with reason, on call)",
        ODBC_LAYOUT_AGENT_STATES,
        "SELECT DISTINCT RTRIM(e.agent) AS agent_id,\n"
        "       CASE WHEN e.event = 'CONNECT' THEN 'ONCALL'\n"
        "            WHEN e.event = 'REMOVEMEMBER' THEN 'LOGGEDOUT'\n"
        "            WHEN e.event IN ('ADDMEMBER', 'UNPAUSE') THEN 'AVAILABLE'\n"
        "            WHEN e.event = 'PAUSE' AND RTRIM(e.data1) <> ''\n"
        "            THEN {fn CONCAT('PAUSED:', RTRIM(e.data1))}\n"
        "            WHEN e.event = 'PAUSE' THEN 'PAUSED'\n"
        "            ELSE COALESCE((\n"
        "                SELECT MAX(CASE WHEN s.event <> 'PAUSE' THEN 'AVAILABLE'\n"
        "                                WHEN RTRIM(s.data1) <> ''\n"
        "                                THEN {fn CONCAT('PAUSED:', RTRIM(s.data1))}\n"
        "                                ELSE 'PAUSED' END)\n"
        "                  FROM queue_log s\n"
        "                 WHERE s.agent = e.agent\n"
        "                   AND s.event IN ('PAUSE', 'UNPAUSE', 'ADDMEMBER')\n"
        "                   AND s.time = (SELECT MAX(m.time) FROM queue_log m\n"
        "                                  WHERE m.agent = e.agent AND m.time <= e.time\n"
        "                                    AND m.event IN ('PAUSE', 'UNPAUSE', 'ADDMEMBER'))),\n"
        "                'AVAILABLE') END AS activity_id,\n"
        "       e.time AS start_time\n"
        "  FROM queue_log e\n"
        " WHERE e.event IN ('ADDMEMBER', 'REMOVEMEMBER', 'PAUSE', 'UNPAUSE', 'CONNECT',\n"
        "                   'COMPLETEAGENT', 'COMPLETECALLER', 'TRANSFER', 'BLINDTRANSFER',\n"
        "                   'ATTENDEDTRANSFER')\n"
        "   AND e.time >= :period_start AND e.time < :period_end\n"
        "   AND NOT (e.event IN ('PAUSE', 'UNPAUSE') AND\n"
        "        COALESCE((SELECT MAX(c.time) FROM queue_log c\n"
        "                   WHERE c.agent = e.agent AND c.event = 'CONNECT'\n"
        "                     AND c.time <= e.time), {ts '1970-01-01 00:00:00'})\n"
        "        > COALESCE((SELECT MAX(x.time) FROM queue_log x\n"
        "                     WHERE x.agent = e.agent AND x.time <= e.time\n"
        "                       AND x.event IN ('COMPLETEAGENT', 'COMPLETECALLER', 'TRANSFER',\n"
        "                           'BLINDTRANSFER', 'ATTENDEDTRANSFER', 'REMOVEMEMBER')),\n"
        "                   {ts '1970-01-01 00:00:00'}))\n"
        " ORDER BY 1, 3",
        "Reads Asterisk's queue_log table (time, callid, queuename, agent, event, data1..data5) "
        "and turns an agent's (queue member's) events into states: ADDMEMBER and UNPAUSE start "
        "AVAILABLE, PAUSE starts PAUSED:<reason> (data1), or PAUSED without one, CONNECT (the "
        "agent answered a queue call) starts ONCALL, and the call's end (COMPLETEAGENT, "
        "COMPLETECALLER, or the agent's TRANSFER, BLINDTRANSFER or ATTENDEDTRANSFER) starts the "
        "state the agent's pauses left: PAUSED with the reason of the last PAUSE if that came "
        "after the last UNPAUSE or ADDMEMBER, else AVAILABLE. A PAUSE or UNPAUSE during a call "
        "does not interrupt ONCALL: it shows from the call's end. REMOVEMEMBER is LOGGEDOUT "
        "(the logout code: the day has a hole until the next ADDMEMBER). RINGNOANSWER (the "
        "member's phone rang unanswered) changes nothing; when the queue pauses a member for "
        "it (autopause), Asterisk writes a PAUSE row, which is read as any pause. PAUSEALL and "
        "UNPAUSEALL are left out: Asterisk writes a PAUSE or UNPAUSE per queue beside them. "
        "States count per agent over all its queues (an agent joins, pauses and leaves them "
        "together; equal rows at one time count once), so pause a member in every queue it "
        "serves. time is the Asterisk server's local time: give the source that zone. On large "
        "tables an index on (agent, time) keeps the look-backs short.",
        "start_only",
        "LOGGEDOUT",
    },
    {
        "asterisk_queue_log_intervals",
        "Asterisk: queue_log table (realtime/ODBC logging), queue statistics per quarter hour",
        ODBC_LAYOUT_INTERVAL,
        "SELECT queue_id, CAST(NULL AS CHAR(1)) AS queue_name, interval_start,\n"
        "       SUM(CASE WHEN event = 'ENTERQUEUE' THEN 1 ELSE 0 END) AS offered,\n"
        "       SUM(CASE WHEN event = 'CONNECT' THEN 1 ELSE 0 END) AS answered,\n"
        "       SUM(CASE WHEN event <> 'CONNECT' THEN 0\n"
        "                WHEN CAST(RTRIM(data1) AS DECIMAL(12, 0)) <= 20 THEN 1\n"
        "                ELSE 0 END) AS answered_20s,\n"
        "       SUM(CASE WHEN event = 'ABANDON' THEN 1 ELSE 0 END) AS abandoned,\n"
        "       SUM(CASE WHEN event = 'EXITWITHTIMEOUT' THEN 1 ELSE 0 END) AS timeouts,\n"
        "       SUM(CASE WHEN event = 'EXITEMPTY' THEN 1 ELSE 0 END) AS exit_empty,\n"
        "       SUM(CASE WHEN event = 'EXITWITHKEY' THEN 1 ELSE 0 END) AS exit_key,\n"
        "       SUM(CASE WHEN event IN ('COMPLETEAGENT', 'COMPLETECALLER', 'TRANSFER',\n"
        "                               'BLINDTRANSFER', 'ATTENDEDTRANSFER')\n"
        "                THEN 1 ELSE 0 END) AS completed,\n"
        "       SUM(CASE WHEN event = 'CONNECT' THEN CAST(RTRIM(data1) AS DECIMAL(12, 0))\n"
        "                ELSE 0 END) AS answer_wait_s,\n"
        "       SUM(CASE WHEN event = 'ABANDON' THEN CAST(RTRIM(data3) AS DECIMAL(12, 0))\n"
        "                ELSE 0 END) AS abandon_wait_s,\n"
        "       SUM(CASE WHEN event IN ('COMPLETEAGENT', 'COMPLETECALLER')\n"
        "                THEN CAST(RTRIM(data2) AS DECIMAL(12, 0))\n"
        "                WHEN event IN ('TRANSFER', 'BLINDTRANSFER', 'ATTENDEDTRANSFER')\n"
        "                THEN CAST(RTRIM(data4) AS DECIMAL(12, 0))\n"
        "                ELSE 0 END) AS talk_s\n"
        "  FROM (SELECT RTRIM(queuename) AS queue_id, event, data1, data2, data3, data4,\n"
        "               {fn TIMESTAMPADD(SQL_TSI_MINUTE,\n"
        "                    {fn HOUR(time)} * 60 + {fn MINUTE(time)} - {fn MOD({fn MINUTE(time)}, "
        "15)},\n"
        "                    CAST(time AS DATE))} AS interval_start\n"
        "          FROM queue_log\n"
        "         WHERE event IN ('ENTERQUEUE', 'CONNECT', 'ABANDON', 'EXITWITHTIMEOUT',\n"
        "                         'EXITEMPTY', 'EXITWITHKEY', 'COMPLETEAGENT', 'COMPLETECALLER',\n"
        "                         'TRANSFER', 'BLINDTRANSFER', 'ATTENDEDTRANSFER')\n"
        "           AND time >= :period_start AND time < :period_end) q\n"
        " GROUP BY interval_start, queue_id\n"
        " ORDER BY interval_start, queue_id",
        "Reads Asterisk's queue_log table and counts per queue and quarter hour (the source's "
        "interval must be 15 minutes; for 30 or 60 put that number for the two 15s): offered "
        "(ENTERQUEUE: a caller joined the queue), answered (CONNECT: an agent answered; "
        "answered_20s those that waited at most 20 s, data1), abandoned (ABANDON: the caller "
        "hung up while waiting), timeouts (EXITWITHTIMEOUT: the queue's timeout sent the caller "
        "on), exit_empty (EXITEMPTY: no members left to take the call), exit_key (EXITWITHKEY: "
        "the caller pressed a key to leave) and completed (the end of an answered call: "
        "COMPLETEAGENT, COMPLETECALLER, TRANSFER, BLINDTRANSFER or ATTENDEDTRANSFER); the "
        "seconds answered calls waited (answer_wait_s, CONNECT's data1), abandoned calls "
        "waited (abandon_wait_s, ABANDON's data3) and agents talked (talk_s: the call time, "
        "data2 of COMPLETEAGENT and COMPLETECALLER, data4 of the transfers). Each event counts "
        "in the quarter hour it was written in: a call is offered when it joins, answered "
        "when it is answered and its talk time counts when it ends. Callers refused at the "
        "door (JOINEMPTY, JOINUNAVAIL) never joined and are not offered. time is the Asterisk "
        "server's local time: give the source that zone (the repeated hour of the autumn "
        "change falls into one set of quarter hours).",
        NULL,
        NULL,
    },
    {
        "cisco_uccx_csq_contacts",
        "Cisco UCCX: contacts per CSQ (ContactQueueDetail), one row per queued contact",
        ODBC_LAYOUT_CONTACT,
        "SELECT csq.csqName AS queue_id,\n"
        "       ccd.startDateTime AS contact_time,\n"
        "       CASE WHEN cqd.disposition = 2 THEN 1 ELSE 0 END AS answered,\n"
        "       acd.handle_time AS duration\n"
        "  FROM ContactQueueDetail cqd\n"
        "  JOIN ContactCallDetail ccd ON ccd.sessionID = cqd.sessionID\n"
        "       AND ccd.sessionSeqNum = cqd.sessionSeqNum AND ccd.nodeID = cqd.nodeID\n"
        "       AND ccd.profileID = cqd.profileID\n"
        "  JOIN ContactServiceQueue csq ON csq.recordID = cqd.targetID\n"
        "       AND csq.profileID = cqd.profileID\n"
        "  LEFT JOIN (SELECT sessionID, sessionSeqNum, nodeID, profileID, qIndex,\n"
        "                    SUM(talkTime + holdTime + workTime) AS handle_time\n"
        "               FROM AgentConnectionDetail\n"
        "              GROUP BY sessionID, sessionSeqNum, nodeID, profileID, qIndex) acd\n"
        "       ON acd.sessionID = cqd.sessionID AND acd.sessionSeqNum = cqd.sessionSeqNum\n"
        "       AND acd.nodeID = cqd.nodeID AND acd.profileID = cqd.profileID\n"
        "       AND acd.qIndex = cqd.qIndex\n"
        " WHERE cqd.targetType = 0 AND cqd.disposition IN (1, 2)\n"
        "   AND ccd.startDateTime >= :period_start AND ccd.startDateTime < :period_end\n"
        " ORDER BY 2, 1",
        "Reads the UCCX historical database (db_cra): one row per call leg queued for a CSQ "
        "(ContactQueueDetail with targetType 0), stamped with the leg's start "
        "(ContactCallDetail.startDateTime), named by the CSQ's csqName. Disposition 2 (handled "
        "by the CSQ) is answered, with talk, hold and work time of its agent legs "
        "(AgentConnectionDetail) as duration; disposition 1 (abandoned) is not answered. Legs "
        "dequeued or handled by a script or another CSQ (3, 4, 5) are left out: they are "
        "neither handled nor abandoned in this CSQ. UCCX writes its times in UTC: give the "
        "source the zone UTC.",
        NULL,
        NULL,
    },
    {
        "cisco_uccx_agent_state_detail",
        "Cisco UCCX: agent states (AgentStateDetail)",
        ODBC_LAYOUT_AGENT_STATES,
        "SELECT RTRIM(r.resourceLoginID) AS agent_id,\n"
        "       CASE asd.eventType WHEN 1 THEN 'LOGIN' WHEN 3 THEN 'READY'\n"
        "            WHEN 4 THEN 'RESERVED' WHEN 5 THEN 'TALKING' WHEN 6 THEN 'WORK'\n"
        "            WHEN 7 THEN 'LOGOUT'\n"
        "            WHEN 2 THEN {fn CONCAT('NR', CAST(asd.reasonCode AS VARCHAR(6)))}\n"
        "            ELSE {fn CONCAT('EVENT', CAST(asd.eventType AS VARCHAR(6)))} END\n"
        "           AS activity_id,\n"
        "       asd.eventDateTime AS start_time\n"
        "  FROM AgentStateDetail asd\n"
        "  JOIN Resource r ON r.resourceID = asd.agentID AND r.profileID = asd.profileID\n"
        " WHERE asd.eventDateTime >= :period_start AND asd.eventDateTime < :period_end\n"
        " ORDER BY 1, 3",
        "Reads the UCCX table AgentStateDetail with the agent's login id (resourceLoginID) from "
        "Resource. eventType 1 logged in, 2 not ready (as NR<reasonCode>, e.g. NR101 for a "
        "customer code or NR32760 for a system code), 3 ready, 4 reserved, 5 talking, 6 work, "
        "7 logged out (closes the day). Each state lasts until the agent's next event. UCCX "
        "writes its times in UTC: give the source the zone UTC.",
        "start_only",
        "LOGOUT",
    },
    {
        "avaya_aacc_application_interval",
        "Avaya AACC / Nortel Symposium: application intervals (iApplicationStat)",
        ODBC_LAYOUT_INTERVAL,
        "SELECT s.ApplicationID AS queue_id,\n"
        "       a.Name AS queue_name,\n"
        "       s.Timestamp AS interval_start,\n"
        "       s.CallsOffered, s.CallsAnswered, s.CallsAbandoned, s.TalkTime, s.WaitTime,\n"
        "       s.PostCallProcessingTime\n"
        "  FROM iApplicationStat s\n"
        "  LEFT JOIN Application a ON a.ApplicationID = s.ApplicationID\n"
        " WHERE s.Timestamp >= :period_start AND s.Timestamp < :period_end\n"
        " ORDER BY s.Timestamp, s.ApplicationID",
        "Reads the AACC/Symposium interval statistics view iApplicationStat (15-minute "
        "intervals; Timestamp is the interval start in the server's local time) with the "
        "application's Name from Application. On AACC the views live in a schema (e.g. dbo): "
        "prefix the names if the DSN's default schema differs.",
        NULL,
        NULL,
    },
    {
        "avaya_aacc_agent_login",
        "Avaya AACC / Nortel Symposium: agent events (eAgentLoginStat)",
        ODBC_LAYOUT_AGENT_STATES,
        "SELECT RTRIM(AgentLogin) AS agent_id,\n"
        "       RTRIM(EventType) AS activity_id,\n"
        "       Timestamp AS start_time\n"
        "  FROM eAgentLoginStat\n"
        " WHERE Timestamp >= :period_start AND Timestamp < :period_end\n"
        " ORDER BY 1, 3",
        "Reads the AACC/Symposium event statistics view eAgentLoginStat: one row per agent "
        "event (log in, log out, ready, not ready ...), the event type as activity. Each state "
        "lasts until the agent's next event. Set the source's logout codes to the event type(s) "
        "your server writes for a log out, so that a day ends there.",
        "start_only",
        NULL,
    },
    {
        "genesys_cic_workgroup_interval",
        "Genesys PureConnect / Interactive Intelligence CIC: workgroup queue intervals "
        "(IWrkgrpQueueStats)",
        ODBC_LAYOUT_INTERVAL,
        "SELECT RTRIM(cName) AS queue_id,\n"
        "       RTRIM(cName) AS queue_name,\n"
        "       dIntervalStart AS interval_start,\n"
        "       nEnteredAcd, nAnsweredAcd, nAbandonedAcd, nFlowOutAcd, tAnsweredAcd,\n"
        "       tAbandonedAcd, tTalkAcd, tHoldAcd, tAcw\n"
        "  FROM IWrkgrpQueueStats\n"
        " WHERE cReportGroup = '*' AND cHKey3 = '*' AND cHKey4 = '*'\n"
        "   AND dIntervalStart >= :period_start AND dIntervalStart < :period_end\n"
        " ORDER BY dIntervalStart, cName",
        "Reads the CIC interval view IWrkgrpQueueStats (one row per workgroup queue, report "
        "group and interval; the interval is the Queue Period Statistics interval, usually 30 "
        "minutes). Only the totals rows are read (cReportGroup, cHKey3 and cHKey4 '*'), so no "
        "contact counts twice. dIntervalStart is the interval start in the CIC server's local "
        "time: give the source that zone. Counts (n...) and times in seconds (t...) are CIC's.",
        NULL,
        NULL,
    },
    {
        "genesys_cic_agent_activity",
        "Genesys PureConnect / Interactive Intelligence CIC: agent statuses (AgentActivityLog)",
        ODBC_LAYOUT_AGENT_STATES,
        "SELECT RTRIM(UserId) AS agent_id,\n"
        "       RTRIM(StatusKey) AS activity_id,\n"
        "       StatusDateTime AS start_time,\n"
        "       EndDateTime AS end_time\n"
        "  FROM AgentActivityLog\n"
        " WHERE LoggedIn = 1\n"
        "   AND StatusDateTime >= :period_start AND StatusDateTime < :period_end\n"
        " ORDER BY 1, 3, SeqNo",
        "Reads the CIC table AgentActivityLog: one row per status of a logged-in agent (UserId "
        "as defined in Interaction Administrator), the status key (e.g. Available, Do Not "
        "Disturb, At Lunch) as activity, from StatusDateTime to EndDateTime, in the order of "
        "SeqNo within a second. Times are the CIC server's local time (the ...GMT columns hold "
        "UTC): give the source that zone. Statuses while logged out are not read.",
        "start_end",
        NULL,
    },
};

static const struct odbc_preset_live live_presets[] = {
    {"cisco_ucce_agent_real_time_live", "agent_id", "activity_id", NULL, "state_since"},
    {"twilio_taskrouter_workers_live", "agent_id", "activity_id", NULL, "state_since"},
};

const struct odbc_preset_live *odbc_preset_live(const char *id)
{
    for (size_t i = 0; id && i < sizeof(live_presets) / sizeof(live_presets[0]); i++) {
        if (strcmp(live_presets[i].id, id) == 0) {
            return &live_presets[i];
        }
    }
    return NULL;
}

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
