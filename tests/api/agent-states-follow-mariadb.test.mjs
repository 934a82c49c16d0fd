// The incremental-source scenarios of tests/lib/incremental-scenarios.mjs (a writer inserting
// agents' states while the daemon polls the table and is killed with SIGKILL, every state
// delivered once and in order, the live board) against a real MariaDB (tests/lib/mariadb.sh)
// through Debian's odbc-mariadb driver.

import { defineIncrementalScenarios } from '../lib/incremental-scenarios.mjs';
import { startMariadb } from '../lib/sqldb.mjs';

defineIncrementalScenarios(startMariadb);
