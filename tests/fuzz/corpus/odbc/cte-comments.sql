-- last period
WITH t AS (SELECT * FROM hsplit WHERE row_date >= :period_start /* inclusive */ AND row_date < :period_end)
SELECT split, ':period_start' AS lit, "col:period_end" FROM t