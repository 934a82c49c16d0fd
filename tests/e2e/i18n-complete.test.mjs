// Browser test that German and French are complete to the last word the console shows: with the
// console in German and then French, it walks a run whose log holds rejected rows of many kinds
// (date, time, number, field count, missing queue), a failed run, a failing connection test,
// the audit log with its date and time filters, the Results page with its chart and the live
// board with its durations. No text on those pages may be an English text of the console's
// dictionary (or fit an English template) that the language words differently, an English
// sentence, an English plural form or a date not in the language's format, and none may hold the
// daemon's English text of a run-log line or reason that carries a code. Real daemon, real
// files, Debian's headless Chromium.
//
// Design note: the data is made through the API beforehand (as in i18n.test.mjs); the checks
// (tests/lib/i18n-check.mjs, shared with i18n-walk) read every text node, attribute text (title,
// placeholder, aria-label) and date field of the page.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { closeConsoleTest, launchBrowser, until } from '../lib/browser.mjs';
import { login, makeTempDir, startDaemon } from '../lib/daemon.mjs';
import { closedPort } from '../lib/wfm.mjs';
import { addAgentStateSource, checkLanguage, dict, messageText, norm, translator } from '../lib/i18n-check.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const DAY = '2026-11-24';
const CSV = [
  'Split;Date;Time;Offered',
  '4711;24.11.2026;08:00;10',
  '4711;24.11.2026;08:15;12',
  '4712;24.13.2026;08:00;1',
  '4712;31.11.2026;08:00;1',
  '4712;24.11.2026;08:07;1',
  '4712;24.11.2026;08:15;zwölf',
  '4712;24.11.2026;25:00;1',
  '4712;24.11.2026;08:30',
  ';24.11.2026;08:30;1',
  '',
].join('\r\n');


let daemon;
let api;
let context;
let page;
let profileDir;
let folder;
let queue;
let goodRun;
let failedRun;
let target;
const pageErrors = [];
const cspViolations = [];
const daemonEnglish = [];

async function setLanguage(lang) {
  await page.selectOption('#lang-select', lang);
  await until(async () => (await page.evaluate(() => document.documentElement.lang)) === lang, `lang ${lang}`);
}

async function gotoPage(route, testid) {
  await page.goto(`${daemon.url}/#/${route}`);
  await page.locator(`[data-testid="${testid}"]`).first().waitFor();
}

const allowed = ['calls_20261124.csv', 'Hauptquelle', 'Verschwunden', 'Agentenquelle', 'anna@example.com',
  ...CSV.split('\r\n').filter(Boolean), 'Split', 'Date', 'Time', 'Offered', 'zwölf'];

/** Fails when the page shows English (see tests/lib/i18n-check.mjs); returns the page's text. */
function noEnglish(lang, what) {
  return checkLanguage(page, lang, what, { allowed: [folder, ...allowed], daemonEnglish });
}

async function waitRun(id) {
  let run;
  await until(async () => {
    run = (await api.get(`/api/v1/runs/${id}`)).body;
    return ['done', 'failed', 'cancelled'].includes(run.state);
  }, `run ${id} ends`);
  return run;
}

before(async () => {
  daemon = await startDaemon({ users: [ADMIN] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  folder = await makeTempDir('acdlink-e2e-i18n-all-');
  await fsp.writeFile(path.join(folder, 'calls_20261124.csv'), CSV);
  const s = await api.post('/api/v1/sources', {
    name: 'Hauptquelle', kind: 'csv', time_zone: 'Europe/Berlin', interval_minutes: 15,
    settings: {
      csv: { folder, pattern: '*.csv', separator: ';', date_order: 'dmy' },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered' },
    },
  });
  assert.equal(s.status, 201, s.text);
  const q = await api.post('/api/v1/queues', { identifier: 'HOTLINE', name: 'Kasse', time_zone: 'Europe/Berlin', interval_minutes: 15 });
  assert.equal(q.status, 201, q.text);
  queue = q.body;
  const m = await api.post('/api/v1/mappings', {
    queue_id: queue.id, value_type: 'offered', inputs: [{ source_id: s.body.id, ext_queue: '4711', metric: 'offered' }],
  });
  assert.equal(m.status, 201, m.text);
  const r = await api.post('/api/v1/runs', { source_id: s.body.id, from: DAY, to: DAY });
  assert.equal(r.status, 202, r.text);
  goodRun = await waitRun(r.body.id);
  assert.equal(goodRun.counts.rows_rejected, 7, JSON.stringify(goodRun));
  const log = (await api.get(`/api/v1/runs/${goodRun.id}/log?limit=500`)).body.items;
  for (const line of log.filter((l) => l.code)) {
    daemonEnglish.push(line.message);
    if (line.params.reason) {
      daemonEnglish.push(line.params.reason);
    }
  }
  // a run that fails: its folder is gone
  const gone = path.join(folder, 'gone');
  const s2 = await api.post('/api/v1/sources', {
    name: 'Verschwunden', kind: 'csv', time_zone: 'Europe/Berlin', interval_minutes: 15,
    settings: {
      csv: { folder: gone, pattern: '*.csv', separator: ';', date_order: 'dmy' },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered' },
    },
  });
  assert.equal(s2.status, 201, s2.text);
  const f = await api.post('/api/v1/runs', { source_id: s2.body.id, from: DAY, to: DAY });
  assert.equal(f.status, 202, f.text);
  failedRun = await waitRun(f.body.id);
  assert.equal(failedRun.state, 'failed', JSON.stringify(failedRun));
  assert.ok(failedRun.error_code, JSON.stringify(failedRun));
  daemonEnglish.push(failedRun.error);
  // a target whose connection test is refused
  const port = await closedPort();
  const t = await api.post('/api/v1/targets', {
    name: 'WFM', connector: 'injixo-api', secret: 'k-5f2b9c-e2e',
    settings: { integration_configuration_id: 4711, base_url: `https://127.0.0.1:${port}` },
  });
  assert.equal(t.status, 201, t.text);
  target = t.body;

  // agent states for the live board: one agent talking for minutes, one unknown id logged out
  const agentSource = await addAgentStateSource(api, folder);
  const today = new Date().toISOString().slice(0, 10);
  const ar = await api.post('/api/v1/runs', { source_id: agentSource.id, from: today, to: today });
  assert.equal(ar.status, 202, ar.text);
  assert.equal((await waitRun(ar.body.id)).state, 'done');

  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'Europe/Berlin', pageErrors, cspViolations }));
  await page.goto(`${daemon.url}/#/login`);
  await page.fill('#login-username', ADMIN.name);
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await page.locator('#current-user').waitFor();
});

