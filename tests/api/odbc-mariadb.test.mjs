// The ODBC scenarios of tests/lib/odbc-scenarios.mjs (agent-state and interval presets, SQL of
// one's own) against a real MariaDB (tests/lib/mariadb.sh) through Debian's odbc-mariadb
// driver, with the same expected results as on PostgreSQL.

import { defineOdbcScenarios } from '../lib/odbc-scenarios.mjs';
import { startMariadb } from '../lib/sqldb.mjs';

defineOdbcScenarios(startMariadb);
