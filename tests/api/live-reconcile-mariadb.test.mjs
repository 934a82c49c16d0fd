// The reconciliation of live-status sources from a history query
// (tests/lib/live-reconcile-scenarios.mjs) against a real MariaDB (tests/lib/mariadb.sh) through
// Debian's odbc-mariadb driver.

import { defineLiveReconcileScenarios } from '../lib/live-reconcile-scenarios.mjs';
import { startMariadb } from '../lib/sqldb.mjs';

defineLiveReconcileScenarios(startMariadb);
