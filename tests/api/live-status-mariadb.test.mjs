// The live-status scenarios of tests/lib/live-status-scenarios.mjs (settings, the UCCE and
// Twilio presets, a writer changing agents' rows while the daemon polls and is killed) against a
// real MariaDB (tests/lib/mariadb.sh) through Debian's odbc-mariadb driver.

import { defineLiveStatusScenarios } from '../lib/live-status-scenarios.mjs';
import { startMariadb } from '../lib/sqldb.mjs';

defineLiveStatusScenarios(startMariadb);
