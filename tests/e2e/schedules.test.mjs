// Browser test of the Schedules page: the demo's schedule is listed with its next firing in the
// source's zone (also on the Sources list); an admin creates a schedule (a refused time of day
// shown at its field first), edits it (a refused interval shown at its field), disables and
// enables it, runs it now and opens the queued run, and deletes it after confirming. Real
// daemon set up by scripts/demo.mjs, real TLS, Debian's headless Chromium in UTC while the
// sources live in Europe/Berlin and America/New_York.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeBrowser, exact, launchBrowser, signIn, until } from '../lib/browser.mjs';
import { REPO_ROOT, login, makeTempDir, startDaemon } from '../lib/daemon.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const dict = {};
for (const lang of ['en', 'de', 'fr']) {
  dict[lang] = (await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', `${lang}.js`)).href)).default;
}
const en = dict.en;

let daemon;
let api;
let tmp;
let source;
let context;
let page;
let profileDir;
const pageErrors = [];
const cspViolations = [];

/** "8:16 AM"-style wall time of iso in zone, blanks normalised (ICU puts narrow spaces). */
function wallTime(iso, zone) {
  return new Intl.DateTimeFormat('en', { hour: 'numeric', minute: '2-digit', timeZone: zone })
    .format(new Date(iso)).replace(/\s/g, ' ');
}
const norm = (s) => s.replace(/\s+/g, ' ').trim();

function runDemo(args) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts', 'demo.mjs'), ...args], { cwd: tmp, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.setEncoding('utf8').on('data', (s) => { out += s; });
    p.stderr.setEncoding('utf8').on('data', (s) => { out += s; });
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, out }));
  });
}

async function schedulesFromApi() {
  const r = await api.get('/api/v1/schedules?limit=500');
  assert.equal(r.status, 200);
  return r.body.items;
}

const row = (name) => page.locator(`[data-testid="schedule-row"][data-source="${name}"]`);

before(async () => {
  // the default export root DATA/export: the demo's csv-export target writes there
  daemon = await startDaemon({ users: [ADMIN], env: { ACDLINK_EXPORT_ROOTS: '' } });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  tmp = await makeTempDir('acdlink-e2e-sched-');
  const pwFile = path.join(tmp, 'pw');
  fs.writeFileSync(pwFile, ADMIN.password, { mode: 0o600 });
  const demo = await runDemo(['--url', daemon.url, '--data-dir', daemon.dataDir, '--folder', path.join(tmp, 'demo-acd'),
    '--user', ADMIN.name, '--password-file', pwFile]);
  assert.equal(demo.code, 0, demo.out);
  const folder = path.join(fs.realpathSync(tmp), 'acd');
  source = (await api.post('/api/v1/sources', {
    name: 'NY CSV', kind: 'csv', time_zone: 'America/New_York',
    settings: { csv: { folder, separator: ';' }, columns: { queue: 'Split', date: 'Date', time: 'Time' }, metrics: { offered: 'Offered' } },
  })).body;
  assert.ok(source && source.id, 'the second source is created');
  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'UTC', pageErrors, cspViolations }));
  await signIn(page, daemon, ADMIN);
});

