// The ODBC scenarios of tests/lib/odbc-scenarios.mjs (agent-state and interval presets, SQL of
// one's own) against a real PostgreSQL (tests/lib/pg.sh) through psqlODBC.

import { defineOdbcScenarios } from '../lib/odbc-scenarios.mjs';
import { startPostgres } from '../lib/sqldb.mjs';

defineOdbcScenarios(startPostgres);
