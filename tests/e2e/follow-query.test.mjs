// Browser test of following a query from the Sources page: an operator opens "Follow query" on
// an ODBC agent-state source (real PostgreSQL through psqlODBC), sees a refused overlap under
// its field, sets overlap, poll interval and reconciliation, and watches the follow status
// (cursor, polls, states staged) move as rows are committed, without reloading the page. Real
// daemon, real database, real Chromium; what the console did is checked through the API.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { exact, launchBrowser, until } from '../lib/browser.mjs';
import { REPO_ROOT, login, startDaemon } from '../lib/daemon.mjs';
import { odbcDriver } from '../lib/api.mjs';
import { PG_PASSWORD, startPg } from '../lib/pg.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const OPERATOR = { name: 'otto', role: 'operator', password: 'otto-Passw0rd-e2e-long' };
const en = (await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', 'en.js')).href)).default;

let daemon;
let api;
let pg;
let context;
let page;
let profileDir;
let source;
const pageErrors = [];
const cspViolations = [];

before(async () => {
  pg = await startPg();
  pg.psql('CREATE TABLE ev (agent text, state text, started timestamp(0))');
  pg.psql("INSERT INTO ev VALUES ('a1', 'READY', now() AT TIME ZONE 'UTC' - interval '60 seconds')");
  daemon = await startDaemon({ users: [ADMIN, OPERATOR] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  const s = await api.post('/api/v1/sources', {
    name: 'ACD events', kind: 'odbc', product: 'agent_states', time_zone: 'UTC', password: PG_PASSWORD,
    settings: {
      odbc: {
        connection_string: `Driver={${odbcDriver('PostgreSQL Unicode', 'odbc-postgresql')}};Server=127.0.0.1;Port=${pg.port};Database=postgres`,
        user: 'app', sql: 'SELECT agent, state, started FROM ev WHERE started >= :since AND started < :until ORDER BY started',
      },
      agent_states: { span: 'start_only' },
      // a setting the form does not show: saving the form keeps it
      incremental: { cursor_column: 'started', poll_s: 5, reconcile_minutes: 0, max_states_per_poll: 500 },
    },
  });
  assert.equal(s.status, 201, s.text);
  source = s.body;
  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'UTC', pageErrors, cspViolations }));
});

after(async () => {
  if (context) {
    await context.close().catch(() => {});
  }
  if (profileDir) {
    await fsp.rm(profileDir, { recursive: true, force: true });
  }
  api?.close();
  if (daemon) {
    await daemon.stop();
  }
  pg?.stop();
});

const text = async (testid) => (await page.locator(`[data-testid="${testid}"]`).textContent()).trim();

test('an operator sets a followed query\'s overlap and poll interval and watches its status move', async () => {
  await page.goto(`${daemon.url}/#/login`);
  await page.fill('#login-username', OPERATOR.name);
  await page.fill('#login-password', OPERATOR.password);
  await page.click('#login-submit');
  await page.locator('#current-user').filter({ hasText: exact(OPERATOR.name) }).waitFor();
  await page.click('#nav-sources');
  const row = page.locator(`[data-testid="source-row"][data-id="${source.id}"]`);
  await row.locator('[data-testid="source-incr-open"]').click();
  await page.locator('[data-testid="incr-form"]').waitFor();
  assert.equal(await page.inputValue('#incr-cursor_column'), 'started');
  assert.equal(await page.inputValue('#incr-overlap_s'), '120');
  assert.equal(await page.inputValue('#incr-cursor_type'), 'timestamp');

  // the first poll shows up without a reload
  await until(async () => (await page.locator('[data-testid="incr-status-changed"]').count()) > 0
    && /^1 of \d+ rows read/.test(await text('incr-status-changed')), 'the status after the first poll');
  assert.match(await text('incr-status-cursor'), /^started = \d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

  // a refused overlap is shown under its field
  await page.fill('#incr-overlap_s', '-5');
  await page.click('[data-testid="incr-save"]');
  const fieldError = page.locator('[data-testid="field-error"][data-field="overlap_s"]');
  await fieldError.waitFor();
  assert.match((await fieldError.textContent()).trim(), /overlap_s/);
  assert.equal(await page.locator('#incr-overlap_s').getAttribute('aria-invalid'), 'true');

  await page.fill('#incr-overlap_s', '30');
  await page.fill('#incr-poll_s', '1');
  await page.click('[data-testid="incr-save"]');
  await until(async () => (await page.locator('[data-testid="incr-notice"]').count()) > 0
    && (await text('incr-notice')) === en['incr.saved'].replace('{column}', 'started'), 'saved');
  const saved = (await api.get(`/api/v1/sources/${source.id}`)).body;
  assert.deepEqual(saved.settings.incremental, {
    cursor_column: 'started', cursor_type: 'timestamp', overlap_s: 30, poll_s: 1, reconcile_minutes: 0, reconcile_hours: 24,
    max_states_per_poll: 500,
  });
  assert.equal(saved.settings.odbc.user, 'app', 'the other settings kept');

  // rows committed while the card is open: its status follows them
  pg.psql("INSERT INTO ev VALUES ('a1', 'TALK', now() AT TIME ZONE 'UTC' - interval '2 seconds'), ('a2', 'PAUSE', now() AT TIME ZONE 'UTC' - interval '1 seconds')");
  await until(async () => /^3 of /.test(await text('incr-status-changed')), 'the status after two more rows');
  assert.equal(await page.locator('[data-testid="incr-error"]').count(), 0);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
