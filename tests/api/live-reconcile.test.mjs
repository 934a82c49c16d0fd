// The reconciliation of live-status sources from a history query
// (tests/lib/live-reconcile-scenarios.mjs) against a real PostgreSQL through psqlODBC.

import { defineLiveReconcileScenarios } from '../lib/live-reconcile-scenarios.mjs';
import { startPostgres } from '../lib/sqldb.mjs';

defineLiveReconcileScenarios(startPostgres, { settings: true });