after(async () => {
  await closeBrowser(context, profileDir);
  if (daemon) {
    await daemon.stop();
  }
  if (tmp) {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
});

test("the demo's schedule is listed with its next run in the source's zone, also on Sources", async () => {
  await page.click('#nav-schedules');
  await page.locator('[data-testid="schedules-page"]').waitFor();
  await page.locator('h1').filter({ hasText: exact(en['schedules.title']) }).waitFor();
  const demo = row('Demo ACD');
  await demo.waitFor();
  assert.equal(norm(await demo.locator('[data-testid="schedule-rule"]').textContent()),
    en['schedules.rule_every'].replace('{n}', '15').replace('{offset}', '1'));
  const [fromApi] = (await schedulesFromApi()).filter((s) => s.source.name === 'Demo ACD');
  const next = demo.locator('[data-testid="schedule-next"]');
  assert.equal(await next.getAttribute('data-zone'), 'Europe/Berlin');
  // the firing may pass while the test runs: what is shown is the planned one the page read
  const shown = await next.getAttribute('datetime');
  assert.ok(Date.parse(shown) >= Date.parse(fromApi.next_run_at) - 15 * 60 * 1000, `${shown} vs ${fromApi.next_run_at}`);
  assert.ok(norm(await next.textContent()).includes(wallTime(shown, 'Europe/Berlin')),
    `${await next.textContent()} shows ${wallTime(shown, 'Europe/Berlin')} (Berlin), not UTC`);
  assert.match(await next.textContent(), /Europe\/Berlin/);

  await page.click('#nav-sources');
  const srcRow = page.locator('[data-testid="source-row"][data-name="Demo ACD"]');
  await srcRow.waitFor();
  const srcNext = srcRow.locator('[data-testid="source-next-run"]');
  assert.equal(await srcNext.getAttribute('data-zone'), 'Europe/Berlin');
  assert.ok(norm(await srcNext.textContent()).includes(wallTime(await srcNext.getAttribute('datetime'), 'Europe/Berlin')));
  const nyNext = page.locator('[data-testid="source-row"][data-name="NY CSV"] [data-testid="source-next-run"]');
  assert.equal(norm(await nyNext.textContent()), en['schedules.no_next'], 'no schedule yet');
});

test('create a schedule: a refused time of day is shown at its field, then it is listed', async () => {
  await page.click('#nav-schedules');
  await row('Demo ACD').waitFor();
  await page.click('#schedule-new');
  await page.selectOption('#schedule-create-source_id', String(source.id));
  await page.locator('#schedule-create-form .help').filter({ hasText: 'America/New_York' }).waitFor();
  await page.selectOption('#schedule-create-kind', 'daily');
  await page.fill('#schedule-create-daily_at', '25:00');
  await page.fill('#schedule-create-days_back', '2');
  await page.click('#schedule-create-submit');
  const err = page.locator('[data-slot="daily_at"] [data-testid="field-error"]');
  await err.waitFor();
  assert.equal(await err.getAttribute('data-field'), 'daily_at');
  assert.match(await err.textContent(), /daily_at: '25:00' is not a time of day/);
  assert.equal(await page.locator('#schedule-create-error').count(), 0, 'not at the form as a whole');
  await page.fill('#schedule-create-daily_at', '06:30');
  await page.check('#schedule-create-zero_fill');
  await page.click('#schedule-create-submit');
  await page.locator('[data-testid="schedules-notice"]').waitFor();
  const ny = row('NY CSV');
  await ny.waitFor();
  assert.equal(norm(await ny.locator('[data-testid="schedule-rule"]').textContent()),
    `${en['schedules.rule_daily'].replace('{at}', '06:30').replace('{n}', '2')} ${en['schedules.zero_fill_badge']}`);
  const next = ny.locator('[data-testid="schedule-next"]');
  assert.equal(await next.getAttribute('data-zone'), 'America/New_York');
  assert.ok(norm(await next.textContent()).includes('6:30 AM'), await next.textContent());
  const [s] = (await schedulesFromApi()).filter((x) => x.source.id === source.id);
  assert.equal(s.daily_at, '06:30');
  assert.equal(s.days_back, 2);
  assert.equal(s.zero_fill, true);
  assert.equal(await next.getAttribute('datetime'), s.next_run_at);
  // the Sources list shows it too
  await page.click('#nav-sources');
  const nyNext = page.locator('[data-testid="source-row"][data-name="NY CSV"] [data-testid="source-next-run"]');
  await nyNext.and(page.locator(`[datetime="${s.next_run_at}"]`)).waitFor();
  assert.ok(norm(await nyNext.textContent()).includes('6:30 AM'));
});

test('edit a schedule: a refused interval is shown at its field; disable and enable it', async () => {
  await page.click('#nav-schedules');
  const ny = row('NY CSV');
  await ny.waitFor();
  await ny.locator('[data-testid="schedule-edit"]').click();
  await page.locator('#schedule-edit-form').waitFor();
  assert.equal(await page.inputValue('#schedule-edit-daily_at'), '06:30');
  await page.selectOption('#schedule-edit-kind', 'every');
  await page.fill('#schedule-edit-every_minutes', '2');
  await page.fill('#schedule-edit-offset_minutes', '0');
  await page.click('#schedule-edit-submit');
  const err = page.locator('[data-slot="every_minutes"] [data-testid="field-error"]');
  await err.waitFor();
  assert.match(await err.textContent(), /every_minutes: must be from 5 to 1440/);
  await page.fill('#schedule-edit-every_minutes', '30');
  await page.fill('#schedule-edit-offset_minutes', '5');
  await page.click('#schedule-edit-submit');
  await page.locator('#schedule-edit-form').waitFor({ state: 'detached' });
  await ny.locator('[data-testid="schedule-rule"]').filter({ hasText: en['schedules.rule_every'].replace('{n}', '30').replace('{offset}', '5') }).waitFor();
  const [s] = (await schedulesFromApi()).filter((x) => x.source.id === source.id);
  assert.equal(s.kind, 'every');
  assert.equal(s.every_minutes, 30);
  assert.equal(new Date(s.next_run_at).getUTCMinutes() % 30, 5, 'New York is whole hours from UTC');

  await ny.locator('[data-testid="schedule-toggle"]').click();
  await ny.locator('[data-testid="schedule-status"]').filter({ hasText: exact(en['schedules.disabled']) }).waitFor();
  assert.equal(norm(await ny.locator('[data-testid="schedule-next"]').textContent()), en['schedules.no_next']);
  assert.equal((await schedulesFromApi()).find((x) => x.id === s.id).enabled, false);
  await ny.locator('[data-testid="schedule-toggle"]').click();
  await ny.locator('[data-testid="schedule-status"]').filter({ hasText: exact(en['schedules.enabled']) }).waitFor();
  await ny.locator('[data-testid="schedule-next"][data-zone="America/New_York"]').waitFor();
});

test('run now queues a run of the schedule and links to it', async () => {
  const ny = row('NY CSV');
  await ny.locator('[data-testid="schedule-run"]').click();
  const notice = page.locator('[data-testid="schedule-run-notice"]');
  await notice.waitFor();
  const runId = await notice.getAttribute('data-run');
  const run = (await api.get(`/api/v1/runs/${runId}`)).body;
  assert.equal(run.source.id, source.id);
  assert.equal(run.trigger, 'manual');
  assert.equal(run.created_by, ADMIN.name);
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(new Date());
  assert.ok(run.to === today || run.to < today, `${run.to} is the source's local today (${today})`);
  assert.ok(norm(await notice.textContent()).includes(`${run.from} – ${run.to}`));
  await page.click('[data-testid="schedule-run-link"]');
  await until(async () => page.url().endsWith(`#/runs/${runId}`), 'the run page');
  await page.locator('[data-testid="runs-page"]').waitFor();
});

test('delete a schedule only after confirming; the page speaks German and French too', async () => {
  await page.click('#nav-schedules');
  const ny = row('NY CSV');
  await ny.waitFor();
  await ny.locator('[data-testid="schedule-delete"]').click();
  const question = ny.locator('[data-testid="schedule-delete-question"]');
  await question.waitFor();
  assert.match(await question.textContent(), /NY CSV/);
  await ny.locator('[data-testid="schedule-delete-cancel"]').click();
  await ny.locator('[data-testid="schedule-delete"]').waitFor();
  assert.equal((await schedulesFromApi()).filter((x) => x.source.id === source.id).length, 1, 'cancel keeps it');
  await ny.locator('[data-testid="schedule-delete"]').click();
  await ny.locator('[data-testid="schedule-delete-confirm"]').click();
  await ny.waitFor({ state: 'detached' });
  await page.locator('[data-testid="schedules-notice"]').filter({ hasText: 'NY CSV' }).waitFor();
  assert.equal((await schedulesFromApi()).filter((x) => x.source.id === source.id).length, 0);
  await row('Demo ACD').waitFor();

  for (const lang of ['de', 'fr', 'en']) {
    await page.selectOption('#lang-select', lang);
    await page.locator('h1').filter({ hasText: exact(dict[lang]['schedules.title']) }).waitFor();
    await page.locator('#nav-schedules').filter({ hasText: exact(dict[lang]['nav.schedules']) }).waitFor();
    await row('Demo ACD').locator('[data-testid="schedule-run"]').filter({ hasText: exact(dict[lang]['schedules.run_now']) }).waitFor();
  }
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
