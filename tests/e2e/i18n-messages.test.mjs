// Browser test: a delivery error (a refused connection), an alert notice (its title and why the
// webhook did not take it), Home's failed run and undelivered notices, a refused setting (a schedule's every_minutes) and a
// missing CA file of an alert channel (whose notices default to the reader's language) shown in German and
// French are worded from their message codes: the daemon's English sentence is nowhere on the
// page, the field name stays as it is. Real daemon, Debian's headless Chromium.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeConsoleTest, launchBrowser, until } from '../lib/browser.mjs';
import { REPO_ROOT, login, makeTempDir, startDaemon } from '../lib/daemon.mjs';
import { closedPort } from '../lib/wfm.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const { messageText, translator } = await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', 'index.js')).href);
const norm = (s) => s.replace(/[\u00A0\u202F]/g, ' ').replace(/\s+/g, ' ').trim();

let daemon;
let api;
let context;
let page;
let profileDir;
let folder;
let source;
let batch;
let notice;
const pageErrors = [];
const cspViolations = [];

async function waitFor(fn, what) {
  let v;
  await until(async () => (v = await fn()), what);
  return v;
}

async function runDay(sourceId) {
  const r = await api.post('/api/v1/runs', { source_id: sourceId, from: '2026-11-24', to: '2026-11-24' });
  assert.equal(r.status, 202, r.text);
  return waitFor(async () => {
    const g = (await api.get(`/api/v1/runs/${r.body.id}`)).body;
    return ['done', 'failed'].includes(g.state) ? g : null;
  }, 'the run ends');
}

before(async () => {
  daemon = await startDaemon({ users: [ADMIN] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  folder = await makeTempDir('acdlink-e2e-i18n-msg-');
  await fsp.writeFile(path.join(folder, 'calls.csv'), 'Split;Date;Time;Offered\n4711;24.11.2026;08:00;10\n');
  const s = await api.post('/api/v1/sources', {
    name: 'Hauptquelle', kind: 'csv', time_zone: 'UTC',
    settings: {
      csv: { folder, pattern: '*.csv', separator: ';', date_order: 'dmy' },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered' },
    },
  });
  assert.equal(s.status, 201, s.text);
  source = s.body;
  const q = await api.post('/api/v1/queues', { identifier: 'HOTLINE', name: 'Kasse', time_zone: 'UTC', interval_minutes: 15 });
  assert.equal(q.status, 201, q.text);
  const m = await api.post('/api/v1/mappings', {
    queue_id: q.body.id, value_type: 'offered', inputs: [{ source_id: source.id, ext_queue: '4711', metric: 'offered' }],
  });
  assert.equal(m.status, 201, m.text);
  const port = await closedPort();
  const t = await api.post('/api/v1/targets', {
    name: 'WFM', connector: 'injixo-api', secret: 'k-5f2b9c-e2e',
    settings: { integration_configuration_id: 4711, base_url: `https://127.0.0.1:${port}` },
  });
  assert.equal(t.status, 201, t.text);
  const ch = await api.post('/api/v1/alerts/channels', { name: 'Hook', kind: 'webhook', settings: { url: `https://127.0.0.1:${port}/hook` } });
  assert.equal(ch.status, 201, ch.text);
  assert.equal((await api.post('/api/v1/alerts/rules', { event: 'run_failed', channel_id: ch.body.id })).status, 201);
  assert.equal((await runDay(source.id)).state, 'done');
  batch = await waitFor(async () => (await api.get('/api/v1/deliveries')).body.items.find((b) => b.last_error_code), 'a failed delivery attempt');
  const gone = await api.post('/api/v1/sources', {
    name: 'Verschwunden', kind: 'csv', time_zone: 'UTC',
    settings: { csv: { folder: path.join(folder, 'gone') }, columns: { queue: 1, timestamp: 2 }, metrics: { offered: 3 } },
  });
  assert.equal(gone.status, 201, gone.text);
  assert.equal((await runDay(gone.body.id)).state, 'failed');
  notice = await waitFor(async () => (await api.get('/api/v1/alerts/notices')).body.items.find((n) => n.error_code), 'a notice not taken');

  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'UTC', pageErrors, cspViolations }));
  await page.goto(`${daemon.url}/#/login`);
  await page.fill('#login-username', ADMIN.name);
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await page.locator('#current-user').waitFor();
});

after(() => closeConsoleTest({ context, profileDir, dirs: [folder], api, daemon }));

async function shows(selector, want, what) {
  await until(async () => norm(await page.locator(selector).first().innerText()).includes(norm(want)), `${what}: "${want}"`);
}

