// Browser test of the preview, the discovery and the results download as a new user meets
// them: 50 rows of a 17-column file show the parsed queue, interval and values first with the
// raw fields wrapped beneath a page height that stays readable (measured); a file whose header
// is a few lines down shows its first lines and the number of lines to skip; a discovery shows
// the sum of counts and times and the mean, lowest and highest of averages; the Results page
// downloads what it shows as CSV with daily totals. Real daemon, Debian's headless Chromium.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { exact, launchBrowser, until } from '../lib/browser.mjs';
import { REPO_ROOT, login, startDaemon } from '../lib/daemon.mjs';
import { runDays } from '../lib/pipeline.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const en = (await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', 'en.js')).href)).default;
const DAY = '2026-11-24';
// the further columns of a typical interval export (an Avaya CMS split report)
const EXTRA = ['ACDCalls', 'AbnCalls', 'AvgSpeedAns', 'AvgAbnTime', 'AvgACDTime', 'AvgACWTime', 'MaxDelay', 'ConnCalls', 'TransOut', 'HoldCalls'];
const HEADER = ['Split', 'Name', 'Date', 'Time', 'Offered', 'Handled', 'AHT', ...EXTRA];

let daemon;
let api;
let context;
let page;
let profileDir;
let base;
let wide;
let titled;
const pageErrors = [];
const cspViolations = [];

/** 50 rows of 17 fields: queues 101 and 102, 25 quarter-hours each from 08:00. */
function wideLines() {
  const lines = [HEADER.join(';')];
  for (let i = 0; i < 50; i++) {
    const q = i % 2 === 0 ? '101' : '102';
    const min = 480 + 15 * Math.floor(i / 2);
    const hhmm = `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;
    const offered = 10 + (i % 7);
    const handled = offered - 2;
    const aht = 100 + 10 * (i % 5);
    lines.push([q, `Sales ${q}`, DAY.split('-').reverse().join('.'), hhmm,
      offered, handled, aht, ...EXTRA.map((_, k) => String((i * 7 + k * 13) % 250))].join(';'));
  }
  return lines;
}

async function source(name, folder, extra = {}) {
  const r = await api.post('/api/v1/sources', {
    name, kind: 'csv', time_zone: 'UTC',
    settings: {
      csv: { folder, separator: ';', date_order: 'dmy', ...extra },
      columns: { queue: 'Split', queue_name: 'Name', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered', handled: 'Handled', aht: 'AHT' },
    },
  });
  assert.equal(r.status, 201, r.text);
  return r.body;
}

before(async () => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-e2e-preview-'));
  const wideDir = path.join(base, 'wide');
  const titledDir = path.join(base, 'titled');
  fs.mkdirSync(wideDir);
  fs.mkdirSync(titledDir);
  fs.writeFileSync(path.join(wideDir, 'day.csv'), `${wideLines().join('\n')}\n`);
  fs.writeFileSync(path.join(titledDir, 'report.csv'), `${[
    'ACD interval report', `exported ${DAY} 23:59`, ...wideLines().slice(0, 5)].join('\n')}\n`);
  daemon = await startDaemon({ users: [ADMIN] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  wide = await source('Wide report', wideDir);
  titled = await source('Titled report', titledDir);
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
  if (base) {
    fs.rmSync(base, { recursive: true, force: true });
  }
});

async function openPreview(src) {
  await page.goto(`${daemon.url}/#/sources`);
  await page.click(`[data-testid="source-row"][data-name="${src.name}"] [data-testid="source-preview-open"]`);
  await page.locator('[data-testid="source-preview"]').waitFor();
  await page.fill('#preview-day', DAY);
}

test('50 rows of 17 columns: parsed queue, interval and values first, raw fields wrapped, a readable height', async () => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await openPreview(wide);
  await page.selectOption('#preview-rows', '50');
  await page.click('#preview-read');
  const rows = page.locator('[data-testid="preview-row"]');
  await until(async () => (await rows.count()) === 50, 'fifty rows previewed');
  // the columns: line, then what acdlink made of the row, the raw fields last
  const heads = await page.locator('[data-testid="preview-table"] thead th').allTextContents();
  assert.deepEqual(heads.map((h) => h.trim()), ['preview.line', 'preview.queue', 'preview.interval', 'preview.values', 'preview.raw_fields'].map((k) => en[k]));
  const first = rows.first();
  assert.equal((await first.locator('[data-testid="preview-queue"]').textContent()).replace(/\s+/g, ' ').trim(), '101 Sales 101');
  assert.equal((await first.locator('[data-testid="preview-local"]').textContent()).trim(), `${DAY} 08:00`);
  assert.match(await first.locator('[data-testid="preview-values"]').textContent(), /offered\s*10/);
  // every raw field is there, named by its column
  assert.deepEqual(await first.locator('[data-testid="preview-raw"] .raw-field').evaluateAll((els) => els.map((e) => e.dataset.column)), HEADER);
  // wrapped, not one wide line: nothing scrolls sideways, and each row stays a few lines high
  // (50 rows of one unwrapped line per field made a 6,700 px page; measured here: ~3,900 px,
  // each row three lines of raw fields)
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls ${overflow}px sideways`);
  const table = await page.locator('[data-testid="preview-table"]').boundingBox();
  const wrap = await page.locator('[data-testid="source-preview"] .table-wrap').first().boundingBox();
  assert.ok(table.width <= wrap.width + 1, `the table (${table.width}px) fits its box (${wrap.width}px)`);
  console.log(`# preview of 50 rows x 17 columns at 1280 px: table ${Math.round(table.height)} px high, ${Math.round(table.width)} px wide`);
  assert.ok(table.height < 5000, `50 rows take ${table.height}px`);
  assert.deepEqual(pageErrors, []);
});

