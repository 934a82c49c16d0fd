// Browser test of editing targets in place: every setting of an injixo-api target (URL, CA
// file or pasted CA, pin, proxy use, timeout, batch size, external system) and of a csv-export
// target (folder, prefix, separator, date and time formats, header, decimals, columns, agent
// columns, agent time zone) and the agent days of an https-json target (whole or changes
// only) is changed on the target's edit form; refusals of the API (422)
// appear at the field they name; the API key is never sent back by the daemon nor by the form
// unless a new one is typed (operators get no key field at all), and the stored key keeps
// working until it is replaced. An operator sees a network target's address and trust settings
// read-only (sent back as stored) and can add csv-export targets only. Real daemon behind a dead https_proxy, a strict TLS receiver
// (tests/lib/wfm.mjs), Debian's headless Chromium.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { closeBrowser, exact, launchBrowser, signIn } from '../lib/browser.mjs';
import { REPO_ROOT, login, makeTempDir, startDaemon } from '../lib/daemon.mjs';
import { closedPort, startWfm } from '../lib/wfm.mjs';

const ADMIN = { name: 'admin', role: 'admin', password: 'admin-Passw0rd-e2e-long' };
const OLD_KEY = 'e2e-old-key-7c1d';
const en = (await import(pathToFileURL(path.join(REPO_ROOT, 'web', 'src', 'i18n', 'en.js')).href)).default;

let daemon;
let api;
let wfm;
let tmp;
let cloud;
let files;
let context;
let page;
let profileDir;
const pageErrors = [];
const cspViolations = [];
const patches = []; // bodies of the PATCH requests the page sent
const targetAnswers = []; // text of every /targets answer the page received

before(async () => {
  const dead = await closedPort();
  daemon = await startDaemon({ users: [ADMIN], env: { https_proxy: `http://127.0.0.1:${dead}`, no_proxy: '', NO_PROXY: '' } });
  api = await login(daemon, ADMIN.name, ADMIN.password);
  wfm = await startWfm({ kind: 'injixo', apiKey: 'e2e-right-key-93af' });
  tmp = fs.realpathSync(await makeTempDir('acdlink-e2e-tedit-'));
  cloud = (await api.post('/api/v1/targets', {
    name: 'Cloud', connector: 'injixo-api', secret: OLD_KEY,
    settings: { base_url: wfm.baseUrl, integration_configuration_id: wfm.icid, ca_file: wfm.pki.caFile },
  })).body;
  assert.ok(cloud && cloud.id, 'the injixo-api target is created');
  files = (await api.post('/api/v1/targets', { name: 'Files', connector: 'csv-export', settings: { folder: path.join(tmp, 'out') } })).body;
  assert.ok(files && files.id, 'the csv-export target is created');
  ({ context, page, profileDir } = await launchBrowser(daemon, { timezoneId: 'UTC', pageErrors, cspViolations }));
  page.on('request', (req) => {
    if (req.method() === 'PATCH' && req.url().includes('/api/v1/targets/')) {
      patches.push(req.postData());
    }
  });
  page.on('response', async (res) => {
    if (res.url().includes('/api/v1/targets')) {
      targetAnswers.push(await res.text().catch(() => ''));
    }
  });
  await signIn(page, daemon, ADMIN);
  await page.click('#nav-targets');
  await page.locator('[data-testid="target-row"][data-name="Cloud"]').waitFor();
});

after(async () => {
  await closeBrowser(context, profileDir);
  if (daemon) {
    await daemon.stop();
  }
  if (wfm) {
    await wfm.close();
  }
  if (tmp) {
    await fsp.rm(tmp, { recursive: true, force: true });
  }
});

/** Runs the row's connection test and returns its result element's data-failure ('' = ok). */
async function connectionTest(id) {
  const row = page.locator(`[data-testid="target-row"][data-id="${id}"]`);
  await row.locator('[data-testid="target-test"]').click();
  const result = page.locator('[data-testid="target-test-result"]');
  await result.waitFor();
  return result.getAttribute('data-failure');
}

async function openEdit(id) {
  await page.locator(`[data-testid="target-row"][data-id="${id}"] [data-testid="target-edit"]`).click();
  const form = page.locator(`[data-testid="target-edit-form"][data-id="${id}"]`);
  await form.waitFor();
  return form;
}

async function save(form) {
  const before = patches.length;
  await form.locator('[data-testid="target-edit-save"]').click();
  return before;
}

