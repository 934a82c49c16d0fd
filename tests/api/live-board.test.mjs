// The live board (GET /api/v1/agents/live): which state is an agent's current one (the latest
// begun, a future start not yet, a logout, a state that ended, a WFM agent with several ids,
// unknown ids, an agent without states), the counts per activity and status, the ETag that
// changes exactly when the board does (imports, mappings, the clock reaching a start) and the
// 304 for If-None-Match, and who may read it. Real daemon, real CSV imports; times are relative
// to now, so the states are current ones.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { bearer, client, login } from '../lib/daemon.mjs';
import { assertStatus, createToken, createUser, pw, show, sleep, startWithAdmin, waitRunEnd } from '../lib/api.mjs';

let d;
let admin;
let base;
let T; // the reference time: whole seconds, a little before the files are imported
let starts; // start-only source
let ends; // start + end source
let talk;
let anna;

/** "YYYY-MM-DD HH:MM:SS" (UTC) of T + seconds. */
function at(seconds) {
  return new Date((T + seconds) * 1000).toISOString().slice(0, 19).replace('T', ' ');
}
const iso = (seconds) => new Date((T + seconds) * 1000).toISOString().replace('.000Z', 'Z');
const today = () => new Date().toISOString().slice(0, 10);

async function source(name, settings) {
  const folder = fs.mkdtempSync(path.join(base, 'src-'));
  const r = await admin.post('/api/v1/sources', {
    name, kind: 'csv', product: 'agent_states', time_zone: 'UTC',
    settings: { ...settings, csv: { folder, separator: ';', date_order: 'ymd' } },
  });
  assertStatus(r, 201);
  return { ...r.body, folder };
}

async function importFile(src, file, lines) {
  fs.writeFileSync(path.join(src.folder, file), `${lines.join('\n')}\n`);
  const r = await admin.post('/api/v1/runs', { source_id: src.id, from: today(), to: today() });
  assertStatus(r, 202);
  const run = await waitRunEnd(admin, r.body.id, 60000);
  assert.equal(run.state, 'done', JSON.stringify(run));
  return run;
}

async function board(session = admin, headers = {}) {
  const r = await session.get('/api/v1/agents/live', { headers });
  assert.ok([200, 304].includes(r.status), show(r));
  return r;
}

/** The board's row of an agent: by WFM identifier, or by source and external id. */
function row(b, who) {
  const found = b.agents.filter((a) => (typeof who === 'string'
    ? a.agent === who : a.agent_id === null && a.source_id === who.source && a.ext_agent === who.ext));
  assert.equal(found.length, 1, `one row for ${JSON.stringify(who)}: ${JSON.stringify(b.agents)}`);
  return found[0];
}

function activityOf(b, id) {
  return b.activities.find((a) => a.id === id);
}

before(async () => {
  ({ d, admin } = await startWithAdmin());
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'acdlink-live-'));
  T = Math.floor(Date.now() / 1000);
  const t = await admin.post('/api/v1/activities', { identifier: 'talk', name: 'Talking' });
  assertStatus(t, 201);
  talk = t.body;
  starts = await source('Live starts', {
    columns: { agent: 'Agent', start: 'Time', activity: 'State' },
    agent_states: { span: 'start_only', logout_activities: ['LOGOUT'] },
  });
  ends = await source('Live ends', {
    columns: { agent: 'Agent', start: 'Start', end: 'End', activity: 'State' },
    agent_states: { span: 'start_end' },
  });
  await importFile(starts, 's1.csv', [
    'Agent;Time;State',
    `A1;${at(-7200)};READY`,
    `A1;${at(-3600)};TALK`,
    `A2;${at(-7200)};READY`,
    `A2;${at(-1800)};LOGOUT`,
    `A3;${at(-3600)};READY`,
    `A3;${at(3600)};BREAK`,
  ]);
  await importFile(ends, 'e1.csv', [
    'Agent;Start;End;State',
    `B1;${at(-7200)};${at(-3600)};TALK`,
    `B2;${at(-600)};;TALK`,
    `B3;${at(-600)};${at(3600)};READY`,
    `B4;${at(-1200)};;TALK`,
    `C1;${at(-600)};;READY`,
  ]);
  // anna is A1 of the start-only source and C1 of the other; nobody has no id at all
  const a = await admin.post('/api/v1/agents', {
    identifier: 'anna@example.com', name: 'Anna',
    external_ids: [{ source_id: starts.id, ext_agent: 'A1' }, { source_id: ends.id, ext_agent: 'C1' }],
  });
  assertStatus(a, 201);
  anna = a.body;
  assertStatus(await admin.post('/api/v1/agents', { identifier: 'nobody@example.com' }), 201);
});

