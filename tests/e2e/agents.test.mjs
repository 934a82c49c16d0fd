// Browser test of agent states in the console: an agent-state CSV source is imported (its
// agent unknown), the agent is mapped from the unknown-agents list on the Agents page, an
// external activity code is mapped on the Activities page, and the Agent timeline shows the
// day change with each step; a new export file and a run from the Runs page change it again.
// Real daemon, real files, real Chromium; what the console did is checked through the API.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeConsoleTest, exact, launchBrowser, until, waitValue } from '../lib/browser.mjs';
import { REPO_ROOT, login, makeTempDir, startDaemon } from '../lib/daemon.mjs';

const SHOTS = process.env.ACDL_E2E_SHOTS || path.join(os.tmpdir(), 'acdl');
const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const OPERATOR = { name: 'otto', role: 'operator', password: 'otto-Passw0rd-e2e-long' };
const DAY = '2026-11-24';
const AGENT = 'anna@example.com';

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

async function waitText(selector, text) {
  await page.locator(selector).filter({ hasText: exact(text) }).first().waitFor({ state: 'visible' });
}

async function gotoPage(route, testid) {
  await page.click(`#nav-${route}`);
  await page.locator(`[data-testid="${testid}"]`).waitFor();
}

async function shot(name) {
  await fsp.mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, `console-agents-${name}.png`), fullPage: true });
}

/** The timeline table as "start-end activity" lines. */
async function timelineRows() {
  const rows = page.locator('[data-testid="timeline-row"]');
  const out = [];
  for (let i = 0; i < await rows.count(); i++) {
    const r = rows.nth(i);
    const text = async (id) => (await r.locator(`[data-testid="${id}"]`).textContent()).trim();
    out.push(`${await text('timeline-start')}-${await text('timeline-end')} ${await text('timeline-activity')}`);
  }
  return out;
}

async function waitRows(want) {
  let seen = null;
  await until(async () => JSON.stringify(seen = await timelineRows()) === JSON.stringify(want),
    () => `timeline rows ${JSON.stringify(want)}`).catch(() => assert.deepEqual(seen, want));
}

before(async () => {
  daemon = await startDaemon({ users: [ADMIN, OPERATOR] });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  folder = await makeTempDir('acdlink-e2e-agents-');
  await fsp.writeFile(path.join(folder, 'states_1.csv'), [
    'Agent;Date;Start;End;State',
    '0042;24.11.2026;08:00:00;09:00:00;READY',
    '0042;24.11.2026;09:00:00;09:30:00;TALK',
    '',
  ].join('\r\n'));
  const s = await api.post('/api/v1/sources', {
    name: 'Agent CSV', kind: 'csv', product: 'agent_states', time_zone: 'Europe/Berlin',
    settings: {
      csv: { folder, separator: ';', date_order: 'dmy' },
      columns: { agent: 'Agent', date: 'Date', start: 'Start', end: 'End', activity: 'State' },
      agent_states: { span: 'start_end' },
    },
  });
  assert.equal(s.status, 201, s.text);
  source = s.body;
  assert.equal((await api.post('/api/v1/activities', { identifier: 'talk', name: 'Talking' })).status, 201);
  const run = await api.post('/api/v1/runs', { source_id: source.id, from: DAY, to: DAY });
  assert.equal(run.status, 202, run.text);
  await until(async () => (await api.get(`/api/v1/runs/${run.body.id}`)).body.state === 'done', 'the import run');
  ({ context, page, profileDir } = await launchBrowser(daemon, {
    timezoneId: 'Europe/Berlin', pageErrors, cspViolations,
  }));
});

after(() => closeConsoleTest({ context, profileDir, dirs: [folder], api, daemon }));

