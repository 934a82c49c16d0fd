// Agent states over ODBC from a real PostgreSQL (tests/lib/pg.sh) through psqlODBC, with the
// preset table layouts of tests/fixtures/odbc: Avaya CMS agent trace (start + duration, across
// the spring DST gap), Cisco UCCE Agent_Event_Detail and Asterisk queue_log (start only, with
// logout codes), Cisco UCCX AgentStateDetail (start only, times in UTC) and Genesys CIC
// AgentActivityLog (start + end). ODBC runs replace the staged days of their period.

import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { REPO_ROOT } from '../lib/daemon.mjs';
import { assertStatus, odbcDriver, show, sleep, startWithAdmin } from '../lib/api.mjs';

const PG_PASSWORD = 'pw;with{braces}=x'; // pg.sh's default
const DAY = '2024-03-31';
let d;
let admin;
let pg;
let port;
let dir;
const sources = {};

function startPg() {
  return new Promise((resolve, reject) => {
    pg = spawn('sh', [path.join(REPO_ROOT, 'tests/lib/pg.sh'), 'run'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    pg.stdout.on('data', (b) => {
      out += b;
      const p = /PORT (\d+)/.exec(out);
      const dd = /DIR (\S+)/.exec(out);
      if (p && dd) {
        resolve({ port: Number(p[1]), dir: dd[1] });
      }
    });
    pg.on('exit', (code) => reject(new Error(`pg.sh exited with ${code} (is PostgreSQL installed?)`)));
  });
}

async function run(sourceId) {
  const c = await admin.post('/api/v1/runs', { source_id: sourceId, from: DAY, to: DAY });
  assertStatus(c, 202);
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
    const r = await admin.get(`/api/v1/runs/${c.body.id}`);
    if (['done', 'failed', 'cancelled'].includes(r.body.state)) {
      const log = await admin.get(`/api/v1/runs/${c.body.id}/log?limit=500`);
      return { ...r.body, ...r.body.counts, log: log.body.items.map((x) => x.message) };
    }
    await sleep(100);
  }
  throw new Error('run did not finish');
}

async function spans(agent) {
  const r = await admin.get(`/api/v1/agent-states?agent=${encodeURIComponent(agent)}&from=${DAY}&to=${DAY}`);
  assertStatus(r, 200);
  const dd = r.body.days.find((x) => x.day === DAY);
  return dd ? dd.spans.map((s) => `${s.local_start.slice(11, 19)}-${s.local_end ? s.local_end.slice(11, 19) : 'open'} ${s.activity}`) : [];
}

before(async () => {
  const driver = `{${odbcDriver('PostgreSQL Unicode', 'odbc-postgresql')}}`;
  ({ port, dir } = await startPg());
  const psql = fs.readdirSync('/usr/lib/postgresql').map((v) => `/usr/lib/postgresql/${v}/bin/psql`).find((p) => fs.existsSync(p));
  for (const f of ['asterisk_queue_log.sql', 'asterisk_queue_log_agents.sql', 'avaya_cms_agent_trace.sql',
    'cisco_ucce_agent_event_detail.sql', 'cisco_uccx_agent_state_detail.sql', 'genesys_cic_agent_activity.sql']) {
    execFileSync(psql, ['-q', '-h', dir, '-p', String(port), '-U', 'app', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1',
      '-f', path.join(REPO_ROOT, 'tests/fixtures/odbc', f)], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  ({ d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] }));
  for (const a of ['talk', 'break', 'lunch']) {
    assertStatus(await admin.post('/api/v1/activities', { identifier: a, name: a }), 201);
  }
  for (const preset of ['avaya_cms_agent_trace', 'cisco_ucce_agent_event_detail', 'asterisk_queue_log_agents',
    'cisco_uccx_agent_state_detail', 'genesys_cic_agent_activity']) {
    const r = await admin.post('/api/v1/sources', {
      name: preset, kind: 'odbc', product: 'agent_states', password: PG_PASSWORD,
      time_zone: preset === 'cisco_uccx_agent_state_detail' ? 'UTC' : 'Europe/Berlin',
      settings: { odbc: { connection_string: `Driver=${driver};Server=127.0.0.1;Port=${port};Database=postgres`, user: 'app', preset } },
    });
    assertStatus(r, 201);
    sources[preset] = r.body;
  }
});

after(async () => {
  if (d) {
    // a clean exit: under the sanitizer build a memory error or leak would make it fail
    const code = await d.stop();
    assert.equal(code, 0, `the daemon exited with ${code}:\n${d.stderr().slice(-4000)}`);
  }
  if (pg) {
    pg.stdin.end(); // EOF: pg.sh stops the cluster and removes its folder
  }
});

test('presets are listed with their span form and logout codes; the source takes them', async () => {
  const r = await admin.get('/api/v1/source-presets');
  const ucce = r.body.items.find((p) => p.id === 'cisco_ucce_agent_event_detail');
  assert.equal(ucce.product, 'agent_states');
  assert.equal(ucce.span, 'start_only');
  assert.deepEqual(ucce.logout_activities, ['LOGOUT']);
  assert.deepEqual(sources.asterisk_queue_log_agents.settings.agent_states,
    { span: 'start_only', logout_activities: ['REMOVEMEMBER'], min_duration_s: 0, split_at_midnight: true });
  assert.equal(sources.avaya_cms_agent_trace.settings.agent_states.span, 'start_duration');
  const wrong = await admin.post('/api/v1/sources', {
    name: 'wrong', kind: 'odbc', product: 'agent_states', time_zone: 'UTC',
    settings: { odbc: { dsn: 'x', preset: 'avaya_cms_hsplit' } },
  });
  assert.equal(wrong.status, 422, show(wrong));
});

test('Avaya CMS agent trace: start + duration across the DST gap, login ids with leading zeros', async () => {
  const src = sources.avaya_cms_agent_trace;
  const r = await run(src.id);
  assert.equal(r.state, 'done', r.log.join('\n'));
  assert.equal(r.rows_staged, 5);
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: '0815;anna@example.com\n00815;otto@example.com' }), 200);
  await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'AUX7', activity: 'break' });
  await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'ACD', activity: 'talk' });
  assert.deepEqual(await spans('anna@example.com'), [
    '01:30:00-04:00:00 present', // 90 minutes of real time: the clocks skip 02:00-03:00
    '04:00:00-08:00:00 logged_out',
    '08:00:00-08:30:00 present',
    '08:30:00-08:34:05 talk',
    '08:34:05-08:44:05 break',
  ]);
  assert.deepEqual(await spans('otto@example.com'), ['09:00:00-09:00:30 present']);
});

