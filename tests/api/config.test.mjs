// The whole setup as one document: GET /api/v1/config and `acdlink config export` give the same
// document with names instead of ids and no secrets; applying it to a fresh appliance
// recreates the setup, a second apply changes nothing, changes and prune are planned by a dry
// run, and refusals name the document path and keep what was applied.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertError, assertStatus, createUser, pw, show, startWithAdmin } from '../lib/api.mjs';
import { TEST_ROOT, login, makeTempDir, runCli } from '../lib/daemon.mjs';

let one;
let two;
let tmp;

const csvSource = {
  name: 'Avaya CSV',
  kind: 'csv',
  time_zone: 'Europe/Berlin',
  settings: {
    csv: { folder: path.join(TEST_ROOT, 'acdlink-acd', 'export'), pattern: '*.csv', separator: ';' },
    columns: { queue: 'Split', date: 'Date', time: 'Time' },
    metrics: { offered: 'Offered', handled: 'Handled', aht: 'AHT' },
  },
};
const agentSource = {
  name: 'Agent CSV',
  kind: 'csv',
  product: 'agent_states',
  time_zone: 'Europe/Berlin',
  settings: {
    csv: { folder: path.join(TEST_ROOT, 'acdlink-acd', 'agents'), separator: ';' },
    columns: { agent: 'Agent', activity: 'State', start: 'Start', end: 'End' },
    agent_states: { span: 'start_end' },
  },
};
const odbcSource = {
  name: 'CMS ODBC',
  kind: 'odbc',
  time_zone: 'America/New_York',
  interval_minutes: 30,
  settings: { odbc: { dsn: 'cms', user: 'reader', preset: 'avaya_cms_hsplit' } },
  password: 'cms-Secret-77',
};

async function buildSetup(admin) {
  assertStatus(await admin.post('/api/v1/value-types', { key: 'callbacks', name: 'Callbacks', unit: 'count', combine: 'sum' }), 201);
  const sales = (await admin.post('/api/v1/queues', { identifier: 'SALES', name: 'Sales', channel: 'calls', interval_minutes: 15, time_zone: 'Europe/Berlin' })).body;
  const service = (await admin.post('/api/v1/queues', { identifier: 'SERVICE', name: 'Service', channel: 'calls', interval_minutes: 15, time_zone: 'Europe/Berlin' })).body;
  const csv = await admin.post('/api/v1/sources', csvSource);
  assertStatus(csv, 201);
  assertStatus(await admin.post('/api/v1/sources', odbcSource), 201);
  const inputs = (metric) => [
    { source_id: csv.body.id, ext_queue: '101', metric },
    { source_id: csv.body.id, ext_queue: '102', metric },
  ];
  for (const vt of ['offered', 'handled']) {
    assertStatus(await admin.post('/api/v1/mappings', { queue_id: sales.id, value_type: vt, inputs: inputs(vt) }), 201);
  }
  assertStatus(await admin.post('/api/v1/mappings', { queue_id: sales.id, value_type: 'aht', inputs: inputs('aht') }), 201);
  assertStatus(await admin.post('/api/v1/mappings', { queue_id: service.id, value_type: 'callbacks', inputs: [{ source_id: csv.body.id, ext_queue: '201', metric: 'offered' }], formula: 'round(p1 / 10.0, 1)' }), 201);
  assertStatus(await admin.post('/api/v1/schedules', { source_id: csv.body.id, kind: 'every', every_minutes: 15, offset_minutes: 5 }), 201);
  assertStatus(await admin.post('/api/v1/schedules', { source_id: csv.body.id, kind: 'daily', daily_at: '06:30', days_back: 3 }), 201);
  // agent states: activities, an agent-state source, agents with their external ids, codes
  const agentsSrc = await admin.post('/api/v1/sources', agentSource);
  assertStatus(agentsSrc, 201);
  assertStatus(await admin.post('/api/v1/activities', { identifier: 'BREAK', name: 'Break' }), 201);
  assertStatus(await admin.post('/api/v1/activities', { identifier: 'PHONE', name: 'Phone' }), 201);
  assertStatus(await admin.post('/api/v1/agents', { identifier: 'anna@example.com', name: 'Anna', external_ids: [{ source_id: agentsSrc.body.id, ext_agent: '0042' }] }), 201);
  assertStatus(await admin.post('/api/v1/activity-codes', { source_id: agentsSrc.body.id, code: 'AUX1', activity: 'BREAK' }), 200);
  assertStatus(await admin.post('/api/v1/targets', { name: 'WFM files', connector: 'csv-export', settings: { folder: path.join(TEST_ROOT, 'acdlink-wfm-out') } }), 201);
}

before(async () => {
  one = await startWithAdmin();
  two = await startWithAdmin();
  tmp = await makeTempDir('acdlink-config-');
  await buildSetup(one.admin);
});