after(async () => {
  if (d) {
    const code = await d.stop();
    assert.equal(code, 0, `the daemon exited with ${code}:\n${d.stderr().slice(-4000)}`);
  }
  fs.rmSync(base, { recursive: true, force: true });
});

test('each agent shows its latest begun state: logout, future start, ended state, several ids, unknown ids, none', async () => {
  const b = (await board()).body;
  const present = b.activities.find((x) => x.builtin === 'present');
  const out = b.activities.find((x) => x.builtin === 'logged_out');
  const u = (ext, src = starts) => row(b, { source: src.id, ext });

  // anna: C1's READY (10 min ago) is later than A1's TALK (an hour ago)
  const an = row(b, 'anna@example.com');
  assert.deepEqual({ ...an }, {
    agent_id: anna.id, agent: 'anna@example.com', name: 'Anna', source_id: ends.id, ext_agent: 'C1',
    status: 'in_state', activity_id: present.id, code: 'READY', since: iso(-600), start: iso(-600), end: null,
  });
  assert.ok(!b.agents.some((x) => x.agent_id === null && x.ext_agent === 'A1' && x.source_id === starts.id),
    'a mapped id is not listed again as unknown');
  // a logout: logged out since the logout
  assert.deepEqual(
    (({ status, activity_id, code, since, end }) => ({ status, activity_id, code, since, end }))(u('A2')),
    { status: 'logged_out', activity_id: out.id, code: 'LOGOUT', since: iso(-1800), end: null },
  );
  // a state that begins in an hour is not current yet
  assert.equal(u('A3').code, 'READY');
  assert.equal(u('A3').since, iso(-3600));
  assert.equal(u('A3').status, 'in_state');
  // a state that ended an hour ago: ended, counted as logged out since its end
  assert.deepEqual(
    (({ status, activity_id, code, since, start, end }) => ({ status, activity_id, code, since, start, end }))(u('B1', ends)),
    { status: 'ended', activity_id: out.id, code: 'TALK', since: iso(-3600), start: iso(-7200), end: iso(-3600) },
  );
  // no end yet, or an end still to come: in the state
  assert.equal(u('B2', ends).status, 'in_state');
  assert.equal(u('B3', ends).status, 'in_state');
  assert.equal(u('B3', ends).end, iso(3600));
  // a WFM agent without any state
  const nb = row(b, 'nobody@example.com');
  assert.deepEqual([nb.status, nb.activity_id, nb.code, nb.since, nb.source_id, nb.ext_agent],
    ['no_state', null, null, null, null, null]);
  // ordered: WFM agents by identifier, then unknown ids by source and id
  assert.deepEqual(b.agents.map((x) => x.agent || `${x.source_id}/${x.ext_agent}`), [
    'anna@example.com', 'nobody@example.com',
    ...['A2', 'A3'].map((x) => `${starts.id}/${x}`), ...['B1', 'B2', 'B3', 'B4'].map((x) => `${ends.id}/${x}`),
  ]);
});

