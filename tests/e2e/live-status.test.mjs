// Browser test of polling a live-status table from the Sources page: an operator opens "Live
// status" on an ODBC agent-state source (a SQLite database through the SQLite ODBC driver), a
// refused poll interval is shown at the form, the columns and the interval are saved, the status
// shows the agents of the table and follows a row changed in it, and "Stop polling" takes the
// setting away; on a source made from a live-status preset (whose columns are the preset's),
// "Stop polling" disables the source and "Poll" enables it again, and the reconciliation from
// its history preset (TaskRouter's events) shows in the status. Real daemon, real driver, real
// Chromium; what the console did is checked through the API.

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

before(async () => {
  const driver = odbcDriver('SQLite3', 'libsqliteodbc');
  folder = await makeTempDir('acdlink-e2e-live-');
  db = path.join(folder, 'acd.sqlite');
  sql(`CREATE TABLE agent_status (agent TEXT PRIMARY KEY, state TEXT, reason TEXT, since TEXT);
       INSERT INTO agent_status VALUES ('a1', 'READY', NULL, '2026-11-30 08:00:00'), ('a2', 'NR', 'lunch', '2026-11-30 08:00:05');`);
  daemon = await startDaemon({ users: [ADMIN, OPERATOR] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  const s = await api.post('/api/v1/sources', {
    name: 'Agent status', kind: 'odbc', product: 'agent_states', time_zone: 'UTC',
    settings: {
      odbc: { connection_string: `Driver=${driver};Database=${db}`, sql: 'SELECT agent, state, reason, since FROM agent_status' },
      agent_states: { span: 'start_only' },
    },
  });
  assert.equal(s.status, 201, s.text);
  source = s.body;
  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'UTC', pageErrors, cspViolations }));
});

after(() => closeConsoleTest({ context, profileDir, dirs: [folder], api, daemon }));

const text = async (testid) => (await page.locator(`[data-testid="${testid}"]`).textContent()).trim();

/** Signs the operator in unless the page already is. */
async function signIn() {
  if (await page.locator('#current-user').filter({ hasText: exact(OPERATOR.name) }).count() > 0) {
    return;
  }
  await page.goto(`${daemon.url}/#/login`);
  await page.fill('#login-username', OPERATOR.name);
  await page.fill('#login-password', OPERATOR.password);
  await page.click('#login-submit');
  await page.locator('#current-user').filter({ hasText: exact(OPERATOR.name) }).waitFor();
}

test('an operator polls a live-status table from the Sources page, sees its agents and changes, and stops polling', async () => {
  await signIn();
  await page.click('#nav-sources');
  const row = page.locator(`[data-testid="source-row"][data-id="${source.id}"]`);
  await row.locator('[data-testid="source-live-open"]').click();
  await page.locator('[data-testid="live-status-none"]').waitFor();
  assert.equal(await text('live-status-none'), en['livestatus.none']);

  await page.fill('#live-status-agent_column', 'agent');
  await page.fill('#live-status-state_column', 'state');
  await page.fill('#live-status-reason_column', 'reason');
  await page.fill('#live-status-since_column', 'since');
  // a poll interval of 0 is refused by the daemon, and the form says why
  await page.fill('#live-status-poll', '0');
  await page.click('[data-testid="live-status-save"]');
  await page.locator('[data-testid="live-status-save-error"]').waitFor();
  assert.match(await text('live-status-save-error'), /settings\.live_status\.poll_s/);

  await page.fill('#live-status-poll', '1');
  await page.click('[data-testid="live-status-save"]');
  await until(async () => (await page.locator('[data-testid="live-status-notice"]').count()) > 0
    && (await text('live-status-notice')) === en['livestatus.saved'], 'saved');
  const saved = (await api.get(`/api/v1/sources/${source.id}`)).body;
  assert.deepEqual(saved.settings.live_status, { agent_column: 'agent', state_column: 'state', reason_column: 'reason', since_column: 'since', poll_s: 1 });
  assert.equal(saved.settings.odbc.sql, 'SELECT agent, state, reason, since FROM agent_status', 'the other settings kept');

  // the status shows the table's agents and follows a change
  await until(async () => (await page.locator('[data-testid="live-status-agents"]').count()) > 0
    && (await text('live-status-agents')) === '2', 'the status after the first poll');
  assert.match(await text('live-status-changed'), /^2 /);
  sql("UPDATE agent_status SET state = 'TALK', since = '2026-11-30 08:01:00' WHERE agent = 'a1'");
  await until(async () => /^3 /.test(await text('live-status-changed')), 'the status after a row changed');
  const codes = (await api.get(`/api/v1/activity-codes?source=${source.id}`)).body.items.map((c) => c.code).sort();
  assert.deepEqual(codes, ['NR:lunch', 'READY', 'TALK']);

  await page.click('[data-testid="live-status-stop"]');
  await until(async () => (await text('live-status-notice')) === en['livestatus.stopped'], 'stopped');
  assert.equal((await api.get(`/api/v1/sources/${source.id}`)).body.settings.live_status, undefined);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});

