// Browser test of a contact-layout source's answered values: the source form shows the values
// that mean answered and not answered, keeps them when something else is edited (before, an
// edit in the console dropped them and the default rule came back unseen), changes them, and
// shows the daemon's refusal at the field; the run log names a word the default rule guessed.
// Real daemon, Debian's headless Chromium.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exact, launchBrowser, until } from '../lib/browser.mjs';
import { login, startDaemon } from '../lib/daemon.mjs';
import { runDays } from '../lib/pipeline.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };

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
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-e2e-answered-'));
  fs.writeFileSync(path.join(folder, 'calls.csv'), [
    'queue,start,outcome,talk',
    'Q1,2026-11-24 08:01:10,AGENT,100',
    'Q1,2026-11-24 08:03:00,HANG,30',
    'Q1,2026-11-24 08:05:00,PARKED,10', ''].join('\n'));
  daemon = await startDaemon({ users: [ADMIN] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  const r = await api.post('/api/v1/sources', {
    name: 'Outcomes', kind: 'csv', layout: 'contact', time_zone: 'UTC',
    settings: {
      csv: { folder }, columns: { queue: 'queue', timestamp: 'start', answered: 'outcome', duration: 'talk' },
      answered_values: ['AGENT'], unanswered_values: ['HANG', 'PHANTOM'],
    },
  });
  assert.equal(r.status, 201, r.text);
  source = r.body;
  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'UTC', pageErrors, cspViolations }));
  await page.goto(`${daemon.url}/#/login`);
  await page.fill('#login-username', ADMIN.name);
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await page.locator('#current-user').filter({ hasText: exact(ADMIN.name) }).waitFor();
});

after(async () => {
  if (context) {
    await context.close().catch(() => {});
  }
  if (profileDir) {
    await fsp.rm(profileDir, { recursive: true, force: true });
  }
  if (api) {
    api.close();
  }
  if (daemon) {
    await daemon.stop();
  }
  fs.rmSync(folder, { recursive: true, force: true });
});

async function openEdit() {
  await page.goto(`${daemon.url}/#/sources`);
  await page.locator(`[data-testid="source-row"][data-name="${source.name}"] [data-testid="source-edit"]`).click();
  await page.locator('#source-form[data-mode="edit"]').waitFor();
}

async function stored() {
  return (await api.get(`/api/v1/sources/${source.id}`)).body.settings;
}

test('the form shows the answered values and keeps them when another setting changes', async () => {
  await openEdit();
  assert.equal(await page.inputValue('#source-answered-values'), 'AGENT');
  assert.equal(await page.inputValue('#source-unanswered-values'), 'HANG, PHANTOM');
  await page.check('#source-csv-strict');
  await page.click('#source-submit');
  await page.locator('[data-testid="sources-notice"]').waitFor();
  const s = await stored();
  assert.equal(s.csv.strict, true);
  assert.deepEqual([s.answered_values, s.unanswered_values], [['AGENT'], ['HANG', 'PHANTOM']]);
});

test('the values are changed in the form, and a refusal is shown at its field', async () => {
  await openEdit();
  await page.fill('#source-answered-values', 'AGENT, PARKED');
  await page.fill('#source-unanswered-values', 'HANG, agent');
  await page.click('#source-submit');
  const error = page.locator('[data-slot="unanswered_values"] [data-testid="field-error"]');
  await error.waitFor();
  assert.match(await error.textContent(), /unanswered_values\[1\]/);
  assert.deepEqual((await stored()).answered_values, ['AGENT'], 'nothing saved');
  await page.fill('#source-unanswered-values', 'HANG, PHANTOM');
  await page.click('#source-submit');
  await page.locator('[data-testid="sources-notice"]').waitFor();
  const s = await stored();
  assert.deepEqual([s.answered_values, s.unanswered_values], [['AGENT', 'PARKED'], ['HANG', 'PHANTOM']]);
  const run = await runDays(api, source.id, '2026-11-24');
  assert.equal(run.state, 'done', JSON.stringify(run));
  assert.deepEqual([run.counts.rows_staged, run.counts.rows_rejected], [3, 0]);
});

test('emptied, both lists go and the run log names the word the default rule counts as answered', async () => {
  await openEdit();
  await page.fill('#source-answered-values', '');
  await page.fill('#source-unanswered-values', '');
  await page.uncheck('#source-csv-strict');
  await page.click('#source-submit');
  await page.locator('[data-testid="sources-notice"]').waitFor();
  const s = await stored();
  assert.deepEqual([s.answered_values, s.unanswered_values], [null, null]);
  // a new file (the one before was imported already and is not read again)
  fs.writeFileSync(path.join(folder, 'later.csv'), 'queue,start,outcome,talk\nQ1,2026-11-24 09:00:00,AGENT,60\n');
  const run = await runDays(api, source.id, '2026-11-24');
  assert.equal(run.state, 'done', JSON.stringify(run));
  await page.goto(`${daemon.url}/#/runs/${run.id}`);
  await page.locator(`#run-detail[data-run-id="${run.id}"]`).waitFor();
  const warned = page.locator('#run-detail').getByText(/later\.csv:2: the answered column 'outcome' holds 'AGENT'/);
  await until(async () => (await warned.count()) === 1, 'the run log names the guessed word');
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
