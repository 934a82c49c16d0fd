// kill -9 across the reconciliations of an incremental source against a real MariaDB
// (tests/lib/mariadb.sh) through Debian's odbc-mariadb driver, and around the poller's queuing
// of one: the same series as on PostgreSQL (tests/lib/follow-reconcile-crash-scenarios.mjs),
// fewer kills in CI. FOLLOW_CRASH_MARIADB_ITERATIONS kills (default 3) and 2 around the
// queuing, CRASH_SEED=N repeats a series (scripts/crash-soak runs more).

import { databaseFeed, defineFollowReconcileCrash } from '../lib/follow-reconcile-crash-scenarios.mjs';
import { startMariadb } from '../lib/sqldb.mjs';

defineFollowReconcileCrash(databaseFeed(startMariadb), 'an incremental source on MariaDB', Number(process.env.FOLLOW_CRASH_MARIADB_ITERATIONS || 3), { scheduledKills: 2 });