for (const lang of ['de', 'fr']) {
  test(`${lang}: a delivery error, an alert notice and a refused setting in the reader's language`, async () => {
    const t = translator(lang);
    await page.selectOption('#lang-select', lang);
    await until(async () => (await page.evaluate(() => document.documentElement.lang)) === lang, `lang ${lang}`);

    await page.goto(`${daemon.url}/#/deliveries`);
    const delivery = messageText(t, { message: batch.last_error, code: batch.last_error_code, params: batch.last_error_params }, lang);
    assert.notEqual(delivery, batch.last_error);
    await shows('[data-testid="delivery-last-error"]', delivery, 'the delivery error');
    const body = norm(await page.locator('body').innerText());
    assert.ok(!body.includes('Check the port'), `${lang}: English on Deliveries`);

    await page.goto(`${daemon.url}/#/alerts`);
    const title = messageText(t, { message: notice.title, code: notice.title_code, params: notice.title_params }, lang);
    const error = messageText(t, { message: notice.error, code: notice.error_code, params: notice.error_params }, lang);
    await shows('[data-testid="notice-title"]', title, 'the notice');
    await shows('[data-testid="notice-error"]', error, 'why the notice was not taken');
    // the notices and the channels
    const alerts = norm(`${await page.locator('#notices-table').innerText()} ${await page.locator('[data-testid="channel-status"]').first().innerText()}`);
    for (const english of [notice.title, 'the webhook was not reached', 'of source']) {
      assert.ok(!alerts.includes(english), `${lang}: "${english}" on Alerts`);
    }

    // Home: the failed run's reason and the health line of undelivered notices, from their codes
    await page.goto(`${daemon.url}/#/home`);
    const ov = (await api.get('/api/v1/overview')).body;
    const reason = ov.sources.find((x) => x.name === 'Verschwunden').reasons.find((r) => r.code === 'run_failed');
    assert.ok(reason && reason.detail_code, JSON.stringify(reason));
    const worded = messageText(t, { message: reason.detail, code: reason.detail_code, params: reason.detail_params }, lang);
    assert.notEqual(worded, reason.detail);
    await shows('[data-testid="home-source-reason"][data-code="run_failed"]', worded, 'the failed run on Home');
    const problem = ov.health.problems.find((p) => p.check === 'alerts');
    assert.equal(problem.params.detail_code, 'alert.webhook_unreached', JSON.stringify(problem));
    await shows('[data-testid="home-problem"][data-code="alerts"]', messageText(t, problem, lang), 'undelivered notices on Home');
    const home = norm(await page.locator('#app').innerText());
    for (const english of [reason.detail, 'the webhook was not reached', 'connecting to', 'fail to deliver']) {
      assert.ok(!home.includes(english), `${lang}: "${english}" on Home`);
    }

    await page.goto(`${daemon.url}/#/schedules`);
    await page.click('#schedule-new');
    await page.selectOption('#schedule-create-source_id', String(source.id));
    await page.fill('#schedule-create-every_minutes', '2');
    await page.click('#schedule-create-submit');
    const box = page.locator('#schedule-create-every_minutes-error');
    await box.waitFor();
    const want = messageText(t, { code: 'val.field', params: { field: 'every_minutes', why: 'x', why_code: 'val.every_minutes', why_params: {} } }, lang);
    await shows('#schedule-create-every_minutes-error', want, 'the refused field');
    const text = norm(await box.innerText());
    assert.ok(text.startsWith('every_minutes'), `the field keeps its name: ${text}`);
    assert.ok(!text.includes('must be from 5 to 1440'), `${lang}: ${text}`);
    // its hint too, from its code: no English left in the box
    const hint = t('msg.hint.15_every_quarter_hour');
    assert.notEqual(hint, 'e.g. 15 for every quarter-hour');
    await shows('#schedule-create-every_minutes-error .error-hint', hint, 'the hint');
    assert.ok(!text.includes('quarter-hour'), `${lang}: ${text}`);
    await page.goto(`${daemon.url}/#/deliveries`);
  });
}

for (const lang of ['de', 'fr']) {
  test(`${lang}: an alert channel's language is the reader's, and a CA file that is missing is worded`, async () => {
    const t = translator(lang);
    await page.selectOption('#lang-select', lang);
    await until(async () => (await page.evaluate(() => document.documentElement.lang)) === lang, `lang ${lang}`);
    await page.goto(`${daemon.url}/#/home`); // a new form on Alerts, opened in this language
    await page.goto(`${daemon.url}/#/alerts`);
    await page.locator('#channel-create-language').waitFor();
    assert.equal(await page.locator('#channel-create-language').inputValue(), lang, 'notices in the reader\'s language');
    const missing = path.join(folder, `missing-${lang}.pem`);
    await page.fill('#channel-create-name', `CA ${lang}`);
    await page.fill('#channel-create-url', 'https://localhost:9/hook');
    await page.fill('#channel-create-ca_file', missing);
    await page.click('#channel-create-submit');
    const box = page.locator('#channel-create-ca_file-error');
    await box.waitFor();
    const want = messageText(t, { code: 'val.field', params: { field: 'ca_file', why: 'x', why_code: 'roots.file_missing', why_params: { file: missing } } }, lang);
    await shows('#channel-create-ca_file-error', want, 'the missing CA file');
    const text = norm(await box.innerText());
    assert.ok(!text.includes('does not exist'), `${lang}: ${text}`);
    assert.ok(text.includes(missing), `${lang}: the file is named: ${text}`);
  });
}

test('no page error and no CSP violation', () => {
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
