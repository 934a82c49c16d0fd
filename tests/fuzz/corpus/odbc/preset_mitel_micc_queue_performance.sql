SELECT QueueID AS queue_id,
       QueueName AS queue_name,
       {fn TIMESTAMPADD(SQL_TSI_MINUTE, TimeIntervalID * 15, MidnightStartDate)}
           AS interval_start,
       QueueOffered, QueueAnswered, QueueAbandoned, QueueShortAbandoned,
       QueueInterflowed, QueueTimeToAnswerTotal, QueueTimeToAbandonTotal,
       QueueTotalTalkTime, QueueServiceCount
  FROM QueuePerformanceByPeriodStats
 WHERE MidnightStartDate >= :period_start AND MidnightStartDate < :period_end
 ORDER BY MidnightStartDate, TimeIntervalID, QueueName