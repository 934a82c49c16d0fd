// kill -9 across the reconciliations of a live-status source (tests/lib/live-reconcile-crash-scenarios.mjs)
// against a real MariaDB (tests/lib/mariadb.sh) through Debian's odbc-mariadb driver: the same
// series as on PostgreSQL, fewer kills in CI. LIVE_CRASH_MARIADB_ITERATIONS kills (default 4),
// CRASH_SEED=N repeats a series (scripts/crash-soak runs more).

import { defineLiveReconcileCrash } from '../lib/live-reconcile-crash-scenarios.mjs';
import { startMariadb } from '../lib/sqldb.mjs';

defineLiveReconcileCrash(startMariadb, 'MariaDB', Number(process.env.LIVE_CRASH_MARIADB_ITERATIONS || 4));
