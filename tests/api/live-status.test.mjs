// The live-status scenarios of tests/lib/live-status-scenarios.mjs (settings, the UCCE and
// Twilio presets, a writer changing agents' rows while the daemon polls and is killed) against a
// real PostgreSQL through psqlODBC.

import { defineLiveStatusScenarios } from '../lib/live-status-scenarios.mjs';
import { startPostgres } from '../lib/sqldb.mjs';

defineLiveStatusScenarios(startPostgres, { settings: true });
