// kill -9 across the reconciliations of a live-status source (tests/lib/live-reconcile-crash-scenarios.mjs)
// against a real PostgreSQL through psqlODBC. LIVE_CRASH_ITERATIONS kills (default 12),
// CRASH_SEED=N repeats a series (scripts/crash-soak runs more).

import { defineLiveReconcileCrash } from '../lib/live-reconcile-crash-scenarios.mjs';
import { startPostgres } from '../lib/sqldb.mjs';

defineLiveReconcileCrash(startPostgres, 'PostgreSQL', Number(process.env.LIVE_CRASH_ITERATIONS || 12));
