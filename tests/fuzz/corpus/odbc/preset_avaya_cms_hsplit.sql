SELECT split AS queue_id,
       CAST(NULL AS CHAR(1)) AS queue_name,
       {fn TIMESTAMPADD(SQL_TSI_MINUTE,
            (starttime - {fn MOD(starttime, 100)}) * 60 / 100
            + {fn MOD(starttime, 100)}, row_date)} AS interval_start,
       callsoffered, acdcalls, abncalls, acdtime, acwtime, holdtime, anstime,
       abntime, outflowcalls, acceptable, i_stafftime
  FROM hsplit
 WHERE row_date >= :period_start AND row_date < :period_end
 ORDER BY row_date, starttime, split