test('the unknown agent is mapped on the Agents page, and its day appears on the timeline', async () => {
  await page.goto(`${daemon.url}/#/login`);
  await page.fill('#login-username', OPERATOR.name);
  await page.fill('#login-password', OPERATOR.password);
  await page.click('#login-submit');
  await waitText('#current-user', OPERATOR.name);
  await waitText('#nav-agents', en['nav.agents']);
  await gotoPage('agents', 'agents-page');
  const row = page.locator('[data-testid="unknown-row"][data-ext="0042"]');
  await row.waitFor();
  assert.equal((await row.locator('[data-testid="unknown-ext"]').textContent()).trim(), '0042');
  await row.locator('[data-testid="unknown-identifier"]').fill(AGENT);
  await row.locator('[data-testid="unknown-map"]').click();
  await page.locator('[data-testid="agents-notice"]').waitFor();
  await page.locator(`[data-testid="agent-row"][data-identifier="${AGENT}"]`).waitFor();
  await waitText('#unknown-table .empty', en['agents.unknown_empty']);
  const ids = (await api.get(`/api/v1/agents`)).body.items.find((a) => a.identifier === AGENT).external_ids;
  assert.deepEqual(ids.map((x) => x.ext_agent), ['0042']);

  await page.click(`[data-testid="agent-row"][data-identifier="${AGENT}"] [data-testid="agent-timeline"]`);
  await page.locator('[data-testid="timeline-page"]').waitFor();
  await waitValue(page, '#timeline-agent', AGENT);
  await page.fill('#timeline-day', DAY);
  await page.locator('[data-testid="timeline-bar"]').waitFor();
  await waitRows(['08:00:00-09:30:00 present']);
  await shot('timeline-present');
});

test('mapping an activity code on the Activities page changes the timeline', async () => {
  await gotoPage('activities', 'activities-page');
  const code = page.locator('[data-testid="code-row"][data-code="TALK"]');
  await code.waitFor();
  assert.equal((await code.locator('[data-testid="code-count"]').textContent()).trim(), '1');
  await code.locator('[data-testid="code-activity"]').selectOption('talk');
  await page.locator('[data-testid="code-row"][data-code="TALK"][data-mapped="true"]').waitFor();
  await page.locator('[data-testid="activities-notice"]').waitFor();
  const mapped = (await api.get(`/api/v1/activity-codes?source=${source.id}`)).body.items;
  assert.deepEqual(mapped.map((c) => [c.code, c.activity]), [['READY', null], ['TALK', 'talk']]);
  await shot('activities');

  await gotoPage('timeline', 'timeline-page');
  await page.selectOption('#timeline-agent', AGENT);
  await page.fill('#timeline-day', DAY);
  await waitRows(['08:00:00-09:00:00 present', '09:00:00-09:30:00 talk']);
  assert.equal(await page.locator('[data-testid="timeline-span"][data-activity="talk"]').count(), 1);
});

test('a new export and a run from the Runs page: the timeline changes again', async () => {
  await fsp.writeFile(path.join(folder, 'states_2.csv'), 'Agent;Date;Start;End;State\r\n0042;24.11.2026;10:00:00;10:15:00;TALK\r\n');
  await gotoPage('runs', 'runs-page');
  await page.selectOption('#run-source', String(source.id));
  await page.fill('#run-from', DAY);
  await page.fill('#run-to', DAY);
  await page.click('#run-start');
  await page.locator('#run-detail[data-state="done"]').waitFor({ timeout: 30000 });
  await gotoPage('timeline', 'timeline-page');
  await page.selectOption('#timeline-agent', AGENT);
  await page.fill('#timeline-day', DAY);
  await waitRows(['08:00:00-09:00:00 present', '09:00:00-09:30:00 talk', '09:30:00-10:00:00 logged_out',
    '10:00:00-10:15:00 talk']);
  await page.locator('[data-testid="timeline-span"].tl-hole').waitFor();
  const widths = await page.locator('[data-testid="timeline-span"]').evaluateAll(
    (els) => els.map((e) => e.getBoundingClientRect().width));
  assert.ok(widths[0] > widths[3] * 3, `an hour is wider than a quarter of an hour: ${widths}`);
  await shot('timeline-rerun');
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