test('a header a few lines down: the first lines of the file and the lines to skip', async () => {
  await openPreview(titled);
  await page.click('#preview-read');
  const jobError = page.locator('[data-testid="preview-job-error"]');
  await jobError.waitFor({ timeout: 20000 });
  assert.match(await jobError.textContent(), /Split/);
  const hint = page.locator('[data-testid="preview-skip-hint"]');
  await hint.waitFor();
  assert.equal(await hint.getAttribute('data-skip'), '2');
  assert.equal((await hint.textContent()).trim(), en['preview.skip_hint']
    .replace('{line}', '3').replace('{field}', en['sources.csv.skip_lines']).replace('{skip}', '2'));
  const head = page.locator('[data-testid="preview-head"] li');
  await until(async () => (await head.count()) >= 3, 'the first lines are shown');
  const lines = await head.allTextContents();
  assert.equal(lines[0], 'ACD interval report');
  assert.equal(lines[2], HEADER.join(';'));
  assert.equal(await page.locator('[data-testid="preview-head"]').getAttribute('open'), '', 'opened: no row was read');
  // with the suggestion taken, the same file previews
  const fixed = await api.patch(`/api/v1/sources/${titled.id}`, {
    settings: {
      csv: { folder: path.join(base, 'titled'), separator: ';', date_order: 'dmy', skip_lines: 2 },
      columns: { queue: 'Split', queue_name: 'Name', date: 'Date', time: 'Time' },
      metrics: { offered: 'Offered', handled: 'Handled', aht: 'AHT' },
    },
  });
  assert.equal(fixed.status, 200, fixed.text);
  await openPreview({ ...titled });
  await page.click('#preview-read');
  await until(async () => (await page.locator('[data-testid="preview-row"]').count()) === 4, 'four rows after the skipped lines');
  assert.equal(await page.locator('[data-testid="preview-skip-hint"]').count(), 0);
});

test('discovery: the sum of counts, the mean, lowest and highest of an average', async () => {
  await openPreview(wide);
  await page.click('#preview-discover');
  const metrics = page.locator('[data-testid="discovery-metrics"] tbody tr');
  await until(async () => (await metrics.count()) === 3, 'three metrics discovered');
  const cells = Object.fromEntries(await metrics.evaluateAll((trs) => trs.map((tr) => [tr.dataset.key, [...tr.cells].map((td) => td.textContent.trim())])));
  const lines = wideLines().slice(1).map((l) => l.split(';'));
  const offered = lines.reduce((s, f) => s + Number(f[4]), 0);
  const aht = lines.map((f) => Number(f[6]));
  const avg = aht.reduce((s, v) => s + v, 0) / aht.length;
  assert.deepEqual(cells.offered, ['offered', '50', offered.toLocaleString('en-US')]);
  assert.deepEqual(cells.aht, ['aht', '50', en['discover.average']
    .replace('{avg}', avg.toLocaleString('en-US', { maximumFractionDigits: 2 }))
    .replace('{min}', String(Math.min(...aht))).replace('{max}', String(Math.max(...aht)))]);
});

test('the Results page downloads what it shows as CSV with daily totals', async () => {
  const q = await api.post('/api/v1/queues', { identifier: 'WIDE101', name: 'Wide 101', time_zone: 'UTC' });
  assert.equal(q.status, 201, q.text);
  for (const vt of ['offered', 'handled', 'aht']) {
    const m = await api.post('/api/v1/mappings', { queue_id: q.body.id, value_type: vt, inputs: [{ source_id: wide.id, ext_queue: '101', metric: vt }] });
    assert.equal(m.status, 201, m.text);
  }
  const run = await runDays(api, wide.id, DAY);
  assert.equal(run.state, 'done', JSON.stringify(run));
  await page.goto(`${daemon.url}/#/results/${q.body.id}`);
  await page.locator('#results-form').waitFor();
  await page.fill('#results-from', DAY);
  await page.fill('#results-to', DAY);
  await page.click('#results-reload');
  const shown = page.locator('[data-testid="results-row"]');
  await until(async () => (await shown.count()) === 25, 'the 25 intervals of queue 101 shown');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#results-csv')]);
  const file = path.join(base, 'results.csv');
  await download.saveAs(file);
  const csv = fs.readFileSync(file, 'utf8').split('\r\n');
  const lines = wideLines().slice(1).map((l) => l.split(';')).filter((f) => f[0] === '101');
  const sum = (k) => lines.reduce((s, f) => s + Number(f[k]), 0);
  const handled = sum(5);
  const ahtWeighted = lines.reduce((s, f) => s + Number(f[6]) * Number(f[5]), 0) / handled;
  assert.equal(csv[0], 'queue;WIDE101');
  assert.equal(csv[1], 'date;time;aht;handled;offered');
  assert.equal(csv.filter((l) => /^\d{4}-\d{2}-\d{2};\d{2}:\d{2};/.test(l)).length, 25, 'a line per interval the page shows');
  const total = csv.find((l) => l.startsWith(`${DAY};total;`));
  assert.ok(total, csv.join('\n'));
  const [, , aht, h, o] = total.split(';');
  assert.equal(Number(h), handled);
  assert.equal(Number(o), sum(4));
  assert.ok(Math.abs(Number(aht) - ahtWeighted) < 0.01, `${aht} vs ${ahtWeighted}`);
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
