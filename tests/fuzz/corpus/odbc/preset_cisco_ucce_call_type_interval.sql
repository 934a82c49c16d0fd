SELECT cti.CallTypeID AS queue_id,
       ct.EnterpriseName AS queue_name,
       cti.DateTime AS interval_start,
       cti.CallsOffered, cti.CallsHandled, cti.CallsAnswered, cti.TotalCallsAband,
       cti.HandleTime, cti.AnswerWaitTime, cti.ServiceLevelCalls
  FROM Call_Type_Interval cti
  LEFT JOIN Call_Type ct ON ct.CallTypeID = cti.CallTypeID
 WHERE cti.DateTime >= :period_start AND cti.DateTime < :period_end
 ORDER BY cti.DateTime, cti.CallTypeID