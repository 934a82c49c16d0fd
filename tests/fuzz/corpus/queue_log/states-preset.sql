SELECT DISTINCT RTRIM(e.agent) AS agent_id,
       CASE WHEN e.event = 'CONNECT' THEN 'ONCALL'
            WHEN e.event = 'REMOVEMEMBER' THEN 'LOGGEDOUT'
            WHEN e.event IN ('ADDMEMBER', 'UNPAUSE') THEN 'AVAILABLE'
            WHEN e.event = 'PAUSE' AND RTRIM(e.data1) <> ''
            THEN {fn CONCAT('PAUSED:', RTRIM(e.data1))}
            WHEN e.event = 'PAUSE' THEN 'PAUSED'
            ELSE COALESCE((
                SELECT MAX(CASE WHEN s.event <> 'PAUSE' THEN 'AVAILABLE'
                                WHEN RTRIM(s.data1) <> ''
                                THEN {fn CONCAT('PAUSED:', RTRIM(s.data1))}
                                ELSE 'PAUSED' END)
                  FROM queue_log s
                 WHERE s.agent = e.agent
                   AND s.event IN ('PAUSE', 'UNPAUSE', 'ADDMEMBER')
                   AND s.time = (SELECT MAX(m.time) FROM queue_log m
                                  WHERE m.agent = e.agent AND m.time <= e.time
                                    AND m.event IN ('PAUSE', 'UNPAUSE', 'ADDMEMBER'))),
                'AVAILABLE') END AS activity_id,
       e.time AS start_time
  FROM queue_log e
 WHERE e.event IN ('ADDMEMBER', 'REMOVEMEMBER', 'PAUSE', 'UNPAUSE', 'CONNECT',
                   'COMPLETEAGENT', 'COMPLETECALLER', 'TRANSFER', 'BLINDTRANSFER',
                   'ATTENDEDTRANSFER')
   AND e.time >= :period_start AND e.time < :period_end
   AND NOT (e.event IN ('PAUSE', 'UNPAUSE') AND
        COALESCE((SELECT MAX(c.time) FROM queue_log c
                   WHERE c.agent = e.agent AND c.event = 'CONNECT'
                     AND c.time <= e.time), {ts '1970-01-01 00:00:00'})
        > COALESCE((SELECT MAX(x.time) FROM queue_log x
                     WHERE x.agent = e.agent AND x.time <= e.time
                       AND x.event IN ('COMPLETEAGENT', 'COMPLETECALLER', 'TRANSFER',
                           'BLINDTRANSFER', 'ATTENDEDTRANSFER', 'REMOVEMEMBER')),
                   {ts '1970-01-01 00:00:00'}))
 ORDER BY 1, 3