test('counts per activity and per status add up to the rows', async () => {
  const b = (await board()).body;
  assert.equal(b.total, b.agents.length);
  assert.equal(b.total, 8);
  for (const a of b.activities) {
    assert.equal(a.agents, b.agents.filter((x) => x.activity_id === a.id).length, `count of ${a.identifier}`);
    assert.match(a.colour, /^#[0-9a-f]{6}$/);
  }
  for (const s of ['in_state', 'logged_out', 'ended', 'no_state']) {
    assert.equal(b.statuses[s], b.agents.filter((x) => x.status === s).length, `count of ${s}`);
  }
  assert.deepEqual(b.statuses, { in_state: 5, logged_out: 1, ended: 1, no_state: 1 });
  assert.equal(activityOf(b, talk.id).agents, 0, 'TALK is not mapped yet');
  assert.equal(b.activities.find((x) => x.builtin === 'logged_out').colour, '#9aa1ab');
});

test('the ETag is stable while nothing changes, and If-None-Match gets 304 without a body', async () => {
  const r1 = await board();
  const r2 = await board();
  assert.equal(r1.status, 200);
  assert.match(r1.headers.etag, /^"[0-9a-f]{32}"$/);
  assert.equal(r2.headers.etag, r1.headers.etag);
  assert.equal(r2.text, r1.text);
  for (const inm of [r1.headers.etag, `W/${r1.headers.etag}`, `"0123", ${r1.headers.etag}`, '*']) {
    const nm = await board(admin, { 'If-None-Match': inm });
    assert.equal(nm.status, 304, `If-None-Match: ${inm}`);
    assert.equal(nm.raw.length, 0, 'no body');
    assert.equal(nm.headers.etag, r1.headers.etag);
    assert.equal(nm.headers['content-length'], undefined, 'a 304 sends no Content-Length');
  }
  const other = await board(admin, { 'If-None-Match': '"00000000000000000000000000000000"' });
  assert.equal(other.status, 200);
  assert.equal(other.text, r1.text);
  // an import that stages nothing new (the same file is skipped) leaves the board as it was
  const run = await importFile(starts, 's1.csv', fs.readFileSync(path.join(starts.folder, 's1.csv'), 'utf8').trim().split('\n'));
  assert.equal(run.counts.rows_staged, 0, JSON.stringify(run));
  assert.equal((await board(admin, { 'If-None-Match': r1.headers.etag })).status, 304);
});

test('a mapping and an import change the board and its ETag; a state that later ended shows ended', async () => {
  const before1 = await board();
  const m = await admin.post('/api/v1/activity-codes', { source_id: ends.id, code: 'TALK', activity: 'talk' });
  assertStatus(m, 200);
  const after1 = await board(admin, { 'If-None-Match': before1.headers.etag });
  assert.equal(after1.status, 200, 'the mapping changed the board');
  assert.notEqual(after1.headers.etag, before1.headers.etag);
  const b1 = after1.body;
  assert.equal(row(b1, { source: ends.id, ext: 'B2' }).activity_id, talk.id);
  assert.equal(row(b1, { source: ends.id, ext: 'B4' }).status, 'in_state');
  assert.equal(activityOf(b1, talk.id).agents, 2);

  // B4's TALK gets its end (5 minutes ago) in a new file; A1 of anna starts a break now
  await importFile(ends, 'e2.csv', ['Agent;Start;End;State', `B4;${at(-1200)};${at(-300)};TALK`]);
  const after2 = await board(admin, { 'If-None-Match': after1.headers.etag });
  assert.equal(after2.status, 200, 'the import changed the board');
  const b4 = row(after2.body, { source: ends.id, ext: 'B4' });
  assert.deepEqual([b4.status, b4.since, b4.code], ['ended', iso(-300), 'TALK']);
  assert.equal(activityOf(after2.body, talk.id).agents, 1);

  await importFile(starts, 's2.csv', ['Agent;Time;State', `A1;${at(-60)};BREAK`]);
  const an = row((await board()).body, 'anna@example.com');
  assert.deepEqual([an.source_id, an.ext_agent, an.code, an.since], [starts.id, 'A1', 'BREAK', iso(-60)]);
});

test('the board changes when the clock reaches a staged start', async () => {
  const now = Math.floor(Date.now() / 1000);
  const startAt = new Date((now + 8) * 1000).toISOString().slice(0, 19).replace('T', ' ');
  await importFile(starts, 's3.csv', ['Agent;Time;State', `A9;${at(-60)};READY`, `A9;${startAt};TALK`]);
  const first = await board();
  const served = Date.parse(first.headers.date) / 1000;
  const a9 = () => (x) => row(x, { source: starts.id, ext: 'A9' });
  if (served < now + 8) {
    assert.equal(a9()(first.body).code, 'READY', 'the TALK that starts later is not current yet');
  }
  // polled as the console does: 304 until the start has come, then the new state
  let last = first;
  for (const deadline = Date.now() + 60000; ; ) {
    const r = await board(admin, { 'If-None-Match': last.headers.etag });
    if (r.status === 200) {
      last = r;
      if (a9()(r.body).code === 'TALK') {
        break;
      }
    }
    assert.ok(Date.now() < deadline, 'the TALK became current within a minute');
    await sleep(250);
  }
  assert.equal(a9()(last.body).since, new Date((now + 8) * 1000).toISOString().replace('.000Z', 'Z'));
});

test('viewers and viewer tokens read the board; without credentials it is 401', async () => {
  await createUser(admin, 'vera', 'viewer');
  const vera = await login(d, 'vera', pw('vera'));
  const r = await board(vera);
  assert.equal(r.status, 200);
  assert.ok(r.body.agents.length > 0);
  const tok = await createToken(admin, 'board', 'viewer');
  const tb = await board(bearer(d, tok.token));
  assert.equal(tb.status, 200);
  assert.equal(tb.headers.etag, r.headers.etag, 'the same board for everybody');
  const anon = await client(d).get('/api/v1/agents/live');
  assert.equal(anon.status, 401, show(anon));
  const wrong = await admin.patch('/api/v1/agents/live', {});
  assert.equal(wrong.status, 405, show(wrong));
  vera.close();
});
