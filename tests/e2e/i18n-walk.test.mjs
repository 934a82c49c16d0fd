// Browser test that German and French reach every page and state a weekly admin sees: Home,
// Sources with a failed run, a source's settings, Preview, Discover and its one-step set-up
// (proposal, confirmation and what it made), Mappings with warnings, Results, Deliveries with a
// refused batch, Alerts with an undelivered notice, the Audit log with changes, Users, Tokens,
// Schedules, WFM queues, Value types, Targets, Agents, Activities, the Live board, the Timeline,
// the Xlink migration with its report, Backup, Account and the health banner. On each page no
// text may be English (a text of the console's English dictionary the language words
// differently, an English sentence, the daemon's English text of a coded message), no plural
// form may be the English one or the language's "other" form for one, French needs its
// no-break space before ; : ! ? and every date is in the language's format (dd.mm.yyyy,
// dd/mm/yyyy), date fields included. Real daemon, real files, Debian's headless Chromium.
//
// Design note: the data is made through the API beforehand; the checks are those of
// tests/lib/i18n-check.mjs, shared with i18n-complete.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { closeConsoleTest, launchBrowser, until } from '../lib/browser.mjs';
import { REPO_ROOT, login, makeTempDir, startDaemon } from '../lib/daemon.mjs';
import { closedPort } from '../lib/wfm.mjs';
import { addAgentStateSource, checkLanguage, dict } from '../lib/i18n-check.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const VIEWER = { name: 'vera', role: 'viewer', password: 'vera-Passw0rd-e2e-long' };
const DAY = '2026-11-24';
const CSV = [
  'Split;Date;Time;Offered;Handled;Abandoned;AHT',
  '101;24.11.2026;08:00;10;9;1;120',
  '101;24.11.2026;08:15;12;11;1;130',
  '102;24.11.2026;08:00;4;4;0;90',
  '102;24.11.2026;08:15;5;4;1;95',
  '102;24.11.2026;08:30;zwölf;4;1;95',
  '102;24.11.2026;08:45;1;1',
  '',
].join('\r\n');

let daemon;
let api;
let context;
let page;
let profileDir;
let folder;
let source;
let failedSource;
const pageErrors = [];
const cspViolations = [];
const daemonEnglish = [];
let allowed = [];

async function waitRun(id) {
  let run;
  await until(async () => {
    run = (await api.get(`/api/v1/runs/${id}`)).body;
    return ['done', 'failed', 'cancelled'].includes(run.state);
  }, `run ${id} ends`);
  return run;
}

async function runDay(sourceId, day = DAY) {
  const r = await api.post('/api/v1/runs', { source_id: sourceId, from: day, to: day });
  assert.equal(r.status, 202, r.text);
  return waitRun(r.body.id);
}

async function gotoPage(route, testid) {
  await page.goto(`${daemon.url}/#/${route}`);
  await page.locator(`[data-testid="${testid}"]`).first().waitFor();
}

let found = [];
const check = (lang, what) => checkLanguage(page, lang, what, { allowed, daemonEnglish, collect: found });

