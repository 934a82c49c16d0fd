SELECT ':period_start', "a:b", `c`, E'\\':x', $q$ :y $q$, ts::date, a[lo:hi] -- :z
/* :a /* :b */ */ FROM t WHERE x = :PERIOD_END