const fieldError = (form, key) => form.locator(`[data-slot="${key}"] [data-testid="field-error"]`);
const target = async (id) => (await api.get(`/api/v1/targets/${id}`)).body;

test('injixo-api: every setting is edited in place, a 422 appears at its field, the key stays unsent', async () => {
  assert.equal(await connectionTest(cloud.id), 'proxy', 'through the dead proxy first');
  const id = `#target-edit-${cloud.id}`;
  let form = await openEdit(cloud.id);
  assert.equal(await page.inputValue(`${id}-secret`), '', 'the key is never filled in');
  assert.equal((await form.locator('[data-testid="target-edit-secret-state"]').textContent()).trim(), en['targets.edit.secret_is_set']);
  assert.equal(await page.inputValue(`${id}-base-url`), wfm.baseUrl);
  assert.equal(await page.inputValue(`${id}-integration-configuration-id`), String(wfm.icid));
  assert.equal(await page.inputValue(`${id}-external-system`), 'acdlink');
  assert.equal(await page.inputValue(`${id}-ca-file`), wfm.pki.caFile);
  assert.equal(await page.inputValue(`${id}-timeout-seconds`), '30');
  assert.equal(await page.inputValue(`${id}-max-intervals`), '50');
  assert.equal(await page.isChecked(`${id}-use-proxy`), true);

  // a pin that is no SHA-256: the daemon's 422 is shown at the pin field
  await page.fill(`${id}-pin-sha256`, 'not-a-pin');
  let n = await save(form);
  const pinError = fieldError(form, 'pin_sha256');
  await pinError.waitFor();
  assert.match(await pinError.textContent(), /pin_sha256: must be the 64 hex digits/);
  assert.equal(await form.locator(`${id}-error`).count(), 0, 'not at the form as a whole');
  assert.equal(patches.length, n + 1);

  await page.fill(`${id}-name`, 'Cloud WFM');
  await page.fill(`${id}-pin-sha256`, wfm.pki.pinSha256);
  await page.fill(`${id}-external-system`, 'acd-e2e');
  await page.fill(`${id}-timeout-seconds`, '12');
  await page.fill(`${id}-max-intervals`, '20');
  await page.uncheck(`${id}-use-proxy`);
  n = await save(form);
  await form.waitFor({ state: 'detached' });
  await page.locator('[data-testid="targets-notice"]').filter({ hasText: exact(en['targets.edit.saved_notice'].replace('{name}', 'Cloud WFM')) }).waitFor();
  const sent = JSON.parse(patches[n]);
  assert.ok(!('secret' in sent), `no key in ${patches[n]}`);
  assert.equal(sent.name, 'Cloud WFM');
  let t = await target(cloud.id);
  assert.deepEqual(t.settings, {
    base_url: wfm.baseUrl, integration_configuration_id: wfm.icid, external_system: 'acd-e2e',
    ca_file: wfm.pki.caFile, pin_sha256: wfm.pki.pinSha256, timeout_seconds: 12, max_intervals: 20,
    use_proxy: false,
  });
  assert.equal(t.secret_set, true);
  // directly now, with the stored (wrong) key: it was kept, not blanked
  assert.equal(await connectionTest(cloud.id), 'auth');

  // the CA pasted as text instead of a file, and a new key typed: both are sent and used
  form = await openEdit(cloud.id);
  await page.fill(`${id}-ca-file`, '');
  await page.fill(`${id}-ca-pem`, wfm.pki.ca);
  await page.fill(`${id}-secret`, wfm.apiKey);
  n = await save(form);
  await form.waitFor({ state: 'detached' });
  assert.equal(JSON.parse(patches[n]).secret, wfm.apiKey, 'a typed key is sent');
  t = await target(cloud.id);
  assert.equal(t.settings.ca_file, '');
  assert.equal(t.settings.ca_pem.trim(), wfm.pki.ca.trim());
  assert.equal(await connectionTest(cloud.id), '', 'connected with the new key, the pasted CA and the pin');

  // the form opened again: still no key in it; saving unchanged sends nothing
  form = await openEdit(cloud.id);
  assert.equal(await page.inputValue(`${id}-secret`), '');
  n = await save(form);
  await page.locator('[data-testid="targets-notice"]').filter({ hasText: 'Cloud WFM' }).waitFor();
  assert.equal(patches.length, n, 'nothing changed: no request');
  for (const text of targetAnswers) {
    assert.ok(!text.includes(OLD_KEY) && !text.includes(wfm.apiKey), `a key in an answer: ${text.slice(0, 300)}`);
  }
});

