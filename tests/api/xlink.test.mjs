// Xlink migration through the API and the command line: the test installation in
// tests/fixtures/xlink (Windows-1252, CRLF, every key family) converted with a report of every
// key, nothing changed by a dry run, things that exist left alone, passwords never taken over,
// and a converted CSV source that imports an Xlink-style export into the mapped WFM queue.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT, bearer, runCli } from '../lib/daemon.mjs';
import {
  assertError, assertInvalidField, assertStatus, createToken, show, sleep, startWithAdmin,
} from '../lib/api.mjs';

const FIXTURES = path.join(REPO_ROOT, 'tests', 'fixtures', 'xlink');

let d;
let admin;
let dir;

function upload(folder, only = null) {
  return fs.readdirSync(folder)
    .filter((name) => !only || only.includes(name))
    .map((name) => ({ name, content_base64: fs.readFileSync(path.join(folder, name)).toString('base64') }));
}

function line(report, file, section, key, status) {
  return report.items.find((i) => i.file === file && (section === null || i.section === section)
    && i.key === key && (!status || i.status === status));
}

async function waitRun(id) {
  for (let i = 0; i < 300; i++) {
    const r = await admin.get(`/api/v1/runs/${id}`);
    if (['done', 'failed', 'cancelled'].includes(r.body.state)) {
      return r.body;
    }
    await sleep(50);
  }
  throw new Error(`run ${id} did not finish`);
}

before(async () => {
  ({ d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] }));
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-xlink-'));
});