test('on a source made from a live-status preset, "Stop polling" disables the source and "Poll" enables it again, the preset and its settings kept; its history preset\'s reconciliation shown', async () => {
  // a worker available since 08:00 today, and the workspace's events: on a break from 08:00:05
  const today = new Date().toISOString().slice(0, 10);
  sql(`CREATE TABLE taskrouter_workers (sid TEXT, friendly_name TEXT, activity_sid TEXT, activity_name TEXT, available INTEGER, date_status_changed TEXT);
       INSERT INTO taskrouter_workers VALUES ('WK1', 'w1', 'WA1', 'Available', 1, '${today} 00:00:00');
       CREATE TABLE taskrouter_events (sid TEXT, event_type TEXT, event_date TEXT, event_date_ms INTEGER, worker_name TEXT, worker_activity_name TEXT);
       INSERT INTO taskrouter_events VALUES ('EV1', 'worker.activity.update', '${today} 00:00:00', 0, 'w1', 'Available'),
         ('EV2', 'worker.activity.update', '${today} 00:00:01', 0, 'w1', 'Break');`);
  const driver = odbcDriver('SQLite3', 'libsqliteodbc');
  const r = await api.post('/api/v1/sources', {
    name: 'Workers', kind: 'odbc', product: 'agent_states', time_zone: 'UTC',
    settings: {
      odbc: { connection_string: `Driver=${driver};Database=${db}`, preset: 'twilio_taskrouter_workers_live' },
      live_status: { poll_s: 2, history_preset: 'twilio_taskrouter_events' },
    },
  });
  assert.equal(r.status, 201, r.text);
  const id = r.body.id;
  const before = (await api.get(`/api/v1/sources/${id}`)).body;
  assert.equal(before.enabled, true);
  await signIn();
  await page.reload(); // the list with the new source
  await page.click('#nav-sources');
  await page.locator(`[data-testid="source-row"][data-id="${id}"] [data-testid="source-live-open"]`).click();
  await page.locator('[data-testid="live-status-preset"]').waitFor();
  assert.equal(await text('live-status-history-preset'), en['livestatus.history_preset'].replace('{preset}', 'twilio_taskrouter_events'));
  // the first reconciliation (right after the first poll) read the events: the break added
  await until(async () => (await page.locator('[data-testid="live-status-reconciled"]').count()) > 0
    && / 1 added/.test(await text('live-status-reconciled')), 'the reconciliation shown');
  await page.click('[data-testid="live-status-stop"]');
  await until(async () => (await page.locator('[data-testid="live-status-notice"]').count()) > 0
    && (await text('live-status-notice')) === en['livestatus.stopped'], 'stopped');
  assert.equal(await page.locator('[data-testid="live-status-save-error"]').count(), 0);
  const stopped = (await api.get(`/api/v1/sources/${id}`)).body;
  assert.equal(stopped.enabled, false);
  assert.deepEqual(stopped.settings, before.settings, 'the preset and its settings kept');
  assert.equal(await page.locator('[data-testid="live-status-stop"]').count(), 0, 'no stop button while not polled');

  await page.fill('#live-status-poll', '1');
  await page.click('[data-testid="live-status-save"]');
  await until(async () => (await text('live-status-notice')) === en['livestatus.saved'], 'polled again');
  const again = (await api.get(`/api/v1/sources/${id}`)).body;
  assert.equal(again.enabled, true);
  assert.equal(again.settings.live_status.poll_s, 1);
  assert.equal(again.settings.odbc.preset, 'twilio_taskrouter_workers_live');
  await page.locator('[data-testid="live-status-stop"]').waitFor();
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