test('csv-export: folder, formats, columns and agent settings are edited; 422s appear at their fields', async () => {
  const id = `#target-edit-${files.id}`;
  const form = await openEdit(files.id);
  assert.equal(await page.inputValue(`${id}-folder`), path.join(tmp, 'out'));
  assert.equal(await form.locator('[data-testid="target-edit-secret-state"]').count(), 0, 'no key for files');
  await page.fill(`${id}-folder`, path.join(tmp, 'wfm-in'));
  await page.check(`${id}-create-folder`);
  await page.fill(`${id}-file-prefix`, 'wfm_');
  await page.selectOption(`${id}-separator`, ',');
  await page.fill(`${id}-date-format`, 'yyyy-mm-dd');
  await page.fill(`${id}-time-format`, 'hh:mm:ss');
  await page.uncheck(`${id}-header`);
  await page.fill(`${id}-decimals`, '2');
  const cols = form.locator('[data-testid="target-columns"] [data-testid="target-column-row"]');
  assert.equal(await cols.count(), 6);
  await cols.nth(0).locator('[data-testid="target-column-header"]').fill('Skill');
  await cols.nth(5).locator('[data-testid="target-column-remove"]').click();
  await form.locator('[data-testid="target-columns-add"]').click();
  await cols.nth(5).locator('[data-testid="target-column-header"]').fill('Abandoned');
  await cols.nth(5).locator('[data-testid="target-column-value"]').fill('no such thing!');
  const agentCols = form.locator('[data-testid="target-agent_columns"] [data-testid="target-column-row"]');
  await agentCols.nth(0).locator('[data-testid="target-column-header"]').fill('From');
  await agentCols.nth(5).locator('[data-testid="target-column-value"]').selectOption('agent');
  await agentCols.nth(4).locator('[data-testid="target-column-remove"]').click();
  await page.fill(`${id}-agent-date-format`, 'dd.mm.yyyy');
  await page.fill(`${id}-agent-time-format`, 'hh:mm');
  await page.fill(`${id}-agent-time-zone`, 'Mars/Olympus');

  await save(form);
  const tzError = fieldError(form, 'agent_time_zone');
  await tzError.waitFor();
  assert.match(await tzError.textContent(), /agent_time_zone: 'Mars\/Olympus' is not a known time zone/);
  await page.fill(`${id}-agent-time-zone`, 'Europe/Berlin');
  await save(form);
  const colError = fieldError(form, 'columns');
  await colError.waitFor();
  assert.match(await colError.textContent(), /columns\[5\]: needs header/);
  assert.equal(await fieldError(form, 'agent_time_zone').count(), 0, 'the earlier error is gone');
  await cols.nth(5).locator('[data-testid="target-column-value"]').fill('abandoned');
  await save(form);
  await form.waitFor({ state: 'detached' });
  const t = await target(files.id);
  assert.deepEqual(t.settings, {
    ...t.settings,
    folder: path.join(tmp, 'wfm-in'), create_folder: true, file_prefix: 'wfm_', separator: ',',
    date_format: 'yyyy-mm-dd', time_format: 'hh:mm:ss', header: false, decimals: 2,
    columns: [
      { header: 'Skill', value: 'queue' }, { header: 'Date', value: 'date' }, { header: 'Time', value: 'time' },
      { header: 'IncomingCalls', value: 'offered' }, { header: 'AnsweredCalls', value: 'handled' },
      { header: 'Abandoned', value: 'abandoned' },
    ],
    agent_columns: [
      { header: 'From', value: 'start_date' }, { header: 'StartTime', value: 'start_time' },
      { header: 'EndDate', value: 'end_date' }, { header: 'EndTime', value: 'end_time' },
      { header: 'AgentActivityID', value: 'agent' },
    ],
    agent_date_format: 'dd.mm.yyyy', agent_time_format: 'hh:mm', agent_time_zone: 'Europe/Berlin',
  });
  // the row shows the new folder
  await page.locator(`[data-testid="target-row"][data-id="${files.id}"]`).filter({ hasText: path.join(tmp, 'wfm-in') }).waitFor();
});