before(async () => {
  daemon = await startDaemon({ users: [ADMIN, VIEWER] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  folder = await makeTempDir('acdlink-e2e-i18n-walk-');
  await fsp.writeFile(path.join(folder, 'calls_20261124.csv'), CSV);
  const s = await api.post('/api/v1/sources', {
    name: 'Hauptquelle', kind: 'csv', time_zone: 'Europe/Berlin', interval_minutes: 15,
    settings: {
      csv: { folder, pattern: '*.csv', separator: ';', date_order: 'dmy' },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered', handled: 'Handled', abandoned: 'Abandoned', aht: 'AHT' },
    },
  });
  assert.equal(s.status, 201, s.text);
  source = s.body;
  // a source whose folder is gone: its run fails
  const f = await api.post('/api/v1/sources', {
    name: 'Verschwunden', kind: 'csv', time_zone: 'Europe/Berlin', interval_minutes: 15,
    settings: {
      csv: { folder: path.join(folder, 'gone'), pattern: '*.csv', separator: ';', date_order: 'dmy' },
      columns: { queue: 'Split', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered' },
    },
  });
  assert.equal(f.status, 201, f.text);
  failedSource = f.body;
  // a changed setting for the audit log (before and after)
  const patched = await api.patch(`/api/v1/sources/${source.id}`, { time_zone: 'Europe/Vienna' });
  assert.equal(patched.status, 200, patched.text);
  // a mapping whose inputs the source never delivered
  const q = await api.post('/api/v1/queues', { identifier: 'HOTLINE', name: 'Kasse', time_zone: 'Europe/Berlin', interval_minutes: 15 });
  assert.equal(q.status, 201, q.text);
  const m = await api.post('/api/v1/mappings', {
    queue_id: q.body.id, value_type: 'offered', inputs: [{ source_id: source.id, ext_queue: '3O1', metric: 'ofered' }],
  });
  assert.equal(m.status, 201, m.text);
  const good = await api.post('/api/v1/mappings', {
    queue_id: q.body.id, value_type: 'handled', inputs: [{ source_id: source.id, ext_queue: '101', metric: 'handled' }],
  });
  assert.equal(good.status, 201, good.text);
  // a target that refuses the connection: a refused batch
  const port = await closedPort();
  const t = await api.post('/api/v1/targets', {
    name: 'WFM', connector: 'injixo-api', secret: 'k-5f2b9c-e2e',
    settings: { integration_configuration_id: 4711, base_url: `https://127.0.0.1:${port}` },
  });
  assert.equal(t.status, 201, t.text);
  // an alert channel that cannot be reached and a rule for failed runs
  const ch = await api.post('/api/v1/alerts/channels', { name: 'Hook', kind: 'webhook', settings: { url: `https://127.0.0.1:${port}/hook` } });
  assert.equal(ch.status, 201, ch.text);
  assert.equal((await api.post('/api/v1/alerts/rules', { event: 'run_failed', channel_id: ch.body.id })).status, 201);
  const sc = await api.post('/api/v1/schedules', { source_id: source.id, kind: 'daily', daily_at: '06:00', days_back: 1 });
  assert.equal(sc.status, 201, sc.text);
  assert.equal((await api.post('/api/v1/tokens', { name: 'skript', role: 'operator', expires_in_days: 30 })).status, 201);

  const imported = await runDay(source.id);
  assert.equal(imported.state, 'done', JSON.stringify(imported));
  const failed = await runDay(failedSource.id);
  assert.equal(failed.state, 'failed', JSON.stringify(failed));
  daemonEnglish.push(failed.error);
  for (const run of [imported, failed]) {
    for (const line of (await api.get(`/api/v1/runs/${run.id}/log?limit=500`)).body.items.filter((l) => l.code)) {
      daemonEnglish.push(line.message);
    }
  }
  await until(async () => (await api.get('/api/v1/deliveries')).body.items.find((b) => b.last_error_code), 'a refused delivery');

  // agent states for the live board and the timeline
  const agentSource = await addAgentStateSource(api, folder);
  const today = new Date().toISOString().slice(0, 10);
  assert.equal((await runDay(agentSource.id, today)).state, 'done');

  allowed = [folder, ...CSV.split('\r\n').filter(Boolean), ...CSV.split(/[;\r\n]/).filter((x) => /\d\./.test(x)), 'calls_20261124.csv', 'Hauptquelle', 'Verschwunden', 'Agentenquelle', 'anna@example.com',
    'Offered', 'Handled', 'Abandoned', 'AHT', 'Split', 'Date', 'Time', 'State', 'Agent'];

  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'Europe/Berlin', pageErrors, cspViolations }));
  await page.goto(`${daemon.url}/#/login`);
  await page.fill('#login-username', ADMIN.name);
  await page.fill('#login-password', ADMIN.password);
  await page.click('#login-submit');
  await page.locator('#current-user').waitFor();
});

after(() => closeConsoleTest({ context, profileDir, dirs: [folder], api, daemon }));

test('the checks notice English, an English plural and an ISO date', async () => {
  await page.selectOption('#lang-select', 'en');
  await gotoPage('sources', 'sources-page');
  await assert.rejects(checkLanguage(page, 'de', 'Sources shown in English', { allowed }), /shows English/);
  const plural = Object.entries(dict.de).find(([, v]) => typeof v === 'object' && /^\{n\} \S+$/.test(v.other));
  const line = `${plural[1].other.replace('{n}', '1')} am 2026-11-24`;
  await page.selectOption('#lang-select', 'de');
  await page.evaluate((text) => {
    const p = document.createElement('p');
    p.textContent = text;
    document.body.append(p);
  }, line);
  await assert.rejects(checkLanguage(page, 'de', 'a made-up line', { allowed }), (e) => /ISO date/.test(e.message)
    && /plural: /.test(e.message));
  await page.reload();
});

