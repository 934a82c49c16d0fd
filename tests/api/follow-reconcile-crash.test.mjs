// kill -9 across the reconciliations of an incremental source against a real PostgreSQL
// through psqlODBC, and around the poller's queuing of one (tests/lib/follow-reconcile-crash-scenarios.mjs).
// FOLLOW_CRASH_ITERATIONS kills (default 6) and 3 around the queuing, CRASH_SEED=N repeats a
// series (scripts/crash-soak runs more).

import { databaseFeed, defineFollowReconcileCrash } from '../lib/follow-reconcile-crash-scenarios.mjs';
import { startPostgres } from '../lib/sqldb.mjs';

defineFollowReconcileCrash(databaseFeed(startPostgres), 'an incremental source on PostgreSQL', Number(process.env.FOLLOW_CRASH_ITERATIONS || 6));
