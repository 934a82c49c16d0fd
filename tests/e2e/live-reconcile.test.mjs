// Browser test of a live-status source's reconciliation from the Sources page: an operator opens
// "Live status" on a polled table (a SQLite database through the SQLite ODBC driver), gives a
// history query, sees the daemon's refusals of the query and of the interval under the fields
// they name, saves it, and the status shows the last reconciliation: the state the polls never
// saw added, and the next one. Real daemon, real driver, real Chromium; what the console did is
// checked through the API.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { odbcDriver } from '../lib/api.mjs';
import { closeConsoleTest, exact, launchBrowser, until } from '../lib/browser.mjs';
import { REPO_ROOT, login, makeTempDir, startDaemon } from '../lib/daemon.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const OPERATOR = { name: 'otto', role: 'operator', password: 'otto-Passw0rd-e2e-long' };
const en = (await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', 'en.js')).href)).default;
const HISTORY = "SELECT agent, CASE WHEN reason IS NULL THEN state ELSE state || ':' || reason END AS activity, start_time "
  + 'FROM agent_history WHERE start_time >= :since AND start_time < :until ORDER BY agent, start_time';

let daemon;
let api;
let context;
let page;
let profileDir;
let folder;
let db;
let source;
const pageErrors = [];
const cspViolations = [];

const sql = (text) => execFileSync('sqlite3', [db], { input: text });
const at = (t) => new Date(t * 1000).toISOString().slice(0, 19).replace('T', ' ');

before(async () => {
  const driver = odbcDriver('SQLite3', 'libsqliteodbc');
  folder = await makeTempDir('acdlink-e2e-reconcile-');
  db = path.join(folder, 'acd.sqlite');
  const t0 = Math.floor(Date.now() / 1000) - 3600;
  // a1 was talking for a minute between two polls: only the history has it
  sql(`CREATE TABLE agent_status (agent TEXT PRIMARY KEY, state TEXT, reason TEXT, since TEXT);
       CREATE TABLE agent_history (agent TEXT, state TEXT, reason TEXT, start_time TEXT);
       INSERT INTO agent_status VALUES ('a1', 'READY', NULL, '${at(t0 + 120)}'), ('a2', 'NR', 'lunch', '${at(t0)}');
       INSERT INTO agent_history VALUES ('a1', 'READY', NULL, '${at(t0)}'), ('a1', 'TALK', NULL, '${at(t0 + 60)}'),
         ('a1', 'READY', NULL, '${at(t0 + 120)}'), ('a2', 'NR', 'lunch', '${at(t0)}');`);
  daemon = await startDaemon({ users: [ADMIN, OPERATOR] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  const s = await api.post('/api/v1/sources', {
    name: 'Agent status', kind: 'odbc', product: 'agent_states', time_zone: 'UTC',
    settings: {
      odbc: { connection_string: `Driver=${driver};Database=${db}`, sql: 'SELECT agent, state, reason, since FROM agent_status' },
      live_status: { agent_column: 'agent', state_column: 'state', reason_column: 'reason', since_column: 'since', poll_s: 1 },
    },
  });
  assert.equal(s.status, 201, s.text);
  source = s.body;
  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'UTC', pageErrors, cspViolations }));
});

after(() => closeConsoleTest({ context, profileDir, dirs: [folder], api, daemon }));

const text = async (testid) => (await page.locator(`[data-testid="${testid}"]`).textContent()).trim();
const shown = async (sel) => (await page.locator(sel).count()) > 0;

test('an operator gives a live-status source a history query: refusals under their fields, then the last reconciliation in the status', async () => {
  await page.goto(`${daemon.url}/#/login`);
  await page.fill('#login-username', OPERATOR.name);
  await page.fill('#login-password', OPERATOR.password);
  await page.click('#login-submit');
  await page.locator('#current-user').filter({ hasText: exact(OPERATOR.name) }).waitFor();
  await page.click('#nav-sources');
  await page.locator(`[data-testid="source-row"][data-id="${source.id}"] [data-testid="source-live-open"]`).click();
  await until(async () => (await shown('[data-testid="live-status-agents"]')) && (await text('live-status-agents')) === '2', 'the first poll');
  assert.equal(await page.locator('[data-testid="live-status-reconciled"]').count(), 0, 'no reconciliation without a history query');

  // a history query without :since is refused, and the form says so under the query
  await page.fill('#live-status-history_sql', 'SELECT agent, state, start_time FROM agent_history');
  await page.click('[data-testid="live-status-save"]');
  await page.locator('#live-status-history_sql-error').waitFor();
  assert.match(await page.locator('#live-status-history_sql-error').textContent(), /:since/);
  assert.equal(await page.locator('[data-testid="live-status-save-error"]').count(), 0, 'not in the form-level box');

  // a reconciliation window of 0 hours: under its field
  await page.fill('#live-status-history_sql', HISTORY);
  await page.fill('#live-status-reconcile_hours', '0');
  await page.click('[data-testid="live-status-save"]');
  await page.locator('#live-status-reconcile_hours-error').waitFor();
  assert.equal(await page.locator('#live-status-history_sql-error').count(), 0);

  await page.fill('#live-status-reconcile_hours', '24');
  await page.fill('#live-status-reconcile_minutes', '30');
  await page.click('[data-testid="live-status-save"]');
  await until(async () => (await shown('[data-testid="live-status-notice"]')) && (await text('live-status-notice')) === en['livestatus.saved'], 'saved');
  const saved = (await api.get(`/api/v1/sources/${source.id}`)).body;
  assert.deepEqual(saved.settings.live_status, {
    agent_column: 'agent', state_column: 'state', reason_column: 'reason', since_column: 'since', poll_s: 1,
    history_sql: HISTORY, history_span: 'start_only', reconcile_minutes: 30, reconcile_hours: 24,
  });

  // the status: the reconciliation added a1's TALK and READY at its start (the polls saw READY
  // at its since only), and names the next one
  await until(async () => (await shown('[data-testid="live-status-reconciled"]')) && / 2 added/.test(await text('live-status-reconciled')), 'the reconciliation shown');
  const f = (await api.get(`/api/v1/sources/${source.id}`)).body.follow;
  assert.deepEqual({ ...f.last_reconciliation, at: 0, newest: 0 }, { at: 0, newest: 0, rows: 4, added: 2, changed: 0, removed: 0, kept: 0 });
  const shownText = await text('live-status-reconciled');
  assert.match(shownText, /0 corrected, 0 removed, 0 newer kept \(4 history rows/);
  assert.match(shownText, /The next at /);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