for (const lang of ['de', 'fr']) {
  test(`${lang}: every page a weekly admin sees`, async () => {
    await page.selectOption('#lang-select', lang);
    await until(async () => (await page.evaluate(() => document.documentElement.lang)) === lang, `lang ${lang}`);
    const dayShown = lang === 'de' ? '24.11.2026' : '24/11/2026';

    await gotoPage('home', 'home-page');
    await check(lang, 'Home');

    await gotoPage('sources', 'sources-page');
    await page.locator(`[data-testid="source-row"][data-name="Verschwunden"]`).waitFor();
    await check(lang, 'Sources with a failed run');

    // a source's settings
    await page.click(`[data-testid="source-row"][data-name="Hauptquelle"] [data-testid="source-edit"]`);
    await page.locator('#source-form').waitFor();
    await check(lang, 'a source\'s settings');
    await page.click('#source-cancel');

    // Preview of a day, then Discover and the one-step set-up
    await page.click(`[data-testid="source-row"][data-name="Hauptquelle"] [data-testid="source-preview-open"]`);
    await page.fill('#preview-day', dayShown);
    await page.click('#preview-read');
    await page.locator('[data-testid="preview-table"]').waitFor({ timeout: 30000 });
    await check(lang, 'Preview');
    await page.click('#preview-discover');
    await page.locator('[data-testid="discovery-setup"]').waitFor({ timeout: 30000 });
    await check(lang, 'Discover');
    if (lang === 'de') {
      await page.click('#setup-all');
      await page.click('#setup-create');
      await page.locator('[data-testid="setup-summary"] li').first().waitFor();
      await check(lang, 'the one-step set-up to confirm');
      await page.click('#setup-confirm');
      await page.locator('[data-testid="setup-done"]').waitFor({ timeout: 30000 });
    } else {
      await page.locator('[data-testid="setup-mapped"]').first().waitFor();
    }
    await check(lang, 'the one-step set-up done');

    await gotoPage('mappings', 'mappings-page');
    await page.locator('[data-testid="mapping-warning"]').first().waitFor();
    await check(lang, 'Mappings with warnings');

    await gotoPage('results', 'results-page');
    const queues = (await api.get('/api/v1/queues?limit=500')).body.items;
    await page.selectOption('#results-queue', String(queues.find((x) => x.identifier !== 'HOTLINE').id));
    await page.fill('#results-from', dayShown);
    await page.fill('#results-to', dayShown);
    await page.locator('[data-testid="results-row"]').first().waitFor();
    await check(lang, 'Results');

    await gotoPage('deliveries', 'deliveries-page');
    await page.locator('[data-testid="delivery-row"]').first().waitFor();
    await check(lang, 'Deliveries with a refused batch');

    await gotoPage('alerts', 'alerts-page');
    await check(lang, 'Alerts');

    await gotoPage('audit', 'audit-page');
    await page.locator('[data-testid="audit-row"]').first().waitFor();
    await check(lang, 'Audit log with changes');

    for (const [route, testid, what] of [
      ['runs', 'runs-page', 'Runs'], ['users', 'users-page', 'Users'], ['tokens', 'tokens-page', 'Tokens'],
      ['schedules', 'schedules-page', 'Schedules'], ['queues', 'queues-page', 'WFM queues'],
      ['value-types', 'value-types-page', 'Value types'], ['targets', 'targets-page', 'Targets'],
      ['agents', 'agents-page', 'Agents'], ['activities', 'activities-page', 'Activities'],
      ['timeline', 'timeline-page', 'Timeline'], ['backup', 'backup-page', 'Backup'], ['account', 'account-page', 'Account'],
    ]) {
      await gotoPage(route, testid);
      await check(lang, what);
    }

    await gotoPage('live', 'live-page');
    await page.locator('[data-testid="live-row"][data-status="logged_out"]').waitFor();
    await check(lang, 'Live board');

    // health: the banner of every page but Home names the failed run and the undelivered notice
    await page.locator('[data-testid="health-warning"]').waitFor();
    await check(lang, 'the health banner');

    await gotoPage('xlink', 'xlink-page');
    const fixtures = path.join(REPO_ROOT, 'tests', 'fixtures', 'xlink');
    await page.setInputFiles('#xlink-files', fs.readdirSync(fixtures).map((x) => path.join(fixtures, x))
      .filter((x) => fs.statSync(x).isFile()));
    await page.fill('#xlink-zone', 'Europe/Berlin');
    await page.click('#xlink-check');
    await page.locator('#xlink-report').waitFor();
    await check(lang, 'Xlink migration');
    const wrong = found;
    found = [];
    assert.deepEqual(wrong, [], wrong.join('\n'));
  });
}

test('no page error and no CSP violation', () => {
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