test('https-json: agent states as whole days or changes only, chosen on the form', async () => {
  const json = (await api.post('/api/v1/targets', { name: 'Json', connector: 'https-json', settings: { url: 'https://127.0.0.1:9/wfm' } })).body;
  assert.ok(json && json.id, 'the https-json target is created');
  await page.reload();
  await page.locator(`[data-testid="target-row"][data-id="${json.id}"]`).waitFor();
  const id = `#target-edit-${json.id}`;
  let form = await openEdit(json.id);
  assert.equal(await page.inputValue(`${id}-agent-days`), 'whole', 'whole days by default');
  assert.deepEqual(await page.locator(`${id}-agent-days option`).allTextContents(),
    [en['targets.edit.agent_days.whole'], en['targets.edit.agent_days.changes']]);
  await form.getByText(en['targets.edit.agent_days_help']).waitFor();
  await page.selectOption(`${id}-agent-days`, 'changes');
  let n = await save(form);
  await form.waitFor({ state: 'detached' });
  assert.equal(JSON.parse(patches[n]).settings.agent_days, 'changes');
  assert.equal((await target(json.id)).settings.agent_days, 'changes');
  form = await openEdit(json.id);
  assert.equal(await page.inputValue(`${id}-agent-days`), 'changes');
  await page.selectOption(`${id}-agent-days`, 'whole');
  n = await save(form);
  await form.waitFor({ state: 'detached' });
  assert.equal((await target(json.id)).settings.agent_days, 'whole');
});

test('an operator edits settings but sees no key field and sends no key; address and trust are read-only', async () => {
  const OP = { name: 'op', password: 'operator-Passw0rd-e2e-long' };
  assert.equal((await api.post('/api/v1/users', { name: OP.name, role: 'operator', password: OP.password })).status, 201);
  await page.click('#logout');
  await page.locator('#login-username').waitFor();
  await signIn(page, daemon, OP);
  await page.click('#nav-targets');
  // an operator adds csv-export targets only: network targets are an admin's
  await page.locator('#target-create-form').getByText(en['targets.network_admin_only']).waitFor();
  assert.deepEqual(await page.locator('#target-create-connector option').evaluateAll((o) => o.map((x) => x.value)), ['csv-export']);
  assert.equal(await page.locator('#target-create-base_url, #target-create-url, #target-create-ca_file').count(), 0);
  const stored = await target(cloud.id);
  const id = `#target-edit-${cloud.id}`;
  const form = await openEdit(cloud.id);
  assert.equal(await page.locator(`${id}-secret`).count(), 0, 'no key field for operators');
  await form.getByText(en['targets.secret_admin_only']).waitFor();
  assert.equal((await form.locator('[data-testid="target-edit-secret-state"]').textContent()).trim(), en['targets.edit.secret_is_set']);
  assert.equal((await form.locator('[data-testid="target-edit-admin-note"]').textContent()).trim(), en['targets.edit.admin_settings_note']);
  for (const key of ['base-url', 'ca-file', 'ca-pem', 'pin-sha256']) {
    assert.equal(await page.locator(`${id}-${key}`).isEditable(), false, `${key} is read-only for operators`);
  }
  assert.equal(await page.inputValue(`${id}-base-url`), stored.settings.base_url);
  assert.equal(await page.locator(`${id}-timeout-seconds`).isEditable(), true);
  await page.fill(`${id}-timeout-seconds`, '15');
  const n = await save(form);
  await form.waitFor({ state: 'detached' });
  const sent = JSON.parse(patches[n]);
  assert.ok(!('secret' in sent));
  for (const key of ['base_url', 'ca_file', 'ca_pem', 'pin_sha256']) {
    assert.equal(sent.settings[key], stored.settings[key], `${key} is sent back as stored`);
  }
  const t = await target(cloud.id);
  assert.equal(t.settings.timeout_seconds, 15);
  assert.equal(t.settings.base_url, stored.settings.base_url);
  assert.equal(t.secret_set, true);
  // a csv-export target keeps its folder editable
  const files2 = await openEdit(files.id);
  assert.equal(await files2.locator('[data-testid="target-edit-admin-note"]').count(), 0);
  assert.equal(await page.locator(`#target-edit-${files.id}-folder`).isEditable(), true);
  await files2.locator('[data-testid="target-edit-cancel"]').click();
  assert.deepEqual(pageErrors, []);
  assert.deepEqual(cspViolations, []);
});
