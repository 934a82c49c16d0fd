// Agent states from CSV files end to end: the three span forms (start + end, start +
// duration, start only with logout codes), midnight crossing with and without splitting, the
// DST change days, minimum duration, overlapping rows reported with file and line, agent ids
// with leading zeros and case, unknown agents kept staged and mapped later, activity mapping,
// bulk paste of id pairs, and re-imports that change nothing.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { assertInvalidField, assertStatus, show, sleep, startWithAdmin } from '../lib/api.mjs';

let d;
let admin;
let base;

async function run(sourceId, from, to = from) {
  const c = await admin.post('/api/v1/runs', { source_id: sourceId, from, to });
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

/** A folder with the files, and a CSV agent-state source reading it. */
async function source(name, files, settings, tz = 'Europe/Berlin') {
  const folder = fs.mkdtempSync(path.join(base, 'src-'));
  for (const [f, lines] of Object.entries(files)) {
    fs.writeFileSync(path.join(folder, f), `${lines.join('\n')}\n`);
  }
  const r = await admin.post('/api/v1/sources', {
    name, kind: 'csv', product: 'agent_states', time_zone: tz,
    settings: { ...settings, csv: { folder, ...settings.csv } },
  });
  assertStatus(r, 201);
  return { ...r.body, folder };
}

async function day(agent, from, to = from) {
  const r = await admin.get(`/api/v1/agent-states?agent=${encodeURIComponent(agent)}&from=${from}&to=${to}`);
  assertStatus(r, 200);
  return r.body;
}

/** A day's spans as "HH:MM:SS-HH:MM:SS activity" (local times; "open" for a running one). */
async function spans(agent, date) {
  const b = await day(agent, date);
  const dd = b.days.find((x) => x.day === date);
  if (!dd) {
    return [];
  }
  return dd.spans.map((s) => `${s.local_start.slice(11, 19)}-${s.local_end ? s.local_end.slice(11, 19) : 'open'} ${s.activity}`);
}

async function seconds(agent, date, activity) {
  const b = await day(agent, date);
  return b.days.flatMap((x) => x.spans).filter((s) => s.activity === activity)
    .map((s) => (Date.parse(s.end) - Date.parse(s.start)) / 1000);
}

async function activity(identifier, name = identifier) {
  const r = await admin.post('/api/v1/activities', { identifier, name });
  assertStatus(r, 201);
  return r.body;
}

async function mapCode(src, code, act) {
  const r = await admin.post('/api/v1/activity-codes', { source_id: src.id, code, activity: act });
  assertStatus(r, 200);
  return r.body;
}

async function paste(src, text, extra = {}) {
  return admin.post('/api/v1/agent-ids', { source_id: src.id, text, ...extra });
}

before(async () => {
  ({ d, admin } = await startWithAdmin({ args: ['--login-max-failures', '100'] }));
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-agents-'));
  for (const a of ['ready', 'talk', 'break', 'acw']) {
    await activity(a, a.toUpperCase());
  }
});

after(async () => {
  if (d) {
    // a clean exit: under the sanitizer build a memory error or leak would make it fail
    const code = await d.stop();
    assert.equal(code, 0, `the daemon exited with ${code}:\n${d.stderr().slice(-4000)}`);
  }
  fs.rmSync(base, { recursive: true, force: true });
});

test('settings of agent-state sources are checked field by field', async () => {
  const folder = base;
  const post = (settings, extra = {}) => admin.post('/api/v1/sources', {
    name: `bad ${Math.random()}`, kind: 'csv', product: 'agent_states', time_zone: 'Europe/Berlin', settings, ...extra,
  });
  const cols = { agent: 'Agent', activity: 'State', start: 'Start', end: 'End' };
  assertInvalidField(await post({ csv: { folder }, columns: cols }), 'settings.agent_states.span');
  assertInvalidField(await post({ csv: { folder }, columns: { ...cols, end: null }, agent_states: { span: 'start_end' } }), 'settings.columns.end');
  assertInvalidField(await post({ csv: { folder }, columns: cols, agent_states: { span: 'start_end', logout_activities: ['X'] } }), 'settings.agent_states.logout_activities');
  assertInvalidField(await post({ csv: { folder }, columns: { ...cols, agent: null }, agent_states: { span: 'start_end' } }), 'settings.columns.agent');
  assertInvalidField(await post({ csv: { folder }, columns: cols, agent_states: { span: 'sometimes' } }), 'settings.agent_states.span');
  assertInvalidField(await post({ csv: { folder }, columns: cols, agent_states: { span: 'start_end', min_duration_s: -1 } }), 'settings.agent_states.min_duration_s');
  assertInvalidField(await post({ csv: { folder }, columns: cols, metrics: { a: 'B' }, agent_states: { span: 'start_end' } }), 'settings.metrics');
  assertInvalidField(await post({ csv: { folder }, columns: cols, agent_states: { span: 'start_end' } }, { layout: 'contact' }), 'layout');
  const ok = await post({ csv: { folder }, columns: cols, agent_states: { span: 'start_end' } });
  assertStatus(ok, 201);
  assert.deepEqual(ok.body.settings.agent_states, { span: 'start_end', logout_activities: [], min_duration_s: 0, split_at_midnight: true });
  assert.equal(ok.body.product, 'agent_states');
  assertStatus(await admin.delete(`/api/v1/sources/${ok.body.id}`), 204);
});

test('start + end with a date column: leading zeros and case kept, unknown agents listed, holes filled, midnight split', async () => {
  const src = await source('Times', {
    'a.csv': [
      'Agent;Date;Start;End;State',
      '0042;24.11.2026;08:00:00;09:00:00;READY',
      '0042;24.11.2026;09:00:00;09:30:00;TALK',
      '0042 ;24.11.2026;09:45:00;10:00:00;AUX1',
      '42;24.11.2026;08:00:00;08:10:00;READY',
      'Ab1;24.11.2026;23:30:00;00:30:00;TALK',
      'ab1;24.11.2026;08:00:00;08:05:00;READY',
      'x9;24.11.2026;25:00:00;26:00:00;READY',
    ],
  }, {
    csv: { separator: ';', date_order: 'dmy' },
    columns: { agent: 'Agent', date: 'Date', start: 'Start', end: 'End', activity: 'State' },
    agent_states: { span: 'start_end' },
  });
  const r = await run(src.id, '2026-11-24');
  assert.equal(r.state, 'done', JSON.stringify(r));
  assert.equal(r.rows_staged, 6, JSON.stringify(r));
  assert.equal(r.rows_rejected, 1);
  assert.ok(r.log.some((l) => /a\.csv:8: column 'Start'/.test(l)), r.log.join('\n'));
  assert.ok(r.log.some((l) => /4 agents are not mapped/.test(l)), r.log.join('\n'));

  const unknown = await admin.get(`/api/v1/unknown-agents?source=${src.id}`);
  assertStatus(unknown, 200);
  assert.deepEqual(unknown.body.items.map((x) => x.ext_agent).sort(), ['0042', '42', 'Ab1', 'ab1'].sort());
  const z = unknown.body.items.find((x) => x.ext_agent === '0042');
  assert.equal(z.count, 3);
  assert.match(z.first_seen, /^\d{4}-\d\d-\d\dT/);

  const codes = await admin.get(`/api/v1/activity-codes?source=${src.id}&unmapped=true`);
  assert.deepEqual(codes.body.items.map((x) => [x.code, x.count, x.activity]),
    [['AUX1', 1, null], ['READY', 3, null], ['TALK', 2, null]]);

  const p = await paste(src, '0042;alice@example.com\n42\tbob@example.com\n\n# comment\nAb1, carol@example.com\n');
  assertStatus(p, 200);
  assert.equal(p.body.mapped, 3);
  assert.equal(p.body.created_agents, 3);
  // unmapped codes count as present; adjacent equal activities are one span
  assert.deepEqual(await spans('alice@example.com', '2026-11-24'),
    ['08:00:00-09:30:00 present', '09:30:00-09:45:00 logged_out', '09:45:00-10:00:00 present']);
  assert.deepEqual(await spans('bob@example.com', '2026-11-24'), ['08:00:00-08:10:00 present']);
  assert.deepEqual(await spans('carol@example.com', '2026-11-24'), ['23:30:00-00:00:00 present']);
  assert.deepEqual(await spans('carol@example.com', '2026-11-25'), ['00:00:00-00:30:00 present']);

  const m = await mapCode(src, 'TALK', 'talk');
  assert.equal(m.activity, 'talk');
  assert.equal(m.recomputed.days_changed, 3, JSON.stringify(m));
  await mapCode(src, 'AUX1', 'break');
  await mapCode(src, 'READY', 'ready');
  assert.deepEqual(await spans('alice@example.com', '2026-11-24'),
    ['08:00:00-09:00:00 ready', '09:00:00-09:30:00 talk', '09:30:00-09:45:00 logged_out', '09:45:00-10:00:00 break']);
  assert.deepEqual(await spans('carol@example.com', '2026-11-25'), ['00:00:00-00:30:00 talk']);
  const left = await admin.get(`/api/v1/activity-codes?source=${src.id}&unmapped=true`);
  assert.deepEqual(left.body.items, []);

  // the unknown agent's states were kept: mapping it shows them without a new read
  const later = await paste(src, 'ab1;dave@example.com');
  assert.equal(later.body.recomputed.days_changed, 1, show(later));
  assert.deepEqual(await spans('dave@example.com', '2026-11-24'), ['08:00:00-08:05:00 ready']);
  const still = await admin.get(`/api/v1/unknown-agents?source=${src.id}`);
  assert.deepEqual(still.body.items, []);

  // one WFM agent, several external ids; moving an id moves its states
  const moved = await paste(src, '42;alice@example.com');
  assert.equal(moved.body.moved, 1);
  assert.deepEqual(await spans('bob@example.com', '2026-11-24'), []);
  assert.deepEqual((await spans('alice@example.com', '2026-11-24'))[0], '08:00:00-09:00:00 ready');
  const alice = (await day('alice@example.com', '2026-11-24')).agent;
  const got = await admin.get(`/api/v1/agents/${alice.id}`);
  assert.deepEqual(got.body.external_ids.map((x) => x.ext_agent), ['0042', '42']);
});

test('bulk paste: errors name the line and change nothing', async () => {
  const src = (await admin.get('/api/v1/sources')).body.items.find((s) => s.name === 'Times');
  const bad = await paste(src, '0042;alice@example.com\njust-one-field\n');
  assertInvalidField(bad, 'line 2');
  const unknownAgent = await paste(src, '0042;nobody@example.com', { create_agents: false });
  assertInvalidField(unknownAgent, 'line 1');
  const alice = (await day('alice@example.com', '2026-11-24')).days[0].spans.length;
  assert.ok(alice > 0);
  const contacts = await admin.post('/api/v1/sources', {
    name: 'Contacts', kind: 'csv', time_zone: 'Europe/Berlin',
    settings: { csv: { folder: base }, columns: { queue: 'Q', timestamp: 'T' }, metrics: { offered: 'O' } },
  });
  assertStatus(contacts, 201);
  assertInvalidField(await paste(contacts.body, 'a;b'), 'source_id');
});

test('start + duration: minimum duration, no split at midnight, pre-mapped codes', async () => {
  const src = await source('Durations', {
    'd.csv': [
      'Agent,Start,Duration,Code',
      '7,2026-11-24 08:00:00,600,READY',
      '7,2026-11-24 08:10:00,5,TALK',
      '7,2026-11-24 08:10:05,00:05:00,TALK',
      '7,2026-11-24 23:50:00,1200,ACW',
      '7,2026-11-24 09:00:00,-3,TALK',
    ],
  }, {
    csv: { date_order: 'ymd' },
    columns: { agent: 'Agent', start: 'Start', duration: 'Duration', activity: 'Code' },
    agent_states: { span: 'start_duration', min_duration_s: 10, split_at_midnight: false },
  });
  for (const [code, act] of [['READY', 'ready'], ['TALK', 'talk'], ['ACW', 'acw']]) {
    const m = await mapCode(src, code, act);
    assert.equal(m.first_seen, null); // mapped before any import showed it
  }
  assertStatus(await paste(src, '7;erin@example.com'), 200);
  const r = await run(src.id, '2026-11-24');
  assert.equal(r.state, 'done');
  assert.equal(r.rows_rejected, 1);
  assert.ok(r.log.some((l) => /d\.csv:6: column 'Duration'/.test(l)), r.log.join('\n'));
  assert.deepEqual(await spans('erin@example.com', '2026-11-24'), [
    '08:00:00-08:10:05 ready', // the 5-second TALK went to the READY before it
    '08:10:05-08:15:05 talk',
    '08:15:05-23:50:00 logged_out',
    '23:50:00-00:10:00 acw', // not split: the day it starts on owns it
  ]);
  assert.deepEqual(await spans('erin@example.com', '2026-11-25'), []);
});

test('start only: logout codes, the spring DST day, an ongoing state closed by a later import', async () => {
  const src = await source('Events', {
    'e1.csv': [
      'Agent|Time|State',
      'A1|2026-03-29 01:30:00|LOGIN',
      'A1|2026-03-29 01:45:00|READY',
      'A1|2026-03-29 02:30:00|READY',
      'A1|2026-03-29 03:15:00|BREAK',
      'A1|2026-03-29 04:00:00|LOGOUT',
      'A1|2026-03-29 22:00:00|READY',
    ],
  }, {
    csv: { separator: '|', date_order: 'ymd' },
    columns: { agent: 'Agent', start: 'Time', activity: 'State' },
    agent_states: { span: 'start_only', logout_activities: ['LOGOUT'] },
  });
  await mapCode(src, 'READY', 'ready');
  await mapCode(src, 'BREAK', 'break');
  assertStatus(await paste(src, 'A1;frank@example.com'), 200);
  const r = await run(src.id, '2026-03-29');
  assert.equal(r.state, 'done');
  assert.ok(r.log.some((l) => /e1\.csv:4: .*does not exist in Europe\/Berlin/.test(l)), r.log.join('\n'));
  assert.deepEqual(await spans('frank@example.com', '2026-03-29'), [
    '01:30:00-01:45:00 present',
    '01:45:00-03:15:00 ready',
    '03:15:00-04:00:00 break',
    '04:00:00-22:00:00 logged_out',
    '22:00:00-open ready',
  ]);
  assert.deepEqual(await seconds('frank@example.com', '2026-03-29', 'ready'), [1800, NaN]);
  const open = (await day('frank@example.com', '2026-03-29')).days[0].spans.at(-1);
  assert.equal(open.open, true);
  assert.equal(open.end, null);

  fs.writeFileSync(path.join(src.folder, 'e2.csv'), 'Agent|Time|State\nA1|2026-03-29 23:00:00|LOGOUT\n');
  const r2 = await run(src.id, '2026-03-29');
  assert.equal(r2.state, 'done');
  assert.equal(r2.files_skipped, 1); // e1.csv: imported before
  assert.deepEqual((await spans('frank@example.com', '2026-03-29')).at(-1), '22:00:00-23:00:00 ready');
});

test('start only on the autumn DST day: the repeated hour goes by row order', async () => {
  const src = await source('Autumn', {
    'f.csv': [
      'Agent;Time;State',
      'B2;2026-10-25 01:50:00;READY',
      'B2;2026-10-25 02:10:00;TALK',
      'B2;2026-10-25 02:50:00;READY',
      'B2;2026-10-25 02:10:00;TALK',
      'B2;2026-10-25 02:40:00;LOGOUT',
    ],
  }, {
    csv: { separator: ';', date_order: 'ymd' },
    columns: { agent: 'Agent', start: 'Time', activity: 'State' },
    agent_states: { span: 'start_only', logout_activities: ['LOGOUT'] },
  });
  await mapCode(src, 'READY', 'ready');
  await mapCode(src, 'TALK', 'talk');
  assertStatus(await paste(src, 'B2;gina@example.com'), 200);
  assert.equal((await run(src.id, '2026-10-25')).state, 'done');
  assert.deepEqual(await seconds('gina@example.com', '2026-10-25', 'ready'), [1200, 1200]);
  assert.deepEqual(await seconds('gina@example.com', '2026-10-25', 'talk'), [2400, 1800]);
  const b = await day('gina@example.com', '2026-10-25');
  assert.deepEqual(b.days[0].spans.map((s) => s.local_start.slice(11)),
    ['01:50:00+02:00', '02:10:00+02:00', '02:50:00+02:00', '02:10:00+01:00']);
});

test('every overlapping pair and repeated starts are reported with file and line; while states overlap the later-starting one counts', async () => {
  const src = await source('Overlaps', {
    'ov.csv': [
      'Agent;Date;Start;End;State',
      'X;2026-11-24;08:00;09:00;READY',
      'X;2026-11-24;08:30;08:45;TALK',
      'X;2026-11-24;10:00;10:10;READY',
      'X;2026-11-24;10:00;10:20;BREAK',
      'X;2026-11-24;08:50;08:55;TALK',
    ],
  }, {
    csv: { separator: ';', date_order: 'ymd' },
    columns: { agent: 'Agent', date: 'Date', start: 'Start', end: 'End', activity: 'State' },
    agent_states: { span: 'start_end' },
  });
  for (const [code, act] of [['READY', 'ready'], ['TALK', 'talk'], ['BREAK', 'break']]) {
    await mapCode(src, code, act);
  }
  assertStatus(await paste(src, 'X;hugo@example.com'), 200);
  const r = await run(src.id, '2026-11-24');
  assert.equal(r.state, 'done');
  // both later states overlap the first one (not each other): two pairs, each named
  assert.ok(r.log.some((l) => /^ov\.csv:3: agent X: state TALK from 2026-11-24 08:30:00 begins while state READY of ov\.csv:2 lasts until 2026-11-24 09:00:00; both are kept/.test(l)), r.log.join('\n'));
  assert.ok(r.log.some((l) => /^ov\.csv:6: agent X: state TALK from 2026-11-24 08:50:00 begins while state READY of ov\.csv:2 lasts until 2026-11-24 09:00:00/.test(l)), r.log.join('\n'));
  assert.ok(r.log.includes('2 overlapping pairs of states'), r.log.join('\n'));
  assert.ok(!r.log.some((l) => /wins/.test(l)), r.log.join('\n'));
  assert.ok(r.log.some((l) => /^ov\.csv:5: agent X has a second state starting 2026-11-24 10:00:00 \(first at ov\.csv:4\)/.test(l)), r.log.join('\n'));
  // the earlier state is not cut short: it counts again after each later one ends
  assert.deepEqual(await spans('hugo@example.com', '2026-11-24'), [
    '08:00:00-08:30:00 ready', '08:30:00-08:45:00 talk', '08:45:00-08:50:00 ready',
    '08:50:00-08:55:00 talk', '08:55:00-09:00:00 ready',
    '09:00:00-10:00:00 logged_out', '10:00:00-10:20:00 break',
  ]);
});

test('re-importing the same states changes nothing; a corrected file replaces its states', async () => {
  const src = (await admin.get('/api/v1/sources')).body.items.find((s) => s.name === 'Overlaps');
  const before = await day('hugo@example.com', '2026-11-24');
  const folder = src.settings.csv.folder;
  const lines = fs.readFileSync(path.join(folder, 'ov.csv'), 'utf8').trim().split('\n');
  // the same rows in another order: another checksum, so it is read, but the same states
  fs.writeFileSync(path.join(folder, 'ov2.csv'), `${[lines[0], lines[2], lines[1], lines[3], lines[4], lines[5]].join('\n')}\n`);
  const r = await run(src.id, '2026-11-24');
  assert.equal(r.state, 'done');
  assert.equal(r.files_read, 1);
  assert.ok(r.log.some((l) => /0 agent days changed/.test(l)), r.log.join('\n'));
  const again = await day('hugo@example.com', '2026-11-24');
  assert.deepEqual(again.days, before.days);
  // a running again with nothing new recomputes from the staged states
  const r3 = await run(src.id, '2026-11-24');
  assert.equal(r3.files_read, 0);
  assert.ok(r3.log.some((l) => /agent spans for 2026-11-23 \.\. 2026-11-25: 1 agents, 0 agent days changed/.test(l)), r3.log.join('\n'));
});

test('activities: built-ins stay, deleting one sends its codes back to present', async () => {
  const list = await admin.get('/api/v1/activities');
  const present = list.body.items.find((a) => a.builtin === 'present');
  assert.ok(present);
  const del = await admin.delete(`/api/v1/activities/${present.id}`);
  assert.equal(del.status, 409, show(del));
  assertStatus(await admin.patch(`/api/v1/activities/${present.id}`, { name: 'Anwesend' }), 200);
  const dup = await admin.post('/api/v1/activities', { identifier: 'talk', name: 'x' });
  assert.equal(dup.status, 409);
  const brk = list.body.items.find((a) => a.identifier === 'break');
  assertStatus(await admin.delete(`/api/v1/activities/${brk.id}`), 204);
  assert.deepEqual((await spans('hugo@example.com', '2026-11-24')).at(-1), '10:00:00-10:20:00 present');
  const codes = await admin.get('/api/v1/activity-codes?unmapped=true');
  assert.ok(codes.body.items.some((c) => c.code === 'BREAK' && c.source === 'Overlaps'), show(codes));
});

test('agents: create with external ids, conflicts, delete makes the ids unknown', async () => {
  const src = (await admin.get('/api/v1/sources')).body.items.find((s) => s.name === 'Overlaps');
  const taken = await admin.post('/api/v1/agents', { identifier: 'ivy@example.com', external_ids: [{ source_id: src.id, ext_agent: 'X' }] });
  assert.equal(taken.status, 409, show(taken));
  const ivy = await admin.post('/api/v1/agents', { identifier: 'ivy@example.com', name: 'Ivy', external_ids: [{ source_id: src.id, ext_agent: 'Y7' }] });
  assertStatus(ivy, 201);
  assert.deepEqual(ivy.body.external_ids.map((x) => x.ext_agent), ['Y7']);
  const hugo = (await day('hugo@example.com', '2026-11-24')).agent;
  assertStatus(await admin.delete(`/api/v1/agents/${hugo.id}`), 204);
  const unknown = await admin.get(`/api/v1/unknown-agents?source=${src.id}`);
  assert.deepEqual(unknown.body.items.map((x) => x.ext_agent), ['X']);
  const none = await admin.get('/api/v1/agent-states?agent=hugo@example.com&from=2026-11-24&to=2026-11-24');
  assert.equal(none.status, 404);
  const bad = await admin.get('/api/v1/agent-states?agent=ivy@example.com&from=2026-11-24&to=2027-11-24');
  assert.equal(bad.status, 400);
});

test('preview shows parsed agent states', async () => {
  const src = (await admin.get('/api/v1/sources')).body.items.find((s) => s.name === 'Durations');
  const p = await admin.post(`/api/v1/sources/${src.id}/preview`, { day: '2026-11-24', rows: 10 });
  assert.equal(p.status, 202, show(p));
  let job;
  for (const deadline = Date.now() + 60000; Date.now() < deadline;) { // polls until the state is reached
    job = await admin.get(`/api/v1/jobs/${p.body.id}`);
    if (job.body.state === 'done' || job.body.state === 'failed') {
      break;
    }
    await sleep(50);
  }
  const rows = job.body.result.rows;
  assert.equal(rows[0].agent, '7');
  assert.equal(rows[0].activity, 'READY');
  assert.equal(rows[0].start, '2026-11-24T07:00:00Z');
  assert.equal(rows[0].end, '2026-11-24T07:10:00Z');
  assert.equal(rows[0].local_start, '2026-11-24 08:00:00');
  assert.equal(rows[0].local_end, '2026-11-24 08:10:00');
  assert.match(rows[4].error, /Duration/);
});

test('a later file of the same days: the counts of agents and codes move by the states it adds and replaces', async () => {
  const cols = { agent: 'Agent', start: 'Start', activity: 'State' };
  const src = await source('Counts', {
    'a.csv': [
      'Agent;Start;State',
      'c1;2026-11-24 08:00:00;READY',
      'c1;2026-11-24 09:00:00;TALK',
      'c1;2026-11-24 10:00:00;AUX1',
      'c2;2026-11-24 08:00:00;READY',
      'c2;2026-11-25 08:00:00;TALK',
      'c3;2026-11-24 07:00:00;READY',
    ],
  }, { csv: { separator: ';' }, columns: cols, agent_states: { span: 'start_only' } });
  const counts = async () => {
    const ids = await admin.get(`/api/v1/unknown-agents?source=${src.id}`);
    assertStatus(ids, 200);
    const codes = await admin.get(`/api/v1/activity-codes?source=${src.id}&unmapped=true`);
    assertStatus(codes, 200);
    return {
      ids: ids.body.items.map((x) => [x.ext_agent, x.count]).sort(),
      codes: codes.body.items.map((x) => [x.code, x.count]).sort(),
    };
  };
  let r = await run(src.id, '2026-11-24', '2026-11-25');
  assert.equal(r.state, 'done', JSON.stringify(r));
  assert.deepEqual(await counts(), {
    ids: [['c1', 3], ['c2', 2], ['c3', 1]],
    codes: [['AUX1', 1], ['READY', 3], ['TALK', 2]],
  });
  // c1: 09:00 becomes AUX1 (replaced), 11:00 is new; c2: 08:00 again as it was, 09:00 new;
  // c3 is not in the file; c4 is new
  fs.writeFileSync(path.join(src.folder, 'b.csv'), [
    'Agent;Start;State',
    'c1;2026-11-24 09:00:00;AUX1',
    'c1;2026-11-24 11:00:00;READY',
    'c2;2026-11-24 08:00:00;READY',
    'c2;2026-11-24 09:00:00;READY',
    'c4;2026-11-25 06:00:00;TALK',
    'c4;2026-11-25 06:00:00;AUX1',
    '',
  ].join('\n'));
  r = await run(src.id, '2026-11-24', '2026-11-25');
  assert.equal(r.state, 'done', JSON.stringify(r));
  assert.deepEqual(await counts(), {
    ids: [['c1', 4], ['c2', 3], ['c3', 1], ['c4', 1]],
    codes: [['AUX1', 3], ['READY', 5], ['TALK', 1]],
  });
  // the same file once more under another name: every state replaces itself
  fs.copyFileSync(path.join(src.folder, 'b.csv'), path.join(src.folder, 'c.csv'));
  r = await run(src.id, '2026-11-24', '2026-11-25');
  assert.equal(r.state, 'done', JSON.stringify(r));
  assert.deepEqual((await counts()).codes, [['AUX1', 3], ['READY', 5], ['TALK', 1]]);
  assert.deepEqual((await counts()).ids, [['c1', 4], ['c2', 3], ['c3', 1], ['c4', 1]]);
});