after(() => closeConsoleTest({ context, profileDir, dirs: [folder], api, daemon }));

test('the English check finds English (it would notice a leak)', async () => {
  await setLanguage('en');
  await gotoPage(`runs/${goodRun.id}`, 'run-detail');
  await page.locator('[data-testid="log-message"]').first().waitFor();
  await assert.rejects(noEnglish('de', 'Runs shown in English'), /shows English/);
});

for (const lang of ['de', 'fr']) {
  test(`${lang}: a run with rejected rows, a failed run, a connection test, the audit log and results`, async () => {
    await setLanguage(lang);
    const t = translator(lang);

    await gotoPage(`runs/${goodRun.id}`, 'run-detail');
    const log = (await api.get(`/api/v1/runs/${goodRun.id}/log?limit=500`)).body.items;
    const monthLine = log.find((l) => l.params.reason_params?.why_code === 'dt.day_range_month');
    assert.ok(monthLine, JSON.stringify(log));
    const want = messageText(t, monthLine, lang).split(': ').slice(1).join(': ');
    await until(async () => norm(await page.locator('#run-detail').innerText()).includes(norm(want)), `the log says "${want}"`);
    await noEnglish(lang, 'a run with rejected rows');

    await gotoPage(`runs/${failedRun.id}`, 'run-detail');
    const error = messageText(t, { code: failedRun.error_code, params: failedRun.error_params, message: failedRun.error }, lang);
    assert.notEqual(error, failedRun.error);
    await until(async () => norm(await page.locator('[data-testid="run-error-text"]').innerText()).includes(norm(error)), 'the failed run says why');
    await noEnglish(lang, 'a failed run');

    await gotoPage('targets', 'targets-page');
    await page.locator(`[data-testid="target-row"][data-id="${target.id}"] [data-testid="target-test"]`).click();
    const msg = page.locator('[data-testid="target-test-message"]').first();
    await msg.waitFor();
    const refused = norm(t('msg.net.refused', { detail: 'x' }).split('(')[0]);
    await until(async () => norm(await msg.innerText()).includes(refused), `the test says "${refused}"`);
    await noEnglish(lang, 'Targets');

    await gotoPage('audit', 'audit-page');
    assert.equal(await page.getAttribute('#audit-filter-since', 'placeholder'), dict[lang]['date.placeholder']);
    assert.equal(await page.getAttribute('#audit-filter-since', 'type'), 'text', 'no browser date field with its own format');
    await page.fill('#audit-filter-since', lang === 'de' ? '01.01.2026' : '01/01/2026');
    await page.fill('#audit-filter-since-time', '08:00');
    await page.click('#audit-apply');
    await page.locator('[data-testid="audit-row"]').first().waitFor();
    await noEnglish(lang, 'Audit log');

    await gotoPage('results', 'results-page');
    await page.selectOption('#results-queue', String(queue.id));
    const shown = lang === 'de' ? '24.11.2026' : '24/11/2026';
    await page.fill('#results-from', shown);
    await page.fill('#results-to', shown);
    await page.locator('[data-testid="results-row"]').first().waitFor();
    await page.locator('#results-chart canvas').first().waitFor();
    const text = await noEnglish(lang, 'Results');
    assert.ok(text.includes(shown), `the results name the day as ${shown}`);
    assert.ok(!text.includes(DAY) || /\+01:00/.test(text), 'no ISO day outside the local times');

    await gotoPage('live', 'live-page');
    await page.locator('[data-testid="live-row"][data-status="logged_out"]').waitFor();
    const live = await noEnglish(lang, 'Live board');
    assert.ok(live.includes(t('live.builtin.logged_out')), 'the built-in activity in the language');
    assert.match(norm(await page.locator('[data-testid="live-row"] [data-testid="live-duration"]').first().innerText()),
      lang === 'de' ? /^\d+ Min\. \d\d Sek\.$/ : /^\d+ min \d\d s$/);
  });
}

test('no page error and no CSP violation', () => {
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