test('Cisco UCCE Agent_Event_Detail: start only, reason names, LOGOUT closes the session', async () => {
  const src = sources.cisco_ucce_agent_event_detail;
  const r = await run(src.id);
  assert.equal(r.state, 'done', r.log.join('\n'));
  const codes = await admin.get(`/api/v1/activity-codes?source=${src.id}`);
  assert.deepEqual(codes.body.items.map((c) => [c.code, c.name, c.count]),
    [['LOGIN', null, 2], ['LOGOUT', null, 1], ['NR3', 'Lunch', 1], ['NR7', 'Meeting', 1]]);
  const unknown = await admin.get(`/api/v1/unknown-agents?source=${src.id}`);
  assert.deepEqual(unknown.body.items.map((x) => x.ext_agent), ['0042', '42']);
  await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'NR3', activity: 'lunch' });
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: '0042;anna@example.com' }), 200);
  // anna has ids in two sources: both show in her day
  assert.deepEqual(await spans('anna@example.com'), [
    '01:30:00-04:00:00 present', '04:00:00-07:59:00 logged_out', '07:59:00-08:30:00 present',
    '08:30:00-08:34:05 talk', '08:34:05-08:44:05 break', '08:44:05-10:00:00 present',
    '10:00:00-10:45:00 lunch', '10:45:00-16:00:00 present',
  ]);
});

test('Asterisk queue_log: membership and pauses; a re-run replaces the day and changes nothing', async () => {
  const src = sources.asterisk_queue_log_agents;
  const r = await run(src.id);
  assert.equal(r.state, 'done', r.log.join('\n'));
  await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'PAUSE:lunch', activity: 'lunch' });
  await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'PAUSE', activity: 'break' });
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: 'PJSIP/301;pat@example.com\nPJSIP/202;kim@example.com' }), 200);
  const want = ['08:00:00-12:00:00 present', '12:00:00-12:30:00 lunch', '12:30:00-13:00:00 present', '13:00:00-17:00:00 break'];
  assert.deepEqual(await spans('pat@example.com'), want);
  assert.deepEqual(await spans('kim@example.com'), ['00:30:00-open present']);
  const again = await run(src.id);
  assert.equal(again.state, 'done');
  assert.ok(again.log.some((l) => /0 agent days changed/.test(l)), again.log.join('\n'));
  assert.deepEqual(await spans('pat@example.com'), want);
});

test('Cisco UCCX AgentStateDetail: work modes and not-ready reasons, LOGOUT closes the day', async () => {
  const src = sources.cisco_uccx_agent_state_detail;
  assert.equal(src.settings.agent_states.span, 'start_only');
  assert.deepEqual(src.settings.agent_states.logout_activities, ['LOGOUT']);
  const r = await run(src.id);
  assert.equal(r.state, 'done', r.log.join('\n'));
  assert.equal(r.rows_staged, 8);
  const codes = await admin.get(`/api/v1/activity-codes?source=${src.id}`);
  assert.deepEqual(codes.body.items.map((c) => c.code).sort(),
    ['LOGIN', 'LOGOUT', 'NR101', 'NR32760', 'READY', 'TALKING', 'WORK']);
  await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'TALKING', activity: 'talk' });
  await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'NR101', activity: 'break' });
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: 'asmith;uma@example.com' }), 200);
  // LOGIN, READY and WORK are unmapped (present); LOGOUT ends the day at 16:00
  assert.deepEqual(await spans('uma@example.com'), [
    '07:58:00-08:00:50 present', '08:00:50-08:05:15 talk', '08:05:15-12:00:00 present', '12:00:00-16:00:00 break',
  ]);
});

test('Genesys CIC AgentActivityLog: statuses from start to end, logged-out rows not read', async () => {
  const src = sources.genesys_cic_agent_activity;
  assert.equal(src.settings.agent_states.span, 'start_end');
  const r = await run(src.id);
  assert.equal(r.state, 'done', r.log.join('\n'));
  const codes = await admin.get(`/api/v1/activity-codes?source=${src.id}`);
  assert.deepEqual(codes.body.items.map((c) => c.code).sort(), ['At Lunch', 'Available', 'Do Not Disturb']);
  await admin.post('/api/v1/activity-codes', { source_id: src.id, code: 'At Lunch', activity: 'lunch' });
  assertStatus(await admin.post('/api/v1/agent-ids', { source_id: src.id, text: 'jdoe;jo@example.com\nmsmith;mo@example.com' }), 200);
  const jo = await spans('jo@example.com');
  assert.ok(jo.includes('08:00:00-10:00:00 present'), jo.join('\n'));
  assert.ok(jo.includes('10:00:00-10:45:00 lunch'), jo.join('\n'));
  assert.ok(jo.includes('10:45:00-17:00:00 present'), jo.join('\n'));
  assert.deepEqual(await spans('mo@example.com'), ['09:00:00-open present']);
});
