SELECT RTRIM(c.queuename) AS queue_id,
       c.time AS contact_time,
       1 AS answered,
       RTRIM(e.data2) AS duration
  FROM queue_log c
  LEFT JOIN queue_log e ON e.callid = c.callid AND e.queuename = c.queuename
       AND e.event IN ('COMPLETEAGENT', 'COMPLETECALLER')
 WHERE c.event = 'CONNECT'
   AND c.time >= :period_start AND c.time < :period_end
UNION ALL
SELECT RTRIM(a.queuename), a.time, 0, RTRIM(a.data3)
  FROM queue_log a
 WHERE a.event = 'ABANDON'
   AND a.time >= :period_start AND a.time < :period_end
 ORDER BY 2, 1