after(async () => {
  if (d) {
    // a clean exit: under the sanitizer build a memory error or leak would make it fail
    const code = await d.stop();
    assert.equal(code, 0, `the daemon exited with ${code}:\n${d.stderr().slice(-4000)}`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
});

test('bad uploads are refused with the field named, and viewers may not import', async () => {
  assertInvalidField(await admin.post('/api/v1/xlink-imports', { files: [] }), 'files');
  assertInvalidField(await admin.post('/api/v1/xlink-imports', {
    files: [{ name: 'isps_ul.ini', content_base64: 'not base64!' }],
  }), 'files[0].content_base64');
  assertInvalidField(await admin.post('/api/v1/xlink-imports', {
    files: [{ name: '../isps_ul.ini', content_base64: '' }],
  }), 'files[0]');
  const r = await admin.post('/api/v1/xlink-imports', { files: upload(FIXTURES, ['acd_map.ini']) });
  assertInvalidField(r, 'isps_ul.ini is missing');
  assertInvalidField(await admin.post('/api/v1/xlink-imports', { files: upload(FIXTURES), extra: 1 }), 'extra');
  const viewer = await createToken(admin, 'xlink-viewer', 'viewer');
  assertError(await bearer(d, viewer.token).post('/api/v1/xlink-imports', { files: upload(FIXTURES) }),
    403, 'forbidden');
});

test('a dry run reports every key and changes nothing', async () => {
  const r = await admin.post('/api/v1/xlink-imports', {
    files: upload(FIXTURES), dry_run: true, time_zone: 'Europe/Berlin',
  });
  assertStatus(r, 200);
  const rep = r.body;
  assert.equal(rep.dry_run, true);
  const ul = rep.files.find((f) => f.name === 'isps_ul.ini');
  assert.deepEqual([ul.encoding, ul.line_endings], ['windows-1252', 'crlf']);
  // every key of the test installation has its line, with a status and a reason
  const ini = fs.readFileSync(path.join(FIXTURES, 'isps_ul.ini'), 'latin1').split('\r\n');
  ini.forEach((text, i) => {
    if (/^[A-Za-z0-9_ ]+=/.test(text)) {
      const hit = rep.items.find((it) => it.file === 'isps_ul.ini' && it.line === i + 1);
      assert.ok(hit, `isps_ul.ini:${i + 1} '${text}' has no report line`);
      assert.ok(['converted', 'skipped', 'not_convertible'].includes(hit.status));
      assert.ok(hit.detail.length > 5, JSON.stringify(hit));
    }
  });
  assert.equal(line(rep, 'isps_ul.ini', 'CSV Hotline', 'SeparatorCharacter').status, 'converted');
  assert.match(line(rep, 'isps_ul.ini', 'CSV Hotline', 'TimeZone').detail, /Etc\/GMT-2 .*no daylight saving time/);
  assert.match(line(rep, 'isps_ul.ini', 'CSV Hotline', 'Groups').detail, /every queue/);
  assert.equal(line(rep, 'isps_ul.ini', 'CSV Hotline', 'ActivitySource').status, 'converted');
  assert.match(line(rep, 'isps_ul.ini', 'Universal ACD', 'LogOffActivities').detail, /start-only/);
  assert.equal(line(rep, 'isps_ul.ini', 'Universal ACD', 'MinimumActivityDuration').status, 'converted');
  assert.match(line(rep, 'isps_ul.ini', 'GENERAL', 'WriteAlways').detail, /write zero values/);
  const pwLine = line(rep, 'isps_ul.ini', 'Universal ACD', 'Password');
  assert.equal(pwLine.status, 'not_convertible');
  assert.equal(pwLine.value, '(not shown)');
  assert.ok(!r.text.includes('hunter2-Canary'), 'a password is in the report');
  assert.ok(!r.text.includes('18A3F09B2C4D5E6F70'), 'the [DB] password is in the report');
  assert.ok(rep.actions.some((a) => a.includes("password of source 'Universal ACD'")), JSON.stringify(rep.actions));
  assert.match(rep.items.find((i) => i.file === 'acd_map.ini' && i.line === 6).detail, /\$1\.BAS sums/);
  assert.match(line(rep, 'acd_map.ini', null, 'WFM:0:SALES:Calls Average Handling Time', 'not_convertible').detail,
    /c\.TalkTime|\$3\.BAS/);
  assert.deepEqual(rep.created.sources.sort(),
    ['CSV Hotline', 'CSV Hotline agents', 'Half Hour', 'Universal ACD', 'Universal ACD agents']);
  assert.ok(rep.created.mappings.includes('SUP_DE / aht'), JSON.stringify(rep.created));
  assert.equal(rep.summary.converted + rep.summary.skipped + rep.summary.not_convertible, rep.items.length);
  assert.equal((await admin.get('/api/v1/sources')).body.items.length, 0, 'a dry run created sources');
  assert.equal((await admin.get('/api/v1/queues')).body.items.length, 0);
});

test('the import creates sources, queues and mappings once; a converted source imports', async () => {
  // the same installation, with its CSV folder pointing at a real folder of this machine
  const inst = path.join(dir, 'xlink');
  const exportDir = path.join(dir, 'export');
  const agentDir = path.join(dir, 'agents');
  fs.mkdirSync(inst);
  fs.mkdirSync(exportDir);
  fs.mkdirSync(agentDir);
  for (const f of fs.readdirSync(FIXTURES)) {
    fs.copyFileSync(path.join(FIXTURES, f), path.join(inst, f));
  }
  const ul = fs.readFileSync(path.join(inst, 'isps_ul.ini'), 'latin1')
    .replace('Source=D:\\ACD\\Export', `Source=${exportDir}`)
    .replace('DeleteImportFiles=1', 'DeleteImportFiles=0')
    .replace('ActivitySource=D:\\ACD\\Agents', `ActivitySource=${agentDir}`);
  fs.writeFileSync(path.join(inst, 'isps_ul.ini'), Buffer.from(ul, 'latin1'));
  fs.writeFileSync(path.join(exportDir, 'calls.csv'), Buffer.from([
    'Queue;Date;Time;CallsOffered;CallsHandled;AHT;Wartezeit (s)',
    'SUPPORT_DE;24.11.2026;08:00;12;10;180;20',
    'SUPPORT_DE;24.11.2026;08:15;9;9;200;30',
    'SUPPORT_AT;24.11.2026;08:00;3;3;100;5',
    'Überlauf;24.11.2026;08:00;2;1;90;1',
    '',
  ].join('\r\n'), 'latin1'));

  fs.writeFileSync(path.join(agentDir, 'states.csv'), [
    'Agent;Activity;Start;End',
    '0042;1;24.11.2026 08:00:00;24.11.2026 08:30:00',
    '0042;3;24.11.2026 08:30:00;24.11.2026 09:00:00',
    '',
  ].join('\r\n'));

  const r = await admin.post('/api/v1/xlink-imports', { files: upload(inst), time_zone: 'Europe/Berlin' });
  assertStatus(r, 200);
  assert.equal(r.body.dry_run, false);
  assert.deepEqual(r.body.existing, []);
  const sources = (await admin.get('/api/v1/sources')).body.items;
  const hotline = sources.find((s) => s.name === 'CSV Hotline');
  assert.equal(hotline.time_zone, 'Etc/GMT-2');
  assert.equal(hotline.settings.csv.encoding, 'windows-1252');
  const uni = sources.find((s) => s.name === 'Universal ACD');
  assert.equal(uni.kind, 'odbc');
  assert.equal(uni.password_set, false, 'a password was taken over');
  assert.match(uni.settings.odbc.sql, /FROM CallData c WHERE c\.XlinkDateTime >= :period_start/);
  assert.equal(sources.find((s) => s.name === 'Half Hour').enabled, false);
  const queues = (await admin.get('/api/v1/queues')).body.items.map((q) => q.identifier).sort();
  assert.deepEqual(queues, ['SALES', 'SUP_ALL', 'SUP_DE']);
  const audit = await admin.get('/api/v1/audit?action=xlink.import');
  assert.equal(audit.body.items.length, 1, show(audit));
  assert.equal((await admin.get('/api/v1/audit?action=source.create')).body.items.length, 5);
  const agents = sources.find((s) => s.name === 'CSV Hotline agents');
  assert.equal(agents.product, 'agent_states');
  assert.equal(agents.settings.agent_states.span, 'start_end');

  // importing again leaves everything as it is
  const again = await admin.post('/api/v1/xlink-imports', { files: upload(inst) });
  assertStatus(again, 200);
  assert.deepEqual(again.body.created.sources, []);
  assert.ok(again.body.existing.some((e) => e.kind === 'sources' && e.key === 'CSV Hotline'), show(again));

  // the converted source reads the Xlink-style export; the converted mappings fill the queues
  const run = await admin.post('/api/v1/runs', { source_id: hotline.id, from: '2026-11-24', to: '2026-11-24' });
  assertStatus(run, 202);
  const done = await waitRun(run.body.id);
  assert.equal(done.state, 'done', JSON.stringify(done));
  assert.equal(done.counts.rows_rejected, 0, JSON.stringify(done));
  const res = async (q, vt) => {
    const x = await admin.get(`/api/v1/results?queue=${q}&from=2026-11-24&to=2026-11-24&value_type=${vt}`);
    assertStatus(x, 200);
    return Object.fromEntries(x.body.items.map((i) => [i.local.slice(11, 16), i.value]));
  };
  assert.deepEqual(await res('SUP_DE', 'offered'), { '08:00': 12, '08:15': 9 });
  assert.deepEqual(await res('SUP_ALL', 'offered'), { '08:00': 15, '08:15': 9 }); // $1.BAS: DE + AT
  assert.deepEqual(await res('SUP_ALL', 'handled'), { '08:00': 11, '08:15': 9 }); // $2.BAS: DE + Überlauf

  // the converted agent-state source reads the agent file: two states of agent 0042
  const arun = await admin.post('/api/v1/runs', { source_id: agents.id, from: '2026-11-24', to: '2026-11-24' });
  assertStatus(arun, 202);
  const adone = await waitRun(arun.body.id);
  assert.equal(adone.state, 'done', JSON.stringify(adone));
  assert.equal(adone.counts.rows_read, 2, JSON.stringify(adone));
  assert.equal(adone.counts.rows_rejected, 0, JSON.stringify(adone));
  const unknown = await admin.get('/api/v1/unknown-agents');
  assertStatus(unknown, 200);
  assert.ok(JSON.stringify(unknown.body).includes('0042'), show(unknown));
});

test('acdlink import-xlink DIR works beside the daemon, as text or JSON', async () => {
  const r = await runCli(['import-xlink', FIXTURES, '--dry-run', '--data-dir', d.dataDir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /read isps_ul\.ini \(windows-1252, crlf line endings\)/);
  assert.match(r.stdout, /isps_ul\.ini:16 \[CSV Hotline\] SeparatorCharacter=3: converted: csv\.separator ';'/);
  assert.match(r.stdout, /exists already, left as it is: sources CSV Hotline/);
  assert.match(r.stdout, /\d+ converted, \d+ skipped, \d+ not convertible \(dry run: nothing changed\)/);
  assert.ok(!r.stdout.includes('hunter2'), 'a password on the terminal');
  const j = await runCli(['import-xlink', FIXTURES, '--dry-run', '--json', '--data-dir', d.dataDir]);
  assert.equal(j.code, 0, j.stderr);
  const rep = JSON.parse(j.stdout);
  assert.equal(rep.dry_run, true);
  const missing = await runCli(['import-xlink', path.join(dir, 'nope'), '--data-dir', d.dataDir]);
  assert.equal(missing.code, 2);
  const empty = path.join(dir, 'empty');
  fs.mkdirSync(empty);
  const none = await runCli(['import-xlink', empty, '--data-dir', d.dataDir]);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /isps_ul\.ini is missing/);
});
