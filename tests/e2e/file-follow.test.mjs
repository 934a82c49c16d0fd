// Browser test of following a growing file from the Sources page: an operator opens "Follow file"
// on a CSV agent-state source, sets the file and saves; the status shows the lines read and
// follows a line appended to the file; a refused file name is shown at the form; "Stop
// following" takes the setting away. Real daemon, real files, real Chromium; what the console
// did is checked through the API.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
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
let source;
const pageErrors = [];
const cspViolations = [];

before(async () => {
  daemon = await startDaemon({ users: [ADMIN, OPERATOR] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  folder = await makeTempDir('acdlink-e2e-follow-');
  await fsp.writeFile(path.join(folder, 'states.log'), 'agent,state,start\na1,READY,2026-11-30 08:00:00\na2,TALK,2026-11-30 08:00:05\n');
  const s = await api.post('/api/v1/sources', {
    name: 'Queue log', kind: 'csv', product: 'agent_states', time_zone: 'UTC',
    settings: {
      csv: { folder, pattern: 'states.log*', separator: ',' },
      columns: { agent: 'agent', activity: 'state', start: 'start' },
      agent_states: { span: 'start_only' },
    },
  });
  assert.equal(s.status, 201, s.text);
  source = s.body;
  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'UTC', pageErrors, cspViolations }));
});

after(() => closeConsoleTest({ context, profileDir, dirs: [folder], api, daemon }));

const text = async (testid) => (await page.locator(`[data-testid="${testid}"]`).textContent()).trim();

test('an operator follows a file from the Sources page, sees the lines read and stops following', async () => {
  await page.goto(`${daemon.url}/#/login`);
  await page.fill('#login-username', OPERATOR.name);
  await page.fill('#login-password', OPERATOR.password);
  await page.click('#login-submit');
  await page.locator('#current-user').filter({ hasText: exact(OPERATOR.name) }).waitFor();
  await page.click('#nav-sources');
  const row = page.locator(`[data-testid="source-row"][data-id="${source.id}"]`);
  await row.locator('[data-testid="source-follow-open"]').click();
  await page.locator('[data-testid="follow-none"]').waitFor();
  assert.equal(await text('follow-none'), en['follow.none']);

  // a name with a folder is refused by the daemon, and the form says why
  await page.fill('#follow-file', '../states.log');
  await page.click('[data-testid="follow-save"]');
  await page.locator('[data-testid="follow-save-error"]').waitFor();
  assert.match(await text('follow-save-error'), /settings\.follow\.file/);

  await page.fill('#follow-file', 'states.log');
  await page.fill('#follow-poll', '1');
  await page.fill('#follow-reconcile', '0');
  await page.click('[data-testid="follow-save"]');
  await page.locator('[data-testid="follow-notice"]').waitFor();
  const saved = (await api.get(`/api/v1/sources/${source.id}`)).body;
  assert.deepEqual(saved.settings.follow, { file: 'states.log', poll_s: 1, reconcile_minutes: 0, reconcile_hours: 24 });
  assert.equal(saved.settings.csv.folder, folder, 'the other settings kept');

  // the status follows the file as lines are appended
  await until(async () => (await page.locator('[data-testid="follow-status-line"]').count()) > 0
    && /^line 3 /.test(await text('follow-status-line')), 'the status after the first poll');
  await fsp.appendFile(path.join(folder, 'states.log'), 'a1,PAUSE,2026-11-30 08:01:00\n');
  await until(async () => /^line 4 /.test(await text('follow-status-line')), 'the status after a line was appended');
  assert.match(await text('follow-status-changed'), /^3 of 3 lines read/);
  assert.equal(await text('follow-status-file'), 'states.log');

  await page.click('[data-testid="follow-stop"]');
  await until(async () => (await text('follow-notice')) === en['follow.stopped'], 'stopped');
  assert.equal((await api.get(`/api/v1/sources/${source.id}`)).body.settings.follow, undefined);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