after(async () => {
  for (const x of [one, two]) {
    if (x) {
      await x.d.stop();
    }
  }
  if (tmp) {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});

function withoutStamp(doc) {
  const { exported_by: _, ...rest } = doc;
  return rest;
}

test('the export names everything by name, carries no ids and no secrets, and matches the CLI', async () => {
  const r = await one.admin.get('/api/v1/config');
  assertStatus(r, 200);
  const doc = r.body;
  assert.equal(doc.acdlink_config, 1);
  assert.deepEqual(doc.value_types.map((v) => v.key), ['callbacks'], 'only custom value types');
  assert.deepEqual(doc.queues.map((q) => q.identifier), ['SALES', 'SERVICE']);
  assert.deepEqual(doc.sources.map((s) => s.name), ['Agent CSV', 'Avaya CSV', 'CMS ODBC']);
  assert.deepEqual(doc.activities.map((a) => a.identifier), ['BREAK', 'PHONE'], 'no built-in activity');
  assert.deepEqual(doc.agents, [{ identifier: 'anna@example.com', name: 'Anna', external_ids: [{ source: 'Agent CSV', ext_agent: '0042' }] }]);
  assert.deepEqual(doc.activity_codes, [{ source: 'Agent CSV', code: 'AUX1', activity: 'BREAK' }]);
  assert.deepEqual(doc.targets.map((t) => [t.name, t.connector, t.settings.folder]), [['WFM files', 'csv-export', path.join(TEST_ROOT, 'acdlink-wfm-out')]]);
  assert.equal(doc.mappings.length, 4);
  const cb = doc.mappings.find((m) => m.value_type === 'callbacks');
  assert.deepEqual(cb, { queue: 'SERVICE', value_type: 'callbacks', formula: 'round(p1 / 10.0, 1)', inputs: [{ source: 'Avaya CSV', ext_queue: '201', metric: 'offered' }] });
  assert.deepEqual(doc.schedules.map((s) => [s.source, s.kind]), [['Avaya CSV', 'every'], ['Avaya CSV', 'daily']]);
  const text = JSON.stringify(doc);
  assert.ok(!/"id"|_id"|created_at|password|secret|cms-Secret/.test(text), text);

  const cli = await runCli(['config', 'export', '--data-dir', one.d.dataDir]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(withoutStamp(JSON.parse(cli.stdout)), withoutStamp(doc));
  const out = path.join(tmp, 'setup.json');
  const f = await runCli(['config', 'export', '--output', out, '--data-dir', one.d.dataDir]);
  assert.equal(f.code, 0, f.stderr);
  assert.deepEqual(withoutStamp(JSON.parse(fs.readFileSync(out, 'utf8'))), withoutStamp(doc));
});

test('a dry run plans, apply recreates the setup on another appliance, a second apply changes nothing', async () => {
  const doc = (await one.admin.get('/api/v1/config')).body;
  const dry = await two.admin.post('/api/v1/config/apply', { config: doc, dry_run: true });
  assertStatus(dry, 200);
  assert.equal(dry.body.dry_run, true);
  const TOTAL = 1 + 2 + 3 + 4 + 2 + 2 + 1 + 1 + 1; // value types .. schedules, activities .. targets
  assert.equal(dry.body.changes.length, TOTAL, show(dry));
  assert.ok(dry.body.changes.every((c) => c.action === 'create'));
  assert.equal((await two.admin.get('/api/v1/queues')).body.items.length, 0, 'a dry run changes nothing');

  const applied = await two.admin.post('/api/v1/config/apply', { config: doc });
  assertStatus(applied, 200);
  assert.equal(applied.body.changes.length, TOTAL);
  const back = (await two.admin.get('/api/v1/config')).body;
  assert.deepEqual(withoutStamp(back), withoutStamp(doc));
  // the password was not in the document: the ODBC source has none until an admin sets it
  const odbc = (await two.admin.get('/api/v1/sources')).body.items.find((s) => s.name === 'CMS ODBC');
  assert.equal(odbc.password_set, false);

  const again = await two.admin.post('/api/v1/config/apply', { config: doc });
  assertStatus(again, 200);
  assert.deepEqual(again.body.changes, []);
  assert.equal(again.body.unchanged, TOTAL);
  const audit = (await two.admin.get('/api/v1/audit?limit=200')).body.items;
  assert.ok(audit.some((a) => a.action === 'config.apply'), 'apply is audited');
  assert.ok(audit.some((a) => a.action === 'queue.create'), 'and so is every change it made');
});

test('changes are updates of the named members; prune deletes only within the kinds the file has', async () => {
  const doc = (await two.admin.get('/api/v1/config')).body;
  doc.queues.find((q) => q.identifier === 'SALES').name = 'Sales EMEA';
  doc.mappings.find((m) => m.value_type === 'callbacks').formula = null;
  const odbcAt = doc.sources.findIndex((x) => x.name === 'CMS ODBC');
  doc.sources[odbcAt] = { ...doc.sources[odbcAt], password: 'new-Secret-1' };
  doc.schedules.pop();
  doc.activity_codes = [];
  doc.agents[0].external_ids.push({ source: 'Agent CSV', ext_agent: 'A-7' });
  delete doc.value_types; // not in the file: never pruned
  const dry = await two.admin.post('/api/v1/config/apply', { config: doc, prune: true, dry_run: true });
  assertStatus(dry, 200);
  const plan = dry.body.changes.map((c) => `${c.action} ${c.kind} ${c.key}${c.fields ? ` ${c.fields.join(',')}` : ''}`);
  assert.deepEqual(plan.sort(), [
    'delete schedules Avaya CSV #2',
    'delete activity_codes Agent CSV / AUX1',
    'update agents anna@example.com external_ids',
    'update mappings SERVICE callbacks formula',
    'update queues SALES name',
    'update sources CMS ODBC password',
  ].sort(), show(dry));
  const r = await two.admin.post('/api/v1/config/apply', { config: doc, prune: true });
  assertStatus(r, 200);
  const queues = (await two.admin.get('/api/v1/queues')).body.items;
  assert.equal(queues.find((q) => q.identifier === 'SALES').name, 'Sales EMEA');
  assert.equal((await two.admin.get('/api/v1/schedules')).body.items.length, 1);
  assert.equal((await two.admin.get('/api/v1/value-types')).body.items.filter((v) => !v.builtin).length, 1);
  const cb = (await two.admin.get('/api/v1/mappings')).body.items.find((m) => m.value_type === 'callbacks');
  assert.equal(cb.formula, null);
  const odbc = (await two.admin.get('/api/v1/sources')).body.items.find((s) => s.name === 'CMS ODBC');
  assert.equal(odbc.password_set, true);
  const anna = (await two.admin.get('/api/v1/agents')).body.items[0];
  assert.deepEqual(anna.external_ids.map((x) => x.ext_agent).sort(), ['0042', 'A-7']);
  const codes = (await two.admin.get('/api/v1/activity-codes')).body.items;
  assert.ok(codes.every((c) => c.activity === null), 'a pruned code is unmapped');
});

test('a malformed document names the path and changes nothing', async () => {
  const cases = [
    [{ acdlink_config: 2 }, 'acdlink_config'],
    [{ acdlink_config: 1, users: [] }, 'users'],
    [{ acdlink_config: 1, queues: {} }, 'queues'],
    [{ acdlink_config: 1, queues: [{ name: 'no identifier' }] }, 'queues[0]'],
    [{ acdlink_config: 1, queues: [{ identifier: 'A' }, { identifier: 'A' }] }, 'queues[1]'],
    [{ acdlink_config: 1, mappings: [{ queue: 'SALES', value_type: 'offered', inputs: [{ source: 'Nowhere', ext_queue: '1', metric: 'offered' }] }] }, 'mappings[0].inputs[0].source'],
  ];
  for (const [config, where] of cases) {
    const r = await two.admin.post('/api/v1/config/apply', { config });
    assertError(r, 422, 'invalid_field');
    assert.ok(r.body.error.message.startsWith(`config.${where}:`), show(r));
    assert.deepEqual(r.body.report.changes, []);
  }
  assertError(await two.admin.post('/api/v1/config/apply', { config: { acdlink_config: 1 }, force: true }), 422, 'invalid_field');
});

test('a refusal part-way keeps what was applied and says where; applying the fixed file carries on', async () => {
  const good = { identifier: 'CHAT', name: 'Chat', channel: 'chats', interval_minutes: 15, time_zone: 'Europe/Berlin' };
  const bad = { identifier: 'MAIL', name: 'Mail', channel: 'emails', interval_minutes: 7, time_zone: 'Europe/Berlin' };
  const r = await two.admin.post('/api/v1/config/apply', { config: { acdlink_config: 1, queues: [good, bad] } });
  assertError(r, 409, 'conflict');
  assert.match(r.body.error.message, /^config\.queues\[1\]: .*interval_minutes/, show(r));
  assert.deepEqual(r.body.report.changes.map((c) => c.key), ['CHAT']);
  const fixed = await two.admin.post('/api/v1/config/apply', { config: { acdlink_config: 1, queues: [good, { ...bad, interval_minutes: 30 }] } });
  assertStatus(fixed, 200);
  assert.deepEqual(fixed.body.changes.map((c) => `${c.action} ${c.key}`), ['create MAIL']);
  const src = (await two.admin.get('/api/v1/config')).body.sources[0];
  const kind = await two.admin.post('/api/v1/config/apply', { config: { acdlink_config: 1, sources: [{ ...src, kind: 'odbc' }] } });
  assertError(kind, 422, 'invalid_field');
  assert.match(kind.body.error.message, /kind cannot change/);
});

test('apply acts with the caller\'s role: viewers cannot, operators cannot set passwords', async () => {
  await createUser(two.admin, 'cfg-viewer', 'viewer');
  await createUser(two.admin, 'cfg-operator', 'operator');
  const viewer = await login(two.d, 'cfg-viewer', pw('cfg-viewer'));
  const operator = await login(two.d, 'cfg-operator', pw('cfg-operator'));
  assertStatus(await viewer.get('/api/v1/config'), 200);
  assertError(await viewer.post('/api/v1/config/apply', { config: { acdlink_config: 1 } }), 403, 'forbidden');
  const doc = (await operator.get('/api/v1/config')).body;
  const ok = await operator.post('/api/v1/config/apply', { config: doc });
  assertStatus(ok, 200);
  const odbcAt = doc.sources.findIndex((x) => x.name === 'CMS ODBC');
  doc.sources[odbcAt].password = 'operator-Try-1';
  const r = await operator.post('/api/v1/config/apply', { config: doc });
  assertError(r, 409, 'conflict');
  assert.match(r.body.error.message, new RegExp(`sources\\[${odbcAt}\\].*admins only`), show(r));
});

test('the CLI applies a file, plans with --dry-run and names the place of a JSON error', async () => {
  const file = path.join(tmp, 'queues.json');
  fs.writeFileSync(file, JSON.stringify({ acdlink_config: 1, queues: [{ identifier: 'CLI-Q', name: 'From the CLI', channel: 'calls', interval_minutes: 15, time_zone: 'Europe/Berlin' }] }));
  const dry = await runCli(['config', 'apply', file, '--dry-run', '--data-dir', two.d.dataDir]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /would create +queues +CLI-Q/);
  const r = await runCli(['config', 'apply', file, '--data-dir', two.d.dataDir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^create +queues +CLI-Q$/m);
  const queues = (await two.admin.get('/api/v1/queues?limit=500')).body.items;
  assert.ok(queues.some((q) => q.identifier === 'CLI-Q'), 'the running daemon sees the change');
  fs.writeFileSync(file, '{"acdlink_config": 1,\n "queues": [}\n');
  const bad = await runCli(['config', 'apply', file, '--data-dir', two.d.dataDir]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:`));
  const missing = await runCli(['config', 'apply']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /usage/);
});

test('prune refuses a source that mappings and schedules still use, lists them, and --cascade deletes them with it', async () => {
  const doc = (await two.admin.get('/api/v1/config')).body;
  const used = doc.mappings.filter((m) => m.inputs.some((i) => i.source === 'Avaya CSV')).length;
  assert.ok(used > 0, show({ body: doc }));
  doc.sources = doc.sources.filter((x) => x.name !== 'Avaya CSV');
  delete doc.mappings; // not in the file: never pruned
  delete doc.schedules;
  const dry = await two.admin.post('/api/v1/config/apply', { config: doc, prune: true, dry_run: true });
  assertStatus(dry, 200);
  const planned = dry.body.changes.find((c) => c.kind === 'sources' && c.key === 'Avaya CSV');
  assert.equal(planned.action, 'delete');
  assert.equal(planned.consequences.mappings, used);
  assert.equal(planned.needs_cascade, true);

  const refused = await two.admin.post('/api/v1/config/apply', { config: doc, prune: true });
  assertError(refused, 409, 'conflict');
  assert.match(refused.body.error.message, /Avaya CSV.*mapping/);
  assert.equal(refused.body.report.error.consequences.mappings, used);
  assert.ok((await two.admin.get('/api/v1/sources')).body.items.some((s) => s.name === 'Avaya CSV'), 'nothing deleted');

  const file = path.join(tmp, 'prune.json');
  fs.writeFileSync(file, JSON.stringify(doc));
  const cli = await runCli(['config', 'apply', file, '--prune', '--dry-run', '--data-dir', two.d.dataDir]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.match(cli.stdout, new RegExp(`would delete +sources +Avaya CSV with mappings ${used}.*\\(refused without --cascade\\)`));
  const gone = await runCli(['config', 'apply', file, '--prune', '--cascade', '--data-dir', two.d.dataDir]);
  assert.equal(gone.code, 0, gone.stderr);
  assert.match(gone.stdout, new RegExp(`^delete +sources +Avaya CSV with mappings ${used}`, 'm'));
  assert.ok(!(await two.admin.get('/api/v1/sources')).body.items.some((s) => s.name === 'Avaya CSV'));
  const left = (await two.admin.get('/api/v1/mappings?limit=500')).body.items;
  assert.ok(left.every((m) => m.inputs.every((i) => i.source_name !== 'Avaya CSV' && i.source_id)), show({ body: left }));
});
